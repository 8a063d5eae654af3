//! [`Child`]: a running (or exited) child process, its pipes, and its exit.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Output};
use std::task::Poll;

use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use super::reaper::Reaper;
use crate::signal::SignalKind;

/// A child process spawned by [`Command::spawn`](super::Command::spawn) (asyncio's
/// `asyncio.subprocess.Process`).
///
/// Its piped standard streams are the public fields `stdin`, `stdout` and `stderr`
/// (`None` unless [`Stdio::piped`](super::Stdio::piped) was asked for); take them out to
/// use them from other tasks.
///
/// Dropping a `Child` does not wait for or kill the process (unless
/// [`Command::kill_on_drop`](super::Command::kill_on_drop) was set), but it is still reaped
/// when it exits: no zombie is left behind.
///
/// ```
/// use tulipa::process::Command;
///
/// tulipa::run(async {
///     let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
///     assert!(child.pid() > 0);
///     let status = child.wait().await.unwrap();
///     assert_eq!(status.code(), Some(3));
///     assert_eq!(child.returncode(), Some(3));
/// });
/// ```
pub struct Child {
    /// The child's standard input, if piped.
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, if piped.
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, if piped.
    pub stderr: Option<ChildStderr>,
    pid: u32,
    reaper: Option<Reaper>,
    kill_on_drop: bool,
}

impl Child {
    pub(crate) fn new(
        stdin: Option<ChildStdin>,
        stdout: Option<ChildStdout>,
        stderr: Option<ChildStderr>,
        reaper: Reaper,
        kill_on_drop: bool,
    ) -> Child {
        Child {
            stdin,
            stdout,
            stderr,
            pid: reaper.id(),
            reaper: Some(reaper),
            kill_on_drop,
        }
    }

    fn reaper(&mut self) -> &mut Reaper {
        self.reaper.as_mut().expect("a live Child has its reaper")
    }

    /// The process id (asyncio's `pid`). It stays valid (not reused by another process)
    /// until the child has been waited for.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let mut c = tulipa::process::Command::new("true").spawn().unwrap();
    /// assert!(c.pid() > 1);
    /// # c.wait().await.unwrap();
    /// # });
    /// ```
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The exit code once the child has been reaped (asyncio's `returncode`): the exit
    /// status, or minus the signal number that killed it; `None` while it runs or before
    /// [`wait`](Self::wait) / [`try_wait`](Self::try_wait) saw it exit.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let mut c = tulipa::process::Command::new("sleep").arg("10").spawn().unwrap();
    /// assert_eq!(c.returncode(), None);
    /// c.kill().unwrap();
    /// c.wait().await.unwrap();
    /// assert_eq!(c.returncode(), Some(-libc::SIGKILL));
    /// # });
    /// ```
    pub fn returncode(&self) -> Option<i32> {
        let s = self.reaper.as_ref()?.status()?;
        s.code().or_else(|| s.signal().map(|n| -n))
    }

    /// Waits for the child to exit and returns its status; at once if it already has.
    ///
    /// Closes the child's stdin first if it is still here (as tokio does), so a child that
    /// reads to end of file cannot wait forever for input that will never come. Output left
    /// in `stdout`/`stderr` stays readable; a child that fills a pipe nobody reads blocks,
    /// so read them (or use [`communicate`](Self::communicate)).
    ///
    /// # Errors
    ///
    /// `waitpid` failed (for example `ECHILD` if the program set SIGCHLD to "ignore", which
    /// makes the kernel reap children itself).
    ///
    /// # Cancel safety
    ///
    /// Safe: the status is kept and the next call returns it.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let mut c = tulipa::process::Command::new("sh").args(["-c", "exit 0"]).spawn().unwrap();
    /// assert!(c.wait().await.unwrap().success());
    /// assert!(c.wait().await.unwrap().success()); // the same status again
    /// # });
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.stdin = None;
        let reaper = self.reaper();
        poll_fn(|cx| reaper.poll_wait(cx)).await
    }

    pub(crate) fn poll_wait(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<io::Result<ExitStatus>> {
        self.reaper().poll_wait(cx)
    }

    /// Returns the exit status if the child has exited (reaping it), `None` if it still runs.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let mut c = tulipa::process::Command::new("sleep").arg("10").spawn().unwrap();
    /// assert!(c.try_wait().unwrap().is_none());
    /// c.kill().unwrap();
    /// c.wait().await.unwrap();
    /// assert!(c.try_wait().unwrap().is_some());
    /// # });
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.reaper().try_wait()
    }

    /// Sends `signal` to the child (asyncio's `send_signal`). Once the child has been
    /// reaped this does nothing and returns `Ok` (as std's `kill`): its pid may belong to
    /// another process by then.
    ///
    /// # Errors
    ///
    /// `kill(2)` failed: `InvalidInput` for a signal number that does not exist.
    ///
    /// ```
    /// use tulipa::signal::SignalKind;
    /// # tulipa::run(async {
    /// let mut c = tulipa::process::Command::new("sleep").arg("10").spawn().unwrap();
    /// c.send_signal(SignalKind::hangup()).unwrap();
    /// assert_eq!(c.wait().await.unwrap().signal(), Some(libc::SIGHUP));
    /// # });
    /// # use std::os::unix::process::ExitStatusExt;
    /// ```
    pub fn send_signal(&mut self, signal: impl Into<SignalKind>) -> io::Result<()> {
        self.reaper().send_signal(signal.into().as_raw())
    }

    /// Sends SIGTERM (asyncio's `terminate`).
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Self::send_signal).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let mut c = tulipa::process::Command::new("sleep").arg("10").spawn().unwrap();
    /// c.terminate().unwrap();
    /// assert_eq!(c.wait().await.unwrap().code(), None); // killed by a signal
    /// # });
    /// ```
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(SignalKind::terminate())
    }

    /// Sends SIGKILL (asyncio's `kill`). Does not wait: follow with [`wait`](Self::wait).
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Self::send_signal).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let mut c = tulipa::process::Command::new("sleep").arg("10").spawn().unwrap();
    /// c.kill().unwrap();
    /// c.wait().await.unwrap();
    /// c.kill().unwrap(); // already reaped: nothing to do
    /// # });
    /// ```
    pub fn kill(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// Writes `input` (if any) to stdin and closes it, while reading stdout and stderr to
    /// the end at the same time, then waits for the exit (asyncio's `communicate`). Doing all
    /// three at once means no deadlock whatever the sizes: a child that writes a lot before
    /// reading is drained while it is being fed.
    ///
    /// The pipes are taken from the `Child` (a pipe that was not piped gives an empty
    /// `Vec`). A child that exits without reading all of `input` is not an error: the
    /// `BrokenPipe` is ignored, as in asyncio.
    ///
    /// # Errors
    ///
    /// A read, a write (other than `BrokenPipe`) or the wait failed.
    ///
    /// # Cancel safety
    ///
    /// Not safe: input already written and output already read are lost, and the pipes are
    /// gone; the child itself is unaffected (wait for it, or kill it).
    ///
    /// ```
    /// use tulipa::process::{Command, Stdio};
    ///
    /// tulipa::run(async {
    ///     let mut child = Command::new("sh")
    ///         .args(["-c", "tr a-z A-Z; echo done >&2"])
    ///         .stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped())
    ///         .spawn().unwrap();
    ///     let out = child.communicate(Some(b"hello")).await.unwrap();
    ///     assert_eq!(out.stdout, b"HELLO");
    ///     assert_eq!(out.stderr, b"done\n");
    ///     assert!(out.status.success());
    /// });
    /// ```
    pub async fn communicate(&mut self, input: Option<&[u8]>) -> io::Result<Output> {
        let mut stdin = self.stdin.take();
        let mut stdout = self.stdout.take();
        let mut stderr = self.stderr.take();
        let mut input = input.unwrap_or_default();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        poll_fn(|cx| {
            // Feed stdin until it would block; each write makes progress, so this ends.
            while let Some(w) = &stdin {
                if input.is_empty() {
                    stdin = None; // EOF for the child
                    break;
                }
                match w.poll_write_buf(cx, input) {
                    Poll::Ready(Ok(n)) => input = &input[n..],
                    Poll::Ready(Err(e))
                        if matches!(
                            e.kind(),
                            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                        ) =>
                    {
                        stdin = None;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => break,
                }
            }
            if let Some(r) = &mut stdout {
                match r.inner().poll_read_to_end(cx, &mut out) {
                    Poll::Ready(Ok(())) => stdout = None,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            if let Some(r) = &mut stderr {
                match r.inner().poll_read_to_end(cx, &mut err) {
                    Poll::Ready(Ok(())) => stderr = None,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            if stdin.is_none() && stdout.is_none() && stderr.is_none() {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        })
        .await?;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout: out,
            stderr: err,
        })
    }

    /// [`communicate`](Self::communicate) with no input, consuming the `Child` (tokio's
    /// name).
    ///
    /// # Errors
    ///
    /// As [`communicate`](Self::communicate).
    ///
    /// # Cancel safety
    ///
    /// Not safe: output read so far is lost.
    ///
    /// ```
    /// use tulipa::process::{Command, Stdio};
    /// # tulipa::run(async {
    /// let child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn().unwrap();
    /// assert_eq!(child.wait_with_output().await.unwrap().stdout, b"hi\n");
    /// # });
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        self.communicate(None).await
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut reaper) = self.reaper.take() else {
            return;
        };
        if self.kill_on_drop {
            let _ = reaper.send_signal(libc::SIGKILL);
        }
        if matches!(reaper.try_wait(), Ok(Some(_)) | Err(_)) {
            return;
        }
        // Reap it as soon as it exits, on this loop if there is one; otherwise (or if the
        // loop goes away first) the reaper's own drop puts it on the orphan list.
        if crate::context::try_with_loop(|_| ()).is_some() {
            crate::task::Builder::new()
                .name(format!("reaper of process {}", self.pid))
                .spawn_local(async move {
                    let _ = poll_fn(|cx| reaper.poll_wait(cx)).await;
                })
                .detach();
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid)
            .field("returncode", &self.returncode())
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}
