//! Child processes with async pipes (asyncio's `asyncio.subprocess`).
//!
//! * [`create_subprocess_exec`] and [`create_subprocess_shell`] start a program (or a
//!   `sh -c` command line) with its three standard streams piped;
//! * [`Command`] is the builder behind them: arguments, environment, working directory,
//!   what each standard stream is ([`Stdio`]), the pipe readers' limit, `kill_on_drop`;
//! * a [`Child`] has the pipes as [`ChildStdin`] (futures-io `AsyncWrite`) and
//!   [`ChildStdout`] / [`ChildStderr`] (`AsyncRead` + `AsyncBufRead`, and asyncio's
//!   `StreamReader` methods), its `pid`, `wait`, `try_wait`, `send_signal`, `terminate`,
//!   `kill`, and `communicate`, which feeds stdin while draining stdout and stderr;
//! * the protocol form: [`subprocess_exec`] drives a [`SubprocessProtocol`] through a
//!   [`SubprocessTransport`], as asyncio's `loop.subprocess_exec`.
//!
//! ```
//! tulipa::run(async {
//!     let mut child = tulipa::process::create_subprocess_exec("cat", ["-n"]).unwrap();
//!     let out = child.communicate(Some(b"tulip\n")).await.unwrap();
//!     assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "1\ttulip");
//!     assert!(out.status.success());
//! });
//! ```
//!
//! # Reaping
//!
//! Every child tulipa spawns is reaped exactly once, by its own pid; tulipa never calls
//! `waitpid(-1)`, so children spawned by other code (`std::process::Command`, other
//! libraries) keep their exit status for their owners. On Linux 5.3 and later a pidfd per
//! child wakes the waiter; elsewhere (or with the environment variable
//! `TULIPA_PROCESS_REAPER=sigchld`, read at the first spawn) a SIGCHLD handler does, chained
//! to any SIGCHLD handler already installed (see [`crate::signal`]). A [`Child`] dropped
//! before its process exits is still reaped: by a task on the current loop, or, without a
//! loop, at the next spawn. A program that sets SIGCHLD to "ignore" makes the kernel reap
//! children itself, and waiting then fails with `ECHILD`.
//!
//! # SIGPIPE
//!
//! Writing to a child that closed its stdin (or exited) returns
//! [`io::ErrorKind::BrokenPipe`] and never raises SIGPIPE, even if the program set SIGPIPE
//! back to its default action (which ends the process).
//!
//! # Targets
//!
//! Native Unix only: a browser page cannot start processes, so this module is absent on
//! `wasm32-unknown-unknown`.

mod child;
mod pipe;
mod protocol;
pub(crate) mod reaper;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output};

pub use child::Child;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};
pub use protocol::{subprocess_exec, subprocess_shell, SubprocessProtocol, SubprocessTransport};

/// The pipe readers' default limit: 64 KiB, asyncio's default `limit=`.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// What a child's standard stream is connected to.
///
/// ```
/// use tulipa::process::{Command, Stdio};
///
/// let log = std::fs::File::create(std::env::temp_dir().join("tulipa-stdio-doc.log")).unwrap();
/// let mut cmd = Command::new("echo");
/// cmd.stdin(Stdio::null()).stdout(Stdio::from(log)).stderr(Stdio::inherit());
/// ```
#[derive(Debug)]
pub struct Stdio(std::process::Stdio);

impl Stdio {
    /// A new pipe to the parent: the [`Child`]'s `stdin`/`stdout`/`stderr` field (asyncio's
    /// `PIPE`).
    ///
    /// ```
    /// let _ = tulipa::process::Stdio::piped();
    /// ```
    pub fn piped() -> Stdio {
        Stdio(std::process::Stdio::piped())
    }

    /// The parent's own stream (the default for [`Command::spawn`]).
    ///
    /// ```
    /// let _ = tulipa::process::Stdio::inherit();
    /// ```
    pub fn inherit() -> Stdio {
        Stdio(std::process::Stdio::inherit())
    }

    /// `/dev/null` (asyncio's `DEVNULL`).
    ///
    /// ```
    /// let _ = tulipa::process::Stdio::null();
    /// ```
    pub fn null() -> Stdio {
        Stdio(std::process::Stdio::null())
    }
}

impl From<std::fs::File> for Stdio {
    /// The child reads from or writes to this file.
    fn from(f: std::fs::File) -> Stdio {
        Stdio(f.into())
    }
}

impl From<std::os::fd::OwnedFd> for Stdio {
    /// The child gets this descriptor (a pipe end, a socket, ...).
    fn from(fd: std::os::fd::OwnedFd) -> Stdio {
        Stdio(fd.into())
    }
}

impl From<std::process::Stdio> for Stdio {
    fn from(s: std::process::Stdio) -> Stdio {
        Stdio(s)
    }
}

/// Why a child could not be started.
///
/// ```
/// use tulipa::process::{Command, SpawnError};
///
/// tulipa::run(async {
///     let e = Command::new("/no/such/program").spawn().unwrap_err();
///     assert!(matches!(e, SpawnError::NotFound { .. }));
///     let io: std::io::Error = e.into();
///     assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
/// });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SpawnError {
    /// The program does not exist (or is not on `PATH`).
    NotFound {
        /// The program as given.
        program: OsString,
    },
    /// The program exists but may not be executed (no execute permission, a directory).
    PermissionDenied {
        /// The program as given.
        program: OsString,
    },
    /// The working directory given with [`Command::current_dir`] does not exist or is not a
    /// directory.
    BadCwd {
        /// The directory as given.
        cwd: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// There is no tulipa runtime on this thread (spawn inside `tulipa::run` or
    /// `Runtime::block_on`), or another system call failed (for example at the open-file
    /// or process limit).
    Io(io::Error),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NotFound { program } => {
                write!(f, "program not found: {}", Path::new(program).display())
            }
            SpawnError::PermissionDenied { program } => {
                write!(
                    f,
                    "permission denied executing {}",
                    Path::new(program).display()
                )
            }
            SpawnError::BadCwd { cwd, source } => {
                write!(f, "bad working directory {}: {source}", cwd.display())
            }
            SpawnError::Io(e) => write!(f, "could not spawn the process: {e}"),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpawnError::BadCwd { source, .. } | SpawnError::Io(source) => Some(source),
            _ => None,
        }
    }
}

impl From<SpawnError> for io::Error {
    /// Keeps the kind: `NotFound`, `PermissionDenied`, the directory's error, or the error.
    fn from(e: SpawnError) -> io::Error {
        match e {
            SpawnError::Io(e) => e,
            SpawnError::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e.to_string()),
            SpawnError::PermissionDenied { .. } => {
                io::Error::new(io::ErrorKind::PermissionDenied, e.to_string())
            }
            SpawnError::BadCwd { ref source, .. } => io::Error::new(source.kind(), e.to_string()),
        }
    }
}

/// A process builder (std's `Command` with async pipes, plus the reader limit and
/// `kill_on_drop`).
///
/// Every stream is inherited unless set; [`output`](Command::output) pipes stdout and
/// stderr (and gives stdin `/dev/null`) unless set.
///
/// ```
/// use tulipa::process::{Command, Stdio};
///
/// tulipa::run(async {
///     let out = Command::new("sh")
///         .args(["-c", "echo $GREETING from $(pwd)"])
///         .env("GREETING", "hello")
///         .current_dir("/")
///         .output()
///         .await
///         .unwrap();
///     assert_eq!(out.stdout, b"hello from /\n");
/// });
/// ```
pub struct Command {
    std: std::process::Command,
    cwd: Option<PathBuf>,
    stdin_set: bool,
    stdout_set: bool,
    stderr_set: bool,
    kill_on_drop: bool,
    limit: usize,
}

impl Command {
    /// A command that runs `program` (looked up on `PATH` if it has no `/`).
    ///
    /// ```
    /// let cmd = tulipa::process::Command::new("ls");
    /// # drop(cmd);
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            std: std::process::Command::new(program),
            cwd: None,
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
            kill_on_drop: false,
            limit: DEFAULT_LIMIT,
        }
    }

    /// Adds one argument.
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("ls");
    /// cmd.arg("-l").arg("/tmp");
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("ls");
    /// cmd.args(["-l", "/tmp"]);
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("env");
    /// cmd.env("LANG", "C");
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets several environment variables.
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("env");
    /// cmd.envs([("A", "1"), ("B", "2")]);
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes one variable from the child's environment.
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("env");
    /// cmd.env_remove("HOME");
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what [`env`](Self::env) adds).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let out = tulipa::process::Command::new("/usr/bin/env").env_clear().env("ONLY", "me")
    ///     .output().await.unwrap();
    /// assert_eq!(out.stdout, b"ONLY=me\n");
    /// # });
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// The child's working directory (asyncio's `cwd=`).
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("pwd");
    /// cmd.current_dir("/tmp");
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self.std.current_dir(dir);
        self
    }

    /// The child's standard input.
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("cat");
    /// cmd.stdin(tulipa::process::Stdio::piped());
    /// ```
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg.into().0);
        self.stdin_set = true;
        self
    }

    /// The child's standard output.
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("ls");
    /// cmd.stdout(tulipa::process::Stdio::piped());
    /// ```
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg.into().0);
        self.stdout_set = true;
        self
    }

    /// The child's standard error.
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("ls");
    /// cmd.stderr(tulipa::process::Stdio::null());
    /// ```
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg.into().0);
        self.stderr_set = true;
        self
    }

    /// Kills the child (SIGKILL) when its [`Child`] is dropped before it exited (default:
    /// no, as with std and asyncio). It is reaped either way.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let child = tulipa::process::Command::new("sleep").arg("100").kill_on_drop(true)
    ///     .spawn().unwrap();
    /// drop(child); // killed now, reaped soon
    /// # });
    /// ```
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }

    /// The size limit (and buffer size) of the stdout and stderr readers, asyncio's
    /// `limit=` (default [`DEFAULT_LIMIT`], 64 KiB; at least 1).
    ///
    /// ```
    /// let mut cmd = tulipa::process::Command::new("ls");
    /// cmd.limit(1 << 20);
    /// ```
    pub fn limit(&mut self, limit: usize) -> &mut Command {
        self.limit = limit.max(1);
        self
    }

    /// The std builder underneath, for the options this one does not repeat (uid, gid,
    /// process group, `pre_exec`, ...). Do not set the standard streams there.
    ///
    /// ```
    /// use std::os::unix::process::CommandExt;
    /// let mut cmd = tulipa::process::Command::new("sleep");
    /// cmd.as_std_mut().process_group(0);
    /// ```
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the child. Must be called inside a running tulipa loop (the pipes and the
    /// exit watch register with it).
    ///
    /// # Errors
    ///
    /// [`SpawnError::NotFound`], [`SpawnError::PermissionDenied`], [`SpawnError::BadCwd`],
    /// or [`SpawnError::Io`] (no runtime, or a system call failed).
    ///
    /// ```
    /// use tulipa::process::{Command, SpawnError};
    /// tulipa::run(async {
    ///     let e = Command::new("true").current_dir("/no/such/dir").spawn().unwrap_err();
    ///     assert!(matches!(e, SpawnError::BadCwd { .. }));
    ///     let mut ok = Command::new("true").spawn().unwrap();
    ///     assert!(ok.wait().await.unwrap().success());
    /// });
    /// ```
    pub fn spawn(&mut self) -> Result<Child, SpawnError> {
        crate::sys::reactor::current().map_err(SpawnError::Io)?;
        reaper::reap_orphans();
        if let Some(cwd) = &self.cwd {
            match std::fs::metadata(cwd) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(SpawnError::BadCwd {
                        cwd: cwd.clone(),
                        source: io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
                    })
                }
                Err(source) => {
                    return Err(SpawnError::BadCwd {
                        cwd: cwd.clone(),
                        source,
                    })
                }
            }
        }
        let prepared = reaper::prepare().map_err(SpawnError::Io)?;
        let mut child = self.std.spawn().map_err(|e| {
            let program = self.std.get_program().to_os_string();
            match e.kind() {
                io::ErrorKind::NotFound => SpawnError::NotFound { program },
                io::ErrorKind::PermissionDenied => SpawnError::PermissionDenied { program },
                _ => SpawnError::Io(e),
            }
        })?;
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let reaper = match reaper::Reaper::new(child, prepared) {
            Ok(r) => r,
            // The reaper put the child on the orphan list.
            Err(e) => return Err(SpawnError::Io(e)),
        };
        let mut child = Child::new(None, None, None, reaper, self.kill_on_drop);
        let pipes = (|| {
            child.stdin = stdin.map(ChildStdin::new).transpose()?;
            child.stdout = stdout
                .map(|p| ChildStdout::new(p, self.limit))
                .transpose()?;
            child.stderr = stderr
                .map(|p| ChildStderr::new(p, self.limit))
                .transpose()?;
            Ok::<_, io::Error>(())
        })();
        if let Err(e) = pipes {
            let _ = child.kill(); // it cannot be talked to; the drop reaps it
            return Err(SpawnError::Io(e));
        }
        Ok(child)
    }

    /// Runs the child to its end and collects its output (stdout and stderr piped, stdin
    /// `/dev/null`, unless set otherwise; this changes the command's settings).
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn) (converted to `io::Error`), or a read or the wait failed.
    ///
    /// # Cancel safety
    ///
    /// Not safe: output read so far is lost; the child is left to run and is reaped when it
    /// exits (or killed, with [`kill_on_drop`](Self::kill_on_drop)).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let out = tulipa::process::Command::new("sh").args(["-c", "echo out; echo err >&2; exit 2"])
    ///     .output().await.unwrap();
    /// assert_eq!((out.stdout.as_slice(), out.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));
    /// assert_eq!(out.status.code(), Some(2));
    /// # });
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        if !self.stdin_set {
            self.stdin(Stdio::null());
        }
        if !self.stdout_set {
            self.stdout(Stdio::piped());
        }
        if !self.stderr_set {
            self.stderr(Stdio::piped());
        }
        let mut child = self.spawn()?;
        child.communicate(None).await
    }

    /// Runs the child to its end (streams inherited unless set) and returns its status.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn) (converted to `io::Error`), or the wait failed.
    ///
    /// # Cancel safety
    ///
    /// Safe in that nothing is lost; the child is left to run and is reaped when it exits
    /// (or killed, with [`kill_on_drop`](Self::kill_on_drop)).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let s = tulipa::process::Command::new("false").status().await.unwrap();
    /// assert_eq!(s.code(), Some(1));
    /// # });
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        child.wait().await
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("command", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .field("limit", &self.limit)
            .finish()
    }
}

/// Starts `program` with `args`, its stdin, stdout and stderr piped (asyncio's
/// `create_subprocess_exec(program, *args, stdin=PIPE, stdout=PIPE, stderr=PIPE)`; Rust has
/// no keyword arguments, so use [`Command`] for anything else).
///
/// # Errors
///
/// As [`Command::spawn`].
///
/// ```
/// tulipa::run(async {
///     let mut p = tulipa::process::create_subprocess_exec("echo", ["hello"]).unwrap();
///     let out = p.communicate(None).await.unwrap();
///     assert_eq!(out.stdout, b"hello\n");
/// });
/// ```
pub fn create_subprocess_exec<I, S>(
    program: impl AsRef<OsStr>,
    args: I,
) -> Result<Child, SpawnError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Starts `sh -c cmd`, its stdin, stdout and stderr piped (asyncio's
/// `create_subprocess_shell`). Quote untrusted input yourself, or use
/// [`create_subprocess_exec`].
///
/// # Errors
///
/// As [`Command::spawn`].
///
/// ```
/// tulipa::run(async {
///     let mut p = tulipa::process::create_subprocess_shell("echo $((6 * 7))").unwrap();
///     let out = p.communicate(None).await.unwrap();
///     assert_eq!(out.stdout, b"42\n");
/// });
/// ```
pub fn create_subprocess_shell(cmd: impl AsRef<OsStr>) -> Result<Child, SpawnError> {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}
