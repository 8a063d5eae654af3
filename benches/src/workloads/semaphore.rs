//! `semaphore`: a semaphore of [`PERMITS`] permits; `tasks` tasks each acquire and release
//! one permit `per_task` times, in two modes:
//!
//! * **released at once** (`held = false`): acquire, drop the permit. Permits never run out
//!   on one thread, so this is the fast path.
//! * **held across a yield** (`held = true`): the task keeps its permit across its runtime's
//!   `yield_now`; 10 tasks hold permits while the other 90 wait, so most acquires park and
//!   every release wakes a waiter.
//!
//! tulipa's `sync::Semaphore` against `tokio::sync::Semaphore` and, on smol's executor,
//! `async_lock::Semaphore`. Each task counts its acquires; the total is checked, and so is
//! that every permit came back.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime};

/// The semaphore's initial (and final) number of permits.
pub const PERMITS: usize = 10;

fn check(acquired: usize, tasks: usize, per_task: usize, available: usize) {
    assert_eq!(acquired, tasks * per_task, "an acquire went missing");
    assert_eq!(available, PERMITS, "a permit leaked");
}

pub fn tulipa(tasks: usize, per_task: usize, held: bool) -> Duration {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let sem = Arc::new(tulipa::sync::Semaphore::new(PERMITS));
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let sem = sem.clone();
                tulipa::spawn_local(async move {
                    let mut acquired = 0usize;
                    for _ in 0..per_task {
                        let permit = sem.acquire().await;
                        acquired += 1;
                        if held {
                            tulipa::yield_now().await;
                        }
                        drop(black_box(permit));
                    }
                    acquired
                })
            })
            .collect();
        let mut acquired = 0;
        for handle in handles {
            acquired += handle.await.expect("semaphore task failed");
        }
        let elapsed = start.elapsed();
        check(acquired, tasks, per_task, sem.available_permits());
        elapsed
    })
}

pub fn tokio(tasks: usize, per_task: usize, held: bool) -> Duration {
    let rt = tokio_runtime();
    rt.block_on(async {
        let sem = Arc::new(tokio::sync::Semaphore::new(PERMITS));
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let sem = sem.clone();
                tokio::spawn(async move {
                    let mut acquired = 0usize;
                    for _ in 0..per_task {
                        let permit = sem.acquire().await.expect("semaphore closed");
                        acquired += 1;
                        if held {
                            tokio::task::yield_now().await;
                        }
                        drop(black_box(permit));
                    }
                    acquired
                })
            })
            .collect();
        let mut acquired = 0;
        for handle in handles {
            acquired += handle.await.expect("semaphore task failed");
        }
        let elapsed = start.elapsed();
        check(acquired, tasks, per_task, sem.available_permits());
        elapsed
    })
}

pub fn smol(tasks: usize, per_task: usize, held: bool) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let sem = Arc::new(async_lock::Semaphore::new(PERMITS));
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let sem = sem.clone();
                ex.spawn(async move {
                    let mut acquired = 0usize;
                    for _ in 0..per_task {
                        let permit = sem.acquire().await;
                        acquired += 1;
                        if held {
                            futures_lite::future::yield_now().await;
                        }
                        drop(black_box(permit));
                    }
                    acquired
                })
            })
            .collect();
        let mut acquired = 0;
        for handle in handles {
            acquired += handle.await;
        }
        let elapsed = start.elapsed();
        // async-lock has no permit count; taking all of them at once proves none leaked.
        let all: Vec<_> = (0..PERMITS).filter_map(|_| sem.try_acquire()).collect();
        check(acquired, tasks, per_task, all.len());
        elapsed
    }))
}
