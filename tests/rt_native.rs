//! Native-only runtime behaviour: threads, the blocking pool, panics, teardown, idle CPU and
//! the fault cases of the loop core.

// Threads, an OS thread pool and `block_on` do not exist in the browser.
#![cfg(not(target_arch = "wasm32"))]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use tulipa::{JoinError, Runtime};

#[path = "support/mod.rs"]
mod support;
use support::within;

const LIMIT: Duration = Duration::from_secs(60);

/// Counts drops: shows that futures were dropped.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls a future once with a no-op waker.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    Pin::new(f).poll(&mut cx)
}

#[test]
fn rt_run_returns_the_main_task_output() {
    within(LIMIT, || {
        assert!(tulipa::run(async { tulipa::task::current().is_some() }));
    });
}

#[test]
fn rt_run_resumes_the_main_task_panic() {
    let caught = std::panic::catch_unwind(|| tulipa::run(async { panic!("main failed") }));
    let payload = caught.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"main failed"));
}

#[test]
fn rt_panic_fails_only_that_task_and_the_loop_keeps_running() {
    within(LIMIT, || {
        tulipa::run(async {
            let survivor = tulipa::spawn(async {
                tulipa::sleep(Duration::from_millis(5)).await;
                "alive"
            });
            let bad = tulipa::task::Builder::new()
                .name("exploder")
                .spawn(async { panic!("kaboom {}", 1) });
            match bad.await {
                Err(JoinError::Panicked(p)) => {
                    assert_eq!(p.message(), "kaboom 1");
                    assert_eq!(p.task_name(), "exploder");
                    assert!(p.spawned_at().unwrap().file().ends_with("rt_native.rs"));
                    assert!(p.to_string().contains("exploder"));
                }
                other => panic!("expected a panic outcome, got {other:?}"),
            }
            assert_eq!(survivor.await.unwrap(), "alive");
            let later = tulipa::spawn(async { 1 });
            assert_eq!(later.await.unwrap(), 1);
        });
    });
}

#[test]
fn rt_block_on_inside_a_task_is_refused() {
    let rt = Runtime::new().unwrap();
    let inner = Runtime::new().unwrap();
    let r = rt.block_on(async move {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.block_on(async {})))
    });
    assert!(r.is_err(), "block_on inside a running loop must panic");
}

#[test]
fn rt_spawn_outside_a_loop_panics_with_the_fix() {
    let err = std::panic::catch_unwind(|| tulipa::spawn(async {})).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("tulipa::run"), "{msg}");
}

#[test]
fn rt_spawn_from_four_threads_at_once_into_one_loop() {
    within(LIMIT, || {
        let rt = Runtime::new().unwrap();
        let handle = rt.handle();
        let counter = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (handle, counter, start) = (handle.clone(), counter.clone(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    (0..10_000)
                        .map(|i| {
                            let counter = counter.clone();
                            handle.spawn(async move {
                                tulipa::yield_now().await;
                                counter.fetch_add(1, Ordering::Relaxed);
                                i
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let handles: Vec<_> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let sum = rt.block_on(async move {
            let mut sum = 0u64;
            for h in handles {
                sum += h.await.unwrap() as u64;
            }
            sum
        });
        assert_eq!(counter.load(Ordering::Relaxed), 40_000);
        assert_eq!(sum, 4 * (0..10_000u64).sum::<u64>());
    });
}

#[test]
fn rt_call_soon_threadsafe_runs_on_the_loop_thread() {
    within(LIMIT, || {
        let rt = Runtime::new().unwrap();
        let loop_thread = thread::current().id();
        let (tx, rx) = futures_channel::oneshot::channel();
        let h = rt.handle();
        thread::spawn(move || {
            let _call = h.call_soon_threadsafe(move || {
                let _ = tx.send(thread::current().id());
            });
        })
        .join()
        .unwrap();
        assert_eq!(rt.block_on(rx).unwrap(), loop_thread);
    });
}

/// A future that parks until `flag` is set, leaving its waker in `slot` for others to use.
struct WaitFlag {
    flag: Arc<AtomicBool>,
    slot: Arc<Mutex<Option<Waker>>>,
}

impl Future for WaitFlag {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.slot.lock().unwrap() = Some(cx.waker().clone());
        if self.flag.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn rt_cancel_while_being_woken_from_another_thread() {
    within(LIMIT, || {
        let rt = Runtime::new().unwrap();
        let (mut cancelled, mut completed) = (0, 0);
        for round in 0..1_000 {
            let flag = Arc::new(AtomicBool::new(false));
            let slot = Arc::new(Mutex::new(None::<Waker>));
            let task = rt.spawn(WaitFlag {
                flag: flag.clone(),
                slot: slot.clone(),
            });
            rt.block_on(tulipa::yield_now()); // the task registers its waker
            let waker_thread = {
                let (flag, slot) = (flag.clone(), slot.clone());
                thread::spawn(move || {
                    for i in 0..50 {
                        if i == 25 && round % 2 == 0 {
                            flag.store(true, Ordering::SeqCst);
                        }
                        if let Some(w) = slot.lock().unwrap().clone() {
                            w.wake();
                        }
                    }
                })
            };
            task.cancel();
            match rt.block_on(task) {
                Ok(()) => completed += 1,
                Err(e) => {
                    assert!(e.is_cancelled());
                    cancelled += 1;
                }
            }
            waker_thread.join().unwrap();
            // Wakes after the task finished (its waker outlives it) are harmless.
            let late = slot.lock().unwrap().take();
            if let Some(w) = late {
                w.wake();
            }
        }
        assert_eq!(cancelled + completed, 1_000);
        assert!(cancelled > 0);
    });
}

#[test]
fn rt_wake_after_the_task_finished_is_harmless() {
    within(LIMIT, || {
        let rt = Runtime::new().unwrap();
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let s = slot.clone();
        let t = rt.spawn(std::future::poll_fn(move |cx| {
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::Ready(7)
        }));
        assert_eq!(rt.block_on(t).unwrap(), 7);
        let waker = slot.lock().unwrap().take().unwrap();
        let polls = rt.event_loop().polls();
        waker.wake_by_ref();
        thread::spawn(move || waker.wake()).join().unwrap();
        rt.block_on(tulipa::sleep(Duration::from_millis(2)));
        assert!(tulipa::task::all_tasks().is_empty());
        assert_eq!(
            rt.event_loop().polls(),
            polls,
            "a finished task is never polled again"
        );
    });
}

#[test]
fn rt_drop_with_10000_pending_tasks_and_timers_drops_every_future() {
    within(LIMIT, || {
        let dropped = Arc::new(AtomicUsize::new(0));
        let wakers = Arc::new(Mutex::new(Vec::<Waker>::new()));
        let rt = Runtime::new().unwrap();
        let mut kept = Vec::new();
        for i in 0..10_000 {
            let guard = Counted(dropped.clone());
            let wakers = wakers.clone();
            let h = rt.spawn(async move {
                let _guard = guard;
                if i % 2 == 0 {
                    tulipa::sleep(Duration::from_secs(3600 + i)).await;
                } else {
                    std::future::poll_fn(|cx| {
                        wakers.lock().unwrap().push(cx.waker().clone());
                        Poll::<()>::Pending
                    })
                    .await;
                }
            });
            if i % 3 == 0 {
                h.detach();
            } else {
                kept.push(h);
            }
        }
        rt.block_on(tulipa::yield_now());
        assert_eq!(
            tulipa::task::all_tasks().len(),
            0,
            "no loop outside block_on"
        );
        let handle = rt.handle();
        drop(rt);
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            10_000,
            "every future was dropped"
        );
        assert!(handle.is_closed());
        for mut h in kept {
            match poll_once(&mut h) {
                Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
                other => panic!("expected a cancelled outcome, got {other:?}"),
            }
        }
        // Wakers that outlive the loop wake nothing into freed memory.
        for w in wakers.lock().unwrap().drain(..) {
            thread::spawn(move || w.wake()).join().unwrap();
        }
        // Spawning onto a dropped loop cancels at once.
        let mut late = handle.spawn(async { 1 });
        assert!(matches!(poll_once(&mut late), Poll::Ready(Err(ref e)) if e.is_cancelled()));
    });
}

#[test]
fn rt_one_million_timers_fire() {
    within(LIMIT, || {
        tulipa::run(async {
            tulipa::time::pause();
            let fired = Arc::new(AtomicUsize::new(0));
            let mut hs = Vec::with_capacity(1_000_000);
            for i in 0..1_000_000u64 {
                let fired = fired.clone();
                hs.push(tulipa::spawn(async move {
                    tulipa::sleep(Duration::from_micros((i * 7919) % 1_000_000)).await;
                    fired.fetch_add(1, Ordering::Relaxed);
                }));
            }
            for h in hs {
                h.await.unwrap();
            }
            assert_eq!(fired.load(Ordering::Relaxed), 1_000_000);
        });
    });
}

#[test]
fn rt_timer_at_duration_max_never_fires_and_never_blocks_auto_advance() {
    within(LIMIT, || {
        tulipa::run(async {
            tulipa::time::pause();
            let forever = tulipa::spawn(tulipa::sleep(Duration::MAX));
            let start = tulipa::Instant::now();
            tulipa::sleep(Duration::from_secs(10)).await;
            assert_eq!(start.elapsed(), Duration::from_secs(10));
            assert!(!forever.is_finished());
            let r =
                tulipa::time::timeout(Duration::from_secs(1), tulipa::sleep(Duration::MAX)).await;
            assert!(r.is_err());
        });
    });
}

/// CPU time (user + system) of the calling thread, from /proc (clock ticks, 10 ms).
fn thread_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat; after the comm they are at 11 and 12.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn rt_idle_loop_parks_instead_of_spinning() {
    within(LIMIT, || {
        let rt = Runtime::new().unwrap();
        let before = thread_cpu_ticks();
        rt.block_on(tulipa::sleep(Duration::from_millis(600)));
        let used = thread_cpu_ticks() - before;
        // A busy loop would burn ~60 ticks; a parked one uses ~0.
        assert!(used <= 5, "idle loop used {used} ticks of CPU in 600 ms");
    });
}

#[test]
fn rt_blocking_pool_grows_on_demand_is_bounded_and_idle_threads_exit() {
    within(LIMIT, || {
        let rt = tulipa::Builder::new()
            .max_blocking_threads(3)
            .blocking_keep_alive(Duration::from_millis(100))
            .build()
            .unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let release = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let total = rt.block_on(async {
            let jobs: Vec<_> = (0..6)
                .map(|_| {
                    let (running, peak, release) = (running.clone(), peak.clone(), release.clone());
                    tulipa::spawn_blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        let (lock, cond) = &*release;
                        let mut go = lock.lock().unwrap();
                        while !*go {
                            go = cond.wait(go).unwrap();
                        }
                        running.fetch_sub(1, Ordering::SeqCst);
                        1
                    })
                })
                .collect();
            // Wait (on the loop, by polling a condition) until the pool is full.
            while running.load(Ordering::SeqCst) < 3 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(rt.blocking_threads(), 3, "the pool grew to its bound");
            *release.0.lock().unwrap() = true;
            release.1.notify_all();
            let mut total = 0;
            for j in jobs {
                total += j.await.unwrap();
            }
            total
        });
        assert_eq!(total, 6);
        assert_eq!(
            peak.load(Ordering::SeqCst),
            3,
            "never more than the bound at once"
        );
        assert!(rt.blocking_threads() <= 3);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while rt.blocking_threads() > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "idle threads did not exit"
            );
            thread::sleep(Duration::from_millis(10));
        }
    });
}

#[test]
fn rt_blocking_panic_is_reported_and_cancel_before_start_skips_the_closure() {
    within(LIMIT, || {
        let rt = tulipa::Builder::new()
            .max_blocking_threads(1)
            .build()
            .unwrap();
        rt.block_on(async {
            let e = tulipa::spawn_blocking(|| -> u8 { panic!("blocking boom") })
                .await
                .unwrap_err();
            assert!(e.is_panic());
            let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
            let g = gate.clone();
            let busy = tulipa::spawn_blocking(move || {
                let mut open = g.0.lock().unwrap();
                while !*open {
                    open = g.1.wait(open).unwrap();
                }
            });
            let ran = Arc::new(AtomicBool::new(false));
            let r = ran.clone();
            let queued = tulipa::spawn_blocking(move || r.store(true, Ordering::SeqCst));
            assert!(queued.cancel());
            *gate.0.lock().unwrap() = true;
            gate.1.notify_all();
            busy.await.unwrap();
            assert!(queued.await.unwrap_err().is_cancelled());
            assert!(
                !ran.load(Ordering::SeqCst),
                "a job cancelled before it started never runs"
            );
        });
    });
}

#[test]
fn rt_handle_spawn_from_another_thread_appears_in_all_tasks_once_drained() {
    within(LIMIT, || {
        let rt = Runtime::new().unwrap();
        let h = rt.handle();
        let remote = thread::spawn(move || {
            tulipa::task::Builder::new()
                .name("remote")
                .spawn_on(&h, std::future::pending::<()>())
        })
        .join()
        .unwrap();
        let id = remote.id();
        rt.block_on(async {
            tulipa::spawn(async {}).await.unwrap();
        });
        rt.block_on(async move {
            let all = tulipa::task::all_tasks();
            let info = all
                .iter()
                .find(|i| i.id() == id)
                .expect("listed once drained");
            assert_eq!(info.name(), "remote");
            remote.cancel();
            assert!(remote.await.unwrap_err().is_cancelled());
        });
    });
}

#[test]
fn rt_cancel_from_another_thread_reaches_a_waiting_task() {
    within(LIMIT, || {
        let rt = Runtime::new().unwrap();
        let t = rt.spawn(std::future::pending::<()>());
        rt.block_on(tulipa::yield_now());
        let t = thread::spawn(move || {
            assert!(t.cancel_with("from afar"));
            t
        })
        .join()
        .unwrap();
        match rt.block_on(t) {
            Err(JoinError::Cancelled(c)) => assert_eq!(c.message(), Some("from afar")),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn rt_cancel_message_reaches_a_task_not_yet_taken_from_the_inbox() {
    within(LIMIT, || {
        let rt = Runtime::new().unwrap();
        let h = rt.handle();
        let t = thread::spawn(move || {
            let t = h.spawn(std::future::pending::<()>());
            // The loop is not running: the task is still in its inbox, unregistered.
            assert!(t.cancel_with("before it ever ran"));
            t
        })
        .join()
        .unwrap();
        match rt.block_on(t) {
            Err(JoinError::Cancelled(c)) => assert_eq!(c.message(), Some("before it ever ran")),
            other => panic!("{other:?}"),
        }
    });
}
