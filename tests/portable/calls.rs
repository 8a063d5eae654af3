//! asyncio's delayed calls. Portable (native and browser).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tulipa::time;
use tulipa::Instant;

portable_test! {
    async fn calls_call_soon_runs_later_in_fifo_order() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let log = log.clone();
                tulipa::call_soon(move || log.borrow_mut().push(i))
            })
            .collect();
        assert!(log.borrow().is_empty(), "never run inline");
        tulipa::yield_now().await;
        assert_eq!(*log.borrow(), [0, 1, 2, 3]);
        assert!(handles.iter().all(|h| h.is_finished() && !h.cancelled() && h.when().is_none()));
    }
}

portable_test! {
    async fn calls_call_later_and_call_at_fire_at_their_time() {
        time::pause();
        let start = Instant::now();
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let late = tulipa::call_later(Duration::from_secs(5), move || l.borrow_mut().push(("later", Instant::now())));
        let l = log.clone();
        let at = start + Duration::from_secs(2);
        let early = tulipa::call_at(at, move || l.borrow_mut().push(("at", Instant::now())));
        assert_eq!(late.when(), Some(start + Duration::from_secs(5)));
        assert_eq!(early.when(), Some(at));
        tulipa::sleep(Duration::from_secs(6)).await;
        assert_eq!(*log.borrow(), [("at", at), ("later", start + Duration::from_secs(5))]);
    }
}

portable_test! {
    async fn calls_cancel_prevents_the_call() {
        time::pause();
        let ran = Rc::new(RefCell::new(false));
        let r = ran.clone();
        let h = tulipa::call_later(Duration::from_secs(1), move || *r.borrow_mut() = true);
        assert!(h.cancel());
        assert!(h.cancelled());
        assert!(!h.cancel(), "a second cancel finds nothing pending");
        tulipa::sleep(Duration::from_secs(2)).await;
        assert!(!*ran.borrow());
    }
}

portable_test! {
    async fn calls_dropping_the_handle_does_not_cancel() {
        time::pause();
        let ran = Rc::new(RefCell::new(false));
        let r = ran.clone();
        drop(tulipa::call_later(Duration::from_millis(10), move || *r.borrow_mut() = true));
        tulipa::sleep(Duration::from_millis(20)).await;
        assert!(*ran.borrow());
    }
}
