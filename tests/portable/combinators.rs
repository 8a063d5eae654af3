//! Combinators: gather, gather_all, wait, as_completed, wait_for, shield, race, select.
//! Portable (native and browser). Timing tests run on virtual time.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tulipa::{time, Instant, JoinError, ReturnWhen};

const SEC: Duration = Duration::from_secs(1);

/// Sets its flag when dropped: shows that a future was dropped (cancelled).
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

/// A future that sleeps `secs` of (virtual) time, then gives `out`; `dropped` is set when
/// it is dropped, finished or not.
async fn after<T>(secs: u64, out: T, dropped: DropFlag) -> T {
    let _dropped = dropped;
    tulipa::sleep(Duration::from_secs(secs)).await;
    out
}

type BoxFut<T> = Pin<Box<dyn Future<Output = T>>>;

fn boxed<T: 'static>(f: impl Future<Output = T> + 'static) -> BoxFut<T> {
    Box::pin(f)
}

sim_test! {
    async fn gather_gives_values_in_argument_order_not_completion_order() {
        let start = Instant::now();
        let futs = [3u64, 1, 2].map(|s| async move {
            tulipa::sleep(Duration::from_secs(s)).await;
            Ok::<_, String>(s * 10)
        });
        assert_eq!(tulipa::gather(futs).await, Ok(vec![30, 10, 20]));
        assert_eq!(start.elapsed(), 3 * SEC, "they ran concurrently");
    }
}

sim_test! {
    async fn gather_of_nothing_is_an_empty_vec() {
        let none: Vec<std::future::Ready<Result<u8, ()>>> = Vec::new();
        assert_eq!(tulipa::gather(none).await, Ok(vec![]));
        let none: Vec<std::future::Ready<u8>> = Vec::new();
        assert!(tulipa::gather_all(none).await.is_empty());
    }
}

sim_test! {
    async fn gather_first_error_is_returned_and_the_rest_are_cancelled() {
        let (slow_dropped, slow_flag) = flag();
        let (done_dropped, done_flag) = flag();
        let (bad_dropped, bad_flag) = flag();
        let start = Instant::now();
        let r = tulipa::gather([
            boxed(after(1, Ok(1), done_flag)),
            boxed(after(2, Err("failed at 2s"), bad_flag)),
            boxed(after(100, Ok(3), slow_flag)),
        ])
        .await;
        assert_eq!(r, Err("failed at 2s"));
        assert_eq!(start.elapsed(), 2 * SEC, "returned at the first error, not at the end");
        assert!(done_dropped.load(Ordering::SeqCst) && bad_dropped.load(Ordering::SeqCst));
        assert!(slow_dropped.load(Ordering::SeqCst), "the running future was cancelled");
    }
}

portable_test! {
    async fn gather_of_tasks_cancels_the_other_tasks_on_failure() {
        time::pause();
        let (slow_dropped, slow_flag) = flag();
        let slow = tulipa::spawn(after(100, 1, slow_flag));
        let failing = tulipa::spawn(async { tulipa::sleep(SEC).await; 2 });
        failing.cancel(); // a cancelled task is a failure (its JoinError)
        let r = tulipa::gather([slow, failing]).await;
        assert!(matches!(r, Err(JoinError::Cancelled(_))), "{r:?}");
        tulipa::yield_now().await; // the loop drops the cancelled task's future
        assert!(slow_dropped.load(Ordering::SeqCst), "dropping its handle cancelled the task");
    }
}

sim_test! {
    async fn gather_all_collects_every_outcome_in_order_and_cancels_nothing() {
        let (slow_dropped, slow_flag) = flag();
        let (a, fa) = flag();
        let out = tulipa::gather_all([
            boxed(after(3, Ok("slow ok"), slow_flag)),
            boxed(after(1, Err("early error"), fa)),
            boxed(async { Ok("instant") }),
        ])
        .await;
        assert_eq!(out, [Ok("slow ok"), Err("early error"), Ok("instant")]);
        assert!(a.load(Ordering::SeqCst) && slow_dropped.load(Ordering::SeqCst));
    }
}

portable_test! {
    async fn gather_lets_inner_yields_reach_the_loop() {
        // A future that yields inside gather must let other tasks run, not be re-polled in a
        // loop inside the gather.
        let ran = Rc::new(RefCell::new(false));
        let r = ran.clone();
        let other = tulipa::spawn_local(async move { *r.borrow_mut() = true });
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let ran2 = ran.clone();
        let out = tulipa::gather_all([async move {
            s.borrow_mut().push(*ran2.borrow());
            tulipa::yield_now().await;
            s.borrow_mut().push(*ran2.borrow());
        }])
        .await;
        assert_eq!(out.len(), 1);
        assert_eq!(*seen.borrow(), [false, true], "the other task ran during the yield");
        other.await.unwrap();
    }
}

sim_test! {
    async fn gather_polls_only_the_futures_that_were_woken() {
        // 100 futures wait on timers; each is polled once to start and once when its timer
        // fires: 200 polls, not 100 per wakeup.
        let polls = Arc::new(AtomicUsize::new(0));
        let futs = (1..=100u64).map(|i| {
            let polls = polls.clone();
            let mut sleep = Box::pin(tulipa::sleep(Duration::from_secs(i)));
            std::future::poll_fn(move |cx| {
                polls.fetch_add(1, Ordering::SeqCst);
                sleep.as_mut().poll(cx)
            })
        });
        let out = tulipa::gather_all(futs).await;
        assert_eq!(out.len(), 100);
        assert_eq!(polls.load(Ordering::SeqCst), 200);
    }
}

portable_test! {
    async fn wait_first_completed_returns_done_and_pending_tasks_keep_running() {
        time::pause();
        let start = Instant::now();
        let tasks = [3u64, 1, 2].map(|s| tulipa::spawn(async move {
            tulipa::sleep(Duration::from_secs(s)).await;
            s
        }));
        let (done, pending) = tulipa::wait(tasks, ReturnWhen::FirstCompleted).await;
        assert_eq!(start.elapsed(), SEC);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].0, 1);
        assert_eq!(*done[0].1.as_ref().unwrap(), 1);
        assert_eq!(pending.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 2]);
        // The pending tasks were not cancelled: they finish on their own.
        let mut rest = Vec::new();
        for (_, task) in pending {
            rest.push(task.await.unwrap());
        }
        assert_eq!(rest, [3, 2]);
    }
}

sim_test! {
    async fn wait_first_exception_returns_at_the_first_err() {
        let start = Instant::now();
        let futs = vec![
            boxed(async { tulipa::sleep(SEC).await; Ok(1) }),
            boxed(async { tulipa::sleep(2 * SEC).await; Err("bad") }),
            boxed(async { tulipa::sleep(3 * SEC).await; Ok(3) }),
        ];
        let (done, pending) = tulipa::wait(futs, ReturnWhen::FirstException).await;
        assert_eq!(start.elapsed(), 2 * SEC);
        assert_eq!(done.iter().map(|(i, o)| (*i, *o)).collect::<Vec<_>>(), [(0, Ok(1)), (1, Err("bad"))]);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].0, 2);
    }
}

sim_test! {
    async fn wait_first_exception_without_errors_waits_for_all() {
        let start = Instant::now();
        let futs = vec![
            boxed(async { tulipa::sleep(SEC).await; Ok::<_, ()>(1) }),
            boxed(async { tulipa::sleep(2 * SEC).await; Ok(2) }),
        ];
        let (done, pending) = tulipa::wait(futs, ReturnWhen::FirstException).await;
        assert_eq!(start.elapsed(), 2 * SEC);
        assert_eq!(done.len(), 2);
        assert!(pending.is_empty());
    }
}

portable_test! {
    async fn wait_first_exception_counts_a_cancelled_task() {
        time::pause();
        let long = tulipa::spawn(tulipa::sleep(100 * SEC));
        let doomed = tulipa::spawn(tulipa::sleep(100 * SEC));
        doomed.cancel();
        let (done, pending) = tulipa::wait([long, doomed], ReturnWhen::FirstException).await;
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].0, 1);
        assert!(done[0].1.as_ref().unwrap_err().is_cancelled());
        assert_eq!(pending.len(), 1);
    }
}

sim_test! {
    async fn wait_all_completed_collects_in_completion_order() {
        let futs = [2u64, 1, 3].map(|s| boxed(async move {
            tulipa::sleep(Duration::from_secs(s)).await;
            Ok::<_, ()>(s)
        }));
        let (done, pending) = tulipa::wait(futs, ReturnWhen::AllCompleted).await;
        assert_eq!(done.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 0, 2]);
        assert!(pending.is_empty());
    }
}

portable_test! {
    async fn wait_timeout_returns_pending_ones_without_cancelling_them() {
        time::pause();
        let start = Instant::now();
        let (slow_dropped, slow_flag) = flag();
        let fast = tulipa::spawn(async { tulipa::sleep(SEC).await; "fast" });
        let slow = tulipa::spawn(after(10, "slow", slow_flag));
        let (done, mut pending) = tulipa::wait([fast, slow], ReturnWhen::AllCompleted)
            .timeout(5 * SEC)
            .await;
        assert_eq!(start.elapsed(), 5 * SEC);
        assert_eq!(done.len(), 1);
        assert_eq!(*done[0].1.as_ref().unwrap(), "fast");
        assert_eq!(pending.len(), 1);
        assert!(!slow_dropped.load(Ordering::SeqCst), "the timeout cancels nothing");
        let (_, slow) = pending.pop().unwrap();
        assert_eq!(slow.await.unwrap(), "slow");
        assert_eq!(start.elapsed(), 10 * SEC);
    }
}

sim_test! {
    async fn wait_timeout_at_and_empty_input() {
        let none: Vec<BoxFut<Result<(), ()>>> = Vec::new();
        let (done, pending) = tulipa::wait(none, ReturnWhen::FirstCompleted).await;
        assert!(done.is_empty() && pending.is_empty(), "no futures: returns at once");
        let at = Instant::now() + 2 * SEC;
        let never = vec![boxed(std::future::pending::<Result<(), ()>>())];
        let (done, pending) = tulipa::wait(never, ReturnWhen::FirstCompleted).timeout_at(at).await;
        assert!(done.is_empty());
        assert_eq!(pending.len(), 1);
        assert_eq!(Instant::now(), at);
    }
}

sim_test! {
    async fn as_completed_yields_in_completion_order_with_indices() {
        let mut s = tulipa::as_completed([30u64, 10, 20].map(|ms| async move {
            tulipa::sleep(Duration::from_millis(ms)).await;
            ms
        }));
        assert_eq!(s.len(), 3);
        let mut order = Vec::new();
        while let Some(item) = s.next().await {
            order.push((item, tulipa::Instant::now()));
        }
        let items: Vec<_> = order.iter().map(|(item, _)| *item).collect();
        assert_eq!(items, [(1, 10), (2, 20), (0, 30)]);
        assert!(s.is_empty());
        assert_eq!(s.next().await, None);
        assert_eq!(s.next().await, None, "stays exhausted");
    }
}

sim_test! {
    async fn as_completed_next_is_cancel_safe() {
        let mut s = tulipa::as_completed([
            boxed(async { tulipa::sleep(5 * SEC).await; 'a' }),
            boxed(async { tulipa::sleep(2 * SEC).await; 'b' }),
        ]);
        assert!(time::timeout(SEC, s.next()).await.is_err(), "nothing within 1 s");
        assert_eq!(s.len(), 2, "the timed-out next took nothing");
        assert_eq!(s.next().await, Some((1, 'b')));
        assert_eq!(s.next().await, Some((0, 'a')));
    }
}

sim_test! {
    async fn as_completed_hands_out_simultaneous_completions_one_by_one() {
        let mut s = tulipa::as_completed((0..4).map(|i| async move { i }));
        let mut got = Vec::new();
        while let Some((i, v)) = s.next().await {
            assert_eq!(i, v);
            got.push(i);
        }
        assert_eq!(got, [0, 1, 2, 3], "all ready at once: argument order, none lost");
    }
}

sim_test! {
    async fn wait_for_gives_the_value_in_time() {
        assert_eq!(tulipa::wait_for(async { 5 }, SEC).await, Ok(5));
        let v = tulipa::wait_for(async { tulipa::sleep(SEC).await; 6 }, 2 * SEC).await;
        assert_eq!(v, Ok(6));
    }
}

sim_test! {
    async fn wait_for_cancels_the_inner_future_on_timeout() {
        let (dropped, inner_flag) = flag();
        let start = Instant::now();
        let r = tulipa::wait_for(after(60, (), inner_flag), 2 * SEC).await;
        let err = r.unwrap_err();
        assert_eq!(err.deadline(), start + 2 * SEC);
        assert_eq!(start.elapsed(), 2 * SEC);
        assert!(dropped.load(Ordering::SeqCst), "the inner future was dropped at the timeout");
    }
}

portable_test! {
    async fn wait_for_on_a_task_cancels_the_task() {
        time::pause();
        let (dropped, inner_flag) = flag();
        let task = tulipa::spawn(after(60, (), inner_flag));
        assert!(tulipa::wait_for(task, SEC).await.is_err());
        tulipa::yield_now().await;
        assert!(dropped.load(Ordering::SeqCst), "the task was cancelled with its handle");
    }
}

portable_test! {
    async fn shield_keeps_the_inner_task_running_when_the_outer_is_cancelled() {
        time::pause();
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        let outer = tulipa::spawn_local(async move {
            tulipa::shield(async move {
                tulipa::sleep(10 * SEC).await;
                f.store(true, Ordering::SeqCst);
                "saved"
            })
            .await
        });
        tulipa::sleep(SEC).await;
        outer.cancel();
        assert!(outer.await.unwrap_err().is_cancelled(), "the outer await was cancelled");
        assert!(!finished.load(Ordering::SeqCst));
        tulipa::sleep(10 * SEC).await;
        assert!(finished.load(Ordering::SeqCst), "the shielded work ran to its end");
    }
}

portable_test! {
    async fn shield_gives_the_value_when_not_cancelled() {
        let v = tulipa::shield(async { tulipa::yield_now().await; 41 + 1 }).await;
        assert_eq!(v.unwrap(), 42);
        let local = Rc::new(7); // not Send: shield runs it as a local task
        let v = tulipa::shield(async move { *local }).await;
        assert_eq!(v.unwrap(), 7);
    }
}

sim_test! {
    async fn race_first_to_complete_wins_and_the_loser_is_dropped() {
        let (loser_dropped, loser_flag) = flag();
        let (winner_dropped, winner_flag) = flag();
        let start = Instant::now();
        let v = tulipa::race(after(10, "slow", loser_flag), after(1, "fast", winner_flag)).await;
        assert_eq!(v, "fast");
        assert_eq!(start.elapsed(), SEC);
        assert!(loser_dropped.load(Ordering::SeqCst) && winner_dropped.load(Ordering::SeqCst));
    }
}

sim_test! {
    async fn race_prefers_the_first_argument_when_both_are_ready() {
        assert_eq!(tulipa::race(async { 'a' }, async { 'b' }).await, 'a');
        assert_eq!(tulipa::race(std::future::pending(), async { 'b' }).await, 'b');
    }
}

sim_test! {
    async fn select_returns_the_winner_index_and_drops_the_losers_at_once() {
        let flags: Vec<_> = (0..3).map(|_| flag()).collect();
        let (seen, dropflags): (Vec<_>, Vec<_>) = flags.into_iter().unzip();
        let secs = [5, 2, 9];
        let futs: Vec<_> = dropflags
            .into_iter()
            .zip(secs)
            .map(|(f, s)| after(s, s * 100, f))
            .collect();
        let mut sel = tulipa::select(futs);
        let (index, value) = (&mut sel).await;
        assert_eq!((index, value), (1, 200));
        // Dropped when the winner was found, before `sel` itself goes away.
        assert!(seen.iter().all(|f| f.load(Ordering::SeqCst)));
        drop(sel);
    }
}

#[cfg(not(target_arch = "wasm32"))] // a panic aborts on the web
portable_test! {
    #[should_panic(expected = "tulipa::select needs at least one future")]
    async fn select_of_nothing_panics_with_a_clear_message() {
        let none: Vec<std::future::Pending<()>> = Vec::new();
        drop(tulipa::select(none));
    }
}
