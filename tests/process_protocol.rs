//! The protocol form: `subprocess_exec` with a `SubprocessProtocol`, pipe transports per fd,
//! flow control in both directions, callback order, kill and close.
#![cfg(not(target_arch = "wasm32"))]

#[path = "process/common.rs"]
mod common;

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use common::{pattern, run};
use tulipa::process::{subprocess_exec, subprocess_shell, SubprocessProtocol, SubprocessTransport};

#[derive(Default)]
struct Recorder {
    transport: Option<Rc<dyn SubprocessTransport>>,
    input: Vec<u8>,
    out: Vec<u8>,
    err: Vec<u8>,
    log: Vec<String>,
    pauses: usize,
    resumes: usize,
    lost: bool,
}

impl SubprocessProtocol for Recorder {
    fn connection_made(&mut self, t: Rc<dyn SubprocessTransport>) {
        self.log.push("made".into());
        if !self.input.is_empty() {
            let stdin = t.get_pipe_transport(0).unwrap();
            stdin.write(&self.input);
            stdin.write_eof().unwrap();
        }
        self.transport = Some(t);
    }
    fn pipe_data_received(&mut self, fd: i32, data: &[u8]) {
        assert!(!data.is_empty());
        match fd {
            1 => self.out.extend_from_slice(data),
            2 => self.err.extend_from_slice(data),
            _ => panic!("data on fd {fd}"),
        }
    }
    fn pipe_connection_lost(&mut self, fd: i32, error: Option<io::Error>) {
        self.log
            .push(format!("lost {fd} {:?}", error.map(|e| e.kind())));
    }
    fn process_exited(&mut self) {
        let rc = self.transport.as_ref().unwrap().get_returncode();
        self.log.push(format!("exited {rc:?}"));
    }
    fn connection_lost(&mut self, error: Option<io::Error>) {
        assert!(error.is_none());
        self.log.push("connection_lost".into());
        self.lost = true;
        self.transport = None; // break the cycle, as a protocol should
    }
    fn pause_writing(&mut self) {
        self.pauses += 1;
    }
    fn resume_writing(&mut self) {
        self.resumes += 1;
    }
}

async fn until_lost(p: &Rc<RefCell<Recorder>>) {
    while !p.borrow().lost {
        tulipa::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn cat_echoes_a_mib_with_flow_control_and_ordered_callbacks() {
    run(60, async {
        let input = pattern(1 << 20);
        let want = input.clone();
        let (t, p) = subprocess_exec(
            move || Recorder {
                input,
                ..Default::default()
            },
            "cat",
            ["-"],
        )
        .unwrap();
        assert!(t.get_pid() > 0);
        assert!(t.get_pipe_transport(3).is_none());
        until_lost(&p).await;
        let p = p.borrow();
        assert!(p.out == want, "stdout differs");
        assert!(p.err.is_empty());
        assert!(
            p.pauses >= 1 && p.resumes == p.pauses,
            "pauses {} resumes {}",
            p.pauses,
            p.resumes
        );
        assert_eq!(p.log[0], "made");
        let mut tail: Vec<_> = p.log[1..4].to_vec();
        tail.sort();
        assert_eq!(tail, ["lost 0 None", "lost 1 None", "lost 2 None"]);
        assert_eq!(&p.log[4..], ["exited Some(0)", "connection_lost"]);
        assert_eq!(t.get_returncode(), Some(0));
    });
}

#[test]
fn pause_reading_holds_the_child_back_and_resume_delivers_every_byte() {
    run(60, async {
        const N: usize = 1 << 20;
        let (t, p) = subprocess_exec(
            Recorder::default,
            "python3",
            ["-c", &common::python_pattern(N, 1)],
        )
        .unwrap();
        let stdout = t.get_pipe_transport(1).unwrap();
        stdout.pause_reading();
        assert!(!stdout.is_reading());
        tulipa::sleep(Duration::from_millis(100)).await;
        assert!(p.borrow().out.is_empty(), "data arrived while paused");
        assert_eq!(
            t.get_returncode(),
            None,
            "the child finished a 1 MiB write into a paused pipe"
        );
        stdout.resume_reading();
        until_lost(&p).await;
        assert!(p.borrow().out == pattern(N));
    });
}

#[test]
fn stdout_and_stderr_are_told_apart() {
    run(30, async {
        let (t, p) = subprocess_shell(Recorder::default, "echo out; echo err >&2; exit 3").unwrap();
        until_lost(&p).await;
        let p = p.borrow();
        assert_eq!(
            (p.out.as_slice(), p.err.as_slice()),
            (&b"out\n"[..], &b"err\n"[..])
        );
        assert_eq!(t.get_returncode(), Some(3));
        assert!(p.log.contains(&"exited Some(3)".to_string()));
    });
}

#[test]
fn kill_and_close_end_a_hanging_child() {
    run(30, async {
        let (t, p) = subprocess_exec(Recorder::default, "sleep", ["1000"]).unwrap();
        t.kill().unwrap();
        until_lost(&p).await;
        assert_eq!(t.get_returncode(), Some(-libc::SIGKILL));

        let (t, p) = subprocess_exec(Recorder::default, "sleep", ["1000"]).unwrap();
        t.close();
        assert!(t.is_closing());
        until_lost(&p).await;
        assert_eq!(t.get_returncode(), Some(-libc::SIGKILL));
        assert!(
            p.borrow()
                .log
                .iter()
                .filter(|l| l.starts_with("lost"))
                .count()
                == 3
        );
    });
}

#[test]
fn a_child_that_does_not_read_stdin_loses_the_pipe_once() {
    run(30, async {
        let input = pattern(1 << 20);
        let (t, p) = subprocess_exec(
            move || Recorder {
                input,
                ..Default::default()
            },
            "true",
            Vec::<&str>::new(),
        )
        .unwrap();
        until_lost(&p).await;
        let p = p.borrow();
        let stdin_lost: Vec<_> = p.log.iter().filter(|l| l.starts_with("lost 0")).collect();
        assert_eq!(stdin_lost.len(), 1, "{:?}", p.log);
        assert!(stdin_lost[0] == "lost 0 Some(BrokenPipe)" || stdin_lost[0] == "lost 0 None");
        assert_eq!(t.get_returncode(), Some(0));
    });
}
