"""Runs cases against a server under test (we connect) or a client under test (it connects
to our fuzzing server), and writes the text report."""
import time
from pathlib import Path

from . import endpoints
from .session import FAIL, PASS, Result, Session, final_outcome


def _grade(case, s, start):
    grade = s.grade()
    if case.finish is not None:
        grade = case.finish(s, grade)
    outcome, reason = final_outcome(*grade, s.violations)
    reason += f" [{grade[3]}; {s.closing_summary()}]"
    if s.deflate is not None:
        reason += (f" [{s.rx_compressed} of {s.rx_messages} messages from the peer "
                   "compressed]")
    if outcome != PASS:
        if s.notes:
            reason += " | " + "; ".join(s.notes[-6:])
    return Result(case.id, outcome, reason, time.monotonic() - start)


def _play(case, s):
    """Plays the case on the session, then drops the TCP connection if the peer did not."""
    try:
        case.play(s)
        s.run(case.limit)
    finally:
        if not s.tcp_closed:
            s.drop()


def run_against_server(case, port):
    """One case against the server listening on 127.0.0.1:port."""
    start = time.monotonic()
    try:
        sock, leftover, params, answer, _ = endpoints.connect(port, f"/{case.id}", case.offers)
    except (endpoints.HandshakeError, OSError) as e:
        return Result(case.id, FAIL, f"opening handshake: {e}", time.monotonic() - start)
    s = Session(sock, "client", params, leftover)
    s.negotiated = answer
    _play(case, s)
    return _grade(case, s, start)


def run_against_client(case, server, start_client, exit_timeout=5.0):
    """One case against a client: start_client() starts the process (which connects to our
    fuzzing server) and returns its subprocess.Popen. The client must also exit once the
    connection is closed."""
    start = time.monotonic()
    proc = start_client()
    try:
        sock, leftover, params, offer, answer = server.accept(
            case.accepts, alive=lambda: proc.poll() is None)
    except (endpoints.HandshakeError, OSError) as e:
        return Result(case.id, FAIL, f"opening handshake: {e} (client exit code "
                      f"{proc.poll()})", time.monotonic() - start)
    s = Session(sock, "server", params, leftover)
    s.negotiated = answer
    s.offer = offer
    _play(case, s)
    result = _grade(case, s, start)
    try:
        proc.wait(timeout=exit_timeout)
    except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
        proc.kill()
        proc.wait()
        result.outcome = FAIL
        result.reason = (f"the client did not exit within {exit_timeout}s of the connection's "
                         f"end; {result.reason}")
    return result


def write_report(path, mode, results, header_lines=()):
    """results: {group: [Result]}; one line per case: id, outcome, duration, reason."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"wirekit WebSocket conformance ({mode} mode), Autobahn-equivalent cases",
             *header_lines, ""]
    totals = {}
    for group in results:
        for r in results[group]:
            totals[r.outcome] = totals.get(r.outcome, 0) + 1
    lines.append("totals: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
    lines.append("")
    lines.append(f"{'case':<14} {'outcome':<11} {'ms':>8}  reason")
    for group in results:
        for r in results[group]:
            lines.append(f"{r.case_id:<14} {r.outcome:<11} {r.duration * 1000:>8.0f}  {r.reason}")
    path.write_text("\n".join(lines) + "\n")
