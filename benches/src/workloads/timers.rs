//! `timers`: one task creates `n` sleeps one after another, with durations drawn uniformly
//! from 1–1000 ms (shared seed); it polls each once, so the timer is registered with the
//! runtime, then drops it, so the timer is cancelled. This is the life of most timers in
//! practice: a timeout that did not fire.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime, SplitMix64};

/// The shortest duration drawn, so no sleep is due at its first poll.
const MIN: Duration = Duration::from_millis(1);
/// Durations are `MIN + [0, SPREAD)`.
const SPREAD: Duration = Duration::from_millis(999);

/// Polls `sleep` once and drops it; returns whether it was still pending (registered).
async fn register_and_cancel<S: Future>(sleep: S) -> bool {
    let mut sleep = pin!(sleep);
    futures_lite::future::poll_once(sleep.as_mut())
        .await
        .is_none()
}

pub fn tulipa(n: usize) -> Duration {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let task = tulipa::spawn_local(async move {
            let mut rng = SplitMix64::new();
            let start = Instant::now();
            let mut pending = 0usize;
            for _ in 0..n {
                let sleep = tulipa::sleep(MIN + rng.below(SPREAD));
                pending += usize::from(register_and_cancel(sleep).await);
            }
            (start.elapsed(), black_box(pending))
        });
        finish(task.await.expect("timer task failed"), n)
    })
}

pub fn tokio(n: usize) -> Duration {
    let rt = tokio_runtime();
    rt.block_on(async {
        let task = tokio::spawn(async move {
            let mut rng = SplitMix64::new();
            let start = Instant::now();
            let mut pending = 0usize;
            for _ in 0..n {
                let sleep = tokio::time::sleep(MIN + rng.below(SPREAD));
                pending += usize::from(register_and_cancel(sleep).await);
            }
            (start.elapsed(), black_box(pending))
        });
        finish(task.await.expect("timer task failed"), n)
    })
}

pub fn smol(n: usize) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let task = ex.spawn(async move {
            let mut rng = SplitMix64::new();
            let start = Instant::now();
            let mut pending = 0usize;
            for _ in 0..n {
                let timer = async_io::Timer::after(MIN + rng.below(SPREAD));
                pending += usize::from(register_and_cancel(timer).await);
            }
            (start.elapsed(), black_box(pending))
        });
        finish(task.await, n)
    }))
}

/// Checks that (nearly) every sleep really registered a timer, and returns the time taken.
fn finish((elapsed, pending): (Duration, usize), n: usize) -> Duration {
    // A sleep of 1 ms can be due by its first poll if the process was descheduled between
    // creating and polling it; more than a handful of those means something else is wrong.
    assert!(
        pending + n / 100 >= n,
        "only {pending} of {n} sleeps were pending at their first poll"
    );
    elapsed
}
