//! Synchronization primitives: Lock, RwLock, Event, Condition, Semaphore, BoundedSemaphore,
//! Barrier, OnceCell. Portable (native and browser).
//!
//! Besides behaviour through tasks, many tests poll the futures by hand with a no-op waker:
//! that reaches the windows a scheduler makes hard to hit on purpose, such as a waiter that
//! has been handed the lock or a permit but is dropped before it is polled again.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tulipa::sync::{
    Barrier, BoundedSemaphore, Condition, Event, Lock, OnceCell, ReleaseError, RwLock, Semaphore,
    SetError, TryAcquireError, TryLockError,
};

const US: Duration = Duration::from_micros(1);

/// Polls `f` once with a waker that does nothing.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `f` once and expects it to be waiting.
#[track_caller]
fn pending<F: Future + Unpin>(f: &mut F) {
    assert!(poll_once(f).is_pending(), "expected the future to wait");
}

/// Polls `f` once and expects it to be ready.
#[track_caller]
fn ready<F: Future + Unpin>(f: &mut F) -> F::Output {
    match poll_once(f) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("expected the future to be ready"),
    }
}

/// A waker that counts its wakes.
#[derive(Default)]
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountWaker {
    fn poll<F: Future + Unpin>(self: &Arc<Self>, f: &mut F) -> Poll<F::Output> {
        let waker = Waker::from(self.clone());
        Pin::new(f).poll(&mut Context::from_waker(&waker))
    }

    fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A small deterministic pseudo-random generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Adds `n` to a shared gauge while alive, recording the high-water mark.
struct Occupancy {
    now: Rc<Cell<usize>>,
    n: usize,
}

impl Occupancy {
    fn enter(now: &Rc<Cell<usize>>, high: &Rc<Cell<usize>>, n: usize) -> Occupancy {
        now.set(now.get() + n);
        high.set(high.get().max(now.get()));
        Occupancy {
            now: now.clone(),
            n,
        }
    }
}

impl Drop for Occupancy {
    fn drop(&mut self) {
        self.now.set(self.now.get() - self.n);
    }
}

// ---------------------------------------------------------------------------------------
// Lock

portable_test! {
    async fn sync_lock_guards_value_and_try_lock_fails_while_held() {
        let lock = Lock::new(1);
        assert!(!lock.locked());
        let mut g = lock.lock().await;
        *g += 1;
        assert!(lock.locked());
        let err = lock.try_lock().unwrap_err();
        assert_eq!(err.to_string(), "the lock is held or has waiters");
        assert_eq!(format!("{g:?}"), "2");
        drop(g);
        assert!(!lock.locked());
        assert_eq!(*lock.try_lock().unwrap(), 2);
        let mut lock = lock;
        *lock.get_mut() = 5;
        assert_eq!(lock.into_inner(), 5);
    }
}

portable_test! {
    async fn sync_lock_is_fifo_and_a_newcomer_never_barges() {
        let lock = Arc::new(Lock::new(Vec::new()));
        let held = lock.lock().await;
        let mut tasks = Vec::new();
        for i in 0..5 {
            let lock = lock.clone();
            tasks.push(tulipa::spawn(async move {
                let mut log = lock.lock().await;
                tulipa::yield_now().await; // hold it across a yield
                log.push(i);
            }));
            tulipa::yield_now().await; // let it queue, in order
        }
        drop(held);
        // The lock went straight to the oldest waiter, which has not run yet: a newcomer,
        // even a non-waiting one, finds it taken.
        assert!(lock.locked());
        assert!(lock.try_lock().is_err());
        let late = lock.lock().await; // queues behind all five
        assert_eq!(*late, [0, 1, 2, 3, 4]);
        drop(late);
        for t in tasks {
            t.await.unwrap();
        }
    }
}

portable_test! {
    async fn sync_lock_cancelled_waiters_pass_the_lock_on() {
        let lock = Lock::new(0);
        let held = lock.try_lock().unwrap();
        let mut a = lock.lock();
        let mut b = lock.lock();
        let mut c = lock.lock();
        pending(&mut a);
        pending(&mut b);
        pending(&mut c);
        drop(b); // a waiting (not yet handed) waiter leaves the queue
        drop(held); // handed to `a`, which is not polled again ...
        drop(a); // ... and is dropped: the lock passes on to `c`
        let mut g = ready(&mut c);
        *g += 1;
        drop(g);
        drop(c);
        assert!(!lock.locked(), "nobody is left: unlocked");
        assert_eq!(*lock.try_lock().unwrap(), 1);
    }
}

portable_test! {
    async fn sync_lock_wakes_the_waiter_it_hands_to() {
        let lock = Lock::new(());
        let held = lock.try_lock().unwrap();
        let w = Arc::new(CountWaker::default());
        let mut fut = lock.lock();
        assert!(w.poll(&mut fut).is_pending());
        assert_eq!(w.wakes(), 0);
        drop(held);
        assert_eq!(w.wakes(), 1);
        assert!(w.poll(&mut fut).is_ready());
    }
}

portable_test! {
    async fn sync_lock_owned_guard_moves_into_a_task() {
        let lock = Arc::new(Lock::new(String::new()));
        let mut guard = lock.clone().lock_owned().await;
        assert!(Arc::ptr_eq(guard.lock(), &lock));
        assert!(lock.clone().try_lock_owned().is_err());
        let waiter = tulipa::spawn({
            let lock = lock.clone();
            async move { lock.lock_owned().await.clone() }
        });
        tulipa::spawn(async move {
            tulipa::yield_now().await;
            guard.push_str("from task");
        })
        .await
        .unwrap();
        assert_eq!(waiter.await.unwrap(), "from task");
        assert_eq!(format!("{}", lock.try_lock_owned().unwrap()), "from task");
    }
}

portable_test! {
    async fn sync_lock_counter_under_contention() {
        let lock = Arc::new(Lock::new(0u32));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let lock = lock.clone();
            tasks.push(tulipa::spawn(async move {
                for _ in 0..20 {
                    let mut g = lock.lock().await;
                    let v = *g;
                    tulipa::yield_now().await; // a lost update would show here
                    *g = v + 1;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*lock.lock().await, 1000);
    }
}

sim_test! {
    async fn sync_lock_1000_tasks_with_random_cancellations_never_wedge() {
        let lock = Arc::new(Lock::new(0u64));
        let inside = Rc::new(Cell::new(0));
        let high = Rc::new(Cell::new(0));
        let chaos = Chaos::new(7);
        for i in 0..1000 {
            let hold = US * chaos.below(40) as u32;
            let (lock, inside, high, chaos2) = (lock.clone(), inside.clone(), high.clone(), chaos.clone());
            chaos.add(tulipa::spawn_local(async move {
                let in_line = chaos2.join_line(i);
                let mut g = lock.lock().await;
                drop(in_line);
                let occupied = Occupancy::enter(&inside, &high, 1);
                tulipa::sleep(hold).await;
                *g += 1;
                drop(occupied);
                drop(g); // hands the lock to the head of the line ...
                chaos2.maybe_cancel_head(); // ... which may be cancelled before it runs
            }));
        }
        let cancelled = chaos.cancel_at_random(400, 30).await;
        let completed = chaos.join().await;
        assert!(cancelled > 100, "cancelled {cancelled}");
        assert!(chaos.targeted.get() > 20, "cancelled just after a handover {}", chaos.targeted.get());
        assert!(completed > 100, "completed {completed}");
        assert_eq!(high.get(), 1, "never two holders");
        assert!(!lock.locked(), "no cancellation left the lock held");
        assert_eq!(*lock.try_lock().unwrap(), completed as u64);
    }
}

/// The harness of the random-cancellation runs. Besides cancelling tasks at random moments,
/// it keeps the line of tasks waiting to acquire, in the order they queued, so a task that has
/// just released can cancel the head of the line: the task it handed the lock or its permits
/// to, before that task has run (the window where a lost handover would leak).
struct Chaos {
    rng: RefCell<Rng>,
    line: RefCell<std::collections::VecDeque<usize>>,
    handles: RefCell<Vec<tulipa::JoinHandle<()>>>,
    targeted: Cell<usize>,
}

/// Removes a task from the line when it has acquired or was cancelled.
struct InLine(Rc<Chaos>, usize);

impl Drop for InLine {
    fn drop(&mut self) {
        self.0.line.borrow_mut().retain(|&i| i != self.1);
    }
}

impl Chaos {
    fn new(seed: u64) -> Rc<Chaos> {
        Rc::new(Chaos {
            rng: RefCell::new(Rng(seed)),
            line: RefCell::default(),
            handles: RefCell::default(),
            targeted: Cell::new(0),
        })
    }

    fn below(&self, n: u64) -> u64 {
        self.rng.borrow_mut().below(n)
    }

    fn add(&self, handle: tulipa::JoinHandle<()>) {
        self.handles.borrow_mut().push(handle);
    }

    fn join_line(self: &Rc<Self>, i: usize) -> InLine {
        self.line.borrow_mut().push_back(i);
        InLine(self.clone(), i)
    }

    /// With probability 1/3, cancels the oldest task still waiting.
    fn maybe_cancel_head(&self) {
        if self.below(3) != 0 {
            return;
        }
        let head = self.line.borrow().front().copied();
        if let Some(h) = head.and_then(|i| self.handles.borrow().get(i).map(|h| h.cancel())) {
            self.targeted.set(self.targeted.get() + usize::from(h));
        }
    }

    /// Cancels `n` tasks picked at random, at random moments (a yield, a sleep of up to
    /// `max_sleep` µs, or at once); returns how many were still running.
    async fn cancel_at_random(&self, n: usize, max_sleep: u64) -> usize {
        let mut cancelled = 0;
        for _ in 0..n {
            let len = self.handles.borrow().len() as u64;
            let pick = self.below(len) as usize;
            if self.handles.borrow()[pick].cancel() {
                cancelled += 1;
            }
            match self.below(3) {
                0 => tulipa::yield_now().await,
                1 => tulipa::sleep(US * self.below(max_sleep) as u32).await,
                _ => {}
            }
        }
        cancelled
    }

    /// Awaits every task; returns how many completed (the others must have been cancelled).
    async fn join(&self) -> usize {
        let handles = self.handles.take();
        let mut completed = 0;
        for h in handles {
            match h.await {
                Ok(()) => completed += 1,
                Err(e) => assert!(e.is_cancelled(), "{e}"),
            }
        }
        completed
    }
}

// ---------------------------------------------------------------------------------------
// RwLock

portable_test! {
    async fn sync_rwlock_readers_share_and_a_writer_excludes() {
        let lock = RwLock::new(vec![1]);
        let r1 = lock.read().await;
        let r2 = lock.try_read().unwrap();
        assert_eq!((r1.len(), r2.len()), (1, 1));
        let _: TryLockError = lock.try_write().unwrap_err();
        drop((r1, r2));
        let mut w = lock.write().await;
        w.push(2);
        assert!(lock.try_read().is_err());
        assert!(lock.try_write().is_err());
        assert_eq!(format!("{w:?}"), "[1, 2]");
        drop(w);
        assert_eq!(*lock.read().await, [1, 2]);
        let mut lock = lock;
        lock.get_mut().push(3);
        assert_eq!(lock.into_inner(), [1, 2, 3]);
    }
}

portable_test! {
    async fn sync_rwlock_queued_writer_holds_back_later_readers() {
        let lock = Arc::new(RwLock::new(0));
        let log = Rc::new(RefCell::new(Vec::new()));
        let reader = lock.read().await;
        let writer = tulipa::spawn_local({
            let (lock, log) = (lock.clone(), log.clone());
            async move {
                *lock.write().await += 1;
                log.borrow_mut().push("writer");
            }
        });
        tulipa::yield_now().await; // the writer queues behind the reader
        assert!(lock.try_read().is_err(), "a queued writer holds back new readers");
        let late_reader = tulipa::spawn_local({
            let (lock, log) = (lock.clone(), log.clone());
            async move {
                let v = *lock.read().await;
                log.borrow_mut().push("late reader");
                v
            }
        });
        tulipa::yield_now().await;
        assert!(log.borrow().is_empty());
        drop(reader);
        assert_eq!(late_reader.await.unwrap(), 1, "the writer went first");
        writer.await.unwrap();
        assert_eq!(*log.borrow(), ["writer", "late reader"]);
    }
}

portable_test! {
    async fn sync_rwlock_writer_release_admits_the_readers_up_to_the_next_writer() {
        let lock = RwLock::new(0);
        let w = lock.try_write().unwrap();
        let mut r1 = lock.read();
        let mut r2 = lock.read();
        let mut w2 = lock.write();
        let mut r3 = lock.read();
        for f in [&mut r1, &mut r2] {
            pending(f);
        }
        pending(&mut w2);
        pending(&mut r3);
        drop(w);
        let g1 = ready(&mut r1);
        let g2 = ready(&mut r2);
        pending(&mut w2);
        pending(&mut r3);
        drop((g1, g2));
        let mut g = ready(&mut w2);
        *g = 9;
        pending(&mut r3);
        drop(g);
        assert_eq!(*ready(&mut r3), 9);
    }
}

portable_test! {
    async fn sync_rwlock_cancelled_writer_lets_the_readers_behind_it_in() {
        let lock = RwLock::new(());
        let r = lock.try_read().unwrap();
        let mut w = lock.write();
        let mut r2 = lock.read();
        pending(&mut w);
        pending(&mut r2);
        drop(w); // a queued writer leaves: the reader behind it joins the current readers
        let g2 = ready(&mut r2);
        drop((r, g2));
        // A writer handed the lock and dropped passes it on.
        let r = lock.try_read().unwrap();
        let mut w1 = lock.write();
        let mut w2 = lock.write();
        pending(&mut w1);
        pending(&mut w2);
        drop(r); // handed to w1
        drop(w1); // passes to w2
        let g = ready(&mut w2);
        assert!(lock.try_read().is_err());
        drop(g);
        drop(w2);
        assert!(lock.try_write().is_ok(), "nothing leaked");
    }
}

portable_test! {
    async fn sync_rwlock_cancelled_reader_that_was_handed_access_gives_it_back() {
        let lock = RwLock::new(());
        let w = lock.try_write().unwrap();
        let mut r = lock.read();
        let mut w2 = lock.write();
        pending(&mut r);
        pending(&mut w2);
        drop(w); // hands read access to r
        drop(r); // ... which gives it back: the writer may go
        let _g = ready(&mut w2);
    }
}

// ---------------------------------------------------------------------------------------
// Event

portable_test! {
    async fn sync_event_set_wakes_every_waiter_and_wait_returns_at_once_when_set() {
        let ev = Arc::new(Event::new());
        assert!(!ev.is_set());
        let mut waiters = Vec::new();
        for i in 0..4 {
            let ev = ev.clone();
            waiters.push(tulipa::spawn(async move {
                ev.wait().await;
                i
            }));
        }
        tulipa::yield_now().await;
        assert!(waiters.iter().all(|w| !w.is_finished()));
        ev.set();
        ev.set(); // idempotent
        assert!(ev.is_set());
        for (i, w) in waiters.into_iter().enumerate() {
            assert_eq!(w.await.unwrap(), i);
        }
        ev.wait().await; // set: at once
        ev.clear();
        assert!(!ev.is_set());
        let mut w = ev.wait();
        pending(&mut w);
        ev.set();
        ready(&mut w);
    }
}

portable_test! {
    async fn sync_event_clear_after_set_does_not_take_the_wakeup_back() {
        let ev = Event::new();
        let mut w = ev.wait();
        pending(&mut w);
        ev.set();
        ev.clear();
        ready(&mut w); // woken by the set, though the flag is clear again
        let mut later = ev.wait();
        pending(&mut later);
    }
}

portable_test! {
    async fn sync_event_cancelled_waiter_leaves_the_others_working() {
        let ev = Arc::new(Event::new());
        let mut waiters = Vec::new();
        for _ in 0..3 {
            let ev = ev.clone();
            waiters.push(tulipa::spawn(async move { ev.wait().await }));
        }
        tulipa::yield_now().await;
        waiters[1].cancel();
        tulipa::yield_now().await;
        ev.set();
        let results: Vec<_> = join_all(waiters).await;
        assert!(results[0].is_ok() && results[2].is_ok());
        assert!(results[1].as_ref().unwrap_err().is_cancelled());
    }
}

/// Awaits every handle in order.
async fn join_all<T>(hs: Vec<tulipa::JoinHandle<T>>) -> Vec<Result<T, tulipa::JoinError>> {
    let mut out = Vec::new();
    for h in hs {
        out.push(h.await);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Condition

portable_test! {
    async fn sync_condition_notify_n_wakes_that_many_in_order() {
        let cond = Arc::new(Condition::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..4 {
            let cond = cond.clone();
            tasks.push(tulipa::spawn(async move {
                let g = cond.lock().await;
                let mut g = cond.wait(g).await;
                g.push(i);
            }));
            tulipa::yield_now().await;
        }
        assert!(!cond.locked(), "waiting released the lock");
        cond.notify(1);
        tulipa::yield_now().await;
        tulipa::yield_now().await;
        assert_eq!(*cond.lock().await, [0]);
        cond.notify(2);
        for _ in 0..4 {
            tulipa::yield_now().await;
        }
        assert_eq!(*cond.lock().await, [0, 1, 2]);
        cond.notify_all();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*cond.lock().await, [0, 1, 2, 3]);
    }
}

portable_test! {
    async fn sync_condition_wait_reacquires_the_lock_before_returning() {
        let cond = Condition::new(0);
        let g = cond.lock().await;
        let mut w = cond.wait(g);
        pending(&mut w);
        assert!(!cond.locked());
        let mut other = cond.try_lock().unwrap(); // someone else holds it ...
        cond.notify(1);
        pending(&mut w); // ... so the notified waiter waits for the lock
        *other = 1;
        drop(other);
        let g = ready(&mut w);
        assert!(cond.locked());
        assert_eq!(*g, 1);
    }
}

portable_test! {
    async fn sync_condition_wait_for_checks_the_predicate_under_the_lock() {
        let cond = Arc::new(Condition::new(0));
        let g = cond.lock().await;
        let g = cond.wait_for(g, |n| *n == 0).await; // already true: no wait
        drop(g);
        let waiter = tulipa::spawn({
            let cond = cond.clone();
            async move {
                let g = cond.lock().await;
                *cond.wait_for(g, |n| *n >= 3).await
            }
        });
        for _ in 0..5 {
            tulipa::yield_now().await;
            *cond.lock().await += 1;
            cond.notify_all();
        }
        assert_eq!(waiter.await.unwrap(), 3, "saw the first value that satisfied it");
    }
}

portable_test! {
    async fn sync_condition_notified_then_cancelled_waiter_passes_the_notification_on() {
        let cond = Condition::new(());
        let mut a = cond.wait(cond.try_lock().unwrap());
        pending(&mut a); // queued, lock released
        let mut b = cond.wait(cond.try_lock().unwrap());
        pending(&mut b);
        cond.notify(1); // goes to `a`, the oldest ...
        drop(a); // ... which is cancelled before it runs: `b` gets it
        let g = ready(&mut b);
        drop(g);
        // A waiter cancelled while re-acquiring the lock passes it on too.
        let mut c = cond.wait(cond.try_lock().unwrap());
        pending(&mut c);
        let mut d = cond.wait(cond.try_lock().unwrap());
        pending(&mut d);
        let held = cond.try_lock().unwrap();
        cond.notify(1);
        pending(&mut c); // notified, now waiting for the lock
        drop(c);
        drop(held);
        let _g = ready(&mut d);
    }
}

portable_test! {
    async fn sync_condition_cancelled_task_after_notify_does_not_swallow_it() {
        let cond = Arc::new(Condition::new(0));
        let woken = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..2 {
            let (cond, woken) = (cond.clone(), woken.clone());
            tasks.push(tulipa::spawn(async move {
                let g = cond.lock().await;
                let _g = cond.wait(g).await;
                woken.fetch_add(1, Ordering::SeqCst);
            }));
            tulipa::yield_now().await;
        }
        cond.notify(1); // the first task is notified ...
        tasks[0].cancel(); // ... and cancelled before it runs
        tulipa::yield_now().await;
        tulipa::yield_now().await;
        let mut tasks = tasks.into_iter();
        assert!(tasks.next().unwrap().await.unwrap_err().is_cancelled());
        tasks.next().unwrap().await.unwrap();
        assert_eq!(woken.load(Ordering::SeqCst), 1, "the second task got the notification");
    }
}

portable_test! {
    async fn sync_condition_uncancelled_waiters_are_untouched_by_a_waiting_cancel() {
        let cond = Condition::new(());
        let mut a = cond.wait(cond.try_lock().unwrap());
        pending(&mut a);
        let mut b = cond.wait(cond.try_lock().unwrap());
        pending(&mut b);
        drop(a); // never notified: leaves quietly, passes nothing on
        let mut c = cond.wait(cond.try_lock().unwrap());
        pending(&mut c);
        cond.notify(1);
        drop(ready(&mut b));
        pending(&mut c);
        // Dropped before its first poll: just releases the lock.
        let never = cond.wait(cond.try_lock().unwrap());
        drop(never);
        assert!(!cond.locked());
    }
}

portable_test! {
    async fn sync_conditions_sharing_a_lock_make_a_bounded_buffer() {
        const CAP: usize = 2;
        let lock = Arc::new(Lock::new(std::collections::VecDeque::new()));
        let not_full = Arc::new(Condition::with_lock(lock.clone()));
        let not_empty = Arc::new(Condition::with_lock(lock.clone()));
        assert!(Arc::ptr_eq(not_full.lock_handle(), &lock));
        let producer = tulipa::spawn({
            let (lock, not_full, not_empty) = (lock.clone(), not_full.clone(), not_empty.clone());
            async move {
                for i in 0..20 {
                    let g = lock.lock().await;
                    let mut g = not_full.wait_for(g, |q| q.len() < CAP).await;
                    g.push_back(i);
                    assert!(g.len() <= CAP);
                    drop(g);
                    not_empty.notify(1);
                }
            }
        });
        let mut got = Vec::new();
        while got.len() < 20 {
            let g = not_empty.lock().await; // the same lock, through either condition
            let mut g = not_empty.wait_for(g, |q| !q.is_empty()).await;
            got.push(g.pop_front().unwrap());
            drop(g);
            not_full.notify(1);
        }
        producer.await.unwrap();
        assert_eq!(got, (0..20).collect::<Vec<_>>());
    }
}

// ---------------------------------------------------------------------------------------
// Semaphore

portable_test! {
    async fn sync_semaphore_counts_permits_and_guards_return_them() {
        let sem = Semaphore::new(3);
        assert_eq!(sem.available_permits(), 3);
        let a = sem.acquire().await;
        let b = sem.try_acquire_many(2).unwrap();
        assert_eq!((a.num_permits(), b.num_permits()), (1, 2));
        assert!(sem.locked());
        let err: TryAcquireError = sem.try_acquire().unwrap_err();
        assert_eq!(err.to_string(), "no permits available");
        drop(b);
        assert_eq!(sem.available_permits(), 2);
        a.forget();
        assert_eq!(sem.available_permits(), 2, "a forgotten permit is gone");
        sem.release();
        sem.add_permits(2);
        assert_eq!(sem.available_permits(), 5);
        let zero = sem.acquire_many(0).await;
        assert_eq!(zero.num_permits(), 0);
        drop(zero);
        assert_eq!(sem.available_permits(), 5);
    }
}

portable_test! {
    async fn sync_semaphore_big_request_at_the_head_is_not_starved() {
        let sem = Semaphore::new(3);
        let held = sem.try_acquire_many(2).unwrap();
        let mut big = sem.acquire_many(3);
        pending(&mut big); // 1 free, wants 3
        let mut small = sem.acquire();
        pending(&mut small); // 1 free, but it may not overtake the big request
        assert!(sem.try_acquire().is_err(), "no barging past the queue");
        assert!(sem.locked());
        drop(held);
        let three = ready(&mut big);
        pending(&mut small);
        drop(three);
        let one = ready(&mut small);
        assert_eq!(sem.available_permits(), 2);
        drop(one);
        // acquire_many(0) takes nothing and never waits, even behind a queue.
        let held = sem.try_acquire_many(3).unwrap();
        let mut queued = sem.acquire();
        pending(&mut queued);
        let mut zero = sem.acquire_many(0);
        drop(ready(&mut zero));
        drop(held);
        drop(ready(&mut queued));
        assert_eq!(sem.available_permits(), 3);
    }
}

portable_test! {
    async fn sync_semaphore_cancelled_big_request_lets_the_smaller_ones_in() {
        let sem = Semaphore::new(2);
        let held = sem.try_acquire().unwrap();
        let mut big = sem.acquire_many(2);
        let mut s1 = sem.acquire();
        pending(&mut big);
        pending(&mut s1);
        drop(big);
        let p = ready(&mut s1);
        assert_eq!(sem.available_permits(), 0);
        drop((p, held));
        assert_eq!(sem.available_permits(), 2);
    }
}

portable_test! {
    async fn sync_semaphore_cancelled_waiter_that_was_handed_permits_passes_them_on() {
        let sem = Semaphore::new(2);
        let held = sem.try_acquire_many(2).unwrap();
        let w1 = Arc::new(CountWaker::default());
        let w2 = Arc::new(CountWaker::default());
        let mut a = sem.acquire_many(2);
        let mut b = sem.acquire();
        assert!(w1.poll(&mut a).is_pending());
        assert!(w2.poll(&mut b).is_pending());
        drop(held); // both go to `a`
        assert_eq!((w1.wakes(), w2.wakes()), (1, 0));
        assert_eq!(sem.available_permits(), 0);
        drop(a); // cancelled with 2 permits in hand: one goes to `b`, one back
        assert_eq!(w2.wakes(), 1);
        assert_eq!(sem.available_permits(), 1);
        drop(ready(&mut b));
        assert_eq!(sem.available_permits(), 2);
    }
}

portable_test! {
    async fn sync_semaphore_owned_permits_move_into_tasks() {
        let sem = Arc::new(Semaphore::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let high = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let permit = sem.clone().acquire_owned().await;
            let (running, high) = (running.clone(), high.clone());
            tasks.push(tulipa::spawn(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                high.fetch_max(now, Ordering::SeqCst);
                tulipa::yield_now().await;
                running.fetch_sub(1, Ordering::SeqCst);
                drop(permit);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(high.load(Ordering::SeqCst), 2);
        let two = sem.clone().acquire_many_owned(2).await;
        assert!(sem.clone().try_acquire_owned().is_err());
        two.forget();
        assert_eq!(sem.available_permits(), 0);
        sem.add_permits(1);
        assert_eq!(sem.clone().try_acquire_many_owned(1).unwrap().num_permits(), 1);
    }
}

sim_test! {
    async fn sync_semaphore_1000_tasks_on_5_permits_with_random_cancellations_end_with_5() {
        let sem = Arc::new(Semaphore::new(5));
        let inside = Rc::new(Cell::new(0));
        let high = Rc::new(Cell::new(0));
        let chaos = Chaos::new(0x5eed);
        for i in 0..1000 {
            let n = 1 + chaos.below(3) as usize; // acquire_many too: 1 to 3 permits
            let hold = US * chaos.below(50) as u32;
            let (sem, inside, high, chaos2) = (sem.clone(), inside.clone(), high.clone(), chaos.clone());
            chaos.add(tulipa::spawn_local(async move {
                let in_line = chaos2.join_line(i);
                let permit = sem.acquire_many(n).await;
                drop(in_line);
                let occupied = Occupancy::enter(&inside, &high, n);
                tulipa::sleep(hold).await;
                drop(occupied);
                drop(permit); // hands permits to the head of the line ...
                chaos2.maybe_cancel_head(); // ... which may be cancelled before it runs
            }));
            if chaos.below(8) == 0 {
                tulipa::yield_now().await;
            }
        }
        // Also cancel at random moments: some tasks while queued, some while holding permits.
        let cancelled = chaos.cancel_at_random(500, 20).await;
        let completed = chaos.join().await;
        assert!(cancelled > 150, "cancelled {cancelled}");
        assert!(chaos.targeted.get() > 50, "cancelled just after a handover {}", chaos.targeted.get());
        assert!(completed > 150, "completed {completed}");
        assert!(high.get() <= 5 && high.get() >= 3, "high-water mark {}", high.get());
        assert_eq!(inside.get(), 0);
        assert_eq!(sem.available_permits(), 5, "no permit leaked");
        assert!(!sem.locked(), "nobody queued");
        assert_eq!(sem.try_acquire_many(5).unwrap().num_permits(), 5);
    }
}

// ---------------------------------------------------------------------------------------
// BoundedSemaphore

portable_test! {
    async fn sync_bounded_semaphore_refuses_to_release_beyond_its_bound() {
        let sem = BoundedSemaphore::new(2);
        assert_eq!(sem.bound(), 2);
        let err: ReleaseError = sem.release().unwrap_err();
        assert_eq!(err.to_string(), "BoundedSemaphore released too many times");
        sem.acquire().await.forget();
        sem.acquire().await.forget();
        assert!(sem.locked());
        assert_eq!(sem.release(), Ok(()));
        assert_eq!(sem.release(), Ok(()));
        assert!(sem.release().is_err());
        assert_eq!(sem.available_permits(), 2);
        // A guard's drop gives its permit back; that permit cannot be released again.
        drop(sem.try_acquire().unwrap());
        assert!(sem.release().is_err());
        assert!(sem.try_acquire_many(3).is_err());
        assert_eq!(sem.available_permits(), 2);
    }
}

portable_test! {
    async fn sync_bounded_semaphore_release_hands_to_the_oldest_waiter() {
        let sem = Arc::new(BoundedSemaphore::new(1));
        sem.acquire().await.forget();
        let waiter = tulipa::spawn({
            let sem = sem.clone();
            async move { sem.acquire_owned().await.num_permits() }
        });
        tulipa::yield_now().await;
        sem.release().unwrap();
        assert!(sem.try_acquire().is_err(), "handed to the waiter, not up for grabs");
        assert_eq!(waiter.await.unwrap(), 1);
        let two = sem.clone().acquire_many_owned(1).await;
        assert!(sem.clone().try_acquire_owned().is_err());
        drop(two);
        let owned = sem.clone().try_acquire_many_owned(1).unwrap();
        owned.forget();
        assert_eq!(sem.release(), Ok(()));
        assert_eq!(sem.available_permits(), 1);
    }
}

// ---------------------------------------------------------------------------------------
// Barrier

portable_test! {
    async fn sync_barrier_releases_all_with_one_leader_per_generation() {
        let barrier = Arc::new(Barrier::new(4));
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut tasks = Vec::new();
        for party in 0..4 {
            let (barrier, log) = (barrier.clone(), log.clone());
            tasks.push(tulipa::spawn_local(async move {
                let mut leaders = 0;
                for round in 0..3 {
                    log.borrow_mut().push((round, party));
                    if barrier.wait().await.is_leader() {
                        leaders += 1;
                    }
                }
                leaders
            }));
        }
        let mut leaders = 0;
        for t in tasks {
            leaders += t.await.unwrap();
        }
        assert_eq!(leaders, 3, "exactly one leader in each of three generations");
        assert_eq!(barrier.generation(), 3);
        assert_eq!(barrier.n_waiting(), 0);
        // No party starts round r+1 before every party has reached round r.
        let log = log.borrow();
        for (i, (round, _)) in log.iter().enumerate() {
            assert_eq!(*round, i / 4, "log {log:?}");
        }
    }
}

portable_test! {
    async fn sync_barrier_cancelled_party_withdraws_and_the_others_keep_working() {
        let barrier = Arc::new(Barrier::new(3));
        let spawn_party = |barrier: &Arc<Barrier>| {
            let barrier = barrier.clone();
            tulipa::spawn(async move { barrier.wait().await.is_leader() })
        };
        let a = spawn_party(&barrier);
        let b = spawn_party(&barrier);
        tulipa::yield_now().await;
        assert_eq!(barrier.n_waiting(), 2);
        a.cancel();
        assert!(a.await.unwrap_err().is_cancelled());
        assert_eq!(barrier.n_waiting(), 1, "the cancelled party no longer counts");
        let c = spawn_party(&barrier);
        tulipa::yield_now().await;
        assert!(!b.is_finished() && !c.is_finished(), "two of three: still waiting");
        let d_leads = barrier.wait().await.is_leader();
        assert!(d_leads);
        assert!(!b.await.unwrap() && !c.await.unwrap());
        assert_eq!(barrier.generation(), 1);
    }
}

portable_test! {
    async fn sync_barrier_wait_dropped_after_it_tripped_changes_nothing() {
        let barrier = Barrier::new(2);
        let mut first = barrier.wait();
        pending(&mut first);
        let mut second = barrier.wait();
        assert!(ready(&mut second).is_leader());
        drop(first); // released but never polled again
        assert_eq!(barrier.n_waiting(), 0);
        assert_eq!(barrier.generation(), 1);
        // The next generation works normally.
        let mut x = barrier.wait();
        pending(&mut x);
        let mut y = barrier.wait();
        assert!(ready(&mut y).is_leader());
        assert!(!ready(&mut x).is_leader());
    }
}

// ---------------------------------------------------------------------------------------
// OnceCell

portable_test! {
    async fn sync_once_cell_initialises_once_for_concurrent_callers() {
        let cell = Arc::new(OnceCell::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (cell, runs) = (cell.clone(), runs.clone());
            tasks.push(tulipa::spawn(async move {
                *cell
                    .get_or_init(|| async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tulipa::yield_now().await;
                        i * 10
                    })
                    .await
            }));
        }
        tulipa::yield_now().await;
        assert_eq!(cell.set(99), Err(SetError::Initializing(99)));
        assert_eq!(SetError::Initializing(1).to_string(), "the cell is being initialized");
        for t in tasks {
            assert_eq!(t.await.unwrap(), 0, "the first caller's initialiser won");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(cell.get(), Some(&0));
        assert!(cell.initialized());
        let err = cell.set(7).unwrap_err();
        assert_eq!(err.to_string(), "the cell is already initialized");
        assert_eq!(err.into_inner(), 7);
    }
}

portable_test! {
    async fn sync_once_cell_failed_initialiser_passes_the_turn_to_the_next_caller() {
        let cell = Arc::new(OnceCell::new());
        let first = tulipa::spawn({
            let cell = cell.clone();
            async move {
                cell.get_or_try_init(|| async {
                    tulipa::yield_now().await;
                    Err::<u32, _>("first failed")
                })
                .await
                .copied()
            }
        });
        let second = tulipa::spawn({
            let cell = cell.clone();
            async move {
                cell.get_or_try_init(|| async { Ok::<_, &str>(2) }).await.copied()
            }
        });
        assert_eq!(first.await.unwrap(), Err("first failed"));
        assert_eq!(second.await.unwrap(), Ok(2), "ran its own initialiser");
        assert_eq!(cell.get(), Some(&2));
    }
}

portable_test! {
    async fn sync_once_cell_cancelled_initialiser_lets_the_next_one_run() {
        let cell = Arc::new(OnceCell::new());
        let stuck = tulipa::spawn({
            let cell = cell.clone();
            async move { *cell.get_or_init(std::future::pending::<u32>).await }
        });
        tulipa::yield_now().await; // `stuck` holds the turn
        let next = tulipa::spawn({
            let cell = cell.clone();
            async move { *cell.get_or_init(|| async { 5 }).await }
        });
        let also = tulipa::spawn({
            let cell = cell.clone();
            async move { *cell.get_or_init(|| async { 6 }).await }
        });
        tulipa::yield_now().await;
        assert!(cell.get().is_none());
        stuck.cancel();
        assert!(stuck.await.unwrap_err().is_cancelled());
        assert_eq!(next.await.unwrap(), 5, "the oldest waiter initialised it");
        assert_eq!(also.await.unwrap(), 5);
    }
}

portable_test! {
    async fn sync_once_cell_waiter_handed_the_turn_and_dropped_passes_it_on() {
        let cell = OnceCell::new();
        let mut a = Box::pin(cell.get_or_init(std::future::pending::<u8>));
        let mut b = Box::pin(cell.get_or_init(|| async { 2 }));
        let mut c = Box::pin(cell.get_or_init(|| async { 3 }));
        pending(&mut a); // holds the turn
        pending(&mut b);
        pending(&mut c);
        drop(a); // turn to `b` ...
        drop(b); // ... which leaves before running: turn to `c`
        assert_eq!(*ready(&mut c), 3);
        drop(c);
        let mut cell = cell;
        assert_eq!(cell.take(), Some(3));
        assert_eq!(cell.set(4), Ok(()));
        *cell.get_mut().unwrap() += 1;
        assert_eq!(cell.into_inner(), Some(5));
        assert_eq!(OnceCell::from(1).get(), Some(&1));
    }
}

// ---------------------------------------------------------------------------------------
// Across primitives: awaited under a timeout, the way user code cancels.

sim_test! {
    async fn sync_timeouts_on_every_primitive_leave_them_usable() {
        let lock = Lock::new(());
        let held = lock.try_lock().unwrap();
        assert!(tulipa::time::timeout(US, lock.lock()).await.is_err());
        drop(held);
        assert!(lock.try_lock().is_ok());

        let rw = RwLock::new(());
        let w = rw.try_write().unwrap();
        assert!(tulipa::time::timeout(US, rw.read()).await.is_err());
        drop(w);
        assert!(rw.try_write().is_ok());

        let sem = Semaphore::new(1);
        let p = sem.try_acquire().unwrap();
        assert!(tulipa::time::timeout(US, sem.acquire()).await.is_err());
        drop(p);
        assert_eq!(sem.available_permits(), 1);

        let ev = Event::new();
        assert!(tulipa::time::timeout(US, ev.wait()).await.is_err());
        ev.set();
        ev.wait().await;

        let barrier = Barrier::new(2);
        assert!(tulipa::time::timeout(US, barrier.wait()).await.is_err());
        assert_eq!(barrier.n_waiting(), 0);

        let cond = Condition::new(());
        let g = cond.lock().await;
        assert!(tulipa::time::timeout(US, cond.wait(g)).await.is_err());
        assert!(!cond.locked());

        let cell = OnceCell::new();
        let slow = tulipa::time::timeout(US, cell.get_or_init(|| tulipa::sleep(Duration::MAX)));
        assert!(slow.await.is_err());
        assert_eq!(*cell.get_or_init(|| async {}).await, ());
    }
}
