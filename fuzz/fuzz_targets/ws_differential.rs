//! Differential fuzzing of the WebSocket codec: the same bytes, fed in the same pieces, to
//! tulipa's `ws::Codec` and to tungstenite's protocol layer (`WebSocket::from_raw_socket`
//! over an in-memory stream), in the same role and with the same limits. Checks that both
//! accept or reject, and that they decode the same events (messages, pings, pongs, close).
//!
//! Input: byte 0 picks the role (bit 0: server or client) and how many bytes each piece
//! holds (1 to 16); the rest is the peer's bytes.
//!
//! The comparison is made per piece, so "when" is the number of pieces fed:
//!
//! 1. Every event either side reports at or before the first failure of either side must
//!    be reported by both, in the same order and at the same piece.
//! 2. A side may fail earlier than the other (RFC 6455 lets an endpoint fail the
//!    connection as soon as it sees a violation: tulipa refuses a bad control frame or an
//!    oversized continuation from its header, tungstenite once the payload is in), but
//!    only tulipa may: tungstenite failing on input tulipa still accepts at the end is a
//!    finding, as is tulipa failing where tungstenite goes on without failing to the end of
//!    the input and has seen the whole frame.
//! 3. After a close frame both stop reading (tulipa ignores what follows; tungstenite
//!    reports it as an error): nothing after the first close is compared.
//!
//! Differences RFC 6455 allows, which the target does not flag (also noted in
//! src/ws/codec.rs, at `Codec::frame`):
//!
//! * A close frame with a code no endpoint may send (1004, 1005, 1006, 1015, < 1000,
//!   1016–2999, >= 5000): tulipa fails the connection with 1002; tungstenite reports the
//!   close to its user as code 1002 "Protocol violation" and answers 1002. Both end the
//!   connection with 1002, so the two are taken as the same outcome.
//! * Close code 1014 (registered with IANA after RFC 6455): tulipa accepts it, tungstenite
//!   treats it as invalid as above.
//! * Failing early (rule 2).
#![no_main]

use std::io::{self, Read, Write};

use libfuzzer_sys::fuzz_target;
use tulipa::ws::{Codec, Config, Error, Event, Message, ProtocolError, Role};
use tungstenite::protocol::{frame::coding::CloseCode, Role as TRole, WebSocket, WebSocketConfig};

const MAX_FRAME: usize = 1024;
const MAX_MESSAGE: usize = 4096;

/// What one side did with the input: the events with the piece they came at, then how it
/// ended.
#[derive(Debug, PartialEq)]
enum Seen {
    Message { text: bool, data: Vec<u8> },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close { code: u16, reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// Wants more bytes (no failure by the end of the input).
    Open,
    /// Failed at this piece.
    Failed(usize),
    /// Read a close frame at this piece.
    Closed(usize),
}

#[derive(Debug)]
struct Outcome {
    events: Vec<(usize, Seen)>,
    end: End,
    /// tulipa only: refused a close frame's code (the tungstenite-equivalent of a 1002 close).
    bad_close_code: Option<u16>,
}

fn run_tulipa(role: Role, pieces: &[&[u8]]) -> Outcome {
    let config = Config {
        max_frame_size: MAX_FRAME,
        max_message_size: MAX_MESSAGE,
    };
    let mut codec = Codec::new(role, config);
    let mut out = Outcome {
        events: Vec::new(),
        end: End::Open,
        bad_close_code: None,
    };
    for (i, piece) in pieces.iter().enumerate() {
        codec.receive(piece);
        loop {
            match codec.next_event() {
                Ok(Some(ev)) => {
                    let seen = match ev {
                        Event::Message(Message::Text(s)) => Seen::Message {
                            text: true,
                            data: s.into_bytes(),
                        },
                        Event::Message(Message::Binary(b)) => Seen::Message {
                            text: false,
                            data: b,
                        },
                        Event::Message(Message::Close { .. }) => unreachable!("not an event"),
                        Event::Ping(p) => Seen::Ping(p),
                        Event::Pong(p) => Seen::Pong(p),
                        Event::Close { code, reason } => Seen::Close { code, reason },
                    };
                    let close = matches!(seen, Seen::Close { .. });
                    out.events.push((i, seen));
                    if close {
                        out.end = End::Closed(i);
                        return out;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    if let Error::Protocol(ProtocolError::InvalidCloseCode(c)) = e {
                        out.bad_close_code = Some(c);
                    }
                    out.end = End::Failed(i);
                    return out;
                }
            }
        }
    }
    out
}

/// An in-memory socket: reads return the bytes made available so far, then WouldBlock;
/// writes (pongs, close replies) are kept and ignored.
struct Mem {
    data: Vec<u8>,
    pos: usize,
    avail: usize,
    written: Vec<u8>,
}

impl Read for Mem {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (self.avail - self.pos).min(buf.len());
        if n == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Mem {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn run_tungstenite(role: Role, pieces: &[&[u8]]) -> Outcome {
    let data: Vec<u8> = pieces.concat();
    let mem = Mem {
        data,
        pos: 0,
        avail: 0,
        written: Vec::new(),
    };
    let trole = match role {
        Role::Server => TRole::Server,
        Role::Client => TRole::Client,
    };
    let config = WebSocketConfig::default()
        .max_frame_size(Some(MAX_FRAME))
        .max_message_size(Some(MAX_MESSAGE));
    let mut ws = WebSocket::from_raw_socket(mem, trole, Some(config));
    let mut out = Outcome {
        events: Vec::new(),
        end: End::Open,
        bad_close_code: None,
    };
    for (i, piece) in pieces.iter().enumerate() {
        ws.get_mut().avail += piece.len();
        // Bounded: each message consumes input, and the input is finite.
        for _ in 0..=ws.get_ref().data.len() + 1 {
            match ws.read() {
                Ok(msg) => {
                    let seen = match msg {
                        tungstenite::Message::Text(t) => Seen::Message {
                            text: true,
                            data: t.as_bytes().to_vec(),
                        },
                        tungstenite::Message::Binary(b) => Seen::Message {
                            text: false,
                            data: b.to_vec(),
                        },
                        tungstenite::Message::Ping(p) => Seen::Ping(p.to_vec()),
                        tungstenite::Message::Pong(p) => Seen::Pong(p.to_vec()),
                        tungstenite::Message::Close(c) => match c {
                            None => Seen::Close {
                                code: 1005,
                                reason: String::new(),
                            },
                            Some(f) => Seen::Close {
                                code: u16::from(f.code),
                                reason: f.reason.as_str().to_owned(),
                            },
                        },
                        tungstenite::Message::Frame(_) => unreachable!("raw frames are not read"),
                    };
                    let close = matches!(seen, Seen::Close { .. });
                    out.events.push((i, seen));
                    if close {
                        out.end = End::Closed(i);
                        return out;
                    }
                }
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    out.end = End::Failed(i);
                    return out;
                }
            }
        }
    }
    out
}

/// tungstenite's report of a close frame whose code it refused (see the module docs).
fn is_replaced_close(seen: &Seen) -> bool {
    matches!(seen, Seen::Close { code, reason }
        if *code == u16::from(CloseCode::Protocol) && reason == "Protocol violation")
}

fn compare(t: &Outcome, g: &Outcome, input: &[u8], step: usize) {
    let fail = |why: &str| {
        panic!("{why}\n  tulipa:      {t:?}\n  tungstenite: {g:?}\n  input: {input:02x?}");
    };
    // The documented close-code equivalence: tulipa's failure on a close code and
    // tungstenite's replaced close at the same piece are one outcome; so is tulipa's
    // accepted 1014 close.
    let mut t_events: Vec<&(usize, Seen)> = t.events.iter().collect();
    let mut g_events: Vec<&(usize, Seen)> = g.events.iter().collect();
    let mut t_end = t.end;
    let mut g_end = g.end;
    if let (Some(_), End::Failed(i), End::Closed(j)) = (t.bad_close_code, t.end, g.end) {
        if i == j && g_events.last().is_some_and(|e| is_replaced_close(&e.1)) {
            g_events.pop();
            g_end = End::Failed(j);
        }
    }
    if let (End::Closed(i), End::Closed(j)) = (t.end, g.end) {
        let t_last = &t_events.last().expect("a close event").1;
        let g_last = &g_events.last().expect("a close event").1;
        if i == j && matches!(t_last, Seen::Close { code: 1014, .. }) && is_replaced_close(g_last) {
            t_events.pop();
            g_events.pop();
            t_end = End::Failed(i);
            g_end = End::Failed(j);
        }
    }

    // Rule 1: events up to the first failure agree.
    let horizon = match (t_end, g_end) {
        (End::Failed(a), End::Failed(b)) => a.min(b),
        (End::Failed(a), _) | (_, End::Failed(a)) => a,
        _ => usize::MAX,
    };
    let t_before: Vec<_> = t_events.iter().filter(|e| e.0 <= horizon).collect();
    let g_before: Vec<_> = g_events.iter().filter(|e| e.0 <= horizon).collect();
    if t_before != g_before {
        fail("the events differ");
    }

    // Rule 2: who fails, and when.
    match (t_end, g_end) {
        (End::Failed(a), End::Failed(b)) => {
            if b < a {
                fail("tungstenite failed earlier than tulipa");
            }
        }
        (End::Failed(a), End::Open) => {
            // tulipa failed first; tungstenite must still be waiting for the rest of the
            // frame tulipa refused (it would judge it once the payload arrived), else
            // tulipa refused a frame tungstenite took.
            match last_partial_frame_start(input) {
                Some(start) if piece_of(start, step) <= a => {}
                _ => fail("tulipa failed on input tungstenite accepted"),
            }
        }
        (End::Failed(_), End::Closed(_)) => fail("tulipa failed, tungstenite read a close"),
        (End::Open | End::Closed(_), End::Failed(_)) => fail("tungstenite failed, tulipa did not"),
        (End::Closed(a), End::Closed(b)) => {
            if a != b {
                fail("the close came at different pieces");
            }
        }
        (End::Open, End::Open) => {
            if t_events.len() != g_events.len() {
                fail("different event counts");
            }
        }
        (End::Open, End::Closed(_)) | (End::Closed(_), End::Open) => {
            fail("one side read a close, the other did not")
        }
    }
}

/// Where the frame the input ends inside starts (walking headers only, without checks),
/// or None if the input ends on a frame boundary.
fn last_partial_frame_start(input: &[u8]) -> Option<usize> {
    let mut pos = 0;
    // Bounded: each frame is at least two bytes.
    while pos < input.len() {
        match raw_frame_len(&input[pos..]) {
            Some((len, hlen)) if len <= input.len() - pos - hlen => pos += hlen + len,
            _ => return Some(pos),
        }
    }
    None
}

/// The piece (of `step` bytes) in which byte `offset` arrives.
fn piece_of(offset: usize, step: usize) -> usize {
    offset / step
}

/// The payload length and header length of the frame at the start of `b` (no checks), or
/// None if the header is incomplete.
fn raw_frame_len(b: &[u8]) -> Option<(usize, usize)> {
    if b.len() < 2 {
        return None;
    }
    let masked = b[1] & 0x80 != 0;
    let (len, mut hlen) = match b[1] & 0x7F {
        126 => {
            if b.len() < 4 {
                return None;
            }
            (usize::from(u16::from_be_bytes([b[2], b[3]])), 4)
        }
        127 => {
            if b.len() < 10 {
                return None;
            }
            let n = u64::from_be_bytes(b[2..10].try_into().unwrap());
            (usize::try_from(n).unwrap_or(usize::MAX), 10)
        }
        n => (usize::from(n), 2),
    };
    if masked {
        hlen += 4;
    }
    if b.len() < hlen {
        return None;
    }
    Some((len, hlen))
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let role = if first & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let step = usize::from((first >> 1) % 16) + 1;
    let pieces: Vec<&[u8]> = input.chunks(step).collect();
    let t = run_tulipa(role, &pieces);
    let g = run_tungstenite(role, &pieces);
    compare(&t, &g, input, step);
});
