//! The blocking thread pool: bounded, grows on demand, idle threads exit.
//
// Maintainer notes. One mutex guards the queue and the counters; a condition variable wakes
// idle workers. Invariants, under the lock:
//   idle <= threads <= max
//   a job is pushed only with a worker to take it: an idle one (notified), a new one (spawned
//   when threads < max), or, at the bound, the next worker to finish its current job.
// Jobs are async-task runnables whose schedule function is `push`: running one on a worker
// runs the closure, stores the output in the task and wakes whoever awaits the handle (the
// loop, through its inbox). A job cancelled before it starts sees the CANCEL flag in
// `run_task` and completes as cancelled without calling the closure.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use crate::context;
use crate::scheduler::{lock, run_task, Shared, Task, TaskMeta};
use crate::task::{JoinError, JoinHandle};

/// Upper bound on pool threads (as tokio's default).
pub(crate) const MAX_THREADS: usize = 512;
/// Idle workers exit after this long without work.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(10);

pub(crate) struct Pool {
    state: Mutex<State>,
    cond: Condvar,
    max: usize,
    keep_alive: Duration,
}

struct State {
    queue: VecDeque<Task>,
    threads: usize,
    idle: usize,
    /// Notifications sent to idle workers and not yet consumed.
    notified: usize,
}

impl Pool {
    pub(crate) fn new(max: usize, keep_alive: Duration) -> Arc<Pool> {
        Arc::new(Pool {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
                notified: 0,
            }),
            cond: Condvar::new(),
            max: max.max(1),
            keep_alive,
        })
    }

    /// The process-wide pool used outside a runtime.
    pub(crate) fn global() -> Arc<Pool> {
        static GLOBAL: OnceLock<Arc<Pool>> = OnceLock::new();
        Arc::clone(GLOBAL.get_or_init(|| Pool::new(MAX_THREADS, KEEP_ALIVE)))
    }

    fn push(self: &Arc<Self>, job: Task) {
        let mut st = lock(&self.state);
        st.queue.push_back(job);
        if st.idle > st.notified {
            st.notified += 1;
            drop(st);
            self.cond.notify_one();
        } else if st.threads < self.max {
            st.threads += 1;
            drop(st);
            let pool = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name("tulipa-blocking".into())
                .spawn(move || pool.work());
            if spawned.is_err() {
                // The OS refused a thread: the job waits for an existing worker; with none,
                // it runs here so that its handle still completes.
                let mut st = lock(&self.state);
                st.threads -= 1;
                if st.threads == 0 {
                    let jobs: Vec<Task> = st.queue.drain(..).collect();
                    drop(st);
                    jobs.into_iter().for_each(|j| run_task(j, false));
                }
            }
        }
    }

    fn work(self: Arc<Self>) {
        let mut st = lock(&self.state);
        loop {
            if let Some(job) = st.queue.pop_front() {
                drop(st);
                run_task(job, false);
                st = lock(&self.state);
                continue;
            }
            st.idle += 1;
            let (guard, timeout) = self
                .cond
                .wait_timeout(st, self.keep_alive)
                .unwrap_or_else(|e| e.into_inner());
            st = guard;
            st.idle -= 1;
            if st.notified > 0 {
                st.notified -= 1;
            } else if timeout.timed_out() && st.queue.is_empty() {
                st.threads -= 1;
                return;
            }
        }
    }

    /// Live worker threads.
    pub(crate) fn threads(&self) -> usize {
        lock(&self.state).threads
    }
}

thread_local! {
    static CURRENT_POOL: std::cell::RefCell<Option<Arc<Pool>>> = const { std::cell::RefCell::new(None) };
}

/// Sets the pool `spawn_blocking` uses on this thread (a runtime's own) until the guard drops.
pub(crate) fn enter(pool: Arc<Pool>) -> impl Drop {
    struct Guard(Option<Arc<Pool>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            let prev = self.0.take();
            CURRENT_POOL.with(|p| *p.borrow_mut() = prev);
        }
    }
    Guard(CURRENT_POOL.with(|p| p.borrow_mut().replace(pool)))
}

fn current_pool() -> Arc<Pool> {
    CURRENT_POOL
        .with(|p| p.borrow().clone())
        .unwrap_or_else(Pool::global)
}

/// The `Shared` of pool jobs, which belong to no loop: no loop ever has its id, so
/// cancelling a job only sets its flag, which `run_task` reads before the job starts.
fn detached() -> Arc<Shared> {
    struct NoHost;
    impl crate::host::Host for NoHost {
        fn now(&self) -> crate::time::Instant {
            super::now()
        }
        fn wake(&self) {}
    }
    static DETACHED: OnceLock<Arc<Shared>> = OnceLock::new();
    Arc::clone(DETACHED.get_or_init(|| Shared::new(Arc::new(NoHost))))
}

pub(crate) fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let pool = current_pool();
    let meta = TaskMeta::new(detached(), 0);
    let job = async move {
        if let Some(msg) = context::take_cancel() {
            return Err(JoinError::cancelled(msg));
        }
        catch_unwind(AssertUnwindSafe(f)).map_err(JoinError::panicked)
    };
    let schedule = {
        let pool = Arc::clone(&pool);
        move |job: Task| pool.push(job)
    };
    let (runnable, task) = async_task::Builder::new()
        .metadata(meta)
        .spawn(|_| job, schedule);
    runnable.schedule();
    JoinHandle::new(task)
}
