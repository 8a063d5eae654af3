//! Cooperative scheduling: a task looping over always-ready operations gives way to the
//! others once its per-poll budget (128 units) is spent. Portable (native and browser).
//!
//! The sim tests count exactly: the body is the sim's root future, budgeted per poll like a
//! task, and the task it spawns runs in the first turn after the body gives way. So the body
//! completes 128 operations in its first poll, the 129th returns `Pending` (having woken the
//! body), the other task runs, and the 129th completes in the body's next poll: the loop
//! sees the other task's flag after exactly `GIVES_WAY_AT` operations. Without the budget it
//! would run all `PLENTY` of them first.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tulipa::channel::mpsc;
use tulipa::queue::Queue;
use tulipa::sync::{Event, Lock, RwLock, Semaphore};
use tulipa::task;

/// How many times the always-ready loops may run: far more than one budget.
const PLENTY: u32 = 10_000;
/// The operation count at which a budgeted loop first sees the other task's work.
const GIVES_WAY_AT: u32 = 129;

/// A flag and a task that sets it when it first runs.
fn flag_task() -> (Rc<Cell<bool>>, tulipa::JoinHandle<()>) {
    let flag = Rc::new(Cell::new(false));
    let f = flag.clone();
    (flag, tulipa::spawn_local(async move { f.set(true) }))
}

fn full_channel() -> (mpsc::Sender<u32>, mpsc::Receiver<u32>) {
    let (tx, rx) = mpsc::unbounded();
    for i in 0..PLENTY {
        tx.try_send(i).unwrap();
    }
    (tx, rx)
}

sim_test! {
    async fn coop_mpsc_recv_loop_gives_way_after_the_budget() {
        let (_tx, mut rx) = full_channel();
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            // Nothing is lost across the forced yield: the values come in order.
            assert_eq!(rx.recv().await, Some(ops));
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        other.await.unwrap();
    }
}

sim_test! {
    async fn coop_mpsc_send_loop_gives_way_after_the_budget() {
        let (tx, _rx) = mpsc::bounded(PLENTY as usize);
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            tx.send(ops).await.unwrap();
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        other.await.unwrap();
    }
}

sim_test! {
    async fn coop_queue_get_loop_gives_way_after_the_budget() {
        let q = Queue::new(0);
        for i in 0..PLENTY {
            q.try_put(i).unwrap();
        }
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            assert_eq!(q.get().await.unwrap(), ops);
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        other.await.unwrap();
    }
}

sim_test! {
    async fn coop_lock_loop_gives_way_after_the_budget() {
        let lock = Lock::new(0u32);
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            *lock.lock().await += 1;
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        assert_eq!(*lock.lock().await, GIVES_WAY_AT);
        other.await.unwrap();
    }
}

sim_test! {
    async fn coop_rwlock_semaphore_and_event_loops_give_way_after_the_budget() {
        let rw = RwLock::new(0u32);
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            if ops % 2 == 0 {
                *rw.write().await += 1;
            } else {
                assert!(*rw.read().await > 0);
            }
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        other.await.unwrap();
        // The 129th operation completed in a poll that has spent one unit already: start the
        // next loop on a fresh poll so it counts from zero too.
        tulipa::yield_now().await;

        let sem = Semaphore::new(1);
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            drop(sem.acquire().await);
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        other.await.unwrap();
        tulipa::yield_now().await;

        let event = Event::new();
        event.set();
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            event.wait().await;
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        other.await.unwrap();
    }
}

sim_test! {
    async fn coop_waiting_operations_spend_nothing() {
        // 500 receives on empty channels, all polled in one poll of the body, then one that is
        // ready: if waiting receives spent the budget, the ready one (after them) could never
        // complete and the sim would stall.
        let mut idle: Vec<_> = (0..500).map(|_| mpsc::unbounded::<u32>()).collect();
        let (tx, mut rx) = mpsc::unbounded();
        tx.try_send(7u32).unwrap();
        let recvs = idle.iter_mut().map(|(_, rx)| {
            Box::pin(async move { rx.recv().await.unwrap() })
                as std::pin::Pin<Box<dyn std::future::Future<Output = u32>>>
        });
        let ready = Box::pin(async move { rx.recv().await.unwrap() });
        let all = recvs.chain(std::iter::once(ready as std::pin::Pin<Box<dyn std::future::Future<Output = u32>>>));
        let (_, first) = tulipa::select(all).await;
        assert_eq!(first, 7);
    }
}

sim_test! {
    async fn coop_unconstrained_runs_the_loop_without_giving_way() {
        let (_tx, mut rx) = full_channel();
        let (flag, other) = flag_task();
        let ops = task::unconstrained(async {
            let mut ops = 0;
            while !flag.get() && ops < PLENTY {
                rx.recv().await.unwrap();
                ops += 1;
            }
            ops
        })
        .await;
        assert_eq!(ops, PLENTY);
        // Unconstrained operations spent nothing of the body's own budget either.
        let mut more = 0;
        while !flag.get() && more < PLENTY {
            rx.try_recv().unwrap_err();
            task::consume_budget().await;
            more += 1;
        }
        assert_eq!(more, GIVES_WAY_AT);
        other.await.unwrap();
    }
}

sim_test! {
    async fn coop_consume_budget_gives_way_after_the_budget() {
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            task::consume_budget().await;
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        other.await.unwrap();
    }
}

sim_test! {
    async fn coop_forced_yield_in_race_and_timeout_loses_no_value() {
        let (_tx, mut rx) = full_channel();
        let mut next = 0;
        let mut other_won = 0;
        while next < 1000 {
            // The receive is polled first; once the budget is spent it gives way and the
            // always-ready side wins, and the receive future is dropped.
            let got = tulipa::race(async { rx.recv().await }, std::future::ready(None)).await;
            match got {
                Some(v) => {
                    assert_eq!(v, next);
                    next += 1;
                }
                None => {
                    other_won += 1;
                    tulipa::yield_now().await;
                }
            }
        }
        assert!(other_won >= 1000 / GIVES_WAY_AT, "the budget never made the receive give way");
        while next < 2000 {
            let got = tulipa::time::timeout(Duration::from_secs(1), rx.recv()).await;
            assert_eq!(got.unwrap(), Some(next));
            next += 1;
        }
    }
}

portable_test! {
    async fn coop_busy_task_lets_others_run_on_the_real_loop() {
        let (_tx, mut rx) = full_channel();
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            rx.recv().await.unwrap();
            ops += 1;
        }
        // A task of its own loop (natively the test body is the main task): the other task
        // runs once this poll's budget is spent.
        assert!(ops <= GIVES_WAY_AT, "the other task ran only after {ops} receives");
        other.await.unwrap();

        let lock = Arc::new(Lock::new(()));
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            drop(lock.clone().lock_owned().await);
            ops += 1;
        }
        assert!(ops <= GIVES_WAY_AT, "the other task ran only after {ops} acquires");
        other.await.unwrap();
    }
}

sim_test! {
    async fn coop_oneshot_receive_loop_gives_way_after_the_budget() {
        let (flag, other) = flag_task();
        let mut ops = 0;
        while !flag.get() && ops < PLENTY {
            let (tx, rx) = tulipa::channel::oneshot::channel();
            tx.send(ops).unwrap();
            assert_eq!(rx.await.unwrap(), ops);
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        other.await.unwrap();
    }
}

sim_test! {
    async fn coop_join_handle_loop_gives_way_after_the_budget() {
        // Handles of tasks that have all finished: every await is ready at once. The loop
        // runs a bounded number of tasks per turn, so give it turns until they all ran.
        let mut handles: Vec<_> = (0..2 * GIVES_WAY_AT)
            .map(|i| tulipa::spawn_local(async move { i }))
            .collect();
        for _ in 0..1000 {
            if handles.iter().all(|h| h.is_finished()) {
                break;
            }
            tulipa::yield_now().await;
        }
        assert!(handles.iter().all(|h| h.is_finished()));
        let (flag, other) = flag_task();
        let mut ops = 0;
        for (i, h) in handles.iter_mut().enumerate() {
            if flag.get() {
                break;
            }
            assert_eq!(h.await.unwrap(), i as u32);
            ops += 1;
        }
        assert_eq!(ops, GIVES_WAY_AT);
        other.await.unwrap();
    }
}
