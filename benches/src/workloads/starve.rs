//! `starve`: does a busy task let a timer through? One task drains a bounded channel that an
//! OS thread keeps full (the feeder spins on `try_send`, the consumer does a little work per
//! item, so the channel is never empty and every receive is ready at once), while another
//! task wakes on a [`PERIOD`] grid for [`TICKS`] periods, skipping the grid points it
//! missed (the default `MissedTickBehavior::Skip` of an interval, written out so that every
//! runtime runs the same code).
//!
//! Reported: how many of the [`TICKS`] ticks came (200 when no deadline was missed), and the
//! median and 99th percentile of how late they came. A runtime without a cooperative budget
//! never leaves the consumer's poll while the channel is full, so the ticker runs only when
//! the channel happens to run dry.
//!
//! Variants: `tulipa` (budget on), `tulipa-unconstrained` (the consumer wrapped in
//! `tulipa::task::unconstrained`: budget off, the behaviour before the budget existed) and
//! tokio (whose mpsc receive spends tokio's own coop budget).

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime};

/// The ticker's period.
pub const PERIOD: Duration = Duration::from_millis(10);
/// Periods the ticker waits for: the run lasts `TICKS * PERIOD` (2 s).
pub const TICKS: u32 = 200;
/// The channel's bound.
const CAPACITY: usize = 4096;

/// What the ticker saw.
pub struct Outcome {
    pub ticks: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// A few dozen nanoseconds of work per item, so the consumer is slower than the feeder.
fn work(v: u64) -> u64 {
    let mut z = v;
    for _ in 0..8 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
    black_box(z)
}

/// The feeder: floods `try_send` until `stop` or until the run is over by its own clock
/// (the ticker, starved, may never get to set `stop`), then drops the sender.
fn feeder<E>(stop: Arc<AtomicBool>, mut try_send: impl FnMut(u64) -> Result<(), E>) -> u64 {
    let end = Instant::now() + PERIOD * TICKS + Duration::from_millis(100);
    let mut sent = 0u64;
    while !stop.load(Ordering::Relaxed) && Instant::now() < end {
        for _ in 0..64 {
            match try_send(sent) {
                Ok(()) => sent += 1,
                Err(_) => std::hint::spin_loop(),
            }
        }
    }
    sent
}

/// Counts the ticks and summarises the lateness (`late`, one entry per tick).
fn outcome(mut late: Vec<Duration>) -> Outcome {
    late.sort();
    let pick = |q: f64| {
        let i = ((late.len() as f64 * q).ceil() as usize).clamp(1, late.len().max(1)) - 1;
        late.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    Outcome {
        ticks: late.len(),
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
    }
}

/// The index of the first grid point strictly after `since` periods have passed.
fn next_index(elapsed: Duration) -> u32 {
    (elapsed.as_nanos() / PERIOD.as_nanos()) as u32 + 1
}

pub fn tulipa(budget: bool) -> Outcome {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let (tx, mut rx) = tulipa::channel::mpsc::bounded::<u64>(CAPACITY);
        let stop = Arc::new(AtomicBool::new(false));
        let feeding = std::thread::spawn({
            let stop = stop.clone();
            move || feeder(stop, |v| tx.try_send(v))
        });
        // Let the feeder fill the channel before the ticker starts.
        while rx.len() < CAPACITY / 2 {
            tulipa::sleep(Duration::from_millis(1)).await;
        }
        let drain = async move {
            let mut sum = 0u64;
            while let Some(v) = rx.recv().await {
                sum = sum.wrapping_add(work(v));
            }
            sum
        };
        let consumer = super::tulipa_spawn(budget, drain);
        let ticker = tulipa::spawn_local(async move {
            let start = tulipa::Instant::now();
            let mut late = Vec::with_capacity(TICKS as usize);
            let mut k = 1;
            while k <= TICKS {
                let deadline = start + PERIOD * k;
                tulipa::sleep_until(deadline).await;
                let now = tulipa::Instant::now();
                late.push(now - deadline);
                k = next_index(now - start);
            }
            late
        });
        let late = ticker.await.expect("ticker failed");
        stop.store(true, Ordering::Relaxed);
        black_box(consumer.await.expect("consumer failed"));
        assert!(feeding.join().expect("feeder failed") > 0);
        outcome(late)
    })
}

pub fn tokio() -> Outcome {
    let rt = tokio_runtime();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(CAPACITY);
        let stop = Arc::new(AtomicBool::new(false));
        let feeding = std::thread::spawn({
            let stop = stop.clone();
            move || feeder(stop, |v| tx.try_send(v))
        });
        while rx.len() < CAPACITY / 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let consumer = tokio::spawn(async move {
            let mut sum = 0u64;
            while let Some(v) = rx.recv().await {
                sum = sum.wrapping_add(work(v));
            }
            sum
        });
        let ticker = tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let mut late = Vec::with_capacity(TICKS as usize);
            let mut k = 1;
            while k <= TICKS {
                let deadline = start + PERIOD * k;
                tokio::time::sleep_until(deadline).await;
                let now = tokio::time::Instant::now();
                late.push(now - deadline);
                k = next_index(now - start);
            }
            late
        });
        let late = ticker.await.expect("ticker failed");
        stop.store(true, Ordering::Relaxed);
        black_box(consumer.await.expect("consumer failed"));
        assert!(feeding.join().expect("feeder failed") > 0);
        outcome(late)
    })
}
