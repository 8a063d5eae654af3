//! The loop core: run queue, cross-thread inbox, task registry, timers and the clock, and
//! the `turn` that a host calls.
//
// Maintainer notes: the concurrency protocol.
//
// A loop is split in two:
//
// * `Shared` (behind an `Arc`, `Send + Sync`) is what other threads may touch: the host (to
//   wake the loop), and the inbox, a mutex-protected list of `Remote` items with an atomic
//   "non-empty" flag.
// * `Local` (behind an `Rc`, loop thread only) is everything else: the run queue, the task
//   registry, the timers and the clock. It is reached through `context::LOOP`.
//
// Rules:
//
// 1. A runnable is scheduled by `schedule`. On the loop's own thread (its `Local` is current)
//    it goes straight into the run queue; anywhere else it goes into the inbox and the host
//    is woken (`Shared::push`). The first push into an empty inbox wakes the host; later
//    pushes see the flag set and do not wake again.
// 2. `turn` clears the inbox flag *before* taking the inbox's items, so an item pushed after
//    the take raises the flag again and wakes the host again: no wakeup is lost.
// 3. No `RefCell` borrow of `Local` is held while a waker is woken, a future is polled or a
//    future is dropped: wakers are collected, the borrow released, then they are woken.
// 4. Cancellation: the canceller sets `CANCEL` in the task's metadata, then wakes the task
//    (directly on the loop thread, or with `Remote::Cancel` from elsewhere). `run_task` reads
//    the flags before every poll and tells the wrapper through `context::TASK`; the wrapper
//    drops the future and completes with `JoinError::Cancelled`. A task spawned with `SOFT`
//    is instead polled on, with the request visible to it (`task::cancelled()`), until it
//    ends by itself or `HARD` (an abort) is set. A task still unregistered
//    (spawned from another thread, its `Remote::Spawn` not yet drained) needs no wake: it will
//    be run when it is registered, and that run sees the flag (both sides use `SeqCst`).
// 5. Runnables are never dropped without being run, so every `JoinHandle` sees an output.
//    Teardown runs every remaining task once with cancellation forced, which drops the
//    futures without polling them. After teardown the inbox is closed: a late remote push runs
//    a `Send` task cancelled on the pushing thread, and forgets a local one (it cannot exist:
//    teardown finished every task of this loop, see `Local::shutdown`).
// 6. A task's future is dropped only by the task wrapper (`task::TaskFuture`), under
//    `catch_unwind`: when it completes, when it is cancelled (teardown included), and when
//    async-task drops an unfinished task (its handle or its runnable was dropped). async-task
//    drops futures inside an abort-on-panic guard, so it must never drop a live user future.
//    A panicking `Drop` becomes the task's `Panicked` outcome when a handle may still read it,
//    and goes to the loop's exception handler when none can (detached, handle dropped); the
//    loop and teardown carry on with every other task.
// 7. Memory follows the load: every `trim::WINDOW` idle turns, the registry and the run queue
//    shrink if their capacity is far above the largest length they had since the last check
//    (`src/trim.rs` has the policy and why it cannot thrash). Shrinking frees only vacant
//    slots, so it runs no user code (rule 3).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::panic::Location;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use async_task::Runnable;
use slab::Slab;

use crate::context::{self, TaskCtx, UNREGISTERED};
use crate::host::{Host, Turn};
use crate::task::{TaskId, TaskState};
use crate::time::Instant;

/// Set in `TaskMeta::flags` for tasks created by `spawn_local`.
pub(crate) const LOCAL: u8 = 1;
/// Set in `TaskMeta::flags` once cancellation was requested.
pub(crate) const CANCEL: u8 = 2;
/// Set in `TaskMeta::flags` for tasks spawned with soft cancellation: a request is shown to
/// the task instead of dropping its future.
pub(crate) const SOFT: u8 = 4;
/// Set in `TaskMeta::flags` when the future must be dropped whatever the mode (abort).
pub(crate) const HARD: u8 = 8;
/// Set in `TaskMeta::flags` when the task's handle was detached: nothing will see its
/// outcome, so a panic goes to the loop's exception handler.
pub(crate) const DETACHED: u8 = 16;

/// Per-task data stored inside the task's own allocation (async-task's metadata).
pub(crate) struct TaskMeta {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: TaskId,
    pub(crate) key: AtomicU32,
    pub(crate) flags: AtomicU8,
}

impl TaskMeta {
    pub(crate) fn new(shared: Arc<Shared>, flags: u8) -> TaskMeta {
        TaskMeta {
            shared,
            id: TaskId::next(),
            key: AtomicU32::new(UNREGISTERED),
            flags: AtomicU8::new(flags),
        }
    }

    /// Requests cancellation (`hard`: drop the future even in soft mode) and wakes the task
    /// so that it sees the request. The message, if any, goes to the task's registry entry
    /// (it is rare, so it is kept out of every task's allocation).
    pub(crate) fn cancel(&self, msg: Option<Box<str>>, hard: bool) {
        self.flags
            .fetch_or(if hard { CANCEL | HARD } else { CANCEL }, Ordering::SeqCst);
        let key = self.key.load(Ordering::SeqCst);
        if key == UNREGISTERED {
            // Rule 4: its first run will see the flag. A message must still reach it: attach
            // it to the task's pending `Remote::Spawn`, or, if the loop took that item an
            // instant ago, send it after (found by id).
            if let Some(msg) = msg {
                if let Some(msg) = self.shared.attach_cancel_msg(self.id, msg) {
                    self.shared.push(Remote::Cancel {
                        key: None,
                        id: self.id,
                        msg: Some(msg),
                    });
                }
            }
            return;
        }
        let mut msg = Some(msg);
        context::with_loop_id(self.shared.id, |local| {
            local.request_cancel(Some(key), self.id, msg.take().flatten());
        });
        if let Some(msg) = msg {
            self.shared.push(Remote::Cancel {
                key: Some(key),
                id: self.id,
                msg,
            });
        }
    }
}

pub(crate) type Task = Runnable<TaskMeta>;

/// What the registry knows about a live task, for listing, cancellation and teardown.
pub(crate) struct TaskEntry {
    waker: Waker,
    pub(crate) id: TaskId,
    pub(crate) location: &'static Location<'static>,
    /// Name and cancel message: most tasks have neither, so they live behind one pointer.
    extra: Option<Box<TaskExtra>>,
    pub(crate) started: bool,
    pub(crate) cancelling: bool,
}

#[derive(Default)]
struct TaskExtra {
    name: Option<Box<str>>,
    cancel_msg: Option<Box<str>>,
}

impl TaskEntry {
    pub(crate) fn name(&self) -> Option<&str> {
        self.extra.as_ref()?.name.as_deref()
    }

    fn set_cancel_msg(&mut self, msg: Box<str>) {
        self.extra.get_or_insert_with(Default::default).cancel_msg = Some(msg);
    }
}

/// Name, spawn location and (rarely) an early cancel message of a task, carried from
/// `spawn` to its registration.
pub(crate) struct TaskInit {
    pub(crate) location: &'static Location<'static>,
    pub(crate) name: Option<Box<str>>,
    pub(crate) cancel_msg: Option<Box<str>>,
}

/// A request from another thread, queued in the inbox.
pub(crate) enum Remote {
    Spawn(Task, TaskInit),
    Run(Task),
    /// Wake a task for cancellation; `key` is `None` if the canceller saw it unregistered.
    Cancel {
        key: Option<u32>,
        id: TaskId,
        msg: Option<Box<str>>,
    },
}

struct Inbox {
    closed: bool,
    items: Vec<Remote>,
}

/// The part of a loop that any thread may touch.
pub(crate) struct Shared {
    pub(crate) id: u64,
    pub(crate) host: Arc<dyn Host>,
    inbox: Mutex<Inbox>,
    inbox_flag: AtomicBool,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of tulipa's mutexes leaves consistent data (every critical
    // section is a push, a take or a flag write), so poisoning is ignored.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn new(host: Arc<dyn Host>) -> Arc<Shared> {
        static NEXT_LOOP: AtomicU64 = AtomicU64::new(1);
        Arc::new(Shared {
            id: NEXT_LOOP.fetch_add(1, Ordering::Relaxed),
            host,
            inbox: Mutex::new(Inbox {
                closed: false,
                items: Vec::new(),
            }),
            inbox_flag: AtomicBool::new(false),
        })
    }

    /// Queues `item` for the loop and wakes the host (rule 1). On a closed loop the item is
    /// disposed of here instead (rule 5).
    pub(crate) fn push(&self, item: Remote) {
        let mut inbox = lock(&self.inbox);
        if inbox.closed {
            drop(inbox);
            dispose_closed(item);
            return;
        }
        inbox.items.push(item);
        drop(inbox);
        if !self.inbox_flag.swap(true, Ordering::AcqRel) {
            self.host.wake();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.inbox).closed
    }

    /// Attaches a cancel message to task `id`'s pending spawn, if it is still in the inbox;
    /// gives the message back otherwise.
    fn attach_cancel_msg(&self, id: TaskId, msg: Box<str>) -> Option<Box<str>> {
        let mut inbox = lock(&self.inbox);
        for item in inbox.items.iter_mut() {
            if let Remote::Spawn(task, init) = item {
                if task.metadata().id == id {
                    init.cancel_msg = Some(msg);
                    return None;
                }
            }
        }
        Some(msg)
    }
}

fn dispose_closed(item: Remote) {
    match item {
        Remote::Spawn(task, _) | Remote::Run(task) => {
            if task.metadata().flags.load(Ordering::Relaxed) & LOCAL != 0 {
                // A local task may only be polled or dropped on its loop's thread, which is
                // not this one; rule 5 says there is none left to run. Leaking is the only
                // sound choice if one ever shows up.
                std::mem::forget(task);
            } else {
                run_task(task, true);
            }
        }
        Remote::Cancel { .. } => {}
    }
}

/// The schedule function of every loop task: the loop's queue on its thread, else the inbox.
pub(crate) fn schedule(task: Task) {
    let loop_id = task.metadata().shared.id;
    let mut slot = Some(task);
    context::with_loop_id(loop_id, |local| {
        if let Some(task) = slot.take() {
            local.enqueue(task);
        }
    });
    if let Some(task) = slot {
        let shared = Arc::clone(&task.metadata().shared);
        shared.push(Remote::Run(task));
    }
}

/// Runs one task with the running-task context set; `force_cancel` cancels it regardless of
/// its flags (teardown, closed loops).
pub(crate) fn run_task(task: Task, force_cancel: bool) {
    let meta = task.metadata();
    let flags = meta.flags.load(Ordering::SeqCst);
    let requested = flags & CANCEL != 0;
    let cancel = force_cancel || flags & HARD != 0 || (requested && flags & SOFT == 0);
    let ctx = TaskCtx {
        key: meta.key.load(Ordering::SeqCst),
        loop_id: meta.shared.id,
        cancel,
        cancel_requested: requested,
        detached: flags & DETACHED != 0,
    };
    let prev = context::set_task(ctx);
    crate::coop::with_budget(|| task.run());
    context::restore_task(prev);
}

/// The loop's clock: the host's, or virtual time while paused.
struct Clock {
    /// Virtual "now" while paused.
    paused_at: Cell<Option<u64>>,
    /// Added to the host's time while running (virtual time may have been advanced).
    offset: Cell<i128>,
    auto_advance: Cell<bool>,
    /// The last turn was idle with auto-advance due: the host has had one chance to deliver
    /// I/O; the next idle turn jumps to the next deadline.
    armed: Cell<bool>,
}

/// The part of a loop that only its own thread touches.
pub(crate) struct Local {
    pub(crate) shared: Arc<Shared>,
    pub(crate) queue: RefCell<VecDeque<Task>>,
    pub(crate) tasks: RefCell<Slab<TaskEntry>>,
    pub(crate) timers: RefCell<BTreeMap<(u64, u64), Waker>>,
    timer_seq: Cell<u64>,
    clock: Clock,
    closing: Cell<bool>,
    /// A turn is running: tasks queued now are seen when it ends, so no host wake is needed.
    in_turn: Cell<bool>,
    /// Set when the loop can no longer run tasks (a panic aborted a turn on a target without
    /// unwinding): the message every later spawn or turn reports.
    poisoned: RefCell<Option<String>>,
    /// Tasks polled since the loop was created (a cheap progress counter for hosts and tests).
    pub(crate) polls: Cell<u64>,
    /// The loop's exception handler (`None`: the default one).
    pub(crate) exception_handler: crate::exceptions::Slot,
    /// High-water marks for giving memory back when idle (rule 7).
    pub(crate) trim: crate::trim::Trim,
}

impl Local {
    pub(crate) fn new(host: Arc<dyn Host>) -> Rc<Local> {
        Rc::new(Local {
            shared: Shared::new(host),
            queue: RefCell::new(VecDeque::new()),
            tasks: RefCell::new(Slab::new()),
            timers: RefCell::new(BTreeMap::new()),
            timer_seq: Cell::new(0),
            clock: Clock {
                paused_at: Cell::new(None),
                offset: Cell::new(0),
                auto_advance: Cell::new(false),
                armed: Cell::new(false),
            },
            closing: Cell::new(false),
            in_turn: Cell::new(false),
            poisoned: RefCell::new(None),
            polls: Cell::new(0),
            exception_handler: RefCell::new(None),
            trim: Default::default(),
        })
    }

    // ---- tasks -------------------------------------------------------------------------

    /// Stops the loop for good: later turns do nothing, later spawns panic with `message`.
    /// Used by backends on which a panic cannot unwind (the web).
    #[allow(dead_code)]
    pub(crate) fn poison(&self, message: String) {
        self.poisoned.borrow_mut().get_or_insert(message);
    }

    /// Panics with the poisoning message if the loop was poisoned.
    #[track_caller]
    pub(crate) fn check_poisoned(&self) {
        if let Some(msg) = self.poisoned() {
            panic!("{msg}");
        }
    }

    /// On the hot path (every turn): no clone of the message. A borrow in progress means a
    /// panic is being reported right now, which counts as poisoned.
    fn is_poisoned(&self) -> bool {
        match self.poisoned.try_borrow() {
            Ok(p) => p.is_some(),
            Err(_) => true,
        }
    }

    pub(crate) fn poisoned(&self) -> Option<String> {
        self.poisoned.try_borrow().ok().and_then(|p| p.clone())
    }

    /// Registers a task created on this thread and queues its first run.
    pub(crate) fn register_and_queue(&self, task: Task, init: TaskInit) {
        self.register(&task, init);
        self.enqueue(task);
    }

    /// Queues a task on this (the loop's) thread. Outside a turn (a spawn from `block_on`'s
    /// future, a JS callback waking a task) the host must learn that work is ready.
    pub(crate) fn enqueue(&self, task: Task) {
        self.queue.borrow_mut().push_back(task);
        if !self.in_turn.get() {
            self.shared.host.wake();
        }
    }

    fn register(&self, task: &Task, init: TaskInit) {
        let meta = task.metadata();
        let extra = (init.name.is_some() || init.cancel_msg.is_some()).then(|| {
            Box::new(TaskExtra {
                name: init.name,
                cancel_msg: init.cancel_msg,
            })
        });
        let entry = TaskEntry {
            waker: task.waker(),
            id: meta.id,
            location: init.location,
            extra,
            started: false,
            cancelling: meta.flags.load(Ordering::SeqCst) & CANCEL != 0,
        };
        let key = {
            let mut tasks = self.tasks.borrow_mut();
            let key = tasks.insert(entry);
            self.trim.note_tasks(tasks.len());
            key
        };
        let key = u32::try_from(key).expect("more than 4 billion live tasks on one loop");
        meta.key.store(key, Ordering::SeqCst);
    }

    pub(crate) fn deregister(&self, key: u32) {
        let removed = self.tasks.borrow_mut().try_remove(key as usize);
        drop(removed); // Drops the waker after the borrow ends (rule 3).
    }

    pub(crate) fn mark_started(&self, key: u32) {
        if let Some(e) = self.tasks.borrow_mut().get_mut(key as usize) {
            e.started = true;
        }
    }

    /// Marks task `id` (at `key`, if known) as cancelling, keeps its message, and wakes it.
    fn request_cancel(&self, key: Option<u32>, id: TaskId, msg: Option<Box<str>>) {
        let waker = {
            let mut tasks = self.tasks.borrow_mut();
            let entry = match key {
                // A key is reused after its task ends: check that it is still this task.
                Some(k) => tasks.get_mut(k as usize).filter(|e| e.id == id),
                None => tasks.iter_mut().map(|(_, e)| e).find(|e| e.id == id),
            };
            entry.map(|e| {
                e.cancelling = true;
                if let Some(msg) = msg {
                    e.set_cancel_msg(msg);
                }
                e.waker.clone()
            })
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// The cancel message of the task at `key`, taken for its `Cancelled` outcome.
    pub(crate) fn take_cancel_msg(&self, key: u32) -> Option<Box<str>> {
        let mut tasks = self.tasks.borrow_mut();
        tasks
            .get_mut(key as usize)?
            .extra
            .as_mut()?
            .cancel_msg
            .take()
    }

    pub(crate) fn task_state(&self, e: &TaskEntry, key: usize) -> TaskState {
        let current = context::task();
        if current.loop_id == self.shared.id && current.key as usize == key {
            TaskState::Running
        } else if e.cancelling {
            TaskState::Cancelling
        } else if e.started {
            TaskState::Waiting
        } else {
            TaskState::Pending
        }
    }

    // ---- the turn ------------------------------------------------------------------------

    /// One loop iteration; see [`crate::host::EventLoop::turn`].
    pub(crate) fn turn(&self, budget: usize) -> Turn {
        if self.is_poisoned() {
            return Turn::Idle(None);
        }
        let was_in_turn = self.in_turn.replace(true);
        let turn = self.turn_inner(budget);
        self.trim.note_queue(self.queue.borrow().len());
        if let Turn::Idle(_) = turn {
            self.trim_when_idle();
        }
        self.in_turn.set(was_in_turn);
        turn
    }

    fn turn_inner(&self, budget: usize) -> Turn {
        self.drain_inbox();
        self.fire_due_timers();
        self.trim.note_queue(self.queue.borrow().len());
        let ready = self.queue.borrow().len().min(budget);
        for _ in 0..ready {
            let task = self.queue.borrow_mut().pop_front();
            let Some(task) = task else { break };
            run_task(task, self.closing.get());
        }
        if ready > 0 {
            self.polls.set(self.polls.get() + ready as u64);
            self.clock.armed.set(false);
        }
        if !self.queue.borrow().is_empty() || self.shared.inbox_flag.load(Ordering::Acquire) {
            return Turn::Busy;
        }
        let next = self.next_deadline();
        match (self.clock.paused_at.get(), next) {
            (None, next) => Turn::Idle(next.map(|d| self.to_host_time(d))),
            (Some(now), Some(deadline)) if self.clock.auto_advance.get() => {
                if self.clock.armed.replace(false) {
                    self.clock.paused_at.set(Some(now.max(deadline.as_nanos())));
                    Turn::Busy
                } else {
                    self.clock.armed.set(true);
                    Turn::Idle(Some(self.shared.host.now()))
                }
            }
            (Some(_), _) => Turn::Idle(None),
        }
    }

    #[allow(dead_code)] // used by the native host; the web host never blocks
    pub(crate) fn has_ready_work(&self) -> bool {
        !self.queue.borrow().is_empty() || self.shared.inbox_flag.load(Ordering::SeqCst)
    }

    fn drain_inbox(&self) {
        // A plain load first: most turns find the inbox empty and need no read-modify-write.
        if !self.shared.inbox_flag.load(Ordering::Acquire)
            || !self.shared.inbox_flag.swap(false, Ordering::AcqRel)
        {
            return;
        }
        let items = std::mem::take(&mut lock(&self.shared.inbox).items);
        for item in items {
            match item {
                Remote::Spawn(task, init) => self.register_and_queue(task, init),
                Remote::Run(task) => self.queue.borrow_mut().push_back(task),
                Remote::Cancel { key, id, msg } => self.request_cancel(key, id, msg),
            }
        }
    }

    // ---- time ----------------------------------------------------------------------------

    pub(crate) fn now(&self) -> Instant {
        match self.clock.paused_at.get() {
            Some(v) => Instant::from_nanos(v),
            None => {
                let host = self.shared.host.now().as_nanos() as i128;
                Instant::from_nanos(
                    (host + self.clock.offset.get()).clamp(0, u64::MAX as i128) as u64
                )
            }
        }
    }

    fn to_host_time(&self, t: Instant) -> Instant {
        let v = t.as_nanos() as i128 - self.clock.offset.get();
        Instant::from_nanos(v.clamp(0, u64::MAX as i128) as u64)
    }

    pub(crate) fn pause(&self, auto_advance: bool) {
        if self.clock.paused_at.get().is_none() {
            self.clock.paused_at.set(Some(self.now().as_nanos()));
        }
        self.clock.auto_advance.set(auto_advance);
        self.clock.armed.set(false);
    }

    pub(crate) fn resume(&self) {
        if let Some(v) = self.clock.paused_at.take() {
            let host = self.shared.host.now().as_nanos() as i128;
            self.clock.offset.set(v as i128 - host);
        }
        self.shared.host.wake();
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.clock.paused_at.get().is_some()
    }

    /// Moves virtual time forward; returns false if the clock is not paused.
    pub(crate) fn advance(&self, by: std::time::Duration) -> bool {
        let Some(v) = self.clock.paused_at.get() else {
            return false;
        };
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.clock.paused_at.set(Some(v.saturating_add(by)));
        self.shared.host.wake();
        true
    }

    /// Adds a timer; returns its key for `remove_timer` / `update_timer`.
    pub(crate) fn add_timer(&self, deadline: Instant, waker: Waker) -> (u64, u64) {
        let seq = self.timer_seq.get();
        self.timer_seq.set(seq + 1);
        let key = (deadline.as_nanos(), seq);
        let earliest = self.timers.borrow().keys().next().is_none_or(|k| key < *k);
        self.timers.borrow_mut().insert(key, waker);
        if earliest && !self.in_turn.get() {
            // Added outside a turn (a turn reports the new deadline when it ends): the host
            // must learn of the earlier deadline.
            self.shared.host.wake();
        }
        key
    }

    /// Replaces the waker of a timer if it would wake a different task.
    pub(crate) fn update_timer(&self, key: (u64, u64), waker: &Waker) -> bool {
        let mut timers = self.timers.borrow_mut();
        match timers.get_mut(&key) {
            Some(w) => {
                if !w.will_wake(waker) {
                    let old = std::mem::replace(w, waker.clone());
                    drop(timers);
                    drop(old);
                }
                true
            }
            None => false,
        }
    }

    pub(crate) fn remove_timer(&self, key: (u64, u64)) {
        let removed = self.timers.borrow_mut().remove(&key);
        drop(removed);
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.timers
            .borrow()
            .keys()
            .next()
            .map(|k| Instant::from_nanos(k.0))
    }

    pub(crate) fn fire_due_timers(&self) {
        // Most turns of a busy loop have no timer at all: don't even read the clock.
        if self.timers.borrow().is_empty() {
            return;
        }
        let now = self.now().as_nanos();
        loop {
            // Pop in small batches so no borrow is held while waking (rule 3).
            let mut due: [Option<Waker>; 32] = Default::default();
            let mut n = 0;
            {
                let mut timers = self.timers.borrow_mut();
                while n < due.len() {
                    match timers.first_entry() {
                        Some(e) if e.key().0 <= now => {
                            due[n] = Some(e.remove());
                            n += 1;
                        }
                        _ => break,
                    }
                }
            }
            for w in due.iter_mut().take(n) {
                if let Some(w) = w.take() {
                    w.wake();
                }
            }
            if n < due.len() {
                break;
            }
        }
    }

    // ---- teardown ------------------------------------------------------------------------

    /// Cancels and drops every task, timer and queued item of this loop (rule 5).
    pub(crate) fn shutdown(self: &Rc<Self>) {
        if self.closing.replace(true) {
            return;
        }
        let _enter = context::enter(Rc::clone(self));
        let mut items = {
            let mut inbox = lock(&self.shared.inbox);
            inbox.closed = true;
            std::mem::take(&mut inbox.items)
        };
        self.shared.inbox_flag.store(false, Ordering::Release);
        // Each round cancels what is registered and queued; dropping futures may spawn or
        // wake more, so repeat until a round finds nothing. The bound only guards against a
        // Drop impl that spawns a new task every time it runs.
        for _round in 0..1000 {
            for item in items.drain(..) {
                match item {
                    Remote::Spawn(task, init) => self.register_and_queue(task, init),
                    Remote::Run(task) => self.queue.borrow_mut().push_back(task),
                    Remote::Cancel { .. } => {}
                }
            }
            let wakers: Vec<Waker> = self
                .tasks
                .borrow_mut()
                .iter_mut()
                .map(|(_, e)| {
                    e.cancelling = true;
                    e.waker.clone()
                })
                .collect();
            wakers.into_iter().for_each(Waker::wake);
            let timers = std::mem::take(&mut *self.timers.borrow_mut());
            drop(timers);
            let mut ran = false;
            loop {
                let task = self.queue.borrow_mut().pop_front();
                let Some(task) = task else { break };
                ran = true;
                run_task(task, true);
            }
            if !ran && self.tasks.borrow().is_empty() && self.timers.borrow().is_empty() {
                break;
            }
        }
        // Whatever is left (a task that keeps itself alive through its own Drop) is let go.
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        drop(tasks);
    }
}
