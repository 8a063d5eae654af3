//! asyncio's loop exception handler: where a loop reports errors that no caller can receive.
//!
//! Some failures happen where nobody awaits: an accept loop that ran out of descriptors, a
//! task that panicked after its handle was detached, a `call_soon` callback that panicked.
//! The loop hands each one, as an [`ExceptionContext`], to its exception handler: by default
//! [`default_exception_handler`], which prints it (stderr natively, `console.error` in the
//! browser); [`set_exception_handler`] replaces it for the running loop, as asyncio's
//! `loop.set_exception_handler` does.
//!
//! A handler that panics does not take the loop down: the panic and the original context
//! both go to the default handler.

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::rc::Rc;

use crate::context;

/// The loop's exception handler.
pub(crate) type Handler = Rc<dyn Fn(&ExceptionContext)>;

/// What went wrong, for the loop's exception handler (asyncio's context dict).
///
/// ```
/// let ctx = tulipa::ExceptionContext::new("cache refresh failed")
///     .with_error(std::io::Error::from(std::io::ErrorKind::TimedOut))
///     .with_task("refresher");
/// assert_eq!(ctx.message(), "cache refresh failed");
/// assert_eq!(ctx.task_name(), Some("refresher"));
/// assert!(ctx.to_string().contains("timed out"));
/// ```
#[derive(Debug)]
pub struct ExceptionContext {
    message: String,
    error: Option<Box<dyn Error + 'static>>,
    task: Option<String>,
    spawned_at: Option<&'static Location<'static>>,
}

impl ExceptionContext {
    /// A context with a message saying what failed.
    ///
    /// ```
    /// let ctx = tulipa::ExceptionContext::new("worker stopped");
    /// assert!(ctx.error().is_none());
    /// ```
    pub fn new(message: impl Into<String>) -> ExceptionContext {
        ExceptionContext {
            message: message.into(),
            error: None,
            task: None,
            spawned_at: None,
        }
    }

    /// Attaches the error (asyncio's `exception` key).
    ///
    /// ```
    /// use std::io;
    /// let ctx = tulipa::ExceptionContext::new("accept failed")
    ///     .with_error(io::Error::from_raw_os_error(24));
    /// let e = ctx.error().unwrap().downcast_ref::<io::Error>().unwrap();
    /// assert_eq!(e.raw_os_error(), Some(24));
    /// ```
    pub fn with_error(mut self, error: impl Error + 'static) -> ExceptionContext {
        self.error = Some(Box::new(error));
        self
    }

    /// Names the task concerned (asyncio's `task` key).
    ///
    /// ```
    /// let ctx = tulipa::ExceptionContext::new("gave up").with_task("poller");
    /// assert_eq!(ctx.task_name(), Some("poller"));
    /// ```
    pub fn with_task(mut self, name: impl Into<String>) -> ExceptionContext {
        self.task = Some(name.into());
        self
    }

    pub(crate) fn with_spawned_at(mut self, at: Option<&'static Location<'static>>) -> Self {
        self.spawned_at = at;
        self
    }

    /// What failed.
    ///
    /// ```
    /// assert_eq!(tulipa::ExceptionContext::new("x").message(), "x");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error, if there is one; downcast it to the concrete type (an `io::Error` for
    /// socket failures, a [`JoinError`](crate::JoinError) for a task's panic).
    ///
    /// ```
    /// let ctx = tulipa::ExceptionContext::new("x").with_error(std::fmt::Error);
    /// assert!(ctx.error().unwrap().is::<std::fmt::Error>());
    /// ```
    pub fn error(&self) -> Option<&(dyn Error + 'static)> {
        self.error.as_deref()
    }

    /// The name of the task concerned, if any.
    ///
    /// ```
    /// assert_eq!(tulipa::ExceptionContext::new("x").task_name(), None);
    /// ```
    pub fn task_name(&self) -> Option<&str> {
        self.task.as_deref()
    }

    /// Where the task concerned was spawned, when the loop knows.
    ///
    /// ```
    /// assert!(tulipa::ExceptionContext::new("x").spawned_at().is_none());
    /// ```
    pub fn spawned_at(&self) -> Option<&'static Location<'static>> {
        self.spawned_at
    }
}

/// The default handler's text: message, error, task and spawn location.
impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(e) = &self.error {
            write!(f, ": {e}")?;
        }
        if let Some(t) = &self.task {
            write!(f, " (task {t}")?;
            if let Some(at) = self.spawned_at {
                write!(f, ", spawned at {at}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Sets the running loop's exception handler (asyncio's `loop.set_exception_handler`). It is
/// called on the loop's thread with every error the loop cannot hand to a caller; it may call
/// [`default_exception_handler`] itself to keep the default report.
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// tulipa::run(async {
///     let seen = Rc::new(RefCell::new(Vec::new()));
///     let log = seen.clone();
///     tulipa::set_exception_handler(move |ctx| log.borrow_mut().push(ctx.message().to_owned()));
///     tulipa::call_exception_handler(tulipa::ExceptionContext::new("lost a worker"));
///     assert_eq!(*seen.borrow(), ["lost a worker"]);
/// });
/// ```
pub fn set_exception_handler(handler: impl Fn(&ExceptionContext) + 'static) {
    *context::current_loop().exception_handler.borrow_mut() = Some(Rc::new(handler));
}

/// Puts the default handler back for the running loop (asyncio's
/// `loop.set_exception_handler(None)`).
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// tulipa::run(async {
///     tulipa::set_exception_handler(|_| panic!("not called"));
///     tulipa::reset_exception_handler();
///     tulipa::call_exception_handler(tulipa::ExceptionContext::new("printed to stderr"));
/// });
/// ```
pub fn reset_exception_handler() {
    *context::current_loop().exception_handler.borrow_mut() = None;
}

/// Reports `ctx` to the running loop's exception handler (asyncio's
/// `loop.call_exception_handler`); outside a loop, to [`default_exception_handler`].
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// tulipa::run(async {
///     let calls = Rc::new(Cell::new(0));
///     let c = calls.clone();
///     tulipa::set_exception_handler(move |_| c.set(c.get() + 1));
///     tulipa::call_exception_handler(tulipa::ExceptionContext::new("one"));
///     tulipa::call_exception_handler(tulipa::ExceptionContext::new("two"));
///     assert_eq!(calls.get(), 2);
/// });
/// ```
pub fn call_exception_handler(ctx: ExceptionContext) {
    let handler = context::try_with_loop(|l| l.exception_handler.borrow().clone()).flatten();
    dispatch(handler, &ctx);
}

/// Calls `handler` (or the default) with `ctx`; a panicking handler is reported through the
/// default handler together with `ctx`.
pub(crate) fn dispatch(handler: Option<Handler>, ctx: &ExceptionContext) {
    let Some(handler) = handler else {
        return default_exception_handler(ctx);
    };
    if let Err(p) = catch_unwind(AssertUnwindSafe(|| handler(ctx))) {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "Box<dyn Any>".to_owned());
        default_exception_handler(&ExceptionContext::new(format!(
            "the exception handler panicked ({why}) while handling: {ctx}"
        )));
    }
}

/// The default exception handler: prints `ctx` (stderr natively, `console.error` in the
/// browser), prefixed with `tulipa:`.
///
/// ```
/// tulipa::default_exception_handler(&tulipa::ExceptionContext::new("just a report"));
/// ```
pub fn default_exception_handler(ctx: &ExceptionContext) {
    crate::sys::print_error(&format!("tulipa: {ctx}"));
}

/// A loop's handler slot.
pub(crate) type Slot = RefCell<Option<Handler>>;
