//! A TCP echo server on the plain socket types (`tulipa::net`), with a self-test client.
//!
//! `cargo run --example net_echo` starts the server on 127.0.0.1:0, connects a client, checks
//! the echo and exits. `cargo run --example net_echo -- 127.0.0.1:7000` serves until killed
//! (try `socat - TCP:127.0.0.1:7000`).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::io::Result<()> {
    native::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // tulipa::net is native-only: sockets do not exist in the browser.
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::io;
    use std::time::Duration;

    use tulipa::net::{TcpListener, TcpStream};

    /// Echoes one connection until the peer half-closes, then half-closes back.
    async fn echo(stream: TcpStream) -> io::Result<u64> {
        stream.set_nodelay(true)?;
        let (mut r, mut w) = stream.into_split();
        let mut buf = vec![0; 16 * 1024];
        let mut total = 0;
        loop {
            let n = r.read(&mut buf).await?;
            if n == 0 {
                w.shutdown()?;
                return Ok(total);
            }
            w.write_all(&buf[..n]).await?;
            total += n as u64;
        }
    }

    /// Accepts forever; a failing accept (out of descriptors) backs off instead of spinning.
    async fn serve(listener: TcpListener) {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    tulipa::spawn(async move {
                        match echo(stream).await {
                            Ok(n) => eprintln!("{peer}: echoed {n} bytes"),
                            Err(e) => eprintln!("{peer}: {e}"),
                        }
                    })
                    .detach();
                }
                Err(e) => {
                    eprintln!("accept: {e}; retrying in 1 s");
                    tulipa::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    pub fn main() -> io::Result<()> {
        let addr = std::env::args().nth(1);
        tulipa::run(async move {
            let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:0")).await?;
            let local = listener.local_addr()?;
            eprintln!("echo server on {local}");
            if addr.is_some() {
                serve(listener).await;
                return Ok(());
            }
            let server = tulipa::spawn(serve(listener));
            let mut client = TcpStream::connect(local).await?;
            client.write_all(b"hello, tulipa").await?;
            client.shutdown(std::net::Shutdown::Write)?;
            let mut reply = Vec::new();
            let mut buf = [0; 64];
            loop {
                let n = client.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                reply.extend_from_slice(&buf[..n]);
            }
            assert_eq!(reply, b"hello, tulipa");
            println!("{}", String::from_utf8_lossy(&reply));
            drop(server);
            Ok(())
        })
    }
}
