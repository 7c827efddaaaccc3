//! HTTP/3 per-stream limits end to end (feature `http3`): a body over the size limit is 413
//! (announced by `Content-Length` or not, buffered and streamed routes), a header section over
//! `max_header_bytes` is 431 (answered by `h3` itself, so the request is written by hand: the
//! `h3` client refuses to send it once it knows the server's limit), and a body that stalls
//! past the read timeout is 408. Each refusal ends only its stream: the next request on the
//! same connection is served. `http3_max_concurrent_streams` bounds the requests in flight.
#![cfg(feature = "http3")]

mod common;
mod proto;

use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use common::*;
use futures_util::{FutureExt, StreamExt};
use khz::prelude::*;
use proto::h3::{exchange_on, h3_connect, H3Client};
use proto::{server_tls_config, test_cert};
use tokio::sync::{watch, Semaphore};

/// Reads the streamed body to its end: its length, or the body error's status.
async fn count(ctx: &mut RequestContext) {
    let mut body = ctx.body_stream();
    let mut n = 0usize;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => n += c.len(),
            Err(e) => return ctx.abort_with_msg(e.status(), e.reason()),
        }
    }
    ctx.string(StatusCode::OK, n.to_string());
}

/// A server with small limits (`read_timeout` as given) and its HTTP/3 client.
async fn limited(read_timeout: Duration) -> (khz::app::ServerHandle, H3Client) {
    let s = server()
        .tls(server_tls_config(test_cert()))
        .http3(true)
        .max_request_body_size(1024)
        .max_stream_body_size(4096)
        .max_header_bytes(4096)
        .read_timeout(read_timeout);
    s.get("/ok", ok);
    s.post("/echo", echo);
    s.post("/count", count).stream_body();
    let handle = try_start(s).await.expect("server starts");
    let c = h3_connect(handle.http3_addr().expect("HTTP/3 on")).await;
    (handle, c)
}

fn post(path: &str, content_length: Option<usize>) -> http::Request<()> {
    let mut b = http::Request::post(format!("https://localhost{path}"));
    if let Some(n) = content_length {
        b = b.header("content-length", n);
    }
    b.body(()).expect("request")
}

/// Sends `body` (the whole of it unless `finish` is false: then the stream stays open) while
/// reading the response; a send the server stopped (`STOP_SENDING`) is not a failure here.
/// Returns the status and body text.
async fn send_tolerant(
    c: &mut H3Client,
    req: http::Request<()>,
    body: Bytes,
    finish: bool,
) -> (u16, String) {
    let fut = async {
        let stream = c.send.send_request(req).await.expect("request sent");
        let (mut tx, mut rx) = stream.split();
        let send = async move {
            if tx.send_data(body).await.is_ok() && finish {
                let _ = tx.finish().await;
            }
            // Unfinished: the sending half stays open until the response is in.
            tx
        };
        let recv = async {
            let resp = rx.recv_response().await.expect("response");
            let mut text = BytesMut::new();
            while let Some(mut chunk) = rx.recv_data().await.expect("response body") {
                text.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
            }
            (resp.status().as_u16(), text)
        };
        let (_tx, (status, text)) = tokio::join!(send, recv);
        (status, String::from_utf8_lossy(&text).into_owned())
    };
    tokio::time::timeout(GUARD, fut)
        .await
        .expect("answered in time")
}

async fn still_serving(c: &mut H3Client) {
    let r = c.get("/ok").await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "ok"),
        "same connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_too_large_body_is_413_and_the_connection_goes_on() {
    let (_h, mut c) = limited(Duration::from_secs(10)).await;
    let body = Bytes::from(vec![b'x'; 2000]);
    // Buffered route (limit 1024), announced and not.
    for cl in [Some(2000), None] {
        let (status, _) = send_tolerant(&mut c, post("/echo", cl), body.clone(), true).await;
        assert_eq!(status, 413, "buffered, content-length {cl:?}");
        still_serving(&mut c).await;
    }
    let small = Bytes::from_static(b"fits");
    let (status, text) = send_tolerant(&mut c, post("/echo", Some(4)), small, true).await;
    assert_eq!((status, text.as_str()), (200, "fits"));

    // Streamed route (limit 4096): announced, refused before the handler; not announced, the
    // handler's body stream ends with the 413.
    let body = Bytes::from(vec![b'y'; 6000]);
    for cl in [Some(6000), None] {
        let (status, _) = send_tolerant(&mut c, post("/count", cl), body.clone(), true).await;
        assert_eq!(status, 413, "streamed, content-length {cl:?}");
        still_serving(&mut c).await;
    }
    let (status, text) =
        send_tolerant(&mut c, post("/count", None), body.slice(..4096), true).await;
    assert_eq!((status, text.as_str()), (200, "4096"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_408_and_the_connection_goes_on() {
    let (_h, mut c) = limited(Duration::from_millis(500)).await;
    for path in ["/echo", "/count"] {
        // Part of the body, then nothing: the stream stays open.
        let half = Bytes::from_static(b"hello");
        let (status, _) = send_tolerant(&mut c, post(path, Some(10)), half, false).await;
        assert_eq!(status, 408, "{path}");
        still_serving(&mut c).await;
    }
}

// ----- 431: a request head written by hand ---------------------------------------------------

/// A QUIC variable-length integer (RFC 9000 §16).
fn put_varint(out: &mut BytesMut, v: u64) {
    match v {
        0..=63 => out.put_u8(v as u8),
        64..=16383 => out.put_u16(0x4000 | v as u16),
        _ => out.put_u32(0x8000_0000 | v as u32),
    }
}

/// An HPACK/QPACK prefixed integer (RFC 7541 §5.1) with `bits` prefix bits after `flags`.
fn put_prefixed(out: &mut BytesMut, flags: u8, bits: u32, v: usize) {
    let max = (1usize << bits) - 1;
    if v < max {
        out.put_u8(flags | v as u8);
        return;
    }
    out.put_u8(flags | max as u8);
    let mut rest = v - max;
    while rest >= 128 {
        out.put_u8((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    out.put_u8(rest as u8);
}

/// A HEADERS frame for `GET https://localhost/ok` with an `x-big` field of `big` bytes, QPACK
/// encoded with the static table only (RFC 9204 §4.5).
fn headers_frame(big: usize) -> Bytes {
    let mut block = BytesMut::new();
    block.put_slice(&[0x00, 0x00]); // Required Insert Count 0, Base 0
    block.put_u8(0xC0 | 17); // :method GET (static 17)
    block.put_u8(0xC0 | 23); // :scheme https (static 23)
    for (index, value) in [(1, "/ok"), (0, "localhost")] {
        // Literal with a static name reference: :path (1), :authority (0).
        put_prefixed(&mut block, 0x50, 4, index);
        put_prefixed(&mut block, 0x00, 7, value.len());
        block.put_slice(value.as_bytes());
    }
    // Literal with a literal name.
    put_prefixed(&mut block, 0x20, 3, "x-big".len());
    block.put_slice(b"x-big");
    put_prefixed(&mut block, 0x00, 7, big);
    block.put_slice(&vec![b'a'; big]);
    let mut frame = BytesMut::new();
    put_varint(&mut frame, 0x01);
    put_varint(&mut frame, block.len() as u64);
    frame.put_slice(&block);
    frame.freeze()
}

/// Reads a QUIC variable-length integer from the start of `buf`: (value, length).
fn varint(buf: &[u8]) -> Option<(u64, usize)> {
    let first = *buf.first()?;
    let len = 1usize << (first >> 6);
    let bytes = buf.get(..len)?;
    let mut v = u64::from(first & 0x3f);
    for b in &bytes[1..] {
        v = (v << 8) | u64::from(*b);
    }
    Some((v, len))
}

/// Decodes the digits of a Huffman-coded status (RFC 7541 Appendix B: `0`–`2` have 5-bit
/// codes `00000`–`00010`, `3`–`9` 6-bit codes `011001`–`011111`).
fn huffman_digits(bytes: &[u8], digits: usize) -> String {
    let bit = |i: usize| (bytes[i / 8] >> (7 - i % 8)) & 1;
    let (mut at, mut out) = (0usize, String::new());
    for _ in 0..digits {
        let five = (0..5).fold(0u8, |v, k| v << 1 | bit(at + k));
        if five <= 2 {
            out.push(char::from(b'0' + five));
            at += 5;
        } else {
            let six = five << 1 | bit(at + 5);
            assert!((0x19..=0x1f).contains(&six), "not a digit code: {six:#x}");
            out.push(char::from(b'0' + six - 0x19 + 3));
            at += 6;
        }
    }
    out
}

/// Reads an HPACK/QPACK prefixed integer with `bits` prefix bits: (value, length).
fn prefixed(buf: &[u8], bits: u32) -> (usize, usize) {
    let max = (1usize << bits) - 1;
    let mut v = usize::from(buf[0]) & max;
    if v < max {
        return (v, 1);
    }
    let (mut at, mut shift) = (1, 0);
    loop {
        let b = buf[at];
        v += usize::from(b & 0x7F) << shift;
        at += 1;
        shift += 7;
        if b & 0x80 == 0 {
            return (v, at);
        }
    }
}

/// The static-table entries (RFC 9204 Appendix A) whose name is `:status`, with their value.
const STATUS_ENTRIES: [(usize, &str); 14] = [
    (24, "103"),
    (25, "200"),
    (26, "304"),
    (27, "404"),
    (28, "503"),
    (63, "100"),
    (64, "204"),
    (65, "206"),
    (66, "302"),
    (67, "400"),
    (68, "403"),
    (69, "421"),
    (70, "425"),
    (71, "500"),
];

/// The `:status` of a QPACK field section encoded with the static table only (as `h3`
/// encodes): `:status` first, as an indexed static entry or as a literal with a static name
/// reference (its value Huffman-coded or not).
fn status_of(block: &[u8]) -> String {
    assert_eq!(&block[..2], &[0, 0], "static table only: {block:02x?}");
    let line = &block[2..];
    if line[0] & 0xC0 == 0xC0 {
        let (index, _) = prefixed(line, 6);
        let entry = STATUS_ENTRIES.iter().find(|(i, _)| *i == index);
        return entry.expect("a :status entry").1.to_owned();
    }
    assert_eq!(
        line[0] & 0xF0,
        0x50,
        "literal with static name ref: {block:02x?}"
    );
    let (index, n) = prefixed(line, 4);
    assert!(
        STATUS_ENTRIES.iter().any(|(i, _)| *i == index),
        "{block:02x?}"
    );
    let (len, m) = prefixed(&line[n..], 7);
    let value = &line[n + m..n + m + len];
    if line[n] & 0x80 != 0 {
        huffman_digits(value, 3)
    } else {
        String::from_utf8_lossy(value).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_too_large_header_section_is_431_and_the_connection_goes_on() {
    let (_h, mut c) = limited(Duration::from_secs(10)).await;
    // A fitting head written the same way is served: the encoding is right.
    still_serving(&mut c).await;
    let exchange = |big: usize| {
        let conn = c.conn.clone();
        async move {
            let (mut send, mut recv) = conn.open_bi().await.expect("request stream");
            send.write_all(&headers_frame(big))
                .await
                .expect("head sent");
            send.finish().expect("stream finished");
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                // Frames: type, length, payload; the first HEADERS frame is the response head.
                let mut at = 0;
                while let Some((kind, n)) = varint(&got[at..]) {
                    let Some((len, m)) = varint(&got[at + n..]) else {
                        break;
                    };
                    let start = at + n + m;
                    let Some(payload) = got.get(start..start + len as usize) else {
                        break;
                    };
                    if kind == 0x01 {
                        return status_of(payload);
                    }
                    at = start + len as usize;
                }
                match recv.read(&mut buf).await.expect("response bytes") {
                    Some(n) => got.extend_from_slice(&buf[..n]),
                    None => panic!("stream ended without a response head: {got:02x?}"),
                }
            }
        }
    };
    let small = tokio::time::timeout(GUARD, exchange(100))
        .await
        .expect("in time");
    assert_eq!(small, "200", "a hand-written head within the limit");
    let big = tokio::time::timeout(GUARD, exchange(8000))
        .await
        .expect("in time");
    assert_eq!(big, "431");
    still_serving(&mut c).await;
}

// ----- concurrent streams -------------------------------------------------------------------

/// The requests inside the handler (told to the test) and the permits that let them leave.
struct Gate {
    inside: watch::Sender<usize>,
    leave: Arc<Semaphore>,
}

/// Counts itself in, then waits for a permit from the test.
async fn gated(ctx: &mut RequestContext) {
    let Some(gate) = ctx.state::<Gate>() else {
        return ctx.status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    gate.inside.send_modify(|n| *n += 1);
    let _ = gate.leave.acquire().await.map(|p| p.forget());
    ctx.string(StatusCode::OK, "left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_concurrent_streams_bounds_the_requests_in_flight() {
    let (inside, mut seen) = watch::channel(0usize);
    let leave = Arc::new(Semaphore::new(0));
    let gate = Gate {
        inside,
        leave: leave.clone(),
    };
    let s = server()
        .tls(server_tls_config(test_cert()))
        .http3(true)
        .http3_max_concurrent_streams(2)
        .with_state(gate);
    s.get("/gated", gated);
    let handle = try_start(s).await.expect("server starts");
    let mut c = h3_connect(handle.http3_addr().expect("HTTP/3 on")).await;
    let spawn = |send: &H3Client| {
        let mut send = send.sender();
        tokio::spawn(async move {
            let req = http::Request::get("https://localhost/gated")
                .body(())
                .unwrap();
            tokio::time::timeout(GUARD, exchange_on(&mut send, req, None))
                .await
                .expect("answered in time")
                .expect("exchange")
        })
    };
    let first = [spawn(&c), spawn(&c)];
    tokio::time::timeout(GUARD, seen.wait_for(|n| *n == 2))
        .await
        .expect("two requests inside in time")
        .expect("server state alive");
    // Both streams are open: the client has no credit for a third one (QUIC stream limit), so
    // opening one cannot complete until one of them ends.
    assert!(
        c.conn.open_bi().now_or_never().is_none(),
        "a third request stream was allowed"
    );
    leave.add_permits(2);
    for t in first {
        assert_eq!(t.await.expect("task").text(), "left");
    }
    // Their streams are closed: requests go through again.
    leave.add_permits(1);
    assert_eq!(c.get("/gated").await.text(), "left");
    assert_eq!(*seen.borrow(), 3);
}

// ----- a request abandoned mid-body ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_reset_mid_body_is_reset_back_and_the_connection_goes_on() {
    let (_h, mut c) = limited(Duration::from_secs(10)).await;
    let req = http::Request::post("https://localhost/echo")
        .header("content-length", "100")
        .header("expect", "100-continue")
        .body(())
        .unwrap();
    let fut = async {
        let mut stream = c.send.send_request(req).await.expect("request sent");
        // The interim response: the server has the head and waits for the body.
        let interim = stream.recv_response().await.expect("100 Continue");
        assert_eq!(interim.status(), 100);
        stream
            .send_data(Bytes::from_static(b"hello"))
            .await
            .expect("DATA");
        stream.stop_stream(h3::error::Code::H3_REQUEST_CANCELLED);
        // The server gives the request up and says so by resetting the stream; a stream that
        // simply ended without a response would be a connection error for the client.
        stream.recv_response().await
    };
    let err = tokio::time::timeout(GUARD, fut)
        .await
        .expect("in time")
        .expect_err("no response to an abandoned request");
    assert!(!err.is_h3_no_error(), "{err}");
    assert!(
        !matches!(err, h3::error::StreamError::ConnectionError { .. }),
        "only the stream ends: {err}"
    );
    still_serving(&mut c).await;
}
