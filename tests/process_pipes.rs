//! Subprocess pipes with real programs: large transfers through a limited reader, exact
//! pipe-buffer edges, `communicate` with 10 MiB on each stream, children that stop reading
//! or close their output early, children that hang and are killed.
#![cfg(not(target_arch = "wasm32"))]

#[path = "process/common.rs"]
mod common;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use common::{pattern, python_pattern, run};
use tulipa::process::{Command, SpawnError, Stdio};
use tulipa::streams::StreamError;

const LIMIT: usize = 64 * 1024;

#[test]
fn a_million_bytes_of_lines_through_a_64k_reader() {
    run(60, async {
        // 100,000 lines of 10 bytes: exactly 1,000,000 bytes.
        let mut child = Command::new("python3")
            .args([
                "-c",
                "import sys\nfor i in range(100000):\n    sys.stdout.write('%09d\\n' % i)\n",
            ])
            .stdout(Stdio::piped())
            .limit(LIMIT)
            .spawn()
            .unwrap();
        let out = child.stdout.as_mut().unwrap();
        assert_eq!(out.limit(), LIMIT);
        let mut total = 0;
        for i in 0..100_000 {
            let line = out.read_line().await.unwrap();
            assert_eq!(line, format!("{i:09}\n").as_bytes(), "line {i}");
            assert!(out.buffer().len() <= LIMIT);
            total += line.len();
            if i % 1000 == 0 {
                tulipa::yield_now().await; // a slow consumer: the child waits on the full pipe
            }
        }
        assert_eq!(total, 1_000_000);
        assert_eq!(out.read_line().await.unwrap(), b"");
        assert!(out.at_eof());
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn a_million_bytes_read_in_chunks_every_byte_once() {
    run(60, async {
        let mut child = Command::new("python3")
            .args(["-c", &python_pattern(1_000_000, 1)])
            .stdout(Stdio::piped())
            .limit(LIMIT)
            .spawn()
            .unwrap();
        let out = child.stdout.as_mut().unwrap();
        let mut got = Vec::new();
        let mut reads = 0;
        loop {
            let chunk = out.read(10_000).await.unwrap();
            if chunk.is_empty() {
                break;
            }
            assert!(chunk.len() <= 10_000);
            got.extend(chunk);
            reads += 1;
        }
        assert!(reads >= 100, "only {reads} reads");
        assert_eq!(got.len(), 1_000_000);
        assert!(got == pattern(1_000_000), "content differs");
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn a_line_longer_than_the_limit_is_a_limit_overrun_and_loses_nothing() {
    run(30, async {
        let mut child = Command::new("python3")
            .args([
                "-c",
                "import sys\nsys.stdout.write('x' * 5000 + '\\nshort\\n')",
            ])
            .stdout(Stdio::piped())
            .limit(1024)
            .spawn()
            .unwrap();
        let out = child.stdout.as_mut().unwrap();
        match out.read_line().await {
            Err(StreamError::LimitOverrun { consumed }) => assert_eq!(consumed, 1024),
            other => panic!("expected LimitOverrun, got {other:?}"),
        }
        // The data stayed: skip the long line by hand, then read on.
        let mut skipped = 0;
        while skipped < 5001 {
            skipped += out.read(5001 - skipped).await.unwrap().len();
        }
        assert_eq!(out.read_line().await.unwrap(), b"short\n");
        child.wait().await.unwrap();
    });
}

#[test]
fn stdin_takes_219264_bytes() {
    run(60, async {
        let data = pattern(219_264);
        let mut child = Command::new("python3")
            .args(["-c", "import sys, hashlib\nd = sys.stdin.buffer.read()\nprint(len(d), hashlib.sha256(d).hexdigest())"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&data).await.unwrap();
        stdin.close();
        let out = child.stdout.as_mut().unwrap().read_to_end().await.unwrap();
        let want = format!("219264 {}\n", sha256_hex(&data));
        assert_eq!(String::from_utf8(out).unwrap(), want);
        assert!(child.wait().await.unwrap().success());
    });
}

/// sha256 by python3 too, so the test checks the bytes and not a second implementation.
fn sha256_hex(data: &[u8]) -> String {
    let mut p = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, hashlib\nprint(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    p.stdin.take().unwrap().write_all(data).unwrap();
    let out = p.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn pipe_buffer_edges_in_both_directions() {
    run(60, async {
        for n in [65_536, 65_537, 8_192, 8_193] {
            // stdout: exactly n bytes out of the child.
            let mut child = Command::new("python3")
                .args(["-c", &python_pattern(n, 1)])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let got = child.stdout.as_mut().unwrap().read_to_end().await.unwrap();
            assert_eq!(got.len(), n);
            assert!(got == pattern(n), "stdout content at {n}");
            assert!(child.wait().await.unwrap().success());

            // stdin: exactly n bytes into the child, counted there.
            let mut child = Command::new("wc")
                .arg("-c")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .as_mut()
                .unwrap()
                .write_all(&pattern(n))
                .await
                .unwrap();
            child.stdin = None;
            let out = child.stdout.as_mut().unwrap().read_to_end().await.unwrap();
            assert_eq!(String::from_utf8(out).unwrap().trim(), n.to_string());
            child.wait().await.unwrap();

            // both at once, through cat.
            let mut child = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let out = child.communicate(Some(&pattern(n))).await.unwrap();
            assert!(out.stdout == pattern(n), "cat round trip at {n}");
        }
    });
}

#[test]
fn communicate_with_10_mib_on_stdin_stdout_and_stderr_at_once() {
    run(120, async {
        const N: usize = 10 * 1024 * 1024;
        // Echo each chunk to stdout and its bitwise complement to stderr as it arrives: the
        // child blocks on whichever pipe is full unless all three are serviced together.
        let script = "import os\nt = bytes(255 - i for i in range(256))\nwhile True:\n    d = os.read(0, 65536)\n    if not d:\n        break\n    for fd, b in ((1, d), (2, d.translate(t))):\n        v = memoryview(b)\n        while v:\n            v = v[os.write(fd, v):]\n";
        let input = pattern(N);
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.communicate(Some(&input)).await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.len(), N);
        assert_eq!(out.stderr.len(), N);
        assert!(out.stdout == input, "stdout content");
        assert!(
            out.stderr.iter().zip(&input).all(|(e, i)| *e == 255 - *i),
            "stderr content"
        );
        assert!(child.stdin.is_none() && child.stdout.is_none() && child.stderr.is_none());
    });
}

#[test]
fn communicate_with_10_mib_on_stdout_and_stderr_without_input() {
    run(120, async {
        const N: usize = 10 * 1024 * 1024;
        let script = format!(
            "import os\nd = bytes(i % 251 for i in range({N}))\nv1 = memoryview(d)\nv2 = memoryview(d)\nwhile v1 or v2:\n    if v1: v1 = v1[os.write(1, v1[:65536]):]\n    if v2: v2 = v2[os.write(2, v2[:65536]):]\n"
        );
        let out = Command::new("python3")
            .args(["-c", &script])
            .output()
            .await
            .unwrap();
        assert!(out.status.success());
        assert!(out.stdout == pattern(N));
        assert!(out.stderr == pattern(N));
    });
}

#[test]
fn a_child_that_exits_without_reading_stdin_gives_broken_pipe() {
    run(30, async {
        let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        assert!(child.wait().await.unwrap().success());
        let err = stdin.write_all(&pattern(1 << 20)).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
        // communicate ignores it, as asyncio does.
        let mut child = Command::new("sh")
            .args(["-c", "head -c 10 >/dev/null; echo read ten"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.communicate(Some(&pattern(4 << 20))).await.unwrap();
        assert_eq!(out.stdout, b"read ten\n");
        assert!(out.status.success());
    });
}

#[test]
fn a_child_that_closes_stdout_but_keeps_running() {
    run(30, async {
        let mut child = Command::new("sh")
            .args([
                "-c",
                "echo before; exec >&-; read line; echo \"got $line\" >&2",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.as_mut().unwrap().read_to_end().await.unwrap();
        assert_eq!(out, b"before\n"); // EOF on stdout ...
        assert!(child.try_wait().unwrap().is_none()); // ... while it still runs
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(b"go\n")
            .await
            .unwrap();
        let err = child.stderr.as_mut().unwrap().read_line().await.unwrap();
        assert_eq!(err, b"got go\n");
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn a_hanging_child_is_killed_after_a_timeout() {
    run(30, async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        let waited = tulipa::time::timeout(Duration::from_millis(50), child.wait()).await;
        assert!(waited.is_err(), "sleep 1000 exited?");
        assert_eq!(child.returncode(), None);
        child.kill().unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert_eq!(child.returncode(), Some(-libc::SIGKILL));
        child.kill().unwrap(); // reaped: a no-op, never a signal to a reused pid
    });
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    run(30, async {
        let child = Command::new("sleep")
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.pid();
        drop(child);
        common::reaped(pid).await; // /proc/PID goes away only once it is reaped
                                   // Without kill_on_drop, a dropped child keeps running, and is reaped when it ends.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "read x"]).stdin(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let pid = child.pid();
        drop(child);
        assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
        drop(stdin); // EOF: the shell exits
        common::reaped(pid).await;
    });
}

#[test]
fn terminate_and_send_signal() {
    run(30, async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        child.terminate().unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGTERM));
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        child.send_signal(libc::SIGUSR1).unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGUSR1));
        let mut child = Command::new("sleep")
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let e = child.send_signal(12345).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    });
}

#[test]
fn spawn_errors_are_typed() {
    run(30, async {
        match Command::new("/definitely/not/a/program").spawn() {
            Err(SpawnError::NotFound { program }) => {
                assert_eq!(program, "/definitely/not/a/program")
            }
            other => panic!("{other:?}"),
        }
        match Command::new("no-such-program-on-path-tulipa").spawn() {
            Err(SpawnError::NotFound { .. }) => {}
            other => panic!("{other:?}"),
        }
        match Command::new("true")
            .current_dir("/definitely/not/a/dir")
            .spawn()
        {
            Err(SpawnError::BadCwd { cwd, source }) => {
                assert_eq!(cwd, std::path::Path::new("/definitely/not/a/dir"));
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("{other:?}"),
        }
        match Command::new("true").current_dir("/etc/hostname").spawn() {
            Err(SpawnError::BadCwd { .. }) => {}
            other => panic!("{other:?}"),
        }
        let dir = std::env::temp_dir().join(format!("tulipa-noexec-{}", std::process::id()));
        std::fs::write(&dir, "#!/bin/sh\n").unwrap();
        match Command::new(&dir).spawn() {
            Err(SpawnError::PermissionDenied { .. }) => {}
            other => panic!("{other:?}"),
        }
        std::fs::remove_file(&dir).unwrap();
        let io: std::io::Error = Command::new("/nope").spawn().unwrap_err().into();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    });
    // Outside a runtime: a typed error, and no process is started.
    match Command::new("true").spawn() {
        Err(SpawnError::Io(e)) => assert!(e.to_string().contains("no tulipa runtime")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn env_cwd_and_the_conveniences() {
    run(30, async {
        let out = Command::new("sh")
            .args(["-c", "echo \"$A-$B-${HOME:-none}\"; pwd"])
            .env_clear()
            .env("A", "1")
            .envs([("B", "2"), ("C", "3")])
            .env_remove("C")
            .current_dir("/tmp")
            .output()
            .await
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "1-2-none\n/tmp\n");
        let mut p = tulipa::process::create_subprocess_exec("cat", ["-"]).unwrap();
        let out = p.communicate(Some(b"through cat")).await.unwrap();
        assert_eq!(out.stdout, b"through cat");
        let mut p = tulipa::process::create_subprocess_shell("echo err >&2; exit 4").unwrap();
        let out = p.communicate(None).await.unwrap();
        assert_eq!(
            (out.stderr.as_slice(), out.status.code()),
            (&b"err\n"[..], Some(4))
        );
        let f = std::fs::File::open("/etc/hostname").unwrap();
        let want = std::fs::read("/etc/hostname").unwrap();
        let out = Command::new("cat")
            .stdin(Stdio::from(f))
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, want);
    });
}

#[test]
fn futures_io_traits_work() {
    use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
    use std::future::poll_fn;
    use std::pin::Pin;
    run(30, async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut w = child.stdin.take().unwrap();
        let n = poll_fn(|cx| Pin::new(&mut w).poll_write(cx, b"abc\ndef"))
            .await
            .unwrap();
        assert_eq!(n, 7);
        poll_fn(|cx| Pin::new(&mut w).poll_close(cx)).await.unwrap();
        let r = child.stdout.as_mut().unwrap();
        let first = poll_fn(|cx| Pin::new(&mut *r).poll_fill_buf(cx).map_ok(|b| b.to_vec()))
            .await
            .unwrap();
        assert!(first.starts_with(b"a"));
        Pin::new(&mut *r).consume(1);
        let mut buf = [0u8; 100];
        let mut got = b"a".to_vec();
        loop {
            let n = poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, &mut buf))
                .await
                .unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"abc\ndef");
        child.wait().await.unwrap();
    });
}
