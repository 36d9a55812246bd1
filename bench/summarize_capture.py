"""Medians and ratios of the capture benchmark: wirekit pcap stats against tshark's conversation
table, wirekit pcap list against tshark's fields and tcpdump, on pcapgen's 1,000,000 packets."""
import sys

from benchlib import Medians, read_lines

m = Medians()
for f in read_lines(sys.argv[1], "capture"):
    if f["seconds"]:
        m.add((f["op"], f["peer"]), float(f["seconds"]))

print(f"{'command':36} {'median s':>9} {'runs':>5}")
for op, peer, what in [("stats", "wirekit", "wirekit pcap stats"),
                       ("stats_all", "wirekit", "wirekit pcap stats --top 0"),
                       ("stats", "tshark", "tshark -q -z conv,tcp"),
                       ("list", "wirekit", "wirekit pcap list"),
                       ("list", "tshark", "tshark -T fields ip.src ip.dst Protocol"),
                       ("list", "tcpdump", "tcpdump -r -nn")]:
    print(f"{what:36} {m.median((op, peer)):9.3f} {m.count((op, peer)):5}")
print()
for op, peer, target, what in [("stats", "tshark", 20, "pcap stats / tshark conv,tcp"),
                               ("stats_all", "tshark", 20, "pcap stats --top 0 / tshark conv,tcp"),
                               ("list", "tshark", 20, "pcap list / tshark fields"),
                               ("list", "tcpdump", 5, "pcap list / tcpdump -nn")]:
    ours = m.median((op, "wirekit"))
    theirs = m.median((op.split("_")[0], peer))
    print(f"{what:38} {theirs / ours:6.1f}x (target >= {target}x)")
