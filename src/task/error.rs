//! How a task can fail to produce its value.

use std::any::Any;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::context;

/// Why awaiting a [`crate::JoinHandle`] gave no value.
///
/// ```
/// tulipa::run(async {
///     let t = tulipa::spawn(tulipa::sleep(std::time::Duration::MAX));
///     t.cancel_with("shutting down");
///     match t.await {
///         Err(tulipa::JoinError::Cancelled(c)) => assert_eq!(c.message(), Some("shutting down")),
///         other => panic!("unexpected {other:?}"),
///     }
/// });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum JoinError {
    /// The task was cancelled: through its handle, by dropping the handle's owner's scope, or
    /// because its loop was dropped while the task was still pending.
    Cancelled(Cancelled),
    /// The task's future panicked. The loop and every other task carry on (natively).
    Panicked(Panicked),
}

impl JoinError {
    pub(crate) fn cancelled(message: Option<Box<str>>) -> JoinError {
        JoinError::Cancelled(Cancelled::new(message))
    }

    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the blocking pool's
    pub(crate) fn panicked(payload: Box<dyn Any + Send>) -> JoinError {
        JoinError::Panicked(Panicked::from_payload(payload))
    }

    /// Whether the task was cancelled.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(std::future::pending::<()>());
    ///     t.cancel();
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled(_))
    }

    /// Whether the task panicked.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(async { panic!("boom") });
    ///     assert!(t.await.unwrap_err().is_panic());
    /// });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panicked(_))
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled(c) => c.fmt(f),
            JoinError::Panicked(p) => p.fmt(f),
        }
    }
}

impl std::error::Error for JoinError {}

/// A task ended by cancellation, with the message given to
/// [`crate::JoinHandle::cancel_with`], if any.
///
/// ```
/// tulipa::run(async {
///     let t = tulipa::spawn(std::future::pending::<()>());
///     t.cancel();
///     let tulipa::JoinError::Cancelled(c) = t.await.unwrap_err() else { unreachable!() };
///     assert_eq!(c.message(), None);
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cancelled {
    message: Option<Box<str>>,
}

impl Cancelled {
    pub(crate) fn new(message: Option<Box<str>>) -> Cancelled {
        Cancelled { message }
    }

    /// The cancellation message, if one was given.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(std::future::pending::<()>());
    ///     t.cancel_with("bye");
    ///     let tulipa::JoinError::Cancelled(c) = t.await.unwrap_err() else { unreachable!() };
    ///     assert_eq!(c.message(), Some("bye"));
    /// });
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "task was cancelled: {m}"),
            None => f.write_str("task was cancelled"),
        }
    }
}

impl std::error::Error for Cancelled {}

/// A task ended by a panic: the panic's message, the task's name and where it was spawned.
///
/// ```
/// tulipa::run(async {
///     let t = tulipa::task::Builder::new().name("parser").spawn(async { panic!("bad byte") });
///     let tulipa::JoinError::Panicked(p) = t.await.unwrap_err() else { unreachable!() };
///     assert_eq!(p.message(), "bad byte");
///     assert_eq!(p.task_name(), "parser");
/// });
/// ```
#[derive(Debug)]
pub struct Panicked {
    // Boxed: a task's output slot holds a `Result<T, JoinError>`, so `JoinError` is kept to
    // small to keep every task small; panics are rare.
    inner: Box<PanicDetails>,
}

#[derive(Debug)]
struct PanicDetails {
    message: String,
    task: String,
    location: Option<&'static Location<'static>>,
    // A Mutex makes the error `Sync` although the payload is only `Send`.
    payload: Mutex<Box<dyn Any + Send>>,
    /// Already given to the loop's exception handler (the task's handle was detached).
    reported: AtomicBool,
    /// The panic came from dropping the task's future (or its unreceived value), not from
    /// polling it.
    in_drop: bool,
}

impl Panicked {
    /// The running task's panic, from its payload: the message, and the task's name and spawn
    /// location from the registry.
    pub(crate) fn from_payload(payload: Box<dyn Any + Send>) -> Panicked {
        Panicked::new(payload, false)
    }

    /// The running task's panic from dropping its future: the same, marked as a drop's.
    pub(crate) fn from_drop_payload(payload: Box<dyn Any + Send>) -> Panicked {
        Panicked::new(payload, true)
    }

    fn new(payload: Box<dyn Any + Send>, in_drop: bool) -> Panicked {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "Box<dyn Any>".to_owned()
        };
        let ctx = context::task();
        // `try_borrow`: a future dropped while the registry is borrowed (which rule 3 of the
        // scheduler forbids) must still be reported rather than panic again.
        let (task, location) = context::with_loop_id(ctx.loop_id, |local| {
            local
                .tasks
                .try_borrow()
                .ok()?
                .get(ctx.key as usize)
                .map(|e| {
                    let name = e
                        .name()
                        .map_or_else(|| super::default_name(e.id), str::to_owned);
                    (name, Some(e.location))
                })
        })
        .flatten()
        .unwrap_or_else(|| ("<unknown task>".to_owned(), None));
        Panicked {
            inner: Box::new(PanicDetails {
                message,
                task,
                location,
                payload: Mutex::new(payload),
                reported: AtomicBool::new(false),
                in_drop,
            }),
        }
    }

    /// Hands the panic to the current loop's exception handler, once: nothing awaits the
    /// task (its handle was detached or dropped), so nobody else would see it.
    pub(crate) fn report_unobserved(&self) {
        if self.inner.reported.swap(true, Ordering::SeqCst) {
            return;
        }
        let d = &self.inner;
        let what = if d.in_drop {
            "a task's future or value panicked while being dropped, and nothing awaits the task"
        } else {
            "a detached task panicked, and nothing awaits it"
        };
        crate::exceptions::call_exception_handler(
            crate::ExceptionContext::new(format!("{what}: {}", d.message))
                .with_task(d.task.clone())
                .with_spawned_at(d.location),
        );
    }

    /// The panic message (the payload if it was a string).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(async { panic!("at {}", 3) });
    ///     let tulipa::JoinError::Panicked(p) = t.await.unwrap_err() else { unreachable!() };
    ///     assert_eq!(p.message(), "at 3");
    /// });
    /// ```
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The name of the task that panicked.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(async { panic!() });
    ///     let tulipa::JoinError::Panicked(p) = t.await.unwrap_err() else { unreachable!() };
    ///     assert!(p.task_name().starts_with("Task-"));
    /// });
    /// ```
    pub fn task_name(&self) -> &str {
        &self.inner.task
    }

    /// Where the task that panicked was spawned.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(async { panic!() });
    ///     let tulipa::JoinError::Panicked(p) = t.await.unwrap_err() else { unreachable!() };
    ///     assert!(p.spawned_at().is_some());
    /// });
    /// ```
    pub fn spawned_at(&self) -> Option<&'static Location<'static>> {
        self.inner.location
    }

    /// Takes the panic payload, to re-raise it with `std::panic::resume_unwind`.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(async { std::panic::panic_any(7_u32) });
    ///     let tulipa::JoinError::Panicked(p) = t.await.unwrap_err() else { unreachable!() };
    ///     assert_eq!(p.into_payload().downcast_ref::<u32>(), Some(&7));
    /// });
    /// ```
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.inner
            .payload
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.inner;
        write!(f, "task '{}'", d.task)?;
        if let Some(l) = d.location {
            write!(f, " (spawned at {l})")?;
        }
        let when = if d.in_drop {
            " while being dropped"
        } else {
            ""
        };
        write!(f, " panicked{when}: {}", d.message)
    }
}

impl std::error::Error for Panicked {}

// Every task's output slot holds a `Result<T, JoinError>`: keep the error three words.
const _: () = assert!(std::mem::size_of::<JoinError>() <= 24);
