//! How a task group fails: [`Failure`] and [`TaskGroupError`] (asyncio's `ExceptionGroup`).

use std::fmt;

use crate::task::{Cancelled, Panicked};

/// One failure in a task group: a member or the body returned `Err`, or panicked.
///
/// ```
/// use tulipa::Failure;
/// tulipa::run(async {
///     let err = tulipa::task_group(|tg| async move {
///         tg.spawn(async { Err::<(), _>(7) });
///         Ok(())
///     }).await.unwrap_err();
///     assert!(matches!(err.failures(), [Failure::Error(7)]));
/// });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure<E> {
    /// A member or the body returned `Err`.
    Error(E),
    /// A member or the body panicked (natively; on the web a panic aborts).
    Panicked(Panicked),
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => e.fmt(f),
            Failure::Panicked(p) => p.fmt(f),
        }
    }
}

/// Why a task group gave no value (asyncio's `ExceptionGroup`, or `CancelledError`).
///
/// ```
/// tulipa::run(async {
///     let err = tulipa::task_group(|tg| async move {
///         tg.spawn(async { Err::<(), _>("a") });
///         tg.spawn(async { Err::<(), _>("b") });
///         Ok(())
///     }).await.unwrap_err();
///     assert_eq!(err.errors().copied().collect::<Vec<_>>(), ["a", "b"]);
///     assert_eq!(err.to_string(), "task group failed (2 failures): a; b");
/// });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum TaskGroupError<E> {
    /// One or more members, or the body, failed: every failure, in the order the group saw
    /// them. The other members were cancelled and awaited.
    Failed(Vec<Failure<E>>),
    /// The group was cancelled ([`TaskGroup::cancel`](super::TaskGroup::cancel), or a soft cancel of the task running
    /// it) and nothing failed.
    Cancelled(Cancelled),
}

impl<E> TaskGroupError<E> {
    /// Every failure, in order (empty if the group was cancelled).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let err = tulipa::task_group(|_tg| async { Err::<(), _>("body failed") }).await.unwrap_err();
    ///     assert_eq!(err.failures().len(), 1);
    /// });
    /// ```
    pub fn failures(&self) -> &[Failure<E>] {
        match self {
            TaskGroupError::Failed(f) => f,
            TaskGroupError::Cancelled(_) => &[],
        }
    }

    /// The failures that were `Err`s (not panics), in order.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let err = tulipa::task_group(|_tg| async { Err::<(), _>(3) }).await.unwrap_err();
    ///     assert_eq!(err.errors().collect::<Vec<_>>(), [&3]);
    /// });
    /// ```
    pub fn errors(&self) -> impl Iterator<Item = &E> {
        self.failures().iter().filter_map(|f| match f {
            Failure::Error(e) => Some(e),
            Failure::Panicked(_) => None,
        })
    }

    /// The failures that were panics, in order.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let err = tulipa::task_group(|tg| async move {
    ///         tg.spawn(async { panic!("member blew up"); #[allow(unreachable_code)] Ok(()) });
    ///         Ok::<(), ()>(())
    ///     }).await.unwrap_err();
    ///     assert_eq!(err.panics().next().unwrap().message(), "member blew up");
    /// });
    /// ```
    pub fn panics(&self) -> impl Iterator<Item = &Panicked> {
        self.failures().iter().filter_map(|f| match f {
            Failure::Panicked(p) => Some(p),
            Failure::Error(_) => None,
        })
    }

    /// Whether the group was cancelled without a failure.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let err = tulipa::task_group(|tg| async move {
    ///         tg.cancel();
    ///         std::future::pending::<Result<(), ()>>().await
    ///     }).await.unwrap_err();
    ///     assert!(err.is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskGroupError::Cancelled(_))
    }

    /// The failures, by value.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let err = tulipa::task_group(|_tg| async { Err::<(), _>(String::from("x")) })
    ///         .await.unwrap_err();
    ///     assert!(matches!(&err.into_failures()[..], [tulipa::Failure::Error(s)] if s == "x"));
    /// });
    /// ```
    pub fn into_failures(self) -> Vec<Failure<E>> {
        match self {
            TaskGroupError::Failed(f) => f,
            TaskGroupError::Cancelled(_) => Vec::new(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskGroupError::Cancelled(c) => write!(f, "task group was cancelled: {c}"),
            TaskGroupError::Failed(failures) => {
                let n = failures.len();
                write!(
                    f,
                    "task group failed ({n} failure{}): ",
                    if n == 1 { "" } else { "s" }
                )?;
                for (i, failure) in failures.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    failure.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for TaskGroupError<E> {}
