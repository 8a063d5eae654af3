//! The functions the page calls. Each reports through a JS callback, so the Rust side needs
//! no DOM bindings: the page decides how to show things.

use std::time::Duration;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

/// Calls the page's `log(line)` callback.
fn say(log: &Function, line: &str) {
    // A throwing callback is the page's problem; the demo carries on.
    let _ = log.call1(&JsValue::NULL, &JsValue::from_str(line));
}

/// Spawns three named tasks that sleep for different times, cancels the slowest with a
/// message, and resolves with a one-line summary of every outcome. Each step is reported
/// through `log(line)`.
///
/// JS: `const summary = await runDemo(line => console.log(line));`
#[wasm_bindgen(js_name = runDemo)]
pub fn run_demo(log: Function) -> Promise {
    tulipa::web::spawn_promise(async move {
        let start = tulipa::Instant::now();
        let mut workers = Vec::new();
        for (name, ms) in [("fast", 100_u64), ("medium", 300), ("slow", 60_000)] {
            let log = log.clone();
            let task = tulipa::task::Builder::new()
                .name(name)
                .spawn_local(async move {
                    tulipa::sleep(Duration::from_millis(ms)).await;
                    say(&log, &format!("{name}: woke after {ms} ms"));
                    ms
                });
            workers.push((name, task));
        }
        let mut names: Vec<String> = tulipa::task::all_tasks()
            .iter()
            .map(|t| t.name().to_owned())
            .collect();
        names.sort();
        say(&log, &format!("live tasks: {}", names.join(", ")));

        tulipa::sleep(Duration::from_millis(400)).await;
        let (_, slow) = &workers[2];
        slow.cancel_with("the page will not wait a minute");
        say(&log, "cancelled 'slow'");

        let mut outcomes = Vec::new();
        for (name, task) in workers {
            outcomes.push(match task.await {
                Ok(ms) => format!("{name}: slept {ms} ms"),
                Err(e) => format!("{name}: {e}"),
            });
        }
        say(
            &log,
            &format!("all done after {} ms", start.elapsed().as_millis()),
        );
        Ok(JsValue::from_str(&outcomes.join("; ")))
    })
}

/// A promise that tulipa resolves with `ms` after sleeping `ms` milliseconds.
///
/// JS: `await sleep(250);`
#[wasm_bindgen]
pub fn sleep(ms: u32) -> Promise {
    tulipa::web::spawn_promise(async move {
        tulipa::sleep(Duration::from_millis(u64::from(ms))).await;
        Ok(JsValue::from(ms))
    })
}

/// A live counter: a tulipa task that calls `on_tick(n)` on every tick of a
/// [`tulipa::time::interval`] until stopped (or freed).
///
/// JS: `const c = new Counter(100, n => el.textContent = n); ... c.stop();`
#[wasm_bindgen]
pub struct Counter {
    task: tulipa::JoinHandle<()>,
}

#[wasm_bindgen]
impl Counter {
    /// Starts ticking every `period_ms` milliseconds (at least 1), the first tick at once.
    #[wasm_bindgen(constructor)]
    pub fn new(period_ms: u32, on_tick: Function) -> Counter {
        let period = Duration::from_millis(u64::from(period_ms.max(1)));
        let task = tulipa::task::Builder::new()
            .name("counter")
            .spawn_local(async move {
                let mut every = tulipa::time::interval(period);
                let mut n: u32 = 0;
                loop {
                    every.tick().await;
                    n += 1;
                    let _ = on_tick.call1(&JsValue::NULL, &JsValue::from(n));
                }
            });
        Counter { task }
    }

    /// Stops the counter; false if it was already stopped.
    pub fn stop(&self) -> bool {
        self.task.cancel()
    }
}
