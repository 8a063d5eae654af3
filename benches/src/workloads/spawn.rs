//! `spawn`: spawn `n` trivial tasks, keep every handle in a `Vec`, then await them in order.
//!
//! Measures the whole life of a task: allocation, queueing, one poll, completion, the join
//! and the free. The peak RSS of this workload divided by `n` is the memory a live task
//! costs (its allocation, the runtime's bookkeeping, and the 8-byte handle in the `Vec`,
//! which is the same for all three runtimes).

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::{check_sum, tokio_runtime, tulipa_runtime};

pub fn tulipa(n: usize) -> Duration {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            handles.push(tulipa::spawn_local(async move { black_box(i) }));
        }
        let mut sum = 0usize;
        for handle in handles {
            sum = sum.wrapping_add(handle.await.expect("task failed"));
        }
        let elapsed = start.elapsed();
        check_sum(black_box(sum), n);
        elapsed
    })
}

pub fn tokio(n: usize) -> Duration {
    let rt = tokio_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            handles.push(tokio::spawn(async move { black_box(i) }));
        }
        let mut sum = 0usize;
        for handle in handles {
            sum = sum.wrapping_add(handle.await.expect("task failed"));
        }
        let elapsed = start.elapsed();
        check_sum(black_box(sum), n);
        elapsed
    })
}

pub fn smol(n: usize) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            handles.push(ex.spawn(async move { black_box(i) }));
        }
        let mut sum = 0usize;
        for handle in handles {
            sum = sum.wrapping_add(handle.await);
        }
        let elapsed = start.elapsed();
        check_sum(black_box(sum), n);
        elapsed
    }))
}
