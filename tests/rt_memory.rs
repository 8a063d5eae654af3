//! A loop's memory follows its load: after a burst of tasks or timers has come and gone, an
//! idle loop gives back the capacity its run queue and task registry grew to.
//!
//! A counting global allocator measures the live heap of the whole test binary, so the tests
//! of this file run one at a time (`SERIAL`).

#![cfg(not(target_arch = "wasm32"))]

#[path = "support/mod.rs"]
mod support;

use std::sync::Mutex;
use std::time::Duration;

use support::within;

#[path = "support/heap.rs"]
mod heap;

static SERIAL: Mutex<()> = Mutex::new(());

const BURST: usize = 100_000;
/// How much more than before the burst the idle loop may keep.
const SLACK: isize = 64 * 1024;

/// Idle turns the loop waits between two looks at its capacity (`trim::WINDOW` in the
/// crate): a burst is given back within two such windows of idleness.
const WINDOW: usize = 32;

/// Lets the loop fall idle two windows' worth of times and a little more: each sleep parks it
/// at least once with no task to run, and each park is an idle turn.
async fn idle_a_little() {
    for _ in 0..2 * WINDOW + 2 {
        tulipa::sleep(Duration::from_millis(1)).await;
    }
}

/// Runs `burst` on a fresh runtime between two measurements of the live heap (the first after
/// a small warm-up that creates the loop's lazily made state), and checks that the loop gave
/// back what the burst made it grow.
fn check_returns_to_baseline(what: &str, burst: impl AsyncFnOnce()) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    within(Duration::from_secs(60), || {
        let rt = tulipa::Runtime::new().unwrap();
        let (before, peak, after) = rt.block_on(async {
            for _ in 0..10 {
                tulipa::spawn(tulipa::sleep(Duration::from_millis(1)))
                    .await
                    .unwrap();
            }
            idle_a_little().await;
            let before = heap::live();
            burst().await;
            let peak = heap::live();
            idle_a_little().await;
            (before, peak, heap::live())
        });
        eprintln!(
            "{what}: live heap before {before} B, right after the burst {peak} B, \
             idle after {after} B (kept {} B)",
            after - before
        );
        assert!(
            after - before < SLACK,
            "{what}: the idle loop kept {} bytes after the burst (before {before}, after \
             {after}; at most {SLACK} expected)",
            after - before
        );
    });
}

#[test]
fn idle_loop_gives_back_memory_after_a_burst_of_tasks() {
    check_returns_to_baseline("100k tasks", async || {
        let handles: Vec<_> = (0..BURST)
            .map(|_| tulipa::spawn(tulipa::yield_now()))
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

#[test]
fn idle_loop_gives_back_memory_after_a_burst_of_timers() {
    check_returns_to_baseline("100k timers", async || {
        // Each task sets two timers: the timeout's fires, the sleep's is cancelled.
        let handles: Vec<_> = (0..BURST)
            .map(|i| {
                let ms = 1 + (i % 5) as u64;
                tulipa::spawn(tulipa::time::timeout(
                    Duration::from_millis(ms),
                    tulipa::sleep(Duration::from_secs(3600)),
                ))
            })
            .collect();
        for h in handles {
            assert!(h.await.unwrap().is_err(), "the hour-long sleep ended first");
        }
    });
}
