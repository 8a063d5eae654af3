//! Native-only stress tests of the queues and channels: several threads, each running its own
//! tulipa `Runtime`, sharing one queue or channel; invariants are checked at the end. Also
//! the throughput measurement behind the choice of mpsc implementation (ignored by default).

// Threads and `Runtime` do not exist in the browser.
#![cfg(not(target_arch = "wasm32"))]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use tulipa::channel::mpsc;
use tulipa::queue::{PriorityQueue, Queue, QueueShutDown, TryGetError, TryPutError};
use tulipa::Runtime;

#[path = "support/mod.rs"]
mod support;
use support::within;

const LIMIT: Duration = Duration::from_secs(120);
/// Operations per thread.
const OPS: usize = 100_000;

/// Polls `f` once: `Ready(output)` or `Pending` (the future stays registered).
async fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *f).poll(cx))).await
}

/// Runs `body` on its own thread, inside its own tulipa `Runtime`, after `start` opens.
fn on_runtime<T: Send + 'static, F: Future<Output = T> + 'static>(
    start: Arc<Barrier>,
    body: impl FnOnce() -> F + Send + 'static,
) -> thread::JoinHandle<T> {
    thread::spawn(move || {
        let rt = Runtime::new().expect("runtime");
        start.wait();
        rt.block_on(body())
    })
}

/// Puts one item, exercising every put path: the plain put, `try_put` with a fallback, and
/// a put polled once and abandoned (cancelled; a slot promised to it passes on) before the
/// item is put again. Returns whether an abandoned put was involved.
async fn put_any_way(q: &Queue<(usize, usize)>, item: (usize, usize), i: usize) -> bool {
    match i % 5 {
        0 => match q.try_put(item) {
            Ok(()) => false,
            Err(TryPutError::Full(item)) => {
                q.put(item).await.unwrap();
                false
            }
            Err(e) => panic!("unexpected {e}"),
        },
        1 => {
            let mut put = q.put(item);
            match poll_once(&mut put).await {
                Poll::Ready(r) => {
                    r.unwrap();
                    false
                }
                Poll::Pending => {
                    tulipa::yield_now().await; // let a slot be promised to it, maybe
                    let item = put.into_inner().expect("not completed");
                    q.put(item).await.unwrap();
                    true
                }
            }
        }
        _ => {
            q.put(item).await.unwrap();
            false
        }
    }
}

/// Gets one item (or `None` at shutdown), exercising the plain get, `try_get`, and a get
/// polled once and dropped (cancelled; an item promised to it stays in the queue).
async fn get_any_way(q: &Queue<(usize, usize)>, i: usize) -> Option<(usize, usize)> {
    match i % 7 {
        0 => match q.try_get() {
            Ok(item) => Some(item),
            Err(TryGetError::Empty) => q.get().await.ok(),
            Err(_) => None,
        },
        1 => {
            let mut get = q.get();
            if let Poll::Ready(r) = poll_once(&mut get).await {
                return r.ok();
            }
            tulipa::yield_now().await;
            drop(get); // cancelled, perhaps after an item was promised to it
            q.get().await.ok()
        }
        _ => q.get().await.ok(),
    }
}

#[test]
fn queue_four_threads_mixed_puts_gets_and_cancellations_lose_nothing() {
    within(LIMIT, || {
        const MAX: usize = 16;
        const PRODUCERS: usize = 2;
        let q = Arc::new(Queue::new(MAX));
        let start = Arc::new(Barrier::new(4));
        let abandoned = Arc::new(AtomicUsize::new(0));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (q, abandoned) = (q.clone(), abandoned.clone());
                on_runtime(start.clone(), move || async move {
                    for seq in 0..OPS {
                        if put_any_way(&q, (p, seq), seq).await {
                            abandoned.fetch_add(1, Ordering::Relaxed);
                        }
                        assert!(q.qsize() <= MAX, "qsize above maxsize");
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                on_runtime(start.clone(), move || async move {
                    let mut got = Vec::new();
                    let mut i = 0;
                    while let Some(item) = get_any_way(&q, i).await {
                        assert!(q.qsize() <= MAX, "qsize above maxsize");
                        got.push(item);
                        i += 1;
                    }
                    got
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        q.shutdown(false); // consumers drain the rest, then stop
        let mut seen = vec![vec![false; OPS]; PRODUCERS];
        let mut total = 0;
        for c in consumers {
            let got = c.join().unwrap();
            // FIFO: each consumer sees each producer's items in the order they were put.
            let mut last = [None::<usize>; PRODUCERS];
            for &(p, seq) in &got {
                assert!(
                    last[p] < Some(seq),
                    "producer {p}: {seq} after {:?}",
                    last[p]
                );
                last[p] = Some(seq);
                assert!(!seen[p][seq], "item ({p}, {seq}) received twice");
                seen[p][seq] = true;
            }
            total += got.len();
        }
        assert_eq!(total, PRODUCERS * OPS, "every item received exactly once");
        assert!(seen.iter().flatten().all(|s| *s));
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), PRODUCERS * OPS);
        eprintln!(
            "abandoned puts that waited: {}",
            abandoned.load(Ordering::Relaxed)
        );
    });
}

#[test]
fn queue_four_threads_task_done_and_join_across_threads() {
    within(LIMIT, || {
        let q = Arc::new(PriorityQueue::new(8));
        let start = Arc::new(Barrier::new(4));
        let producers: Vec<_> = (0..2u64)
            .map(|p| {
                let q = q.clone();
                on_runtime(start.clone(), move || async move {
                    for i in 0..OPS as u64 {
                        q.put(i * 2 + p).await.unwrap();
                    }
                })
            })
            .collect();
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                on_runtime(start.clone(), move || async move {
                    let mut sum = 0u64;
                    while let Ok(v) = q.get().await {
                        sum += v;
                        q.task_done().unwrap();
                    }
                    sum
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        // Join from yet another runtime: returns once the workers marked everything done.
        Runtime::new().unwrap().block_on(q.join());
        assert_eq!(q.unfinished_tasks(), 0);
        q.shutdown(false);
        let sum: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
        let n = 2 * OPS as u64;
        assert_eq!(sum, n * (n - 1) / 2, "every item received exactly once");
        assert!(q.task_done().is_err(), "no extra task_done");
    });
}

#[test]
fn queue_shutdown_from_another_thread_wakes_every_waiter() {
    within(LIMIT, || {
        let q = Arc::new(Queue::<usize>::new(1));
        q.try_put(0).unwrap();
        let full = Arc::new(Queue::<usize>::new(0)); // getters park on this empty one
        let start = Arc::new(Barrier::new(3));
        let putter = {
            let q = q.clone();
            on_runtime(start.clone(), move || async move {
                let mut refused = 0;
                let puts: Vec<_> = (1..=100)
                    .map(|i| {
                        tulipa::spawn({
                            let q = q.clone();
                            async move { q.put(i).await }
                        })
                    })
                    .collect();
                for p in puts {
                    if let Err(QueueShutDown(i)) = p.await.unwrap() {
                        assert!(i > 0);
                        refused += 1;
                    }
                }
                refused
            })
        };
        let getter = {
            let full = full.clone();
            on_runtime(start.clone(), move || async move {
                let gets: Vec<_> = (0..100)
                    .map(|_| {
                        tulipa::spawn({
                            let full = full.clone();
                            async move { full.get().await }
                        })
                    })
                    .collect();
                let mut refused = 0;
                for g in gets {
                    assert_eq!(g.await.unwrap(), Err(QueueShutDown(())));
                    refused += 1;
                }
                refused
            })
        };
        start.wait();
        // Give the waiters time to park, so that shutdown has to wake them. The outcome does
        // not depend on it: a put or get that starts after the shutdown fails the same way.
        thread::sleep(Duration::from_millis(50));
        q.shutdown(false);
        full.shutdown(true);
        assert_eq!(putter.join().unwrap(), 100);
        assert_eq!(getter.join().unwrap(), 100);
        assert_eq!(
            q.try_get(),
            Ok(0),
            "a graceful shutdown keeps the queued item"
        );
    });
}

#[test]
fn mpsc_three_senders_one_receiver_on_four_threads() {
    within(LIMIT, || {
        let (tx, mut rx) = mpsc::bounded::<(usize, usize)>(32);
        let start = Arc::new(Barrier::new(4));
        let senders: Vec<_> = (0..3)
            .map(|p| {
                let tx = tx.clone();
                on_runtime(start.clone(), move || async move {
                    for seq in 0..OPS {
                        if seq % 3 == 0 {
                            match tx.try_send((p, seq)) {
                                Ok(()) => continue,
                                Err(e) => tx.send(e.into_inner()).await.unwrap(),
                            }
                        } else {
                            tx.send((p, seq)).await.unwrap();
                        }
                        assert!(tx.len() <= 32);
                    }
                })
            })
            .collect();
        drop(tx);
        let receiver = on_runtime(start, move || async move {
            let mut next = [0usize; 3];
            let mut n = 0;
            while let Some((p, seq)) = rx.recv().await {
                assert_eq!(seq, next[p], "per-sender order");
                next[p] += 1;
                n += 1;
            }
            (n, next)
        });
        for s in senders {
            s.join().unwrap();
        }
        let (n, next) = receiver.join().unwrap();
        assert_eq!(n, 3 * OPS);
        assert_eq!(next, [OPS; 3]);
    });
}

#[test]
fn mpsc_receiver_dropped_on_another_thread_hands_values_back() {
    within(LIMIT, || {
        let (tx, rx) = mpsc::bounded::<usize>(4);
        let start = Arc::new(Barrier::new(2));
        let sender = on_runtime(start.clone(), move || async move {
            let mut sent = 0;
            for i in 0.. {
                match tx.send(i).await {
                    Ok(()) => sent += 1,
                    Err(e) => {
                        assert_eq!(e.0, i, "the refused value comes back");
                        return sent;
                    }
                }
            }
            unreachable!()
        });
        start.wait();
        while rx.len() < 4 {
            thread::yield_now(); // the sender fills the channel; its 5th send must wait
        }
        drop(rx);
        assert_eq!(sender.join().unwrap(), 4, "exactly the capacity got in");
    });
}

// ---- Throughput: the measurement behind building mpsc on the queue core ----

/// Runs `body` as a spawned task of a fresh runtime. The measurements run both sides in
/// spawned tasks: the root future of `block_on` is woken through the host's park/unpark
/// path, which costs far more per wakeup than a task does and would hide the channel.
fn in_task<F: Future<Output = u64> + Send + 'static>(body: F) -> u64 {
    let rt = Runtime::new().unwrap();
    rt.block_on(async move { tulipa::spawn(body).await.unwrap() })
}

fn rate(n: u64, f: impl FnOnce() -> u64) -> f64 {
    let t = Instant::now();
    let sum = f();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(sum, n * (n - 1) / 2);
    n as f64 / secs / 1e6
}

fn tulipa_mpsc(n: u64) -> u64 {
    in_task(async move {
        let (tx, mut rx) = mpsc::bounded(1024);
        let p = tulipa::spawn(async move {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        });
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        p.await.unwrap();
        sum
    })
}

fn tulipa_queue(n: u64) -> u64 {
    in_task(async move {
        let q = Arc::new(Queue::new(1024));
        let p = tulipa::spawn({
            let q = q.clone();
            async move {
                for i in 0..n {
                    q.put(i).await.unwrap();
                }
                q.shutdown(false);
            }
        });
        let mut sum = 0;
        while let Ok(v) = q.get().await {
            sum += v;
        }
        p.await.unwrap();
        sum
    })
}

fn futures_channel(n: u64) -> u64 {
    in_task(async move {
        let (mut tx, mut rx) = futures_channel::mpsc::channel(1024);
        let p = tulipa::spawn(async move {
            for i in 0..n {
                std::future::poll_fn(|cx| tx.poll_ready(cx)).await.unwrap();
                tx.start_send(i).unwrap();
            }
        });
        let mut sum = 0;
        while let Ok(v) = rx.recv().await {
            sum += v;
        }
        p.await.unwrap();
        sum
    })
}

/// A boxed future borrowing its argument, for the two-thread measurement.
type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The same workload with the producer and the consumer on two threads, each in its own
/// runtime.
fn two_threads<S, R>(
    n: u64,
    make: fn() -> (S, R),
    send: fn(&mut S, u64) -> BoxFut<'_, ()>,
    recv: fn(&mut R) -> BoxFut<'_, Option<u64>>,
) -> u64
where
    S: Send + 'static,
    R: Send + 'static,
{
    let (mut tx, mut rx) = make();
    let start = Arc::new(Barrier::new(2));
    let p = on_runtime(start.clone(), move || async move {
        for i in 0..n {
            send(&mut tx, i).await;
        }
    });
    let c = on_runtime(start, move || async move {
        let mut sum = 0;
        while let Some(v) = recv(&mut rx).await {
            sum += v;
        }
        sum
    });
    p.join().unwrap();
    c.join().unwrap()
}

fn tulipa_mpsc_2t(n: u64) -> u64 {
    two_threads(
        n,
        || mpsc::bounded(1024),
        |tx, i| Box::pin(async move { tx.send(i).await.unwrap() }),
        |rx| Box::pin(rx.recv()),
    )
}

fn futures_channel_2t(n: u64) -> u64 {
    two_threads(
        n,
        || futures_channel::mpsc::channel(1024),
        |tx, i| {
            Box::pin(async move {
                std::future::poll_fn(|cx| tx.poll_ready(cx)).await.unwrap();
                tx.start_send(i).unwrap();
            })
        },
        |rx| Box::pin(async move { rx.recv().await.ok() }),
    )
}

#[test]
#[ignore = "a measurement: cargo test --release --test queue_stress -- --ignored --nocapture"]
fn throughput_one_producer_one_consumer_bounded_1024() {
    const N: u64 = 10_000_000;
    type Workload = (&'static str, fn(u64) -> u64);
    let runs: [Workload; 5] = [
        ("tulipa mpsc::bounded(1024)", tulipa_mpsc),
        ("tulipa Queue::new(1024)", tulipa_queue),
        ("futures-channel channel(1024)", futures_channel),
        ("2 threads: tulipa mpsc", tulipa_mpsc_2t),
        ("2 threads: futures-channel", futures_channel_2t),
    ];
    let mut results = vec![Vec::new(); runs.len()];
    for _round in 0..5 {
        for (i, (_, f)) in runs.iter().enumerate() {
            results[i].push(rate(N, || f(N)));
        }
    }
    for (i, (name, _)) in runs.iter().enumerate() {
        let r = &mut results[i];
        r.sort_by(|a, b| a.partial_cmp(b).unwrap());
        eprintln!(
            "{name:32} median {:6.1} M items/s (min {:.1}, max {:.1})",
            r[r.len() / 2],
            r[0],
            r[r.len() - 1]
        );
    }
}

/// The ball of the oneshot ping-pong: a count and where to send the reply.
struct Ball<S>(u64, S);

struct TulipaBall(Ball<tulipa::channel::oneshot::Sender<TulipaBall>>);
struct FuturesBall(Ball<futures_channel::oneshot::Sender<FuturesBall>>);

fn tulipa_oneshot_ping_pong(n: u64) -> u64 {
    use tulipa::channel::oneshot;
    in_task(async move {
        let (to_pong, at_pong) = oneshot::channel::<TulipaBall>();
        let ponger = tulipa::spawn(async move {
            let mut at_pong = at_pong;
            loop {
                let Ok(TulipaBall(Ball(k, reply))) = at_pong.await else {
                    return;
                };
                let (tx, rx) = oneshot::channel();
                if reply.send(TulipaBall(Ball(k + 1, tx))).is_err() {
                    return;
                }
                at_pong = rx;
            }
        });
        let (tx, mut at_ping) = oneshot::channel();
        let _ = to_pong.send(TulipaBall(Ball(0, tx)));
        let mut sum = 0;
        for i in 0..n {
            let TulipaBall(Ball(k, to_pong)) = at_ping.await.unwrap();
            assert_eq!(k, 2 * i + 1);
            sum += i;
            let (tx, rx) = oneshot::channel();
            let _ = to_pong.send(TulipaBall(Ball(k + 1, tx)));
            at_ping = rx;
        }
        drop(at_ping);
        ponger.await.unwrap();
        sum
    })
}

fn futures_oneshot_ping_pong(n: u64) -> u64 {
    use futures_channel::oneshot;
    in_task(async move {
        let (to_pong, at_pong) = oneshot::channel::<FuturesBall>();
        let ponger = tulipa::spawn(async move {
            let mut at_pong = at_pong;
            loop {
                let Ok(FuturesBall(Ball(k, reply))) = at_pong.await else {
                    return;
                };
                let (tx, rx) = oneshot::channel();
                if reply.send(FuturesBall(Ball(k + 1, tx))).is_err() {
                    return;
                }
                at_pong = rx;
            }
        });
        let (tx, mut at_ping) = oneshot::channel();
        let _ = to_pong.send(FuturesBall(Ball(0, tx)));
        let mut sum = 0;
        for i in 0..n {
            let FuturesBall(Ball(k, to_pong)) = at_ping.await.unwrap();
            assert_eq!(k, 2 * i + 1);
            sum += i;
            let (tx, rx) = oneshot::channel();
            let _ = to_pong.send(FuturesBall(Ball(k + 1, tx)));
            at_ping = rx;
        }
        drop(at_ping);
        ponger.await.unwrap();
        sum
    })
}

#[test]
#[ignore = "a measurement: cargo test --release --test queue_stress -- --ignored --nocapture"]
fn throughput_oneshot_ping_pong() {
    const N: u64 = 1_000_000;
    type Workload = (&'static str, fn(u64) -> u64);
    let runs: [Workload; 2] = [
        ("tulipa oneshot ping-pong", tulipa_oneshot_ping_pong),
        (
            "futures-channel oneshot ping-pong",
            futures_oneshot_ping_pong,
        ),
    ];
    let mut results = vec![Vec::new(); runs.len()];
    for _round in 0..5 {
        for (i, (_, f)) in runs.iter().enumerate() {
            results[i].push(rate(N, || f(N)));
        }
    }
    for (i, (name, _)) in runs.iter().enumerate() {
        let r = &mut results[i];
        r.sort_by(|a, b| a.partial_cmp(b).unwrap());
        eprintln!(
            "{name:36} median {:6.2} M round trips/s (min {:.2}, max {:.2})",
            r[r.len() / 2],
            r[0],
            r[r.len() - 1]
        );
    }
}
