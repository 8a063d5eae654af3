//! A protocol-style echo server (asyncio's `loop.create_server` with a `Protocol`), over TCP
//! or a Unix socket.
//!
//! ```text
//! cargo run --example echo_protocol                 # TCP on 127.0.0.1:8888
//! cargo run --example echo_protocol -- 127.0.0.1:0  # an OS-chosen port
//! cargo run --example echo_protocol -- /tmp/echo.sock
//! ```
//!
//! Try it with `nc 127.0.0.1 8888` or `socat - UNIX-CONNECT:/tmp/echo.sock`. It stops after
//! `--once` has served one connection (used by the test suite), else runs until killed.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    echo::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // A browser has no sockets to listen on.
}

#[cfg(not(target_arch = "wasm32"))]
mod echo {
    use std::cell::Cell;
    use std::io;
    use std::rc::Rc;

    use tulipa::net::{create_server, create_unix_server};
    use tulipa::transports::{Protocol, Transport};

    /// Echoes every byte back, respecting flow control: while the client does not read,
    /// the echo stops reading too.
    struct Echo {
        transport: Option<Rc<dyn Transport>>,
        served: Rc<Cell<usize>>,
    }

    impl Protocol for Echo {
        fn connection_made(&mut self, transport: Rc<dyn Transport>) {
            eprintln!("connection from {:?}", transport.peer_addr());
            self.transport = Some(transport);
        }

        fn data_received(&mut self, data: &[u8]) {
            self.transport.as_ref().unwrap().write(data);
        }

        fn eof_received(&mut self) -> bool {
            false // close our side too
        }

        fn pause_writing(&mut self) {
            // The client is slow: stop reading from it until it catches up.
            self.transport.as_ref().unwrap().pause_reading();
        }

        fn resume_writing(&mut self) {
            self.transport.as_ref().unwrap().resume_reading();
        }

        fn connection_lost(&mut self, error: Option<io::Error>) {
            eprintln!("connection closed ({error:?})");
            self.served.set(self.served.get() + 1);
        }
    }

    pub fn main() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let once = args.iter().any(|a| a == "--once");
        let addr = args
            .iter()
            .find(|a| !a.starts_with("--"))
            .cloned()
            .unwrap_or_else(|| "127.0.0.1:8888".into());
        tulipa::run(async move {
            let served = Rc::new(Cell::new(0));
            let s = Rc::clone(&served);
            let factory = move || Echo {
                transport: None,
                served: Rc::clone(&s),
            };
            let server = if addr.contains('/') {
                create_unix_server(factory, &addr).await
            } else {
                create_server(factory, addr.as_str()).await
            }
            .expect("could not listen");
            // The address line is what scripts wait for.
            println!("listening on {}", server.addrs()[0]);
            while !once || served.get() == 0 {
                tulipa::sleep(std::time::Duration::from_millis(20)).await;
            }
            server.close();
            server.wait_closed().await;
        });
    }
}
