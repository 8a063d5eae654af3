//! The deterministic virtual-time host. Portable (native and browser).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tulipa::host::{EventLoop, Turn};
use tulipa::sim::{Sim, SimError, SimHost};
use tulipa::Instant;

sim_test! {
    async fn sim_clock_moves_only_when_every_task_waits() {
        let start = Instant::now();
        assert_eq!(start, Instant::from_nanos(0));
        let t = tulipa::spawn(async {
            tulipa::sleep(Duration::from_secs(86_400)).await;
            Instant::now()
        });
        let woke = t.await.unwrap();
        assert_eq!(woke - start, Duration::from_secs(86_400));
    }
}

sim_test! {
    async fn sim_runs_are_deterministic() {
        fn trace() -> Vec<(u64, u32)> {
            let sim = Sim::new();
            let log = Rc::new(RefCell::new(Vec::new()));
            let l = log.clone();
            sim.block_on(async move {
                let mut hs = Vec::new();
                for i in 0..20u32 {
                    let l = l.clone();
                    hs.push(tulipa::spawn_local(async move {
                        for k in 0..3u64 {
                            tulipa::sleep(Duration::from_millis(u64::from(i % 7) * 3 + k)).await;
                            l.borrow_mut().push((Instant::now().as_nanos(), i));
                        }
                    }));
                }
                for h in hs {
                    h.await.unwrap();
                }
            })
            .unwrap();
            Rc::try_unwrap(log).unwrap().into_inner()
        }
        let a = trace();
        assert_eq!(a.len(), 60);
        assert_eq!(a, trace());
    }
}

sim_test! {
    async fn sim_reports_deadlock_with_stuck_tasks() {
        let sim = Sim::new();
        let err = sim
            .block_on(async {
                let stuck = tulipa::task::Builder::new().name("stuck").spawn(std::future::pending::<()>());
                stuck.await
            })
            .unwrap_err();
        match err {
            SimError::Stalled { tasks, .. } => {
                assert!(tasks.iter().any(|t| t.name() == "stuck"), "{tasks:?}");
            }
            other => panic!("expected Stalled, got {other}"),
        }
    }
}

sim_test! {
    async fn sim_turn_limit_stops_a_livelock() {
        let sim = Sim::new().turn_limit(100);
        let err = sim
            .block_on(async {
                loop {
                    tulipa::yield_now().await;
                }
            })
            .unwrap_err();
        assert!(matches!(err, SimError::TurnLimit(100)));
    }
}

sim_test! {
    async fn sim_turn_polls_at_most_budget_tasks_ready_at_its_start() {
        let ev = EventLoop::new(std::sync::Arc::new(SimHost::new()));
        let handles: Vec<_> = (0..10).map(|_| ev.spawn(async { tulipa::yield_now().await })).collect();
        assert_eq!(ev.turn(3), Turn::Busy);
        assert_eq!(ev.polls(), 3);
        // The seven not yet polled and the three that yielded in the first turn; the seven
        // yield in turn and are queued again, but tasks woken during a turn wait for the next.
        assert_eq!(ev.turn(100), Turn::Busy);
        assert_eq!(ev.polls(), 13);
        assert_eq!(ev.turn(100), Turn::Idle(None));
        assert_eq!(ev.polls(), 20);
        assert!(handles.iter().all(|h| h.is_finished()));
    }
}

sim_test! {
    async fn sim_idle_turn_reports_next_deadline() {
        let host = std::sync::Arc::new(SimHost::new());
        let ev = EventLoop::new(host.clone());
        let t = ev.spawn(tulipa::sleep(Duration::from_millis(40)));
        assert_eq!(ev.turn(8), Turn::Idle(Some(Instant::from_nanos(40_000_000))));
        host.advance(Duration::from_millis(39));
        assert_eq!(ev.turn(8), Turn::Idle(Some(Instant::from_nanos(40_000_000))));
        host.advance(Duration::from_millis(1));
        assert_eq!(ev.turn(8), Turn::Idle(None));
        assert!(t.is_finished());
    }
}

sim_test! {
    async fn sim_hundred_thousand_timers_all_fire_in_order() {
        let fired = Rc::new(RefCell::new(0u32));
        let last = Rc::new(RefCell::new(Instant::from_nanos(0)));
        let mut hs = Vec::with_capacity(100_000);
        for i in 0..100_000u64 {
            let (fired, last) = (fired.clone(), last.clone());
            hs.push(tulipa::spawn_local(async move {
                tulipa::sleep(Duration::from_micros((i * 7919) % 1_000_000)).await;
                let now = Instant::now();
                assert!(now >= *last.borrow(), "timers went back in time");
                *last.borrow_mut() = now;
                *fired.borrow_mut() += 1;
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
        assert_eq!(*fired.borrow(), 100_000);
    }
}
