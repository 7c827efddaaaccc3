//! Byte-level HTTP/3 for the hostile-input tests: a `quinn` connection with hand-made HTTP/3
//! frames (RFC 9114 §7) and QPACK field sections (RFC 9204, static table and literals only),
//! bypassing the `h3` client so a test can send what no well-behaved client would. Also a UDP
//! relay that holds back a client's QUIC Handshake packets and the server's replies (the 0-RTT
//! test uses it to make sure requests go out as early data and the handshake stays incomplete
//! while they are answered).
//!
//! Every wait is bounded by [`GUARD`](crate::proto::GUARD).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use super::proto::{client_tls_config, test_cert, GUARD};

/// HTTP/3 frame types.
pub const DATA: u64 = 0x00;
pub const HEADERS: u64 = 0x01;
pub const SETTINGS: u64 = 0x04;
pub const GOAWAY: u64 = 0x07;

/// HTTP/3 error codes (RFC 9114 §8.1, RFC 9204 §6).
pub const H3_NO_ERROR: u64 = 0x100;
pub const H3_FRAME_UNEXPECTED: u64 = 0x105;
pub const H3_REQUEST_REJECTED: u64 = 0x10b;
pub const H3_REQUEST_CANCELLED: u64 = 0x10c;
pub const H3_MESSAGE_ERROR: u64 = 0x10e;
pub const QPACK_DECOMPRESSION_FAILED: u64 = 0x200;
/// QUIC `CRYPTO_ERROR` for the TLS alert `no_application_protocol` (120).
pub const CRYPTO_NO_APPLICATION_PROTOCOL: u64 = 0x100 + 120;

/// A QUIC variable-length integer (RFC 9000 §16).
pub fn varint(v: u64) -> Vec<u8> {
    match v {
        0..=0x3f => vec![v as u8],
        0x40..=0x3fff => (v as u16 | 0x4000).to_be_bytes().to_vec(),
        0x4000..=0x3fff_ffff => (v as u32 | 0x8000_0000).to_be_bytes().to_vec(),
        _ => (v | 0xc000_0000_0000_0000).to_be_bytes().to_vec(),
    }
}

/// Reads a varint at the start of `b`: (value, length), `None` if incomplete.
pub fn read_varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    if b.len() < len {
        return None;
    }
    let mut v = u64::from(first & 0x3f);
    for byte in &b[1..len] {
        v = (v << 8) | u64::from(*byte);
    }
    Some((v, len))
}

/// One HTTP/3 frame.
pub fn frame(ty: u64, payload: &[u8]) -> Vec<u8> {
    [varint(ty), varint(payload.len() as u64), payload.to_vec()].concat()
}

/// A QPACK prefixed integer (RFC 9204 §4.1.1): `flags` in the bits above the prefix.
fn prefix_int(out: &mut Vec<u8>, flags: u8, bits: u8, mut v: u64) {
    let max = (1u64 << bits) - 1;
    if v < max {
        out.push(flags | v as u8);
        return;
    }
    out.push(flags | max as u8);
    v -= max;
    while v >= 128 {
        out.push((v % 128) as u8 | 0x80);
        v /= 128;
    }
    out.push(v as u8);
}

/// A QPACK field section of literal field lines with literal names (no Huffman, no table).
pub fn qpack(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = vec![0x00, 0x00]; // Required Insert Count 0, Base 0
    for (name, value) in fields {
        prefix_int(&mut out, 0x20, 3, name.len() as u64);
        out.extend_from_slice(name.as_bytes());
        prefix_int(&mut out, 0x00, 7, value.len() as u64);
        out.extend_from_slice(value.as_bytes());
    }
    out
}

/// The request pseudo-headers of `GET https://localhost{path}`, then `extra`.
pub fn get_fields<'a>(path: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "localhost"),
        (":path", path),
    ];
    f.extend_from_slice(extra);
    f
}

/// Decodes the digits of a Huffman-coded status (RFC 7541 Appendix B: `0`–`2` are 5-bit
/// codes, `3`–`9` 6-bit `011001`…`011111`).
fn huffman_digits(bytes: &[u8]) -> Option<String> {
    let bits: Vec<u8> = bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect();
    let (mut at, mut out) = (0, String::new());
    let take = |at: usize, n: usize| -> Option<u32> {
        (at + n <= bits.len()).then(|| {
            bits[at..at + n]
                .iter()
                .fold(0, |v, b| v << 1 | u32::from(*b))
        })
    };
    while out.len() < 3 {
        match take(at, 5)? {
            c @ 0..=2 => {
                out.push(char::from(b'0' + c as u8));
                at += 5;
            }
            _ => {
                let c = take(at, 6)?;
                if !(0x19..=0x1f).contains(&c) {
                    return None;
                }
                out.push(char::from(b'0' + (c - 0x19 + 3) as u8));
                at += 6;
            }
        }
    }
    Some(out)
}

/// The `:status` of a response field section as `h3` encodes it (the first field line:
/// indexed from the static table, or a literal with the static name `:status`).
pub fn status_of(section: &[u8]) -> Option<u16> {
    // The static table's `:status` entries (RFC 9204 Appendix A).
    const STATIC: [(u8, u16); 14] = [
        (24, 103),
        (25, 200),
        (26, 304),
        (27, 404),
        (28, 503),
        (63, 100),
        (64, 204),
        (65, 206),
        (66, 302),
        (67, 400),
        (68, 403),
        (69, 421),
        (70, 425),
        (71, 500),
    ];
    let line = section.get(2..)?; // after the two-byte prefix (no dynamic table)
    let first = *line.first()?;
    if first & 0xc0 == 0xc0 {
        // Indexed field line, static: 6-bit prefix.
        let idx = if first & 0x3f == 0x3f {
            0x3f + *line.get(1)?
        } else {
            first & 0x3f
        };
        return STATIC.iter().find(|(i, _)| *i == idx).map(|(_, s)| *s);
    }
    // Literal with a static name reference to `:status` (24 = 15 + 9).
    if first & 0xd0 == 0x50 && first & 0x0f == 0x0f && *line.get(1)? == 9 {
        let len_byte = *line.get(2)?;
        let len = usize::from(len_byte & 0x7f);
        let value = line.get(3..3 + len)?;
        let digits = if len_byte & 0x80 != 0 {
            huffman_digits(value)?
        } else {
            String::from_utf8(value.to_vec()).ok()?
        };
        return digits.parse().ok();
    }
    None
}

/// A QUIC client endpoint on 127.0.0.1 trusting the test certificate, offering `alpn`, with
/// a short idle timeout (so a test waiting on a dead server fails fast).
pub fn endpoint(alpn: &[&[u8]], idle: std::time::Duration) -> quinn::Endpoint {
    let tls = client_tls_config(test_cert(), alpn);
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls).expect("QUIC client TLS");
    let mut cfg = quinn::ClientConfig::new(Arc::new(quic));
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(Some(idle.try_into().expect("idle timeout")));
    cfg.transport_config(Arc::new(transport));
    let mut endpoint =
        quinn::Endpoint::client("127.0.0.1:0".parse().expect("address")).expect("UDP socket");
    endpoint.set_default_client_config(cfg);
    endpoint
}

/// A raw HTTP/3 connection: QUIC with ALPN `h3`, the client's control stream open with an
/// empty SETTINGS frame (kept open: closing it is a connection error), and nothing else.
pub struct RawH3 {
    pub conn: quinn::Connection,
    _control: quinn::SendStream,
    _endpoint: quinn::Endpoint,
}

impl RawH3 {
    pub async fn connect(addr: SocketAddr) -> RawH3 {
        let endpoint = endpoint(&[b"h3"], GUARD);
        let connecting = endpoint.connect(addr, "localhost").expect("connect");
        let conn = tokio::time::timeout(GUARD, connecting)
            .await
            .expect("QUIC handshake in time")
            .expect("QUIC handshake");
        let mut control = conn.open_uni().await.expect("control stream");
        let mut head = varint(0x00); // stream type: control
        head.extend(frame(SETTINGS, &[]));
        control.write_all(&head).await.expect("SETTINGS");
        RawH3 {
            conn,
            _control: control,
            _endpoint: endpoint,
        }
    }

    /// Opens a request stream and sends `bytes` on it (then FIN when `fin`).
    pub async fn send(&self, bytes: &[u8], fin: bool) -> (quinn::SendStream, quinn::RecvStream) {
        let (mut send, recv) = tokio::time::timeout(GUARD, self.conn.open_bi())
            .await
            .expect("stream credit in time")
            .expect("open_bi");
        send.write_all(bytes).await.expect("write request");
        if fin {
            send.finish().expect("finish");
        }
        (send, recv)
    }

    /// The application error code the server closed the connection with.
    pub async fn closed_with(&self) -> u64 {
        let e = tokio::time::timeout(GUARD, self.conn.closed())
            .await
            .expect("connection closed in time");
        match e {
            quinn::ConnectionError::ApplicationClosed(c) => c.error_code.into_inner(),
            other => panic!("expected an HTTP/3 application close, got {other}"),
        }
    }

    /// The server's control stream (uni stream type 0x00), its SETTINGS frame read.
    pub async fn control(&self) -> Control {
        loop {
            let mut recv = tokio::time::timeout(GUARD, self.conn.accept_uni())
                .await
                .expect("server's uni streams in time")
                .expect("accept_uni");
            let mut buf = Vec::new();
            while buf.is_empty() {
                let chunk = tokio::time::timeout(GUARD, recv.read_chunk(4096, true))
                    .await
                    .expect("stream type in time")
                    .expect("read")
                    .expect("uni stream not empty");
                buf.extend_from_slice(&chunk.bytes);
            }
            if buf[0] != 0x00 {
                continue; // a QPACK stream
            }
            buf.remove(0);
            let mut control = Control { recv, buf };
            let (ty, _) = control.next().await;
            assert_eq!(ty, SETTINGS, "the control stream starts with SETTINGS");
            return control;
        }
    }

    /// `GET path` on a new stream; returns (status, body).
    pub async fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let req = frame(HEADERS, &qpack(&get_fields(path, &[])));
        let (_send, mut recv) = self.send(&req, true).await;
        let frames = read_frames(&mut recv).await.expect("complete response");
        response_of(&frames)
    }
}

/// The server's control stream.
pub struct Control {
    recv: quinn::RecvStream,
    buf: Vec<u8>,
}

impl Control {
    /// The next frame on the control stream.
    pub async fn next(&mut self) -> (u64, Vec<u8>) {
        loop {
            if let Some((ty, a)) = read_varint(&self.buf) {
                if let Some((len, b)) = read_varint(&self.buf[a..]) {
                    let end = a + b + len as usize;
                    if self.buf.len() >= end {
                        let payload = self.buf[a + b..end].to_vec();
                        self.buf.drain(..end);
                        return (ty, payload);
                    }
                }
            }
            let chunk = tokio::time::timeout(GUARD, self.recv.read_chunk(4096, true))
                .await
                .expect("a control frame in time")
                .expect("read")
                .expect("control stream not ended");
            self.buf.extend_from_slice(&chunk.bytes);
        }
    }

    /// Waits for the server's GOAWAY; returns its stream ID.
    pub async fn goaway(&mut self) -> u64 {
        loop {
            let (ty, payload) = self.next().await;
            if ty == GOAWAY {
                return read_varint(&payload).expect("GOAWAY id").0;
            }
        }
    }
}

/// Reads a whole stream as HTTP/3 frames; `Err` with the reset code if the peer reset it.
pub async fn read_frames(recv: &mut quinn::RecvStream) -> Result<Vec<(u64, Vec<u8>)>, u64> {
    let bytes = match tokio::time::timeout(GUARD, recv.read_to_end(64 << 20))
        .await
        .expect("response stream ended in time")
    {
        Ok(b) => b,
        Err(quinn::ReadToEndError::Read(quinn::ReadError::Reset(code))) => {
            return Err(code.into_inner())
        }
        Err(e) => panic!("reading the response stream: {e}"),
    };
    Ok(parse_frames(&bytes))
}

/// Splits `bytes` into its whole frames (an incomplete last one is left out).
pub fn parse_frames(mut bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some((ty, a)) = read_varint(bytes) {
        let Some((len, b)) = read_varint(&bytes[a..]) else {
            break;
        };
        let end = a + b + len as usize;
        if bytes.len() < end {
            break;
        }
        out.push((ty, bytes[a + b..end].to_vec()));
        bytes = &bytes[end..];
    }
    out
}

/// The status of the first HEADERS frame and the concatenated DATA of `frames`.
pub fn response_of(frames: &[(u64, Vec<u8>)]) -> (u16, Vec<u8>) {
    let head = frames
        .iter()
        .find(|(t, _)| *t == HEADERS)
        .expect("a HEADERS frame");
    let status = status_of(&head.1).unwrap_or_else(|| panic!("undecodable status {:02x?}", head.1));
    let body = frames
        .iter()
        .filter(|(t, _)| *t == DATA)
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    (status, body)
}

/// Reads from `recv` until one whole frame arrived; returns it (reads nothing more).
pub async fn read_one_frame(recv: &mut quinn::RecvStream) -> (u64, Vec<u8>) {
    let mut buf = Vec::new();
    loop {
        if let Some(f) = parse_frames(&buf).into_iter().next() {
            return f;
        }
        let chunk = tokio::time::timeout(GUARD, recv.read_chunk(1, true))
            .await
            .expect("a frame in time")
            .expect("read")
            .expect("stream not ended");
        buf.extend_from_slice(&chunk.bytes);
    }
}

/// The switches of a [`handshake_gate`] relay.
pub struct GateSwitches {
    /// While true, client datagrams holding a QUIC Handshake packet are dropped (the client
    /// sends them again), so the server cannot complete the handshake.
    pub handshake: tokio::sync::watch::Sender<bool>,
    /// While true, the server's datagrams are kept back; set to false, they are delivered in
    /// order and the following ones pass at once.
    pub replies: tokio::sync::watch::Sender<bool>,
}

/// A UDP relay between one client and `server`, with both switches of [`GateSwitches`] on at
/// the start. Returns the address clients connect to, the switches and the relay task.
pub async fn handshake_gate(
    server: SocketAddr,
) -> (SocketAddr, GateSwitches, tokio::task::JoinHandle<()>) {
    use tokio::net::UdpSocket;
    let front = UdpSocket::bind("127.0.0.1:0").await.expect("bind relay");
    let back = UdpSocket::bind("127.0.0.1:0").await.expect("bind relay");
    back.connect(server).await.expect("connect relay");
    let addr = front.local_addr().expect("relay address");
    let (handshake, hold_handshake) = tokio::sync::watch::channel(true);
    let (replies, mut hold_replies) = tokio::sync::watch::channel(true);
    let task = tokio::spawn(async move {
        let (mut a, mut b) = (vec![0u8; 65536], vec![0u8; 65536]);
        let mut client = None;
        let mut kept: Vec<Vec<u8>> = Vec::new();
        loop {
            tokio::select! {
                r = front.recv_from(&mut a) => {
                    let Ok((n, from)) = r else { return };
                    client = Some(from);
                    if *hold_handshake.borrow() && has_handshake_packet(&a[..n]) {
                        continue;
                    }
                    let _ = back.send(&a[..n]).await;
                }
                r = back.recv(&mut b) => {
                    let Ok(n) = r else { return };
                    if *hold_replies.borrow() {
                        kept.push(b[..n].to_vec());
                    } else if let Some(c) = client {
                        let _ = front.send_to(&b[..n], c).await;
                    }
                }
                r = hold_replies.changed() => {
                    if r.is_err() {
                        return;
                    }
                    if !*hold_replies.borrow_and_update() {
                        if let Some(c) = client {
                            for d in kept.drain(..) {
                                let _ = front.send_to(&d, c).await;
                            }
                        }
                    }
                }
            }
        }
    });
    (addr, GateSwitches { handshake, replies }, task)
}

/// Whether a datagram holds a long-header Handshake packet (the coalesced packets are walked by
/// their Length fields, RFC 9000 §17.2).
fn has_handshake_packet(mut d: &[u8]) -> bool {
    while let Some(&first) = d.first() {
        if first & 0x80 == 0 {
            return false; // a short-header packet runs to the end of the datagram
        }
        let ty = (first >> 4) & 0x03;
        if ty == 0x02 {
            return true;
        }
        let Some(rest) = d.get(5..) else { return false };
        let Some(&dcid) = rest.first() else {
            return false;
        };
        let Some(rest) = rest.get(1 + usize::from(dcid)..) else {
            return false;
        };
        let Some(&scid) = rest.first() else {
            return false;
        };
        let Some(mut rest) = rest.get(1 + usize::from(scid)..) else {
            return false;
        };
        if ty == 0x00 {
            // Initial: a token.
            let Some((tlen, a)) = read_varint(rest) else {
                return false;
            };
            let Some(r) = rest.get(a + tlen as usize..) else {
                return false;
            };
            rest = r;
        }
        let Some((len, a)) = read_varint(rest) else {
            return false;
        };
        let Some(r) = rest.get(a + len as usize..) else {
            return false;
        };
        d = r;
    }
    false
}
