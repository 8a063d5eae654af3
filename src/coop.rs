//! Cooperative scheduling: the per-poll budget that makes a busy task yield.
//!
//! A future that is always ready (a channel that never runs dry, a lock nobody else holds, a
//! socket with plenty of data) never returns `Pending` by itself, so a task looping over it
//! would keep its loop's thread forever: timers would not fire and no other task would run.
//! tulipa therefore gives every poll of a task a budget of [`TASK_BUDGET`] units. Each
//! operation of the runtime that completes spends one; once they are spent, the next
//! operation returns `Pending` without doing anything, after waking its task, so the task goes
//! to the back of the run queue and the others (and the loop's timers and I/O) get their turn.
//! The budget is refilled for the task's next poll.
//!
//! See the "Cooperative scheduling" section of [`crate::task`] for the user's view:
//! [`unconstrained`] opts a future out, [`consume_budget`] lets a user's own loop take part.
//
// Maintainer notes.
//
// State: one `Cell<Budget>` in `context` (thread-local, loop thread only): one byte, the units
// left in this poll, with `u8::MAX` for unconstrained (`TASK_BUDGET` stays below it). One byte
// rather than an `Option<u8>` so that taking a unit is one load, two compares and one store.
//
// Rules:
//
// 1. Whoever polls a task or a root future sets the budget around that one poll and restores
//    the previous value afterwards (`with_budget`): `scheduler::run_task` for every task, the
//    native and sim `block_on` for their root future. Outside those (a foreign executor, a
//    thread of the blocking pool, code between polls) the budget is `None`: nothing is
//    constrained that the runtime does not schedule itself.
// 2. An operation checks the budget *before* it does anything (`poll_proceed`), so a
//    `Pending` for lack of budget takes nothing, parks nothing and loses nothing: the
//    operation's cancel safety is exactly that of a plain `Pending`.
// 3. A unit is spent only by an operation that completes. One that ends `Pending` for its
//    own reasons (no item, lock held, `WouldBlock`) gives its unit back when its `Unit` guard
//    drops; otherwise a task that polls many idle futures (a `gather` of 500 receivers)
//    would spend its budget on them and starve the ones after, forever.
// 4. An exhausted operation wakes its task before it returns `Pending` (it is the only thing
//    that will: nothing was registered), so the task is requeued behind the ones already
//    waiting.
// 5. Cost: one thread-local access per operation on the path that completes; the give-back
//    of rule 3 is a second one, only on the path that parks anyway.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::context;

/// The units a task gets for one poll (tokio's figure: large enough that the yield costs
/// nothing measurable, small enough that a flooded task gives way within microseconds).
pub(crate) const TASK_BUDGET: u8 = 128;

/// The units left in the current poll; [`Budget::UNCONSTRAINED`]: no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Budget(u8);

impl Budget {
    pub(crate) const UNCONSTRAINED: Budget = Budget(u8::MAX);
    const TASK: Budget = Budget(TASK_BUDGET);
}

// The sentinel must not be a budget a poll can start with.
const _: () = assert!(TASK_BUDGET < u8::MAX);

/// Restores the previous budget when dropped, also when the poll unwinds.
struct Restore(Budget);

impl Drop for Restore {
    fn drop(&mut self) {
        let prev = self.0;
        context::with_budget(|b| b.set(prev));
    }
}

/// Runs `f` (one poll of a task or of a root future) with `budget`; rule 1.
fn run_with<R>(budget: Budget, f: impl FnOnce() -> R) -> R {
    let _restore = Restore(context::with_budget(|b| b.replace(budget)));
    f()
}

/// Runs `poll` (one poll of a task or a root future) with a fresh task budget; rule 1.
#[inline]
pub(crate) fn with_budget<R>(poll: impl FnOnce() -> R) -> R {
    run_with(Budget::TASK, poll)
}

/// Forgets the budget of a poll that will never return (a panic that aborts on the web).
#[allow(dead_code)] // used by the web backend only
pub(crate) fn reset() {
    context::with_budget(|b| b.set(Budget::UNCONSTRAINED));
}

/// A unit taken from the budget by an operation that has just started; rule 3.
///
/// Dropping it gives the unit back: an operation that completes calls
/// [`made_progress`](Unit::made_progress) to keep it spent.
#[must_use = "dropping the unit gives it back; call made_progress when the operation completes"]
pub(crate) struct Unit {
    taken: bool,
}

impl Unit {
    /// The operation completed: the unit stays spent.
    #[inline]
    pub(crate) fn made_progress(mut self) {
        self.taken = false;
    }
}

impl Drop for Unit {
    #[inline]
    fn drop(&mut self) {
        if self.taken {
            // A nested poll in between restored this poll's value, so `n` is below the
            // sentinel (and below `TASK_BUDGET`): adding one cannot reach it.
            context::with_budget(|b| {
                let Budget(n) = b.get();
                if n != u8::MAX {
                    b.set(Budget(n + 1));
                }
            });
        }
    }
}

/// Takes one unit for an operation about to start, or, if the poll's budget is spent, wakes
/// the task and returns `Pending` (rules 2 and 4). Call it before the operation touches
/// anything.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<Unit> {
    let taken = context::with_budget(|b| match b.get() {
        Budget::UNCONSTRAINED => Some(false),
        Budget(0) => None,
        Budget(n) => {
            b.set(Budget(n - 1));
            Some(true)
        }
    });
    match taken {
        Some(taken) => Poll::Ready(Unit { taken }),
        None => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Runs one poll of an operation under the budget: `Pending` without calling `poll` if the
/// budget is spent, else `poll`'s result, with the unit kept only if it is `Ready`.
#[inline]
pub(crate) fn budgeted<R>(
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> Poll<R>,
) -> Poll<R> {
    let unit = match poll_proceed(cx) {
        Poll::Ready(unit) => unit,
        Poll::Pending => return Poll::Pending,
    };
    let out = poll(cx);
    if out.is_ready() {
        unit.made_progress();
    }
    out
}

/// Runs `future` without the cooperative budget: the operations it awaits never return
/// `Pending` for lack of budget, and do not spend the budget of the task that polls it.
///
/// Use it for a section that must not be interrupted by a forced yield (one that holds a
/// resource other tasks wait for, and will release it soon), knowing that a loop inside it
/// over an always-ready operation keeps the thread until it ends by itself. See the
/// "Cooperative scheduling" section of [`crate::task`].
///
/// ```
/// tulipa::run(async {
///     let (tx, mut rx) = tulipa::channel::mpsc::unbounded();
///     for i in 0..1000 {
///         tx.try_send(i).unwrap();
///     }
///     drop(tx);
///     // No forced yield in here: all 1000 values are taken in one poll of the task.
///     let sum = tulipa::task::unconstrained(async move {
///         let mut sum = 0;
///         while let Some(i) = rx.recv().await {
///             sum += i;
///         }
///         sum
///     })
///     .await;
///     assert_eq!(sum, 499_500);
/// });
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

pin_project_lite::pin_project! {
    /// The future of [`unconstrained`]: polls its future with no budget.
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as the future it wraps.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let fut: tulipa::task::Unconstrained<_> = tulipa::task::unconstrained(async { 7 });
    ///     assert_eq!(fut.await, 7);
    /// });
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Unconstrained<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future;
        run_with(Budget::UNCONSTRAINED, || future.poll(cx))
    }
}

/// Spends one unit of the running task's cooperative budget, and yields to the loop if it is
/// spent: lets a loop of the user's own that never awaits a tulipa operation (pure
/// computation, or a foreign library's always-ready future) take part in cooperative
/// scheduling. Outside a budget (see [`unconstrained`]) it completes at once.
///
/// # Cancel safety
///
/// Cancel safe: it holds nothing.
///
/// ```
/// tulipa::run(async {
///     let other = tulipa::spawn(async {});
///     let mut rounds = 0u32;
///     while !other.is_finished() {
///         rounds += 1;
///         tulipa::task::consume_budget().await;
///     }
///     // The other task ran once this task's budget (128 units) was spent.
///     assert!(rounds <= 129);
/// });
/// ```
pub fn consume_budget() -> ConsumeBudget {
    ConsumeBudget { _private: () }
}

/// The future of [`consume_budget`].
///
/// ```
/// tulipa::run(async {
///     let fut: tulipa::task::ConsumeBudget = tulipa::task::consume_budget();
///     fut.await;
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct ConsumeBudget {
    _private: (),
}

impl Future for ConsumeBudget {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        budgeted(cx, |_| Poll::Ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    struct Count(std::sync::atomic::AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn budget_is_spent_by_completions_only_and_restored_after_the_poll() {
        let count = Arc::new(Count(Default::default()));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        // Outside a poll: unconstrained.
        for _ in 0..1000 {
            assert!(budgeted(&mut cx, |_| Poll::Ready(())).is_ready());
        }
        with_budget(|| {
            // Pending operations give their unit back (rule 3).
            for _ in 0..1000 {
                assert!(budgeted(&mut cx, |_| Poll::<()>::Pending).is_pending());
            }
            for _ in 0..TASK_BUDGET {
                assert!(budgeted(&mut cx, |_| Poll::Ready(())).is_ready());
            }
            assert_eq!(count.0.load(std::sync::atomic::Ordering::Relaxed), 0);
            // Spent: the operation is not run, and the task is woken (rules 2 and 4).
            let mut ran = false;
            let out = budgeted(&mut cx, |_| {
                ran = true;
                Poll::Ready(())
            });
            assert!(out.is_pending() && !ran);
            assert_eq!(count.0.load(std::sync::atomic::Ordering::Relaxed), 1);
            // A nested poll gets its own budget and gives the outer one back intact.
            with_budget(|| assert!(budgeted(&mut cx, |_| Poll::Ready(())).is_ready()));
            assert!(budgeted(&mut cx, |_| Poll::Ready(())).is_pending());
        });
        assert_eq!(context::with_budget(|b| b.get()), Budget::UNCONSTRAINED);
    }
}
