//! A channel where every receiver gets every value: many senders, many receivers, a bounded
//! history.
//!
//! The channel keeps the last `capacity` values sent. Each [`Receiver`] reads them in order
//! at its own pace, getting a clone of each. Sending never waits: when a new value arrives
//! and the history is full, the oldest value is dropped, and a receiver that had not read it
//! yet learns how many it missed ([`RecvError::Lagged`]) and continues from the oldest value
//! still kept.
//!
//! ```
//! use tulipa::channel::broadcast;
//!
//! tulipa::run(async {
//!     let (tx, mut rx1) = broadcast::channel(16);
//!     let mut rx2 = tx.subscribe();
//!     tx.send("hello").unwrap();
//!     drop(tx);
//!     assert_eq!(rx1.recv().await, Ok("hello"));
//!     assert_eq!(rx2.recv().await, Ok("hello"));
//!     assert_eq!(rx1.recv().await, Err(broadcast::RecvError::Closed));
//! });
//! ```
//!
//! A receiver sees the values sent after it was made ([`channel`]'s receiver, a
//! [`Sender::subscribe`], or a [`Receiver::clone`], which continues from where the original
//! stands). Senders and receivers are `Send` and `Sync` when the values are `Send`.

// Maintainer notes: the protocol.
//
// One `crate::loom::Mutex<State>` shared through an `Arc`:
//
//   values      the kept history, oldest first, at most `capacity` long
//   first       the number (sequence) of `values[0]`; `next` = first + values.len() is the
//               number the next value sent will get
//   senders, receivers   live handles of each kind
//   waiters     a WaitList of parked `Recv` futures
//
// Each receiver keeps `pos`, the number of the next value it will read (its own field).
//
// 1. `send` with no receiver fails, handing the value back. Otherwise it appends; if that
//    makes the history longer than `capacity` it removes the oldest (`first += 1`; the value
//    is dropped after unlocking), and it wakes every parked receiver (notify_all).
// 2. `recv`'s poll: `pos < first` → `Lagged(first - pos)`, `pos = first`; `pos < next` →
//    a clone of `values[pos - first]`, `pos += 1`; else no sender → `Closed`; else park
//    (or stay parked; a woken entry that finds nothing new parks again). `pos` moves only in
//    the poll that returns, so a cancelled `recv` misses nothing.
// 3. The last sender dropping wakes every parked receiver (they drain, then get `Closed`).
// 4. Wakers are woken and evicted values dropped after unlocking. Clones are made under the
//    lock (`T::clone` must not use the channel). A waker the list lets go of (displaced at a
//    re-poll, or a cancelled entry's) is dropped after unlocking too, in a `Wakers` declared
//    before the guard (src/waitlist.rs).

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{lock, Arc, Mutex};
use crate::waitlist::{wake_all, Taken, WaitList, Wakers};

struct State<T> {
    values: VecDeque<T>,
    first: u64,
    capacity: usize,
    senders: usize,
    receivers: usize,
    waiters: WaitList<()>,
}

impl<T> State<T> {
    fn next(&self) -> u64 {
        self.first + self.values.len() as u64
    }
}

type Shared<T> = Arc<Mutex<State<T>>>;

/// Makes a broadcast channel that keeps the last `capacity` values.
///
/// # Panics
///
/// If `capacity` is 0: the channel could keep nothing for its receivers to read.
///
/// ```
/// let (tx, mut rx) = tulipa::channel::broadcast::channel(2);
/// tx.send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "broadcast::channel(0): the channel must keep at least one value"
    );
    let shared = Arc::new(Mutex::new(State {
        values: VecDeque::with_capacity(capacity.min(1024)),
        first: 0,
        capacity,
        senders: 1,
        receivers: 1,
        waiters: WaitList::default(),
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, pos: 0 },
    )
}

/// A sending half of a broadcast channel; clone it for more senders.
///
/// ```
/// use tulipa::channel::broadcast;
///
/// let (tx, mut rx) = broadcast::channel(4);
/// let tx2 = tx.clone();
/// tx.send('a').unwrap();
/// tx2.send('b').unwrap();
/// assert_eq!(rx.try_recv(), Ok('a'));
/// assert_eq!(rx.try_recv(), Ok('b'));
/// ```
pub struct Sender<T> {
    shared: Shared<T>,
}

impl<T> Sender<T> {
    /// Sends `value` to every receiver and returns how many there are, or hands the value
    /// back in [`SendError`] if there is none. Never waits: if the history is full, the
    /// oldest value is dropped (receivers that had not read it will see
    /// [`RecvError::Lagged`]).
    ///
    /// ```
    /// use tulipa::channel::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(1);
    /// let _rx2 = tx.subscribe();
    /// assert_eq!(tx.send(1), Ok(2));
    /// drop(rx);
    /// drop(_rx2);
    /// assert_eq!(tx.send(2), Err(broadcast::SendError(2)));
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut s = lock(&self.shared);
        if s.receivers == 0 {
            return Err(SendError(value));
        }
        s.values.push_back(value);
        let evicted = if s.values.len() > s.capacity {
            s.first += 1;
            s.values.pop_front()
        } else {
            None
        };
        let receivers = s.receivers;
        let wakers = s.waiters.notify_all(|| ());
        drop(s);
        drop(evicted);
        wake_all(wakers);
        Ok(receivers)
    }

    /// A new receiver, which will see the values sent from now on.
    ///
    /// ```
    /// let (tx, _rx) = tulipa::channel::broadcast::channel(4);
    /// tx.send("before").unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send("after").unwrap();
    /// assert_eq!(late.try_recv(), Ok("after"));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut s = lock(&self.shared);
        s.receivers += 1;
        let pos = s.next();
        drop(s);
        Receiver {
            shared: self.shared.clone(),
            pos,
        }
    }

    /// The number of live receivers.
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::broadcast::channel::<u8>(4);
    /// assert_eq!(tx.receiver_count(), 1);
    /// drop(rx);
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared).receivers
    }

    /// The number of values kept in the history (at most the capacity).
    ///
    /// ```
    /// let (tx, _rx) = tulipa::channel::broadcast::channel(2);
    /// for i in 0..5 {
    ///     tx.send(i).unwrap();
    /// }
    /// assert_eq!(tx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        lock(&self.shared).values.len()
    }

    /// Whether the history is empty.
    ///
    /// ```
    /// let (tx, _rx) = tulipa::channel::broadcast::channel::<u8>(2);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        lock(&self.shared).senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut s = lock(&self.shared);
        s.senders -= 1;
        let wakers = if s.senders == 0 {
            s.waiters.notify_all(|| ()) // rule 3
        } else {
            Vec::new()
        };
        drop(s);
        wake_all(wakers);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender")
            .field("receivers", &self.receiver_count())
            .finish()
    }
}

/// A receiving half of a broadcast channel. It reads every value sent after it was made, in
/// order, unless it falls more than the capacity behind.
///
/// ```
/// use tulipa::channel::broadcast;
///
/// tulipa::run(async {
///     let (tx, mut rx) = broadcast::channel(8);
///     let listener = tulipa::spawn(async move {
///         let mut heard = Vec::new();
///         while let Ok(v) = rx.recv().await {
///             heard.push(v);
///         }
///         heard
///     });
///     for i in 0..3 {
///         tx.send(i).unwrap();
///     }
///     drop(tx);
///     assert_eq!(listener.await.unwrap(), [0, 1, 2]);
/// });
/// ```
pub struct Receiver<T> {
    shared: Shared<T>,
    /// The number of the next value to read.
    pos: u64,
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value (a clone), waiting until one is sent.
    ///
    /// Fails with [`RecvError::Lagged`]`(n)` if `n` values were dropped before this receiver
    /// read them (the next call continues from the oldest value kept), and with
    /// [`RecvError::Closed`] once every sender is gone and every value kept has been read.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the receiver moves past a value only in the poll that returns it, so a
    /// cancelled `recv` misses nothing.
    ///
    /// ```
    /// use tulipa::channel::broadcast::{self, RecvError};
    ///
    /// tulipa::run(async {
    ///     let (tx, mut rx) = broadcast::channel(2);
    ///     for i in 0..5 {
    ///         tx.send(i).unwrap();
    ///     }
    ///     assert_eq!(rx.recv().await, Err(RecvError::Lagged(3))); // 0, 1, 2 were dropped
    ///     assert_eq!(rx.recv().await, Ok(3));
    ///     assert_eq!(rx.recv().await, Ok(4));
    /// });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            rx: self,
            slot: None,
        }
    }

    /// Receives the next value without waiting, or reports [`TryRecvError::Empty`],
    /// [`TryRecvError::Lagged`] or [`TryRecvError::Closed`].
    ///
    /// ```
    /// use tulipa::channel::broadcast::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let s = lock(&self.shared);
        match Self::take(&s, &mut self.pos) {
            Some(Ok(value)) => Ok(value),
            Some(Err(missed)) => Err(TryRecvError::Lagged(missed)),
            None if s.senders == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Rule 2, without parking: the next value, or how many values were missed, if there is
    /// anything to report.
    fn take(s: &State<T>, pos: &mut u64) -> Option<Result<T, u64>> {
        if *pos < s.first {
            let missed = s.first - *pos;
            *pos = s.first;
            return Some(Err(missed));
        }
        let value = s.values.get((*pos - s.first) as usize)?.clone();
        *pos += 1;
        Some(Ok(value))
    }
}

impl<T> Receiver<T> {
    /// The number of values sent that this receiver has not read yet (capped at the history
    /// kept).
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::broadcast::channel(4);
    /// tx.send(()).unwrap();
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        let s = lock(&self.shared);
        (s.next() - self.pos.max(s.first)) as usize
    }

    /// Whether this receiver has read every value sent.
    ///
    /// ```
    /// let (_tx, rx) = tulipa::channel::broadcast::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Clone for Receiver<T> {
    /// A receiver that continues from where this one stands.
    fn clone(&self) -> Receiver<T> {
        lock(&self.shared).receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            pos: self.pos,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut s = lock(&self.shared);
        s.receivers -= 1;
        // With no receiver left nobody can read the history: drop it (after unlocking).
        let history = if s.receivers == 0 {
            let n = s.values.len() as u64;
            s.first += n;
            std::mem::take(&mut s.values)
        } else {
            VecDeque::new()
        };
        drop(s);
        drop(history);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("pos", &self.pos)
            .finish()
    }
}

/// The future of [`Receiver::recv`].
///
/// # Cancel safety
///
/// Cancel safe: dropping it misses nothing.
///
/// ```
/// use std::time::Duration;
///
/// tulipa::run(async {
///     tulipa::time::pause();
///     let (tx, mut rx) = tulipa::channel::broadcast::channel(4);
///     assert!(tulipa::time::timeout(Duration::from_secs(1), rx.recv()).await.is_err());
///     tx.send(1).unwrap();
///     assert_eq!(rx.recv().await, Ok(1));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    rx: &'a mut Receiver<T>,
    slot: Option<usize>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let unit = std::task::ready!(crate::coop::poll_proceed(cx));
        let mut stale = Wakers::default(); // rule 4: drops after `s`
        let mut s = lock(&this.rx.shared);
        if let Some(key) = this.slot {
            if s.waiters.poll_take(key, cx.waker(), &mut stale) == Taken::Handed(()) {
                this.slot = None; // woken: look again below (rule 2)
            }
        }
        let out = match Receiver::take(&s, &mut this.rx.pos) {
            Some(r) => r.map_err(RecvError::Lagged),
            None if s.senders == 0 => Err(RecvError::Closed),
            None => {
                if this.slot.is_none() {
                    this.slot = Some(s.waiters.push(cx.waker().clone(), ()));
                }
                return Poll::Pending;
            }
        };
        if let Some(key) = this.slot.take() {
            s.waiters.cancel(key, &mut stale);
        }
        unit.made_progress();
        Poll::Ready(out)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.slot.take() {
            let mut stale = Wakers::default(); // rule 4: outlives the guard (a temporary)
            lock(&self.rx.shared).waiters.cancel(key, &mut stale);
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Recv").finish_non_exhaustive()
    }
}

/// [`Sender::send`] found no receiver; the value is handed back.
///
/// ```
/// let (tx, rx) = tulipa::channel::broadcast::channel(1);
/// drop(rx);
/// let err = tx.send("nobody").unwrap_err();
/// assert_eq!(err.0, "nobody");
/// assert_eq!(err.to_string(), "every broadcast receiver was dropped");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("every broadcast receiver was dropped")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Receiver::recv`] returned no value.
///
/// ```
/// use tulipa::channel::broadcast::RecvError;
/// assert_eq!(RecvError::Lagged(3).to_string(), "the receiver lagged behind and missed 3 values");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum RecvError {
    /// This receiver fell behind: that many values were dropped from the history before it
    /// read them. The next receive continues from the oldest value kept. Give the channel
    /// more capacity, or read faster.
    Lagged(u64),
    /// Every sender is gone and this receiver has read every value kept.
    Closed,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Lagged(n) => {
                write!(f, "the receiver lagged behind and missed {n} values")
            }
            RecvError::Closed => f.write_str("the broadcast channel is closed"),
        }
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
///
/// ```
/// use tulipa::channel::broadcast::{self, TryRecvError};
///
/// let (tx, mut rx) = broadcast::channel(1);
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
/// assert_eq!(rx.try_recv(), Ok(2));
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TryRecvError {
    /// Nothing new yet; a sender may still send.
    Empty,
    /// As [`RecvError::Lagged`].
    Lagged(u64),
    /// Every sender is gone and this receiver has read every value kept.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no new value in the broadcast channel"),
            TryRecvError::Lagged(n) => {
                write!(f, "the receiver lagged behind and missed {n} values")
            }
            TryRecvError::Closed => f.write_str("the broadcast channel is closed"),
        }
    }
}

impl std::error::Error for TryRecvError {}
