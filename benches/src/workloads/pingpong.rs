//! `pingpong`: two tasks pass a number back and forth `n` times through two bounded(1)
//! channels; one round trip is two sends and two receives, each of which parks one task and
//! wakes the other.
//!
//! tulipa and tokio run twice: with their own channel (`tulipa::channel::mpsc::bounded(1)`,
//! `tokio::sync::mpsc::channel(1)`: what their users write) and with
//! `async_channel::bounded(1)` (variants `tulipa+async-channel`, `tokio+async-channel`),
//! the channel smol uses, so that row compares the executors alone.

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime};

/// The two sides, written once over async-channel and spawned by each runtime.
mod sides {
    use std::hint::black_box;

    use async_channel::{Receiver, Sender};

    pub async fn ping(n: usize, tx: Sender<usize>, rx: Receiver<usize>) -> usize {
        let mut sum = 0usize;
        for i in 0..n {
            tx.send(i).await.expect("pong side hung up");
            sum = sum.wrapping_add(rx.recv().await.expect("pong side hung up"));
        }
        black_box(sum)
    }

    pub async fn pong(n: usize, tx: Sender<usize>, rx: Receiver<usize>) {
        for _ in 0..n {
            let v = rx.recv().await.expect("ping side hung up");
            tx.send(v).await.expect("ping side hung up");
        }
    }
}

/// `budget`: false spawns both tasks under `tulipa::task::unconstrained`.
pub fn tulipa_mpsc(n: usize, budget: bool) -> Duration {
    use tulipa::channel::mpsc::bounded;
    let rt = tulipa_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let (ping_tx, mut ping_rx) = bounded(1);
        let (pong_tx, mut pong_rx) = bounded(1);
        let pong = super::tulipa_spawn(budget, async move {
            for _ in 0..n {
                let v: usize = ping_rx.recv().await.expect("ping side hung up");
                pong_tx.send(v).await.expect("ping side hung up");
            }
        });
        let ping = super::tulipa_spawn(budget, async move {
            let mut sum = 0usize;
            for i in 0..n {
                ping_tx.send(i).await.expect("pong side hung up");
                sum = sum.wrapping_add(pong_rx.recv().await.expect("pong side hung up"));
            }
            black_box(sum)
        });
        let sum = ping.await.expect("ping task failed");
        pong.await.expect("pong task failed");
        let elapsed = start.elapsed();
        super::check_sum(sum, n);
        elapsed
    })
}

pub fn tulipa_async_channel(n: usize) -> Duration {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let (ping_tx, ping_rx) = async_channel::bounded(1);
        let (pong_tx, pong_rx) = async_channel::bounded(1);
        let pong = tulipa::spawn_local(sides::pong(n, pong_tx, ping_rx));
        let ping = tulipa::spawn_local(sides::ping(n, ping_tx, pong_rx));
        let sum = ping.await.expect("ping task failed");
        pong.await.expect("pong task failed");
        let elapsed = start.elapsed();
        super::check_sum(sum, n);
        elapsed
    })
}

pub fn tokio_mpsc(n: usize) -> Duration {
    let rt = tokio_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel(1);
        let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel(1);
        let pong = tokio::spawn(async move {
            for _ in 0..n {
                let v: usize = ping_rx.recv().await.expect("ping side hung up");
                pong_tx.send(v).await.expect("ping side hung up");
            }
        });
        let ping = tokio::spawn(async move {
            let mut sum = 0usize;
            for i in 0..n {
                ping_tx.send(i).await.expect("pong side hung up");
                sum = sum.wrapping_add(pong_rx.recv().await.expect("pong side hung up"));
            }
            black_box(sum)
        });
        let sum = ping.await.expect("ping task failed");
        pong.await.expect("pong task failed");
        let elapsed = start.elapsed();
        super::check_sum(sum, n);
        elapsed
    })
}

pub fn tokio_async_channel(n: usize) -> Duration {
    let rt = tokio_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let (ping_tx, ping_rx) = async_channel::bounded(1);
        let (pong_tx, pong_rx) = async_channel::bounded(1);
        let pong = tokio::spawn(sides::pong(n, pong_tx, ping_rx));
        let ping = tokio::spawn(sides::ping(n, ping_tx, pong_rx));
        let sum = ping.await.expect("ping task failed");
        pong.await.expect("pong task failed");
        let elapsed = start.elapsed();
        super::check_sum(sum, n);
        elapsed
    })
}

pub fn smol(n: usize) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let (ping_tx, ping_rx) = async_channel::bounded(1);
        let (pong_tx, pong_rx) = async_channel::bounded(1);
        let pong = ex.spawn(sides::pong(n, pong_tx, ping_rx));
        let ping = ex.spawn(sides::ping(n, ping_tx, pong_rx));
        let sum = ping.await;
        pong.await;
        let elapsed = start.elapsed();
        super::check_sum(sum, n);
        elapsed
    }))
}
