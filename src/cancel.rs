//! The cancellation token for cooperative shutdown: [`CancelToken`].
//
// Maintainer notes: the protocol.
//
// Each token is a `Node` in a tree; a `CancelToken` is a counted handle to one. Under the
// node's mutex:
//
//   cancelled  false, then true once (mirrored in the `flag` atomic for lock-free reads)
//   handles    number of live `CancelToken`s of this node (futures hold one too)
//   children   child nodes, strongly held, keyed by a slab key the child remembers
//   waiters    parked `WaitCancelled` futures
//   detached   the node has been removed from its parent (or never needs to be)
//
// `parent` (the parent node and this node's key in it) is fixed at creation.
//
// Rules:
//
// 1. No two node locks are ever held at once: `child` builds the new node while holding
//    the parent's lock (the new node is not shared yet, nobody can lock it); cancel and
//    detach hold one node's lock at a time, and wake waiters after unlocking it.
// 2. `cancel` sets `cancelled` under the lock, takes the waiters' wakers and the children,
//    unlocks, wakes, then cancels each child the same way (an explicit stack: no recursion).
//    A child created after its parent is cancelled is born cancelled and detached, so no
//    child can miss its parent's cancellation.
// 3. A waiter reads `cancelled` under the lock before parking: no lost wakeup (as in
//    `future/`). It removes its entry when it returns or is dropped; a waker the list lets
//    go of then (or displaces at a re-poll) is dropped after unlocking, in a `Wakers`
//    declared before the guard (src/waitlist.rs).
// 4. A node that has no handles and no children can never gain either (both need a
//    handle), so it is dead: it detaches itself from its parent, which may make the parent
//    dead in turn (walked upwards iteratively). This breaks the parent↔child `Arc` cycle, so
//    dropping tokens never leaks nodes, and a child whose handles are gone stays attached as
//    long as it has descendants that must still see a cancellation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use slab::Slab;

use crate::loom::atomic::{AtomicBool, Ordering};
use crate::loom::{lock, Arc, Mutex};
use crate::waitlist::{wake_all, WaitList, Wakers};

/// A cancellation token for cooperative shutdown.
///
/// A token is a shared flag that goes from "running" to "cancelled" once. Any number of
/// tasks, on any loop or thread, can check it ([`CancelToken::is_cancelled`]) or wait for it
/// ([`CancelToken::cancelled`]); any holder can trip it ([`CancelToken::cancel`]). Child
/// tokens ([`CancelToken::child`]) form a tree: cancelling a token cancels all its
/// descendants, never its parent or siblings, so one part of a program can be shut down
/// without the rest.
///
/// ```
/// use std::time::Duration;
/// use tulipa::CancelToken;
///
/// tulipa::run(async {
///     let shutdown = CancelToken::new();
///     let worker = tulipa::spawn({
///         let token = shutdown.child();
///         async move {
///             let mut ticks = 0;
///             while !token.is_cancelled() {
///                 tulipa::sleep(Duration::from_millis(1)).await;
///                 ticks += 1;
///             }
///             ticks // a clean exit: the worker decides where it stops
///         }
///     });
///     tulipa::sleep(Duration::from_millis(5)).await;
///     shutdown.cancel();
///     assert!(worker.await.unwrap() > 0);
/// });
/// ```
///
/// Cloning gives another handle to the same token. `Send + Sync`: cancel and wait from any
/// thread.
///
/// ```
/// use tulipa::CancelToken;
///
/// let root = CancelToken::new();
/// let child = root.child();
/// child.cancel();
/// assert!(child.is_cancelled());
/// assert!(!root.is_cancelled()); // never upwards
/// root.cancel();
/// assert!(root.child().is_cancelled()); // children of a cancelled token are born cancelled
/// ```
///
/// # Tokens, task cancellation and soft cancel
///
/// tulipa has three ways to stop work; they compose:
///
/// * [`crate::JoinHandle::cancel`] stops one task from the outside: its future is dropped at
///   its current `.await` (Rust's cancellation), and its handle reports
///   [`crate::JoinError::Cancelled`].
/// * A task spawned with [`crate::task::Builder::soft_cancel`] is *told* instead
///   ([`crate::task::cancelled`]) and runs its own async clean-up before it returns, as an
///   asyncio task that catches `CancelledError` does. [`crate::TaskGroup`] cancels its
///   members this way, so a soft-cancel member of a failing group finishes its clean-up
///   before the group returns.
/// * A `CancelToken` is not tied to a task: it is a signal the code polls or awaits at
///   points of its choosing, shared by many tasks and threads, with a tree of scopes. Nothing
///   is dropped for you: the work sees the signal and ends by returning.
///
/// To let either a token or a task cancellation stop a soft-cancel task, race them:
/// `tulipa::race(token.cancelled(), tulipa::task::cancelled()).await`.
pub struct CancelToken {
    node: Arc<Node>,
}

struct Node {
    state: Mutex<NodeState>,
    flag: AtomicBool,
    parent: Option<(Arc<Node>, usize)>,
}

struct NodeState {
    cancelled: bool,
    handles: usize,
    children: Slab<Arc<Node>>,
    waiters: WaitList<()>,
    detached: bool,
}

impl Node {
    fn new(cancelled: bool, parent: Option<(Arc<Node>, usize)>) -> Arc<Node> {
        Arc::new(Node {
            state: Mutex::new(NodeState {
                cancelled,
                handles: 1,
                children: Slab::new(),
                waiters: WaitList::default(),
                detached: parent.is_none(),
            }),
            flag: AtomicBool::new(cancelled),
            parent,
        })
    }
}

impl CancelToken {
    /// A new token, not cancelled, with no parent.
    ///
    /// ```
    /// let token = tulipa::CancelToken::new();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn new() -> CancelToken {
        CancelToken {
            node: Node::new(false, None),
        }
    }

    /// A child token: cancelled when this token (or any ancestor) is, and cancellable on its
    /// own without affecting this one.
    ///
    /// ```
    /// let parent = tulipa::CancelToken::new();
    /// let child = parent.child();
    /// let grandchild = child.child();
    /// parent.cancel();
    /// assert!(child.is_cancelled() && grandchild.is_cancelled());
    /// ```
    pub fn child(&self) -> CancelToken {
        let mut st = lock(&self.node.state);
        if st.cancelled {
            return CancelToken {
                node: Node::new(true, None),
            };
        }
        let key = st.children.vacant_key();
        let node = Node::new(false, Some((Arc::clone(&self.node), key)));
        st.children.insert(Arc::clone(&node));
        CancelToken { node }
    }

    /// Cancels this token and all its descendants, waking everything that waits on them.
    /// Idempotent.
    ///
    /// ```
    /// let token = tulipa::CancelToken::new();
    /// token.cancel();
    /// token.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        let mut stack = vec![Arc::clone(&self.node)];
        while let Some(node) = stack.pop() {
            let (wakers, children) = {
                let mut st = lock(&node.state);
                if st.cancelled {
                    continue;
                }
                st.cancelled = true;
                node.flag.store(true, Ordering::Release);
                (
                    st.waiters.notify_all(|| ()),
                    std::mem::take(&mut st.children),
                )
            };
            wake_all(wakers);
            stack.extend(children.into_iter().map(|(_, c)| c));
        }
    }

    /// Whether the token has been cancelled (directly or through an ancestor).
    ///
    /// ```
    /// let token = tulipa::CancelToken::new();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.node.flag.load(Ordering::Acquire)
    }

    /// Completes once the token is cancelled. The future owns a handle to the token, so it
    /// can be moved into a task.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping it only stops waiting.
    ///
    /// ```
    /// use tulipa::CancelToken;
    /// tulipa::run(async {
    ///     let token = CancelToken::new();
    ///     let waiter = tulipa::spawn(token.cancelled());
    ///     tulipa::yield_now().await;
    ///     assert!(!waiter.is_finished());
    ///     token.cancel();
    ///     waiter.await.unwrap();
    /// });
    /// ```
    pub fn cancelled(&self) -> WaitCancelled {
        WaitCancelled {
            token: self.clone(),
            key: None,
        }
    }

    /// Runs `future` until it completes (`Some(output)`) or the token is cancelled (`None`,
    /// and `future` is dropped). Cancellation is checked first.
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as `future`: dropping it drops `future`.
    ///
    /// ```
    /// use tulipa::CancelToken;
    /// tulipa::run(async {
    ///     let token = CancelToken::new();
    ///     assert_eq!(token.run_until_cancelled(async { 1 }).await, Some(1));
    ///     token.cancel();
    ///     assert_eq!(token.run_until_cancelled(async { 2 }).await, None);
    /// });
    /// ```
    pub fn run_until_cancelled<F: Future>(&self, future: F) -> RunUntilCancelled<F> {
        RunUntilCancelled {
            future,
            cancelled: self.cancelled(),
        }
    }
}

impl Default for CancelToken {
    fn default() -> Self {
        CancelToken::new()
    }
}

impl Clone for CancelToken {
    fn clone(&self) -> Self {
        lock(&self.node.state).handles += 1;
        CancelToken {
            node: Arc::clone(&self.node),
        }
    }
}

impl Drop for CancelToken {
    fn drop(&mut self) {
        let dead = {
            let mut st = lock(&self.node.state);
            st.handles -= 1;
            dead(&mut st)
        };
        if dead {
            detach(Arc::clone(&self.node));
        }
    }
}

/// Rule 4: whether a node just became dead (marks it detached if so).
fn dead(st: &mut NodeState) -> bool {
    let dead = st.handles == 0 && st.children.is_empty() && !st.detached;
    st.detached |= dead;
    dead
}

/// Rule 4: removes a dead node from its parent, and so on up while parents become dead.
fn detach(mut node: Arc<Node>) {
    loop {
        let Some((parent, key)) = &node.parent else {
            return;
        };
        let parent = Arc::clone(parent);
        let (removed, parent_dead) = {
            let mut st = lock(&parent.state);
            let removed = st.children.try_remove(*key);
            (removed, dead(&mut st))
        };
        drop(removed); // Outside the parent's lock.
        if !parent_dead {
            return;
        }
        node = parent;
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The future of [`CancelToken::cancelled`].
///
/// # Cancel safety
///
/// Cancel safe: dropping it removes only this waiter.
///
/// ```
/// tulipa::run(async {
///     let token = tulipa::CancelToken::new();
///     let wait: tulipa::WaitCancelled = token.cancelled();
///     token.cancel();
///     wait.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct WaitCancelled {
    token: CancelToken,
    key: Option<usize>,
}

impl Future for WaitCancelled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut stale = Wakers::default(); // rule 3: drops after `st`
        let mut st = lock(&this.token.node.state);
        if st.cancelled {
            if let Some(key) = this.key.take() {
                st.waiters.cancel(key, &mut stale);
            }
            return Poll::Ready(());
        }
        match this.key {
            Some(key) => {
                let _ = st.waiters.poll_take(key, cx.waker(), &mut stale);
            }
            None => this.key = Some(st.waiters.push(cx.waker().clone(), ())),
        }
        Poll::Pending
    }
}

impl Drop for WaitCancelled {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut stale = Wakers::default(); // rule 3: outlives the guard (a temporary)
            lock(&self.token.node.state).waiters.cancel(key, &mut stale);
        }
    }
}

impl fmt::Debug for WaitCancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitCancelled")
            .field("token", &self.token)
            .finish()
    }
}

pin_project_lite::pin_project! {
    /// The future of [`CancelToken::run_until_cancelled`].
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as the wrapped future.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let token = tulipa::CancelToken::new();
    ///     let run: tulipa::RunUntilCancelled<_> =
    ///         token.run_until_cancelled(std::future::pending::<()>());
    ///     token.cancel();
    ///     assert_eq!(run.await, None);
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct RunUntilCancelled<F> {
        #[pin]
        future: F,
        cancelled: WaitCancelled,
    }
}

impl<F: Future> Future for RunUntilCancelled<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if Pin::new(this.cancelled).poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        this.future.poll(cx).map(Some)
    }
}

impl<F> fmt::Debug for RunUntilCancelled<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntilCancelled")
            .field("token", &self.cancelled.token)
            .finish_non_exhaustive()
    }
}
