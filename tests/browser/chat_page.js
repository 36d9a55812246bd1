// Drives the chat page of `wirekit chat serve` in Debian's Chromium for
// tests/interop/test_chat_browser.py, which starts it and owns the server.
//
//   node chat_page.js URL
//
// It reads one JSON command a line on standard input and answers each with one JSON line on
// standard output ({"ok": true, ...} or {"ok": false, "error": "..."}), so the Python test holds
// the sequence and the assertions. Commands:
//   {"cmd": "open", "names": [A, B], "join": true}
//                                          one browser context and page per name, on URL; with
//                                          join, the name entered in #name-form
//   {"cmd": "join", "page": I}             page I's name entered in #name-form
//   {"cmd": "pages"}                       every page's #state (text and class), its #log
//                                          items as the page shows them ("user: message"),
//                                          and which of #name-form, #log, #send-form a user sees
//   {"cmd": "wait", "state": S, "count": N, "ms": MS}
//                                          until every page's #state text starts with S and
//                                          it shows at least N message items; as "pages"
//   {"cmd": "send", "page": I, "text": T}  types T into #text of page I and submits #send-form
//   {"cmd": "screenshot", "path": P}       page 0 as a PNG
//   {"cmd": "quit"}
// Chromium is /usr/bin/chromium (apt package chromium); playwright-core comes from
// node_modules here (npm ci); scripts/deps.sh installs both.
"use strict";
const fs = require("fs");
const path = require("path");
const readline = require("readline");

const CHROMIUM = "/usr/bin/chromium";

function fail(message) {
  process.stderr.write(`chat_page.js: ${message}\n`);
  process.exit(2);
}

if (!fs.existsSync(CHROMIUM)) {
  fail(`${CHROMIUM} is missing (Debian package chromium; scripts/deps.sh installs it)`);
}
let chromium;
try {
  ({ chromium } = require(path.join(__dirname, "node_modules", "playwright-core")));
} catch (e) {
  fail(`playwright-core is missing from ${path.join(__dirname, "node_modules")} ` +
       `(scripts/deps.sh runs npm ci there): ${e.message}`);
}
const url = process.argv[2];
if (!url) fail("usage: node chat_page.js URL");

let browser = null;
const pages = [];
const pageNames = [];

async function snapshot() {
  return Promise.all(pages.map((page) => page.evaluate(() => ({
    state: document.getElementById("state").textContent,
    stateClass: document.getElementById("state").className,
    messages: [...document.querySelectorAll("#log li.message")].map((li) => li.textContent),
    notes: [...document.querySelectorAll("#log li.note")].map((li) => li.textContent),
    visible: Object.fromEntries(["name-form", "log", "send-form"].map((id) => {
      const box = document.getElementById(id).getBoundingClientRect();
      return [id, getComputedStyle(document.getElementById(id)).display !== "none" &&
                  box.width > 0 && box.height > 0];
    })),
  }))));
}

const commands = {
  async open({ names, join = true }) {
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"], timeout: 30000,
    });
    for (const name of names) {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on("pageerror", (error) => process.stderr.write(`page error: ${error}\n`));
      await page.goto(url, { timeout: 10000 });
      pages.push(page);
      pageNames.push(name);
      if (join) await commands.join({ page: pages.length - 1 });
    }
    return {};
  },

  async join({ page }) {
    await pages[page].fill("#name", pageNames[page]);
    await pages[page].click("#name-form button");
    return {};
  },

  async pages() {
    return { pages: await snapshot() };
  },

  async wait({ state, count = 0, ms = 10000 }) {
    const deadline = Date.now() + ms;
    for (;;) {
      const now = await snapshot();
      if (now.every((p) => p.state.startsWith(state) && p.messages.length >= count)) {
        return { pages: now };
      }
      if (Date.now() > deadline) {
        return { ok: false, error: `after ${ms} ms: ${JSON.stringify(now)}`, pages: now };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  },

  async send({ page, text }) {
    await pages[page].fill("#text", text);
    await pages[page].click("#send-form button");
    return {};
  },

  async screenshot({ path: file }) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await pages[0].screenshot({ path: file, fullPage: true });
    return {};
  },
};

async function quit() {
  if (browser) await browser.close().catch(() => {});
  process.exit(0);
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      const command = JSON.parse(line);
      if (command.cmd === "quit") break;
      const handler = commands[command.cmd];
      if (!handler) throw new Error(`unknown command ${command.cmd}`);
      answer = { ok: true, ...(await handler(command)) };
    } catch (e) {
      answer = { ok: false, error: String(e && e.stack || e) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
  await quit();  // also when standard input ends: the test went away
}

main().catch((e) => fail(String(e && e.stack || e)));
