//! Tasks: spawning, ordering, cancellation, names, listing. Portable (native and browser).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tulipa::task::{self, TaskState};
use tulipa::JoinError;

/// Sets its flag when dropped: shows that a task's future was dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

portable_test! {
    async fn task_spawn_returns_value() {
        let t = tulipa::spawn(async { 21 * 2 });
        assert_eq!(t.await.unwrap(), 42);
    }
}

portable_test! {
    async fn task_spawn_local_runs_non_send_future() {
        let shared = Rc::new(RefCell::new(Vec::new()));
        let s = Rc::clone(&shared);
        let t = tulipa::spawn_local(async move {
            s.borrow_mut().push("ran");
            Rc::strong_count(&s)
        });
        assert_eq!(t.await.unwrap(), 2);
        assert_eq!(*shared.borrow(), ["ran"]);
    }
}

portable_test! {
    async fn task_first_runs_after_spawner_yields_in_spawn_order() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..5 {
            let log = Rc::clone(&log);
            handles.push(tulipa::spawn_local(async move { log.borrow_mut().push(i) }));
        }
        // Never inline: nothing has run before the spawner yields.
        assert!(log.borrow().is_empty());
        tulipa::yield_now().await;
        assert_eq!(*log.borrow(), [0, 1, 2, 3, 4]);
        for h in handles {
            h.await.unwrap();
        }
    }
}

portable_test! {
    async fn task_spawned_by_a_task_runs_after_already_queued_tasks() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = Rc::clone(&log);
        let parent = tulipa::spawn_local(async move {
            l.borrow_mut().push("parent");
            let l2 = Rc::clone(&l);
            let child = tulipa::spawn_local(async move { l2.borrow_mut().push("child") });
            l.borrow_mut().push("parent-after-spawn");
            child.await.unwrap();
        });
        let l = Rc::clone(&log);
        let sibling = tulipa::spawn_local(async move { l.borrow_mut().push("sibling") });
        parent.await.unwrap();
        sibling.await.unwrap();
        assert_eq!(*log.borrow(), ["parent", "parent-after-spawn", "sibling", "child"]);
    }
}

portable_test! {
    async fn task_yield_now_interleaves_round_robin() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut hs = Vec::new();
        for name in ["a", "b"] {
            let log = Rc::clone(&log);
            hs.push(tulipa::spawn_local(async move {
                for i in 0..3 {
                    log.borrow_mut().push(format!("{name}{i}"));
                    tulipa::yield_now().await;
                }
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
        assert_eq!(*log.borrow(), ["a0", "b0", "a1", "b1", "a2", "b2"]);
    }
}

portable_test! {
    async fn task_cancel_reports_cancelled_with_message_and_drops_future() {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let t = tulipa::spawn(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        });
        tulipa::yield_now().await; // let it start and park
        assert!(t.cancel_with("stop now"));
        match t.await {
            Err(JoinError::Cancelled(c)) => assert_eq!(c.message(), Some("stop now")),
            other => panic!("expected Cancelled, got {other:?}"),
        }
        assert!(dropped.load(Ordering::SeqCst));
    }
}

portable_test! {
    async fn task_cancel_before_first_poll_never_runs_body() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let t = tulipa::spawn(async move { r.store(true, Ordering::SeqCst) });
        assert!(t.cancel());
        let err = t.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
        assert!(!ran.load(Ordering::SeqCst));
    }
}

portable_test! {
    async fn task_cancel_after_finish_returns_false_and_keeps_value() {
        let t = tulipa::spawn(async { 5 });
        tulipa::yield_now().await;
        assert!(t.is_finished());
        assert!(!t.cancel());
        assert_eq!(t.await.unwrap(), 5);
    }
}

portable_test! {
    async fn task_cancel_while_already_woken_wins() {
        let t = tulipa::spawn(async {
            loop {
                tulipa::yield_now().await;
            }
        });
        tulipa::yield_now().await; // t is now queued again (it yielded)
        t.cancel();
        assert!(t.await.unwrap_err().is_cancelled());
    }
}

portable_test! {
    async fn task_dropping_handle_cancels_task() {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let t = tulipa::spawn(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        });
        tulipa::yield_now().await;
        let id = t.id();
        drop(t);
        tulipa::yield_now().await;
        assert!(dropped.load(Ordering::SeqCst));
        assert!(task::all_tasks().iter().all(|i| i.id() != id));
    }
}

portable_test! {
    async fn task_detach_lets_task_finish() {
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        tulipa::spawn(async move {
            tulipa::yield_now().await;
            d.store(true, Ordering::SeqCst);
        })
        .detach();
        for _ in 0..3 {
            tulipa::yield_now().await;
        }
        assert!(done.load(Ordering::SeqCst));
    }
}

portable_test! {
    async fn task_current_reports_name_id_and_running() {
        let t = task::Builder::new().name("named-one").spawn(async {
            let me = task::current().expect("inside a task");
            (me.id(), me.name().to_owned(), me.state())
        });
        let id = t.id();
        let (seen_id, name, state) = t.await.unwrap();
        assert_eq!(seen_id, id);
        assert_eq!(name, "named-one");
        assert_eq!(state, TaskState::Running);
        let unnamed = tulipa::spawn(async { task::current().unwrap().name().to_owned() });
        let uid = unnamed.id();
        assert_eq!(unnamed.await.unwrap(), format!("Task-{uid}"));
    }
}

portable_test! {
    async fn task_all_tasks_lists_states_names_and_locations() {
        let line = line!() + 1;
        let pending = task::Builder::new().name("p").spawn(std::future::pending::<()>());
        let info = task::all_tasks().into_iter().find(|i| i.id() == pending.id()).unwrap();
        assert_eq!(info.state(), TaskState::Pending);
        assert_eq!(info.name(), "p");
        assert_eq!(info.location().line(), line);
        assert!(info.location().file().ends_with("tasks.rs"));
        tulipa::yield_now().await;
        let info = task::all_tasks().into_iter().find(|i| i.id() == pending.id()).unwrap();
        assert_eq!(info.state(), TaskState::Waiting);
        pending.cancel();
        let info = task::all_tasks().into_iter().find(|i| i.id() == pending.id()).unwrap();
        assert_eq!(info.state(), TaskState::Cancelling);
        let me = task::current().unwrap();
        let mine = task::all_tasks().into_iter().find(|i| i.id() == me.id()).unwrap();
        assert_eq!(mine.state(), TaskState::Running);
        let id = pending.id();
        assert!(pending.await.unwrap_err().is_cancelled());
        assert!(task::all_tasks().iter().all(|i| i.id() != id), "finished tasks leave the list");
    }
}

portable_test! {
    async fn task_ids_are_unique() {
        let mut ids: Vec<_> = (0..100).map(|_| tulipa::spawn(async {}).id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 100);
    }
}

portable_test! {
    async fn task_many_tasks_complete() {
        let handles: Vec<_> = (0..10_000u64).map(|i| tulipa::spawn(async move { i * 2 })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        assert_eq!(sum, 2 * (0..10_000u64).sum::<u64>());
    }
}

portable_test! {
    async fn task_spawn_blocking_returns_value() {
        let v = tulipa::spawn_blocking(|| (1..=10u32).product::<u32>()).await.unwrap();
        assert_eq!(v, 3_628_800);
        let w = tulipa::to_thread(|| "to_thread").await.unwrap();
        assert_eq!(w, "to_thread");
    }
}

portable_test! {
    async fn task_spawn_blocking_cancelled_before_start_never_runs() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        // Occupy nothing: cancel synchronously, before the job can start anywhere.
        let job = tulipa::spawn_blocking(move || r.store(true, Ordering::SeqCst));
        let cancelled = job.cancel();
        let out = job.await;
        if cancelled && out.as_ref().is_err_and(JoinError::is_cancelled) {
            assert!(!ran.load(Ordering::SeqCst));
        } else {
            // Natively a pool thread may have started it first; then it ran to the end.
            assert!(ran.load(Ordering::SeqCst));
        }
    }
}

portable_test! {
    async fn task_soft_cancel_lets_the_task_run_async_cleanup() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let t = task::Builder::new().soft_cancel().spawn_local(async move {
            assert!(!task::is_cancel_requested());
            task::cancelled().await;
            l.borrow_mut().push("told");
            tulipa::sleep(std::time::Duration::from_millis(2)).await;
            l.borrow_mut().push("cleaned");
            assert!(task::is_cancel_requested(), "the request stays visible");
            7
        });
        tulipa::yield_now().await;
        assert!(log.borrow().is_empty());
        assert!(t.cancel_with("please stop"));
        let info = task::all_tasks().into_iter().find(|i| i.id() == t.id()).unwrap();
        assert_eq!(info.state(), TaskState::Cancelling);
        assert_eq!(t.await.unwrap(), 7, "a soft-cancelled task ends with what it returns");
        assert_eq!(*log.borrow(), ["told", "cleaned"]);
    }
}

portable_test! {
    async fn task_abort_drops_even_a_soft_cancel_task() {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let t = task::Builder::new().soft_cancel().spawn(async move {
            let _flag = flag;
            task::cancelled().await;
            // Clean-up that never finishes: only an abort ends this task.
            std::future::pending::<()>().await;
        });
        tulipa::yield_now().await;
        t.cancel();
        tulipa::yield_now().await;
        assert!(!t.is_finished(), "soft cancel only told the task");
        assert!(t.abort());
        assert!(t.await.unwrap_err().is_cancelled());
        assert!(dropped.load(Ordering::SeqCst));
    }
}

portable_test! {
    async fn task_cancelled_never_completes_in_a_normal_task() {
        let r = tulipa::time::timeout(std::time::Duration::from_millis(3), task::cancelled()).await;
        assert!(r.is_err());
        assert!(!task::is_cancel_requested());
    }
}

/// A future whose own `Drop` panics: the panic comes after its last poll, when the loop drops
/// it, not from inside a poll. Native only, as the tests that use it: a panic aborts on the web.
#[cfg(not(target_arch = "wasm32"))]
struct PanicsOnDrop<F>(std::pin::Pin<Box<F>>);

#[cfg(not(target_arch = "wasm32"))]
impl<F: std::future::Future> std::future::Future for PanicsOnDrop<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        self.get_mut().0.as_mut().poll(cx)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl<F> Drop for PanicsOnDrop<F> {
    fn drop(&mut self) {
        panic!("dropped badly");
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn expect_drop_panic(err: JoinError, name: &str) {
    match err {
        JoinError::Panicked(p) => {
            assert_eq!(p.message(), "dropped badly");
            assert_eq!(p.task_name(), name);
            assert!(p.to_string().contains("while being dropped"), "{p}");
        }
        other => panic!("expected the drop's panic, got {other:?}"),
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
portable_test! {
    async fn task_completed_future_that_panics_when_dropped_fails_its_handle_only() {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&seen);
        tulipa::set_exception_handler(move |ctx| log.borrow_mut().push(ctx.to_string()));
        let t = task::Builder::new()
            .name("done")
            .spawn(PanicsOnDrop(Box::pin(async { 7 })));
        expect_drop_panic(t.await.unwrap_err(), "done");
        assert!(seen.borrow().is_empty(), "awaited, so not reported: {:?}", seen.borrow());
        // The loop goes on.
        assert_eq!(tulipa::spawn(async { 8 }).await.unwrap(), 8);
        tulipa::reset_exception_handler();
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
portable_test! {
    async fn task_cancelled_future_that_panics_when_dropped_fails_its_handle_only() {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&seen);
        tulipa::set_exception_handler(move |ctx| log.borrow_mut().push(ctx.to_string()));
        let t = task::Builder::new()
            .name("stuck")
            .spawn(PanicsOnDrop(Box::pin(std::future::pending::<()>())));
        tulipa::yield_now().await;
        assert!(t.cancel());
        expect_drop_panic(t.await.unwrap_err(), "stuck");
        assert!(seen.borrow().is_empty(), "awaited, so not reported: {:?}", seen.borrow());
        assert_eq!(tulipa::spawn(async { 9 }).await.unwrap(), 9);
        tulipa::reset_exception_handler();
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
portable_test! {
    async fn task_detached_future_that_panics_when_dropped_is_reported_once() {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&seen);
        tulipa::set_exception_handler(move |ctx| log.borrow_mut().push(ctx.to_string()));
        task::Builder::new()
            .name("loose")
            .spawn(PanicsOnDrop(Box::pin(async {})))
            .detach();
        // Queued after it: when this one has run, the detached task has ended.
        tulipa::spawn(async {}).await.unwrap();
        let seen = std::mem::take(&mut *seen.borrow_mut());
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].contains("dropped badly") && seen[0].contains("loose"), "{seen:?}");
        tulipa::reset_exception_handler();
    }
}

sim_test! {
    /// A task's future that keeps a reference into itself across `.await`s (a `poll_fn`
    /// closure that captures a local and writes it on each poll), spawned both ways. Under
    /// Miri (`make miri`) this was undefined behaviour for `spawn_local` until the task's
    /// future was kept out of async-task's thread check's shared reborrow (async-task
    /// issue 102); natively it checks the values the closure wrote.
    async fn task_future_holding_a_reference_into_itself_runs_for_both_spawns() {
        async fn count_polls(rounds: u32) -> u32 {
            let mut polls = 0u32;
            std::future::poll_fn(|cx| {
                polls += 1;
                if polls > rounds {
                    std::task::Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                }
            })
            .await;
            polls
        }
        let local = tulipa::spawn_local(count_polls(3));
        let sent = tulipa::spawn(count_polls(4));
        assert_eq!(local.await.unwrap(), 4);
        assert_eq!(sent.await.unwrap(), 5);
    }
}
