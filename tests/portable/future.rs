//! asyncio's Future (`tulipa::future::SettableFuture`): completion, errors, waiters and
//! done-callbacks. Portable (native and browser).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use tulipa::future::{CallbackId, Exception, FutureError, SetError, SettableFuture};

type Fut<T> = SettableFuture<T, String>;

/// A shared log that callbacks (which must be `Send`) can write to.
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

/// Counts wakes: a waker from no executor at all.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

portable_test! {
    async fn future_set_result_completes_once_and_result_reads_it() {
        let fut: Fut<u32> = SettableFuture::new();
        assert!(!fut.done() && !fut.cancelled());
        assert_eq!(fut.result(), Err(FutureError::NotDone));
        assert_eq!(fut.set_result(7), Ok(()));
        assert!(fut.done() && !fut.cancelled());
        assert_eq!(fut.result(), Ok(7));
        assert_eq!(fut.result(), Ok(7), "reading the result does not consume it");
        assert_eq!(fut.wait().await, Ok(7));
        assert_eq!(fut.clone().await, Ok(7));
    }
}

portable_test! {
    async fn future_second_completion_is_a_typed_error_handing_the_value_back() {
        let fut: Fut<String> = SettableFuture::new();
        fut.set_result("first".into()).unwrap();
        let e = fut.set_result("second".into()).unwrap_err();
        assert!(matches!(&e, SetError::Done(s) if s == "second"));
        assert_eq!(e.to_string(), "future already has a result");
        assert_eq!(e.into_inner(), "second");
        let e = fut.set_exception("late error".into()).unwrap_err();
        assert_eq!(e.into_inner(), "late error");
        assert!(!fut.cancel(), "a completed future cannot be cancelled");
        assert!(!fut.cancel_with("too late"));
        assert_eq!(fut.result(), Ok("first".to_owned()), "the first result stands");

        let cancelled: Fut<u8> = SettableFuture::new();
        assert!(cancelled.cancel());
        let e = cancelled.set_result(3).unwrap_err();
        assert!(matches!(e, SetError::Cancelled(3)));
        assert_eq!(e.to_string(), "future was cancelled");
        assert!(matches!(cancelled.set_exception("x".into()), Err(SetError::Cancelled(_))));
        assert!(!cancelled.cancel());
    }
}

portable_test! {
    async fn future_exception_reaches_every_waiter() {
        let fut: Fut<u32> = SettableFuture::new();
        let waiter = tulipa::spawn(fut.wait());
        fut.set_exception("refused".into()).unwrap();
        let expected = Err(FutureError::Exception("refused".to_owned()));
        assert_eq!(waiter.await.unwrap(), expected);
        assert_eq!(fut.result(), expected);
        assert_eq!(fut.result().unwrap_err().to_string(), "refused");
        assert!(!fut.cancelled());
    }
}

portable_test! {
    async fn future_default_exception_type_holds_any_error() {
        let fut: SettableFuture<()> = SettableFuture::new();
        let err: Exception = Arc::new(std::io::Error::new(std::io::ErrorKind::NotFound, "no such key"));
        fut.set_exception(err).unwrap();
        match fut.await {
            Err(FutureError::Exception(e)) => assert_eq!(e.to_string(), "no such key"),
            other => panic!("expected the exception, got {other:?}"),
        }
    }
}

portable_test! {
    async fn future_cancel_with_message_reaches_waiters() {
        let fut: Fut<u32> = SettableFuture::new();
        let waiter = tulipa::spawn(fut.wait());
        tulipa::yield_now().await; // the waiter is parked
        assert!(fut.cancel_with("client went away"));
        assert!(fut.cancelled() && fut.done());
        let err = waiter.await.unwrap().unwrap_err();
        assert!(err.is_cancelled());
        match &err {
            FutureError::Cancelled(c) => assert_eq!(c.message(), Some("client went away")),
            other => panic!("expected Cancelled, got {other:?}"),
        }
        assert_eq!(err.to_string(), "future was cancelled: client went away");

        let plain: Fut<u32> = SettableFuture::new();
        assert!(plain.cancel());
        let err = plain.result().unwrap_err();
        assert!(matches!(&err, FutureError::Cancelled(c) if c.message().is_none()));
        assert_eq!(err.to_string(), "future was cancelled");
    }
}

portable_test! {
    async fn future_several_waiters_all_receive_the_result() {
        let fut: Fut<Vec<u8>> = SettableFuture::new();
        let waiters: Vec<_> = (0..5).map(|_| tulipa::spawn(fut.wait())).collect();
        tulipa::yield_now().await;
        assert!(waiters.iter().all(|w| !w.is_finished()), "nobody finishes before the result");
        fut.set_result(vec![1, 2, 3]).unwrap();
        for w in waiters {
            assert_eq!(w.await.unwrap(), Ok(vec![1, 2, 3]));
        }
        // A waiter that comes after completion gets it at once.
        assert_eq!((&fut).await, Ok(vec![1, 2, 3]));
    }
}

portable_test! {
    async fn future_dropped_waiter_leaves_the_others_waiting() {
        let fut: Fut<u32> = SettableFuture::new();
        let quitter = tulipa::spawn(fut.wait());
        let stayer = tulipa::spawn(fut.wait());
        tulipa::yield_now().await;
        assert!(format!("{fut:?}").contains("waiters: 2"), "{fut:?}");
        quitter.cancel();
        assert!(quitter.await.unwrap_err().is_cancelled());
        assert!(format!("{fut:?}").contains("waiters: 1"), "the cancelled waiter removed itself: {fut:?}");
        fut.set_result(1).unwrap();
        assert_eq!(stayer.await.unwrap(), Ok(1));
        assert!(format!("{fut:?}").contains("waiters: 0"), "{fut:?}");
    }
}

portable_test! {
    async fn future_waiting_needs_only_a_waker() {
        // Polled by hand with a waker from no executor: executor-agnostic.
        let fut: Fut<u32> = SettableFuture::new();
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut waiter = fut.wait();
        assert_eq!(Pin::new(&mut waiter).poll(&mut cx), Poll::Pending);
        assert_eq!(Pin::new(&mut waiter).poll(&mut cx), Poll::Pending);
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        fut.set_result(4).unwrap();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken exactly once");
        assert_eq!(Pin::new(&mut waiter).poll(&mut cx), Poll::Ready(Ok(4)));
    }
}

portable_test! {
    async fn future_callbacks_run_on_the_loop_in_order_exactly_once() {
        let log = Log::default();
        let fut: Fut<u32> = SettableFuture::new();
        assert!(fut.handle().is_some(), "bound to the loop it was created on");
        for i in 0..3 {
            let log = log.clone();
            fut.add_done_callback(move |f| log.push(format!("cb{i}:{:?}", f.result())));
        }
        fut.set_result(5).unwrap();
        assert!(log.get().is_empty(), "callbacks never run inside set_result");
        tulipa::yield_now().await;
        assert_eq!(log.get(), ["cb0:Ok(5)", "cb1:Ok(5)", "cb2:Ok(5)"]);
        for _ in 0..3 {
            tulipa::yield_now().await;
        }
        assert_eq!(log.get().len(), 3, "each ran exactly once");
    }
}

portable_test! {
    async fn future_callback_added_after_completion_runs_later_after_earlier_ones() {
        let log = Log::default();
        let fut: Fut<u32> = SettableFuture::new();
        let l = log.clone();
        fut.add_done_callback(move |_| l.push("before"));
        fut.set_result(1).unwrap();
        let l = log.clone();
        fut.add_done_callback(move |_| l.push("after"));
        assert!(log.get().is_empty(), "a callback added to a done future is scheduled, not run inline");
        tulipa::yield_now().await;
        assert_eq!(log.get(), ["before", "after"]);

        // Added long after: still runs, once.
        let l = log.clone();
        fut.add_done_callback(move |f| l.push(format!("late:{}", f.done())));
        tulipa::yield_now().await;
        tulipa::yield_now().await;
        assert_eq!(log.get(), ["before", "after", "late:true"]);
    }
}

portable_test! {
    async fn future_callbacks_run_on_cancel_and_see_the_cancellation() {
        let log = Log::default();
        let fut: Fut<u32> = SettableFuture::new();
        let l = log.clone();
        fut.add_done_callback(move |f| l.push(format!("cancelled={}", f.cancelled())));
        fut.cancel();
        tulipa::yield_now().await;
        assert_eq!(log.get(), ["cancelled=true"]);
    }
}

portable_test! {
    async fn future_remove_done_callback_removes_only_that_one() {
        let log = Log::default();
        let fut: Fut<()> = SettableFuture::new();
        let ids: Vec<CallbackId> = (0..3)
            .map(|i| {
                let l = log.clone();
                fut.add_done_callback(move |_| l.push(i.to_string()))
            })
            .collect();
        assert!(fut.remove_done_callback(ids[1]));
        assert!(!fut.remove_done_callback(ids[1]), "already removed");
        fut.set_result(()).unwrap();
        tulipa::yield_now().await;
        assert_eq!(log.get(), ["0", "2"]);
        assert!(!fut.remove_done_callback(ids[0]), "a callback that ran cannot be removed");
    }
}

portable_test! {
    async fn future_callback_can_add_another_callback() {
        let log = Log::default();
        let fut: Fut<()> = SettableFuture::new();
        let l = log.clone();
        fut.add_done_callback(move |f| {
            l.push("outer");
            let l2 = l.clone();
            f.add_done_callback(move |_| l2.push("inner"));
        });
        let l = log.clone();
        fut.add_done_callback(move |_| l.push("second"));
        fut.set_result(()).unwrap();
        tulipa::yield_now().await;
        tulipa::yield_now().await;
        assert_eq!(log.get(), ["outer", "second", "inner"]);
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
portable_test! {
    async fn future_panicking_callback_does_not_stop_the_others() {
        let log = Log::default();
        let fut: Fut<()> = SettableFuture::new();
        let l = log.clone();
        fut.add_done_callback(move |_| l.push("first"));
        fut.add_done_callback(|_| panic!("callback failed"));
        let l = log.clone();
        fut.add_done_callback(move |_| l.push("third"));
        fut.set_result(()).unwrap();
        tulipa::yield_now().await;
        tulipa::yield_now().await;
        assert_eq!(log.get(), ["first", "third"]);
    }
}

portable_test! {
    async fn future_with_handle_binds_callbacks_to_that_loop() {
        let fut: Fut<u8> = SettableFuture::with_handle(tulipa::Handle::current());
        assert!(fut.handle().is_some());
        let log = Log::default();
        let l = log.clone();
        // The callback sees the loop: it runs as part of a loop turn, inside a task.
        fut.add_done_callback(move |_| l.push(format!("in a task: {}", tulipa::task::current().is_some())));
        fut.set_result(0).unwrap();
        tulipa::yield_now().await;
        assert_eq!(log.get(), ["in a task: true"]);
    }
}

portable_test! {
    async fn future_is_send_and_sync_when_its_contents_are() {
        fn send_sync<T: Send + Sync>(_: &T) {}
        let fut: Fut<u32> = SettableFuture::default();
        send_sync(&fut);
        send_sync(&fut.wait());
        let setter = fut.clone();
        let t = tulipa::spawn(async move { setter.set_result(9) });
        t.await.unwrap().unwrap();
        assert_eq!(fut.await, Ok(9));
    }
}

portable_test! {
    async fn future_debug_shows_the_state() {
        let fut: Fut<u8> = SettableFuture::new();
        assert!(format!("{fut:?}").contains("pending"));
        fut.set_exception("e".into()).unwrap();
        assert!(format!("{fut:?}").contains("failed"));
        let c: Fut<u8> = SettableFuture::new();
        c.cancel();
        assert!(format!("{c:?}").contains("cancelled"));
        let ok: Fut<u8> = SettableFuture::new();
        ok.set_result(1).unwrap();
        assert!(format!("{ok:?}").contains("finished"));
    }
}

sim_test! {
    async fn future_resolved_by_a_timer_wakes_its_waiter_in_virtual_time() {
        let fut: Fut<&'static str> = SettableFuture::new();
        let setter = fut.clone();
        let _call = tulipa::call_later(std::time::Duration::from_secs(30), move || {
            setter.set_result("later").unwrap();
        });
        let start = tulipa::Instant::now();
        assert_eq!(fut.wait().await, Ok("later"));
        assert_eq!(start.elapsed(), std::time::Duration::from_secs(30));
    }
}
