//! Native-only: the synchronization primitives shared by four threads, each running its own
//! tulipa `Runtime`, 100,000 operations per thread per primitive, with the invariants checked
//! during the run (atomic high-water marks, exclusion flags) and at its end. Also the
//! primitives' documented panics and their `Send`/`Sync` promises.

// Threads do not exist in the browser.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::VecDeque;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tulipa::sync::{
    Barrier, BoundedSemaphore, Condition, Event, Lock, OnceCell, RwLock, Semaphore,
};
use tulipa::Runtime;

#[path = "support/mod.rs"]
mod support;
use support::within;

const LIMIT: Duration = Duration::from_secs(120);
const THREADS: usize = 4;
/// Operations per thread, per primitive.
const OPS: usize = 100_000;
/// Tasks per thread: contention inside each loop as well as between threads.
const TASKS: usize = 4;

/// Runs `body(thread, task)` as `TASKS` tasks on each of `THREADS` threads, each thread with its
/// own runtime; every task performs `OPS / TASKS` operations. Returns the wall time.
fn on_threads<F, Fut>(body: F) -> Duration
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let body = Arc::new(body);
    let start = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let body = body.clone();
            thread::spawn(move || {
                let rt = Runtime::new().expect("runtime");
                rt.block_on(async move {
                    let tasks: Vec<_> = (0..TASKS).map(|k| tulipa::spawn(body(t, k))).collect();
                    for task in tasks {
                        task.await.expect("stress task failed");
                    }
                });
            })
        })
        .collect();
    for t in threads {
        t.join().expect("stress thread panicked");
    }
    start.elapsed()
}

/// A tiny deterministic generator per task (xorshift).
struct Rng(u64);

impl Rng {
    fn new(thread: usize, task: usize) -> Rng {
        Rng(0x9e37_79b9_7f4a_7c15 ^ (((thread as u64) << 32) | (task as u64 + 1)))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const PER_TASK: usize = OPS / TASKS;
const TOTAL: usize = THREADS * OPS;

#[test]
fn sync_stress_lock_counter_equals_operations() {
    within(LIMIT, || {
        let lock = Arc::new(Lock::new(0u64));
        let held = Arc::new(AtomicBool::new(false));
        let (l, h) = (lock.clone(), held.clone());
        let took = on_threads(move |t, k| {
            let (lock, held) = (l.clone(), h.clone());
            async move {
                let mut rng = Rng::new(t, k);
                for _ in 0..PER_TASK {
                    let mut g = lock.lock().await;
                    assert!(!held.swap(true, Ordering::SeqCst), "two holders at once");
                    let v = *g; // a non-atomic read-modify-write, protected by the lock
                    if rng.below(64) == 0 {
                        tulipa::yield_now().await; // held across a yield now and then
                    }
                    *g = v + 1;
                    held.store(false, Ordering::SeqCst);
                }
            }
        });
        let lock = Arc::try_unwrap(lock).expect("tasks are done");
        assert_eq!(lock.into_inner(), TOTAL as u64);
        eprintln!("lock: {TOTAL} lock/unlock in {took:?}");
    });
}

#[test]
fn sync_stress_rwlock_never_has_a_writer_alongside_readers() {
    within(LIMIT, || {
        let lock = Arc::new(RwLock::new(0u64));
        let readers = Arc::new(AtomicUsize::new(0));
        let writer = Arc::new(AtomicBool::new(false));
        let writes = Arc::new(AtomicU64::new(0));
        let max_readers = Arc::new(AtomicUsize::new(0));
        let shared = (
            lock.clone(),
            readers.clone(),
            writer.clone(),
            writes.clone(),
            max_readers.clone(),
        );
        let took = on_threads(move |t, k| {
            let (lock, readers, writer, writes, max_readers) = shared.clone();
            async move {
                let mut rng = Rng::new(t, k);
                for _ in 0..PER_TASK {
                    if rng.below(10) == 0 {
                        let mut g = lock.write().await;
                        assert!(!writer.swap(true, Ordering::SeqCst), "two writers");
                        assert_eq!(readers.load(Ordering::SeqCst), 0, "a writer among readers");
                        *g += 1;
                        writes.fetch_add(1, Ordering::Relaxed);
                        writer.store(false, Ordering::SeqCst);
                    } else {
                        let g = lock.read().await;
                        let now = readers.fetch_add(1, Ordering::SeqCst) + 1;
                        max_readers.fetch_max(now, Ordering::Relaxed);
                        assert!(
                            !writer.load(Ordering::SeqCst),
                            "a reader alongside a writer"
                        );
                        let seen = *g;
                        if rng.below(16) == 0 {
                            tulipa::yield_now().await;
                        }
                        assert_eq!(*g, seen, "the value changed under a read guard");
                        readers.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            }
        });
        let lock = Arc::try_unwrap(lock).expect("tasks are done");
        assert_eq!(lock.into_inner(), writes.load(Ordering::SeqCst));
        assert!(max_readers.load(Ordering::SeqCst) > 1, "readers did share");
        eprintln!("rwlock: {TOTAL} read/write ops in {took:?}");
    });
}

#[test]
fn sync_stress_semaphore_never_exceeds_its_permits() {
    within(LIMIT, || {
        const PERMITS: usize = 5;
        let sem = Arc::new(Semaphore::new(PERMITS));
        let inside = Arc::new(AtomicUsize::new(0));
        let high = Arc::new(AtomicUsize::new(0));
        let shared = (sem.clone(), inside.clone(), high.clone());
        let took = on_threads(move |t, k| {
            let (sem, inside, high) = shared.clone();
            async move {
                let mut rng = Rng::new(t, k);
                for i in 0..PER_TASK {
                    let n = 1 + rng.below(3) as usize;
                    let permit = if i % 2 == 0 {
                        sem.acquire_many(n).await
                    } else {
                        match sem.try_acquire_many(n) {
                            Ok(p) => p,
                            Err(_) => sem.acquire_many(n).await,
                        }
                    };
                    let now = inside.fetch_add(n, Ordering::SeqCst) + n;
                    high.fetch_max(now, Ordering::SeqCst);
                    assert!(now <= PERMITS, "{now} permits out of {PERMITS} held");
                    if rng.below(8) == 0 {
                        tulipa::yield_now().await;
                    }
                    inside.fetch_sub(n, Ordering::SeqCst);
                    drop(permit);
                }
            }
        });
        assert_eq!(sem.available_permits(), PERMITS);
        assert!(!sem.locked());
        let high = high.load(Ordering::SeqCst);
        assert!((2..=PERMITS).contains(&high), "high-water mark {high}");
        eprintln!("semaphore: {TOTAL} acquire/release in {took:?}, high-water mark {high}");
    });
}

#[test]
fn sync_stress_bounded_semaphore_forget_and_release_stay_within_the_bound() {
    within(LIMIT, || {
        const BOUND: usize = 3;
        let sem = Arc::new(BoundedSemaphore::new(BOUND));
        let inside = Arc::new(AtomicUsize::new(0));
        let shared = (sem.clone(), inside.clone());
        let took = on_threads(move |t, k| {
            let (sem, inside) = shared.clone();
            async move {
                let mut rng = Rng::new(t, k);
                for _ in 0..PER_TASK {
                    let permit = sem.clone().acquire_owned().await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(now <= BOUND);
                    inside.fetch_sub(1, Ordering::SeqCst);
                    if rng.below(2) == 0 {
                        drop(permit); // the guard gives it back ...
                    } else {
                        permit.forget(); // ... or asyncio style: forget, then release
                        sem.release().expect("a forgotten permit can be released");
                    }
                    assert!(sem.available_permits() <= BOUND);
                }
            }
        });
        assert_eq!(sem.available_permits(), BOUND);
        assert!(
            sem.release().is_err(),
            "every forgotten permit was released once"
        );
        eprintln!("bounded semaphore: {TOTAL} acquire/release in {took:?}");
    });
}

#[test]
fn sync_stress_event_token_rings_pass_exactly_one_token() {
    within(LIMIT, || {
        // TASKS rings; ring r has one event per thread, and its token goes round the threads:
        // thread t waits for its event, clears it, and sets the next thread's.
        let rings: Arc<Vec<Vec<Event>>> = Arc::new(
            (0..TASKS)
                .map(|_| (0..THREADS).map(|_| Event::new()).collect())
                .collect(),
        );
        let holders: Arc<Vec<AtomicUsize>> =
            Arc::new((0..TASKS).map(|_| AtomicUsize::new(0)).collect());
        let passes = Arc::new(AtomicUsize::new(0));
        for ring in rings.iter() {
            ring[0].set();
        }
        let shared = (rings.clone(), holders.clone(), passes.clone());
        let took = on_threads(move |t, k| {
            let (rings, holders, passes) = shared.clone();
            async move {
                let ring = &rings[k];
                for _ in 0..PER_TASK {
                    ring[t].wait().await;
                    ring[t].clear();
                    assert_eq!(
                        holders[k].fetch_add(1, Ordering::SeqCst),
                        0,
                        "two tokens in ring {k}"
                    );
                    passes.fetch_add(1, Ordering::Relaxed);
                    holders[k].fetch_sub(1, Ordering::SeqCst);
                    ring[(t + 1) % THREADS].set();
                }
            }
        });
        assert_eq!(passes.load(Ordering::SeqCst), TOTAL);
        for ring in rings.iter() {
            // Every thread passed the token PER_TASK times: it is back at thread 0.
            let set: Vec<bool> = ring.iter().map(Event::is_set).collect();
            assert_eq!(set, [true, false, false, false]);
        }
        eprintln!("event: {TOTAL} wait/clear/set in {took:?}");
    });
}

#[test]
fn sync_stress_condition_bounded_buffer_delivers_every_item_once() {
    within(LIMIT, || {
        // Threads 0 and 1 produce, threads 2 and 3 consume, through one buffer of 16 guarded by
        // a lock shared by a "not full" and a "not empty" condition.
        const CAP: usize = 16;
        let lock = Arc::new(Lock::new(VecDeque::new()));
        let not_full = Arc::new(Condition::with_lock(lock.clone()));
        let not_empty = Arc::new(Condition::with_lock(lock.clone()));
        let consumed_sum = Arc::new(AtomicU64::new(0));
        let consumed = Arc::new(AtomicUsize::new(0));
        let shared = (
            lock.clone(),
            not_full,
            not_empty,
            consumed_sum.clone(),
            consumed.clone(),
        );
        let took = on_threads(move |t, k| {
            let (lock, not_full, not_empty, sum, count) = shared.clone();
            async move {
                for i in 0..PER_TASK {
                    let g = lock.lock().await;
                    if t < 2 {
                        let mut g = not_full.wait_for(g, |q| q.len() < CAP).await;
                        g.push_back(((t * TASKS + k) * PER_TASK + i) as u64);
                        drop(g);
                        not_empty.notify(1);
                    } else {
                        let mut g = not_empty.wait_for(g, |q| !q.is_empty()).await;
                        let item = g.pop_front().expect("predicate held");
                        assert!(g.len() < CAP);
                        drop(g);
                        not_full.notify(1);
                        sum.fetch_add(item, Ordering::Relaxed);
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        let produced = (2 * TASKS * PER_TASK) as u64;
        assert_eq!(consumed.load(Ordering::SeqCst) as u64, produced);
        assert_eq!(
            consumed_sum.load(Ordering::SeqCst),
            produced * (produced - 1) / 2
        );
        assert!(lock.try_lock().unwrap().is_empty());
        eprintln!("condition: {TOTAL} put/get through a bounded buffer in {took:?}");
    });
}

#[test]
fn sync_stress_barrier_elects_one_leader_per_generation() {
    within(LIMIT, || {
        // One party per thread, each doing OPS waits: OPS generations of THREADS parties.
        let parties = THREADS;
        let barrier = Arc::new(Barrier::new(parties));
        let arrivals = Arc::new(AtomicUsize::new(0));
        let leaders = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (barrier, arrivals, leaders) =
                    (barrier.clone(), arrivals.clone(), leaders.clone());
                thread::spawn(move || {
                    Runtime::new().unwrap().block_on(async move {
                        for round in 0..OPS {
                            arrivals.fetch_add(1, Ordering::SeqCst);
                            let r = barrier.wait().await;
                            // Everyone of this generation arrived before anyone left it.
                            assert!(arrivals.load(Ordering::SeqCst) >= parties * (round + 1));
                            if r.is_leader() {
                                leaders.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    });
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let took = start.elapsed();
        assert_eq!(
            leaders.load(Ordering::SeqCst),
            OPS,
            "one leader per generation"
        );
        assert_eq!(barrier.generation(), OPS as u64);
        assert_eq!(barrier.n_waiting(), 0);
        eprintln!("barrier: {TOTAL} waits ({OPS} generations of {parties}) in {took:?}");
    });
}

#[test]
fn sync_stress_once_cell_initialises_each_cell_exactly_once() {
    within(LIMIT, || {
        // OPS cells; every task of every thread asks for each of its share of them, so each
        // cell is raced for by THREADS tasks (one per thread).
        let cells: Arc<Vec<OnceCell<u64>>> = Arc::new((0..OPS).map(|_| OnceCell::new()).collect());
        let inits = Arc::new(AtomicUsize::new(0));
        let mismatches = Arc::new(AtomicUsize::new(0));
        let shared = (cells.clone(), inits.clone(), mismatches.clone());
        let took = on_threads(move |t, k| {
            let (cells, inits, mismatches) = shared.clone();
            async move {
                let mut rng = Rng::new(t, k);
                for i in (k..OPS).step_by(TASKS) {
                    let slow = rng.below(16) == 0;
                    let v = *cells[i]
                        .get_or_init(|| async {
                            inits.fetch_add(1, Ordering::SeqCst);
                            if slow {
                                tulipa::yield_now().await;
                            }
                            (i * 10 + t) as u64
                        })
                        .await;
                    if v / 10 != i as u64 {
                        mismatches.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        });
        assert_eq!(
            inits.load(Ordering::SeqCst),
            OPS,
            "one initialiser ran per cell"
        );
        assert_eq!(mismatches.load(Ordering::SeqCst), 0);
        assert!(cells.iter().all(|c| c.initialized()));
        eprintln!("once cell: {TOTAL} get_or_init on {OPS} cells in {took:?}");
    });
}

/// Cross-thread cancellation: a task on one thread waits for a lock held on another and is
/// cancelled from a third, repeatedly; the lock must stay usable.
#[test]
fn sync_stress_cross_thread_cancelled_waiters_never_wedge_the_lock() {
    within(LIMIT, || {
        let lock = Arc::new(Lock::new(0u64));
        let sem = Arc::new(Semaphore::new(2));
        let stop = Arc::new(AtomicBool::new(false));
        let holders: Vec<_> = (0..2)
            .map(|_| {
                let (lock, sem, stop) = (lock.clone(), sem.clone(), stop.clone());
                thread::spawn(move || {
                    Runtime::new().unwrap().block_on(async move {
                        let mut n = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            *lock.lock().await += 1;
                            let _p = sem.acquire_many(2).await;
                            n += 1;
                            tulipa::yield_now().await;
                        }
                        n
                    })
                })
            })
            .collect();
        let rt = Runtime::new().unwrap();
        let handle = rt.handle();
        let (mut cancelled, mut finished) = (0, 0);
        for i in 0..20_000u32 {
            let (lock, sem) = (lock.clone(), sem.clone());
            let task = handle.spawn(async move {
                let _g = lock.lock().await;
                let _p = sem.acquire().await;
            });
            if i % 3 != 0 {
                task.cancel(); // from this thread, while the task runs on the runtime's
            }
            match rt.block_on(task) {
                Ok(()) => finished += 1,
                Err(e) if e.is_cancelled() => cancelled += 1,
                Err(e) => panic!("{e}"),
            }
        }
        stop.store(true, Ordering::Relaxed);
        let rounds: u64 = holders.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(cancelled > 0 && finished > 0);
        assert!(!lock.locked());
        assert_eq!(*lock.try_lock().unwrap(), rounds);
        assert_eq!(sem.available_permits(), 2);
    });
}

/// Checks at compile time that the primitives and their futures can cross threads.
#[test]
fn sync_primitives_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let lock = Lock::new(0u8);
    send_sync(&lock);
    send(&lock.lock());
    send(&lock.try_lock().unwrap());
    let rw = RwLock::new(0u8);
    send_sync(&rw);
    send(&rw.read());
    send(&rw.write());
    let sem = Semaphore::new(1);
    send_sync(&sem);
    send(&sem.acquire());
    send(&Arc::new(Semaphore::new(1)).acquire_owned());
    send_sync(&BoundedSemaphore::new(1));
    let ev = Event::new();
    send_sync(&ev);
    send(&ev.wait());
    let cond = Condition::new(0u8);
    send_sync(&cond);
    send(&cond.wait(cond.try_lock().unwrap()));
    let barrier = Barrier::new(1);
    send_sync(&barrier);
    send(&barrier.wait());
    let cell = OnceCell::<u8>::new();
    send_sync(&cell);
    send(&cell.get_or_init(|| async { 1 }));
}

/// Runs `f` expecting a panic whose message contains `expected`.
fn panics_with(expected: &str, f: impl FnOnce()) {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        msg.contains(expected),
        "panic message {msg:?} lacks {expected:?}"
    );
}

#[test]
fn sync_documented_panics() {
    panics_with("at least one party", || {
        Barrier::new(0);
    });
    panics_with("could never be granted", || {
        let sem = BoundedSemaphore::new(2);
        drop(sem.acquire_many(3));
    });
    panics_with("at most", || {
        Semaphore::new(Semaphore::MAX_PERMITS).add_permits(1);
    });
    panics_with("another lock", || {
        let cond = Condition::new(());
        let other = Lock::new(());
        drop(cond.wait(other.try_lock().unwrap()));
    });
    panics_with("leaked", || {
        let lock = Lock::new(1);
        std::mem::forget(lock.try_lock().unwrap());
        lock.into_inner();
    });
    panics_with("polled after it completed", || {
        let lock = Lock::new(());
        let mut fut = lock.lock();
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let guard = std::pin::Pin::new(&mut fut).poll(&mut cx);
        drop(guard);
        let _ = std::pin::Pin::new(&mut fut).poll(&mut cx);
    });
}
