//! Offloading blocking work: `spawn_blocking` / `to_thread`.

use crate::task::JoinHandle;

/// Runs a blocking closure away from the loop and returns a handle to await its result
/// (asyncio's `run_in_executor(None, f)`).
///
/// Natively the closure runs on a bounded thread pool that grows on demand (up to 512
/// threads) and lets idle threads exit after 10 seconds; its completion wakes the loop. In
/// the browser there are no threads: the closure runs on the page's thread in a later
/// macrotask, so portable code still compiles and works, but a long closure blocks the page.
///
/// Cancelling the handle before the closure starts prevents it from running; once started,
/// it runs to the end and its output is dropped. Dropping the handle cancels likewise.
///
/// ```
/// tulipa::run(async {
///     let sum = tulipa::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap();
///     assert_eq!(sum, 5050);
/// });
/// ```
#[track_caller]
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    crate::sys::spawn_blocking(f)
}

/// asyncio's name for [`spawn_blocking`].
///
/// ```
/// tulipa::run(async {
///     let n = tulipa::to_thread(|| std::thread::current().name().map(str::to_owned)).await.unwrap();
///     assert_eq!(n.as_deref(), Some("tulipa-blocking"));
/// });
/// ```
#[track_caller]
pub fn to_thread<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    crate::sys::spawn_blocking(f)
}
