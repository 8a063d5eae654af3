//! Channels between tasks.
//!
//! | channel | senders → receivers | holds | for |
//! |---|---|---|---|
//! | [`mpsc`] | many → one | a FIFO buffer, [`mpsc::bounded`]`(n)` (exactly `n`) or [`mpsc::unbounded`] | streams of work or events |
//! | [`oneshot`] | one → one | one value, sent once | a reply, a result |
//! | [`broadcast`] | many → many, each receiver gets every value | the last `capacity` values (a slow receiver skips, told how many it missed) | events, fan-out |
//! | [`watch`] | one → many | the latest value only | configuration, state, shutdown flags |
//!
//! For many consumers sharing one stream of work, use [`crate::queue::Queue`] behind an
//! `Arc` (it is the same machinery as `mpsc`, with any number of getters).
//!
//! Like every tulipa primitive they use nothing but [`std::task::Waker`], so they work under
//! any executor and, natively, between tasks on different threads' loops. Every async method
//! documents its cancel safety; none loses a value when cancelled.
//!
//! ```
//! use tulipa::channel::mpsc;
//!
//! tulipa::run(async {
//!     let (tx, mut rx) = mpsc::bounded(16);
//!     let producer = tulipa::spawn(async move {
//!         for i in 0..100 {
//!             tx.send(i).await.unwrap();
//!         }
//!     });
//!     let mut sum = 0;
//!     while let Some(i) = rx.recv().await {
//!         sum += i;
//!     }
//!     producer.await.unwrap();
//!     assert_eq!(sum, 4950);
//! });
//! ```
//!
//! # Why not futures-channel
//!
//! The design named `futures-channel` as the base for mpsc unless a measurement showed a
//! need for more. It did, twice over:
//!
//! * Capacity. `futures-channel`'s `channel(n)` holds `n` values *plus one per sender*, so
//!   its bound depends on how many senders exist; tulipa's rule is that `bounded(n)` holds
//!   exactly `n`. Its `Sender::send` also needs `&mut self` (through `SinkExt`).
//! * Speed. One producer task → one consumer task, 1e7 `u64`s through a channel of 1024, both
//!   spawned on one `tulipa::Runtime`, release build, median of 5 interleaved runs on the
//!   2-core development machine (`tests/queue_stress.rs`,
//!   `throughput_one_producer_one_consumer_bounded_1024`, run with `--ignored`): tulipa's
//!   mpsc 51 M values/s, `futures-channel` 33 M values/s. With the producer and the consumer
//!   on two threads, each in its own runtime: 14.9 M/s against 13.5 M/s. A oneshot
//!   ping-pong between two tasks (`throughput_oneshot_ping_pong`): 6.1 M round trips/s
//!   against 5.1 M/s.
//!
//! So [`mpsc`] is built on the core of [`crate::queue::Queue`], which it shares: the same
//! exact capacity, FIFO-fair senders, and the same cancel safety (a cancelled `recv` loses
//! nothing, a cancelled `send` sends nothing). [`oneshot`] is a small mutex-guarded slot of
//! its own (no dependency, and at least as fast), and so the crate needs no channel crate.

pub mod broadcast;
pub mod mpsc;
pub mod oneshot;
pub mod watch;
