"""The packet tools (wirekit sniff, pcap list|stats|creds) against tshark 4.0 and tcpdump, on
captures this test writes: pcapgen.py's traffic with several seeds, and hand-built frames of
every layer the dissectors claim (VLAN tags, IPv4 options, IPv6 extension headers, fragments,
Linux cooked headers, pcapng). Then damaged captures, the HTML report, and a live capture on
loopback when this process may capture.

Where tshark uses what it learnt from other packets (IP reassembly, the protocol a conversation
has carried), wirekit names each packet on its own, as docs/capture.md and packet.hpp say; the
test states each such packet with both names and the reason (`KNOWN_DIFFERENCES`)."""
import base64
import ipaddress
import json
import os
import random
import re
import socket
import struct
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import EXAMPLES, PYTHON, WIREKIT, free_port, require_module, run, tutorial

PCAPGEN = Path(__file__).resolve().parents[1] / "peers" / "pcapgen.py"  # a copy of shared/peers/misc/pcapgen.py
TSHARK = ["tshark", "-n"]

# ---- building frames -----------------------------------------------------------------------

MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN, ETH_QINQ = 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(ethertype, payload, vlans=()):
    """vlans: (tpid, vlan id) pairs, outermost first."""
    header = MAC_B + MAC_A
    for tpid, vid in vlans:
        header += struct.pack("!HH", tpid, vid)
    return header + struct.pack("!H", ethertype) + payload


def ipv4(protocol, src, dst, payload, options=b"", ident=1, flags_offset=0x4000, total=None):
    ihl = 5 + len(options) // 4
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total or 4 * ihl + len(payload), ident,
                         flags_offset, 64, protocol, 0, socket.inet_aton(src),
                         socket.inet_aton(dst)) + options
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(next_header, src, dst, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), next_header, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def ipv6_option_header(next_header, padding=6):
    """A hop-by-hop or destination options header holding one PadN option: 8 bytes."""
    return struct.pack("!BBBB", next_header, 0, 1, padding - 2) + bytes(padding - 2)


def ipv6_routing_header(next_header, address):
    """Type 0 with no segment left: the destination is final."""
    return struct.pack("!BBBBI", next_header, 2, 0, 0, 0) + socket.inet_pton(socket.AF_INET6,
                                                                            address)


def tcp(sport, dport, payload=b"", flags=0x18, seq=1000):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 0x50, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_query(ident, name, qtype=1):
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + dns_name(name) + \
        struct.pack("!HH", qtype, 1)


def dns_answer(ident, name, address):
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + dns_name(name) + \
        struct.pack("!HH", 1, 1) + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + \
        socket.inet_aton(address)


def tls_client_hello(server_name):
    name = server_name.encode()
    sni = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    extensions = struct.pack("!HH", 0, len(sni)) + sni
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\0" + struct.pack("!HH", 2, 0x002F) + \
        b"\x01\x00" + struct.pack("!H", len(extensions)) + extensions
    handshake = struct.pack("!B", 1) + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, 0x0301, len(handshake)) + handshake


def icmp_echo(kind, ident, seq, data=b"abcdefgh"):
    header = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + data
    return header[:2] + struct.pack("!H", checksum(header)) + header[4:]


def arp_request(sender, target):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_A, socket.inet_aton(sender),
                       bytes(6), socket.inet_aton(target))


def pad(frame):
    return frame + bytes(max(0, 60 - len(frame)))


def sll(protocol, payload):
    """Linux cooked capture v1 header (LINKTYPE_LINUX_SLL, 113)."""
    return struct.pack("!HHH8sH", 0, 1, 6, MAC_A + b"\0\0", protocol) + payload


def sll2(protocol, payload):
    """Linux cooked capture v2 header (LINKTYPE_LINUX_SLL2, 276)."""
    return struct.pack("!HHIHBB8s", protocol, 0, 1, 1, 4, 6, MAC_A + b"\0\0") + payload


def write_pcap(path, frames, linktype=1, snaplen=65535, nanoseconds=False):
    """frames: bytes, or (captured bytes, original length)."""
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for i, frame in enumerate(frames):
            data, original = frame if isinstance(frame, tuple) else (frame, len(frame))
            fraction = i * 1000 if nanoseconds else i
            f.write(struct.pack("<IIII", 1700000000 + i, fraction, len(data), original) + data)
    return path


def write_pcapng(path, frames, linktype=1):
    def block(kind, body):
        body += bytes(-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", linktype, 0, 65535)))
        for i, data in enumerate(frames):
            ts = (1700000000 + i) * 1000000
            f.write(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data),
                                         len(data)) + data))
    return path


def zoo_frames():
    """One frame of every kind the dissectors claim (Ethernet), without fragments."""
    return [
        pad(ethernet(ETH_IPV4, ipv4(6, "10.0.0.1", "10.0.0.2", tcp(40000, 8080, flags=0x02)))),
        pad(ethernet(ETH_IPV4, ipv4(17, "10.0.0.1", "10.0.0.53",
                                    udp(5353 + 1, 53, dns_query(0x1234, "www.example.com"))),
                     vlans=[(ETH_VLAN, 100)])),
        ethernet(ETH_IPV4, ipv4(6, "10.0.1.1", "10.0.1.2", tcp(40001, 80, b"GET /a/b?c=1 HTTP/1.1"
                                                           b"\r\nHost: wirekit.test\r\n\r\n")),
                 vlans=[(ETH_QINQ, 200), (ETH_VLAN, 300)]),
        ethernet(ETH_IPV4, ipv4(6, "10.0.2.1", "10.0.2.2", tcp(40002, 443,
                                                               tls_client_hello("sni.example")),
                                options=b"\x01\x01\x01\x00")),
        pad(ethernet(ETH_IPV6, ipv6(0, "2001:db8::1", "2001:db8::2",
                                    ipv6_option_header(60) + ipv6_option_header(6) +
                                    tcp(40003, 22, flags=0x02)))),
        ethernet(ETH_IPV6, ipv6(43, "2001:db8::1", "2001:db8::53",
                                ipv6_routing_header(17, "2001:db8::53") +
                                udp(40004, 53, dns_query(0x2222, "v6.example.org", 28)))),
        ethernet(ETH_IPV4, ipv4(17, "10.0.0.53", "10.0.0.1",
                                udp(53, 5354, dns_answer(0x1234, "www.example.com", "192.0.2.7")))),
        pad(ethernet(ETH_IPV4, ipv4(1, "10.0.3.1", "10.0.3.2", icmp_echo(8, 7, 1)))),
        pad(ethernet(ETH_IPV4, ipv4(1, "10.0.3.2", "10.0.3.1", icmp_echo(0, 7, 1)))),
        ethernet(ETH_IPV6, ipv6(58, "2001:db8::1", "2001:db8::2", icmp_echo(128, 9, 1))),
        pad(ethernet(ETH_ARP, arp_request("10.0.0.1", "10.0.0.2"))),
        pad(ethernet(ETH_IPV4, ipv4(6, "10.0.4.1", "10.0.4.2", tcp(40005, 110,
                                                                   b"USER carol\r\n")))),
        pad(ethernet(ETH_IPV4, ipv4(6, "10.0.4.2", "10.0.4.1", tcp(110, 40005,
                                                                   b"+OK\r\n")))),
        pad(ethernet(ETH_IPV4, ipv4(6, "10.0.4.1", "10.0.4.2", tcp(40005, 110, b"PASS s3cret\r\n",
                                                                   seq=1012)))),
        pad(ethernet(ETH_IPV4, ipv4(17, "10.0.5.1", "10.0.5.2", udp(40006, 9999, b"hello")))),
    ] + bulk_transfer()


def bulk_transfer():
    """A TCP conversation of 40 kB and its acknowledgements: totals tshark prints in kB."""
    frames = []
    for i in range(32):
        frames.append(ethernet(ETH_IPV4, ipv4(6, "10.0.7.1", "10.0.7.2",
                                              tcp(40007, 5001, bytes(1250), seq=1 + 1250 * i))))
        if i % 2:
            frames.append(pad(ethernet(ETH_IPV4, ipv4(6, "10.0.7.2", "10.0.7.1",
                                                      tcp(5001, 40007, flags=0x10)))))
    return frames


def fragment_frames():
    """A UDP datagram (DNS) in two IPv4 fragments and one in two IPv6 fragments."""
    datagram = udp(40010, 53, dns_query(0x3333, "fragmented.example.com") + bytes(40))
    first, rest = datagram[:32], datagram[32:]
    v6_first = struct.pack("!BBHI", 17, 0, 0x0001, 0xABCD) + first
    v6_rest = struct.pack("!BBHI", 17, 0, (32 // 8) << 3, 0xABCD) + rest
    return [
        ethernet(ETH_IPV4, ipv4(17, "10.0.6.1", "10.0.6.2", first, ident=77, flags_offset=0x2000)),
        pad(ethernet(ETH_IPV4, ipv4(17, "10.0.6.1", "10.0.6.2", rest, ident=77,
                                    flags_offset=32 // 8))),
        ethernet(ETH_IPV6, ipv6(44, "2001:db8::6", "2001:db8::7", v6_first)),
        ethernet(ETH_IPV6, ipv6(44, "2001:db8::6", "2001:db8::7", v6_rest)),
    ]


def cooked_payloads():
    """(ethertype, network packet) pairs for the Linux cooked captures."""
    return [
        (ETH_IPV4, ipv4(6, "127.0.0.1", "127.0.0.1", tcp(40020, 8080, flags=0x02))),
        (ETH_IPV6, ipv6(17, "::1", "::1", udp(40021, 53, dns_query(0x4444, "cooked.example")))),
        (ETH_IPV4, ipv4(1, "127.0.0.1", "127.0.0.2", icmp_echo(8, 1, 1))),
        (ETH_ARP, arp_request("192.0.2.1", "192.0.2.2")),
    ]


# ---- running the tools ---------------------------------------------------------------------

def pcapgen(path, packets, seed):
    result = run([PYTHON, PCAPGEN, path, packets, seed], timeout=120)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    """Every capture of the differential tests: {name: path}."""
    d = tmp_path_factory.mktemp("captures")
    files = {f"pcapgen-{seed}": pcapgen(d / f"pcapgen-{seed}.pcap", 1500, seed)
             for seed in (1, 2, 7)}
    # Long enough for pcapgen's ports to repeat: conversations of several packets, HTTP requests
    # followed by data in the same conversation.
    files["pcapgen-long"] = pcapgen(d / "pcapgen-long.pcap", 12000, 3)
    files["zoo"] = write_pcap(d / "zoo.pcap", zoo_frames())
    files["zoo-ns"] = write_pcap(d / "zoo-ns.pcap", zoo_frames(), nanoseconds=True)
    files["zoo-pcapng"] = write_pcapng(d / "zoo.pcapng", zoo_frames())
    files["fragments"] = write_pcap(d / "fragments.pcap", fragment_frames())
    files["sll"] = write_pcap(d / "sll.pcap", [sll(t, p) for t, p in cooked_payloads()], 113)
    files["sll2"] = write_pcap(d / "sll2.pcap", [sll2(t, p) for t, p in cooked_payloads()], 276)
    return files


def wirekit(*args, timeout=60):
    return run([WIREKIT, *args], timeout=timeout)


def wirekit_json(*args):
    result = wirekit(*args)
    assert result.returncode == 0, f"wirekit {' '.join(map(str, args))}: {result.stderr}"
    return json.loads(result.stdout)


def tshark_fields(path, *fields, display_filter=None, cut_short=False):
    """tshark's fields, one list per packet. `cut_short`: the file ends inside a record, which
    tshark reports after the packets before it, exiting 2."""
    argv = [*TSHARK, "-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    if display_filter:
        argv += ["-Y", display_filter]
    for field in fields:
        argv += ["-e", field]
    result = run(argv, timeout=120)
    if cut_short:
        assert result.returncode == 2 and "cut short" in result.stderr, result
    else:
        assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


def tshark_packets(path, cut_short=False):
    """Per packet: (source, destination, protocol) as tshark sees it; addresses None without
    an IP layer, the outer one with several."""
    rows = []
    for ip_src, ip_dst, ip6_src, ip6_dst, protocol in tshark_fields(
            path, "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "_ws.col.Protocol",
            cut_short=cut_short):
        src, dst = (ip_src, ip_dst) if ip_src else (ip6_src, ip6_dst)
        rows.append((src or None, dst or None, protocol))
    return rows


def wirekit_packets(path, *extra):
    return [(p["src"], p["dst"], p["protocol"])
            for p in wirekit_json("pcap", "list", path, "--json", *extra)]


# Packets whose name tshark takes from other packets, with tshark's name, wirekit's and why.
KNOWN_DIFFERENCES = {
    # The datagram's last fragment: tshark reassembles it and names the whole datagram.
    ("fragments", 1): ("DNS", "IPv4", "tshark names the reassembled datagram"),
    ("fragments", 3): ("DNS", "IPv6", "tshark names the reassembled datagram"),
}


def compare_packets(name, path):
    ours, theirs = wirekit_packets(path), tshark_packets(path)
    assert len(ours) == len(theirs), (name, len(ours), len(theirs))
    disagreements = []
    for i, (mine, reference) in enumerate(zip(ours, theirs)):
        if (name, i) in KNOWN_DIFFERENCES:
            tshark_name, wirekit_name, _ = KNOWN_DIFFERENCES[(name, i)]
            assert (reference[2], mine[2]) == (tshark_name, wirekit_name), (name, i)
            assert mine[:2] == reference[:2], (name, i, mine, reference)
            continue
        if mine != reference:
            disagreements.append((i + 1, {"wirekit": mine, "tshark": reference}))
    assert not disagreements, f"{name}: {len(disagreements)} packets differ: {disagreements[:10]}"


# ---- per packet ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["pcapgen-1", "pcapgen-2", "pcapgen-7", "pcapgen-long", "zoo",
                                  "zoo-ns", "zoo-pcapng", "fragments", "sll", "sll2"])
def test_source_destination_protocol_as_tshark(captures, name):
    compare_packets(name, captures[name])


def test_tutorial_listing_has_every_packet(captures):
    """`pcap list` without --json: the §14.2 program's three fields for each packet, as many
    lines as tcpdump reads packets."""
    path = captures["pcapgen-1"]
    result = wirekit("pcap", "list", path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    tcpdump = run(["tcpdump", "-r", path, "-nn"], timeout=60)
    assert len(lines) == len(tcpdump.stdout.splitlines())
    for line, (src, dst, protocol) in zip(lines, tshark_packets(path)):
        assert f"Source IP: {src or '-'}" in line and f"Destination IP: {dst or '-'}" in line
        assert f"Protocol: {protocol}" in line


def test_bpf_filter_selects_what_tcpdump_selects(captures, tmp_path):
    for bpf in ("udp port 53", "tcp and not port 80", "icmp or ip6", "vlan and udp"):
        path = captures["pcapgen-2"] if "vlan" not in bpf else captures["zoo"]
        filtered = tmp_path / "filtered.pcap"
        result = run(["tcpdump", "-r", path, "-w", filtered, bpf])
        assert result.returncode == 0, result.stderr
        assert wirekit_packets(path, "-f", bpf) == tshark_packets(filtered), bpf


def test_bad_filter_is_a_usage_error(captures):
    result = wirekit("pcap", "list", captures["zoo"], "-f", "tcp port banana")
    assert result.returncode == 2, result
    assert result.stderr.startswith("wirekit: ") and result.stderr.count("\n") == 1


# ---- conversations, DNS names, credentials --------------------------------------------------

CONV_LINE = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+) (bytes|kB|MB)\s+(\d+)\s+(\d+) "
                       r"(bytes|kB|MB)\s+(\d+)\s+(\d+) (bytes|kB|MB)")
UNITS = {"bytes": 1, "kB": 1000, "MB": 1000000}


def endpoint(text):
    address, _, port = text.rpartition(":")
    return str(ipaddress.ip_address(address)), int(port)


def tshark_conversations(path, protocol):
    """{(A, B): (frames A→B, bytes A→B, frames B→A, bytes B→A, unit of each byte count)}."""
    result = run([*TSHARK, "-r", path, "-q", "-z", f"conv,{protocol}"], timeout=120)
    assert result.returncode == 0, result.stderr
    conversations = {}
    for line in result.stdout.splitlines():
        m = CONV_LINE.match(line)
        if m:
            a, b = endpoint(m[1]), endpoint(m[2])
            # tshark's "<-" columns are B to A, "->" A to B.
            conversations[(a, b)] = (int(m[6]), int(m[7]) * UNITS[m[8]], int(m[3]),
                                     int(m[4]) * UNITS[m[5]], m[8], m[5])
    return conversations


def same_bytes(ours, theirs, unit):
    """tshark rounds totals from 10 kB on; bytes below that are exact."""
    return ours == theirs if unit == "bytes" else abs(ours - theirs) <= UNITS[unit]


@pytest.mark.parametrize("name", ["pcapgen-1", "pcapgen-7", "pcapgen-long", "zoo", "sll2"])
def test_conversations_as_tshark(captures, name):
    stats = wirekit_json("pcap", "stats", captures[name], "--json", "--top", "0")
    for protocol in ("tcp", "udp"):
        reference = tshark_conversations(captures[name], protocol)
        table = stats[f"{protocol}_conversations"]
        assert table["count"] == len(reference) == len(table["conversations"]), protocol
        for c in table["conversations"]:
            key = ((c["a"], c["port_a"]), (c["b"], c["port_b"]))
            assert key in reference, (protocol, key)
            ab_frames, ab_bytes, ba_frames, ba_bytes, ab_unit, ba_unit = reference[key]
            assert (c["frames_a_to_b"], c["frames_b_to_a"]) == (ab_frames, ba_frames), key
            assert same_bytes(c["bytes_a_to_b"], ab_bytes, ab_unit), (key, c, reference[key])
            assert same_bytes(c["bytes_b_to_a"], ba_bytes, ba_unit), (key, c, reference[key])


@pytest.mark.parametrize("name", ["pcapgen-2", "pcapgen-long", "zoo"])
def test_dns_names_and_totals_as_tshark(captures, name):
    path = captures[name]
    stats = wirekit_json("pcap", "stats", path, "--json", "--top", "0")
    asked = Counter(row[0] for row in tshark_fields(path, "dns.qry.name",
                                                     display_filter="dns.flags.response == 0"))
    assert {n["name"]: n["count"] for n in stats["dns_queries"]["names"]} == dict(asked)
    assert stats["dns_queries"]["count"] == len(asked)
    lengths = [int(row[0]) for row in tshark_fields(path, "frame.len")]
    assert stats["packets"] == len(lengths)
    assert stats["bytes"] == sum(lengths)
    protocols = Counter(row[2] for row in tshark_packets(path))
    assert {p["name"]: p["packets"] for p in stats["protocols"]} == dict(protocols)


def test_top_limits_the_lists(captures):
    stats = wirekit_json("pcap", "stats", captures["pcapgen-1"], "--json", "--top", "3")
    assert len(stats["tcp_conversations"]["conversations"]) == 3
    assert stats["tcp_conversations"]["count"] > 3
    assert len(stats["talkers"]["by_bytes"]) == 3


def test_credentials_in_pcapgen_logins(captures):
    """Every plaintext login line of pcapgen's traffic, with the tutorial's two lines."""
    path = captures["pcapgen-1"]
    logins = tshark_fields(path, "ip.dst", "tcp.payload",
                           display_filter="tcp.dstport in {21, 25, 110, 143} and tcp.len > 0")
    assert logins, "pcapgen wrote no logins"
    result = wirekit("pcap", "creds", path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    alerts = [(lines[i], lines[i + 1]) for i in range(len(lines) - 1)
              if lines[i].startswith("[*] Destination: ")]
    expected = [(f"[*] Destination: {dst}", "[*] " + bytes.fromhex(payload.replace(":", ""))
                 .decode().rstrip("\r\n")) for dst, payload in logins]
    assert alerts == expected


def test_credentials_in_hand_built_pop3_session(captures):
    result = wirekit("pcap", "creds", captures["zoo"])
    assert result.returncode == 0, result.stderr
    assert "[*] Destination: 10.0.4.2\n[*] USER carol\n" in result.stdout
    assert "[*] Destination: 10.0.4.2\n[*] PASS s3cret\n" in result.stdout
    assert "+OK" not in result.stdout


def test_credentials_of_every_protocol(tmp_path):
    """HTTP Basic, SMTP AUTH PLAIN, FTP PASS and a lower-case IMAP login: each alerts with its
    destination and the payload (line ends shown escaped, as the tutorial's str() shows them)."""
    basic = base64.b64encode(b"alice:wonderland")
    logins = [("10.1.0.2", 80, b"GET /private HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " +
               basic + b"\r\n\r\n"),
              ("10.1.0.3", 25, b"AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n"),
              ("10.1.0.4", 21, b"PASS ftp-secret\r\n"),
              ("10.1.0.5", 143, b"a1 login bob pw\r\n")]
    frames = [pad(ethernet(ETH_IPV4, ipv4(6, "10.1.0.1", dst, tcp(40100 + i, port, payload))))
              for i, (dst, port, payload) in enumerate(logins)]
    # Not a login: the server's greeting.
    frames.append(pad(ethernet(ETH_IPV4, ipv4(6, "10.1.0.5", "10.1.0.1",
                                              tcp(143, 40103, b"* OK IMAP ready\r\n")))))
    path = write_pcap(tmp_path / "logins.pcap", frames)
    result = wirekit("pcap", "creds", path)
    assert result.returncode == 0, result.stderr
    expected = "".join(f"[*] Destination: {dst}\n[*] "
                       + payload.decode().rstrip("\r\n").replace("\r\n", "\\r\\n") + "\n"
                       for dst, _, payload in logins)
    assert result.stdout == expected


# ---- the HTML report -----------------------------------------------------------------------

def test_html_report_is_one_complete_page(captures, tmp_path):
    report = tmp_path / "report.html"
    result = wirekit("pcap", "stats", captures["pcapgen-7"], "--html", report)
    assert result.returncode == 0, result.stderr
    page = report.read_text()
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert page.rstrip().lower().endswith("</html>")
    assert "<svg" in page
    # Self-contained: nothing is fetched from elsewhere.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I), "external link"
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page, re.I)
    top_talker = wirekit_json("pcap", "stats", captures["pcapgen-7"], "--json")["talkers"][
        "by_bytes"][0]["address"]
    assert top_talker in page
    assert not list(tmp_path.glob("*.part"))


def test_html_report_in_a_missing_directory_fails_cleanly(captures, tmp_path):
    report = tmp_path / "missing" / "report.html"
    result = wirekit("pcap", "stats", captures["zoo"], "--html", report)
    assert result.returncode == 1, result
    assert result.stderr.startswith("wirekit: ") and result.stderr.count("\n") == 1
    assert not report.parent.exists()


# ---- damaged captures ----------------------------------------------------------------------

def one_line_error(result):
    assert result.returncode in (1, 2), result
    assert result.stderr.startswith("wirekit: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def never_crashed(result):
    # A negative code is a signal (SIGSEGV, SIGABRT); 134/139 a shell-reported crash.
    assert result.returncode in (0, 1, 2), result
    if result.returncode:
        one_line_error(result)


def test_capture_cut_mid_record(captures, tmp_path):
    whole = Path(captures["pcapgen-1"]).read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(whole[:len(whole) - 37])
    complete = len(tshark_packets(cut, cut_short=True))
    result = wirekit("pcap", "list", cut, "--json")
    never_crashed(result)
    # The complete records are listed, and the cut is reported, not hidden.
    listed = json.loads(result.stdout)
    assert len(listed) == complete
    assert "cut short" in result.stderr or "truncated" in result.stderr, result.stderr
    result = wirekit("pcap", "stats", cut, "--json")
    never_crashed(result)
    if result.returncode == 0:
        assert json.loads(result.stdout)["packets"] == complete


def test_not_a_capture(tmp_path):
    for name, data in [("bad-magic.pcap", b"\x00\x11\x22\x33" + bytes(40)),
                       ("empty.pcap", b""),
                       ("short-header.pcap", struct.pack("<IHH", 0xA1B2C3D4, 2, 4)),
                       ("text.pcap", b"GET / HTTP/1.1\r\n\r\n" * 4)]:
        path = tmp_path / name
        path.write_bytes(data)
        for command in (["pcap", "list"], ["pcap", "stats"], ["pcap", "creds"]):
            result = wirekit(*command, path)
            assert result.returncode == 2, (name, command, result)
            one_line_error(result)
            assert result.stdout == "", (name, command)


def test_missing_file_is_an_operation_failure(tmp_path):
    result = wirekit("pcap", "stats", tmp_path / "nope.pcap")
    assert result.returncode == 1, result
    assert "No such file" in one_line_error(result)


def test_header_only_capture_is_empty_not_an_error(tmp_path):
    path = write_pcap(tmp_path / "none.pcap", [])
    assert wirekit_json("pcap", "list", path, "--json") == []
    assert wirekit_json("pcap", "stats", path, "--json")["packets"] == 0


def test_frames_cut_short_are_counted_as_truncated(tmp_path):
    """Snap lengths that end inside each header: every frame listed, addresses given only when
    captured whole (null otherwise, never an empty string), the cuts counted.

    Protocol names are not compared here: tshark names a cut packet after the last dissector
    that ran before the cut ("IPv4" when the UDP header is missing, "DNS" for a cut query),
    wirekit after the layer where the cut was found ("UDP" for both), as packet.hpp says. And
    tshark shows ip.src alone when the cut falls between the two addresses; wirekit shows either
    both addresses or none."""
    frames = []
    for full in zoo_frames():
        for keep in (10, 14, 20, 30, 38, 50, 60):
            if keep < len(full):
                frames.append((full[:keep], len(full)))
    path = write_pcap(tmp_path / "snapped.pcap", frames, snaplen=60)
    ours, theirs = wirekit_packets(path), tshark_packets(path)
    assert len(ours) == len(theirs) == len(frames)
    wrong = [(i + 1, mine[:2], reference[:2]) for i, (mine, reference) in enumerate(zip(ours, theirs))
             if mine[:2] != (reference[:2] if reference[1] else (None, None))]
    assert not wrong, f"(packet, wirekit, tshark) addresses: {wrong}"
    stats = wirekit_json("pcap", "stats", path, "--json")
    assert stats["packets"] == len(frames)
    assert stats["truncated"] > 0
    assert stats["captured_bytes"] < stats["bytes"]


def test_cut_dns_query_shows_no_invented_id(tmp_path):
    """A DNS query cut 4 bytes into its header: the ID was captured (tshark: "Standard query
    0x1234"); wirekit may show it or leave it out, but not show another."""
    full = ethernet(ETH_IPV4, ipv4(17, "10.0.0.1", "10.0.0.53",
                                   udp(40000, 53, dns_query(0x1234, "www.example.com"))))
    path = write_pcap(tmp_path / "cut-dns.pcap", [(full[:46], len(full))], snaplen=46)
    assert tshark_fields(path, "_ws.col.Info")[0][0].startswith("Standard query 0x1234")
    info = wirekit_json("pcap", "list", path, "--json")[0]["info"]
    assert re.search(r"0x(?!1234)[0-9a-f]{4}", info) is None, info


def test_impossible_headers_are_counted_as_malformed(tmp_path):
    frames = [
        pad(ethernet(ETH_IPV4, b"\x7f" + bytes(30))),                    # IP version 7
        pad(ethernet(ETH_IPV4, b"\x43" + bytes(30))),                    # header length 12
        pad(ethernet(ETH_IPV4, ipv4(6, "10.9.0.1", "10.9.0.2", tcp(1, 2), total=9))),
        ethernet(ETH_IPV4, ipv4(17, "10.9.0.1", "10.9.0.2",             # DNS pointer loop
                                udp(5000, 53, struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) +
                                    b"\xc0\x0c" + struct.pack("!HH", 1, 1)))),
        pad(ethernet(ETH_IPV4, ipv4(6, "10.9.0.1", "10.9.0.2",          # TCP offset 2 words
                                    struct.pack("!HHIIBBHHH", 1, 2, 0, 0, 0x20, 2, 0, 0, 0)))),
    ]
    path = write_pcap(tmp_path / "malformed.pcap", frames)
    stats = wirekit_json("pcap", "stats", path, "--json")
    assert stats["packets"] == len(frames)
    assert stats["malformed"] + stats["truncated"] >= 4
    for command in (["pcap", "list"], ["pcap", "creds"]):
        never_crashed(wirekit(*command, path))


def test_damaged_captures_never_crash(captures, tmp_path):
    """Seeded random damage to a real capture: bytes flipped, records cut, lengths garbled."""
    whole = bytearray(Path(captures["zoo"]).read_bytes())
    rng = random.Random(7)
    for attempt in range(40):
        data = bytearray(whole)
        for _ in range(rng.randrange(1, 12)):
            data[rng.randrange(24, len(data))] = rng.randrange(256)
        if attempt % 4 == 0:
            data = data[:rng.randrange(24, len(data))]
        if attempt % 5 == 0:  # a record claiming 2 GB
            data[32:36] = struct.pack("<I", 0x7FFFFFF0)
        path = tmp_path / f"damaged-{attempt}.pcap"
        path.write_bytes(bytes(data))
        for command in (["pcap", "list", "--json"], ["pcap", "stats", "--json"],
                        ["pcap", "creds"]):
            never_crashed(wirekit(*command[:2], path, *command[2:]))


# ---- live capture on loopback ---------------------------------------------------------------

def can_capture():
    """None when this process may capture on lo, else the reason it may not."""
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.close()
        return None
    except PermissionError:
        return "no CAP_NET_RAW: live capture needs it (run as root or setcap the binary)"
    except OSError as e:
        return f"packet sockets unavailable here: {e}"


def loopback_listener(port):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    return listener


def send_until(listener, payload, done, deadline=15):
    """Connects to `listener`, sends `payload` and closes, again and again until done() says
    so (a capture starts a little after its launch, and must see a whole exchange)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with socket.create_connection(listener.getsockname()) as client:
            server, _ = listener.accept()
            client.sendall(payload)
            server.recv(100)
            server.close()
        if done():
            return True
        time.sleep(0.1)
    return False


def exited(process):
    return lambda: process.proc.poll() is not None


def alerted(process, destination, payload):
    """done() for send_until: the process printed the two lines of the tutorial's alert, in
    order, among whatever else it printed."""
    previous = [None]

    def check():
        try:
            while True:
                line = process.line(timeout=0.5)
                if previous[0] == destination and line == payload:
                    return True
                previous[0] = line
        except TimeoutError:
            return False
    return check


@pytest.mark.skipif(can_capture() is not None, reason=str(can_capture()))
def test_live_capture_on_loopback(spawn, tmp_path):
    port = free_port()
    sniff = spawn([WIREKIT, "sniff", "-i", "lo", "-f", f"tcp port {port}", "-c", "6",
                   "--duration", "20s"])
    with loopback_listener(port) as listener:
        send_until(listener, b"hello", exited(sniff))
    assert sniff.wait(timeout=25) == 0, sniff.stderr_text
    lines = []
    while not sniff.lines.empty():
        lines.append(sniff.lines.get())
    assert len(lines) == 6, lines
    assert all("127.0.0.1" in line and "TCP" in line for line in lines), lines
    assert any(str(port) in line for line in lines)


@pytest.mark.skipif(can_capture() is not None, reason=str(can_capture()))
@pytest.mark.parametrize("interface", ["lo", "any"])  # Ethernet, and Linux cooked capture v2
def test_live_capture_to_a_file_tshark_reads(spawn, tmp_path, interface):
    port = free_port()
    out = tmp_path / "live.pcap"
    sniff = spawn([WIREKIT, "sniff", "-i", interface, "-f", f"tcp port {port}", "-c", "10",
                   "-w", out, "--duration", "20s"])
    with loopback_listener(port) as listener:
        send_until(listener, b"written to a file", exited(sniff))
    assert sniff.wait(timeout=25) == 0, sniff.stderr_text
    rows = tshark_fields(out, "tcp.srcport", "tcp.dstport")
    assert len(rows) == 10
    assert all(str(port) in row for row in rows)
    assert wirekit_packets(out) == tshark_packets(out)
    assert not (tmp_path / "live.pcap.part").exists()


@pytest.mark.skipif(can_capture() is not None, reason=str(can_capture()))
def test_live_capture_keeps_snaplen_bytes(spawn, tmp_path):
    port = free_port()
    out = tmp_path / "snapped.pcap"
    sniff = spawn([WIREKIT, "sniff", "-i", "lo", "-f", f"tcp port {port}", "-c", "8", "-w", out,
                   "--snaplen", "64", "--no-promisc", "--duration", "20s"])
    with loopback_listener(port) as listener:
        send_until(listener, bytes(1000), exited(sniff))
    assert sniff.wait(timeout=25) == 0, sniff.stderr_text
    lengths = [(int(c), int(w)) for c, w in tshark_fields(out, "frame.cap_len", "frame.len")]
    assert len(lengths) == 8 and all(captured <= 64 for captured, _ in lengths)
    assert any(wire > 1000 for _, wire in lengths), lengths
    stats = wirekit_json("pcap", "stats", out, "--json")
    assert stats["bytes"] == sum(w for _, w in lengths)
    assert stats["captured_bytes"] == sum(c for c, _ in lengths)


@pytest.mark.skipif(can_capture() is not None, reason=str(can_capture()))
def test_live_credential_sniffer_on_loopback(spawn):
    port = free_port()
    sniff = spawn([WIREKIT, "sniff", "-i", "lo", "-f", f"tcp port {port}", "--creds",
                   "--duration", "20s"])
    with loopback_listener(port) as listener:
        found = send_until(listener, b"USER alice\r\n",
                           alerted(sniff, "[*] Destination: 127.0.0.1", "[*] USER alice"))
    assert found, "no credential alert"
    sniff.stop()


def test_capture_without_permission_names_cap_net_raw():
    if os.getuid() != 0:
        result = wirekit("sniff", "-i", "lo", "-c", "1", "--duration", "2s")
    else:
        # Root can drop the capability to show what an ordinary user sees.
        result = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                      "--inh-caps=-all", "--bounding-set=-net_raw,-net_admin", WIREKIT,
                      "sniff", "-i", "lo", "-c", "1", "--duration", "2s"])
    if result.returncode == 0:
        pytest.skip("this user may capture: no refusal to show")
    assert result.returncode == 1, result
    assert "CAP_NET_RAW" in one_line_error(result)


def test_unknown_interface_is_a_usage_error():
    if can_capture() is not None:
        pytest.skip(can_capture())
    result = wirekit("sniff", "-i", "no-such-if0", "-c", "1", "--duration", "2s")
    assert result.returncode == 2, result
    assert "no-such-if0" in one_line_error(result)


# ---- the tutorial's programs (examples/) -----------------------------------------------------

def test_pcap_analysis_example_prints_what_pyshark_would(captures):
    """§14.2: Source IP, Destination IP and Protocol (pyshark's transport_layer) for each of the
    first 10 packets that have an IPv4 layer (pyshark's packet.ip raises otherwise)."""
    path = captures["zoo"]
    result = run([EXAMPLES / "pcap_analysis", path])
    assert result.returncode == 0, result.stderr
    expected = []
    for src, dst, protocols in tshark_fields(path, "ip.src", "ip.dst", "frame.protocols")[:10]:
        if src:
            transport = next((t.upper() for t in protocols.split(":")
                              if t in ("tcp", "udp", "sctp")), "None")
            expected += [f"Source IP: {src}", f"Destination IP: {dst}", f"Protocol: {transport}",
                         "---"]
    assert result.stdout.splitlines() == expected


def test_connections_example_prints_what_the_psutil_program_prints():
    """§9.2: the example and the tutorial's psutil program print the same block for each of
    this test's sockets (a UDP one too: psutil says NONE for any UDP socket)."""
    require_module("psutil", "python3-psutil")
    with socket.socket() as listener, socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as udp:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        udp.connect(("::1", 9))
        with socket.create_connection(listener.getsockname()) as client, listener.accept()[0]:
            ours = run([EXAMPLES / "connections"])
            theirs = run(tutorial("monitor_connections.py"))
            own = {f"Local address: addr(ip='{s.getsockname()[0]}', port={s.getsockname()[1]})"
                   for s in (listener, client, udp)}
    assert ours.returncode == 0 and theirs.returncode == 0, (ours.stderr, theirs.stderr)

    def own_blocks(output):
        return sorted(block for block in output.split("---\n") if block.split("\n")[0] in own)

    assert len(own_blocks(theirs.stdout)) == 4, theirs.stdout
    assert own_blocks(ours.stdout) == own_blocks(theirs.stdout)


@pytest.mark.skipif(can_capture() is not None, reason=str(can_capture()))
def test_sniffer_example_alerts_on_a_pop3_login(spawn):
    """§9.1 on loopback: the tutorial's filter (tcp port 110, 25 or 143) and its two lines."""
    try:
        listener = loopback_listener(110)
    except OSError as e:
        pytest.skip(f"cannot listen on port 110: {e}")
    with listener:
        sniffer = spawn([EXAMPLES / "sniffer", "lo"])
        # Other programs on this machine may talk to ports 25, 110 and 143 on lo meanwhile:
        # their alerts may come first.
        found = send_until(listener, b"PASS hunter2\r\n",
                           alerted(sniffer, "[*] Destination: 127.0.0.1", "[*] PASS hunter2"))
    assert found, "the sniffer printed no alert"
