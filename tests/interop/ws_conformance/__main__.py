"""Runs cases by hand, to reproduce one or to try another implementation:

    cd tests/interop
    /usr/bin/python3 -m ws_conformance server --port 9001 [--cases 6.4 9.1.4] [-v]
    /usr/bin/python3 -m ws_conformance client --command 'wirekit ws connect {url} --echo' [...]

server mode connects to a WebSocket server on 127.0.0.1:PORT; client mode starts COMMAND once
per case, with {url} replaced by the fuzzing server's URL for that case. -v prints every case,
not only those that did not pass."""
import argparse
import shlex
import subprocess
import sys

from . import cases, runner
from .endpoints import FuzzingServer
from .session import PASS


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ws_conformance")
    parser.add_argument("mode", choices=["server", "client"])
    parser.add_argument("--port", type=int, help="server mode: the server's port")
    parser.add_argument("--command", help="client mode: the client's command line, with {url}")
    parser.add_argument("--cases", nargs="*", default=[],
                        help="case ids or id prefixes (6.4, 9.1.4); default: every case")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    selected = [c for g in cases.GROUPS for c in cases.CASES[g] if args.mode in c.modes and (
        not args.cases or any(c.id == p or c.id.startswith(p + ".") for p in args.cases))]
    server = FuzzingServer() if args.mode == "client" else None
    counts = {}
    for case in selected:
        if server is None:
            result = runner.run_against_server(case, args.port)
        else:
            url = f"ws://127.0.0.1:{server.port}/{case.id}"
            argv = [a.replace("{url}", url) for a in shlex.split(args.command)]
            result = runner.run_against_client(case, server, lambda: subprocess.Popen(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        if args.verbose or result.outcome != PASS:
            print(f"{result.case_id:<12} {result.outcome:<10} {result.duration * 1000:6.0f} ms  "
                  f"{result.reason}", flush=True)
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0 if set(counts) <= {PASS, "Info"} else 1


if __name__ == "__main__":
    sys.exit(main())
