// Checks the module that `wasm-pack build --target web examples/browser` produced, twice:
//
// 1. under Node.js: instantiate pkg/*.wasm and call every export (a build that reports
//    success but does not instantiate, such as one run through an old wasm-opt, fails here);
// 2. in headless Chromium: serve this directory over HTTP, load index.html and check that the
//    page ran to the end (`<body data-done="yes">`) with the expected results on it.
//
// Usage: node examples/browser/check.mjs   (after the wasm-pack build; `make web-check`)
// Environment: CHROMIUM (default `chromium`), TULIPA_SKIP_CHROMIUM=1 to skip step 2.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.join(here, "pkg");
const expected = "fast: slept 100 ms; medium: slept 300 ms; " +
  "slow: task was cancelled: the page will not wait a minute";

function fail(msg) {
  process.stderr.write(`browser example check FAILED: ${msg}\n`);
  process.exit(1);
}

// A hang anywhere below is a failure, not a stuck build.
setTimeout(() => fail("still running after 120 s"), 120_000).unref();

async function checkInNode() {
  if (!existsSync(path.join(pkg, "tulipa_browser_example_bg.wasm"))) {
    fail(`no module in ${pkg}: run \`wasm-pack build --target web examples/browser\` first`);
  }
  const mod = await import(path.join(pkg, "tulipa_browser_example.js"));
  mod.initSync({ module: await readFile(path.join(pkg, "tulipa_browser_example_bg.wasm")) });

  const t0 = performance.now();
  const ms = await mod.sleep(30);
  const slept = performance.now() - t0;
  if (ms !== 30 || slept < 29) fail(`sleep(30) gave ${ms} after ${slept.toFixed(1)} ms`);

  let ticks = 0;
  const counter = new mod.Counter(20, (n) => { ticks = n; });
  const lines = [];
  const summary = await mod.runDemo((line) => lines.push(line));
  if (!counter.stop()) fail("the counter had stopped by itself");
  counter.free();
  if (summary !== expected) fail(`runDemo() resolved with "${summary}", expected "${expected}"`);
  if (!lines.includes("cancelled 'slow'")) fail(`runDemo() logged: ${JSON.stringify(lines)}`);
  // The demo takes 400 ms; a 20 ms interval ticks about 20 times meanwhile.
  if (ticks < 10) fail(`the counter ticked only ${ticks} times in ${lines.length} log lines`);
  console.log(`node: module instantiates; sleep, runDemo and Counter work (${ticks} ticks)`);
}

const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

function serve() {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    const file = path.join(here, path.normalize(url.pathname === "/" ? "/index.html" : url.pathname));
    if (!file.startsWith(here)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function checkInChromium() {
  const server = await serve();
  const url = `http://127.0.0.1:${server.address().port}/index.html`;
  const chromium = process.env.CHROMIUM || "chromium";
  const args = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--no-first-run", "--virtual-time-budget=10000", "--dump-dom", url,
  ];
  const dom = await new Promise((resolve) => {
    execFile(chromium, args, { timeout: 90_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) fail(`${chromium} failed: ${err.message}\n${stderr}`);
      resolve(stdout);
    });
  });
  server.close();
  if (!/<body[^>]*data-done="yes"/.test(dom)) fail(`the page did not finish:\n${dom}`);
  if (!dom.includes(expected)) fail(`the page lacks the summary:\n${dom}`);
  if (!/sleep\(250\) resolved after \d+ ms/.test(dom)) fail(`no sleep(250) result:\n${dom}`);
  const counter = /<output id="counter">(\d+)<\/output>/.exec(dom);
  if (!counter || Number(counter[1]) < 3) fail(`the live counter did not count:\n${dom}`);
  console.log(`chromium: index.html ran to the end (counter at ${counter[1]})`);
}

await checkInNode();
if (process.env.TULIPA_SKIP_CHROMIUM !== "1") await checkInChromium();
// Exit explicitly: once tulipa's loop exists in this process, the MessageChannel it yields
// through keeps Node's event loop alive, so the process would not end on its own.
process.exit(0);
