//! `sleeps`: spawn `n` tasks that each sleep until `start + offset`, the offsets drawn
//! uniformly from `[0, span)` (default 1 s) with the shared seed, and await them all.
//!
//! Reports, measured from `start` (just before the first spawn):
//! * **start all**: when the last task had polled its sleep once, so every timer was
//!   registered (or found already due, if spawning took longer than its offset);
//! * **late**: when the last sleeper woke, minus `span`; the latest deadline is just under
//!   `span`, so this is how far behind the timer queue runs at its busiest;
//! * the peak RSS (added by the child process): tasks plus timer structures.
//!
//! Every runtime builds its sleep in the spawning loop and registers it at the task's first
//! poll, which is what its users get from `sleep_until(deadline).await`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime, SplitMix64};

/// What the workload measured.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    pub start_all: Duration,
    /// Signed: negative if the last sleeper woke before `span` had passed.
    pub late_ms: f64,
}

/// Progress shared by all sleepers. Atomics (not `Cell`s) because tokio's `spawn` needs
/// `Send` futures; they are uncontended, so each update is a plain locked add.
struct Progress {
    start: Instant,
    n: usize,
    registered: AtomicUsize,
    all_registered_ns: AtomicU64,
    woken: AtomicUsize,
    last_woken_ns: AtomicU64,
}

impl Progress {
    /// A progress record that lives until the process exits (one per child process), so that
    /// the tasks can hold a `&'static` to it instead of a reference count each.
    fn leak(n: usize) -> &'static Progress {
        Box::leak(Box::new(Progress {
            start: Instant::now(),
            n,
            registered: AtomicUsize::new(0),
            all_registered_ns: AtomicU64::new(0),
            woken: AtomicUsize::new(0),
            last_woken_ns: AtomicU64::new(0),
        }))
    }

    fn since_start_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn registered(&self) {
        if self.registered.fetch_add(1, Ordering::Relaxed) + 1 == self.n {
            self.all_registered_ns
                .store(self.since_start_ns(), Ordering::Relaxed);
        }
    }

    /// Only the last sleeper to wake reads the clock, so the measurement costs every
    /// runtime one atomic add per sleeper and nothing else.
    fn woken(&self) {
        if self.woken.fetch_add(1, Ordering::Relaxed) + 1 == self.n {
            self.last_woken_ns
                .store(self.since_start_ns(), Ordering::Relaxed);
        }
    }

    fn outcome(&self, span: Duration) -> Outcome {
        assert_eq!(
            self.woken.load(Ordering::Relaxed),
            self.n,
            "a sleeper never woke"
        );
        let last = Duration::from_nanos(self.last_woken_ns.load(Ordering::Relaxed));
        Outcome {
            start_all: Duration::from_nanos(self.all_registered_ns.load(Ordering::Relaxed)),
            late_ms: (last.as_secs_f64() - span.as_secs_f64()) * 1e3,
        }
    }
}

/// The body of every sleeper, whatever the runtime's sleep future is.
async fn sleeper<S: Future>(sleep: S, progress: &'static Progress) {
    let mut sleep = pin!(sleep);
    let already_due = futures_lite::future::poll_once(sleep.as_mut())
        .await
        .is_some();
    progress.registered();
    if !already_due {
        black_box(sleep.await);
    }
    progress.woken();
}

pub fn tulipa(n: usize, span: Duration) -> Outcome {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let mut rng = SplitMix64::new();
        let base = tulipa::Instant::now();
        let progress = Progress::leak(n);
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let deadline = base + rng.below(span);
                tulipa::spawn_local(sleeper(tulipa::sleep_until(deadline), progress))
            })
            .collect();
        for handle in handles {
            handle.await.expect("sleeper failed");
        }
        progress.outcome(span)
    })
}

pub fn tokio(n: usize, span: Duration) -> Outcome {
    let rt = tokio_runtime();
    rt.block_on(async {
        let mut rng = SplitMix64::new();
        let base = tokio::time::Instant::now();
        let progress = Progress::leak(n);
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let deadline = base + rng.below(span);
                tokio::spawn(sleeper(tokio::time::sleep_until(deadline), progress))
            })
            .collect();
        for handle in handles {
            handle.await.expect("sleeper failed");
        }
        progress.outcome(span)
    })
}

pub fn smol(n: usize, span: Duration) -> Outcome {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let mut rng = SplitMix64::new();
        let base = Instant::now();
        let progress = Progress::leak(n);
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let deadline = base + rng.below(span);
                ex.spawn(sleeper(async_io::Timer::at(deadline), progress))
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        progress.outcome(span)
    }))
}
