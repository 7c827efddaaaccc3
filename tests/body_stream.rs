//! Streamed request bodies over real sockets: a route that opts in (`Route::stream_body`) or a
//! server that streams everything reads bodies far larger than `max_request_body_size` chunk by
//! chunk; framing errors, stalls and the streamed-size limit reach the handler as precise
//! `BodyError`s; a handler that leaves its body unread gets its answer through and the connection
//! closes; a fully read body keeps the connection alive for the next request.
//!
//! The tests that do not depend on HTTP/1.1 framing run over every protocol
//! (`Proto::all_with_h3()`, HTTP/3 included);
//! chunked framing, pipelining and 100-continue bytes are checked over raw sockets.

mod common;
mod proto;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use khz::prelude::*;
use proto::Proto;

/// FNV-1a over the bytes: an order-sensitive checksum both sides can compute.
fn fnv(state: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(state, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Reads the streamed body, answering `<bytes>:<checksum>:<chunks>`, or the body error's status.
async fn digest(ctx: &mut RequestContext) {
    let streaming = ctx.body_is_streaming();
    let mut body = ctx.body_stream();
    let (mut n, mut h, mut chunks) = (0usize, FNV_START, 0usize);
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => {
                n += c.len();
                h = fnv(h, &c);
                chunks += 1;
            }
            Err(e) => return ctx.abort_with_msg(e.status(), e.reason()),
        }
    }
    ctx.set_header("x-streamed", streaming.to_string());
    ctx.string(StatusCode::OK, format!("{n}:{h:x}:{chunks}"));
}

/// Never reads the body.
async fn deny(ctx: &mut RequestContext) {
    ctx.string(StatusCode::UNAUTHORIZED, "no");
}

/// Reads the body into memory with `read_body`.
async fn collect(ctx: &mut RequestContext) {
    match ctx.read_body().await {
        Ok(b) => {
            let n = b.len();
            ctx.string(StatusCode::OK, n.to_string());
        }
        Err(e) => ctx.abort_with_msg(e.status(), e.reason()),
    }
}

/// Reads the first 5 bytes of the body and stops (like a parser that found its end marker).
async fn first5(ctx: &mut RequestContext) {
    let mut body = ctx.body_stream();
    let mut got = Vec::new();
    while got.len() < 5 {
        match body.next().await {
            Some(Ok(c)) => got.extend_from_slice(&c),
            _ => break,
        }
    }
    ctx.string(StatusCode::OK, String::from_utf8_lossy(&got).into_owned());
}

async fn serve_with(configure: impl FnOnce(Server) -> Server) -> SocketAddr {
    serve_proto(Proto::Http1, configure).await
}

async fn serve_proto(proto: Proto, configure: impl FnOnce(Server) -> Server) -> SocketAddr {
    let s = configure(server().max_request_body_size(64 * 1024));
    s.get("/ok", ok);
    s.post("/digest", digest).stream_body();
    s.post("/buffered", digest);
    s.post("/deny", deny).stream_body();
    s.post("/collect", collect).stream_body();
    s.post("/first5", first5).stream_body();
    let (handle, addr) = proto.start(s).await;
    std::mem::forget(handle);
    addr
}

/// A body that is not all one byte.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

fn expected(body: &[u8]) -> String {
    format!("{}:{:x}:", body.len(), fnv(FNV_START, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_far_over_the_memory_limit_is_streamed_in_chunks() {
    for proto in Proto::all_with_h3() {
        let addr = serve_proto(proto, |s| s).await;
        let body = payload(8 * 1024 * 1024);
        let mut c = proto.client(addr).await;
        let r = c.request("POST", "/digest", &[], body.clone()).await;
        assert_eq!(r.status, 200, "{proto}: {}", r.text());
        assert!(
            r.text().starts_with(&expected(&body)),
            "{proto}: {}",
            r.text()
        );
        let chunks: usize = r.text().rsplit(':').next().unwrap().parse().unwrap();
        assert!(
            chunks > 1,
            "{proto}: an 8 MiB body arrives in several chunks"
        );
        assert_eq!(r.header("x-streamed"), Some("true"));
        assert!(!r.closes(), "a fully read body keeps the connection");
        // Same connection, next request.
        assert_eq!(c.get("/ok").await.text(), "ok", "{proto}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_body_on_a_buffered_route_is_413() {
    let addr = serve_with(|s| s).await;
    assert_rejected(
        addr,
        "POST /buffered HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n",
        "HTTP/1.1 413 Payload Too Large",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_body_is_streamed_and_the_connection_reused() {
    let addr = serve_with(|s| s).await;
    let body = payload(300 * 1024);
    let mut wire =
        b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for part in body.chunks(7000) {
        wire.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        wire.extend_from_slice(part);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
    // The next request is pipelined right behind the body.
    wire.extend_from_slice(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut c = Client::connect(addr).await;
    c.send(&wire).await;
    let r = c.read_response().await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().starts_with(&expected(&body)), "{}", r.text());
    let r = c.read_response().await;
    assert_eq!(r.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_every_route_server_wide() {
    for proto in Proto::all_with_h3() {
        let addr = serve_proto(proto, |s| s.stream_request_body(true)).await;
        let body = payload(200 * 1024);
        let mut c = proto.client(addr).await;
        let r = c.request("POST", "/buffered", &[], body.clone()).await;
        assert_eq!(r.status, 200, "{proto}: {}", r.text());
        assert_eq!(r.header("x-streamed"), Some("true"), "{proto}");
        assert!(r.text().starts_with(&expected(&body)), "{proto}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_bodies_on_a_streamed_route_arrive_too() {
    for proto in Proto::all_with_h3() {
        let addr = serve_proto(proto, |s| s).await;
        let mut c = proto.client(addr).await;
        let r = c.request("POST", "/digest", &[], "hello").await;
        assert!(
            r.text().starts_with(&expected(b"hello")),
            "{proto}: {}",
            r.text()
        );
        // No body at all: the stream is simply empty.
        let r = c.request("POST", "/digest", &[], "").await;
        assert_eq!(r.text(), format!("0:{FNV_START:x}:0"), "{proto}");
        assert!(!r.closes(), "{proto}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_body_gets_its_answer_then_the_connection_closes() {
    let addr = serve_with(|s| s).await;
    let mut c = Client::connect(addr).await;
    c.send("POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        .await;
    c.send(payload(1000)).await;
    let r = c.read_response().await;
    assert_eq!(r.status, 401);
    assert!(r.closes(), "the rest of the body is unread: {r:?}");
    c.expect_eof().await;
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_size_limit_for_length_and_chunked_bodies() {
    let addr = serve_with(|s| s.max_stream_body_size(100_000)).await;
    // Announced too large: refused before the handler runs.
    assert_rejected(
        addr,
        "POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 100001\r\n\r\n",
        "HTTP/1.1 413 Payload Too Large",
    )
    .await;
    // Chunked, growing past the limit: the handler's stream ends with a 413 error.
    let mut c = Client::connect(addr).await;
    c.send("POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await;
    let chunk = payload(60_000);
    for _ in 0..2 {
        c.send_lenient(format!("{:x}\r\n", chunk.len())).await;
        c.send_lenient(&chunk).await;
        c.send_lenient("\r\n").await;
    }
    let r = c.read_response().await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.closes());
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_chunk_reaches_the_handler_as_400() {
    let addr = serve_with(|s| s).await;
    let mut c = Client::connect(addr).await;
    let r = c
        .request(
            "POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
             5\r\nhello\r\nzz\r\n",
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.text(), "invalid chunk size");
    assert!(r.closes());
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_upload_times_out_with_408() {
    let addr = serve_with(|s| s.read_timeout(Duration::from_millis(300))).await;
    let mut c = Client::connect(addr).await;
    // Half the body, then silence (the connection stays open).
    c.send("POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
        .await;
    let r = c.read_response().await;
    assert_eq!(r.status, 408, "{}", r.text());
    assert!(r.closes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_closing_mid_body_is_reported_as_incomplete() {
    let addr = serve_with(|s| s).await;
    let mut c = Client::connect(addr).await;
    c.send("POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
        .await;
    c.shutdown_write().await;
    let r = c.read_response().await;
    assert_eq!(r.status, 400, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_body_collects_up_to_the_memory_limit() {
    for proto in Proto::all_with_h3() {
        let addr = serve_proto(proto, |s| s).await;
        let mut c = proto.client(addr).await;
        let r = c.request("POST", "/collect", &[], payload(40_000)).await;
        assert_eq!(r.text(), "40000", "{proto}");
        // Over max_request_body_size (64 KiB): the collection fails with 413.
        let r = c.request("POST", "/collect", &[], payload(100_000)).await;
        assert_eq!(r.status, 413, "{proto}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_continue_on_a_streamed_route() {
    let addr = serve_with(|s| s).await;
    let mut c = Client::connect(addr).await;
    c.send("POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .await;
    c.read_until(b"HTTP/1.1 100 Continue\r\n\r\n").await;
    let n = c.buffered().len();
    c.consume(n);
    let r = c.request("hello").await;
    assert!(r.text().starts_with(&expected(b"hello")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_uploads_a_large_file_to_a_streamed_route() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("curl is required (apt-get install curl; .ci/run installs it)");
    }
    let addr = serve_with(|s| s).await;
    let dir = std::env::temp_dir().join(format!("khz-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.bin");
    let body = payload(3 * 1024 * 1024 + 17);
    std::fs::write(&file, &body).unwrap();
    let url = format!("http://{addr}/digest");
    let path = file.display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-sS", "--data-binary"])
            .arg(format!("@{path}"))
            .arg(url)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&expected(&body)), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_last_chunk_still_keeps_the_connection() {
    let addr = serve_with(|s| s).await;
    let mut c = Client::connect(addr).await;
    // The handler has what it wants after the first chunk; the terminator follows separately.
    c.send("POST /first5 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        .await;
    c.send("0\r\n\r\n").await;
    let r = c.read_response().await;
    assert_eq!(r.text(), "hello");
    assert!(
        !r.closes(),
        "the body's end arrived: the connection is reusable"
    );
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.text(), "ok");
}
