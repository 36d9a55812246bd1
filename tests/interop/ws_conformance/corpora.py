"""Stand-ins for the five corpora of Autobahn's groups 12 and 13.

Autobahn ships data1.json, lena512.bmp, Goethe's Faust (pg2229.txt), data1.html and a PDF
(10.1.1.105.5439.pdf). Those files are not available here, so each is replaced by a
deterministic stand-in of the same kind and about the same size, generated from a fixed seed:

- json_data1 (sent as text): JSON records (ids, names, nested objects, numbers, some
  non-ASCII strings), as an API dump looks;
- lena512 (binary): a 512x512 8-bit grey BMP (headers, palette, a smooth picture with noise);
- gutenberg_faust (binary, as Autobahn sends it): German verse and prose with umlauts, in
  UTF-8;
- html_data1 (text): an HTML page of tables, links and paragraphs;
- ooms (binary): a PDF-like file (objects, text streams, deflated and so incompressible
  streams, an xref table).

What a corpus is made of only matters for how well it compresses and which deflate code paths
it takes; the conformance verdicts do not depend on the exact bytes."""
import functools
import json
import random
import struct
import zlib

KEYS = ["json_data1", "lena512", "gutenberg_faust", "html_data1", "ooms"]
BINARY = {"json_data1": False, "lena512": True, "gutenberg_faust": True, "html_data1": False,
          "ooms": True}
DESCRIPTION = {
    "json_data1": "JSON records (stand-in for Autobahn's data1.json)",
    "lena512": "512x512 grey bitmap (stand-in for lena512.bmp)",
    "gutenberg_faust": "German text (stand-in for Goethe's Faust, pg2229.txt)",
    "html_data1": "HTML page (stand-in for Autobahn's data1.html)",
    "ooms": "PDF-like binary (stand-in for 10.1.1.105.5439.pdf)",
}

_WORDS_DE = ("Habe nun ach Philosophie Juristerei und Medizin leider auch Theologie durchaus "
             "studiert mit heißem Bemühn da steh ich nun ich armer Tor bin so klug als wie "
             "zuvor heiße Magister Doktor gar ziehe schon an die zehen Jahr herauf herab und "
             "quer krumm meine Schüler an der Nase herum sehe daß wir nichts wissen können "
             "das will mir schier das Herz verbrennen zwar bin ich gescheiter als all die Laffen "
             "Schreiber Pfaffen mich plagen keine Skrupel noch Zweifel fürchte mich weder vor "
             "Hölle noch Teufel dafür ist mir auch alle Freud entrissen bilde mir nicht ein was "
             "Rechts zu wissen Mephistopheles Gretchen Wagner Geist Erdgeist Nacht Studierzimmer "
             "Straße Garten Gartenhäuschen Wald und Höhle Dom Walpurgisnacht Kerker Öde Flur "
             "über schön grün süß fröhlich müde ewig Liebe Seele Welt Gott Natur").split()


def _json(rng):
    names = ["Anna", "Björn", "Chloé", "Dmitri", "Eve", "Fatima", "Günther", "Hiro", "Iñés"]
    records = []
    for i in range(1400):
        records.append({
            "id": i, "guid": "%08x-%04x" % (rng.getrandbits(32), rng.getrandbits(16)),
            "isActive": rng.random() < 0.5, "balance": round(rng.uniform(1, 4000), 2),
            "age": rng.randint(18, 90), "name": f"{rng.choice(names)} {rng.choice(names)}son",
            "tags": [rng.choice(_WORDS_DE).lower() for _ in range(rng.randint(1, 5))],
            "address": {"street": f"{rng.randint(1, 999)} {rng.choice(_WORDS_DE)} Street",
                        "city": rng.choice(["Berlin", "Zürich", "Köln", "Paris", "Tōkyō"]),
                        "zip": "%05d" % rng.randint(0, 99999)},
            "friends": [{"id": rng.randint(0, 1400), "name": rng.choice(names)}
                        for _ in range(rng.randint(0, 3))],
        })
    return json.dumps(records, ensure_ascii=False, indent=1)


def _bitmap(rng):
    width = height = 512
    header = struct.pack("<2sIHHI", b"BM", 14 + 40 + 1024 + width * height, 0, 0, 14 + 40 + 1024)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 0, width * height, 2835, 2835,
                       256, 256)
    palette = b"".join(bytes([g, g, g, 0]) for g in range(256))
    rows = []
    for y in range(height):
        row = bytearray(width)
        for x in range(width):
            v = (x * 3 + y * 2 + ((x * y) >> 7)) % 200 + 28
            if (x - 256) ** 2 + (y - 256) ** 2 < 120 ** 2:
                v = 255 - v // 2
            row[x] = max(0, min(255, v + rng.randint(-6, 6)))
        rows.append(bytes(row))
    return header + info + palette + b"".join(rows)


def _prose(rng):
    lines = []
    size = 0
    while size < 220_000:
        words = [rng.choice(_WORDS_DE) for _ in range(rng.randint(4, 11))]
        words[0] = words[0].capitalize()
        line = " ".join(words) + rng.choice([",", ".", "!", "?", ";", ""])
        if rng.random() < 0.08:
            line = "\n" + rng.choice(["FAUST", "MEPHISTOPHELES", "MARGARETE", "WAGNER"]) + ":"
        lines.append(line)
        size += len(line.encode()) + 1
    return "\n".join(lines).encode()


def _html(rng):
    parts = ["<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
             "<title>Data</title><style>td{padding:2px}</style></head>\n<body>\n"]
    for section in range(60):
        parts.append(f"<h2 id=\"s{section}\">Section {section}: "
                     f"{' '.join(rng.choice(_WORDS_DE) for _ in range(3))}</h2>\n<p>")
        parts.append(" ".join(rng.choice(_WORDS_DE) for _ in range(rng.randint(40, 120))))
        parts.append("</p>\n<table class=\"data\">\n")
        for row in range(rng.randint(5, 20)):
            cells = "".join(f"<td class=\"c{c}\">{rng.randint(0, 99999)}</td>" for c in range(6))
            parts.append(f"<tr id=\"r{section}-{row}\">{cells}"
                         f"<td><a href=\"/item/{rng.getrandbits(24):x}\">more</a></td></tr>\n")
        parts.append("</table>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _pdf(rng):
    out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    offsets = []
    size = len(out[0])
    obj = 1
    while size < 300_000:
        offsets.append(size)
        if rng.random() < 0.5:
            text = " ".join(rng.choice(_WORDS_DE) for _ in range(rng.randint(50, 300)))
            stream = f"BT /F1 10 Tf 72 {rng.randint(50, 700)} Td ({text}) Tj ET".encode("latin-1",
                                                                                        "replace")
            body = (f"{obj} 0 obj\n<< /Length {len(stream)} >>\nstream\n".encode() + stream +
                    b"\nendstream\nendobj\n")
        else:
            raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(500, 4000)))
            stream = zlib.compress(raw + bytes(len(raw)))
            body = (f"{obj} 0 obj\n<< /Length {len(stream)} /Filter /FlateDecode >>\n"
                    "stream\n".encode() + stream + b"\nendstream\nendobj\n")
        out.append(body)
        size += len(body)
        obj += 1
    xref = [f"xref\n0 {obj}\n0000000000 65535 f \n".encode()]
    xref += [f"{o:010d} 00000 n \n".encode() for o in offsets]
    out += xref
    out.append(f"trailer\n<< /Size {obj} /Root 1 0 R >>\nstartxref\n{size}\n%%EOF\n".encode())
    return b"".join(out)


@functools.lru_cache(maxsize=None)
def corpus(key):
    """The stand-in: str for the text corpora (sliced by code points, as Autobahn slices its
    text corpora), bytes for the binary ones."""
    rng = random.Random(f"wirekit-ws-conformance-{key}")
    return {"json_data1": _json, "lena512": _bitmap, "gutenberg_faust": _prose,
            "html_data1": _html, "ooms": _pdf}[key](rng)
