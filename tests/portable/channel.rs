//! Channels: mpsc (exact capacity, order, close/drop semantics, cancel safety), oneshot and
//! watch. Portable (native and browser).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use tulipa::channel::{broadcast, mpsc, oneshot, watch};
use tulipa::time;

const MS: Duration = Duration::from_millis(1);

/// Polls `f` once: `Ready(output)` or `Pending` (the future stays registered).
async fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *f).poll(cx))).await
}

/// Counts drops of values.
#[derive(Debug)]
struct Tracked(u32, Rc<Cell<u32>>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.1.set(self.1.get() + 1);
    }
}

portable_test! {
    async fn channel_halves_are_send_and_sync_when_values_are_send() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<mpsc::Sender<String>>();
        send_sync::<mpsc::Receiver<String>>();
        send::<mpsc::SendFuture<'static, String>>();
        send::<mpsc::RecvFuture<'static, String>>();
        send_sync::<oneshot::Sender<String>>();
        send_sync::<oneshot::Receiver<String>>();
        send_sync::<watch::Sender<String>>();
        send_sync::<watch::Receiver<String>>();
        send::<watch::Changed<'static, String>>();
        send_sync::<broadcast::Sender<String>>();
        send_sync::<broadcast::Receiver<String>>();
        send::<broadcast::Recv<'static, String>>();
    }
}

// ---- mpsc ----

portable_test! {
    async fn mpsc_bounded_capacity_is_exact_whatever_the_number_of_senders() {
        let (tx, mut rx) = mpsc::bounded(2);
        let senders: Vec<_> = (0..5).map(|_| tx.clone()).collect();
        assert_eq!(senders[0].try_send(0), Ok(()));
        assert_eq!(senders[1].try_send(1), Ok(()));
        for (i, s) in senders.iter().enumerate() {
            assert_eq!(s.try_send(10 + i), Err(mpsc::TrySendError::Full(10 + i)));
        }
        assert_eq!((tx.len(), rx.len(), tx.max_capacity()), (2, 2, Some(2)));
        let mut third = tx.send(2);
        assert!(poll_once(&mut third).await.is_pending(), "the third value waits");
        assert_eq!(rx.recv().await, Some(0));
        assert_eq!(third.await, Ok(()));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
    }
}

portable_test! {
    async fn mpsc_values_arrive_in_order_then_none_after_the_last_sender_drops() {
        let (tx, mut rx) = mpsc::unbounded();
        let tx2 = tx.clone();
        assert!(tx.same_channel(&tx2));
        for i in 0..3 {
            tx.send(i).await.unwrap();
            tx2.send(10 + i).await.unwrap();
        }
        drop(tx);
        assert!(!rx.is_closed(), "a sender is still alive");
        tx2.send(99).await.unwrap();
        drop(tx2);
        assert!(rx.is_closed());
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        assert_eq!(got, [0, 10, 1, 11, 2, 12, 99], "buffered values are drained first");
        assert_eq!(rx.recv().await, None, "and None stays None");
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Closed));
    }
}

portable_test! {
    async fn mpsc_receiver_waits_for_a_sender_on_another_task() {
        let (tx, mut rx) = mpsc::bounded(1);
        let producer = tulipa::spawn(async move {
            for i in 0..100 {
                tx.send(i).await.unwrap();
            }
        });
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        producer.await.unwrap();
        assert_eq!(sum, 4950);
    }
}

portable_test! {
    async fn mpsc_blocked_senders_are_served_in_arrival_order() {
        let (tx, mut rx) = mpsc::bounded(1);
        tx.send(0).await.unwrap();
        let mut senders = Vec::new();
        for i in 1..=4 {
            let tx = tx.clone();
            senders.push(tulipa::spawn(async move { tx.send(i).await.unwrap() }));
            tulipa::yield_now().await;
        }
        drop(tx);
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        assert_eq!(got, [0, 1, 2, 3, 4]);
        for s in senders {
            s.await.unwrap();
        }
    }
}

portable_test! {
    async fn mpsc_dropping_the_receiver_hands_values_back_and_drops_the_buffer() {
        let drops = Rc::new(Cell::new(0));
        let (tx, rx) = mpsc::bounded(2);
        tx.send(Tracked(1, drops.clone())).await.unwrap();
        tx.send(Tracked(2, drops.clone())).await.unwrap();
        let tx2 = tx.clone();
        let blocked = tulipa::spawn_local(async move {
            tx2.send(Tracked(3, Rc::new(Cell::new(0)))).await.map_err(|e| e.0 .0)
        });
        tulipa::yield_now().await;
        assert!(!tx.is_closed());
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(drops.get(), 2, "the buffered values were dropped");
        assert_eq!(blocked.await.unwrap(), Err(3), "the blocked sender got its value back");
        let err = tx.send(Tracked(4, drops.clone())).await.unwrap_err();
        assert_eq!(err.to_string(), "the channel is closed");
        assert_eq!(err.into_inner().0, 4);
        match tx.try_send(Tracked(5, drops.clone())) {
            Err(mpsc::TrySendError::Closed(v)) => assert_eq!(v.0, 5),
            other => panic!("expected Closed, got {:?}", other.map_err(|e| e.to_string())),
        }
    }
}

portable_test! {
    async fn mpsc_close_refuses_sends_and_drains_the_buffer() {
        let (tx, mut rx) = mpsc::bounded(1);
        tx.send('a').await.unwrap();
        let tx2 = tx.clone();
        let blocked = tulipa::spawn(async move { tx2.send('b').await });
        tulipa::yield_now().await;
        rx.close();
        assert!(rx.is_closed() && tx.is_closed());
        assert_eq!(blocked.await.unwrap(), Err(mpsc::SendError('b')));
        assert_eq!(tx.try_send('c'), Err(mpsc::TrySendError::Closed('c')));
        assert_eq!(rx.recv().await, Some('a'));
        assert_eq!(rx.recv().await, None);
    }
}

portable_test! {
    async fn mpsc_try_recv_and_poll_recv() {
        let (tx, mut rx) = mpsc::bounded(4);
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Empty));
        assert!(rx.is_empty() && tx.is_empty());
        tx.try_send(1).unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        // A receiver parked through poll_recv still sees, through try_recv, a value that was
        // promised to it.
        assert!(poll_once(&mut std::future::poll_fn(|cx| rx.poll_recv(cx))).await.is_pending());
        tx.try_send(2).unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
        tx.try_send(3).unwrap();
        drop(tx);
        assert_eq!(std::future::poll_fn(|cx| rx.poll_recv(cx)).await, Some(3));
        assert_eq!(std::future::poll_fn(|cx| rx.poll_recv(cx)).await, None);
    }
}

portable_test! {
    async fn mpsc_unbounded_never_waits() {
        let (tx, mut rx) = mpsc::unbounded();
        assert_eq!(tx.max_capacity(), None);
        assert_eq!(rx.max_capacity(), None);
        // Never waits for room. The cooperative budget may still make a send give way
        // after 128 completions in one poll; `unconstrained` takes that out of the picture.
        tulipa::task::unconstrained(async {
            for i in 0..10_000 {
                let mut send = tx.send(i);
                assert!(poll_once(&mut send).await.is_ready());
            }
        })
        .await;
        assert_eq!(rx.len(), 10_000);
        assert_eq!(rx.recv().await, Some(0));
    }
}

portable_test! {
    async fn mpsc_recv_cancelled_loses_nothing() {
        time::pause();
        let (tx, mut rx) = mpsc::bounded(1);
        assert!(time::timeout(10 * MS, rx.recv()).await.is_err());
        // Promised, then dropped before it was polled again.
        let mut recv = rx.recv();
        assert!(poll_once(&mut recv).await.is_pending());
        tx.try_send("kept").unwrap();
        drop(recv);
        assert_eq!(rx.len(), 1);
        assert_eq!(rx.recv().await, Some("kept"));
    }
}

portable_test! {
    async fn mpsc_send_cancelled_never_sends_and_passes_its_room_on() {
        time::pause();
        let (tx, mut rx) = mpsc::bounded(1);
        tx.send(0).await.unwrap();
        assert!(time::timeout(10 * MS, tx.send(1)).await.is_err());
        let mut promised = tx.send(2);
        assert!(poll_once(&mut promised).await.is_pending());
        let tx2 = tx.clone();
        let next = tulipa::spawn(async move { tx2.send(3).await });
        tulipa::yield_now().await;
        assert_eq!(rx.try_recv(), Ok(0)); // the room is promised to `promised`
        assert_eq!(promised.into_inner(), Some(2), "given up: the room passes to `next`");
        assert_eq!(next.await.unwrap(), Ok(()));
        drop(tx);
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.recv().await, None, "1 and 2 were never sent");
    }
}

portable_test! {
    async fn mpsc_error_values() {
        let full = mpsc::TrySendError::Full(1);
        assert!(full.is_full() && !full.is_closed());
        assert_eq!(full.to_string(), "the channel is full");
        assert_eq!(format!("{full:?}"), "Full(..)");
        assert_eq!(mpsc::TryRecvError::Closed.to_string(), "the channel is empty and closed");
        let e: Box<dyn std::error::Error> = Box::new(mpsc::SendError(()));
        assert_eq!(e.to_string(), "the channel is closed");
    }
}

// ---- oneshot ----

portable_test! {
    async fn oneshot_delivers_a_value_across_tasks() {
        let (tx, rx) = oneshot::channel();
        let t = tulipa::spawn(rx);
        tulipa::yield_now().await;
        assert!(!tx.is_closed());
        tx.send(String::from("hi")).unwrap();
        assert_eq!(t.await.unwrap().as_deref(), Ok("hi"));
    }
}

portable_test! {
    async fn oneshot_sender_dropped_without_sending() {
        let (tx, mut rx) = oneshot::channel::<u8>();
        assert_eq!(rx.try_recv(), Err(oneshot::TryRecvError::Empty));
        let waiting = tulipa::spawn(rx);
        tulipa::yield_now().await;
        drop(tx);
        assert_eq!(waiting.await.unwrap(), Err(oneshot::RecvError));
        let (tx, mut rx) = oneshot::channel::<u8>();
        drop(tx);
        assert_eq!(rx.try_recv(), Err(oneshot::TryRecvError::Closed));
    }
}

portable_test! {
    async fn oneshot_receiver_gone_hands_the_value_back_and_wakes_closed() {
        let (mut tx, rx) = oneshot::channel();
        let watcher = tulipa::spawn(async move {
            tx.closed().await;
            tx.send(5)
        });
        tulipa::yield_now().await;
        assert!(!watcher.is_finished());
        drop(rx);
        assert_eq!(watcher.await.unwrap(), Err(5));

        let drops = Rc::new(Cell::new(0));
        let (tx, rx) = oneshot::channel();
        tx.send(Tracked(1, drops.clone())).unwrap();
        drop(rx);
        assert_eq!(drops.get(), 1, "a value nobody will receive is dropped with the receiver");
    }
}

portable_test! {
    async fn oneshot_close_keeps_a_value_already_sent() {
        let (tx, mut rx) = oneshot::channel();
        tx.send(1).unwrap();
        rx.close();
        assert_eq!(rx.await, Ok(1));

        let (tx, mut rx) = oneshot::channel();
        rx.close();
        assert!(tx.is_closed());
        assert_eq!(tx.send(2), Err(2));
        assert_eq!(rx.await, Err(oneshot::RecvError));
    }
}

portable_test! {
    async fn oneshot_receiver_polled_through_a_timeout_loses_nothing() {
        time::pause();
        let (tx, mut rx) = oneshot::channel();
        assert!(time::timeout(10 * MS, &mut rx).await.is_err());
        let sender = tulipa::spawn(async move {
            tulipa::sleep(5 * MS).await;
            tx.send("late").unwrap();
        });
        assert_eq!(time::timeout(10 * MS, &mut rx).await, Ok(Ok("late")));
        sender.await.unwrap();
    }
}

portable_test! {
    async fn oneshot_ping_pong() {
        let (to_pong, mut from_ping) = mpsc::unbounded::<oneshot::Sender<u32>>();
        let ponger = tulipa::spawn(async move {
            let mut n = 0;
            while let Some(reply) = from_ping.recv().await {
                n += 1;
                reply.send(n).unwrap();
            }
            n
        });
        for i in 1..=1000 {
            let (tx, rx) = oneshot::channel();
            to_pong.send(tx).await.unwrap();
            assert_eq!(rx.await, Ok(i));
        }
        drop(to_pong);
        assert_eq!(ponger.await.unwrap(), 1000);
    }
}

// ---- watch ----

portable_test! {
    async fn watch_receivers_see_the_latest_value_and_skip_intermediate_ones() {
        let (tx, mut rx) = watch::channel(0);
        assert_eq!(rx.has_changed(), Ok(false));
        for i in 1..=3 {
            tx.send(i).unwrap();
        }
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), 3, "skips to the latest");
        assert_eq!(rx.has_changed(), Ok(false), "changed marked it seen");
        let waiting = tulipa::spawn(async move {
            rx.changed().await.unwrap();
            *rx.borrow_and_update()
        });
        tulipa::yield_now().await;
        assert!(!waiting.is_finished());
        tx.send_modify(|v| *v *= 10);
        assert_eq!(waiting.await.unwrap(), 30);
    }
}

portable_test! {
    async fn watch_every_receiver_is_told_and_clones_share_what_was_seen() {
        let (tx, rx) = watch::channel("a");
        let mut observers = Vec::new();
        for _ in 0..3 {
            let mut rx = rx.clone();
            observers.push(tulipa::spawn(async move {
                rx.changed().await.unwrap();
                *rx.borrow()
            }));
        }
        assert_eq!(tx.receiver_count(), 4);
        tulipa::yield_now().await;
        tx.send("b").unwrap();
        for o in observers {
            assert_eq!(o.await.unwrap(), "b");
        }
        let seen_clone = rx.clone();
        assert_eq!(seen_clone.has_changed(), Ok(true), "the clone has seen what rx has seen");
        let fresh = tx.subscribe();
        assert_eq!(fresh.has_changed(), Ok(false), "subscribe starts at the current value");
        assert!(rx.same_channel(&fresh));
    }
}

portable_test! {
    async fn watch_sender_gone_ends_changed_after_the_last_unseen_value() {
        let (tx, mut rx) = watch::channel(1);
        tx.send(2).unwrap();
        drop(tx);
        assert_eq!(rx.has_changed(), Ok(true));
        assert_eq!(rx.changed().await, Ok(()), "the unseen value is still reported");
        assert_eq!(*rx.borrow(), 2);
        assert_eq!(rx.changed().await, Err(watch::RecvError));
        assert_eq!(rx.has_changed(), Err(watch::RecvError));

        let (tx, mut rx) = watch::channel(());
        let waiting = tulipa::spawn(async move { rx.changed().await });
        tulipa::yield_now().await;
        drop(tx);
        assert_eq!(waiting.await.unwrap(), Err(watch::RecvError), "a parked receiver is woken");
    }
}

portable_test! {
    async fn watch_send_without_receivers() {
        let (tx, rx) = watch::channel(1);
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(2), Err(watch::SendError(2)));
        assert_eq!(*tx.borrow(), 1, "a refused value is not stored");
        assert_eq!(tx.send_replace(3), 1);
        let rx = tx.subscribe();
        assert_eq!(*rx.borrow(), 3);
        assert!(!tx.is_closed());
    }
}

portable_test! {
    async fn watch_changed_cancelled_misses_nothing_and_leaves_others_waiting() {
        time::pause();
        let (tx, mut rx) = watch::channel(0);
        assert!(time::timeout(10 * MS, rx.changed()).await.is_err());
        let mut other = rx.clone();
        let waiting = tulipa::spawn(async move { other.changed().await });
        let mut parked = rx.changed();
        assert!(poll_once(&mut parked).await.is_pending());
        tx.send(1).unwrap();
        drop(parked); // woken, then cancelled: nothing marked seen
        assert_eq!(rx.has_changed(), Ok(true));
        rx.changed().await.unwrap();
        assert_eq!(waiting.await.unwrap(), Ok(()), "the other receiver was told");
    }
}

// ---- broadcast ----

portable_test! {
    async fn broadcast_every_receiver_gets_every_value_in_order() {
        let (tx, mut rx1) = broadcast::channel(8);
        let tx2 = tx.clone();
        tx.send(1).unwrap();
        let mut late = tx.subscribe(); // sees only what comes next
        assert_eq!(tx2.send(2), Ok(2), "two receivers");
        let mut clone = rx1.clone(); // continues from rx1's position
        assert_eq!(rx1.recv().await, Ok(1));
        assert_eq!(rx1.recv().await, Ok(2));
        assert_eq!(late.recv().await, Ok(2));
        assert_eq!(clone.len(), 2);
        assert_eq!(clone.recv().await, Ok(1));
        assert_eq!(clone.try_recv(), Ok(2));
        assert_eq!(clone.try_recv(), Err(broadcast::TryRecvError::Empty));
        assert!(clone.is_empty());
        assert_eq!(tx.receiver_count(), 3);
    }
}

portable_test! {
    async fn broadcast_a_slow_receiver_is_told_how_many_values_it_missed() {
        let (tx, mut rx) = broadcast::channel(2);
        for i in 0..5 {
            tx.send(i).unwrap(); // never waits
        }
        assert_eq!(tx.len(), 2, "keeps the last `capacity` values");
        assert_eq!(rx.len(), 2);
        assert_eq!(rx.recv().await, Err(broadcast::RecvError::Lagged(3)));
        assert_eq!(rx.recv().await, Ok(3));
        assert_eq!(rx.recv().await, Ok(4));
        tx.send(5).unwrap();
        tx.send(6).unwrap();
        tx.send(7).unwrap();
        assert_eq!(rx.try_recv(), Err(broadcast::TryRecvError::Lagged(1)));
        assert_eq!(rx.try_recv(), Ok(6));
    }
}

portable_test! {
    async fn broadcast_closes_after_the_last_sender_once_drained() {
        let (tx, mut rx) = broadcast::channel(4);
        let mut parked = tx.subscribe();
        let waiting = tulipa::spawn(async move {
            let first = parked.recv().await;
            (first, parked.recv().await)
        });
        tulipa::yield_now().await;
        tx.send("last").unwrap();
        drop(tx);
        assert_eq!(
            waiting.await.unwrap(),
            (Ok("last"), Err(broadcast::RecvError::Closed)),
            "a parked receiver is woken by the last sender leaving"
        );
        assert_eq!(rx.recv().await, Ok("last"));
        assert_eq!(rx.recv().await, Err(broadcast::RecvError::Closed));
        assert_eq!(rx.try_recv(), Err(broadcast::TryRecvError::Closed));
    }
}

portable_test! {
    async fn broadcast_send_without_receivers_hands_the_value_back_and_history_is_freed() {
        let value = Rc::new(());
        let (tx, rx) = broadcast::channel(4);
        tx.send(value.clone()).unwrap();
        assert_eq!(Rc::strong_count(&value), 2);
        drop(rx);
        assert_eq!(Rc::strong_count(&value), 1, "nobody can read the history: it is dropped");
        let broadcast::SendError(back) = tx.send(value.clone()).unwrap_err();
        assert!(Rc::ptr_eq(&back, &value));
        let mut rx = tx.subscribe();
        assert_eq!(rx.try_recv(), Err(broadcast::TryRecvError::Empty));
    }
}

portable_test! {
    async fn broadcast_recv_cancelled_misses_nothing() {
        time::pause();
        let (tx, mut rx) = broadcast::channel(4);
        assert!(time::timeout(10 * MS, rx.recv()).await.is_err());
        let mut parked = rx.recv();
        assert!(poll_once(&mut parked).await.is_pending());
        tx.send('x').unwrap();
        drop(parked); // woken, then cancelled
        assert_eq!(rx.recv().await, Ok('x'));
    }
}

portable_test! {
    async fn broadcast_one_send_wakes_every_parked_receiver() {
        let (tx, rx) = broadcast::channel(1);
        let listeners: Vec<_> = (0..10)
            .map(|_| {
                let mut rx = rx.clone();
                tulipa::spawn(async move { rx.recv().await })
            })
            .collect();
        tulipa::yield_now().await;
        assert_eq!(tx.send(42), Ok(11));
        for l in listeners {
            assert_eq!(l.await.unwrap(), Ok(42));
        }
    }
}
