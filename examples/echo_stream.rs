//! A stream-style echo server (asyncio's `asyncio.start_server`), line by line, over TCP or
//! a Unix socket, and a client for it.
//!
//! ```text
//! cargo run --example echo_stream                  # serve TCP on 127.0.0.1:8889
//! cargo run --example echo_stream -- /tmp/e.sock   # serve a Unix socket
//! cargo run --example echo_stream -- --demo        # serve on a free port and talk to it
//! ```

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
    use tulipa::net::{open_connection, start_server, start_unix_server};
    use tulipa::streams::{StreamError, StreamReader, StreamWriter};

    /// Echoes lines until EOF; an over-long line (over the reader's 64 KiB limit) is
    /// answered with an error line, and the connection goes on.
    async fn handle(mut reader: StreamReader, writer: StreamWriter) {
        loop {
            match reader.read_line().await {
                Ok(line) if line.is_empty() => break, // EOF
                Ok(line) => writer.write(&line),
                Err(StreamError::LimitOverrun { .. }) => writer.write(b"error: line too long\n"),
                Err(e) => {
                    eprintln!("read failed: {e}");
                    return;
                }
            }
            // Wait while the client is not reading: memory stays bounded.
            if writer.drain().await.is_err() {
                return;
            }
        }
        writer.close();
        let _ = writer.wait_closed().await;
    }

    pub fn main() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let demo = args.iter().any(|a| a == "--demo");
        let addr = args
            .iter()
            .find(|a| !a.starts_with("--"))
            .cloned()
            .unwrap_or_else(|| {
                if demo {
                    "127.0.0.1:0"
                } else {
                    "127.0.0.1:8889"
                }
                .into()
            });
        tulipa::run(async move {
            let server = if addr.contains('/') {
                start_unix_server(handle, &addr).await
            } else {
                start_server(handle, addr.as_str()).await
            }
            .expect("could not listen");
            println!("listening on {}", server.addrs()[0]);
            if !demo {
                server.wait_closed().await; // runs until killed
                return;
            }
            let (mut r, w) = open_connection(server.addrs()[0].inet().unwrap())
                .await
                .unwrap();
            for msg in ["hello", "asyncio", "for Rust"] {
                w.write(format!("{msg}\n").as_bytes());
                let back = r.read_line().await.unwrap();
                print!("sent {msg:?}, got back {}", String::from_utf8_lossy(&back));
            }
            w.close();
            server.close();
            server.wait_closed().await;
        });
    }
}
