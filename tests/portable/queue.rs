//! Queues: ordering, exact maxsize, task_done/join, shutdown, fairness and cancel safety.
//! Portable (native and browser).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::Poll;
use std::time::Duration;

use tulipa::queue::{
    Get, Join, LifoQueue, PriorityQueue, Put, Queue, QueueShutDown, TaskDoneError, TryGetError,
    TryPutError,
};
use tulipa::time;

const MS: Duration = Duration::from_millis(1);

/// Polls `f` once: `Ready(output)` or `Pending` (the future stays registered).
async fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *f).poll(cx))).await
}

/// Counts drops of items.
struct Tracked(u32, Rc<Cell<u32>>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.1.set(self.1.get() + 1);
    }
}

/// A small deterministic pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

portable_test! {
    async fn queue_types_are_send_and_sync_when_items_are_send() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<Queue<String>>();
        send_sync::<LifoQueue<String>>();
        send_sync::<PriorityQueue<String>>();
        send::<Put<'static, String>>();
        send::<Get<'static, String>>();
        send::<Join<'static, String>>();
        send_sync::<QueueShutDown<String>>();
        send_sync::<TryPutError<String>>();
    }
}

portable_test! {
    async fn queue_fifo_order_and_sizes() {
        let q = Queue::new(3);
        assert_eq!((q.maxsize(), q.qsize(), q.empty(), q.full()), (3, 0, true, false));
        for i in 1..=3 {
            q.put(i).await.unwrap();
        }
        assert_eq!((q.qsize(), q.empty(), q.full()), (3, false, true));
        assert_eq!(q.get().await, Ok(1));
        assert_eq!(q.try_get(), Ok(2));
        q.put(4).await.unwrap();
        assert_eq!(q.get().await, Ok(3));
        assert_eq!(q.get().await, Ok(4));
        assert!(q.empty());
    }
}

portable_test! {
    async fn queue_lifo_order() {
        let q = LifoQueue::new(0);
        for i in 1..=3 {
            q.put(i).await.unwrap();
        }
        assert_eq!(q.get().await, Ok(3));
        q.put(4).await.unwrap();
        let rest: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
        assert_eq!(rest, [4, 2, 1]);
    }
}

portable_test! {
    async fn queue_priority_smallest_first_and_ties_in_put_order() {
        /// Ordered by `rank` only, so that ties are visible through `name`.
        #[derive(Debug, PartialEq, Eq)]
        struct Job {
            rank: u8,
            name: &'static str,
        }
        impl Ord for Job {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.rank.cmp(&other.rank)
            }
        }
        impl PartialOrd for Job {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        let q = PriorityQueue::new(0);
        for (rank, name) in [(3, "c1"), (1, "a1"), (2, "b1"), (1, "a2"), (3, "c2"), (1, "a3")] {
            q.put(Job { rank, name }).await.unwrap();
        }
        let mut names = Vec::new();
        while let Ok(job) = q.try_get() {
            names.push(job.name);
        }
        assert_eq!(names, ["a1", "a2", "a3", "b1", "c1", "c2"]);

        let rev = PriorityQueue::new(2);
        rev.put(std::cmp::Reverse(1)).await.unwrap();
        rev.put(std::cmp::Reverse(9)).await.unwrap();
        assert_eq!(rev.get().await, Ok(std::cmp::Reverse(9)), "Reverse gives largest first");
    }
}

portable_test! {
    async fn queue_maxsize_is_exact_for_every_kind() {
        fn check(try_put: impl Fn(u32) -> Result<(), TryPutError<u32>>, full: impl Fn() -> bool) {
            for i in 0..5 {
                assert!(!full());
                assert_eq!(try_put(i), Ok(()), "item {i} of 5 fits");
            }
            assert!(full());
            assert_eq!(try_put(5), Err(TryPutError::Full(5)), "the 6th is refused and handed back");
        }
        let (a, b, c) = (Queue::new(5), LifoQueue::new(5), PriorityQueue::new(5));
        check(|i| a.try_put(i), || a.full());
        check(|i| b.try_put(i), || b.full());
        check(|i| c.try_put(i), || c.full());
        assert_eq!((a.qsize(), b.qsize(), c.qsize()), (5, 5, 5));

        let one = Queue::new(1);
        one.put('x').await.unwrap();
        let mut second = one.put('y');
        assert!(poll_once(&mut second).await.is_pending(), "maxsize 1 holds exactly one");
        assert_eq!(one.try_get(), Ok('x'));
        assert_eq!(second.await, Ok(()));
        assert_eq!(one.try_get(), Ok('y'));

        let unbounded = Queue::new(0);
        for i in 0..10_000 {
            unbounded.try_put(i).unwrap();
        }
        assert!(!unbounded.full());
        assert_eq!((unbounded.qsize(), unbounded.maxsize()), (10_000, 0));
    }
}

portable_test! {
    async fn queue_try_errors_hand_the_item_back() {
        let q = Queue::new(1);
        assert_eq!(q.try_get(), Err(TryGetError::Empty));
        q.try_put(String::from("a")).unwrap();
        let full = q.try_put(String::from("b")).unwrap_err();
        assert!(full.is_full() && !full.is_shut_down());
        assert_eq!(full.to_string(), "the queue is full");
        assert_eq!(full.into_inner(), "b");
        q.shutdown(false);
        let shut = q.try_put(String::from("c")).unwrap_err();
        assert!(shut.is_shut_down());
        assert_eq!(shut, TryPutError::ShutDown(String::from("c")));
        assert_eq!(q.try_get().as_deref(), Ok("a"));
        assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
        assert_eq!(TryGetError::ShutDown.to_string(), "the queue is shut down");
        let err: Box<dyn std::error::Error> = Box::new(QueueShutDown(1));
        assert_eq!(err.to_string(), "the queue is shut down");
    }
}

portable_test! {
    async fn queue_put_waits_for_room_and_get_waits_for_an_item() {
        let q = Rc::new(Queue::new(1));
        q.put(0).await.unwrap();
        let putter = tulipa::spawn_local({
            let q = q.clone();
            async move { q.put(1).await }
        });
        tulipa::yield_now().await;
        assert!(!putter.is_finished(), "waits while the queue is full");
        assert_eq!(q.get().await, Ok(0));
        assert_eq!(putter.await.unwrap(), Ok(()));
        assert_eq!(q.get().await, Ok(1));

        let getter = tulipa::spawn_local({
            let q = q.clone();
            async move { q.get().await }
        });
        tulipa::yield_now().await;
        assert!(!getter.is_finished(), "waits while the queue is empty");
        q.put(2).await.unwrap();
        assert_eq!(getter.await.unwrap(), Ok(2));
    }
}

portable_test! {
    async fn queue_blocked_putters_are_served_in_arrival_order() {
        let q = Rc::new(Queue::new(1));
        q.put(0).await.unwrap();
        let mut putters = Vec::new();
        for i in 1..=5 {
            let q = q.clone();
            putters.push(tulipa::spawn_local(async move { q.put(i).await.unwrap() }));
            tulipa::yield_now().await; // park in this order
        }
        let mut got = Vec::new();
        for _ in 0..6 {
            got.push(q.get().await.unwrap());
        }
        assert_eq!(got, [0, 1, 2, 3, 4, 5]);
        for p in putters {
            p.await.unwrap();
        }
    }
}

portable_test! {
    async fn queue_blocked_getters_are_served_in_arrival_order() {
        let q = Rc::new(Queue::new(0));
        let mut getters = Vec::new();
        for _ in 0..5 {
            let q = q.clone();
            getters.push(tulipa::spawn_local(async move { q.get().await.unwrap() }));
            tulipa::yield_now().await; // park in this order
        }
        for i in 0..5 {
            q.put(i).await.unwrap();
        }
        for (i, g) in getters.into_iter().enumerate() {
            assert_eq!(g.await.unwrap(), i, "the i-th getter to wait gets the i-th item");
        }
    }
}

portable_test! {
    async fn queue_newcomers_do_not_barge_past_woken_waiters() {
        // An item promised to a woken getter is not available to try_get, and empty() says so.
        let q = Rc::new(Queue::new(1));
        let getter = tulipa::spawn_local({
            let q = q.clone();
            async move { q.get().await }
        });
        tulipa::yield_now().await;
        q.try_put('a').unwrap();
        assert_eq!(q.qsize(), 1);
        assert!(q.empty(), "the only item is promised to the woken getter");
        assert_eq!(q.try_get(), Err(TryGetError::Empty));
        assert_eq!(getter.await.unwrap(), Ok('a'));

        // A slot promised to a woken putter is not available to try_put, and full() says so.
        q.try_put('b').unwrap();
        let putter = tulipa::spawn_local({
            let q = q.clone();
            async move { q.put('c').await }
        });
        tulipa::yield_now().await;
        assert_eq!(q.try_get(), Ok('b'));
        assert_eq!(q.qsize(), 0);
        assert!(q.full(), "the free slot is promised to the woken putter");
        assert_eq!(q.try_put('x'), Err(TryPutError::Full('x')));
        assert_eq!(putter.await.unwrap(), Ok(()));
        assert_eq!(q.try_get(), Ok('c'));
    }
}

portable_test! {
    async fn queue_task_done_and_join() {
        let q = Rc::new(Queue::new(0));
        q.join().await; // nothing put: ready
        assert_eq!(q.task_done(), Err(TaskDoneError));
        for i in 0..3 {
            q.put(i).await.unwrap();
        }
        let joiners: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                tulipa::spawn_local(async move { q.join().await })
            })
            .collect();
        for _ in 0..3 {
            q.get().await.unwrap();
            tulipa::yield_now().await;
            assert!(joiners.iter().all(|j| !j.is_finished()), "taking is not finishing");
        }
        assert_eq!(q.unfinished_tasks(), 3);
        q.task_done().unwrap();
        q.task_done().unwrap();
        tulipa::yield_now().await;
        assert!(joiners.iter().all(|j| !j.is_finished()));
        q.task_done().unwrap();
        for j in joiners {
            j.await.unwrap(); // every joiner released
        }
        let err = q.task_done().unwrap_err();
        assert_eq!(err.to_string(), "task_done() called more times than items were put");
        assert_eq!(q.unfinished_tasks(), 0, "a refused task_done changes nothing");
        q.join().await;
    }
}

portable_test! {
    async fn queue_join_cancelled_leaves_other_joiners_working() {
        time::pause();
        let q = Rc::new(Queue::new(0));
        q.put(1).await.unwrap();
        assert!(time::timeout(MS, q.join()).await.is_err());
        let joiner = tulipa::spawn_local({
            let q = q.clone();
            async move { q.join().await }
        });
        q.get().await.unwrap();
        q.task_done().unwrap();
        joiner.await.unwrap();
    }
}

portable_test! {
    async fn queue_graceful_shutdown_drains_then_refuses() {
        let q = Rc::new(Queue::new(2));
        q.put(1).await.unwrap();
        q.put(2).await.unwrap();
        let blocked_putter = tulipa::spawn_local({
            let q = q.clone();
            async move { q.put(3).await }
        });
        tulipa::yield_now().await;
        assert!(!q.is_shutdown());
        q.shutdown(false);
        assert!(q.is_shutdown());
        assert_eq!(blocked_putter.await.unwrap(), Err(QueueShutDown(3)), "woken, item handed back");
        assert_eq!(q.put(4).await, Err(QueueShutDown(4)));
        assert_eq!(q.try_put(5), Err(TryPutError::ShutDown(5)));
        assert_eq!(q.qsize(), 2, "a graceful shutdown keeps the items");
        assert_eq!(q.get().await, Ok(1));
        assert_eq!(q.try_get(), Ok(2));
        assert_eq!(q.get().await, Err(QueueShutDown(())));
        assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
        // join still waits for the two items taken.
        assert_eq!(q.unfinished_tasks(), 2);
        q.task_done().unwrap();
        q.task_done().unwrap();
        q.join().await;
    }
}

portable_test! {
    async fn queue_shutdown_wakes_blocked_getters() {
        let q = Rc::new(Queue::<u8>::new(0));
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let q = q.clone();
                tulipa::spawn_local(async move { q.get().await })
            })
            .collect();
        tulipa::yield_now().await;
        q.shutdown(false);
        for g in getters {
            assert_eq!(g.await.unwrap(), Err(QueueShutDown(())));
        }
    }
}

portable_test! {
    async fn queue_immediate_shutdown_drops_items_and_releases_join() {
        let drops = Rc::new(Cell::new(0));
        let q = Rc::new(Queue::new(0));
        for i in 0..4 {
            q.put(Tracked(i, drops.clone())).await.unwrap();
        }
        let taken = q.get().await.unwrap(); // taken, not marked done
        let joiner = tulipa::spawn_local({
            let q = q.clone();
            async move { q.join().await }
        });
        tulipa::yield_now().await;
        q.shutdown(true);
        assert_eq!(drops.get(), 3, "the three queued items were dropped");
        assert_eq!((q.qsize(), q.unfinished_tasks()), (0, 1), "3 of 4 counted as done");
        assert!(matches!(q.get().await, Err(QueueShutDown(()))));
        tulipa::yield_now().await;
        assert!(!joiner.is_finished(), "the item taken is still unfinished");
        assert_eq!(taken.0, 0);
        drop(taken);
        q.task_done().unwrap();
        joiner.await.unwrap();

        // With nothing taken, an immediate shutdown releases join at once.
        let q2 = Queue::new(0);
        q2.put(1).await.unwrap();
        q2.shutdown(true);
        q2.join().await;
        assert_eq!(q2.task_done(), Err(TaskDoneError), "the count saturates at zero");
    }
}

portable_test! {
    async fn queue_immediate_shutdown_after_graceful_drops_the_rest() {
        let q = Queue::new(0);
        for i in 0..3 {
            q.put(i).await.unwrap();
        }
        q.shutdown(false);
        assert_eq!(q.get().await, Ok(0));
        q.shutdown(true);
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.get().await, Err(QueueShutDown(())));
        assert_eq!(q.unfinished_tasks(), 1);
    }
}

portable_test! {
    async fn queue_immediate_shutdown_fails_a_woken_getter_whose_item_was_dropped() {
        let q = Rc::new(Queue::new(0));
        let getter = tulipa::spawn_local({
            let q = q.clone();
            async move { q.get().await }
        });
        tulipa::yield_now().await;
        q.try_put(1).unwrap(); // promised to the getter, which has not run yet
        q.shutdown(true);
        assert_eq!(getter.await.unwrap(), Err(QueueShutDown(())));
        assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
    }
}

portable_test! {
    async fn queue_putter_woken_with_a_slot_fails_if_shut_down_before_it_runs() {
        let q = Rc::new(Queue::new(1));
        q.put(1).await.unwrap();
        let putter = tulipa::spawn_local({
            let q = q.clone();
            async move { q.put(2).await }
        });
        tulipa::yield_now().await;
        assert_eq!(q.try_get(), Ok(1)); // promises the slot to the putter
        q.shutdown(false);
        assert_eq!(putter.await.unwrap(), Err(QueueShutDown(2)));
        assert_eq!(q.qsize(), 0);
    }
}

portable_test! {
    async fn queue_items_are_dropped_outside_the_lock() {
        /// An item whose destructor uses the queue that drops it.
        struct Reentrant(Weak<Queue<Reentrant>>, Rc<Cell<usize>>);
        impl Drop for Reentrant {
            fn drop(&mut self) {
                if let Some(q) = self.0.upgrade() {
                    self.1.set(q.qsize() + 100); // would deadlock if called under the lock
                    assert!(q.try_put(Reentrant(Weak::new(), self.1.clone())).is_err());
                }
            }
        }
        let seen = Rc::new(Cell::new(0));
        let q = Rc::new(Queue::new(0));
        q.put(Reentrant(Rc::downgrade(&q), seen.clone())).await.unwrap();
        q.shutdown(true);
        assert_eq!(seen.get(), 100);
    }
}

// ---- Cancel safety ----

portable_test! {
    async fn queue_get_cancelled_by_timeout_loses_nothing() {
        time::pause();
        let q = Rc::new(Queue::new(0));
        assert!(time::timeout(10 * MS, q.get()).await.is_err());
        let putter = tulipa::spawn_local({
            let q = q.clone();
            async move {
                tulipa::sleep(5 * MS).await;
                q.put("late").await.unwrap();
            }
        });
        // wait_for-style: a second timed get that succeeds takes it.
        assert_eq!(time::timeout(10 * MS, q.get()).await, Ok(Ok("late")));
        putter.await.unwrap();
        assert!(q.empty());
    }
}

portable_test! {
    async fn queue_get_dropped_after_an_item_was_promised_to_it_loses_nothing() {
        let q = Queue::new(0);
        let mut get = q.get();
        assert!(poll_once(&mut get).await.is_pending()); // parked
        q.try_put(1).unwrap(); // promised to `get`, which is not polled again
        assert_eq!(q.try_get(), Err(TryGetError::Empty), "promised");
        drop(get); // cancelled
        assert_eq!(q.qsize(), 1);
        assert_eq!(q.try_get(), Ok(1), "the item stayed in the queue");
    }
}

portable_test! {
    async fn queue_get_task_cancelled_after_promise_passes_item_to_next_getter() {
        let q = Rc::new(Queue::new(0));
        let first = tulipa::spawn_local({
            let q = q.clone();
            async move { q.get().await }
        });
        tulipa::yield_now().await;
        let second = tulipa::spawn_local({
            let q = q.clone();
            async move { q.get().await }
        });
        tulipa::yield_now().await;
        q.try_put("item").unwrap(); // promised to `first`
        first.cancel(); // before it runs
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(second.await.unwrap(), Ok("item"), "the promise passed to the next getter");
        assert_eq!(q.qsize(), 0);
    }
}

portable_test! {
    async fn queue_put_cancelled_by_timeout_never_inserts() {
        time::pause();
        let q = Queue::new(1);
        q.put(1).await.unwrap();
        assert!(time::timeout(10 * MS, q.put(2)).await.is_err());
        assert_eq!(q.qsize(), 1);
        assert_eq!(q.unfinished_tasks(), 1);
        assert_eq!(q.try_get(), Ok(1));
        assert_eq!(q.try_get(), Err(TryGetError::Empty), "2 was never inserted");
        // The slot freed by the get is not held by the cancelled put.
        assert_eq!(q.try_put(3), Ok(()));
    }
}

portable_test! {
    async fn queue_put_cancelled_after_slot_promised_passes_slot_to_next_putter() {
        let q = Rc::new(Queue::new(1));
        q.put(0).await.unwrap();
        let first = tulipa::spawn_local({
            let q = q.clone();
            async move { q.put(1).await }
        });
        tulipa::yield_now().await;
        let second = tulipa::spawn_local({
            let q = q.clone();
            async move { q.put(2).await }
        });
        tulipa::yield_now().await;
        assert_eq!(q.try_get(), Ok(0)); // the free slot is promised to `first`
        first.cancel();
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(second.await.unwrap(), Ok(()), "the slot passed to the next putter");
        assert_eq!(q.try_get(), Ok(2));
        assert_eq!(q.try_get(), Err(TryGetError::Empty), "1 was never inserted");
        assert_eq!(q.unfinished_tasks(), 2);
    }
}

portable_test! {
    async fn queue_put_into_inner_recovers_the_item_and_releases_its_slot() {
        let q = Queue::new(1);
        q.try_put(0).unwrap();
        let mut put = q.put(1);
        assert!(poll_once(&mut put).await.is_pending());
        assert_eq!(q.try_get(), Ok(0)); // slot promised to `put`
        assert!(q.full());
        assert_eq!(put.into_inner(), Some(1));
        assert!(!q.full(), "the promised slot was released");
        assert_eq!(q.try_put(2), Ok(()));

        let mut done = q.put(3);
        assert!(poll_once(&mut done).await.is_pending());
        assert_eq!(q.try_get(), Ok(2));
        assert_eq!(poll_once(&mut done).await, Poll::Ready(Ok(())));
        assert_eq!(done.into_inner(), None, "a completed put has nothing to give back");
        assert_eq!(q.qsize(), 1, "and inserted its item once");
    }
}

sim_test! {
    async fn queue_random_cancellations_lose_no_item_and_insert_none_twice() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let q = Rc::new(Queue::new(3));
        let received = Rc::new(RefCell::new(Vec::new()));
        let mut putters = Vec::new();
        let mut getters = Vec::new();
        for i in 0..200u32 {
            let q2 = q.clone();
            let delay = MS * rng.below(50) as u32;
            putters.push(tulipa::spawn_local(async move {
                tulipa::sleep(delay).await;
                q2.put(i).await
            }));
            let (q2, received) = (q.clone(), received.clone());
            let delay = MS * rng.below(50) as u32;
            getters.push(tulipa::spawn_local(async move {
                tulipa::sleep(delay).await;
                if let Ok(item) = q2.get().await {
                    received.borrow_mut().push(item);
                }
            }));
        }
        // Cancel a third of each, at random moments.
        for _ in 0..60 {
            tulipa::sleep(MS * rng.below(2) as u32).await;
            putters[rng.below(200) as usize].cancel();
            getters[rng.below(200) as usize].cancel();
        }
        // Let every survivor finish or park, then release the parked ones: putters get their
        // item back, getters drain what is left and stop.
        tulipa::sleep(100 * MS).await;
        let queued_before_shutdown = q.qsize();
        q.shutdown(false);
        let mut put_ok = Vec::new();
        for (i, p) in putters.into_iter().enumerate() {
            match p.await {
                Ok(Ok(())) => put_ok.push(i as u32),
                Ok(Err(QueueShutDown(item))) => assert_eq!(item, i as u32),
                Err(e) => assert!(e.is_cancelled()),
            }
        }
        for g in getters {
            let _ = g.await;
        }
        let mut got = received.borrow().clone();
        got.extend(std::iter::from_fn(|| q.try_get().ok()));
        got.sort();
        assert_eq!(got, put_ok, "every inserted item is received or still queued, once");
        assert_eq!(q.unfinished_tasks(), put_ok.len());
        assert!(queued_before_shutdown <= 3);
    }
}
