//! Counting wakers for the loom models (`#[path = "support/loom_waker.rs"] mod loom_waker;`),
//! in place of `Waker::noop()` and loom's own `block_on` waker, so that a model can see what a
//! primitive does with the wakers it is given:
//!
//! * every drop and wake checks that the current loom thread holds none of tulipa's
//!   primitive locks (`tulipa::__loom::locks_held()`, counted by the library under
//!   `--cfg loom` only): a waker dropped or woken under a primitive's lock can run an
//!   executor's code there, and deadlock (the waitlist's rule 5). A violation fails the
//!   model, with a backtrace of where it happened;
//! * every clone, drop and wake is counted: [`assert_released`], which each model calls once
//!   its threads are joined and its futures dropped, fails if a waker is still alive (a
//!   primitive kept the waker of a future that is gone) or if a [`block_on`] that parked was
//!   never woken, and [`model`] checks the same again once the model's values are dropped (a
//!   leaked waker).
//!
//! Clones are counted but not checked against the lock: the primitives clone a polling
//! task's waker into their wait lists under the lock, which is allowed (a clone cannot
//! release a task; rule 5 is about drops and wakes).

#![allow(dead_code, reason = "each model binary uses some of these helpers")]
#![allow(
    unsafe_code,
    reason = "a waker that counts clones and drops needs a RawWakerVTable"
)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// What the wakers of one family (one [`poll_once`], or one [`block_on`]) went through. The
/// counters are std atomics, not loom's: they add no interleavings for loom to explore (all
/// the loom threads of a model run on the one OS thread that runs the model, so they see
/// each other's updates in order).
#[derive(Default)]
struct Counts {
    /// Wakers of the family alive now: the first one, plus clones, minus drops (a wake by
    /// value is also a drop).
    live: AtomicUsize,
    clones: AtomicUsize,
    drops: AtomicUsize,
    /// `wake` and `wake_by_ref` calls.
    wakes: AtomicUsize,
    /// Polls of the family's future that returned `Pending`.
    pendings: AtomicUsize,
}

/// The data behind each waker of a family: its counts and, for a [`block_on`], the loom
/// `Notify` its thread parks on.
struct Family {
    counts: Counts,
    notify: Option<loom::sync::Notify>,
    /// Where the family was made, for the failure messages.
    made_at: &'static std::panic::Location<'static>,
    what: &'static str,
}

/// What the current execution's counting wakers saw, checked by [`model`] at its end.
#[derive(Default)]
struct Ledger {
    families: Vec<Arc<Family>>,
    /// The first drop or wake under a primitive lock: what, and where (a backtrace).
    violation: Option<String>,
}

std::thread_local! {
    /// The current execution's ledger. An OS thread-local is the right scope: loom runs all
    /// the threads of an execution as coroutines on the OS thread that called `model`, and
    /// parallel test threads run other models. `None` outside [`model`], where making a
    /// counting waker panics.
    static LEDGER: RefCell<Option<Ledger>> = const { RefCell::new(None) };
}

impl Family {
    #[track_caller]
    fn new(what: &'static str, notify: Option<loom::sync::Notify>) -> Arc<Family> {
        let family = Arc::new(Family {
            counts: Counts::default(),
            notify,
            made_at: std::panic::Location::caller(),
            what,
        });
        LEDGER.with(|l| {
            l.borrow_mut()
                .as_mut()
                .expect(
                    "counting wakers are made inside loom_waker::model (or the loom threads of \
                     a model are not all on its OS thread)",
                )
                .families
                .push(family.clone())
        });
        family
    }

    /// The family's first waker.
    fn waker(self: &Arc<Self>) -> Waker {
        self.counts.live.fetch_add(1, Relaxed);
        let data = Arc::into_raw(self.clone()).cast::<()>();
        // SAFETY: `data` comes from `Arc::into_raw` of a `Family`, and `VTABLE`'s functions
        // treat it as exactly that: one strong count per waker, given back by `drop_waker`
        // or `wake`.
        unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
    }

    /// Records a violation, failing the model at the end of the execution, if the current
    /// loom thread holds a tulipa primitive lock while a waker of this family is dropped or
    /// woken. Not a panic here: unwinding out of the primitive's critical section would
    /// poison loom's mutex, whose next lock (in the future's destructor) panics again and
    /// aborts the whole test binary.
    fn check_no_lock_held(&self, op: &str) {
        let held = tulipa::__loom::locks_held();
        if held == 0 {
            return;
        }
        LEDGER.with(|l| {
            let mut l = l.borrow_mut();
            let Some(ledger) = l.as_mut() else { return };
            ledger.violation.get_or_insert_with(|| {
                format!(
                    "a waker (the {} made at {}) was {op} while the current thread held {held} \
                     tulipa primitive lock(s): with an executor whose waker owns its task, that \
                     runs the task's destructors or wakeup under the lock, which can re-enter \
                     the primitive and deadlock (rule 5 of src/waitlist.rs). Where:\n{}",
                    self.what,
                    self.made_at,
                    std::backtrace::Backtrace::force_capture()
                )
            });
        });
    }

    fn wake(&self) {
        self.counts.wakes.fetch_add(1, Relaxed);
        if let Some(n) = &self.notify {
            n.notify();
        }
    }
}

// The vtable's functions. Each has the contract of its `RawWakerVTable` slot: `data` is the
// data pointer of a live waker of ours (made by `Family::waker` or cloned from one), and
// `wake` and `drop_waker` consume that waker.

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// The family behind a waker's data pointer, without taking over its strong count.
///
/// # Safety
///
/// `data` is the data pointer of a live waker made by [`Family::waker`] (or cloned from one).
unsafe fn family<'a>(data: *const ()) -> &'a Family {
    // SAFETY: per this function's contract, `data` is an `Arc<Family>` pointer whose strong
    // count the waker holds, so the `Family` lives at least as long as the waker.
    unsafe { &*data.cast::<Family>() }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the standard library calls this with the data pointer of a live waker of ours.
    let f = unsafe { family(data) };
    f.counts.live.fetch_add(1, Relaxed);
    f.counts.clones.fetch_add(1, Relaxed);
    // SAFETY: `data` is a live `Arc<Family>` pointer (see above); the new waker owns the
    // strong count added here.
    unsafe { Arc::increment_strong_count(data.cast::<Family>()) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: called with the data pointer of a live waker of ours, which it consumes.
    let f = unsafe { family(data) };
    f.check_no_lock_held("woken");
    f.wake();
    // SAFETY: a wake by value consumes the waker, and with it the waker's strong count.
    unsafe { drop_waker_unchecked(data) };
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: called with the data pointer of a live waker of ours.
    let f = unsafe { family(data) };
    f.check_no_lock_held("woken");
    f.wake();
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: called with the data pointer of a live waker of ours, which it consumes.
    let f = unsafe { family(data) };
    f.check_no_lock_held("dropped");
    // SAFETY: as above; the waker's strong count is given back here.
    unsafe { drop_waker_unchecked(data) };
}

/// Counts the drop and gives back the waker's strong count.
///
/// # Safety
///
/// `data` is the data pointer of a live waker of ours, which is gone afterwards.
unsafe fn drop_waker_unchecked(data: *const ()) {
    // SAFETY: per the contract, the waker is live (so is its family) until the count goes.
    let f = unsafe { family(data) };
    f.counts.live.fetch_sub(1, Relaxed);
    f.counts.drops.fetch_add(1, Relaxed);
    // SAFETY: `data` came from `Arc::into_raw` (or a clone's increment), and this waker's
    // strong count is released exactly once, here.
    unsafe { Arc::decrement_strong_count(data.cast::<Family>()) };
}

/// Polls `f` once with a fresh counting waker, as a task would before being cancelled; the
/// waker's clones must all be gone by the end of the model.
#[track_caller]
pub fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let family = Family::new("poll_once waker", None);
    let waker = family.waker();
    let out = Pin::new(f).poll(&mut Context::from_waker(&waker));
    if out.is_pending() {
        family.counts.pendings.fetch_add(1, Relaxed);
    }
    out
}

/// Blocks the current loom thread on `f`, as `loom::future::block_on` does (parking on a
/// loom `Notify`, so that a lost wakeup is a loom deadlock), with a counting waker: if `f`
/// ever returns `Pending`, the model checks that the waker was woken.
///
/// loom's own waker is a loom `Arc`, whose every clone and drop is a loom operation, a point
/// where loom tries switching threads; this waker's counts are not, so a model explores far
/// fewer executions (the points that remain are the primitives' own: their mutex and atomics,
/// and the `Notify`). The executions dropped differ only in where a thread switch falls
/// between two of those points, which no other thread can observe.
#[track_caller]
pub fn block_on<F: Future>(f: F) -> F::Output {
    let family = Family::new("block_on waker", Some(loom::sync::Notify::new()));
    let waker = family.waker();
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        family.counts.pendings.fetch_add(1, Relaxed);
        family.notify.as_ref().expect("made with one").wait();
    }
}

/// Fails the model if a waker was dropped or woken under a primitive lock so far in this
/// execution, or if a waker made in it is still alive: call it once every thread is joined
/// and every future dropped, while the primitives are still alive, to check that none of
/// them kept a waker of a future that is gone; and that every [`block_on`] that parked was
/// woken. [`model`] calls it again once the model's values are dropped (a waker leaked).
#[track_caller]
pub fn assert_released() {
    LEDGER.with(|l| {
        check_ledger(
            l.borrow().as_ref().expect("inside loom_waker::model"),
            "now",
        )
    });
}

#[track_caller]
fn check_ledger(ledger: &Ledger, when: &str) {
    if let Some(v) = &ledger.violation {
        panic!("{v}");
    }
    for f in &ledger.families {
        let c = &f.counts;
        let (live, clones, drops) = (
            c.live.load(Relaxed),
            c.clones.load(Relaxed),
            c.drops.load(Relaxed),
        );
        assert_eq!(
            live, 0,
            "{live} waker(s) of the {} made at {} still alive {when} ({clones} clones, \
             {drops} drops): a primitive kept a waker of a future that is gone, or leaked it",
            f.what, f.made_at
        );
        if f.notify.is_some() && c.pendings.load(Relaxed) > 0 {
            assert!(
                c.wakes.load(Relaxed) > 0,
                "the {} made at {} parked and completed without being woken",
                f.what,
                f.made_at
            );
        }
    }
}

/// Explores every interleaving of `f` with loom (unless `LOOM_MAX_PREEMPTIONS` bounds them),
/// checking the counting wakers at the end of each execution.
#[track_caller]
pub fn model(f: impl Fn() + Sync + Send + 'static) {
    check(loom::model::Builder::new(), f);
}

/// As [`model`], with at most `bound` preemptions: for the models with three threads that
/// each block, whose exhaustive run is long.
#[track_caller]
pub fn model_bounded(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    check(b, f);
}

/// Runs the model, checking every execution's counting wakers once its threads are done
/// and its values dropped, and prints how many executions it took and how long.
fn check(b: loom::model::Builder, f: impl Fn() + Sync + Send + 'static) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let start = std::time::Instant::now();
    b.check(move || {
        counted.fetch_add(1, Relaxed);
        LEDGER.with(|l| *l.borrow_mut() = Some(Ledger::default()));
        f();
        let ledger = LEDGER.with(|l| l.borrow_mut().take()).expect("set above");
        check_ledger(&ledger, "at the end of the model");
    });
    eprintln!(
        "{}: {} executions in {:?}",
        std::thread::current().name().unwrap_or("model"),
        runs.load(Relaxed),
        start.elapsed()
    );
}
