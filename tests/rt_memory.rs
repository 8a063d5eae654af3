//! A loop's memory follows its load: after a burst of tasks or timers has come and gone, an
//! idle loop gives back the capacity its run queue and task registry grew to.
//!
//! A counting global allocator measures the live heap of the whole test binary, so the tests
//! of this file run one at a time (`SERIAL`).

#![cfg(not(target_arch = "wasm32"))]
#![warn(clippy::undocumented_unsafe_blocks)]

#[path = "support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use support::within;

/// Counts the bytes currently allocated, then forwards to the system allocator.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees are `Counting`'s; the counter has no effect on the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received; the caller keeps `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received; the caller keeps `alloc_zeroed`'s contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (that is, by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller keeps the rest of
        // `realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

static SERIAL: Mutex<()> = Mutex::new(());

const BURST: usize = 100_000;
/// How much more than before the burst the idle loop may keep.
const SLACK: isize = 64 * 1024;

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

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
            let before = live();
            burst().await;
            let peak = live();
            idle_a_little().await;
            (before, peak, live())
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
