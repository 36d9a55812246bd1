"""The slow-client soak's tables (bench/slow_clients.py): per line of the issue and peer, the
medians over rounds of the normal client's success and p99 (loaded, unloaded), the server's RSS
(before, peak, after), crashes, and whether wirekit did at least as well as nginx; then the TLS
lines without a normal client and the scans side by side.

  /usr/bin/python3 bench/summarize_slow.py OUT/slow.raw [OUT/slow_scans.json]

wirekit >= nginx ("yes") when every one holds, each judged against the issue's bar or, where
nginx misses that bar too, against nginx:
  success   wirekit >= 99 %, or >= nginx's success
  p99       wirekit's loaded p99 < 2 x its unloaded p99, or <= nginx's loaded p99
  RSS       wirekit's growth (peak - before) <= nginx's growth + 2 MiB
  crashes   none
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Medians, read_lines  # noqa: E402

LOADED = ("slowloris", "slowbody", "slowread", "range", "tls_idle", "tls_half_hello",
          "tls_renegotiation", "tls_sni_256", "tls_sni_64k")
NUMBERS = ("success_pct", "p99_ms", "base_p99_ms", "rss_before_kib", "rss_peak_kib",
           "rss_after_kib", "sht_connected_max", "sht_closed_end", "sht_available_pct",
           "closed_by_server", "hellos")
RSS_SLACK_KIB = 2048


def mib(kib):
    return f"{kib / 1024:.1f}"


def verdict(wk, ng):
    """'yes', or 'no (the criteria missed)'."""
    missed = []
    if not (wk["success_pct"] >= 99 or wk["success_pct"] >= ng["success_pct"]):
        missed.append("success")
    if not (wk["p99_ms"] < 2 * wk["base_p99_ms"] or wk["p99_ms"] <= ng["p99_ms"]):
        missed.append("p99")
    if (wk["rss_peak_kib"] - wk["rss_before_kib"]
            > ng["rss_peak_kib"] - ng["rss_before_kib"] + RSS_SLACK_KIB):
        missed.append("RSS")
    if wk["crashed"]:
        missed.append("crash")
    return "yes" if not missed else "no (" + ", ".join(missed) + ")"


def main():
    raw = sys.argv[1]
    medians, texts, crashes, failed = Medians(), {}, {}, []
    for line in open(raw):
        if line.startswith("slow ") and "FAILED" in line:
            failed.append(line.strip())
    for f in read_lines(raw, "slow"):
        key = (f["line"], f["peer"])
        for name in NUMBERS:
            if name in f and f[name] not in ("none", "nan"):
                medians.add(key + (name,), float(f[name]))
        crashes[key] = crashes.get(key, 0) + int(f.get("crashed", 0))
        texts.setdefault(key, {}).update(
            {k: v for k, v in f.items() if k not in NUMBERS and k not in ("line", "peer")})

    def row(key):
        return {name: medians.median(key + (name,)) for name in NUMBERS} | {
            "crashed": crashes.get(key, 0), "rounds": medians.count(key + ("success_pct",))}

    print("| line | server | rounds | success % | p99 loaded / unloaded ms (ratio) "
          "| RSS before / peak / after MiB | crashes | attack's view | wirekit >= nginx |")
    print("|---|---|---|---|---|---|---|---|---|")
    for line in LOADED:
        if (line, "wirekit") not in crashes and (line, "nginx") not in crashes:
            continue
        rows = {peer: row((line, peer)) for peer in ("wirekit", "nginx")
                if (line, peer) in crashes}
        judged = verdict(rows["wirekit"], rows["nginx"]) if len(rows) == 2 else "-"
        for peer, r in rows.items():
            t = texts[(line, peer)]
            if line in ("slowloris", "slowbody", "slowread", "range"):
                view = (f"connected max {r['sht_connected_max']:.0f}, closed by end "
                        f"{r['sht_closed_end']:.0f}, available {r['sht_available_pct']:.0f} % "
                        f"({t.get('sht_exit', '?')})")
            elif line.startswith("tls_sni"):
                view = f"{r['hellos']:.0f} hellos of {t.get('hello_bytes')} B: {t.get('answers')}"
            elif line == "tls_renegotiation":
                view = f"{t.get('renegotiations')}; secure renegotiation {t.get('secure_renegotiation')}"
            else:
                view = (f"closed by server {r['closed_by_server']:.0f} (first after "
                        f"{t.get('first_close_s')} s), held at end {t.get('held_at_end')}")
            ratio = r["p99_ms"] / r["base_p99_ms"] if r["base_p99_ms"] else float("nan")
            print(f"| {line} | {peer} | {r['rounds']} | {r['success_pct']:.2f} | "
                  f"{r['p99_ms']:.1f} / {r['base_p99_ms']:.1f} ({ratio:.1f}x) | "
                  f"{mib(r['rss_before_kib'])} / {mib(r['rss_peak_kib'])} / "
                  f"{mib(r['rss_after_kib'])} | {r['crashed']} | {view} | "
                  f"{judged if peer == 'wirekit' else ''} |")
    legacy = [(peer, texts[("tls_legacy", peer)]) for peer in ("wirekit", "nginx")
              if ("tls_legacy", peer) in texts]
    if legacy:
        print("\n| TLS 1.0 / 1.1-only client | server | -tls1 | -tls1_1 | normal client after | crashes |")
        print("|---|---|---|---|---|---|")
        for peer, t in legacy:
            print(f"| tls_legacy | {peer} | {t.get('tls1')} | {t.get('tls1_1')} | "
                  f"{t.get('success_after_pct')} % | {crashes[('tls_legacy', peer)]} |")
    for line in failed:
        print("FAILED:", line)
    if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
        print_scans(json.load(open(sys.argv[2])))


def print_scans(scans):
    for cert in ("ecdsa", "rsa"):
        wk, ng = scans.get(f"tls_scan_{cert} wirekit"), scans.get(f"tls_scan_{cert} nginx")
        if not wk or not ng:
            continue
        print(f"\n| scan ({cert} certificate) | wirekit | nginx | same |")
        print("|---|---|---|---|")
        for key in sorted(set(wk) | set(ng)):
            a, b = wk.get(key, "-"), ng.get(key, "-")
            if key == "scanTime":
                continue
            print(f"| {key} | {a} | {b} | {'yes' if a == b else '**no**'} |")


if __name__ == "__main__":
    main()
