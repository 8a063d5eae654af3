//! The chat server: serves the page (`index.html`, `pkg/`) and the WebSocket endpoint `/ws`
//! on one port.
//!
//!     wasm-pack build --target web examples/chat
//!     cargo run -p tulipa-chat-example --bin chat_server -- 127.0.0.1:8080
//!
//! then open http://127.0.0.1:8080/?name=alice in a browser (and another page, or
//! `cargo run -p tulipa-chat-example --bin chat_cli -- ws://127.0.0.1:8080/ws carol`).
//! It prints `listening on ADDR` when ready.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::cell::RefCell;
    use std::io;
    use std::path::{Path, PathBuf};
    use std::pin::Pin;
    use std::rc::Rc;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use futures_io::{AsyncRead, AsyncWrite};
    use tulipa::net::{TcpListener, TcpStream};
    use tulipa::time::timeout;
    use tulipa::ws::{self, Message, WebSocketSender};

    /// Everyone in the room, by connection id.
    type Room = Rc<RefCell<Vec<(u64, WebSocketSender)>>>;

    pub fn main() {
        let addr = std::env::args()
            .nth(1)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        tulipa::run(async move {
            let listener = TcpListener::bind(addr.as_str()).await.expect("bind");
            println!("listening on {}", listener.local_addr().unwrap());
            let room: Room = Rc::default();
            let mut next_id = 0;
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    tulipa::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                next_id += 1;
                let (room, root, id) = (room.clone(), root.clone(), next_id);
                tulipa::spawn_local(async move {
                    let _ = connection(tcp, id, room, &root).await;
                })
                .detach();
            }
        });
    }

    /// Reads the request head; a WebSocket upgrade to `/ws` joins the room, any other GET
    /// is served from the example's directory.
    async fn connection(mut tcp: TcpStream, id: u64, room: Room, root: &Path) -> io::Result<()> {
        let mut head = Vec::new();
        let mut buf = [0u8; 2048];
        let read_head = async {
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = tcp.read(&mut buf).await?;
                if n == 0 || head.len() > 16 * 1024 {
                    return Err(io::Error::from(io::ErrorKind::InvalidData));
                }
                head.extend_from_slice(&buf[..n]);
            }
            Ok(())
        };
        timeout(Duration::from_secs(10), read_head)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        match ws::parse_request(&head) {
            Ok(Some((_, req))) if req.path == "/ws" => {
                // The handshake reads the head again: replay it in front of the stream.
                let stream = Replay {
                    head,
                    pos: 0,
                    inner: tcp,
                };
                if let Ok(ws) = ws::accept(stream).await {
                    chat(ws, id, room).await;
                }
                Ok(())
            }
            Err(r) if r.path.is_some() => {
                serve_file(&mut tcp, r.path.as_deref().unwrap(), root).await
            }
            Ok(_) => {
                tcp.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    .await
            }
            Err(r) => tcp.write_all(&r.response()).await,
        }
    }

    async fn chat(mut ws: ws::WebSocket, id: u64, room: Room) {
        let name = match ws.recv().await {
            Ok(Message::Text(t)) if t.starts_with("/nick ") => t[6..].trim().to_owned(),
            _ => return,
        };
        let (tx, mut rx) = {
            let (tx, rx) = ws.split();
            (tx, rx)
        };
        room.borrow_mut().push((id, tx));
        broadcast(&room, format!("* {name} joined")).await;
        while let Ok(Message::Text(line)) = rx.recv().await {
            broadcast(&room, format!("{name}: {line}")).await;
        }
        room.borrow_mut().retain(|(i, _)| *i != id);
        broadcast(&room, format!("* {name} left")).await;
    }

    /// Sends `line` to everyone; a member that cannot take it within a second is dropped.
    async fn broadcast(room: &Room, line: String) {
        let members: Vec<(u64, WebSocketSender)> = room.borrow().clone();
        for (id, tx) in members {
            let sent = timeout(Duration::from_secs(1), tx.send(line.clone())).await;
            if !matches!(sent, Ok(Ok(()))) {
                room.borrow_mut().retain(|(i, _)| *i != id);
            }
        }
    }

    async fn serve_file(tcp: &mut TcpStream, path: &str, root: &Path) -> io::Result<()> {
        let path = path.split('?').next().unwrap_or("/");
        let rel = if path == "/" {
            "index.html"
        } else {
            path.trim_start_matches('/')
        };
        let ok = !rel.split('/').any(|c| c == ".." || c.is_empty())
            && (rel == "index.html" || rel.starts_with("pkg/"));
        let body = if ok {
            std::fs::read(root.join(rel)).ok()
        } else {
            None
        };
        let Some(body) = body else {
            return tcp
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
        };
        let kind = match rel.rsplit('.').next() {
            Some("html") => "text/html; charset=utf-8",
            Some("js") => "text/javascript",
            Some("wasm") => "application/wasm",
            _ => "application/octet-stream",
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        tcp.write_all(head.as_bytes()).await?;
        tcp.write_all(&body).await
    }

    /// A stream that first yields bytes already read from it.
    struct Replay {
        head: Vec<u8>,
        pos: usize,
        inner: TcpStream,
    }

    impl AsyncRead for Replay {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            if self.pos < self.head.len() {
                let n = buf.len().min(self.head.len() - self.pos);
                buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
                self.pos += n;
                return Poll::Ready(Ok(n));
            }
            Pin::new(&mut self.inner).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Replay {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.inner).poll_write(cx, buf)
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }
        fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_close(cx)
        }
    }
}
