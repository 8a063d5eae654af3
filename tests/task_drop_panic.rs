//! A task's future whose `Drop` panics: the panic is contained and reported, the loop and its
//! teardown carry on, and every other task is still dropped.
//!
//! Before the fix such a panic escaped into async-task's abort-on-panic guard and killed the
//! process with SIGABRT, which would also kill the test harness. So each test re-runs this
//! test binary with `CHILD` set to its own name: the child runs the scenario (and its
//! assertions), the parent checks that the child exited cleanly and ran the scenario.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/mod.rs"]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use support::within;
use tulipa::{JoinError, Runtime};

const CHILD: &str = "TULIPA_DROP_PANIC_CHILD";
const DONE: &str = "scenario finished cleanly";
const LIMIT: Duration = Duration::from_secs(20);

/// Runs `scenario` in a child process (this test binary, filtered to test `name`) and fails
/// unless the child ran it to the end and exited 0. In the child, runs `scenario` itself.
fn in_child(name: &str, scenario: fn()) {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        within(LIMIT, scenario);
        println!("{DONE}");
        return;
    }
    let out = Command::new(std::env::current_exe().expect("test binary path"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("re-running the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scenario {name} failed in its child process: {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains(DONE) && stdout.contains("1 passed"),
        "scenario {name} did not run in the child:\n{stdout}"
    );
}

/// Counts drops; panics in its own `Drop` when `panics` is set (after counting).
struct Guard {
    drops: Arc<AtomicUsize>,
    panics: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if self.panics {
            panic!("guard dropped");
        }
    }
}

/// A future that owns a `Guard` and completes at once (or never): its guard is dropped with
/// the future, after it returned `Ready`, not inside the poll.
struct Holding<F> {
    _guard: Guard,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Holding<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.inner.as_mut().poll(cx)
    }
}

fn holding<F: Future>(drops: &Arc<AtomicUsize>, panics: bool, inner: F) -> Holding<F> {
    Holding {
        _guard: Guard {
            drops: Arc::clone(drops),
            panics,
        },
        inner: Box::pin(inner),
    }
}

type Reports = Arc<Mutex<Vec<String>>>;

/// Installs an exception handler on the running loop that records every report's text.
fn record_reports() -> Reports {
    let reports = Reports::default();
    let log = Arc::clone(&reports);
    tulipa::set_exception_handler(move |ctx| log.lock().unwrap().push(ctx.to_string()));
    reports
}

fn taken(reports: &Reports) -> Vec<String> {
    std::mem::take(&mut *reports.lock().unwrap())
}

fn expect_drop_panic(err: JoinError) {
    match err {
        JoinError::Panicked(p) => assert_eq!(p.message(), "guard dropped"),
        other => panic!("expected the drop's panic, got {other:?}"),
    }
}

/// Polls a handle once outside any loop: its task ended with its loop.
fn outcome<T>(mut h: tulipa::JoinHandle<T>) -> Result<T, JoinError> {
    match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the task outlived its loop"),
    }
}

#[test]
fn cancelled_task_drop_panic_reaches_its_handle() {
    in_child("cancelled_task_drop_panic_reaches_its_handle", || {
        let drops = Arc::new(AtomicUsize::new(0));
        tulipa::run(async move {
            let reports = record_reports();
            let t = tulipa::spawn(holding(&drops, true, std::future::pending::<()>()));
            tulipa::yield_now().await;
            assert!(t.cancel());
            expect_drop_panic(t.await.unwrap_err());
            assert_eq!(drops.load(Ordering::SeqCst), 1);
            // The handle saw it: nothing else was told.
            assert!(taken(&reports).is_empty());
            // The loop carries on.
            assert_eq!(tulipa::spawn(async { 3 }).await.unwrap(), 3);
        });
    });
}

#[test]
fn dropped_handle_drop_panic_goes_to_the_exception_handler() {
    in_child(
        "dropped_handle_drop_panic_goes_to_the_exception_handler",
        || {
            let drops = Arc::new(AtomicUsize::new(0));
            tulipa::run(async move {
                let reports = record_reports();
                let t = tulipa::spawn(holding(&drops, true, std::future::pending::<()>()));
                tulipa::yield_now().await;
                drop(t); // Cancels; async-task closes the task and drops the wrapper.
                tulipa::yield_now().await;
                tulipa::yield_now().await;
                assert_eq!(drops.load(Ordering::SeqCst), 1);
                let reports = taken(&reports);
                assert_eq!(reports.len(), 1, "{reports:?}");
                assert!(reports[0].contains("guard dropped"), "{reports:?}");
                assert!(reports[0].contains("while being dropped"), "{reports:?}");
                assert_eq!(tulipa::spawn(async { 4 }).await.unwrap(), 4);
            });
        },
    );
}

#[test]
fn completed_task_drop_panic_reaches_its_handle() {
    in_child("completed_task_drop_panic_reaches_its_handle", || {
        let drops = Arc::new(AtomicUsize::new(0));
        tulipa::run(async move {
            let reports = record_reports();
            // The future returns Ready(7); its guard is dropped afterwards, with the future.
            let t = tulipa::spawn(holding(&drops, true, async { 7 }));
            expect_drop_panic(t.await.unwrap_err());
            assert_eq!(drops.load(Ordering::SeqCst), 1);
            assert!(taken(&reports).is_empty());

            // An async block drops what it holds when it returns, inside its last poll: that
            // panic is the poll's, and it is contained the same way.
            let guard = Guard {
                drops: Arc::clone(&drops),
                panics: true,
            };
            let t = tulipa::spawn(async move {
                let held = &guard;
                held.drops.load(Ordering::SeqCst)
            });
            expect_drop_panic(t.await.unwrap_err());
            assert_eq!(drops.load(Ordering::SeqCst), 2);
            assert_eq!(tulipa::spawn(async { 5 }).await.unwrap(), 5);
        });
    });
}

#[test]
fn detached_task_drop_panic_goes_to_the_exception_handler() {
    in_child(
        "detached_task_drop_panic_goes_to_the_exception_handler",
        || {
            let drops = Arc::new(AtomicUsize::new(0));
            tulipa::run(async move {
                let reports = record_reports();
                tulipa::spawn(holding(&drops, true, async {})).detach();
                let (tx, rx) = futures_channel::oneshot::channel();
                tulipa::spawn(async move {
                    tx.send(()).unwrap();
                })
                .detach();
                rx.await.unwrap();
                assert_eq!(drops.load(Ordering::SeqCst), 1);
                let reports = taken(&reports);
                assert_eq!(reports.len(), 1, "{reports:?}");
                assert!(reports[0].contains("guard dropped"), "{reports:?}");
            });
        },
    );
}

#[test]
fn detached_task_value_drop_panic_goes_to_the_exception_handler() {
    in_child(
        "detached_task_value_drop_panic_goes_to_the_exception_handler",
        || {
            let drops = Arc::new(AtomicUsize::new(0));
            tulipa::run(async move {
                let reports = record_reports();
                // Nothing will receive the value, so it is dropped when the task ends; its
                // `Drop` panics.
                let d = Arc::clone(&drops);
                tulipa::spawn(async move {
                    Guard {
                        drops: d,
                        panics: true,
                    }
                })
                .detach();
                // Queued after it: when this one has run, the detached task has ended.
                tulipa::spawn(async {}).await.unwrap();
                assert_eq!(drops.load(Ordering::SeqCst), 1);
                let reports = taken(&reports);
                assert_eq!(reports.len(), 1, "{reports:?}");
                assert!(reports[0].contains("guard dropped"), "{reports:?}");
                assert!(reports[0].contains("while being dropped"), "{reports:?}");
                assert_eq!(tulipa::spawn(async { 6 }).await.unwrap(), 6);
            });
        },
    );
}

#[test]
fn one_task_alive_at_runtime_drop() {
    in_child("one_task_alive_at_runtime_drop", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let rt = Runtime::new().unwrap();
        let t = rt.spawn(holding(&drops, true, std::future::pending::<()>()));
        let reports = rt.block_on(async {
            let reports = record_reports();
            tulipa::yield_now().await;
            reports
        });
        drop(rt);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // Its handle is still there, so the handle has the panic.
        expect_drop_panic(outcome(t).unwrap_err());
        assert!(taken(&reports).is_empty());
    });
}

#[test]
fn two_tasks_alive_at_runtime_drop_all_dropped_both_reported() {
    in_child(
        "two_tasks_alive_at_runtime_drop_all_dropped_both_reported",
        || {
            let drops = Arc::new(AtomicUsize::new(0));
            let rt = Runtime::new().unwrap();
            let reports = rt.block_on(async {
                let reports = record_reports();
                for panics in [true, false, true] {
                    let pending = std::future::pending::<()>();
                    tulipa::spawn(holding(&drops, panics, pending)).detach();
                }
                tulipa::yield_now().await;
                reports
            });
            drop(rt);
            // The two panicking tasks and the quiet one between them were all dropped.
            assert_eq!(drops.load(Ordering::SeqCst), 3);
            let reports = taken(&reports);
            assert_eq!(reports.len(), 2, "{reports:?}");
            assert!(reports.iter().all(|r| r.contains("guard dropped")));
        },
    );
}

#[test]
fn spawn_local_and_other_thread_spawns_contain_drop_panics() {
    in_child(
        "spawn_local_and_other_thread_spawns_contain_drop_panics",
        || {
            let drops = Arc::new(AtomicUsize::new(0));
            let rt = Runtime::new().unwrap();
            // From another thread, through the inbox: completes, then its drop panics.
            let handle = rt.handle();
            let d = Arc::clone(&drops);
            let remote = std::thread::spawn(move || handle.spawn(holding(&d, true, async { 1 })))
                .join()
                .unwrap();
            rt.block_on(async {
                let reports = record_reports();
                expect_drop_panic(remote.await.unwrap_err());
                // A local (!Send) future, cancelled.
                let rc = std::rc::Rc::new(());
                let local = tulipa::spawn_local(holding(&drops, true, async move {
                    let _rc = rc;
                    std::future::pending::<()>().await
                }));
                tulipa::yield_now().await;
                local.cancel();
                expect_drop_panic(local.await.unwrap_err());
                assert!(taken(&reports).is_empty());
            });
            assert_eq!(drops.load(Ordering::SeqCst), 2);
        },
    );
}

#[test]
fn sim_contains_drop_panics() {
    in_child("sim_contains_drop_panics", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let sim = tulipa::sim::Sim::new();
        let reports = sim
            .block_on(async {
                let reports = record_reports();
                let t = tulipa::spawn(holding(&drops, true, tulipa::sleep(Duration::from_secs(5))));
                expect_drop_panic(t.await.unwrap_err());
                tulipa::spawn(holding(&drops, true, std::future::pending::<()>())).detach();
                tulipa::yield_now().await;
                reports
            })
            .unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        drop(sim);
        // The detached one was dropped by the sim's teardown and reported there.
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        let reports = taken(&reports);
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert!(reports[0].contains("guard dropped"), "{reports:?}");
    });
}
