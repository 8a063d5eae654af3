//! `lock`: `tasks` tasks each take one mutex `per_task` times and add 1 to the counter it
//! guards, in two modes:
//!
//! * **released at once** (`held = false`): `*lock.lock().await += 1`. On one thread a task
//!   is never preempted while it holds the guard, so every acquire finds the lock free: this
//!   is the fast path (one state check, one release).
//! * **held across a yield** (`held = true`): the task keeps the guard across its runtime's
//!   `yield_now`, so the other 99 tasks queue on the lock and every release hands it to a
//!   waiter: this is the slow path (park, wake, FIFO hand-over).
//!
//! tulipa's `sync::Lock` against `tokio::sync::Mutex` and, on smol's executor,
//! `async_lock::Mutex` (smol's own). The final count is checked.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime};

fn check(count: u64, tasks: usize, per_task: usize) {
    assert_eq!(
        count,
        (tasks * per_task) as u64,
        "an increment went missing"
    );
}

pub fn tulipa(tasks: usize, per_task: usize, held: bool) -> Duration {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let lock = Arc::new(tulipa::sync::Lock::new(0u64));
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let lock = lock.clone();
                tulipa::spawn_local(async move {
                    for _ in 0..per_task {
                        let mut guard = lock.lock().await;
                        *guard += 1;
                        if held {
                            tulipa::yield_now().await;
                        }
                        drop(black_box(guard));
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("lock task failed");
        }
        let elapsed = start.elapsed();
        check(*lock.lock().await, tasks, per_task);
        elapsed
    })
}

pub fn tokio(tasks: usize, per_task: usize, held: bool) -> Duration {
    let rt = tokio_runtime();
    rt.block_on(async {
        let lock = Arc::new(tokio::sync::Mutex::new(0u64));
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let lock = lock.clone();
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        let mut guard = lock.lock().await;
                        *guard += 1;
                        if held {
                            tokio::task::yield_now().await;
                        }
                        drop(black_box(guard));
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("lock task failed");
        }
        let elapsed = start.elapsed();
        check(*lock.lock().await, tasks, per_task);
        elapsed
    })
}

pub fn smol(tasks: usize, per_task: usize, held: bool) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let lock = Arc::new(async_lock::Mutex::new(0u64));
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let lock = lock.clone();
                ex.spawn(async move {
                    for _ in 0..per_task {
                        let mut guard = lock.lock().await;
                        *guard += 1;
                        if held {
                            futures_lite::future::yield_now().await;
                        }
                        drop(black_box(guard));
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        let elapsed = start.elapsed();
        check(*lock.lock().await, tasks, per_task);
        elapsed
    }))
}
