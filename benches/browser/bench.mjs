// Browser WebSocket benchmark: the same echo workload in headless Chromium, tulipa::ws vs a
// plain wasm-bindgen-futures + web-sys loop, against the native tulipa echo server
// (examples/ws_echo_server.rs) on loopback. Prints messages/s (medians of interleaved
// rounds) and each module's size.
//
// From the repository root:
//   for v in tulipa-ws plain; do
//     wasm-pack build --release --target web --no-opt --out-dir pkg-$v benches/browser -- --features $v
//   done
//   cargo build --release --example ws_echo_server
//   node benches/browser/bench.mjs target/release/examples/ws_echo_server [ROUNDS]
//
// Chromium is driven through chromedriver's WebDriver API (CHROMEDRIVER, CHROMIUM as in
// examples/chat/e2e.mjs). Bounded: 10 minutes at most; everything started is stopped.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const echoBin = process.argv[2];
const rounds = Number(process.argv[3] || 5);
if (!echoBin) {
  process.stderr.write("usage: node bench.mjs ECHO_SERVER_BIN [ROUNDS]\n");
  process.exit(2);
}
const children = [];
const dirs = [];
function cleanup() {
  for (const c of children) try { c.kill("SIGKILL"); } catch {}
  for (const d of dirs) try { rmSync(d, { recursive: true, force: true }); } catch {}
}
function fail(msg) {
  process.stderr.write(`ws browser bench FAILED: ${msg}\n`);
  cleanup();
  process.exit(1);
}
setTimeout(() => fail("still running after 10 minutes"), 600_000).unref();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  child.out = "";
  child.stdout.on("data", (d) => { child.out += d; });
  children.push(child);
  return child;
}

// The echo server and a static file server for the page and modules.
const echoPort = await freePort();
const echo = start(echoBin, [`127.0.0.1:${echoPort}`]);
await until("the echo server", () => echo.out.includes("listening on"));
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  const file = path.join(here, path.normalize(url.pathname === "/" ? "/index.html" : url.pathname));
  if (!file.startsWith(here)) return res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch { res.writeHead(404).end(); }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const httpBase = `http://127.0.0.1:${server.address().port}`;

// chromedriver + one browser session.
const driverPort = await freePort();
start(process.env.CHROMEDRIVER || "chromedriver", [`--port=${driverPort}`]);
const base = `http://127.0.0.1:${driverPort}`;
async function wd(method, url, body) {
  const res = await fetch(base + url, {
    method, headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) fail(`${method} ${url}: ${JSON.stringify(json.value)}`);
  return json.value;
}
await until("chromedriver", async () => { try { return (await fetch(base + "/status")).ok; } catch { return false; } });
const profile = mkdtempSync(path.join(os.tmpdir(), "tulipa-wsbench-"));
dirs.push(profile);
const { sessionId: id } = await wd("POST", "/session", { capabilities: { alwaysMatch: {
  browserName: "chrome",
  "goog:chromeOptions": {
    binary: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
      `--user-data-dir=${profile}`],
  },
} } });

async function measure(variant, n, size) {
  const url = `${httpBase}/?variant=${variant}&url=ws://127.0.0.1:${echoPort}/&n=${n}&size=${size}`;
  await wd("POST", `/session/${id}/url`, { url });
  const text = await until(`${variant} to finish`, async () => {
    const t = await wd("POST", `/session/${id}/execute/sync`, {
      script: "return document.body.dataset.done === 'yes' ? document.getElementById('out').textContent : null",
      args: [],
    });
    return t;
  });
  const m = /^RATE (.*)$/.exec(text);
  if (!m) fail(`${variant} ${n}x${size}: ${text}`);
  return Number(m[1]);
}

const variants = ["tulipa-ws", "plain"];
const workloads = [[20000, 64], [500, 65536]];
const samples = {};
for (let r = 0; r < rounds; r++) {
  // Rotate which variant goes first.
  const order = r % 2 ? [...variants].reverse() : variants;
  for (const [n, size] of workloads) {
    for (const v of order) {
      const rate = await measure(v, n, size);
      (samples[`${v} ${size}`] ??= []).push(rate);
      process.stderr.write(`[round ${r + 1}/${rounds}] ${v} ${n} x ${size} B: ${rate.toFixed(0)} msgs/s\n`);
    }
  }
}
await wd("DELETE", `/session/${id}`);
server.close();
cleanup();

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const size = (v) => statSync(path.join(here, `pkg-${v}`, "tulipa_ws_browser_bench_bg.wasm")).size;
console.log(`browser ws echo, headless Chromium, medians of ${rounds} interleaved rounds (msgs/s)`);
console.log("workload            | tulipa::ws | plain web-sys | tulipa/plain");
for (const [n, sz] of workloads) {
  const t = median(samples[`tulipa-ws ${sz}`]), p = median(samples[`plain ${sz}`]);
  console.log(`${String(n).padStart(5)} x ${String(sz).padStart(5)} B     | ${t.toFixed(0).padStart(10)} | ${p.toFixed(0).padStart(13)} | ${(t / p).toFixed(2)}x`);
}
console.log(`wasm module (release, no wasm-opt): tulipa::ws ${size("tulipa-ws")} B, plain ${size("plain")} B`);
