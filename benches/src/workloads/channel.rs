//! `channel`: one producer task sends `n` numbers (`0..n`, `u64`) through a bounded channel
//! of capacity [`CAPACITY`] to one consumer task, which sums them; the sum is checked
//! against `n(n-1)/2`.
//!
//! Both sides are spawned tasks (not `block_on`'s root future, which some runtimes wake
//! through a slower path), and the root only joins them. The producer runs ahead until the
//! channel is full, then the two alternate in batches, so this measures the per-item cost of
//! a send and a receive more than wake-ups.
//!
//! tulipa runs twice: `channel::mpsc::bounded` (variant `tulipa`) and `queue::Queue`
//! (variant `tulipa-queue`, asyncio's queue, with `task_done`/`join` bookkeeping). Peers:
//! `tokio::sync::mpsc::channel` and, on smol's executor, `async_channel::bounded`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime};

/// The channel's bound.
pub const CAPACITY: usize = 1024;

fn check(sum: u64, n: usize) {
    let n = n as u64;
    assert_eq!(sum, n * n.saturating_sub(1) / 2, "an item went missing");
}

/// `budget`: false spawns both tasks under `tulipa::task::unconstrained`.
pub fn tulipa_mpsc(n: usize, budget: bool) -> Duration {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let (tx, mut rx) = tulipa::channel::mpsc::bounded::<u64>(CAPACITY);
        let producer = super::tulipa_spawn(budget, async move {
            for i in 0..n as u64 {
                tx.send(i).await.expect("consumer hung up");
            }
        });
        let consumer = super::tulipa_spawn(budget, async move {
            let mut sum = 0u64;
            while let Some(v) = rx.recv().await {
                sum = sum.wrapping_add(v);
            }
            black_box(sum)
        });
        producer.await.expect("producer failed");
        let sum = consumer.await.expect("consumer failed");
        let elapsed = start.elapsed();
        check(sum, n);
        elapsed
    })
}

pub fn tulipa_queue(n: usize) -> Duration {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let queue = Arc::new(tulipa::queue::Queue::<u64>::new(CAPACITY));
        let producer = tulipa::spawn_local({
            let queue = queue.clone();
            async move {
                for i in 0..n as u64 {
                    queue.put(i).await.expect("queue shut down");
                }
            }
        });
        // A Queue has no sender count to close it, so the consumer takes exactly `n` items.
        let consumer = tulipa::spawn_local({
            let queue = queue.clone();
            async move {
                let mut sum = 0u64;
                for _ in 0..n {
                    sum = sum.wrapping_add(queue.get().await.expect("queue shut down"));
                }
                black_box(sum)
            }
        });
        producer.await.expect("producer failed");
        let sum = consumer.await.expect("consumer failed");
        let elapsed = start.elapsed();
        check(sum, n);
        elapsed
    })
}

pub fn tokio(n: usize) -> Duration {
    let rt = tokio_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(CAPACITY);
        let producer = tokio::spawn(async move {
            for i in 0..n as u64 {
                tx.send(i).await.expect("consumer hung up");
            }
        });
        let consumer = tokio::spawn(async move {
            let mut sum = 0u64;
            while let Some(v) = rx.recv().await {
                sum = sum.wrapping_add(v);
            }
            black_box(sum)
        });
        producer.await.expect("producer failed");
        let sum = consumer.await.expect("consumer failed");
        let elapsed = start.elapsed();
        check(sum, n);
        elapsed
    })
}

pub fn smol(n: usize) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let (tx, rx) = async_channel::bounded::<u64>(CAPACITY);
        let producer = ex.spawn(async move {
            for i in 0..n as u64 {
                tx.send(i).await.expect("consumer hung up");
            }
        });
        let consumer = ex.spawn(async move {
            let mut sum = 0u64;
            while let Ok(v) = rx.recv().await {
                sum = sum.wrapping_add(v);
            }
            black_box(sum)
        });
        producer.await;
        let sum = consumer.await;
        let elapsed = start.elapsed();
        check(sum, n);
        elapsed
    }))
}
