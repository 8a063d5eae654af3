//! The chat's command-line client, on the same client code as the browser page:
//!
//!     cargo run -p tulipa-chat-example --bin chat_cli -- ws://127.0.0.1:8080/ws carol
//!
//! Lines typed on stdin are sent; lines from the chat are printed. End of input leaves.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::io::{BufRead, Write};

    use tulipa_chat_example::client;

    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:8080/ws".to_owned());
    let name = args.next().unwrap_or_else(|| "cli".to_owned());
    tulipa::run(async move {
        let (out, mut incoming) = match client::join(&url, &name).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("chat_cli: cannot join {url}: {e}");
                std::process::exit(1);
            }
        };
        let printer = tulipa::spawn_local(async move {
            while let Some(line) = incoming.next().await {
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(stdout, "{line}");
                let _ = stdout.flush();
            }
        });
        // Stdin is read on the blocking pool, one line at a time.
        loop {
            let line = tulipa::to_thread(|| {
                let mut s = String::new();
                match std::io::stdin().lock().read_line(&mut s) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(s.trim_end().to_owned()),
                }
            })
            .await
            .ok()
            .flatten();
            match line {
                Some(l) if !l.is_empty() => {
                    if out.say(&l).await.is_err() {
                        break;
                    }
                }
                Some(_) => {}
                None => break,
            }
        }
        let _ = out.leave().await;
        let _ = printer.await;
    });
}

#[cfg(target_arch = "wasm32")]
fn main() {}
