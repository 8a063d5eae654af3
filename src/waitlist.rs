//! A FIFO list of parked waiters: the building block of tulipa's synchronization
//! primitives, queues and channels.
//
// Maintainer notes: the protocol.
//
// A `WaitList` lives *inside* a primitive's mutex; every method is called with that mutex
// held. It knows nothing of executors: a waiter is a `Waker`, the request it waits with
// (`R`: how many permits, say; `()` for most), and a slot for what it is handed when
// notified (`T`: a permit count, an item, a flag).
//
// Each waiter is an entry in a slab, identified by its key, in one of two states:
//
//   Waiting   linked into the FIFO (prev/next keys), `handed` is None
//   Notified  unlinked from the FIFO, `handed` is Some(value)
//
// Transitions, all under the primitive's lock:
//
// 1. `push` appends a Waiting entry and returns its key (the future keeps the key).
// 2. `notify_one(value)` unlinks the oldest Waiting entry, stores `value` in it (Notified)
//    and returns its waker. The caller wakes it *after* releasing the lock.
// 3. `take(key)`: the future, when polled, finds its entry Notified and removes it, getting
//    the value. A Waiting entry stays (its waker is refreshed; a replaced one goes to the
//    caller's `Wakers`, rule 5).
// 4. `cancel(key)`: the future is dropped. The entry is removed whatever its state; if it was
//    Notified, the value is returned so the primitive can pass it on (to the next waiter,
//    or back into its pool). This is what makes cancellation lose nothing: a permit or an
//    item handed to a waiter that went away is never dropped on the floor.
//
// Every entry is removed exactly once (by `take` or `cancel`), so the slab never leaks.
//
// 5. No waker is dropped or woken under the lock. Dropping a waker can run arbitrary code:
//    with an executor whose waker owns its task, dropping the last one drops the task's
//    future, and a permit or guard in it re-enters the primitive (std's `Mutex` is not
//    re-entrant: a deadlock). So `notify_one`/`notify_all` return the wakers to wake, and
//    every waker the list lets go of otherwise (replaced at a re-poll by `poll_take`, or
//    removed with its entry by `take` or `cancel`) goes into a `Wakers` of the caller's, which
//    the caller declares *before* taking the lock so that it drops after the guard. (Beware
//    a guard that is a temporary in a block's tail expression: in edition 2021 it outlives
//    the block's locals, so bind the result with `let` first.)
//    The loom models check this rule in every interleaving they explore: their wakers
//    (tests/support/loom_waker.rs) fail a model if dropped or woken while the thread holds a
//    lock taken through `crate::loom::lock`, which counts them under `--cfg loom`.

use std::task::Waker;

use slab::Slab;

struct Entry<T, R> {
    waker: Option<Waker>,
    request: R,
    handed: Option<T>,
    prev: Option<usize>,
    next: Option<usize>,
}

/// A FIFO of waiters with O(1) push, notify and removal from anywhere.
pub(crate) struct WaitList<T, R = ()> {
    entries: Slab<Entry<T, R>>,
    head: Option<usize>,
    tail: Option<usize>,
    /// Entries in the Waiting state.
    waiting: usize,
}

impl<T, R> Default for WaitList<T, R> {
    fn default() -> Self {
        WaitList {
            entries: Slab::new(),
            head: None,
            tail: None,
            waiting: 0,
        }
    }
}

/// Wakers taken out under a primitive's lock, to wake or drop once it is released: those
/// to wake (collected by a release), or those a [`WaitList`] let go of (rule 5: replaced by a
/// newer waker, or the waker of an entry removed), which just drop. Declare it before locking
/// the primitive, so that it drops (and drops them) after the lock guard:
///
/// ```text
/// let mut stale = Wakers::default();
/// let mut st = lock(&self.state);
/// st.waiters.cancel(key, &mut stale);
/// // `st` drops first, then `stale`.
/// ```
///
/// Holds one inline (the common case: a critical section hands over to, or lets go of, one
/// waiter) and allocates only for more.
#[derive(Default)]
pub(crate) struct Wakers {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Wakers {
    /// Keeps `waker`, if any, to wake or drop later.
    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(w) = waker else { return };
        if self.first.is_none() {
            self.first = Some(w);
        } else {
            self.rest.push(w);
        }
    }

    /// Wakes them all, oldest first. Call with no lock held.
    pub(crate) fn wake(self) {
        if let Some(w) = self.first {
            w.wake();
        }
        wake_all(self.rest);
    }
}

/// What `poll_take` found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Taken<T> {
    /// Notified: here is what was handed over (the entry is gone).
    Handed(T),
    /// Still waiting; the waker was refreshed.
    Waiting,
}

impl<T, R> WaitList<T, R> {
    /// Rule 1: appends a waiting entry with its request.
    pub(crate) fn push(&mut self, waker: Waker, request: R) -> usize {
        let key = self.entries.insert(Entry {
            waker: Some(waker),
            request,
            handed: None,
            prev: self.tail,
            next: None,
        });
        match self.tail {
            Some(t) => self.entries[t].next = Some(key),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        self.waiting += 1;
        key
    }

    /// Number of waiters not yet notified.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
    }

    /// Whether no waiter is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting == 0
    }

    fn unlink(&mut self, key: usize) {
        let (prev, next) = {
            let e = &self.entries[key];
            (e.prev, e.next)
        };
        match prev {
            Some(p) => self.entries[p].next = next,
            None => self.head = next,
        }
        match next {
            Some(n) => self.entries[n].prev = prev,
            None => self.tail = prev,
        }
        let e = &mut self.entries[key];
        e.prev = None;
        e.next = None;
        self.waiting -= 1;
    }

    /// Rule 2: hands `value` to the oldest waiting entry and returns its waker (wake it
    /// after releasing the lock), or gives `value` back if nobody waits.
    pub(crate) fn notify_one(&mut self, value: T) -> Result<Option<Waker>, T> {
        let Some(key) = self.head else {
            return Err(value);
        };
        self.unlink(key);
        let e = &mut self.entries[key];
        e.handed = Some(value);
        Ok(e.waker.take())
    }

    /// The request of the oldest waiting entry, for primitives that must check it before
    /// notifying (an acquire of `n` permits waits until `n` are free).
    pub(crate) fn front_request(&self) -> Option<&R> {
        self.head.map(|k| &self.entries[k].request)
    }

    /// The request of the entry `key`.
    #[cfg(test)]
    pub(crate) fn request(&self, key: usize) -> &R {
        &self.entries[key].request
    }

    /// Rule 3: the waiter's poll. `Handed` removes the entry; `Waiting` refreshes the waker.
    /// A waker let go of goes to `stale` (rule 5).
    pub(crate) fn poll_take(&mut self, key: usize, waker: &Waker, stale: &mut Wakers) -> Taken<T> {
        let e = &mut self.entries[key];
        if e.handed.is_some() {
            let e = self.entries.remove(key);
            stale.push(e.waker);
            return Taken::Handed(e.handed.expect("checked above"));
        }
        match &mut e.waker {
            Some(w) if w.will_wake(waker) => {}
            slot => stale.push(slot.replace(waker.clone())),
        }
        Taken::Waiting
    }

    /// Rule 4: the waiter went away. Returns what it had been handed, if anything, for the
    /// primitive to pass on; its waker goes to `stale` (rule 5).
    pub(crate) fn cancel(&mut self, key: usize, stale: &mut Wakers) -> Option<T> {
        if self.entries[key].handed.is_none() {
            self.unlink(key);
        }
        let e = self.entries.remove(key);
        stale.push(e.waker);
        e.handed
    }

    /// Hands a value to every waiting entry (`make` is called once per waiter) and returns
    /// their wakers, oldest first.
    pub(crate) fn notify_all(&mut self, mut make: impl FnMut() -> T) -> Vec<Waker> {
        let mut wakers = Vec::with_capacity(self.waiting);
        while self.head.is_some() {
            match self.notify_one(make()) {
                Ok(Some(w)) => wakers.push(w),
                Ok(None) => {}
                Err(_) => break,
            }
        }
        wakers
    }

    /// Iterates the keys of waiting entries, oldest first.
    #[cfg(test)]
    pub(crate) fn waiting_keys(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.head, move |k| self.entries[*k].next)
    }
}

/// Wakes every waker of `wakers` (call after releasing the primitive's lock).
pub(crate) fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    for w in wakers {
        w.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waker() -> Waker {
        Waker::noop().clone()
    }

    fn list<T>() -> WaitList<T> {
        WaitList::default()
    }

    #[test]
    fn fifo_notify_and_take() {
        let mut l = list();
        let a = l.push(waker(), ());
        let b = l.push(waker(), ());
        assert_eq!(l.waiting(), 2);
        assert!(l.notify_one(1).is_ok());
        assert_eq!(l.waiting(), 1);
        assert_eq!(
            l.poll_take(b, &waker(), &mut Wakers::default()),
            Taken::Waiting
        );
        assert_eq!(
            l.poll_take(a, &waker(), &mut Wakers::default()),
            Taken::Handed(1)
        );
        assert!(l.notify_one(2).is_ok());
        assert_eq!(
            l.poll_take(b, &waker(), &mut Wakers::default()),
            Taken::Handed(2)
        );
        assert!(matches!(l.notify_one(3), Err(3)));
        assert!(l.entries.is_empty());
    }

    #[test]
    fn cancel_returns_what_was_handed_and_unlinks_waiters() {
        let mut l = list();
        let a = l.push(waker(), ());
        let b = l.push(waker(), ());
        let c = l.push(waker(), ());
        assert_eq!(l.cancel(b, &mut Wakers::default()), None);
        assert_eq!(l.waiting_keys().collect::<Vec<_>>(), [a, c]);
        l.notify_one("x").unwrap();
        assert_eq!(
            l.cancel(a, &mut Wakers::default()),
            Some("x"),
            "a notified waiter that leaves hands the value back"
        );
        assert_eq!(l.waiting_keys().next(), Some(c));
        assert_eq!(l.cancel(c, &mut Wakers::default()), None);
        assert!(l.is_empty() && l.entries.is_empty() && l.head.is_none() && l.tail.is_none());
    }

    #[test]
    fn requests_are_visible_in_order() {
        let mut l: WaitList<u32, u32> = WaitList::default();
        let a = l.push(waker(), 3);
        let b = l.push(waker(), 1);
        assert_eq!(l.front_request(), Some(&3));
        assert_eq!(*l.request(b), 1);
        l.notify_one(3).unwrap();
        assert_eq!(l.front_request(), Some(&1));
        assert_eq!(
            l.poll_take(a, &waker(), &mut Wakers::default()),
            Taken::Handed(3)
        );
        assert_eq!(l.cancel(b, &mut Wakers::default()), None);
        assert_eq!(l.front_request(), None);
    }

    #[test]
    fn notify_all_hands_every_waiter_in_order() {
        let mut l = list();
        let keys: Vec<_> = (0..5).map(|_| l.push(waker(), ())).collect();
        let mut n = 0;
        let wakers = l.notify_all(|| {
            n += 1;
            n
        });
        assert_eq!(wakers.len(), 5);
        let got: Vec<_> = keys
            .iter()
            .map(|k| l.poll_take(*k, &waker(), &mut Wakers::default()))
            .collect();
        assert_eq!(got, (1..=5).map(Taken::Handed).collect::<Vec<_>>());
    }

    #[test]
    fn wakers_let_go_of_go_to_the_callers_stale() {
        use std::sync::Arc;
        use std::task::Wake;
        struct Counted;
        impl Wake for Counted {
            fn wake(self: Arc<Self>) {}
        }
        let (a_w, b_w) = (Arc::new(Counted), Arc::new(Counted));
        let mut l = list::<()>();
        let a = l.push(Waker::from(a_w.clone()), ());
        let b = l.push(Waker::from(b_w.clone()), ());
        let mut stale = Wakers::default();
        // A re-poll with another waker displaces the first one into `stale`.
        assert_eq!(l.poll_take(a, &waker(), &mut stale), Taken::Waiting);
        // Cancelling a waiting entry hands its waker over too.
        assert_eq!(l.cancel(b, &mut stale), None);
        assert_eq!((Arc::strong_count(&a_w), Arc::strong_count(&b_w)), (2, 2));
        drop(stale);
        assert_eq!((Arc::strong_count(&a_w), Arc::strong_count(&b_w)), (1, 1));
        assert_eq!(l.cancel(a, &mut Wakers::default()), None);
    }
}
