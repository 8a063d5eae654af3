//! A chat on `tulipa::ws`. The client code in [`client`] is shared by the browser page
//! (`wasm-pack build --target web examples/chat`, see `web.rs`) and the native command-line
//! client (`src/bin/chat_cli.rs`); `src/bin/chat_server.rs` serves the page and the
//! WebSocket endpoint `/ws` on one port.
//!
//! The wire protocol is text messages: a client's first message is `/nick NAME`, every later
//! one a line of chat; the server sends every client each line as `NAME: TEXT`, and
//! `* NAME joined` / `* NAME left`.

pub mod client;

#[cfg(target_arch = "wasm32")]
mod web;
