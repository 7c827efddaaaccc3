//! Bad HTTP/2 input, byte-exact: a raw frame client over a `TcpStream` (and the `h2` crate's
//! client where a well-formed request is enough). Each offence gets the RFC 9113 answer —
//! GOAWAY with the connection error code, or RST_STREAM for a stream error while the connection
//! goes on — and other connections keep being served.
//!
//! | input | answer |
//! |---|---|
//! | garbage after the preface (a huge frame length; SETTINGS on a stream) | GOAWAY `FRAME_SIZE_ERROR`; `PROTOCOL_ERROR` |
//! | DATA on stream 0; PING of the wrong length | GOAWAY `PROTOCOL_ERROR` (`h2` uses it for every malformed control frame) |
//! | a malformed request (no `:scheme`) | RST_STREAM `PROTOCOL_ERROR`, the connection goes on |
//! | header block over `max_header_list_size` in one frame | 431 + RST_STREAM `PROTOCOL_ERROR` |
//! | … spread over CONTINUATION frames | GOAWAY `COMPRESSION_ERROR` |
//! | CONTINUATION flood | GOAWAY `ENHANCE_YOUR_CALM` |
//! | streams over `max_concurrent_streams` | RST_STREAM `REFUSED_STREAM` |
//! | rapid reset storm | GOAWAY `ENHANCE_YOUR_CALM` |
//! | an h2c preface that stalls | dropped after the read timeout |

mod common;
mod proto;

use std::net::SocketAddr;
use std::time::Duration;

use khz::prelude::*;
use proto::{Proto, GUARD};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Frame types and flags (RFC 9113 §6).
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;

// Error codes (RFC 9113 §7).
const PROTOCOL_ERROR: u32 = 0x1;
const FRAME_SIZE_ERROR: u32 = 0x6;
const REFUSED_STREAM: u32 = 0x7;
const COMPRESSION_ERROR: u32 = 0x9;
const ENHANCE_YOUR_CALM: u32 = 0xb;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An HPACK block for `GET path` (static-table method and scheme, literal path and authority,
/// no Huffman coding), plus `extra` literal fields.
fn request_block(path: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let literal = |out: &mut Vec<u8>, s: &[u8]| {
        assert!(s.len() < 127, "short strings only");
        out.push(s.len() as u8);
        out.extend_from_slice(s);
    };
    let mut b = vec![0x82, 0x86]; // :method GET, :scheme http
    b.push(0x04); // :path, literal value without indexing
    literal(&mut b, path.as_bytes());
    b.push(0x01); // :authority
    literal(&mut b, b"khz.test");
    for (n, v) in extra {
        b.push(0x00);
        literal(&mut b, n.as_bytes());
        literal(&mut b, v.as_bytes());
    }
    b
}

/// A frame read from the server.
#[derive(Debug)]
struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

impl Frame {
    fn code(&self) -> u32 {
        let at = if self.kind == GOAWAY { 4 } else { 0 };
        u32::from_be_bytes(self.payload[at..at + 4].try_into().unwrap())
    }
}

/// A raw HTTP/2 client connection.
struct Raw {
    tcp: TcpStream,
    /// Acknowledge the server's PINGs (as every real client does).
    ack_pings: bool,
}

impl Raw {
    /// Connects, sends the preface and an empty SETTINGS frame.
    async fn connect(addr: SocketAddr) -> Raw {
        let mut raw = Raw::bare(addr).await;
        raw.send(&[PREFACE, &frame(SETTINGS, 0, 0, &[])].concat())
            .await;
        raw
    }

    async fn bare(addr: SocketAddr) -> Raw {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).unwrap();
        Raw {
            tcp,
            ack_pings: true,
        }
    }

    /// Sends bytes; a server that already closed is fine.
    async fn send(&mut self, bytes: &[u8]) {
        let _ = tokio::time::timeout(GUARD, self.tcp.write_all(bytes)).await;
    }

    /// The next frame, or `None` when the server closed. SETTINGS are acknowledged.
    async fn next(&mut self) -> Option<Frame> {
        let mut head = [0u8; 9];
        let read = tokio::time::timeout(GUARD, self.tcp.read_exact(&mut head))
            .await
            .expect("a frame or a close from the server in time");
        read.ok()?;
        let len = (head[0] as usize) << 16 | (head[1] as usize) << 8 | head[2] as usize;
        let mut payload = vec![0u8; len];
        tokio::time::timeout(GUARD, self.tcp.read_exact(&mut payload))
            .await
            .expect("frame payload in time")
            .ok()?;
        let f = Frame {
            kind: head[3],
            flags: head[4],
            stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
            payload,
        };
        if f.kind == SETTINGS && f.flags & ACK == 0 {
            self.send(&frame(SETTINGS, ACK, 0, &[])).await;
        }
        if f.kind == PING && f.flags & ACK == 0 && self.ack_pings {
            self.send(&frame(PING, ACK, 0, &f.payload)).await;
        }
        Some(f)
    }

    /// Reads until a frame matches; fails if the connection closes first.
    async fn until(&mut self, what: &str, pred: impl Fn(&Frame) -> bool) -> Frame {
        let mut seen = Vec::new();
        loop {
            match self.next().await {
                Some(f) if pred(&f) => return f,
                Some(f) => seen.push(f),
                None => panic!("connection closed before {what}; frames: {seen:?}"),
            }
        }
    }

    /// Reads until GOAWAY and returns its error code.
    async fn goaway(&mut self) -> u32 {
        self.until("GOAWAY", |f| f.kind == GOAWAY).await.code()
    }

    /// Reads until RST_STREAM on `stream` and returns its error code.
    async fn reset(&mut self, stream: u32) -> u32 {
        self.until("RST_STREAM", |f| f.kind == RST_STREAM && f.stream == stream)
            .await
            .code()
    }

    /// Sends `GET path` on `stream` (END_STREAM) and waits for its response HEADERS.
    async fn get_ok(&mut self, stream: u32, path: &str) {
        self.send(&frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            stream,
            &request_block(path, &[]),
        ))
        .await;
        self.until("the response", |f| f.kind == HEADERS && f.stream == stream)
            .await;
    }
}

/// Blocks `/block` handlers until the value turns true (level-triggered: a handler that
/// starts waiting after the release passes at once).
struct Block(watch::Receiver<bool>);

async fn block(ctx: &mut RequestContext) {
    let mut rx = ctx.state::<Block>().expect("state").0.clone();
    let _ = rx.wait_for(|released| *released).await;
    ctx.string(StatusCode::OK, "released");
}

async fn ok(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "ok");
}

async fn serve(configure: impl FnOnce(Server) -> Server) -> (SocketAddr, watch::Sender<bool>) {
    let (release, rx) = watch::channel(false);
    let mut s = configure(common::server().h2c(true).with_state(Block(rx)));
    s.get("/ok", ok).unwrap();
    s.get("/block", block).unwrap();
    let (h, addr) = common::start(s).await;
    std::mem::forget(h);
    (addr, release)
}

/// A fresh HTTP/2 connection and a fresh HTTP/1.1 connection are both served.
async fn assert_still_serving(addr: SocketAddr) {
    for p in [Proto::H2c, Proto::Http1] {
        let mut c = p.client(addr).await;
        assert_eq!(c.get("/ok").await.text(), "ok", "{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_after_the_preface_is_a_connection_error() {
    let (addr, _) = serve(|s| s).await;
    // Read as a frame header, "GET / HTT…" announces a 4.7 MB frame.
    let mut raw = Raw::bare(addr).await;
    raw.send(&[PREFACE, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"].concat())
        .await;
    assert_eq!(raw.goaway().await, FRAME_SIZE_ERROR);
    assert!(raw.next().await.is_none(), "closed after GOAWAY");
    // SETTINGS and then a SETTINGS frame on a stream: PROTOCOL_ERROR (§6.5).
    let mut raw = Raw::bare(addr).await;
    let bad = frame(SETTINGS, 0, 1, b"hello!");
    raw.send(&[PREFACE, &frame(SETTINGS, 0, 0, &[]), &bad].concat())
        .await;
    assert_eq!(raw.goaway().await, PROTOCOL_ERROR);
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_get_the_rfc_error_codes() {
    let (addr, _) = serve(|s| s).await;
    // DATA on stream 0: connection error PROTOCOL_ERROR.
    let mut raw = Raw::connect(addr).await;
    raw.send(&frame(DATA, 0, 0, b"x")).await;
    assert_eq!(raw.goaway().await, PROTOCOL_ERROR);
    // PING with a 4-byte payload: a connection error. RFC 9113 §6.7 names FRAME_SIZE_ERROR;
    // `h2` answers every malformed control frame with PROTOCOL_ERROR.
    let mut raw = Raw::connect(addr).await;
    raw.send(&frame(PING, 0, 0, &[0; 4])).await;
    let code = raw.goaway().await;
    assert!(code == PROTOCOL_ERROR || code == FRAME_SIZE_ERROR, "{code}");
    assert!(raw.next().await.is_none(), "closed after GOAWAY");
    // A malformed request (no :scheme, §8.3.1): a stream error; the connection goes on.
    let mut raw = Raw::connect(addr).await;
    raw.send(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x82, 0x84]))
        .await;
    assert_eq!(raw.reset(1).await, PROTOCOL_ERROR);
    raw.get_ok(3, "/ok").await;
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_block_over_the_limit_is_431_and_reset() {
    let (addr, _) = serve(|s| s.max_header_bytes(4096)).await;
    // With the h2 client: the status is decoded for us.
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.unwrap();
    let req = http::Request::get("http://khz.test/ok")
        .header("x-big", "v".repeat(8000))
        .body(())
        .unwrap();
    let (resp, _) = client.send_request(req, true).unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap();
    match resp {
        Ok(r) => assert_eq!(r.status(), 431),
        Err(e) => assert_eq!(e.reason(), Some(h2::Reason::PROTOCOL_ERROR), "{e}"),
    }
    // Raw, in one HEADERS frame, the request body still to come: the 431 (ending the
    // response), RST_STREAM PROTOCOL_ERROR (no body wanted), and the connection serves the
    // next stream.
    let mut block = request_block("/ok", &[]);
    for i in 0..80 {
        block.push(0x00);
        block.push(6);
        block.extend_from_slice(format!("x-h{i:03}").as_bytes());
        block.push(100);
        block.extend_from_slice(&[b'v'; 100]);
    }
    let mut raw = Raw::connect(addr).await;
    raw.send(&frame(HEADERS, END_HEADERS, 1, &block)).await;
    let answer = raw
        .until("the 431", |f| f.kind == HEADERS && f.stream == 1)
        .await;
    assert!(answer.flags & END_STREAM != 0);
    assert_eq!(raw.reset(1).await, PROTOCOL_ERROR);
    raw.get_ok(3, "/ok").await;
    // Spread over HEADERS + CONTINUATION, the same block is more than `h2` is willing to
    // skip: a connection error (COMPRESSION_ERROR), never unbounded buffering.
    let mut raw = Raw::connect(addr).await;
    let (first, rest) = block.split_at(4000);
    raw.send(&frame(HEADERS, END_STREAM, 1, first)).await;
    raw.send(&frame(CONTINUATION, END_HEADERS, 1, rest)).await;
    assert_eq!(raw.goaway().await, COMPRESSION_ERROR);
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuation_flood_is_enhance_your_calm() {
    let (addr, _) = serve(|s| s).await;
    let mut raw = Raw::connect(addr).await;
    raw.send(&frame(HEADERS, END_STREAM, 1, &request_block("/ok", &[])))
        .await;
    // Endless tiny CONTINUATION frames that never end the header block.
    let flood: Vec<u8> = (0..2000)
        .flat_map(|_| frame(CONTINUATION, 0, 1, &[0x00, 0x01, b'a', 0x00]))
        .collect();
    raw.send(&flood).await;
    assert_eq!(raw.goaway().await, ENHANCE_YOUR_CALM);
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_over_the_concurrency_limit_are_refused() {
    let (addr, release) = serve(|s| s.http2_max_concurrent_streams(2)).await;
    let mut raw = Raw::connect(addr).await;
    // Wait for the server's SETTINGS (with the limit) before opening streams.
    raw.until("SETTINGS", |f| f.kind == SETTINGS && f.flags & ACK == 0)
        .await;
    for id in [1, 3, 5] {
        raw.send(&frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            id,
            &request_block("/block", &[]),
        ))
        .await;
    }
    assert_eq!(raw.reset(5).await, REFUSED_STREAM);
    release.send_replace(true);
    let mut answered = 0;
    while answered < 2 {
        let f = raw
            .until("the blocked responses", |f| f.kind == HEADERS)
            .await;
        assert!(f.stream == 1 || f.stream == 3);
        answered += 1;
    }
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_reset_storm_is_enhance_your_calm() {
    let (addr, _) = serve(|s| s).await;
    let mut raw = Raw::connect(addr).await;
    let mut storm = Vec::new();
    for i in 0..500u32 {
        let id = 2 * i + 1;
        storm.extend(frame(
            HEADERS,
            END_HEADERS,
            id,
            &request_block("/block", &[]),
        ));
        storm.extend(frame(RST_STREAM, 0, id, &8u32.to_be_bytes())); // CANCEL
    }
    raw.send(&storm).await;
    assert_eq!(raw.goaway().await, ENHANCE_YOUR_CALM);
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_preface_is_dropped_after_the_read_timeout() {
    let (addr, _) = serve(|s| s.read_timeout(Duration::from_millis(200))).await;
    let mut raw = Raw::bare(addr).await;
    raw.send(&PREFACE[..10]).await;
    assert!(raw.next().await.is_none(), "closed without an answer");
    assert_still_serving(addr).await;
}

/// Reports (once) when the `/hang` handler's future is dropped.
struct Dropped(std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>);

struct OnDrop(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

async fn hang(ctx: &mut RequestContext) {
    let tx = ctx
        .state::<Dropped>()
        .and_then(|d| d.0.lock().unwrap().take());
    let _guard = OnDrop(tx);
    std::future::pending::<()>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reset_cancels_the_handler() {
    let (dropped_tx, dropped) = tokio::sync::oneshot::channel();
    let (addr, _) = serve(|mut s| {
        s = s.with_state(Dropped(std::sync::Mutex::new(Some(dropped_tx))));
        s.get("/hang", hang).unwrap();
        s
    })
    .await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.unwrap();
    let (resp, _) = client
        .send_request(
            http::Request::get("http://khz.test/hang").body(()).unwrap(),
            true,
        )
        .unwrap();
    drop(resp); // the client cancels: RST_STREAM CANCEL
    tokio::time::timeout(GUARD, dropped)
        .await
        .expect("the handler of a reset stream is dropped")
        .unwrap();
    // The connection is still usable.
    let mut client = client.ready().await.unwrap();
    let (resp, _) = client
        .send_request(
            http::Request::get("http://khz.test/ok").body(()).unwrap(),
            true,
        )
        .unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    assert_eq!(resp.status(), 200);
}

// ----- clients that go quiet ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_gets_goaway_no_error_and_closes() {
    let (addr, _) = serve(|s| s.idle_timeout(Duration::from_millis(100))).await;
    let mut raw = Raw::connect(addr).await;
    raw.get_ok(1, "/ok").await;
    // Nothing more from the client: after the idle timeout, GOAWAY NO_ERROR and a close.
    assert_eq!(raw.goaway().await, 0);
    while raw.next().await.is_some() {}
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_completes_the_close_is_dropped() {
    let (addr, _) = serve(|s| {
        s.idle_timeout(Duration::from_millis(100))
            .http2_keep_alive(Duration::from_secs(3600), Duration::from_millis(200))
    })
    .await;
    let mut raw = Raw::connect(addr).await;
    raw.ack_pings = false; // h2's graceful close waits for a PING acknowledgement
    assert_eq!(raw.goaway().await, 0);
    while raw.next().await.is_some() {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_keep_alive_ping_drops_the_connection() {
    let (addr, _) =
        serve(|s| s.http2_keep_alive(Duration::from_millis(50), Duration::from_millis(100))).await;
    let mut raw = Raw::connect(addr).await;
    raw.ack_pings = false;
    let ping = raw
        .until("a PING", |f| f.kind == PING && f.flags & ACK == 0)
        .await;
    assert_eq!(ping.payload.len(), 8);
    // Never acknowledged: the server gives up on the connection.
    while let Some(f) = raw.next().await {
        assert_ne!(f.kind, PING, "no second PING while the first is unanswered");
    }
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_keep_alive_ping_keeps_the_connection() {
    let (addr, _) =
        serve(|s| s.http2_keep_alive(Duration::from_millis(30), Duration::from_millis(500))).await;
    let mut raw = Raw::connect(addr).await;
    // Answer three PINGs; the connection still serves a request afterwards.
    for _ in 0..3 {
        let ping = raw
            .until("a PING", |f| f.kind == PING && f.flags & ACK == 0)
            .await;
        raw.send(&frame(PING, ACK, 0, &ping.payload)).await;
    }
    raw.get_ok(1, "/ok").await;
}
