"""Medians and ratios of the token benchmark: wirekit's token_bench against cryptography's
Fernet and PyJWT (bench_tokens.py), and RS256/ES256 against `openssl speed`, the ceiling."""
import sys

from benchlib import Medians, read_lines

m = Medians()
for f in read_lines(sys.argv[1], "tokens"):
    peer = "wirekit" if f["peer"] == "wirekit" else "python"
    case = f.get("size") or f.get("alg")
    m.add((peer, f["op"], case), float(f["ops_s"]))
for f in read_lines(sys.argv[1], "openssl_speed"):
    m.add(("openssl", "sign", f["alg"]), float(f["sign_s"]))
    m.add(("openssl", "verify", f["alg"]), float(f["verify_s"]))

print(f"{'operation':28} {'wirekit ops/s':>14} {'Python ops/s':>13} {'ratio':>7}")
for op, case in [("fernet_encrypt", "64"), ("fernet_decrypt", "64"), ("fernet_encrypt", "16384"),
                 ("fernet_decrypt", "16384"), ("jwt_encode", "HS256"), ("jwt_decode", "HS256"),
                 ("jwt_encode", "RS256"), ("jwt_decode", "RS256"), ("jwt_encode", "ES256"),
                 ("jwt_decode", "ES256")]:
    w, p = m.median(("wirekit", op, case)), m.median(("python", op, case))
    print(f"{op + ' ' + case:28} {w:14.0f} {p:13.0f} {w / p:6.1f}x")
print()
for op, case in [("fernet_encrypt", "64"), ("fernet_decrypt", "64"), ("jwt_encode", "HS256"),
                 ("jwt_decode", "HS256")]:
    ratio = m.median(("wirekit", op, case)) / m.median(("python", op, case))
    print(f"{op} {case} / Python:{'':14} {ratio:6.1f}x (target >= 10x)")
for op, alg, speed_op, speed_alg in [("jwt_encode", "RS256", "sign", "rsa2048"),
                                     ("jwt_decode", "RS256", "verify", "rsa2048"),
                                     ("jwt_encode", "ES256", "sign", "ecdsap256"),
                                     ("jwt_decode", "ES256", "verify", "ecdsap256")]:
    w, o = m.median(("wirekit", op, alg)), m.median(("openssl", speed_op, speed_alg))
    print(f"{op} {alg} / openssl speed {speed_alg} {speed_op}: {w / o:5.2f}x ({w:.0f} vs {o:.0f}; target >= 0.9x)")
