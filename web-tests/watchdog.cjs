// Preloaded into the Node.js process of wasm-bindgen-test-runner with
//   NODE_ARGS=--require=/absolute/path/to/web-tests/watchdog.cjs
//
// Why: under Node a wasm test whose future never completes PASSES. The runner awaits the
// test's promise; if nothing will ever settle it, Node's event loop drains and the process
// exits 0 without printing a failure. For an async runtime a lost wakeup looks exactly like
// that. The runner ends every real run with an explicit process.exit(), which does not emit
// 'beforeExit', so:
//
// * 'beforeExit' means the loop drained before the runner finished: fail.
// * A run still going after the time limit (a test that keeps timers alive but never ends,
//   which WASM_BINDGEN_TEST_TIMEOUT does not bound under Node) fails too. The timer is
//   unref()ed so that it does not itself keep the loop alive and hide the first case.
//
// The limit is 120 s (TULIPA_NODE_WATCHDOG_SECS overrides it); the whole suite normally
// takes a few seconds, and each portable test has its own 30 s watchdog besides.
//
// Output goes through process.stderr.write: the runner captures console.* calls.
'use strict';

const limitSecs = Number(process.env.TULIPA_NODE_WATCHDOG_SECS || 120);

process.stderr.write(`tulipa node watchdog armed (limit ${limitSecs} s)\n`);

process.on('beforeExit', () => {
  process.stderr.write(
    'tulipa node watchdog: the event loop drained before the test runner finished: ' +
      'a test future never completed (a lost wakeup?). Failing the run.\n',
  );
  process.exit(1);
});

setTimeout(() => {
  process.stderr.write(
    `tulipa node watchdog: tests still running after ${limitSecs} s: a test hangs. ` +
      'Failing the run.\n',
  );
  process.exit(1);
}, limitSecs * 1000).unref();
