"""Slow and abusive clients against wirekit and nginx, side by side (hardening issue, items 10
and 11): a soak, not a test. bench/run.sh slow runs it; on its own:

  /usr/bin/python3 bench/slow_clients.py --wirekit PATH [--only REGEX] [--round N]
      [--measure S] [--connections N] [--scans] >> slow.raw

Each line of the issue ("slowloris", "slowbody", "slowread", "range", "tls_idle",
"tls_half_hello", "tls_renegotiation", "tls_sni_256", "tls_sni_64k", "tls_legacy", and, with
--scans, "tls_scan_ecdsa", "tls_scan_rsa") runs against a freshly started server of each peer:
`taskset -c 0 wirekit http serve DIR --threads 1` and nginx 1.22 (one worker, no master), both
serving the same DIR (index.html, a 1 MiB 1m.bin) and, for the TLS lines, the same certificate.
For each: the normal client (bench/slow_probe.py, CPU 1) measures the unloaded p99, then the
attack starts (CPU 1), and once its connections are up the normal client measures again while
/proc/PID/status VmRSS is sampled; RSS after is read once the attack has ended and closed its
connections. A server that exits during a line has crashed.

Prints one key=value line per line and peer (bench/summarize_slow.py reads them); the scans'
findings go to OUT/slow_scans.json and the attack tools' own output to OUT/slow/.
"""
import argparse
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
PORTS = {("http", "wirekit"): 18610, ("http", "nginx"): 18611,
         ("tls", "wirekit"): 18620, ("tls", "nginx"): 18621}
PEERS = ("wirekit", "nginx")

NGINX_CONF = """daemon off; master_process off; worker_processes 1; pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{ access_log off; sendfile on; include /etc/nginx/mime.types;
  client_body_temp_path {tmp}/b; proxy_temp_path {tmp}/p; fastcgi_temp_path {tmp}/f;
  uwsgi_temp_path {tmp}/u; scgi_temp_path {tmp}/s;
  server {{ listen 127.0.0.1:{port}{ssl}; root {root}; {tls} }} }}
"""


class Server:
    """One peer's server, pinned to CPU 0, with its RSS sampled while `sampling`."""

    def __init__(self, peer, kind, ctx, cert):
        self.peer, self.kind = peer, kind
        self.port = PORTS[(kind, peer)]
        self.scheme = "https" if kind == "tls" else "http"
        self.log = open(os.path.join(ctx.logs, f"{peer}.{kind}.server.log"), "ab")
        if peer == "wirekit":
            command = [ctx.wirekit, "http", "serve", ctx.root, "--bind", "127.0.0.1",
                       "--port", str(self.port), "--threads", "1"]
            if kind == "tls":
                command += ["--tls-cert", cert[0], "--tls-key", cert[1]]
        else:
            tmp = tempfile.mkdtemp(dir=ctx.tmp, prefix="nginx.")
            tls = ""
            if kind == "tls":
                tls = (f"ssl_certificate {cert[0]}; ssl_certificate_key {cert[1]}; "
                       "ssl_protocols TLSv1.2 TLSv1.3;")
            with open(os.path.join(tmp, "nginx.conf"), "w") as f:
                f.write(NGINX_CONF.format(tmp=tmp, port=self.port, root=ctx.root, tls=tls,
                                          ssl=" ssl" if kind == "tls" else ""))
            command = ["nginx", "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"),
                       "-e", os.path.join(tmp, "error.log")]
        self.command = command
        self.process = subprocess.Popen(["taskset", "-c", "0"] + command, stdout=self.log,
                                        stderr=self.log)
        self.peak = 0
        self._sampling = False
        self._wait_listening()

    def _wait_listening(self):
        for _ in range(100):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.peer} exited at start: {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.peer} does not listen on {self.port}")

    def url(self, path="/index.html"):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def rss_kib(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def start_sampling(self):
        self.peak = self.rss_kib()
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self):
        while self._sampling:
            self.peak = max(self.peak, self.rss_kib())
            time.sleep(0.1)

    def stop_sampling(self):
        self._sampling = False
        self._sampler.join()

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        crashed = self.process.poll()
        if crashed is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return crashed


def probe(url, seconds, rate):
    """The normal client on CPU 1 (bench/slow_probe.py): its JSON result."""
    out = subprocess.run(["taskset", "-c", "1", PYTHON, os.path.join(HERE, "slow_probe.py"), url,
                          str(seconds), "--rate", str(rate)], capture_output=True, text=True,
                         timeout=seconds + 30)
    return json.loads(out.stdout)


def slowhttptest_args(line, server, ctx):
    """slowhttptest's options for one line: man page example rates, ctx.connections."""
    common = ["-c", str(ctx.connections), "-r", "200", "-p", "3",
              "-l", str(ctx.ramp + ctx.measure + 2)]
    return {
        "slowloris": ["-H", "-i", "10", "-x", "24", "-u", server.url()],
        "slowbody": ["-B", "-i", "10", "-s", "8192", "-x", "10", "-t", "POST",
                     "-u", server.url()],
        "slowread": ["-X", "-w", "512", "-y", "1024", "-n", "5", "-z", "32", "-k", "3",
                     "-u", server.url("/1m.bin")],
        "range": ["-R", "-a", "10", "-b", "3000", "-t", "GET", "-u", server.url("/1m.bin")],
    }[line] + common


def read_slowhttptest_csv(path, ramp):
    """Connected at most, closed at the end, and the share of seconds after the ramp in which
    slowhttptest's own probe found the service available."""
    rows = list(csv.DictReader(open(path)))
    after_ramp = [r for r in rows if int(r["Seconds"]) >= ramp] or rows
    return {
        "sht_connected_max": max(int(r["Connected"]) for r in rows),
        "sht_closed_end": int(rows[-1]["Closed"]),
        "sht_available_pct": round(100 * sum(int(r["Service Available"]) > 0 for r in after_ramp)
                                   / len(after_ramp), 1),
    }


class Attack:
    """An attacking process on CPU 1, started now; result() waits for it (bounded)."""

    def __init__(self, command, log_path, timeout):
        self.log = open(log_path, "w")
        self.command = command
        self.timeout = timeout
        self.process = subprocess.Popen(["taskset", "-c", "1"] + command, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True)

    def result(self):
        try:
            out, _ = self.process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        self.log.write(out)
        self.log.close()
        return out


def run_attack(line, peer, kind, ctx, make_attack, cert=None, summarize=None):
    """The common frame of a loaded line: fresh server, unloaded probe, attack, loaded probe,
    RSS; returns the fields of its output line."""
    server = Server(peer, kind, ctx, cert or ctx.certs["ecdsa"])
    fields = {}
    try:
        probe(server.url(), 1, ctx.rate)  # warm-up
        base = probe(server.url(), ctx.base, ctx.rate)
        rss_before = server.rss_kib()
        server.start_sampling()
        attack = make_attack(server)
        time.sleep(ctx.ramp)
        loaded = probe(server.url(), ctx.measure, ctx.rate)
        output = attack.result()
        time.sleep(ctx.settle)  # the attack's sockets close; the server frees their state
        server.stop_sampling()
        fields.update({
            "attempts": loaded["attempts"], "ok": loaded["ok"],
            "success_pct": round(100 * loaded["ok"] / max(loaded["attempts"], 1), 2),
            "p99_ms": loaded["p99_ms"], "p50_ms": loaded["p50_ms"],
            "base_p99_ms": base["p99_ms"], "base_p50_ms": base["p50_ms"],
            "base_success_pct": round(100 * base["ok"] / max(base["attempts"], 1), 2),
            "failures": ",".join(f"{k}:{v}" for k, v in sorted(loaded["failures"].items())) or "-",
            "rss_before_kib": rss_before, "rss_peak_kib": server.peak,
            "rss_after_kib": server.rss_kib(),
        })
        if summarize:
            fields.update(summarize(output))
    finally:
        exit_code = server.stop()
    fields["crashed"] = 0 if exit_code is None else 1
    if exit_code is not None:
        fields["exit"] = exit_code
    return fields


def line_slowhttptest(line, peer, ctx):
    prefix = os.path.join(ctx.logs, f"{line}.{peer}.r{ctx.round}")

    def make(server):
        command = ["slowhttptest", "-g", "-o", prefix] + slowhttptest_args(line, server, ctx)
        ctx.commands.add(f"{line}: taskset -c 1 " + " ".join(command).replace(prefix, "PREFIX"))
        return Attack(command, prefix + ".log", ctx.ramp + ctx.measure + 60)

    def summarize(output):
        text = re.sub(r"\x1b\[[0-9;]*m", "", output)
        status = re.search(r"Exit status: *(.+)", text)
        fields = read_slowhttptest_csv(prefix + ".csv", ctx.ramp)
        fields["sht_exit"] = (status.group(1).strip() if status else "none").replace(" ", "_")
        return fields

    return run_attack(line, peer, "http", ctx, make, summarize=summarize)


def line_tls_hold(line, peer, ctx):
    send = "nothing" if line == "tls_idle" else "half-hello"
    seconds = ctx.ramp + ctx.measure

    def make(server):
        command = [PYTHON, os.path.join(HERE, "tls_abuse.py"), "hold", str(server.port),
                   str(ctx.connections), str(seconds), "--send", send]
        ctx.commands.add(f"{line}: taskset -c 1 " + " ".join(command))
        return Attack(command, os.path.join(ctx.logs, f"{line}.{peer}.r{ctx.round}.log"),
                      seconds + 60)

    def summarize(output):
        result = json.loads(output)
        return {k: result[k] if result[k] is not None else "none"
                for k in ("opened", "closed_by_server", "held_at_end", "first_close_s")}

    return run_attack(line, peer, "tls", ctx, make, summarize=summarize)


def line_tls_sni(line, peer, ctx):
    length = 256 if line == "tls_sni_256" else 65000

    def make(server):
        command = [PYTHON, os.path.join(HERE, "tls_abuse.py"), "sni", str(server.port),
                   str(length), "--seconds", str(ctx.measure + 1), "--count", "200000",
                   "--threads", "4"]
        ctx.commands.add(f"{line}: taskset -c 1 " + " ".join(command))
        return Attack(command, os.path.join(ctx.logs, f"{line}.{peer}.r{ctx.round}.log"),
                      ctx.measure + 60)

    def summarize(output):
        result = json.loads(output)
        answers = ",".join(f"{k}:{v}" for k, v in sorted(result["answers"].items()))
        return {"hellos": result["hellos"], "hello_bytes": result["hello_bytes"],
                "answers": answers, "hello_median_ms": result["median_ms"]}

    saved, ctx.ramp = ctx.ramp, 1  # the hellos start at once
    try:
        return run_attack(line, peer, "tls", ctx, make, summarize=summarize)
    finally:
        ctx.ramp = saved


RENEGOTIATE = ("import sys, time\nsys.stdout.write('R\\n'); sys.stdout.flush(); time.sleep(0.5)\n"
               "sys.stdout.write('GET /index.html HTTP/1.0\\n\\n'); sys.stdout.flush(); "
               "time.sleep(0.5)\n")


def renegotiate_once(port):
    """openssl s_client -tls1_2, then 'R' (client-initiated renegotiation), then a request:
    what became of the renegotiation and of the connection."""
    feeder = subprocess.Popen([PYTHON, "-c", RENEGOTIATE], stdout=subprocess.PIPE)
    out = subprocess.run(["openssl", "s_client", "-tls1_2", "-connect", f"127.0.0.1:{port}",
                          "-servername", "localhost", "-crlf"], stdin=feeder.stdout,
                         capture_output=True, text=True, timeout=15)
    feeder.wait()
    text = out.stdout + out.stderr
    after = text.split("RENEGOTIATING", 1)[1] if "RENEGOTIATING" in text else ""
    if "no renegotiation" in after:
        outcome = "refused_alert"
    elif "HTTP/1.1 200" in after:
        outcome = "accepted"
    elif "RENEGOTIATING" in text:
        outcome = "closed"
    else:
        outcome = "no_session"
    secure = "yes" if "Secure Renegotiation IS supported" in text else "no"
    return outcome, secure


def line_tls_renegotiation(line, peer, ctx):
    class Flood:
        """Renegotiation attempts, one after another, during the loaded probe (bounded)."""

        def __init__(self, server):
            self.outcomes = {}
            self.secure = "?"
            self.end = time.monotonic() + ctx.ramp + ctx.measure
            self.thread = threading.Thread(target=self.run, args=(server.port,))
            self.thread.start()

        def run(self, port):
            for _ in range(500):
                if time.monotonic() > self.end:
                    break
                outcome, self.secure = renegotiate_once(port)
                self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

        def result(self):
            self.thread.join()
            return self

    ctx.commands.add(f"{line}: (echo R; sleep 0.5; echo 'GET /index.html HTTP/1.0'; echo; "
                     "sleep 0.5) | openssl s_client -tls1_2 -connect 127.0.0.1:PORT "
                     "-servername localhost -crlf, repeated for the loaded probe's duration")

    def summarize(flood):
        return {"renegotiations": ",".join(f"{k}:{v}" for k, v in sorted(flood.outcomes.items())),
                "secure_renegotiation": flood.secure}

    return run_attack(line, peer, "tls", ctx, Flood, summarize=summarize)


def legacy_once(port, flag):
    out = subprocess.run(["openssl", "s_client", flag, "-cipher", "DEFAULT@SECLEVEL=0",
                          "-connect", f"127.0.0.1:{port}", "-servername", "localhost"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=15)
    text = out.stdout + out.stderr
    protocol = re.search(r"Protocol *: *(\S+)", text)
    cipher = re.search(r"Cipher is (\S+)", text)
    if cipher and cipher.group(1) != "(NONE)":
        return f"accepted:{protocol.group(1) if protocol else '?'}:{cipher.group(1)}"
    alert = re.search(r"alert ([a-z ]+)", text)
    return "refused:" + (alert.group(1).strip().replace(" ", "_") if alert else "no_alert")


def line_tls_legacy(line, peer, ctx):
    """TLS 1.0- and 1.1-only clients: each refused (how) or served; the server stays up."""
    server = Server(peer, "tls", ctx, ctx.certs["ecdsa"])
    fields = {}
    try:
        rss_before = server.rss_kib()
        for flag in ("-tls1", "-tls1_1"):
            fields[flag.lstrip("-")] = legacy_once(server.port, flag)
        ctx.commands.add(f"{line}: openssl s_client -tls1|-tls1_1 -cipher DEFAULT@SECLEVEL=0 "
                         "-connect 127.0.0.1:PORT -servername localhost </dev/null")
        after = probe(server.url(), 2, ctx.rate)
        fields.update({"success_after_pct": round(100 * after["ok"] / max(after["attempts"], 1), 2),
                       "rss_before_kib": rss_before, "rss_after_kib": server.rss_kib()})
    finally:
        exit_code = server.stop()
    fields["crashed"] = 0 if exit_code is None else 1
    return fields


def testssl_findings(path):
    wanted = re.compile(r"^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3|NPN|ALPN|cipherlist_.*|FS|"
                        r"FS_ciphers|FS_ECDHE_curves|heartbleed|CCS|ticketbleed|ROBOT|"
                        r"secure_renego|secure_client_renego|CRIME_TLS|BREACH|POODLE_SSL|"
                        r"fallback_SCSV|SWEET32|FREAK|DROWN|LOGJAM.*|BEAST.*|LUCKY13|RC4|"
                        r"scanProblem|scanTime)$")
    try:
        entries = json.load(open(path))
    except (OSError, ValueError):
        return {"testssl": "FAILED (no JSON)"}
    return {e["id"]: f"{e['severity']}: {e['finding']}" for e in entries if wanted.match(e["id"])}


def sslscan_findings(path):
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return {"sslscan": "FAILED (no XML)"}
    test = root.find("ssltest")
    found = {}
    for p in test.findall("protocol"):
        found[f"sslscan {p.get('type')}{p.get('version')}"] = (
            "enabled" if p.get("enabled") == "1" else "disabled")
    for tag, attrs in (("renegotiation", ("supported", "secure")), ("compression", ("supported",)),
                       ("fallback", ("supported",))):
        element = test.find(tag)
        if element is not None:
            found["sslscan " + tag] = " ".join(f"{a}={element.get(a)}" for a in attrs)
    ciphers = [f"{c.get('sslversion')} {c.get('cipher')}" for c in test.findall("cipher")
               if c.get("status") in ("accepted", "preferred")]
    found["sslscan ciphers"] = "; ".join(ciphers)
    heartbleed = [h.get("vulnerable") for h in test.findall("heartbleed")]
    found["sslscan heartbleed"] = "vulnerable" if "1" in heartbleed else "not vulnerable"
    return found


def line_tls_scan(line, peer, ctx):
    key = line.rsplit("_", 1)[1]
    server = Server(peer, "tls", ctx, ctx.certs[key])
    prefix = os.path.join(ctx.logs, f"{line}.{peer}")
    try:
        for stale in (prefix + ".testssl.json", prefix + ".sslscan.xml"):
            if os.path.exists(stale):
                os.remove(stale)
        testssl = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--jsonfile",
                   prefix + ".testssl.json", "-p", "-s", "-f", "-U", f"127.0.0.1:{server.port}"]
        sslscan = ["sslscan", "--no-colour", f"--xml={prefix}.sslscan.xml",
                   f"127.0.0.1:{server.port}"]
        ctx.commands.add(f"{line}: taskset -c 1 " + " ".join(testssl).replace(prefix, "OUT/slow/X"))
        ctx.commands.add(f"{line}: taskset -c 1 " + " ".join(sslscan).replace(prefix, "OUT/slow/X"))
        rss_before = server.rss_kib()
        server.start_sampling()
        for command, suffix in ((testssl, ".testssl.out"), (sslscan, ".sslscan.out")):
            with open(prefix + suffix, "w") as out:
                subprocess.run(["taskset", "-c", "1"] + command, stdout=out,
                               stderr=subprocess.STDOUT, timeout=600)
        server.stop_sampling()
        findings = testssl_findings(prefix + ".testssl.json")
        findings.update(sslscan_findings(prefix + ".sslscan.xml"))
        ctx.scans[f"{line} {peer}"] = findings
        fields = {"rss_before_kib": rss_before, "rss_peak_kib": server.peak,
                  "rss_after_kib": server.rss_kib(), "findings": len(findings)}
    finally:
        exit_code = server.stop()
    fields["crashed"] = 0 if exit_code is None else 1
    return fields


LINES = {
    "slowloris": line_slowhttptest, "slowbody": line_slowhttptest,
    "slowread": line_slowhttptest, "range": line_slowhttptest,
    "tls_idle": line_tls_hold, "tls_half_hello": line_tls_hold,
    "tls_renegotiation": line_tls_renegotiation,
    "tls_sni_256": line_tls_sni, "tls_sni_64k": line_tls_sni,
    "tls_legacy": line_tls_legacy,
    "tls_scan_ecdsa": line_tls_scan, "tls_scan_rsa": line_tls_scan,
}
SCANS = ("tls_scan_ecdsa", "tls_scan_rsa")


def prepare(ctx):
    """The served directory and the certificates (ECDSA P-256 from wirekit, RSA-2048)."""
    ctx.root = os.path.join(ctx.tmp, "www")
    os.makedirs(ctx.root)
    with open(os.path.join(ctx.root, "index.html"), "w") as f:
        f.write("<!doctype html><title>wirekit</title><p>" + "Hello, slow world. " * 20 + "\n")
    with open(os.path.join(ctx.root, "1m.bin"), "wb") as f:
        f.write(os.urandom(1 << 20))
    pki = os.path.join(ctx.tmp, "pki")
    subprocess.run([ctx.wirekit, "tls", "selfsigned", "-o", pki], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", os.path.join(pki, "rsa-key.pem"),
                    "-out", os.path.join(pki, "rsa-cert.pem")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx.certs = {"ecdsa": (os.path.join(pki, "cert.pem"), os.path.join(pki, "key.pem")),
                 "rsa": (os.path.join(pki, "rsa-cert.pem"), os.path.join(pki, "rsa-key.pem"))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wirekit", required=True)
    parser.add_argument("--out", required=True, help="directory for logs, scans and commands")
    parser.add_argument("--only", default="", help="regex: the lines to run")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--round", type=int, default=1)
    parser.add_argument("--scans", dest="run_scans", action="store_true",
                        help="also the testssl.sh and sslscan lines")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--base", type=float, default=6, help="seconds of the unloaded probe")
    parser.add_argument("--ramp", type=float, default=6, help="seconds before the loaded probe")
    parser.add_argument("--measure", type=float, default=12, help="seconds of the loaded probe")
    parser.add_argument("--settle", type=float, default=3, help="seconds before RSS after")
    parser.add_argument("--rate", type=float, default=50, help="normal requests per second")
    ctx = parser.parse_args()
    ctx.logs = os.path.join(ctx.out, "slow")
    os.makedirs(ctx.logs, exist_ok=True)
    ctx.tmp = tempfile.mkdtemp(prefix="wirekit-slow.")
    ctx.commands, ctx.scans = set(), {}
    scans_path = os.path.join(ctx.out, "slow_scans.json")
    if os.path.exists(scans_path):
        ctx.scans = json.load(open(scans_path))
    try:
        prepare(ctx)
        selected = [line for line in LINES if re.search(ctx.only, line)
                    and (ctx.run_scans or line not in SCANS)]
        for line in selected:
            for peer in ctx.peers.split(","):
                try:
                    fields = LINES[line](line, peer, ctx)
                except Exception as e:  # one failing line does not end the soak
                    fields = {"FAILED": repr(e).replace(" ", "_")}
                text = " ".join(f"{k}={v}" for k, v in fields.items())
                print(f"slow line={line} peer={peer} round={ctx.round} {text}", flush=True)
                print(f"slow: {line} {peer} done", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
        with open(scans_path, "w") as f:
            json.dump(ctx.scans, f, indent=1, sort_keys=True)
        with open(os.path.join(ctx.out, "slow.commands"), "a") as f:
            f.writelines(c + "\n" for c in sorted(ctx.commands))


if __name__ == "__main__":
    main()
