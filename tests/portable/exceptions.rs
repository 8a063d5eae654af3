//! The loop's exception handler (asyncio's `set_exception_handler` /
//! `call_exception_handler`). Portable; the panic cases are native only (a panic aborts on
//! the web).

use std::cell::RefCell;
use std::rc::Rc;

use tulipa::ExceptionContext;

/// What a recording handler saw: (message, task name) per report.
type Seen = Rc<RefCell<Vec<(String, Option<String>)>>>;

/// Installs a handler that records every report.
fn recorder() -> Seen {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    tulipa::set_exception_handler(move |ctx| {
        log.borrow_mut()
            .push((ctx.message().to_owned(), ctx.task_name().map(str::to_owned)));
    });
    seen
}

portable_test! {
    async fn exceptions_handler_receives_reports_in_order_and_reset_restores_default() {
        let seen = recorder();
        tulipa::call_exception_handler(
            ExceptionContext::new("first").with_error(std::io::Error::from(std::io::ErrorKind::TimedOut)),
        );
        tulipa::call_exception_handler(ExceptionContext::new("second").with_task("worker"));
        assert_eq!(
            *seen.borrow(),
            [("first".to_owned(), None), ("second".to_owned(), Some("worker".to_owned()))]
        );
        tulipa::reset_exception_handler();
        tulipa::call_exception_handler(ExceptionContext::new("to the default handler"));
        assert_eq!(seen.borrow().len(), 2, "a reset handler is not called again");
    }
}

portable_test! {
    async fn exceptions_context_displays_message_error_and_task() {
        let ctx = ExceptionContext::new("refresh failed")
            .with_error(std::io::Error::from_raw_os_error(24))
            .with_task("refresher");
        let text = ctx.to_string();
        assert!(text.starts_with("refresh failed: "), "{text}");
        assert!(text.ends_with("(task refresher)"), "{text}");
        let err = ctx.error().and_then(|e| e.downcast_ref::<std::io::Error>()).unwrap();
        assert_eq!(err.raw_os_error(), Some(24));
    }
}

portable_test! {
    async fn exceptions_a_handler_set_in_one_loop_stays_in_it() {
        let seen = recorder();
        // A second loop (the deterministic simulator) has its own, default handler.
        let inner = tulipa::sim::Sim::new().block_on(async {
            tulipa::call_exception_handler(ExceptionContext::new("inner loop"));
            7
        });
        assert_eq!(inner.unwrap(), 7);
        assert!(seen.borrow().is_empty(), "the outer handler saw the inner loop's report");
        tulipa::call_exception_handler(ExceptionContext::new("outer loop"));
        assert_eq!(seen.borrow().len(), 1);
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
portable_test! {
    async fn exceptions_a_detached_task_that_panics_is_reported_once_with_its_name() {
        let seen = recorder();
        tulipa::task::Builder::new()
            .name("doomed")
            .spawn_local(async {
                tulipa::yield_now().await;
                panic!("bad state");
            })
            .detach();
        for _ in 0..4 {
            tulipa::yield_now().await;
        }
        let seen = seen.borrow();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].0.contains("bad state"), "{seen:?}");
        assert_eq!(seen[0].1.as_deref(), Some("doomed"));
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
portable_test! {
    async fn exceptions_detaching_a_task_that_already_panicked_reports_it() {
        let seen = recorder();
        let t = tulipa::task::Builder::new().name("early").spawn(async { panic!("too soon") });
        tulipa::yield_now().await;
        assert!(t.is_finished());
        assert!(seen.borrow().is_empty(), "not reported while a handle can still see it");
        t.detach();
        assert_eq!(seen.borrow().len(), 1);
        assert!(seen.borrow()[0].0.contains("too soon"));
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
portable_test! {
    async fn exceptions_an_awaited_panic_is_not_reported_and_a_call_soon_panic_is() {
        let seen = recorder();
        let t = tulipa::spawn(async { panic!("seen by the awaiter") });
        assert!(t.await.unwrap_err().is_panic());
        assert!(seen.borrow().is_empty());
        // A callback's handle is dropped at once, detaching it: its panic is reported.
        drop(tulipa::call_soon(|| panic!("in a callback")));
        tulipa::yield_now().await;
        tulipa::yield_now().await;
        assert_eq!(seen.borrow().len(), 1);
        assert!(seen.borrow()[0].0.contains("in a callback"));
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
portable_test! {
    async fn exceptions_a_panicking_handler_falls_back_to_the_default_and_the_loop_goes_on() {
        tulipa::set_exception_handler(|_| panic!("handler bug"));
        tulipa::call_exception_handler(ExceptionContext::new("report"));
        // Still running, and the handler is still installed (asyncio keeps it too).
        let t = tulipa::spawn(async { 5 });
        assert_eq!(t.await.unwrap(), 5);
        tulipa::reset_exception_handler();
    }
}
