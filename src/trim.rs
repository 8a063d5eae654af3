//! Giving memory back when the loop falls idle: the task registry and the run queue shrink
//! to what the recent load needed.
//
// Maintainer notes.
//
// A burst (100k tasks spawned at once) grows the registry's slab and the run queue to the
// burst's size, and neither `Slab` nor `VecDeque` ever gives capacity back by itself: without
// this a long-running loop would keep its worst moment's memory for ever (about 7 MB after
// 100k tasks). Timers need nothing here: they live in a `BTreeMap`, whose nodes are freed as
// timers leave it, and the inbox is taken whole (`mem::take`) at every drain.
//
// The policy (scheduler rule 7):
//
// 1. Each structure has a high-water mark: the largest length seen since the last check. The
//    registry's is noted at every insert, so no task escapes it; the run queue's at the start
//    (after the inbox drain) and at the end of every turn, between which it only shrinks by
//    the turn's own pops.
// 2. Every `WINDOW` idle turns (turns that end with nothing ready) the loop checks each
//    structure: if its capacity is more than `FACTOR` times `max(mark, FLOOR)`, it shrinks.
//    Then the mark restarts from the current length.
// 3. So a structure shrinks only after a whole window in which its load stayed far below its
//    capacity. A steady load keeps its mark near its capacity (a doubling growth leaves at
//    most 2x), so it never shrinks and regrows; a burst is given back one window after the
//    window in which it ended.
//
// Shrinking only moves or frees vacant slots: no task, waker or future is dropped, so no
// user code runs under the borrows (scheduler rule 3).

use std::cell::Cell;

use crate::scheduler::Local;

/// Idle turns between two checks.
pub(crate) const WINDOW: u32 = 32;
/// How far above the mark a capacity must be before it shrinks.
const FACTOR: usize = 4;
/// Entries any structure may keep regardless of its load: small loops never reallocate.
const FLOOR: usize = 64;

/// The high-water marks and the idle-turn count of one loop.
#[derive(Default)]
pub(crate) struct Trim {
    idle_turns: Cell<u32>,
    tasks: Cell<usize>,
    queue: Cell<usize>,
    /// Shrinks done so far (read by tests, to see that a steady load never causes one).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) shrinks: Cell<u64>,
}

impl Trim {
    /// Notes the registry's length after an insert (rule 1).
    pub(crate) fn note_tasks(&self, len: usize) {
        if len > self.tasks.get() {
            self.tasks.set(len);
        }
    }

    /// Notes the run queue's length (rule 1).
    pub(crate) fn note_queue(&self, len: usize) {
        if len > self.queue.get() {
            self.queue.set(len);
        }
    }
}

/// The capacity to keep, if `capacity` is far above the mark `peak` (rule 2).
fn target(capacity: usize, peak: usize) -> Option<usize> {
    let keep = peak.max(FLOOR);
    (capacity > FACTOR * keep).then_some(keep)
}

impl Local {
    /// Called after every turn that ended idle: once a window is complete, gives back the
    /// capacity the recent load did not need (rule 2).
    pub(crate) fn trim_when_idle(&self) {
        let trim = &self.trim;
        let turns = trim.idle_turns.get() + 1;
        if turns < WINDOW {
            trim.idle_turns.set(turns);
            return;
        }
        trim.idle_turns.set(0);
        let mut shrank = false;
        {
            let mut tasks = self.tasks.borrow_mut();
            if let Some(keep) = target(tasks.capacity(), trim.tasks.get()) {
                // The slab cannot move live entries (their keys are in the tasks), so it
                // keeps at least up to its highest live key; it frees the vacant tail.
                tasks.shrink_to_fit();
                if tasks.capacity() < keep {
                    let more = keep - tasks.len();
                    tasks.reserve(more);
                }
                shrank = true;
            }
            trim.tasks.set(tasks.len());
        }
        {
            let mut queue = self.queue.borrow_mut();
            if let Some(keep) = target(queue.capacity(), trim.queue.get()) {
                queue.shrink_to(keep);
                shrank = true;
            }
            trim.queue.set(queue.len());
        }
        if shrank {
            trim.shrinks.set(trim.shrinks.get() + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{target, FLOOR, WINDOW};
    use crate::host::{EventLoop, Turn};
    use crate::sim::SimHost;

    fn new_loop() -> EventLoop {
        EventLoop::new(Arc::new(SimHost::new()))
    }

    /// Spawns `n` tasks that each yield once, and runs turns until they all finished.
    fn load(ev: &EventLoop, n: usize) -> usize {
        let handles: Vec<_> = (0..n).map(|_| ev.spawn(crate::yield_now())).collect();
        let mut idle = 0;
        while !handles.iter().all(|h| h.is_finished()) {
            if let Turn::Idle(_) = ev.turn(128) {
                idle += 1;
            }
        }
        idle
    }

    fn idle_turns(ev: &EventLoop, n: u32) {
        for _ in 0..n {
            assert_eq!(ev.turn(128), Turn::Idle(None));
        }
    }

    fn capacities(ev: &EventLoop) -> (usize, usize) {
        let local = ev.local();
        let tasks = local.tasks.borrow().capacity();
        let queue = local.queue.borrow().capacity();
        (tasks, queue)
    }

    #[test]
    fn target_keeps_small_and_busy_structures() {
        // Below the floor, nothing ever shrinks.
        assert_eq!(target(4 * FLOOR, 0), None);
        // A doubling growth leaves at most twice the peak: never a shrink.
        assert_eq!(target(2048, 1025), None);
        assert_eq!(target(2048, 600), None);
        // Far above the recent peak: shrink to the peak (or the floor).
        assert_eq!(target(131_072, 3), Some(FLOOR));
        assert_eq!(target(131_072, 1000), Some(1000));
    }

    #[test]
    fn a_steady_load_never_shrinks_and_regrows() {
        let ev = new_loop();
        load(&ev, 1000);
        let grown = capacities(&ev);
        assert!(grown.0 >= 1000 && grown.1 >= 1000, "{grown:?}");
        // 100 rounds of the same load with a few idle turns between them: every window sees
        // the load, so the capacity stays and nothing is reallocated.
        for _ in 0..100 {
            idle_turns(&ev, 5);
            load(&ev, 1000);
            assert_eq!(capacities(&ev), grown);
        }
        assert_eq!(ev.local().trim.shrinks.get(), 0);
    }

    #[test]
    fn a_burst_is_given_back_after_a_quiet_window_not_before() {
        let ev = new_loop();
        load(&ev, 100_000);
        let grown = capacities(&ev);
        assert!(grown.0 >= 100_000 && grown.1 >= 100_000, "{grown:?}");
        // The window that saw the burst does not shrink (its mark is the burst)...
        idle_turns(&ev, WINDOW - 1);
        assert_eq!(capacities(&ev), grown);
        // ...nor does a single quiet idle turn after it.
        idle_turns(&ev, 2);
        assert_eq!(ev.local().trim.shrinks.get(), 0);
        // A whole quiet window does.
        idle_turns(&ev, WINDOW);
        let (tasks, queue) = capacities(&ev);
        assert!(tasks <= FLOOR && queue <= FLOOR, "kept {tasks} / {queue}");
        assert_eq!(ev.local().trim.shrinks.get(), 1);
        // And a later, smaller steady load settles without shrinking again.
        for _ in 0..20 {
            load(&ev, 500);
            idle_turns(&ev, 3);
        }
        assert_eq!(ev.local().trim.shrinks.get(), 1);
    }

    #[test]
    fn a_live_task_keeps_only_its_own_slots() {
        let ev = new_loop();
        // A long-lived task spawned first (a server's accept loop) keeps key 0 alive.
        let server = ev.spawn(std::future::pending::<()>());
        load(&ev, 50_000);
        idle_turns(&ev, 2 * WINDOW);
        let (tasks, _) = capacities(&ev);
        assert!(tasks <= FLOOR, "kept {tasks}");
        assert!(!server.is_finished());
        assert_eq!(ev.local().tasks.borrow().len(), 1);
    }
}
