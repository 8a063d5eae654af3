//! The accept loop survives running out of file descriptors (EMFILE): it backs off without
//! spinning, reports the error once per backoff through the loop's exception handler, and
//! resumes when descriptors free up.
//!
//! Its own test binary: it exhausts the process's descriptors, which would break any test
//! running beside it.

// Sockets and descriptor limits are native only.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

use tulipa::net::create_server;
use tulipa::transports::{Protocol, Transport};

/// Greets and closes.
struct Hello;

impl Protocol for Hello {
    fn connection_made(&mut self, t: Rc<dyn Transport>) {
        t.write(b"hello");
        t.close();
    }
}

/// This process's CPU time (user + system) in clock ticks, from /proc.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the ")".
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn transport_accept_backs_off_on_emfile_reports_once_and_resumes() {
    let name = "emfile";
    let (done, watched) = std::sync::mpsc::channel::<()>();
    thread::spawn(move || {
        if watched.recv_timeout(Duration::from_secs(60)).is_err() {
            eprintln!("test {name} still running after 60s: lost wakeup or hang");
            std::process::exit(101);
        }
    });
    tulipa::run(async {
        let errors = Rc::new(RefCell::new(Vec::new()));
        let server = create_server(|| Hello, "127.0.0.1:0").await.unwrap();
        let addr = server.addrs()[0].inet().unwrap();
        // No handler on the server: the errors go to the loop's exception handler.
        let e = Rc::clone(&errors);
        tulipa::set_exception_handler(move |ctx| {
            assert!(
                ctx.message().contains(&addr.to_string()),
                "the report names the listener: {ctx}"
            );
            let err = ctx
                .error()
                .and_then(|e| e.downcast_ref::<std::io::Error>())
                .expect("the report carries the io::Error");
            e.borrow_mut().push(err.raw_os_error());
        });

        // The client connects from another thread with descriptors opened before the
        // exhaustion (a connect needs none of this process's after that... except its
        // socket: so open the client sockets first, connect later).
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let client = thread::spawn(move || {
            let mut out = Vec::new();
            let s1 = std::net::TcpStream::connect(addr).unwrap();
            out.push(s1);
            wait.recv().unwrap();
            out
        });
        // Let that first connection be accepted normally.
        tulipa::sleep(Duration::from_millis(50)).await;
        let mut first = {
            let mut v = tulipa::spawn_blocking(move || {
                go.send(()).unwrap();
                client.join().unwrap()
            })
            .await
            .unwrap();
            v.pop().unwrap()
        };
        let mut buf = [0u8; 5];
        first.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello");

        // A client socket made now, connected after exhaustion (connect needs no new fd).
        let pending =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();

        // Exhaust the descriptors (CPU time is read from /proc, which needs one: read the
        // starting point first).
        let cpu_before = cpu_ticks();
        let mut hog = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(f) => hog.push(f),
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(24), "expected EMFILE, got {e}");
                    break;
                }
            }
        }
        // The kernel completes the handshake; accept() then fails with EMFILE.
        pending.connect(&addr.into()).unwrap();
        let t0 = Instant::now();
        tulipa::sleep(Duration::from_millis(2500)).await;
        // Free the descriptors: the server resumes at its next retry.
        drop(hog);
        let cpu_used = cpu_ticks() - cpu_before;
        let reported: Vec<Option<i32>> = errors.borrow().clone();
        eprintln!(
            "{} reports in {:?}, {cpu_used} CPU ticks",
            reported.len(),
            t0.elapsed()
        );
        assert!(
            reported.iter().all(|e| *e == Some(24)),
            "only EMFILE reported: {reported:?}"
        );
        // Once per 1 s backoff over 2.5 s: the first report, then at 1 s and 2 s.
        assert!(
            (2..=4).contains(&reported.len()),
            "one report per backoff, got {} in {:?}",
            reported.len(),
            t0.elapsed()
        );
        // No spinning: 2.5 s of backoff (and opening the files) used well under 0.5 s of CPU
        // (ticks are 10 ms).
        assert!(cpu_used < 50, "the backoff spun: {cpu_used} ticks of CPU");

        let mut pending: std::net::TcpStream = pending.into();
        let got = tulipa::spawn_blocking(move || {
            pending
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut buf = [0u8; 5];
            pending.read_exact(&mut buf).map(|_| buf)
        })
        .await
        .unwrap()
        .expect("the server resumed accepting");
        assert_eq!(&got, b"hello");
        let after = errors.borrow().len();
        // And it goes on serving new connections normally.
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        let got = tulipa::spawn_blocking(move || {
            let mut buf = [0u8; 5];
            c.read_exact(&mut buf).map(|_| buf)
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(&got, b"hello");
        assert_eq!(
            errors.borrow().len(),
            after,
            "no errors once descriptors are back"
        );
        assert_eq!(server.accept_errors(), after);
        let _ = first.write_all(b"bye");
        server.close();
        server.wait_closed().await;
    });
    let _ = done.send(());
}
