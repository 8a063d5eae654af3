//! The thread-local "current loop" and "current task".
//
// Maintainer notes.
//
// Two thread-locals, both touched only by the thread they belong to:
//
// * `LOOP` holds the loop this thread is running, set by `enter` (a guard restores the previous
//   value on drop, so entering is re-entrant for the same loop). Spawning, timers and the
//   delayed calls find their loop here. Outside any loop it is `None`, and those APIs panic
//   with `#[track_caller]` and a message that names the fix.
// * `TASK` describes the task whose future is being polled right now: its registry key, its
//   loop, and whether cancellation was requested. `scheduler::run_task` sets it around every
//   `Runnable::run` and restores the previous value afterwards. The task wrapper reads it to
//   learn that it must stop, and to deregister itself when its future is dropped.
// * `BUDGET` is the cooperative budget of the poll in progress (see `coop`): set around every
//   task poll and root-future poll, `None` (unconstrained) everywhere else. It is a `Cell`
//   of its own, separate from `TASK`, so an operation spends a unit with one plain access.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::coop::Budget;
use crate::scheduler::Local;

thread_local! {
    static LOOP: RefCell<Option<Rc<Local>>> = const { RefCell::new(None) };
    static TASK: Cell<TaskCtx> = const { Cell::new(TaskCtx::NONE) };
    static BUDGET: Cell<Budget> = const { Cell::new(Budget::UNCONSTRAINED) };
}

/// Runs `f` with this thread's cooperative budget cell.
#[inline]
pub(crate) fn with_budget<R>(f: impl FnOnce(&Cell<Budget>) -> R) -> R {
    BUDGET.with(f)
}

/// What the running task may learn about itself while it is polled.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TaskCtx {
    /// The task's key in its loop's registry, or `UNREGISTERED`.
    pub(crate) key: u32,
    /// The id of the loop that runs the task (0: none).
    pub(crate) loop_id: u64,
    /// Cancellation was requested: the wrapper drops the future instead of polling it.
    pub(crate) cancel: bool,
    /// Cancellation was requested of a soft-cancel task: it is polled on and can see this.
    pub(crate) cancel_requested: bool,
    /// The task's handle was detached when this poll began: a panic is reported to the
    /// loop's exception handler.
    pub(crate) detached: bool,
}

pub(crate) const UNREGISTERED: u32 = u32::MAX;

impl TaskCtx {
    pub(crate) const NONE: TaskCtx = TaskCtx {
        key: UNREGISTERED,
        loop_id: 0,
        cancel: false,
        cancel_requested: false,
        detached: false,
    };
}

/// Restores the previously entered loop when dropped.
pub(crate) struct EnterGuard {
    prev: Option<Rc<Local>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // The value replaced here is dropped after the borrow ends, so a `Local` whose last
        // reference this was can run its own teardown with `LOOP` free.
        let replaced = LOOP.with(|l| std::mem::replace(&mut *l.borrow_mut(), prev));
        drop(replaced);
    }
}

/// Makes `local` the current loop of this thread until the guard drops.
pub(crate) fn enter(local: Rc<Local>) -> EnterGuard {
    let prev = LOOP.with(|l| l.borrow_mut().replace(local));
    EnterGuard { prev }
}

/// Runs `f` with the current loop, if there is one.
///
/// A thread with no loop entered gets the backend's ambient loop, if it has one (the
/// browser's page-wide loop, created on first use and current from then on).
pub(crate) fn try_with_loop<R>(f: impl FnOnce(&Rc<Local>) -> R) -> Option<R> {
    LOOP.try_with(|l| {
        if l.borrow().is_none() {
            if let Some(ambient) = crate::sys::ambient_loop() {
                *l.borrow_mut() = Some(ambient);
            }
        }
        l.borrow().as_ref().map(f)
    })
    .ok()
    .flatten()
}

/// The current loop, or a panic that tells the caller what to do.
#[track_caller]
pub(crate) fn current_loop() -> Rc<Local> {
    match try_with_loop(Rc::clone) {
        Some(local) => local,
        None => panic!("{}", crate::host::NO_LOOP),
    }
}

/// Runs `f` with the current loop if its id is `loop_id`.
pub(crate) fn with_loop_id<R>(loop_id: u64, f: impl FnOnce(&Local) -> R) -> Option<R> {
    LOOP.try_with(|l| match &*l.borrow() {
        Some(local) if local.shared.id == loop_id => Some(f(local)),
        _ => None,
    })
    .ok()
    .flatten()
}

pub(crate) fn task() -> TaskCtx {
    TASK.with(Cell::get)
}

/// Sets the running task for the duration of a poll; returns the previous one.
pub(crate) fn set_task(ctx: TaskCtx) -> TaskCtx {
    TASK.with(|t| t.replace(ctx))
}

pub(crate) fn restore_task(prev: TaskCtx) {
    TASK.with(|t| t.set(prev));
}

/// Takes the cancellation request of the running task, if any: `Some(message)`.
pub(crate) fn take_cancel() -> Option<Option<Box<str>>> {
    let ctx = task();
    if !ctx.cancel {
        return None;
    }
    TASK.with(|t| {
        t.set(TaskCtx {
            cancel: false,
            ..ctx
        })
    });
    Some(with_loop_id(ctx.loop_id, |l| l.take_cancel_msg(ctx.key)).flatten())
}
