//! `yield`: `tasks` tasks each await their runtime's `yield_now` `per_task` times.
//!
//! Measures the scheduler's hot path: wake the running task, put it at the back of the run
//! queue, poll the next one. Each runtime's own `yield_now` is used, so tokio's includes
//! its deliberate deferral of yielded tasks until the I/O driver has been polled.

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime};

pub fn tulipa(tasks: usize, per_task: usize) -> Duration {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                tulipa::spawn_local(async move {
                    for i in 0..per_task {
                        tulipa::yield_now().await;
                        black_box(i);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("task failed");
        }
        start.elapsed()
    })
}

pub fn tokio(tasks: usize, per_task: usize) -> Duration {
    let rt = tokio_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                tokio::spawn(async move {
                    for i in 0..per_task {
                        tokio::task::yield_now().await;
                        black_box(i);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("task failed");
        }
        start.elapsed()
    })
}

pub fn smol(tasks: usize, per_task: usize) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                ex.spawn(async move {
                    for i in 0..per_task {
                        futures_lite::future::yield_now().await;
                        black_box(i);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        start.elapsed()
    }))
}
