"""Tutorial §10: the chat page of `wirekit chat serve` in a real browser. Debian's Chromium,
driven by playwright-core (tests/browser/chat_page.js), chats with a Python websockets 10.4
client in the same room, and reconnects by itself when the server restarts."""
import asyncio
import json
import subprocess

import pytest

from conftest import BUILD, ROOT, WIREKIT, free_port, require_module, require_program
from test_chat import LISTENING, expected

BROWSER = ROOT / "tests" / "browser"
SCREENSHOT = BUILD / "artifacts" / "chat_browser.png"
# Each of the three says something beyond ASCII: CJK, an astral emoji, accents.
NAMES = ["ann", "\u5f20\u4e09"]
PAGE_TEXTS = ["hello from ann \U0001F600", "\u4f60\u597d, I am \u5f20\u4e09 \U0001F44B"]
PY_USER, PY_TEXT = "py \U0001F40D", "ciao, \u00fcn\u00efc\u00f6de \u2603"


def start_chat_on(spawn, port):
    server = spawn([WIREKIT, "chat", "serve", "--host", "127.0.0.1", "--port", port,
                    "--threads", "2"])
    match = LISTENING.match(server.line())
    assert match and int(match.group(1)) == port
    return server


class Page:
    """tests/browser/chat_page.js, one JSON command a line each way."""

    def __init__(self, spawn, url):
        require_program("chromium", "chromium")
        node = require_program("node", "nodejs")
        if not (BROWSER / "node_modules" / "playwright-core" / "package.json").exists():
            pytest.fail(f"playwright-core is missing from {BROWSER / 'node_modules'} "
                        "(scripts/deps.sh runs npm ci there)", pytrace=False)
        self.proc = spawn([node, BROWSER / "chat_page.js", url], stdin=subprocess.PIPE)

    def __call__(self, cmd, within=30.0, **args):
        self.proc.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.proc.stdin.flush()
        try:
            answer = json.loads(self.proc.line(within))
        except TimeoutError:
            code = self.proc.stop()
            raise AssertionError(f"chat_page.js did not answer {cmd} within {within}s "
                                 f"(exit {code}): {self.proc.stderr_text}") from None
        assert answer["ok"], f"chat_page.js {cmd}: {answer['error']}"
        return answer

    def quit(self):
        """Closes the browser and waits for node to exit (Chromium goes with it)."""
        if self.proc.proc.poll() is None:
            self.proc.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.proc.proc.stdin.close()
            self.proc.wait(timeout=15)

    def wait(self, state, count, timeout=15.0):
        return self("wait", timeout + 5, state=state, count=count, ms=int(timeout * 1000))["pages"]


def test_two_browser_pages_and_a_python_client_chat_and_the_page_reconnects(spawn):
    websockets = require_module("websockets", "python3-websockets")
    port = free_port()
    server = start_chat_on(spawn, port)
    page = Page(spawn, f"http://127.0.0.1:{port}/")
    SCREENSHOT.unlink(missing_ok=True)

    async def chat():
        await asyncio.to_thread(page, "open", names=NAMES)
        pages = await asyncio.to_thread(page.wait, "connected", 0)
        assert [p["stateClass"] for p in pages] == ["open", "open"]
        assert [p["notes"] for p in pages] == [[f"Connected to chat server as {n}"]
                                               for n in NAMES]
        received = []
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            # One at a time, each seen by the Python client before the next: a known order.
            for i, text in enumerate(PAGE_TEXTS):
                await asyncio.to_thread(page, "send", page=i, text=text)
                received.append(await asyncio.wait_for(client.recv(), 10))
            await client.send(json.dumps({"user": PY_USER, "message": PY_TEXT}))
            received.append(await asyncio.wait_for(client.recv(), 10))
        return received, await asyncio.to_thread(page.wait, "connected", 3)

    try:
        received, pages = asyncio.run(chat())
        # The Python client gets json.dumps bytes, whoever sent them; the pages show them.
        assert received == [expected(NAMES[0], PAGE_TEXTS[0]), expected(NAMES[1], PAGE_TEXTS[1]),
                            expected(PY_USER, PY_TEXT)]
        shown = [f"{NAMES[0]}: {PAGE_TEXTS[0]}", f"{NAMES[1]}: {PAGE_TEXTS[1]}",
                 f"{PY_USER}: {PY_TEXT}"]
        assert [p["messages"] for p in pages] == [shown, shown]
        assert [(p["state"], p["stateClass"]) for p in pages] == [("connected", "open")] * 2

        # The server goes away (SIGTERM: it closes every WebSocket with 1001 and exits): every
        # page notices, and says it will reconnect.
        assert server.stop(timeout=5) == 0, server.stderr_text
        pages = page.wait("reconnecting in ", 3)
        assert [p["stateClass"] for p in pages] == ["closed", "closed"]
        assert all("Connection to server closed" in p["notes"] for p in pages), pages

        # A new server on the same port: the pages come back by themselves and chat again.
        server = start_chat_on(spawn, port)
        pages = page.wait("connected", 3, timeout=20)
        assert [p["stateClass"] for p in pages] == ["open", "open"]
        again = "back again \u00e9 \U0001F389"

        async def after_restart():
            async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
                await asyncio.to_thread(page, "send", page=1, text=again)
                return await asyncio.wait_for(client.recv(), 10)

        assert asyncio.run(after_restart()) == expected(NAMES[1], again)
        pages = page.wait("connected", 4)
        assert [p["messages"] for p in pages] == [shown + [f"{NAMES[1]}: {again}"]] * 2
    finally:
        if page.proc.proc.poll() is None:
            try:
                page("screenshot", path=str(SCREENSHOT))
            except AssertionError as e:
                print(f"no screenshot: {e}")
        page.quit()
    assert SCREENSHOT.stat().st_size > 0


def test_the_page_shows_the_name_form_first_and_then_only_the_chat(spawn):
    # What a user sees: before joining, a name to enter and nothing to send; after, the
    # messages and the message input, and no second Join button (a second Join would open a
    # second WebSocket).
    port = free_port()
    start_chat_on(spawn, port)
    page = Page(spawn, f"http://127.0.0.1:{port}/")
    try:
        page("open", names=["ann"], join=False)
        before = page("pages")["pages"][0]
        page("join", page=0)
        after = page.wait("connected", 0)[0]
    finally:
        page.quit()
    assert before["state"] == "enter a name"
    assert before["visible"] == {"name-form": True, "log": False, "send-form": False}
    assert after["visible"] == {"name-form": False, "log": True, "send-form": True}
