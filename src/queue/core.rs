//! The machinery shared by every queue and by `channel::mpsc`: a store of items behind one
//! mutex, FIFO lists of parked putters, getters and joiners, and the unfinished-task count.
//
// Maintainer notes: the protocol.
//
// State, all of it inside `Core::state` (one `crate::loom::Mutex`, so loom can model it):
//
//   items            the store (FIFO, LIFO or heap); `len` = items.len()
//   cap              maxsize, with 0 (unbounded) read as usize::MAX; fixed at construction
//   promised_items   items promised to getters that were woken and have not run yet
//   promised_slots   free slots promised to putters that were woken and have not run yet
//   unfinished       items put and not yet matched by task_done
//   shutdown         set once by `shutdown`, never cleared
//   getters/putters  WaitLists of parked `Get`/`Put` futures (and mpsc receivers), handed a
//                    `Grant` when woken; joiners: a WaitList of parked `Join` futures
//
// Nothing moves an item to a waiter: a woken getter is *promised* an item (it stays in the
// store, counted in `promised_items`) and pops one when it runs; a woken putter is promised a
// slot and pushes its item when it runs. So an item is always either in the store or owned by
// exactly one future or caller, and a cancelled waiter cannot take one with it.
//
// Rules (each holds whenever the lock is free):
//
// 1. Room. A new put (one not woken by a grant) may push iff `len + promised_slots < cap`;
//    a new get may pop iff `len > promised_items`. Promised items and slots belong to the
//    woken waiters: newcomers, `try_put` and `try_get` included, never barge past them, which
//    is what makes putters and getters FIFO-fair.
// 2. No idle waiter. If a putter waits (not yet woken) then `len + promised_slots >= cap`;
//    if a getter waits then `len <= promised_items`, unless `shutdown` (which wakes them all).
//    Every change that could break this restores it under the same lock: a push calls
//    `grant_item`, a pop or a released slot calls `grant_slot`, each waking at most the one
//    oldest waiter that the change made room for.
// 3. Grant. Waking a getter with `Grant::Ready` adds 1 to `promised_items`; a putter, 1 to
//    `promised_slots`. The promise ends exactly once: when the woken future runs (a getter
//    pops: it finds an item unless an immediate shutdown dropped them all; a putter pushes,
//    unless the queue was shut down meanwhile, and then it fails with its item) or when it is
//    cancelled (`WaitList::cancel` hands the grant back; the promise ends and is passed on with
//    `grant_item`/`grant_slot`, so the next waiter gets it).
// 4. Shutdown sets `shutdown`, wakes every waiting putter and getter with `Grant::ShutDown`,
//    and, if immediate, takes every item out (dropped after unlocking: an item's destructor
//    may use the queue), lowers `unfinished` by their number (saturating, as asyncio) and
//    wakes the joiners if it reached 0. A putter that runs after shutdown fails with its item,
//    whatever it was granted; a getter still pops while items remain.
// 5. `unfinished` rises with every push and falls with `task_done` (refused at 0) or rule 4;
//    reaching 0 wakes every joiner. A joiner woken returns, even if later puts raise the
//    count again (asyncio's Event semantics).
// 6. Wakers are collected under the lock and woken after it is released; items are never
//    dropped under the lock, and neither are wakers: one a wait list lets go of (displaced at
//    a re-poll, or a cancelled entry's) goes to a `Wakers` declared before the guard, which
//    drops it after unlocking (src/waitlist.rs).

use std::task::{Context, Poll, Waker};

use super::error::{QueueShutDown, TaskDoneError, TryGetError, TryPutError};
use super::futures::Put;
use super::store::Store;
use crate::loom::{lock, Mutex};
use crate::waitlist::{Taken, WaitList, Wakers};

/// What a parked putter or getter is handed when it is woken.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Grant {
    /// A slot (putter) or an item (getter) is promised to it (rule 3).
    Ready,
    /// The queue was shut down (rule 4).
    ShutDown,
}

/// The shared core of the three queue kinds and of `channel::mpsc`.
pub(crate) struct Core<T> {
    state: Mutex<State<T>>,
    /// `maxsize` as given (0 = unbounded).
    maxsize: usize,
}

struct State<T> {
    items: Store<T>,
    cap: usize,
    promised_items: usize,
    promised_slots: usize,
    unfinished: usize,
    shutdown: bool,
    getters: WaitList<Grant>,
    putters: WaitList<Grant>,
    joiners: WaitList<()>,
}

/// A parked future's place in one of the core's wait lists (`None`: not parked).
pub(crate) type Slot = Option<usize>;

impl<T> State<T> {
    fn has_room(&self) -> bool {
        self.items.len() + self.promised_slots < self.cap
    }

    fn has_free_item(&self) -> bool {
        self.items.len() > self.promised_items
    }

    /// Pushes an item (the caller checked room or holds a promised slot). Rules 2 and 5.
    fn push(&mut self, item: T) -> Option<Waker> {
        self.items.push(item);
        self.unfinished += 1;
        self.grant_item()
    }

    /// Pops an item (the caller checked rule 1 or holds a promise). Rule 2.
    fn pop(&mut self) -> (Option<T>, Option<Waker>) {
        let item = self.items.pop();
        let waker = if item.is_some() {
            self.grant_slot()
        } else {
            None
        };
        (item, waker)
    }

    /// Wakes the oldest waiting getter if an item is free for it (rules 2, 3).
    fn grant_item(&mut self) -> Option<Waker> {
        if !self.has_free_item() {
            return None;
        }
        let waker = self.getters.notify_one(Grant::Ready).ok()?;
        self.promised_items += 1;
        waker
    }

    /// Wakes the oldest waiting putter if a slot is free for it (rules 2, 3).
    fn grant_slot(&mut self) -> Option<Waker> {
        if !self.has_room() {
            return None;
        }
        let waker = self.putters.notify_one(Grant::Ready).ok()?;
        self.promised_slots += 1;
        waker
    }
}

fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

impl<T> Core<T> {
    pub(crate) fn new(maxsize: usize, items: Store<T>) -> Core<T> {
        Core {
            state: Mutex::new(State {
                items,
                cap: if maxsize == 0 { usize::MAX } else { maxsize },
                promised_items: 0,
                promised_slots: 0,
                unfinished: 0,
                shutdown: false,
                getters: WaitList::default(),
                putters: WaitList::default(),
                joiners: WaitList::default(),
            }),
            maxsize,
        }
    }

    pub(crate) fn maxsize(&self) -> usize {
        self.maxsize
    }

    pub(crate) fn qsize(&self) -> usize {
        lock(&self.state).items.len()
    }

    /// No item free for a new getter (rule 1).
    pub(crate) fn empty(&self) -> bool {
        !lock(&self.state).has_free_item()
    }

    /// No room for a new putter (rule 1).
    pub(crate) fn full(&self) -> bool {
        !lock(&self.state).has_room()
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        lock(&self.state).shutdown
    }

    pub(crate) fn unfinished(&self) -> usize {
        lock(&self.state).unfinished
    }

    pub(crate) fn put(&self, item: T) -> Put<'_, T> {
        Put::new(self, item)
    }

    pub(crate) fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut s = lock(&self.state);
        if s.shutdown {
            return Err(TryPutError::ShutDown(item));
        }
        if !s.has_room() {
            return Err(TryPutError::Full(item));
        }
        let waker = s.push(item);
        drop(s);
        wake(waker);
        Ok(())
    }

    pub(crate) fn try_get(&self) -> Result<T, TryGetError> {
        let mut s = lock(&self.state);
        if !s.has_free_item() {
            return Err(if s.shutdown {
                TryGetError::ShutDown
            } else {
                TryGetError::Empty
            });
        }
        let (item, waker) = s.pop();
        drop(s);
        wake(waker);
        Ok(item.expect("has_free_item checked that the store is not empty"))
    }

    /// Polls a put of `*item` parked at `slot`. On `Ready` the item has been moved out.
    pub(crate) fn poll_put(
        &self,
        slot: &mut Slot,
        item: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), QueueShutDown<T>>> {
        assert!(item.is_some(), "queue `Put` polled after completion");
        let mut stale = Wakers::default(); // rule 6: drops after `s`
        let mut s = lock(&self.state);
        let granted = match *slot {
            None => false,
            Some(key) => match s.putters.poll_take(key, cx.waker(), &mut stale) {
                Taken::Waiting => return Poll::Pending,
                Taken::Handed(grant) => {
                    *slot = None;
                    if grant == Grant::Ready {
                        s.promised_slots -= 1; // rule 3: the promise ends here
                    }
                    true
                }
            },
        };
        if s.shutdown {
            return Poll::Ready(Err(QueueShutDown(item.take().expect("checked above"))));
        }
        if !granted && !s.has_room() {
            *slot = Some(s.putters.push(cx.waker().clone(), ()));
            return Poll::Pending;
        }
        let waker = s.push(item.take().expect("checked above"));
        drop(s);
        wake(waker);
        Poll::Ready(Ok(()))
    }

    /// A put parked at `slot` went away: pass on a slot it was promised (rule 3).
    pub(crate) fn cancel_put(&self, slot: &mut Slot) {
        let Some(key) = slot.take() else { return };
        let mut stale = Wakers::default(); // rule 6: drops after `s`
        let mut s = lock(&self.state);
        let waker = match s.putters.cancel(key, &mut stale) {
            Some(Grant::Ready) => {
                s.promised_slots -= 1;
                s.grant_slot()
            }
            _ => None,
        };
        drop(s);
        wake(waker);
    }

    /// Polls a get parked at `slot`.
    pub(crate) fn poll_get(
        &self,
        slot: &mut Slot,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, QueueShutDown>> {
        let mut stale = Wakers::default(); // rule 6: drops after `s`
        let mut s = lock(&self.state);
        match *slot {
            None => {
                if !s.has_free_item() {
                    if s.shutdown {
                        return Poll::Ready(Err(QueueShutDown(())));
                    }
                    *slot = Some(s.getters.push(cx.waker().clone(), ()));
                    return Poll::Pending;
                }
            }
            Some(key) => match s.getters.poll_take(key, cx.waker(), &mut stale) {
                Taken::Waiting => return Poll::Pending,
                Taken::Handed(Grant::Ready) => {
                    *slot = None;
                    s.promised_items -= 1; // rule 3: the promise ends here
                }
                Taken::Handed(Grant::ShutDown) => {
                    *slot = None;
                    return Poll::Ready(Err(QueueShutDown(())));
                }
            },
        }
        let (item, waker) = s.pop();
        drop(s);
        wake(waker);
        // Empty only if an immediate shutdown dropped the promised item (rule 3).
        Poll::Ready(item.ok_or(QueueShutDown(())))
    }

    /// A get parked at `slot` went away: pass on an item it was promised (rule 3). The item
    /// never left the store, so nothing is lost.
    pub(crate) fn cancel_get(&self, slot: &mut Slot) {
        let Some(key) = slot.take() else { return };
        let mut stale = Wakers::default(); // rule 6: drops after `s`
        let mut s = lock(&self.state);
        let waker = match s.getters.cancel(key, &mut stale) {
            Some(Grant::Ready) => {
                s.promised_items -= 1;
                s.grant_item()
            }
            _ => None,
        };
        drop(s);
        wake(waker);
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut s = lock(&self.state);
        if s.unfinished == 0 {
            return Err(TaskDoneError);
        }
        s.unfinished -= 1;
        let wakers = if s.unfinished == 0 {
            s.joiners.notify_all(|| ())
        } else {
            Vec::new()
        };
        drop(s);
        crate::waitlist::wake_all(wakers);
        Ok(())
    }

    pub(crate) fn poll_join(&self, slot: &mut Slot, cx: &mut Context<'_>) -> Poll<()> {
        let mut stale = Wakers::default(); // rule 6: drops after `s`
        let mut s = lock(&self.state);
        match *slot {
            None if s.unfinished == 0 => Poll::Ready(()),
            None => {
                *slot = Some(s.joiners.push(cx.waker().clone(), ()));
                Poll::Pending
            }
            Some(key) => match s.joiners.poll_take(key, cx.waker(), &mut stale) {
                Taken::Waiting => Poll::Pending,
                Taken::Handed(()) => {
                    *slot = None;
                    Poll::Ready(())
                }
            },
        }
    }

    pub(crate) fn cancel_join(&self, slot: &mut Slot) {
        let Some(key) = slot.take() else { return };
        // Joiners are woken all at once (rule 5): there is nothing to pass on.
        let mut stale = Wakers::default(); // rule 6: outlives the guard (a temporary)
        lock(&self.state).joiners.cancel(key, &mut stale);
    }

    /// Rule 4. Returns how many items an immediate shutdown dropped.
    pub(crate) fn shutdown(&self, immediate: bool) -> usize {
        let mut s = lock(&self.state);
        s.shutdown = true;
        let mut wakers = s.getters.notify_all(|| Grant::ShutDown);
        wakers.extend(s.putters.notify_all(|| Grant::ShutDown));
        let dropped = if immediate {
            let n = s.items.len();
            s.unfinished = s.unfinished.saturating_sub(n);
            if s.unfinished == 0 {
                wakers.extend(s.joiners.notify_all(|| ()));
            }
            Some(s.items.take_all())
        } else {
            None
        };
        drop(s);
        let n = dropped.as_ref().map_or(0, Store::len);
        drop(dropped);
        crate::waitlist::wake_all(wakers);
        n
    }
}
