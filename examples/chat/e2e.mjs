// End-to-end test of the chat in real headless Chromium: the native chat_server, two browser
// pages driven by chromedriver over its HTTP WebDriver API, and the native chat_cli client.
// Each types a message; each must see the other two's messages (pages: in the DOM; CLI: on
// its stdout).
//
// Usage (after `wasm-pack build --target web examples/chat` and
// `cargo build -p tulipa-chat-example`): node examples/chat/e2e.mjs BIN_DIR
// where BIN_DIR holds chat_server and chat_cli. Environment: CHROMIUM (default
// /usr/bin/chromium), CHROMEDRIVER (default chromedriver). Everything is on loopback, and
// everything it starts is stopped at the end; the whole run is bounded (90 s).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const binDir = process.argv[2];
if (!binDir) {
  process.stderr.write("usage: node e2e.mjs BIN_DIR\n");
  process.exit(2);
}
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
const chromedriverBin = process.env.CHROMEDRIVER || "chromedriver";

const children = [];
const dirs = [];
function cleanup() {
  for (const c of children) {
    try { c.kill("SIGKILL"); } catch {}
  }
  for (const d of dirs) {
    try { rmSync(d, { recursive: true, force: true }); } catch {}
  }
}
function fail(msg) {
  process.stderr.write(`chat e2e FAILED: ${msg}\n`);
  cleanup();
  process.exit(1);
}
setTimeout(() => fail("still running after 90 s"), 90_000).unref();
process.on("uncaughtException", (e) => fail(e.stack || String(e)));
process.on("unhandledRejection", (e) => fail(e.stack || String(e)));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// Polls `check` every 50 ms until it returns a truthy value, or fails after `ms`.
async function until(what, check, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/// Starts a process and collects its stdout.
function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  child.out = "";
  child.stdout.on("data", (d) => { child.out += d; });
  children.push(child);
  return child;
}

// --- the server ---
const server = start(path.join(binDir, "chat_server"), ["127.0.0.1:0"]);
const addr = (await until("chat_server to listen", () => /listening on (\S+)/.exec(server.out)))[1];
console.log(`chat_server on ${addr}`);

// --- chromedriver and two browser sessions ---
const driverPort = await freePort();
const driver = start(chromedriverBin, [`--port=${driverPort}`]);
const base = `http://127.0.0.1:${driverPort}`;
async function wd(method, url, body) {
  const res = await fetch(base + url, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) fail(`${method} ${url}: ${JSON.stringify(json.value)}`);
  return json.value;
}
await until("chromedriver", async () => {
  try { return (await fetch(base + "/status")).ok; } catch { return false; }
});

async function page(name) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tulipa-chat-"));
  dirs.push(dir);
  const s = await wd("POST", "/session", {
    capabilities: {
      alwaysMatch: {
        browserName: "chrome",
        "goog:chromeOptions": {
          binary: chromium,
          args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
            `--user-data-dir=${dir}`],
        },
      },
    },
  });
  const id = s.sessionId;
  const p = {
    id,
    name,
    run: (script, args = []) => wd("POST", `/session/${id}/execute/sync`, { script, args }),
    async type(text) {
      const el = await wd("POST", `/session/${id}/element`, { using: "css selector", value: "#msg" });
      const eid = Object.values(el)[0];
      await wd("POST", `/session/${id}/element/${eid}/value`, { text });
      const btn = await wd("POST", `/session/${id}/element`, { using: "css selector", value: "#send" });
      await wd("POST", `/session/${id}/element/${Object.values(btn)[0]}/click`, {});
    },
    log: () => p.run("return document.getElementById('log').textContent"),
  };
  await wd("POST", `/session/${id}/url`, { url: `http://${addr}/?name=${name}` });
  await until(`${name}'s page to join`, () => p.run("return document.body.dataset.joined === 'yes'"));
  return p;
}

const alice = await page("alice");
const bob = await page("bob");
console.log("two pages joined");

// --- the CLI client ---
const cli = start(path.join(binDir, "chat_cli"), [`ws://${addr}/ws`, "carol"]);
await until("carol to join", async () => (await alice.log()).includes("* carol joined"));

await alice.type("hello from alice");
await bob.type("hi from bob");
cli.stdin.write("greetings from carol\n");

const lines = { alice: "alice: hello from alice", bob: "bob: hi from bob", carol: "carol: greetings from carol" };
for (const p of [alice, bob]) {
  for (const [who, line] of Object.entries(lines)) {
    if (who === p.name) continue;
    await until(`${p.name}'s page to show "${line}"`, async () => (await p.log()).includes(line));
  }
}
for (const line of [lines.alice, lines.bob]) {
  await until(`the CLI to print "${line}"`, () => cli.out.includes(line));
}
console.log("alice's page:\n" + (await alice.log()).trim());
console.log("carol's terminal:\n" + cli.out.trim());

// The CLI leaves on end of input; the pages see it.
cli.stdin.end();
await until("alice to see carol leave", async () => (await alice.log()).includes("* carol left"));
await until("chat_cli to exit", () => cli.exitCode !== null);
if (cli.exitCode !== 0) fail(`chat_cli exited with ${cli.exitCode}`);

for (const p of [alice, bob]) await wd("DELETE", `/session/${p.id}`);
cleanup();
console.log("chat e2e: OK (2 Chromium pages + CLI exchanged messages through chat_server)");
process.exit(0);
