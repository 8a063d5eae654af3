//! [`Barrier`]: parties wait until all of them have arrived.

// Maintainer notes: the protocol.
//
// State, behind one mutex: `parties` (fixed), `arrived` (parties waiting in the current
// generation), `generation` (how many times the barrier has tripped), `waiters` (a
// WaitList<()>: the parties of the current generation that arrived and wait).
//
// 1. `wait`, at its first poll, arrives: `arrived += 1`. If that makes `parties`, the barrier
//    trips: `arrived = 0`, `generation += 1`, every waiting entry is notified, and this party
//    returns at once as the generation's leader. Otherwise it pushes an entry (Queued).
// 2. A Queued future is ready (not leader) once its entry is handed.
// 3. A Queued future that is dropped cancels its entry. If the entry was still waiting, its
//    generation has not tripped, so the arrival is withdrawn (`arrived -= 1`): the barrier now
//    needs another party to trip. If it had been handed, its generation already tripped and
//    the others were released; nothing changes.
// 4. A waker the list lets go of (displaced at a re-poll, or a cancelled entry's) is dropped
//    after the mutex, in a `Wakers` declared before the guard (src/waitlist.rs).
//
// Invariant: `arrived` equals the number of waiting entries, and is below `parties`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{lock, Mutex};
use crate::waitlist::{wake_all, Taken, WaitList, Wakers};

/// A barrier for `n` parties (asyncio's `Barrier`): each [`wait`](Self::wait) waits until `n`
/// parties are waiting, then all of them go on together. Exactly one of them, the last to
/// arrive, is told it is the *leader* of that generation (for work to do once per round). The
/// barrier is then ready for the next generation.
///
/// # Cancellation
///
/// A party whose `wait` is dropped before the barrier trips withdraws: it no longer counts,
/// and the barrier waits for another party to take its place (as asyncio's does). The parties
/// still waiting keep waiting and are released normally when the count is reached. A `wait`
/// dropped after its generation tripped changes nothing.
///
/// ```
/// use std::sync::Arc;
/// use tulipa::sync::Barrier;
///
/// tulipa::run(async {
///     let barrier = Arc::new(Barrier::new(3));
///     let mut parties = Vec::new();
///     for _ in 0..3 {
///         let barrier = barrier.clone();
///         parties.push(tulipa::spawn(async move { barrier.wait().await.is_leader() }));
///     }
///     let mut leaders = 0;
///     for p in parties {
///         leaders += p.await.unwrap() as usize;
///     }
///     assert_eq!(leaders, 1);
/// });
/// ```
pub struct Barrier {
    state: Mutex<State>,
    parties: usize,
}

struct State {
    arrived: usize,
    generation: u64,
    waiters: WaitList<()>,
}

impl Barrier {
    /// A barrier that trips when `parties` tasks wait on it.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 (asyncio's `ValueError`).
    ///
    /// ```
    /// let barrier = tulipa::sync::Barrier::new(2);
    /// assert_eq!(barrier.parties(), 2);
    /// ```
    #[track_caller]
    pub fn new(parties: usize) -> Barrier {
        assert!(parties > 0, "a Barrier needs at least one party");
        Barrier {
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
                waiters: WaitList::default(),
            }),
            parties,
        }
    }

    /// The number of parties needed to trip the barrier.
    ///
    /// ```
    /// assert_eq!(tulipa::sync::Barrier::new(4).parties(), 4);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of parties waiting in the current generation (asyncio's `n_waiting`).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let barrier = std::sync::Arc::new(tulipa::sync::Barrier::new(2));
    ///     let b = barrier.clone();
    ///     let first = tulipa::spawn(async move { b.wait().await.is_leader() });
    ///     tulipa::yield_now().await;
    ///     assert_eq!(barrier.n_waiting(), 1);
    ///     assert!(barrier.wait().await.is_leader());
    ///     assert!(!first.await.unwrap());
    /// });
    /// ```
    pub fn n_waiting(&self) -> usize {
        lock(&self.state).arrived
    }

    /// How many times the barrier has tripped.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let barrier = tulipa::sync::Barrier::new(1);
    ///     barrier.wait().await;
    ///     barrier.wait().await;
    ///     assert_eq!(barrier.generation(), 2);
    /// });
    /// ```
    pub fn generation(&self) -> u64 {
        lock(&self.state).generation
    }

    /// Arrives and waits until [`parties`](Self::parties) parties have; the last to arrive
    /// gets a result whose [`is_leader`](BarrierWaitResult::is_leader) is true.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the barrier trips withdraws this party (see
    /// [Cancellation](Barrier#cancellation)); the other parties keep waiting, unharmed.
    /// Dropping it after the barrier tripped changes nothing.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let barrier = tulipa::sync::Barrier::new(1);
    ///     assert!(barrier.wait().await.is_leader()); // one party: always the leader
    /// });
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
            done: false,
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &st.arrived)
            .field("generation", &st.generation)
            .finish()
    }
}

/// What [`Barrier::wait`] returns.
///
/// ```
/// tulipa::run(async {
///     let result = tulipa::sync::Barrier::new(1).wait().await;
///     assert!(result.is_leader());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this party was the leader of its generation: exactly one per generation is.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let barrier = tulipa::sync::Barrier::new(1);
    ///     if barrier.wait().await.is_leader() {
    ///         println!("every party has arrived");
    ///     }
    /// });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

/// The future of [`Barrier::wait`]; see there.
///
/// ```
/// tulipa::run(async {
///     let barrier = tulipa::sync::Barrier::new(1);
///     let wait: tulipa::sync::BarrierWait<'_> = barrier.wait();
///     assert!(wait.await.is_leader());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<usize>,
    done: bool,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = &mut *self;
        assert!(!this.done, "a barrier wait was polled after it completed");
        let mut stale = Wakers::default(); // rule 4: drops after `st`
        let mut st = lock(&this.barrier.state);
        match this.key {
            None => {
                st.arrived += 1;
                if st.arrived < this.barrier.parties {
                    this.key = Some(st.waiters.push(cx.waker().clone(), ()));
                    return Poll::Pending;
                }
                // Rule 1: the last party trips the barrier and leads.
                st.arrived = 0;
                st.generation += 1;
                let wakers = st.waiters.notify_all(|| ());
                drop(st);
                wake_all(wakers);
                this.done = true;
                Poll::Ready(BarrierWaitResult { leader: true })
            }
            Some(key) => match st.waiters.poll_take(key, cx.waker(), &mut stale) {
                Taken::Handed(()) => {
                    this.key = None;
                    this.done = true;
                    Poll::Ready(BarrierWaitResult { leader: false })
                }
                Taken::Waiting => Poll::Pending,
            },
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut stale = Wakers::default(); // rule 4: drops after `st`
            let mut st = lock(&self.barrier.state);
            if st.waiters.cancel(key, &mut stale).is_none() {
                // Rule 3: still waiting, so its generation has not tripped: withdraw.
                st.arrived -= 1;
            }
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("queued", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
