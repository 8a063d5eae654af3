//! Structured concurrency (TaskGroup) and the cancel token, with soft cancellation.
//! Portable (native and browser). Timing tests run on virtual time.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tulipa::task::{self, Builder};
use tulipa::{time, CancelToken, Failure, Instant, TaskGroupError};

const SEC: Duration = Duration::from_secs(1);

/// Sets its flag when dropped: shows that a future was dropped (cancelled or finished).
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn flag() -> (Arc<AtomicBool>, DropFlag) {
    let f = Arc::new(AtomicBool::new(false));
    (f.clone(), DropFlag(f))
}

fn is_set(f: &AtomicBool) -> bool {
    f.load(Ordering::SeqCst)
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

sim_test! {
    async fn taskgroup_waits_for_every_member_after_the_body_returns() {
        let log = Log::default();
        let l = log.clone();
        let start = Instant::now();
        let r = tulipa::task_group(|tg| async move {
            for s in [3u64, 1, 2] {
                let l = l.clone();
                tg.spawn(async move {
                    tulipa::sleep(Duration::from_secs(s)).await;
                    l.push(format!("member {s}"));
                    Ok(())
                });
            }
            l.push("body done");
            Ok::<_, String>("value")
        })
        .await;
        assert_eq!(r.unwrap(), "value");
        assert_eq!(start.elapsed(), 3 * SEC, "the group ended with its last member");
        assert_eq!(log.get(), ["body done", "member 1", "member 2", "member 3"]);
    }
}

sim_test! {
    async fn taskgroup_member_values_reach_the_body() {
        let r = tulipa::task_group(|tg| async move {
            let a = tg.spawn(async { tulipa::sleep(SEC).await; Ok(20) });
            let b = tg.spawn_local(async { Ok(22) });
            assert!(a.id().is_some() && a.id() != b.id());
            Ok::<_, ()>(a.await.unwrap() + b.await.unwrap())
        })
        .await;
        assert_eq!(r.unwrap(), 42);
    }
}

sim_test! {
    async fn taskgroup_first_failure_cancels_siblings_and_the_body() {
        let (sibling_dropped, sibling_flag) = flag();
        let (body_dropped, body_flag) = flag();
        let start = Instant::now();
        let r = tulipa::task_group(|tg| async move {
            let _body_flag = body_flag;
            tg.spawn(async move {
                let _f = sibling_flag;
                tulipa::sleep(3600 * SEC).await;
                Ok(())
            });
            tg.spawn(async { tulipa::sleep(SEC).await; Err::<(), _>("member failed".to_owned()) });
            tulipa::sleep(3600 * SEC).await;
            Ok(())
        })
        .await;
        assert_eq!(start.elapsed(), SEC, "nobody waited for the hour-long sleeps");
        let err = r.unwrap_err();
        assert!(!err.is_cancelled());
        assert_eq!(err.errors().collect::<Vec<_>>(), ["member failed"]);
        assert!(is_set(&sibling_dropped), "the sibling was cancelled");
        assert!(is_set(&body_dropped), "the body was cancelled");
    }
}

sim_test! {
    async fn taskgroup_reports_every_failure_in_order() {
        let r = tulipa::task_group(|tg| async move {
            // Two fail in the same instant; a soft-cancel member fails during its clean-up.
            tg.spawn(async { tulipa::sleep(SEC).await; Err::<(), _>("a") });
            tg.spawn(async { tulipa::sleep(SEC).await; Err::<(), _>("b") });
            tg.spawn_with(Builder::new().soft_cancel(), async {
                task::cancelled().await;
                tulipa::sleep(SEC).await;
                Err::<(), _>("c (during clean-up)")
            });
            Ok(())
        })
        .await;
        let err = r.unwrap_err();
        assert_eq!(err.errors().copied().collect::<Vec<_>>(), ["a", "b", "c (during clean-up)"]);
        assert_eq!(err.failures().len(), 3);
        assert_eq!(err.panics().count(), 0);
        assert_eq!(err.to_string(), "task group failed (3 failures): a; b; c (during clean-up)");
        assert_eq!(err.into_failures().len(), 3);
    }
}

sim_test! {
    async fn taskgroup_body_error_is_a_failure_and_cancels_members() {
        let (member_dropped, member_flag) = flag();
        let r = tulipa::task_group(|tg| async move {
            tg.spawn(async move {
                let _f = member_flag;
                std::future::pending::<Result<(), &str>>().await
            });
            tulipa::sleep(SEC).await;
            Err::<(), _>("body failed")
        })
        .await;
        let err = r.unwrap_err();
        assert!(matches!(err.failures(), [Failure::Error("body failed")]));
        assert!(is_set(&member_dropped));
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
sim_test! {
    async fn taskgroup_member_panic_is_a_failure_and_cancels_siblings() {
        let (sibling_dropped, sibling_flag) = flag();
        let r = tulipa::task_group(|tg| async move {
            tg.spawn(async move {
                let _f = sibling_flag;
                tulipa::sleep(3600 * SEC).await;
                Ok(())
            });
            tg.spawn_with(Builder::new().name("exploder"), async {
                tulipa::sleep(SEC).await;
                panic!("member blew up");
                #[allow(unreachable_code)]
                Ok(())
            });
            tg.spawn(async { tulipa::sleep(SEC).await; Err::<(), _>("plain error") });
            Ok::<_, &str>(())
        })
        .await;
        let err = r.unwrap_err();
        assert_eq!(err.failures().len(), 2, "{err}");
        let panic = err.panics().next().unwrap();
        assert_eq!(panic.message(), "member blew up");
        assert_eq!(panic.task_name(), "exploder");
        assert_eq!(err.errors().collect::<Vec<_>>(), [&"plain error"]);
        assert!(is_set(&sibling_dropped));
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
sim_test! {
    async fn taskgroup_body_panic_is_a_failure_and_cancels_members() {
        let (member_dropped, member_flag) = flag();
        let r = tulipa::task_group(|tg| async move {
            tg.spawn(async move {
                let _f = member_flag;
                std::future::pending::<Result<(), ()>>().await
            });
            tulipa::sleep(SEC).await;
            panic!("body blew up");
            #[allow(unreachable_code)]
            Ok(())
        })
        .await;
        let err = r.unwrap_err();
        assert_eq!(err.panics().next().unwrap().message(), "body blew up");
        assert!(is_set(&member_dropped));
    }
}

sim_test! {
    async fn taskgroup_cancel_cancels_every_member_and_the_body() {
        let flags: Vec<_> = (0..3).map(|_| flag()).collect();
        let (seen, dropflags): (Vec<_>, Vec<_>) = flags.into_iter().unzip();
        let (body_dropped, body_flag) = flag();
        let r = tulipa::task_group(|tg| async move {
            let _b = body_flag;
            for f in dropflags {
                tg.spawn(async move {
                    let _f = f;
                    std::future::pending::<Result<(), String>>().await
                });
            }
            let canceller = tg.clone();
            tg.spawn(async move {
                tulipa::sleep(SEC).await;
                canceller.cancel(); // from inside a member
                Ok(())
            });
            std::future::pending::<Result<(), String>>().await
        })
        .await;
        let err = r.unwrap_err();
        assert!(err.is_cancelled());
        assert!(err.failures().is_empty());
        assert_eq!(err.to_string(), "task group was cancelled: task was cancelled");
        assert!(seen.iter().all(|f| is_set(f)), "every member was cancelled");
        assert!(is_set(&body_dropped));
    }
}

sim_test! {
    async fn taskgroup_failure_wins_over_cancellation() {
        let r = tulipa::task_group(|tg| async move {
            tg.spawn_with(Builder::new().soft_cancel(), async {
                task::cancelled().await;
                Err::<(), _>("failed while cancelled")
            });
            tulipa::yield_now().await;
            tg.cancel();
            Ok(())
        })
        .await;
        let err = r.unwrap_err();
        assert!(!err.is_cancelled());
        assert_eq!(err.errors().collect::<Vec<_>>(), [&"failed while cancelled"]);
    }
}

sim_test! {
    async fn taskgroup_member_cancelled_alone_is_not_a_failure() {
        let r = tulipa::task_group(|tg| async move {
            let slow = tg.spawn(async { tulipa::sleep(3600 * SEC).await; Ok(1) });
            let fine = tg.spawn(async { tulipa::sleep(SEC).await; Ok(2) });
            tulipa::yield_now().await;
            assert!(slow.cancel());
            assert!(slow.await.unwrap_err().message().is_none());
            assert!(!fine.is_finished());
            let v = fine.await.unwrap();
            Ok::<_, ()>(v)
        })
        .await;
        assert_eq!(r.unwrap(), 2);
    }
}

sim_test! {
    async fn taskgroup_member_cancel_after_it_finished_returns_false() {
        tulipa::task_group(|tg| async move {
            let m = tg.spawn(async { Ok::<_, ()>(()) });
            tulipa::yield_now().await;
            assert!(m.is_finished());
            assert!(!m.cancel());
            assert_eq!(m.await, Ok(()));
            Ok::<_, ()>(())
        })
        .await
        .unwrap();
    }
}

portable_test! {
    async fn taskgroup_dropping_the_group_future_cancels_every_member() {
        time::pause();
        let (dropped, member_flag) = flag();
        let ids = Rc::new(RefCell::new(Vec::new()));
        let ids2 = ids.clone();
        let group = tulipa::task_group(move |tg| async move {
            let m = tg.spawn(async move {
                let _f = member_flag;
                std::future::pending::<Result<(), ()>>().await
            });
            ids2.borrow_mut().push(m.id().unwrap());
            std::future::pending::<Result<(), ()>>().await
        });
        assert!(time::timeout(SEC, group).await.is_err(), "the group was dropped at the timeout");
        tulipa::yield_now().await; // the loop drops the cancelled member's future
        assert!(is_set(&dropped), "no member outlives its group");
        let id = ids.borrow()[0];
        assert!(task::all_tasks().iter().all(|t| t.id() != id), "the member task is gone");
    }
}

portable_test! {
    async fn taskgroup_cancelling_the_enclosing_task_cancels_members() {
        time::pause();
        let (dropped, member_flag) = flag();
        let outer = tulipa::spawn(async move {
            tulipa::task_group(|tg| async move {
                tg.spawn(async move {
                    let _f = member_flag;
                    std::future::pending::<Result<(), ()>>().await
                });
                std::future::pending::<Result<(), ()>>().await
            })
            .await
        });
        tulipa::sleep(SEC).await;
        outer.cancel();
        assert!(outer.await.unwrap_err().is_cancelled());
        tulipa::yield_now().await;
        assert!(is_set(&dropped));
    }
}

sim_test! {
    async fn taskgroup_soft_cancel_member_gets_time_to_clean_up() {
        let log = Log::default();
        let l = log.clone();
        let start = Instant::now();
        let r = tulipa::task_group(|tg| async move {
            let l2 = l.clone();
            tg.spawn_with(Builder::new().name("db").soft_cancel(), async move {
                task::cancelled().await;
                l2.push(format!("told at {:?}", start.elapsed()));
                tulipa::sleep(5 * SEC).await; // async clean-up: flush, close
                l2.push("cleaned up");
                Ok(())
            });
            tg.spawn(async { tulipa::sleep(SEC).await; Err::<(), _>("boom") });
            Ok(())
        })
        .await;
        assert_eq!(r.unwrap_err().errors().collect::<Vec<_>>(), [&"boom"]);
        assert_eq!(log.get(), ["told at 1s", "cleaned up"]);
        assert_eq!(start.elapsed(), 6 * SEC, "the group waited for the clean-up");
    }
}

portable_test! {
    async fn taskgroup_soft_cancel_of_the_enclosing_task_cancels_members_and_tells_the_body() {
        time::pause();
        let log = Log::default();
        let l = log.clone();
        let outer = Builder::new().soft_cancel().spawn(async move {
            let r = tulipa::task_group(|tg| async move {
                let l2 = l.clone();
                tg.spawn_with(Builder::new().soft_cancel(), async move {
                    task::cancelled().await;
                    tulipa::sleep(SEC).await;
                    l2.push("member cleaned up");
                    Ok(())
                });
                task::cancelled().await; // the body is told too, and cleans up
                l.push("body cleaning up");
                tulipa::sleep(2 * SEC).await;
                Ok::<_, ()>("body value")
            })
            .await;
            r.map_err(|e| e.is_cancelled())
        });
        tulipa::sleep(SEC).await;
        outer.cancel();
        assert_eq!(outer.await.unwrap(), Err(true), "the group reports the cancellation");
        let mut got = log.get();
        got.sort();
        assert_eq!(got, ["body cleaning up", "member cleaned up"]);
    }
}

sim_test! {
    async fn taskgroup_refuses_spawns_once_finished_or_shutting_down() {
        let ran = Arc::new(AtomicBool::new(false));
        let kept = Rc::new(RefCell::new(None));
        let k = kept.clone();
        let refused_during_shutdown = Rc::new(RefCell::new(None));
        let rd = refused_during_shutdown.clone();
        let r = tulipa::task_group(move |tg| async move {
            *k.borrow_mut() = Some(tg.clone());
            let inner = tg.clone();
            tg.spawn_local_with(Builder::new().soft_cancel(), async move {
                task::cancelled().await;
                let late = inner.spawn(async { Ok(()) });
                *rd.borrow_mut() = Some(late.await);
                Ok(())
            });
            tg.spawn(async { Err::<(), _>("fail") });
            Ok(())
        })
        .await;
        assert!(r.is_err());
        let during = refused_during_shutdown.borrow_mut().take().unwrap();
        assert_eq!(during.unwrap_err().message(), Some("task group is shutting down"));

        let tg = kept.borrow_mut().take().unwrap();
        let r2 = ran.clone();
        let late = tg.spawn(async move {
            r2.store(true, Ordering::SeqCst);
            Ok(())
        });
        assert!(late.is_finished() && late.id().is_none());
        assert!(!late.cancel());
        assert_eq!(late.await.unwrap_err().message(), Some("task group is finished"));
        tulipa::yield_now().await;
        assert!(!is_set(&ran), "a refused member never runs");
    }
}

sim_test! {
    async fn taskgroup_members_can_spawn_siblings_and_the_group_waits_for_them() {
        let log = Log::default();
        let l = log.clone();
        let r = tulipa::task_group(|tg| async move {
            let inner = tg.clone();
            tg.spawn(async move {
                tulipa::sleep(SEC).await;
                let l2 = l.clone();
                inner.spawn(async move {
                    tulipa::sleep(SEC).await;
                    l2.push("grandchild done");
                    Ok(())
                });
                Ok(())
            });
            Ok::<_, ()>(())
        })
        .await;
        assert!(r.is_ok());
        assert_eq!(log.get(), ["grandchild done"]);
    }
}

sim_test! {
    async fn taskgroup_with_no_members_gives_the_body_value() {
        let r = tulipa::task_group(|_tg| async { Ok::<_, ()>(7) }).await;
        assert_eq!(r.unwrap(), 7);
        let r = tulipa::task_group(|_tg| async { Err::<(), _>("only the body") }).await;
        assert!(matches!(r, Err(TaskGroupError::Failed(f)) if f.len() == 1));
    }
}

portable_test! {
    async fn taskgroup_handles_and_future_are_send_when_the_error_is() {
        fn send_sync<T: Send + Sync>(_: &T) {}
        fn send<T: Send>(_: &T) {}
        let group = tulipa::task_group(|tg| async move {
            send_sync(&tg);
            let m = tg.spawn(async { Ok::<_, String>(1u8) });
            send_sync(&m);
            Ok(m.await.unwrap())
        });
        send(&group);
        // Send, so it can run in a `spawn`ed task on any loop.
        assert_eq!(tulipa::spawn(group).await.unwrap().unwrap(), 1);
    }
}

// ---- the cancel token ------------------------------------------------------------------

portable_test! {
    async fn cancel_token_parent_cancels_children_never_the_reverse() {
        let root = CancelToken::new();
        let a = root.child();
        let b = root.child();
        let a1 = a.child();
        a.cancel();
        assert!(a.is_cancelled() && a1.is_cancelled());
        assert!(!root.is_cancelled(), "never upwards");
        assert!(!b.is_cancelled(), "never sideways");
        root.cancel();
        assert!(b.is_cancelled());
        assert!(root.child().is_cancelled(), "a child of a cancelled token is born cancelled");
        root.cancel(); // idempotent
    }
}

portable_test! {
    async fn cancel_token_reaches_grandchildren_through_dropped_tokens() {
        let root = CancelToken::new();
        let grandchild = {
            let child = root.child();
            child.child() // `child` is dropped here; the grandchild still hangs off the root
        };
        root.cancel();
        assert!(grandchild.is_cancelled());
    }
}

portable_test! {
    async fn cancel_token_wakes_every_waiter_once() {
        let root = CancelToken::new();
        let child = root.child();
        let waiters: Vec<_> = (0..3)
            .map(|i| {
                let t = if i == 0 { root.clone() } else { child.child() };
                tulipa::spawn(t.cancelled())
            })
            .collect();
        tulipa::yield_now().await;
        assert!(waiters.iter().all(|w| !w.is_finished()));
        root.cancel();
        for w in waiters {
            w.await.unwrap();
        }
        root.cancelled().await; // already cancelled: ready at once
    }
}

portable_test! {
    async fn cancel_token_dropped_waiter_does_not_disturb_others() {
        let token = CancelToken::new();
        let quitter = tulipa::spawn(token.cancelled());
        let stayer = tulipa::spawn(token.cancelled());
        tulipa::yield_now().await;
        quitter.cancel();
        assert!(quitter.await.unwrap_err().is_cancelled());
        token.cancel();
        stayer.await.unwrap();
    }
}

sim_test! {
    async fn cancel_token_run_until_cancelled_drops_the_work() {
        let token = CancelToken::new();
        let (dropped, work_flag) = flag();
        let t = token.clone();
        let _call = tulipa::call_later(2 * SEC, move || t.cancel());
        let start = Instant::now();
        let out = token
            .run_until_cancelled(async move {
                let _f = work_flag;
                tulipa::sleep(3600 * SEC).await;
            })
            .await;
        assert_eq!(out, None);
        assert_eq!(start.elapsed(), 2 * SEC);
        assert!(is_set(&dropped));
        assert_eq!(CancelToken::new().run_until_cancelled(async { 1 }).await, Some(1));
    }
}

portable_test! {
    async fn cancel_token_and_soft_cancel_compose_through_race() {
        time::pause();
        // A soft-cancel worker stops on either signal and cleans up both ways.
        let worker = |token: CancelToken| {
            Builder::new().soft_cancel().spawn(async move {
                tulipa::race(token.cancelled(), task::cancelled()).await;
                tulipa::sleep(SEC).await; // clean-up
                if token.is_cancelled() { "token" } else { "task cancel" }
            })
        };
        let root = CancelToken::new();
        let by_token = worker(root.child());
        let by_cancel = worker(root.child());
        tulipa::yield_now().await;
        by_cancel.cancel();
        assert_eq!(by_cancel.await.unwrap(), "task cancel");
        root.cancel();
        assert_eq!(by_token.await.unwrap(), "token");
    }
}

portable_test! {
    async fn cancel_token_is_send_and_sync() {
        fn send_sync<T: Send + Sync>(_: &T) {}
        let token = CancelToken::default();
        send_sync(&token);
        send_sync(&token.cancelled());
        let t = token.clone();
        tulipa::spawn(async move { t.cancel() }).await.unwrap();
        assert!(token.is_cancelled());
        assert!(format!("{token:?}").contains("cancelled: true"));
    }
}
