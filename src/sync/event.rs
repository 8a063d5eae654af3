//! [`Event`]: a flag that tasks can wait for.

// Maintainer notes: the protocol.
//
// State, behind one mutex: `set` (the flag) and `waiters` (a WaitList<()>).
//
// 1. `wait`, at its first poll: ready if `set`; otherwise it pushes an entry (Queued).
// 2. `set`: if the flag was clear, sets it and notifies every queued entry (`notify_all`);
//    their wakers are woken after the mutex.
// 3. A Queued future is ready once its entry is handed, whatever the flag reads by then: a
//    `clear` right after a `set` does not take the wakeup back (asyncio's semantics).
// 4. A Queued future that is dropped cancels its entry. It was one of many, and what it had
//    been handed (if anything) was its own copy of the wakeup, so nothing is passed on.
// 5. A waker the list lets go of (displaced at a re-poll, or a cancelled entry's) is dropped
//    after the mutex, in a `Wakers` declared before the guard (src/waitlist.rs).
//
// Invariant: while `set` is true, no entry is waiting (rule 2 empties the list, rule 1 never
// pushes).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{lock, Mutex};
use crate::waitlist::{wake_all, Taken, WaitList, Wakers};

/// A flag that tasks can wait for (asyncio's `Event`): [`set`](Self::set) wakes every task in
/// [`wait`](Self::wait), and later waits return at once until [`clear`](Self::clear).
///
/// ```
/// use std::sync::Arc;
/// use tulipa::sync::Event;
///
/// tulipa::run(async {
///     let ready = Arc::new(Event::new());
///     let waiter = tulipa::spawn({
///         let ready = ready.clone();
///         async move {
///             ready.wait().await;
///             "went"
///         }
///     });
///     tulipa::yield_now().await;
///     assert!(!waiter.is_finished());
///     ready.set();
///     assert_eq!(waiter.await.unwrap(), "went");
/// });
/// ```
pub struct Event {
    state: Mutex<State>,
}

struct State {
    set: bool,
    waiters: WaitList<()>,
}

impl Event {
    /// A clear event.
    ///
    /// ```
    /// assert!(!tulipa::sync::Event::new().is_set());
    /// ```
    pub fn new() -> Event {
        Event {
            state: Mutex::new(State {
                set: false,
                waiters: WaitList::default(),
            }),
        }
    }

    /// Sets the flag and wakes every waiting task. Setting a set event does nothing.
    ///
    /// ```
    /// let ev = tulipa::sync::Event::new();
    /// ev.set();
    /// assert!(ev.is_set());
    /// ```
    pub fn set(&self) {
        let mut st = lock(&self.state);
        if st.set {
            return;
        }
        st.set = true;
        let wakers = st.waiters.notify_all(|| ());
        drop(st);
        wake_all(wakers);
    }

    /// Clears the flag: later [`wait`](Self::wait) calls wait again. Tasks already woken by a
    /// [`set`](Self::set) still return.
    ///
    /// ```
    /// let ev = tulipa::sync::Event::new();
    /// ev.set();
    /// ev.clear();
    /// assert!(!ev.is_set());
    /// ```
    pub fn clear(&self) {
        lock(&self.state).set = false;
    }

    /// Whether the flag is set.
    ///
    /// ```
    /// let ev = tulipa::sync::Event::new();
    /// assert!(!ev.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        lock(&self.state).set
    }

    /// Waits until the flag is set; returns at once if it already is.
    ///
    /// Spends one unit of the task's cooperative budget when it completes, and yields first
    /// if the budget is spent (see [`task`](crate::task#cooperative-scheduling)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future only removes it from the waiters; the flag and the
    /// other waiters are untouched.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ev = tulipa::sync::Event::new();
    ///     ev.set();
    ///     ev.wait().await; // already set: returns at once
    /// });
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            key: None,
            done: false,
        }
    }
}

impl Default for Event {
    fn default() -> Event {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Event")
            .field("set", &st.set)
            .field("waiters", &st.waiters.waiting())
            .finish()
    }
}

/// The future of [`Event::wait`]; see there.
///
/// ```
/// tulipa::run(async {
///     let ev = tulipa::sync::Event::new();
///     let wait: tulipa::sync::EventWait<'_> = ev.wait();
///     ev.set();
///     wait.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<usize>,
    done: bool,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        assert!(!this.done, "an event wait was polled after it completed");
        let unit = std::task::ready!(crate::coop::poll_proceed(cx));
        let mut stale = Wakers::default(); // rule 5: drops after `st`
        let mut st = lock(&this.event.state);
        let ready = match this.key {
            None if st.set => true,
            None => {
                this.key = Some(st.waiters.push(cx.waker().clone(), ()));
                false
            }
            Some(key) => st.waiters.poll_take(key, cx.waker(), &mut stale) == Taken::Handed(()),
        };
        if ready {
            unit.made_progress();
            this.key = None;
            this.done = true;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut stale = Wakers::default(); // rule 5: outlives the guard (a temporary)
            lock(&self.event.state).waiters.cancel(key, &mut stale);
        }
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("queued", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
