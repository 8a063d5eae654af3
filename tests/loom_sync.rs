//! loom models of the synchronization primitives' wake and hand-over paths: a release on one
//! thread racing an acquire (or its cancellation) on another, and a waiter that is dropped
//! after it had been handed a permit or the lock.
//!
//! Run with (a separate target directory keeps the normal build cache intact):
//!
//! ```text
//! CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" cargo test --release --test loom_sync
//! ```
//!
//! Built with `--cfg loom`, tulipa's primitives keep their state behind loom's `Mutex`, so
//! loom explores every interleaving of their critical sections. The futures are polled with
//! the counting wakers of `support/loom_waker.rs`: its `block_on` parks a loom thread until its
//! waker is woken, so a lost wakeup shows as a deadlock, and every model fails if a primitive
//! drops or wakes a waker under its lock, or keeps one after the future is gone.

#![cfg(loom)]

use std::sync::Arc;

use loom::thread;
use tulipa::sync::{Condition, Event, Lock, OnceCell, RwLock, Semaphore};

#[path = "support/loom_waker.rs"]
mod loom_waker;
use loom_waker::{assert_released, block_on, model, poll_once};

/// A permit released on one thread while another thread acquires: the acquirer always gets it
/// (no lost wakeup) and the count ends where it started.
#[test]
fn loom_semaphore_release_races_acquire() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.clone().try_acquire_owned().unwrap();
        let acquirer = thread::spawn({
            let sem = sem.clone();
            move || {
                let p = block_on(sem.acquire());
                assert_eq!(p.num_permits(), 1);
            }
        });
        drop(held);
        acquirer.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
        assert_released();
    });
}

/// A queued waiter is dropped while another thread releases the permit it may have just been
/// handed, and a third thread waits too: the permit must reach the third thread or go back,
/// never vanish.
#[test]
fn loom_semaphore_cancelled_waiter_that_was_handed_a_permit_passes_it_on() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.clone().try_acquire_owned().unwrap();
        let mut cancelled = sem.acquire();
        assert!(poll_once(&mut cancelled).is_pending());
        let other = thread::spawn({
            let sem = sem.clone();
            move || drop(block_on(sem.acquire()))
        });
        let releaser = thread::spawn(move || drop(held));
        drop(cancelled);
        releaser.join().unwrap();
        other.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
        assert_released();
    });
}

/// `acquire_many` at the head of the queue with permits coming back from two threads: it gets
/// both, and whatever it holds is returned.
#[test]
fn loom_semaphore_acquire_many_collects_permits_from_two_releasers() {
    model(|| {
        let sem = Arc::new(Semaphore::new(2));
        let a = sem.clone().try_acquire_owned().unwrap();
        let b = sem.clone().try_acquire_owned().unwrap();
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(move || drop(b));
        let both = block_on(sem.acquire_many(2));
        assert_eq!(sem.available_permits(), 0);
        drop(both);
        ta.join().unwrap();
        tb.join().unwrap();
        assert_eq!(sem.available_permits(), 2);
        assert_released();
    });
}

/// The lock released on one thread while a waiter on this thread is dropped and a waiter on
/// another thread waits: the other thread always gets the lock, the value is intact.
#[test]
fn loom_lock_cancelled_waiter_passes_the_lock_on() {
    model(|| {
        let lock = Arc::new(Lock::new(0u32));
        let held = lock.clone().try_lock_owned().unwrap();
        let mut cancelled = lock.lock();
        assert!(poll_once(&mut cancelled).is_pending());
        let other = thread::spawn({
            let lock = lock.clone();
            move || *block_on(lock.lock()) += 1
        });
        let releaser = thread::spawn(move || {
            let mut held = held;
            *held += 10;
        });
        drop(cancelled);
        releaser.join().unwrap();
        other.join().unwrap();
        assert!(!lock.locked());
        assert_eq!(*lock.try_lock().unwrap(), 11);
        assert_released();
    });
}

/// Two threads contend for the lock while a third tries it: mutual exclusion (no lost update)
/// and no lost wakeup.
#[test]
fn loom_lock_two_threads_increment() {
    model(|| {
        let lock = Arc::new(Lock::new(0u32));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let lock = lock.clone();
                thread::spawn(move || {
                    let mut g = block_on(lock.lock());
                    let v = *g;
                    thread::yield_now();
                    *g = v + 1;
                })
            })
            .collect();
        if let Ok(mut g) = lock.try_lock() {
            *g += 100;
        }
        for t in threads {
            t.join().unwrap();
        }
        let v = *lock.try_lock().unwrap();
        assert!(v == 2 || v == 102, "lost update: {v}");
        assert_released();
    });
}

/// A writer waits on another thread while the last reader leaves and a queued reader behind the
/// writer is cancelled: the writer gets in, the lock ends free.
#[test]
fn loom_rwlock_writer_gets_in_when_readers_leave_or_cancel() {
    model(|| {
        let lock = Arc::new(RwLock::new(0u32));
        let r = lock.try_read().unwrap();
        let writer = thread::spawn({
            let lock = lock.clone();
            move || *block_on(lock.write()) += 1
        });
        let mut late = lock.read();
        let _ = poll_once(&mut late); // queues behind the writer, or reads at once
        drop(r);
        drop(late);
        writer.join().unwrap();
        assert_eq!(*lock.try_write().unwrap(), 1);
        assert_released();
    });
}

/// `notify(1)` races the cancellation of the waiter it may go to: the other waiter (on its own
/// thread) must be woken either way.
#[test]
fn loom_condition_cancelled_waiter_passes_the_notification_on() {
    model(|| {
        let cond = Arc::new(Condition::new(false));
        let mut cancelled = cond.wait(cond.try_lock().unwrap());
        assert!(poll_once(&mut cancelled).is_pending()); // queued first
        let (ready_tx, ready_rx) = loom::sync::mpsc::channel();
        let waiter = thread::spawn({
            let cond = cond.clone();
            move || {
                let g = block_on(cond.lock());
                ready_tx.send(()).unwrap();
                let g = block_on(cond.wait_for(g, |set| *set));
                assert!(*g);
            }
        });
        ready_rx.recv().unwrap(); // the waiter holds the lock: it will queue before we set
        let notifier = thread::spawn({
            let cond = cond.clone();
            move || {
                *block_on(cond.lock()) = true;
                cond.notify(1);
            }
        });
        drop(cancelled);
        notifier.join().unwrap();
        waiter.join().unwrap();
        assert_released();
    });
}

/// `set` then `clear` on one thread race a `wait` on another and the cancellation of a third
/// wait on this thread: the waiter always returns (a clear does not take a wakeup back).
#[test]
fn loom_event_set_and_clear_race_wait_and_cancel() {
    model(|| {
        let ev = Arc::new(Event::new());
        let (queued_tx, queued_rx) = loom::sync::mpsc::channel();
        let waiter = thread::spawn({
            let ev = ev.clone();
            move || {
                let mut wait = ev.wait();
                assert!(poll_once(&mut wait).is_pending()); // queued before the set
                queued_tx.send(()).unwrap();
                block_on(wait) // polled again with a real waker, racing the set
            }
        });
        queued_rx.recv().unwrap();
        let setter = thread::spawn({
            let ev = ev.clone();
            move || {
                ev.set();
                ev.clear();
            }
        });
        let mut cancelled = ev.wait();
        let _ = poll_once(&mut cancelled);
        drop(cancelled);
        setter.join().unwrap();
        waiter.join().unwrap();
        assert!(!ev.is_set());
        assert_released();
    });
}

/// The initialiser on this thread is cancelled while two other threads want the value: exactly
/// one of them runs its initialiser, and both see its value.
#[test]
fn loom_once_cell_cancelled_initialiser_hands_the_turn_on() {
    model(|| {
        let cell = Arc::new(OnceCell::new());
        let inits = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let mut first = Box::pin(cell.get_or_init(std::future::pending::<usize>));
        assert!(poll_once(&mut first).is_pending()); // holds the turn
        let others: Vec<_> = (2..4)
            .map(|n| {
                let (cell, inits) = (cell.clone(), inits.clone());
                thread::spawn(move || {
                    *block_on(cell.get_or_init(|| async move {
                        inits.fetch_add(1, loom::sync::atomic::Ordering::SeqCst);
                        n
                    }))
                })
            })
            .collect();
        drop(first);
        let seen: Vec<usize> = others.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(inits.load(loom::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(seen[0], seen[1]);
        assert_eq!(cell.get(), Some(&seen[0]));
        assert_released();
    });
}
