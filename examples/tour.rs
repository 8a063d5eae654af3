//! A guided tour of what tulipa has today, printed step by step.
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! Each step runs a few lines of tulipa and prints what they show; the whole tour takes a
//! couple of seconds. It uses native-only parts (`tulipa::run`, threads), so it runs natively;
//! `examples/browser/` shows tulipa in a web page.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    tour::run();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // The tour needs `tulipa::run` and threads, which the browser does not have; see
    // examples/browser for tulipa in a page.
}

#[cfg(not(target_arch = "wasm32"))]
mod tour {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    use futures_channel::oneshot;
    use tulipa::host::{EventLoop, Host, Turn};
    use tulipa::task::{self, Builder};
    use tulipa::time::{self, MissedTickBehavior};
    use tulipa::{Handle, Instant, JoinError};

    pub fn run() {
        println!("A tour of tulipa: asyncio for Rust, native and in the browser.");
        println!("Every step below is a few lines of examples/tour.rs.");

        tulipa::run(async {
            spawn_and_await().await;
            ordering().await;
            cancellation().await;
            panicking_task().await;
            names_and_dump().await;
            sleep_timeout_interval().await;
            virtual_time().await;
            delayed_calls().await;
            blocking_work().await;
            other_threads().await;
            structured_concurrency().await;
            sync_and_queues().await;
            networking().await;
        });
        sim_deadlock();
        custom_host();
        tulipa::run(websocket());
        tulipa::run(tls_echo());
        subprocesses();
        tulipa::run(signals_and_exceptions());

        step("End of the tour");
        println!("   That was the core: tasks, cancellation, timers, virtual time, delayed calls,");
        println!("   blocking offload, cross-thread handles, a deterministic simulator and a");
        println!("   pluggable host, with the same API in the browser (examples/browser).");
        println!("   Then gather and TaskGroup, sync primitives and queues, and a TCP echo on");
        println!("   loopback with asyncio's stream API. More networking: examples/net_echo.rs,");
        println!("   echo_stream.rs, echo_protocol.rs (TCP, UDP, Unix sockets, protocols).");
        println!(
            "   WebSockets: tulipa::ws (examples/chat: a browser + CLI chat), and TLS (rustls)"
        );
        println!("   on both the stream and the protocol level.");
        println!("   Subprocesses with async pipes (tulipa::process) and Unix signals");
        println!("   (tulipa::signal: ctrl_c, add_signal_handler) complete the native side.");
    }

    async fn structured_concurrency() {
        step("11. gather and TaskGroup (asyncio 3.11 semantics)");
        let both = tulipa::gather(vec![
            tulipa::spawn(async { Ok::<_, JoinError>(2) }),
            tulipa::spawn(async { Ok(40) }),
        ])
        .await;
        println!("   gather of two tasks, results in argument order: {both:?}");
        let outcome = tulipa::task_group(|tg| async move {
            tg.spawn(async {
                tulipa::sleep(Duration::from_millis(5)).await;
                Err::<(), _>("disk full".to_owned())
            });
            tg.spawn(async {
                tulipa::sleep(Duration::from_secs(3600)).await;
                println!("   (never printed: the group cancelled this member)");
                Ok(())
            });
            std::future::pending::<Result<(), String>>().await
        })
        .await;
        match outcome {
            Err(e) => println!(
                "   the first failure cancelled its sibling and the body; failures: {:?}",
                e.errors().collect::<Vec<_>>()
            ),
            Ok(()) => println!("   unexpected: the group succeeded"),
        }
    }

    async fn sync_and_queues() {
        step("12. Sync primitives and queues: nothing is lost on cancellation");
        let sem = Arc::new(tulipa::sync::Semaphore::new(2));
        let mut workers = Vec::new();
        for i in 0..6 {
            let sem = sem.clone();
            workers.push(tulipa::spawn(async move {
                let _permit = sem.acquire().await;
                tulipa::sleep(Duration::from_millis(2)).await;
                i
            }));
        }
        workers[5].cancel(); // cancelled while queued for a permit
        let mut done = 0;
        for w in workers {
            if w.await.is_ok() {
                done += 1;
            }
        }
        println!(
            "   6 tasks on 2 permits, one cancelled while waiting: {done} ran, {} permits left",
            sem.available_permits()
        );
        let q = tulipa::queue::Queue::new(1);
        q.put("first").await.unwrap();
        let blocked = time::timeout(Duration::from_millis(5), q.put("second")).await;
        println!(
            "   Queue::new(1) holds exactly one item: a second put timed out ({}), qsize {}",
            blocked.is_err(),
            q.qsize()
        );
        let got = time::timeout(Duration::from_millis(5), q.get()).await;
        println!("   the cancelled put inserted nothing; get gives the first item: {got:?}");
    }

    async fn networking() {
        step("13. Networking on loopback: asyncio's start_server / open_connection");
        let server = tulipa::net::start_server(
            |mut reader, writer| async move {
                while let Ok(line) = reader.read_line().await {
                    if line.is_empty() {
                        break; // EOF
                    }
                    writer.write(&line.to_ascii_uppercase());
                }
                writer.close();
            },
            "127.0.0.1:0",
        )
        .await
        .expect("bind a loopback port");
        let addr = server.addrs()[0].inet().expect("a TCP address");
        let (mut reader, writer) = tulipa::net::open_connection(addr)
            .await
            .expect("connect to the echo server");
        writer.write(b"hello, tulipa\n");
        writer.drain().await.expect("drain");
        let reply = reader.read_line().await.expect("a reply line");
        println!(
            "   server on {addr}; sent \"hello, tulipa\", got back {:?}",
            String::from_utf8_lossy(&reply).trim_end()
        );
        writer.close();
        server.close();
        server.wait_closed().await;
        println!("   server closed: every connection ended, nothing left running");
    }

    fn step(title: &str) {
        println!();
        println!("== {title}");
    }

    /// Milliseconds since `start`, for the printout.
    fn ms_since(start: Instant) -> u128 {
        start.elapsed().as_millis()
    }

    async fn spawn_and_await() {
        step("1. Spawning tasks and awaiting their outcomes");
        let adder = tulipa::spawn(async {
            tulipa::sleep(Duration::from_millis(10)).await;
            20 + 22
        });
        let greeter = tulipa::spawn_local(async { String::from("hello from a !Send task") });
        println!("   spawn(...) gave a handle to task {}", adder.id());
        println!("   awaiting it:       {:?}", adder.await);
        println!("   spawn_local(...):  {:?}", greeter.await);
    }

    async fn ordering() {
        step("2. Ordering: a spawned task first runs in a later turn, in spawn order");
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..3 {
            let log = Rc::clone(&log);
            handles.push(tulipa::spawn_local(async move {
                log.borrow_mut().push(format!("task {i}"))
            }));
        }
        println!("   right after spawning 3 tasks: {:?}", log.borrow());
        tulipa::yield_now().await;
        println!("   after one yield_now():        {:?}", log.borrow());
        for h in handles {
            h.await.unwrap();
        }
    }

    async fn cancellation() {
        step("3. Cancellation, with a message");
        let slow = Builder::new()
            .name("slow-download")
            .spawn(tulipa::sleep(Duration::from_secs(3600)));
        tulipa::sleep(Duration::from_millis(5)).await;
        println!(
            "   cancel_with(...) on a running task returns {}",
            slow.cancel_with("user pressed stop")
        );
        match slow.await {
            Err(JoinError::Cancelled(c)) => {
                println!("   awaiting it gives Cancelled, message {:?}", c.message())
            }
            other => println!("   unexpected: {other:?}"),
        }
        let dropped = tulipa::spawn(tulipa::sleep(Duration::from_secs(3600)));
        tulipa::yield_now().await; // it starts, and waits on its timer
        let id = dropped.id();
        drop(dropped);
        tulipa::yield_now().await;
        let alive = task::all_tasks().iter().any(|t| t.id() == id);
        println!("   dropping a JoinHandle cancels its task too (still listed: {alive})");
    }

    async fn panicking_task() {
        step("4. A panicking task fails alone; the loop and other tasks carry on");
        // Print panics in one line while this step runs (the default hook prints more).
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .unwrap_or("(non-string payload)");
            println!("   (panic hook: a task panicked: {msg:?})");
        }));
        let bystander = tulipa::spawn(async {
            tulipa::sleep(Duration::from_millis(10)).await;
            "still fine"
        });
        let parser = Builder::new()
            .name("parser")
            .spawn(async { panic!("bad byte at offset 7") });
        let outcome = parser.await;
        std::panic::set_hook(previous);
        match outcome {
            Err(JoinError::Panicked(p)) => {
                println!("   the handle reports: {p}");
            }
            other => println!("   unexpected: {other:?}"),
        }
        println!("   the other task: {:?}", bystander.await);
    }

    async fn names_and_dump() {
        step("5. Names, the current task and a dump of all tasks");
        let fetcher = Builder::new()
            .name("fetcher")
            .spawn(tulipa::sleep(Duration::from_secs(60)));
        let worker = Builder::new().name("worker").spawn(async {
            let me = task::current().expect("inside a task");
            format!("{} (id {})", me.name(), me.id())
        });
        let unnamed = tulipa::spawn(tulipa::sleep(Duration::from_secs(60)));
        tulipa::yield_now().await;
        println!(
            "   task::current() inside 'worker': {}",
            worker.await.unwrap()
        );
        println!("   task::all_tasks():");
        let mut all = task::all_tasks();
        all.sort_by_key(|t| t.id());
        for t in &all {
            println!("     {t}");
        }
        fetcher.cancel();
        unnamed.cancel();
        let _ = (fetcher.await, unnamed.await);
    }

    async fn sleep_timeout_interval() {
        step("6. sleep, timeout, interval");
        let start = Instant::now();
        tulipa::sleep(Duration::from_millis(20)).await;
        println!("   sleep(20 ms) returned after {} ms", ms_since(start));

        let fast = time::timeout(Duration::from_millis(50), async { "quick answer" }).await;
        println!("   timeout(50 ms, ready future)  -> {fast:?}");
        let start = Instant::now();
        let slow = time::timeout(Duration::from_millis(30), tulipa::sleep(Duration::MAX)).await;
        println!(
            "   timeout(30 ms, endless sleep) -> Err({}) after {} ms",
            slow.unwrap_err(),
            ms_since(start)
        );

        let mut every = time::interval(Duration::from_millis(15));
        every.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let start = every.tick().await;
        let mut offsets = vec![0];
        for _ in 0..3 {
            offsets.push((every.tick().await - start).as_millis());
        }
        println!("   interval(15 ms) ticks scheduled at {offsets:?} ms");
    }

    async fn virtual_time() {
        step("7. Virtual time: pause, auto-advance, advance");
        let real = std::time::Instant::now();
        time::pause();
        let start = Instant::now();
        tulipa::sleep(Duration::from_secs(3600)).await;
        println!(
            "   paused: sleep(1 hour) took {:?} of loop time and {} ms of real time",
            start.elapsed(),
            real.elapsed().as_millis()
        );
        time::set_auto_advance(false);
        let alarm = tulipa::spawn(tulipa::sleep(Duration::from_secs(30)));
        time::advance(Duration::from_secs(29)).await;
        println!(
            "   advance(29 s): the 30 s alarm finished? {}",
            alarm.is_finished()
        );
        time::advance(Duration::from_secs(1)).await;
        tulipa::yield_now().await;
        println!(
            "   advance(1 s):  the 30 s alarm finished? {}",
            alarm.is_finished()
        );
        time::resume();
        println!(
            "   resume(): the clock runs again (paused: {})",
            time::is_paused()
        );
    }

    async fn delayed_calls() {
        step("8. call_soon, call_later, call_at, and cancelling a call");
        let log = Rc::new(RefCell::new(Vec::new()));
        let start = Instant::now();
        let push = |what: &'static str| {
            let log = Rc::clone(&log);
            move || {
                log.borrow_mut()
                    .push(format!("{what} at {} ms", ms_since(start)))
            }
        };
        let _soon = tulipa::call_soon(push("call_soon"));
        let _later = tulipa::call_later(Duration::from_millis(20), push("call_later(20 ms)"));
        let _at = tulipa::call_at(start + Duration::from_millis(10), push("call_at(+10 ms)"));
        let never = tulipa::call_later(Duration::from_millis(15), push("cancelled call"));
        println!("   cancel() on the 15 ms call returns {}", never.cancel());
        tulipa::sleep(Duration::from_millis(40)).await;
        for line in log.borrow().iter() {
            println!("   ran: {line}");
        }
    }

    async fn blocking_work() {
        step("9. Blocking work off the loop: spawn_blocking, to_thread");
        let sum = tulipa::spawn_blocking(|| {
            let name = std::thread::current().name().map(str::to_owned);
            ((1..=1_000_000u64).sum::<u64>(), name)
        })
        .await
        .unwrap();
        println!(
            "   spawn_blocking: sum 1..=1e6 = {} on thread {:?}",
            sum.0, sum.1
        );
        let start = Instant::now();
        let ticks = Rc::new(std::cell::Cell::new(0_u32));
        let ticker = tulipa::spawn_local({
            let ticks = Rc::clone(&ticks);
            async move {
                let mut every = time::interval(Duration::from_millis(5));
                loop {
                    every.tick().await;
                    ticks.set(ticks.get() + 1);
                }
            }
        });
        tulipa::to_thread(|| std::thread::sleep(Duration::from_millis(50)))
            .await
            .unwrap();
        println!(
            "   to_thread: a 50 ms blocking sleep took {} ms; meanwhile a 5 ms interval on the \
             loop ticked {} times",
            ms_since(start),
            ticks.get()
        );
        ticker.cancel();
        let _ = ticker.await;
    }

    async fn other_threads() {
        step("10. Other threads: Handle::spawn and call_soon_threadsafe");
        let handle = Handle::current();
        let (sent_task, got_task) = oneshot::channel();
        let (sent_call, got_call) = oneshot::channel();
        std::thread::Builder::new()
            .name("helper".into())
            .spawn(move || {
                let from = std::thread::current().name().unwrap_or("?").to_owned();
                let task = handle.spawn(async move {
                    let runs_on = std::thread::current().name().unwrap_or("?").to_owned();
                    format!("spawned from thread '{from}', ran on thread '{runs_on}'")
                });
                let _ = sent_task.send(task);
                handle.call_soon_threadsafe(move || {
                    let on = std::thread::current().name().unwrap_or("?").to_owned();
                    let _ = sent_call.send(on);
                });
            })
            .expect("spawn a thread");
        let task = got_task.await.expect("the helper thread sends the handle");
        println!("   Handle::spawn: {}", task.await.unwrap());
        let on = got_call.await.expect("the callback runs");
        println!("   call_soon_threadsafe: the callback ran on thread '{on}'");
    }

    fn sim_deadlock() {
        step("14. The deterministic simulator finds a deadlock");
        let sim = tulipa::sim::Sim::new();
        let outcome = sim.block_on(async {
            tulipa::sleep(Duration::from_secs(90)).await;
            // Each task waits for a message the other sends only after its own arrives.
            let (to_a, from_b) = oneshot::channel::<()>();
            let (to_b, from_a) = oneshot::channel::<()>();
            let a = Builder::new().name("alice").spawn_local(async move {
                let _ = from_b.await;
                let _ = to_b.send(());
            });
            let b = Builder::new().name("bob").spawn_local(async move {
                let _ = from_a.await;
                let _ = to_a.send(());
            });
            let _ = (a.await, b.await);
        });
        match outcome {
            Err(e) => {
                println!("   Sim::block_on gave up instead of hanging:");
                for line in e.to_string().lines() {
                    println!("     {line}");
                }
            }
            Ok(()) => println!("   unexpected: the deadlock completed"),
        }
        println!(
            "   (virtual time jumped the 90 s sleep at once: it is {:?})",
            sim.now()
        );
    }

    /// A host that parks the thread on a condition variable between turns.
    struct ParkHost {
        origin: std::time::Instant,
        woken: Mutex<bool>,
        cond: Condvar,
    }

    impl Host for ParkHost {
        fn now(&self) -> Instant {
            Instant::from_nanos(self.origin.elapsed().as_nanos() as u64)
        }

        fn wake(&self) {
            *self.woken.lock().unwrap() = true;
            self.cond.notify_one();
        }
    }

    fn custom_host() {
        step("15. Your own host: drive an EventLoop by hand");
        let host = Arc::new(ParkHost {
            origin: std::time::Instant::now(),
            woken: Mutex::new(false),
            cond: Condvar::new(),
        });
        let ev = EventLoop::new(host.clone());
        let task = ev.spawn(async {
            let mut steps = 0;
            for _ in 0..3 {
                tulipa::sleep(Duration::from_millis(10)).await;
                steps += 1;
            }
            steps
        });
        let (mut busy, mut idle) = (0, 0);
        while !task.is_finished() {
            match ev.turn(64) {
                Turn::Busy => busy += 1,
                Turn::Idle(deadline) => {
                    idle += 1;
                    let mut woken = host.woken.lock().unwrap();
                    if !*woken {
                        let wait = deadline.map_or(Duration::from_secs(1), |d| d - host.now());
                        woken = host.cond.wait_timeout(woken, wait).unwrap().0;
                    }
                    *woken = false;
                }
            }
        }
        println!(
            "   the task finished after {} turns ({busy} busy, {idle} idle) and {} polls;",
            busy + idle,
            ev.polls()
        );
        println!("   between turns the host parked on a Condvar until the next timer.");
        drop(task); // finished: dropping its handle changes nothing
    }

    async fn websocket() {
        use tulipa::ws::{self, Message};
        step("16. WebSocket echo on loopback: tulipa::ws, the same client API as in the browser");
        let listener = tulipa::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let server = ws::serve(listener, |mut ws: ws::WebSocket| async move {
            while let Ok(Message::Text(t)) = ws.recv().await {
                let _ = ws.send(format!("echo: {t}")).await;
            }
        });
        let url = format!("ws://{}/", server.local_addr());
        let mut client = ws::connect(&url).await.expect("connect");
        client.send("hello, websocket").await.expect("send");
        let reply = client.recv().await.expect("a reply");
        println!("   {url}: sent \"hello, websocket\", got back {reply:?}");
        client
            .close(ws::close_code::NORMAL, "bye")
            .await
            .expect("close");
        let after = client.send("late").await;
        println!("   closed with 1000; a later send is refused: {after:?}");
        server.close();
    }

    async fn tls_echo() {
        step("17. TLS on loopback: tls::start_server / tls::open_connection (rustls)");
        // A certificate for "localhost", made on the spot (rcgen); clients trust it as a root.
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let server = tulipa::tls::ServerConfig::from_pem(
            ck.cert.pem().as_bytes(),
            ck.signing_key.serialize_pem().as_bytes(),
        )
        .unwrap()
        .with_alpn(&["echo/1"]);
        let client = tulipa::tls::ClientConfig::new()
            .with_root_certificates_pem(ck.cert.pem().as_bytes())
            .unwrap()
            .with_alpn(&["echo/1"]);
        let srv = tulipa::tls::start_server(
            |mut r, w| async move {
                while let Ok(line) = r.read_line().await {
                    if line.is_empty() {
                        break; // the client's close_notify: a clean end
                    }
                    w.write(&line.to_ascii_uppercase());
                }
                w.close();
            },
            "127.0.0.1:0",
            &server,
        )
        .await
        .unwrap();
        let addr = srv.addrs()[0].inet().unwrap();
        let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client)
            .await
            .unwrap();
        w.write(b"hello over tls\n");
        let reply = r.read_line().await.unwrap();
        let info = tulipa::tls::TlsInfo::of(&w).unwrap();
        println!(
            "   echoed {:?} over {} with {}, ALPN {:?}",
            String::from_utf8_lossy(&reply).trim_end(),
            info.version().unwrap(),
            info.cipher_suite().unwrap(),
            String::from_utf8_lossy(info.alpn_protocol().unwrap())
        );
        // The wrong name is a typed error that says what to fix.
        let err = tulipa::tls::open_connection(addr, "example.com", &client)
            .await
            .unwrap_err();
        println!("   connecting as example.com: {err}");
        w.close();
        srv.close();
    }

    fn subprocesses() {
        step("18. Subprocesses: pipes, communicate, exit status");
        tulipa::run(async {
            // Pipe text through `tr`, reading its output as it comes.
            let mut child = tulipa::process::Command::new("tr")
                .args(["a-z", "A-Z"])
                .stdin(tulipa::process::Stdio::piped())
                .stdout(tulipa::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"tulips\nin spring\n").await.unwrap();
            stdin.close(); // end of file for tr
            let stdout = child.stdout.as_mut().unwrap();
            while let Ok(line) = stdout.read_line().await {
                if line.is_empty() {
                    break;
                }
                print!("   tr says: {}", String::from_utf8_lossy(&line));
            }
            println!("   tr exited with {}", child.wait().await.unwrap());
            // communicate: feed stdin while draining stdout and stderr, no deadlock at any size.
            let mut wc = tulipa::process::create_subprocess_shell("wc -c; echo done >&2").unwrap();
            let out = wc.communicate(Some(&[b'x'; 1_000_000])).await.unwrap();
            println!(
                "   communicate: wc counted {} bytes, stderr said {:?}, return code {:?}",
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim(),
                wc.returncode()
            );
        });
    }

    async fn signals_and_exceptions() {
        use tulipa::signal::{self, SignalKind};
        step("19. Signals, and the loop's exception handler");
        // Two listeners for SIGUSR1; `kill` (a separate process) sends it to us.
        let mut a = signal::signal(SignalKind::user_defined1()).unwrap();
        let mut b = signal::signal(SignalKind::user_defined1()).unwrap();
        let pid = std::process::id().to_string();
        let status = tulipa::process::Command::new("kill")
            .args(["-USR1", &pid])
            .status()
            .await
            .unwrap();
        let (got_a, got_b) = (a.recv().await, b.recv().await);
        println!("   kill -USR1 exited {status}; both listeners woke: {got_a:?}, {got_b:?}");
        // What no caller can receive goes to the loop's exception handler (asyncio's).
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        tulipa::set_exception_handler(move |ctx| log.borrow_mut().push(ctx.to_string()));
        // A detached task that panics: nobody awaits it, so the handler hears of it.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {})); // keep the tour's output tidy
        Builder::new()
            .name("forgotten")
            .spawn_local(async { panic!("nobody is listening") })
            .detach();
        tulipa::yield_now().await;
        tulipa::yield_now().await;
        std::panic::set_hook(hook);
        println!("   the exception handler got: {:?}", seen.borrow());
        tulipa::reset_exception_handler();
    }
}
