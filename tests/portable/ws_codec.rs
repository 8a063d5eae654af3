//! The WebSocket codec and handshake helpers (sans-I/O), on both targets: the same bytes
//! must give the same events natively and in the browser.

use tulipa::ws::{
    accept_key, accept_response, check_response, client_request, encode_frame, generate_key,
    parse_request, Codec, Config, Error, Event, Message, Opcode, ProtocolError, Role, WsUrl,
};

fn pump(from: &mut Codec, to: &mut Codec) {
    to.receive(from.output());
    let n = from.output().len();
    from.consume_output(n);
}

fn events(c: &mut Codec) -> Result<Vec<Event>, Error> {
    let mut v = Vec::new();
    while let Some(e) = c.next_event()? {
        v.push(e);
    }
    Ok(v)
}

sim_test! {
    async fn ws_codec_round_trips_every_length_encoding() {
        for len in [0usize, 125, 126, 65535, 65536, 100_000] {
            let mut c = Codec::new(Role::Client, Config::default());
            let mut s = Codec::new(Role::Server, Config::default());
            let data: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
            c.send(&Message::Binary(data.clone())).unwrap();
            pump(&mut c, &mut s);
            assert_eq!(events(&mut s).unwrap(), [Event::Message(Message::Binary(data))]);
        }
    }
}

sim_test! {
    async fn ws_codec_fragments_pings_and_split_utf8() {
        let mut c = Codec::new(Role::Client, Config::default());
        let mut s = Codec::new(Role::Server, Config::default());
        let text = "añb€c".as_bytes();
        c.send_frame(false, Opcode::Text, &text[..2]); // 'a' and half of 'ñ'
        c.send_frame(true, Opcode::Ping, b"p");
        c.send_frame(false, Opcode::Continuation, &text[2..5]);
        c.send_frame(true, Opcode::Continuation, &text[5..]);
        // Fed one byte at a time.
        let bytes = c.output().to_vec();
        let mut got = Vec::new();
        for b in bytes {
            s.receive(&[b]);
            got.extend(events(&mut s).unwrap());
        }
        assert_eq!(
            got,
            [Event::Ping(b"p".to_vec()), Event::Message(Message::Text("añb€c".into()))]
        );
        pump(&mut s, &mut c);
        assert_eq!(events(&mut c).unwrap(), [Event::Pong(b"p".to_vec())]);
    }
}

sim_test! {
    async fn ws_codec_violations_close_with_their_codes() {
        let cases: [(&[u8], u16); 4] = [
            (&[0x81, 0x01, b'x'], 1002),                    // unmasked client frame
            (&[0xC1, 0x80, 0, 0, 0, 0], 1002),              // RSV1
            (&[0x81, 0x81, 0, 0, 0, 0, 0xFF], 1007),        // invalid UTF-8
            (&[0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4], 1009), // 4 GiB frame
        ];
        for (input, code) in cases {
            let mut s = Codec::new(Role::Server, Config::default());
            s.receive(input);
            let e = s.next_event().unwrap_err();
            assert_eq!(e.close_code(), Some(code), "{input:?}: {e}");
            assert!(s.is_closed());
            let out = s.output();
            assert_eq!(out[0], 0x88);
            assert_eq!(u16::from_be_bytes([out[2], out[3]]), code);
        }
        let mut s = Codec::new(Role::Server, Config::default());
        let mut f = Vec::new();
        encode_frame(&mut f, true, Opcode::Continuation, Some([1, 2, 3, 4]), b"x");
        s.receive(&f);
        assert!(matches!(
            s.next_event(),
            Err(Error::Protocol(ProtocolError::UnexpectedContinuation))
        ));
    }
}

sim_test! {
    async fn ws_codec_closing_handshake() {
        let mut c = Codec::new(Role::Client, Config::default());
        let mut s = Codec::new(Role::Server, Config::default());
        s.send(&Message::Close { code: 4100, reason: "bye".into() }).unwrap();
        pump(&mut s, &mut c);
        assert_eq!(
            events(&mut c).unwrap(),
            [Event::Close { code: 4100, reason: "bye".into() }]
        );
        pump(&mut c, &mut s);
        assert_eq!(
            events(&mut s).unwrap(),
            [Event::Close { code: 4100, reason: String::new() }]
        );
        assert!(c.is_closed() && s.is_closed());
        assert!(matches!(c.send(&Message::Text("late".into())), Err(Error::ConnectionClosed)));
    }
}

sim_test! {
    async fn ws_handshake_request_and_response_agree() {
        let url = WsUrl::parse("ws://[::1]:9001/chat?x=1").unwrap();
        let key = generate_key();
        let req = client_request(&url, &key, &[("X-Test".into(), "1".into())]);
        let (n, parsed) = parse_request(&req).unwrap().unwrap();
        assert_eq!(n, req.len());
        assert_eq!(parsed.path, "/chat?x=1");
        assert_eq!(parsed.header("host"), Some("[::1]:9001"));
        assert_eq!(parsed.header("x-test"), Some("1"));
        let resp = accept_response(&parsed.key);
        assert_eq!(check_response(&resp, &key).unwrap(), Some(resp.len()));
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
