//! Fuzzes the opening handshake parsers (server request, client response): no panic, and a
//! rejection always has a status a server can send.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match tulipa::ws::parse_request(data) {
        Ok(Some((n, req))) => {
            assert!(n <= data.len());
            assert!(!req.key.is_empty());
        }
        Ok(None) => {}
        Err(r) => {
            assert!(matches!(r.status, 400 | 405 | 426 | 431 | 505));
            let _ = r.response();
        }
    }
    let _ = tulipa::ws::check_response(data, "dGhlIHNhbXBsZSBub25jZQ==");
});
