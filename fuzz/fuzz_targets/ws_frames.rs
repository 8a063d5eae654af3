//! Fuzzes the WebSocket frame parser: arbitrary bytes, fed in arbitrary pieces, to a server
//! and a client codec with small limits. Checks: no panic; after an error nothing more is
//! reported and a close frame is queued; buffered input stays bounded by one frame plus the
//! piece just fed; every text message is valid UTF-8 (String guarantees it, the codec must
//! not panic building it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tulipa::ws::{parse_frame_header, Codec, Config, Event, Role};

fuzz_target!(|data: &[u8]| {
    let _ = parse_frame_header(data);
    if data.is_empty() {
        return;
    }
    // The first byte picks how the rest is split into reads.
    let step = usize::from(data[0] % 17) + 1;
    let input = &data[1..];
    let config = Config {
        max_frame_size: 1024,
        max_message_size: 4096,
    };
    for role in [Role::Server, Role::Client] {
        let mut codec = Codec::new(role, config);
        let mut failed = false;
        for piece in input.chunks(step) {
            codec.receive(piece);
            loop {
                match codec.next_event() {
                    Ok(Some(ev)) => {
                        assert!(!failed, "an event after an error");
                        if let Event::Close { code, .. } = ev {
                            assert!(code >= 1000);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        assert!(!failed, "two errors");
                        failed = true;
                        assert!(e.close_code().is_some());
                        assert!(!codec.output().is_empty() || codec.close_sent());
                        assert!(codec.is_closed());
                        break;
                    }
                }
            }
            assert!(
                codec.buffered_input() <= config.max_frame_size + 14 + step,
                "input buffer grew to {}",
                codec.buffered_input()
            );
        }
    }
});
