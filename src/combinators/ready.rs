//! `ReadySet`: which of many futures were woken, so a combinator polls only those.
//
// Maintainer notes: the protocol.
//
// A combinator over N futures (gather, wait, as_completed, select, the TaskGroup runner)
// gives each future its own waker, an `IndexWaker` that records the future's index in the
// shared ready queue and then wakes the combinator's own waker (the "parent"). The
// combinator polls only the indices it takes from the queue, so a wake costs O(1) instead of
// polling all N futures again.
//
// State, under one mutex: `ready` (a FIFO of indices), `queued[i]` (index i is in `ready`),
// `parent` (the waker of the task polling the combinator).
//
// Rules:
//
// 1. A new index starts queued: every future is polled once.
// 2. `take_ready` empties the queue and clears the `queued` flags of what it took, *before*
//    the combinator polls those futures: a wake during or after the poll queues the index
//    again and is not lost.
// 3. A combinator polls only what one `take_ready` returned, then returns to its executor:
//    a future that wakes itself during its poll (`yield_now`) is polled again on the next
//    poll of the combinator, not in a loop here, so it still yields to the loop.
// 4. An `IndexWaker` wakes the parent after unlocking.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Wake, Waker};

/// Locks a std mutex, ignoring poisoning (no critical section here can panic half-way).
/// (`crate::loom::lock` is for the loom-modelled primitives; this set is not modelled.)
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) struct ReadySet {
    shared: Arc<Shared>,
    wakers: Vec<Waker>,
}

struct Shared {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    ready: VecDeque<usize>,
    queued: Vec<bool>,
    parent: Option<Waker>,
}

struct IndexWaker {
    shared: Arc<Shared>,
    index: usize,
}

impl Wake for IndexWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let parent = {
            let mut st = lock(&self.shared.state);
            if !st.queued[self.index] {
                st.queued[self.index] = true;
                st.ready.push_back(self.index);
            }
            st.parent.clone()
        };
        if let Some(parent) = parent {
            parent.wake(); // Rule 4.
        }
    }
}

impl ReadySet {
    pub(crate) fn new() -> ReadySet {
        ReadySet {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
            }),
            wakers: Vec::new(),
        }
    }

    /// Adds the next index, queued (rule 1); returns it.
    pub(crate) fn push(&mut self) -> usize {
        let index = self.wakers.len();
        self.wakers.push(Waker::from(Arc::new(IndexWaker {
            shared: Arc::clone(&self.shared),
            index,
        })));
        let mut st = lock(&self.shared.state);
        st.queued.push(true);
        st.ready.push_back(index);
        index
    }

    /// Records the waker of the task that polls the combinator.
    pub(crate) fn register(&self, waker: &Waker) {
        let mut st = lock(&self.shared.state);
        match &st.parent {
            Some(w) if w.will_wake(waker) => {}
            _ => {
                let old = st.parent.replace(waker.clone());
                drop(st);
                drop(old);
            }
        }
    }

    /// Takes every queued index, oldest first (rule 2).
    pub(crate) fn take_ready(&self) -> VecDeque<usize> {
        let mut st = lock(&self.shared.state);
        let ready = std::mem::take(&mut st.ready);
        for &i in &ready {
            st.queued[i] = false;
        }
        ready
    }

    /// Puts back indices that were taken but not polled, ahead of the others.
    pub(crate) fn requeue(&self, indices: impl DoubleEndedIterator<Item = usize>) {
        let mut st = lock(&self.shared.state);
        for i in indices.rev() {
            if !st.queued[i] {
                st.queued[i] = true;
                st.ready.push_front(i);
            }
        }
    }

    /// The waker to poll future `index` with.
    pub(crate) fn waker(&self, index: usize) -> &Waker {
        &self.wakers[index]
    }

    pub(crate) fn len(&self) -> usize {
        self.wakers.len()
    }
}
