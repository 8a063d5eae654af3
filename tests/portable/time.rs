//! Timers, timeouts, intervals and virtual time. Portable (native and browser).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tulipa::time::{self, MissedTickBehavior};
use tulipa::Instant;

const MS: Duration = Duration::from_millis(1);

portable_test! {
    async fn time_sleep_waits_at_least_its_duration() {
        let start = Instant::now();
        tulipa::sleep(15 * MS).await;
        assert!(start.elapsed() >= 15 * MS, "woke after {:?}", start.elapsed());
    }
}

portable_test! {
    async fn time_sleep_zero_and_past_deadlines_are_ready() {
        tulipa::sleep(Duration::ZERO).await;
        tulipa::sleep_until(Instant::from_nanos(0)).await;
    }
}

portable_test! {
    async fn time_duration_max_neither_panics_nor_fires() {
        let r = time::timeout(5 * MS, tulipa::sleep(Duration::MAX)).await;
        assert!(r.is_err());
        let s = tulipa::sleep(Duration::MAX);
        assert_eq!(s.deadline(), Instant::FAR_FUTURE);
        let far = Instant::now() + Duration::MAX;
        assert_eq!(far, Instant::FAR_FUTURE);
        let r = time::timeout(Duration::MAX, async { 3 }).await;
        assert_eq!(r, Ok(3));
    }
}

portable_test! {
    async fn time_timeout_gives_value_or_distinct_elapsed() {
        assert_eq!(time::timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
        let e = time::timeout(2 * MS, std::future::pending::<()>()).await.unwrap_err();
        assert_eq!(e.to_string(), "deadline has elapsed");
        assert!(e.deadline() <= Instant::now());
    }
}

portable_test! {
    async fn time_timeout_ready_future_wins_over_past_deadline() {
        let r = time::timeout_at(Instant::from_nanos(0), async { "ready" }).await;
        assert_eq!(r, Ok("ready"));
    }
}

portable_test! {
    async fn time_timeout_cancels_inner_future() {
        let (tx, rx) = futures_channel::oneshot::channel::<()>();
        let inner = async move {
            let _keep = tx; // dropped when the timeout drops this future
            std::future::pending::<()>().await;
        };
        assert!(time::timeout(MS, inner).await.is_err());
        assert!(rx.await.is_err(), "the sender was dropped with the inner future");
    }
}

portable_test! {
    async fn time_timeout_reset_moves_deadline_both_ways() {
        let mut later = std::pin::pin!(time::timeout(MS, tulipa::sleep(20 * MS)));
        later.as_mut().reset(Instant::now() + Duration::from_secs(10));
        assert_eq!(later.await, Ok(()));
        let mut sooner = std::pin::pin!(time::timeout(Duration::from_secs(10), std::future::pending::<()>()));
        let at = Instant::now() + 2 * MS;
        sooner.as_mut().reset(at);
        assert_eq!(sooner.await.unwrap_err().deadline(), at);
    }
}

portable_test! {
    async fn time_sleep_reset_reregisters() {
        let mut s = tulipa::sleep(Duration::from_secs(3600));
        s.reset(Instant::now() + 2 * MS);
        time::timeout(Duration::from_secs(10), s).await.expect("reset sleep fired");
    }
}

portable_test! {
    async fn time_pause_sleeps_instantly_and_advance_moves_clock() {
        time::pause();
        assert!(time::is_paused());
        let start = Instant::now();
        tulipa::sleep(Duration::from_secs(3600)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
        time::advance(Duration::from_millis(250)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(3_600_250));
        time::resume();
        assert!(!time::is_paused());
        let resumed = Instant::now();
        assert!(resumed >= start + Duration::from_millis(3_600_250), "clock never goes back");
    }
}

portable_test! {
    async fn time_advance_fires_due_timers_before_returning() {
        time::pause();
        time::set_auto_advance(false);
        let fired = Rc::new(RefCell::new(Vec::new()));
        let mut hs = Vec::new();
        for secs in [3u64, 1, 2, 10] {
            let fired = fired.clone();
            hs.push(tulipa::spawn_local(async move {
                tulipa::sleep(Duration::from_secs(secs)).await;
                fired.borrow_mut().push(secs);
            }));
        }
        tulipa::yield_now().await; // every sleeper registers its timer
        time::advance(Duration::from_secs(2)).await;
        assert_eq!(*fired.borrow(), [1, 2]);
        time::advance(Duration::from_secs(1)).await;
        assert_eq!(*fired.borrow(), [1, 2, 3]);
        time::set_auto_advance(true);
        for h in hs {
            h.await.unwrap();
        }
        assert_eq!(*fired.borrow(), [1, 2, 3, 10]);
    }
}

portable_test! {
    async fn time_timers_fire_in_deadline_order() {
        time::pause();
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut hs = Vec::new();
        let mut x: u64 = 12345;
        for i in 0..500u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let ms = (x >> 33) % 1000;
            let order = order.clone();
            hs.push(tulipa::spawn_local(async move {
                tulipa::sleep(Duration::from_millis(ms)).await;
                order.borrow_mut().push((Instant::now(), ms, i));
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
        let order = order.borrow();
        assert_eq!(order.len(), 500);
        assert!(order.windows(2).all(|w| w[0].1 <= w[1].1), "fired out of deadline order");
        assert!(order.iter().all(|(t, ms, _)| t.as_nanos() > 0 && *ms < 1000));
    }
}

portable_test! {
    async fn time_interval_ticks_every_period() {
        time::pause();
        let mut every = time::interval(Duration::from_millis(100));
        let t0 = every.tick().await;
        let t1 = every.tick().await;
        let t2 = every.tick().await;
        assert_eq!(t1 - t0, Duration::from_millis(100));
        assert_eq!(t2 - t1, Duration::from_millis(100));
    }
}

portable_test! {
    async fn time_interval_missed_ticks_follow_policy() {
        time::pause();
        let period = Duration::from_millis(100);
        // Ticks are due at 0, 100, 200, ...; the task is busy from 0 to 350 ms.
        for (policy, want) in [
            (MissedTickBehavior::Skip, [0u64, 100, 400]),
            (MissedTickBehavior::Burst, [0, 100, 200]),
            (MissedTickBehavior::Delay, [0, 100, 450]),
        ] {
            time::set_auto_advance(false);
            let start = Instant::now();
            let mut every = time::interval(period);
            every.set_missed_tick_behavior(policy);
            let first = every.tick().await;
            time::advance(Duration::from_millis(350)).await;
            let second = every.tick().await;
            time::set_auto_advance(true);
            let third = every.tick().await;
            let got = [first, second, third].map(|t| (t - start).as_millis() as u64);
            assert_eq!(got, want, "{policy:?}");
        }
    }
}

portable_test! {
    async fn time_instant_arithmetic_saturates() {
        let t = Instant::from_nanos(10);
        assert_eq!(t - Duration::from_secs(1), Instant::from_nanos(0));
        assert_eq!(t - Instant::from_nanos(20), Duration::ZERO);
        assert_eq!(t + Duration::MAX, Instant::FAR_FUTURE);
        assert!(t.checked_add(Duration::MAX).is_none());
        assert_eq!(Instant::FAR_FUTURE.saturating_add(Duration::from_nanos(1)), Instant::FAR_FUTURE);
    }
}
