//! `oneshot`: two tasks pass a number back and forth `n` times, every message through a
//! fresh oneshot channel. Each message carries, besides the number, the sending half of the
//! oneshot for its reply, so no other channel is involved: one round trip creates two
//! oneshots, sends twice and awaits twice (each await parks one task and the send wakes it).
//!
//! tulipa runs twice: `channel::oneshot` (variant `tulipa`) and `future::SettableFuture`
//! (variant `tulipa-future`: the message carries a clone of the future, the replier calls
//! `set_result`, the asker awaits it). Peers: `tokio::sync::oneshot` and, on smol's
//! executor, `futures_channel::oneshot` (smol has no oneshot of its own; futures-channel's
//! is the common choice there). Both sides are spawned tasks; the root only joins them.

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime};

fn finish(start: Instant, sum: u64, n: usize) -> Duration {
    let elapsed = start.elapsed();
    super::check_sum(sum as usize, n);
    elapsed
}

pub fn tulipa(n: usize) -> Duration {
    use tulipa::channel::oneshot::{channel, Sender};
    struct Msg(u64, Sender<Msg>);

    let rt = tulipa_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let (mut to_pong, mut from_ping) = channel::<Msg>();
        let pong = tulipa::spawn_local(async move {
            for _ in 0..n {
                let Msg(v, reply) = from_ping.await.expect("ping side hung up");
                let (next_tx, next_rx) = channel();
                let _ = reply.send(Msg(v, next_tx));
                from_ping = next_rx;
            }
        });
        let ping = tulipa::spawn_local(async move {
            let mut sum = 0u64;
            for i in 0..n as u64 {
                let (reply_tx, reply_rx) = channel();
                let _ = to_pong.send(Msg(i, reply_tx));
                let Msg(v, next) = reply_rx.await.expect("pong side hung up");
                sum = sum.wrapping_add(v);
                to_pong = next;
            }
            black_box(sum)
        });
        let sum = ping.await.expect("ping task failed");
        pong.await.expect("pong task failed");
        finish(start, sum, n)
    })
}

pub fn tulipa_future(n: usize) -> Duration {
    use tulipa::future::SettableFuture;
    #[derive(Clone)]
    struct Msg(u64, SettableFuture<Msg, ()>);

    let rt = tulipa_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let first = SettableFuture::<Msg, ()>::new();
        let (mut to_pong, mut from_ping) = (first.clone(), first);
        let pong = tulipa::spawn_local(async move {
            for _ in 0..n {
                let Msg(v, reply) = from_ping.await.expect("ping side failed");
                let next = SettableFuture::new();
                let set = reply.set_result(Msg(v, next.clone()));
                assert!(set.is_ok(), "set twice");
                from_ping = next;
            }
        });
        let ping = tulipa::spawn_local(async move {
            let mut sum = 0u64;
            for i in 0..n as u64 {
                let reply = SettableFuture::new();
                let set = to_pong.set_result(Msg(i, reply.clone()));
                assert!(set.is_ok(), "set twice");
                let Msg(v, next) = reply.await.expect("pong side failed");
                sum = sum.wrapping_add(v);
                to_pong = next;
            }
            black_box(sum)
        });
        let sum = ping.await.expect("ping task failed");
        pong.await.expect("pong task failed");
        finish(start, sum, n)
    })
}

pub fn tokio(n: usize) -> Duration {
    use tokio::sync::oneshot::{channel, Sender};
    struct Msg(u64, Sender<Msg>);

    let rt = tokio_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let (mut to_pong, mut from_ping) = channel::<Msg>();
        let pong = tokio::spawn(async move {
            for _ in 0..n {
                let Msg(v, reply) = from_ping.await.expect("ping side hung up");
                let (next_tx, next_rx) = channel();
                let _ = reply.send(Msg(v, next_tx));
                from_ping = next_rx;
            }
        });
        let ping = tokio::spawn(async move {
            let mut sum = 0u64;
            for i in 0..n as u64 {
                let (reply_tx, reply_rx) = channel();
                let _ = to_pong.send(Msg(i, reply_tx));
                let Msg(v, next) = reply_rx.await.expect("pong side hung up");
                sum = sum.wrapping_add(v);
                to_pong = next;
            }
            black_box(sum)
        });
        let sum = ping.await.expect("ping task failed");
        pong.await.expect("pong task failed");
        finish(start, sum, n)
    })
}

pub fn smol(n: usize) -> Duration {
    use futures_channel::oneshot::{channel, Sender};
    struct Msg(u64, Sender<Msg>);

    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let (mut to_pong, mut from_ping) = channel::<Msg>();
        let pong = ex.spawn(async move {
            for _ in 0..n {
                let Msg(v, reply) = from_ping.await.expect("ping side hung up");
                let (next_tx, next_rx) = channel();
                let _ = reply.send(Msg(v, next_tx));
                from_ping = next_rx;
            }
        });
        let ping = ex.spawn(async move {
            let mut sum = 0u64;
            for i in 0..n as u64 {
                let (reply_tx, reply_rx) = channel();
                let _ = to_pong.send(Msg(i, reply_tx));
                let Msg(v, next) = reply_rx.await.expect("pong side hung up");
                sum = sum.wrapping_add(v);
                to_pong = next;
            }
            black_box(sum)
        });
        let sum = ping.await;
        pong.await;
        finish(start, sum, n)
    }))
}
