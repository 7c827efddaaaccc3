//! Bad HTTP/2 input, byte-exact: a raw frame client over a `TcpStream` (and the `h2` crate's
//! client where a well-formed request is enough). Each offence gets the RFC 9113 answer —
//! GOAWAY with the connection error code, or RST_STREAM for a stream error while the connection
//! goes on — and other connections keep being served. Clients that go quiet (idle, unanswered
//! PINGs, a stalled preface) are in `http2_timeouts.rs`.
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

mod common;
mod proto;

use std::net::SocketAddr;

use khz::prelude::*;
use proto::raw::*;
use proto::{Proto, GUARD};
use tokio::sync::watch;

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
    let s = configure(common::server().h2c(true).with_state(Block(rx)));
    s.get("/ok", ok);
    s.get("/block", block);
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
    let client = proto::h2_client(addr).await;
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
        s.get("/hang", hang);
        s
    })
    .await;
    let client = proto::h2_client(addr).await;
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
