//! tulipa in a web page.
//!
//! Build with `wasm-pack build --target web examples/browser` (from the repository root),
//! serve `examples/browser/` with any static file server and open `index.html`. The page
//! starts a live counter driven by [`tulipa::time::interval`], awaits a promise made by
//! [`tulipa::web::spawn_promise`], then runs [`run_demo`]: three named tasks that sleep, one
//! of which is cancelled with a message.
//!
//! Everything here is `wasm32`-only; on other targets the crate is empty.

#[cfg(target_arch = "wasm32")]
mod page;

#[cfg(target_arch = "wasm32")]
pub use page::{run_demo, sleep, Counter};
