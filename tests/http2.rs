//! HTTP/2 end to end: h2c with prior knowledge next to HTTP/1.1 on one port, request and
//! response bodies streamed both ways with flow control, trailers, many concurrent streams on
//! one connection, per-stream limits and `Expect: 100-continue`. External clients (curl,
//! h2load) are in `http2_clients.rs`, graceful shutdown under load in `http2_shutdown.rs`. The same checks over TLS live in
//! `tests/tls.rs`; protocol-independent handler tests run over every protocol through
//! `tests/proto`.

mod common;
mod proto;

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use khz::prelude::*;
use proto::{h2_client, read_all, Proto, GUARD};

async fn ok(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "ok");
}

async fn echo(ctx: &mut RequestContext) {
    let body = ctx.body().clone();
    let trailer = ctx
        .request()
        .trailers()
        .get_str("x-checksum")
        .unwrap_or("-")
        .to_owned();
    ctx.set_header("x-trailer", trailer);
    ctx.set_header("x-protocol", format!("{:?}", ctx.protocol()));
    ctx.data(StatusCode::OK, "application/octet-stream", body);
}

/// Counts a streamed body chunk by chunk.
async fn count_stream(ctx: &mut RequestContext) {
    let mut body = ctx.body_stream();
    let (mut n, mut chunks) = (0usize, 0usize);
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => {
                n += c.len();
                chunks += 1;
            }
            Err(e) => return ctx.abort_with_msg(e.status(), e.to_string()),
        }
    }
    ctx.string(StatusCode::OK, format!("{n} bytes in {chunks} chunks"));
}

/// Streams `n` chunks of 10 KiB.
async fn produce(ctx: &mut RequestContext) {
    let n: usize = ctx.query("n").and_then(|v| v.parse().ok()).unwrap_or(10);
    let chunks = (0..n).map(|i| Ok::<_, BoxError>(Bytes::from(vec![b'a' + (i % 26) as u8; 10240])));
    ctx.stream(StatusCode::OK, futures_util::stream::iter(chunks));
}

async fn hop_by_hop(ctx: &mut RequestContext) {
    for (name, value) in [
        ("connection", "close"),
        ("keep-alive", "timeout=5"),
        ("proxy-connection", "keep-alive"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "websocket"),
        ("te", "trailers"),
        ("x-kept", "yes"),
    ] {
        ctx.set_header(name, value);
    }
    ctx.set_connection_close();
    ctx.string(StatusCode::OK, "hop");
}

/// A sized stream of `n` announced bytes made of `parts`.
fn sized(ctx: &mut RequestContext, n: u64, parts: &[&'static str]) {
    let items: Vec<Result<Bytes, BoxError>> = parts
        .iter()
        .map(|p| Ok(Bytes::from_static(p.as_bytes())))
        .collect();
    ctx.sized_stream(StatusCode::OK, n, futures_util::stream::iter(items));
}

async fn sized_exact(ctx: &mut RequestContext) {
    sized(ctx, 11, &["hello", " ", "world"]);
}

async fn sized_short(ctx: &mut RequestContext) {
    sized(ctx, 100, &["only", " this"]);
}

async fn sized_long(ctx: &mut RequestContext) {
    sized(ctx, 6, &["abcd", "efgh", "never"]);
}

async fn upgrade_attempt(ctx: &mut RequestContext) {
    ctx.upgrade("echo", |_io| async move {});
}

fn big_body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn routes(s: &mut Server) {
    s.get("/ok", ok);
    s.post("/echo", echo);
    s.post("/count", count_stream).stream_body();
    s.get("/produce", produce);
    s.get("/upgrade", upgrade_attempt);
    s.get("/hop", hop_by_hop);
    s.get("/sized", sized_exact);
    s.get("/short", sized_short);
    s.get("/long", sized_long);
}

async fn h2c_server() -> std::net::SocketAddr {
    let mut s = common::server().h2c(true);
    routes(&mut s);
    let (handle, addr) = common::start(s).await;
    std::mem::forget(handle);
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_and_http1_share_the_port() {
    let addr = h2c_server().await;
    let mut h2 = Proto::H2c.client(addr).await;
    let r = h2.get("/ok").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    assert_eq!(r.version, http::Version::HTTP_2);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("content-length"), Some("2"));
    assert_eq!(r.header("server"), Some("khz"));
    assert!(r.header("date").is_some());
    // Raw HTTP/1.1 on the same port, and a request that starts like the preface but is not.
    let r = common::get(addr, "/ok").await;
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    let mut c = common::Client::connect(addr).await;
    let r = c.request("PRIX / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(
        r.status, 404,
        "a method that diverges from the preface is HTTP/1.1"
    );
    // The protocol is visible to the handler, and only there.
    let r = h2.request("POST", "/echo", &[], "x").await;
    assert_eq!(r.header("x-protocol"), Some("HTTP/2.0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_is_off_by_default() {
    let mut s = common::server();
    routes(&mut s);
    let (_h, addr) = common::start(s).await;
    let mut c = common::Client::connect(addr).await;
    c.send_lenient(&khz_preface()).await;
    let r = c.read_response().await;
    assert_eq!(
        r.status, 505,
        "the preface is an HTTP/2.0 request line to HTTP/1.1"
    );
}

fn khz_preface() -> Vec<u8> {
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_both_ways_with_small_windows() {
    let mut s = common::server()
        .h2c(true)
        .http2_initial_stream_window_size(65_535)
        .http2_initial_connection_window_size(65_535);
    routes(&mut s);
    let (_h, addr) = common::start(s).await;
    let mut c = Proto::H2c.client(addr).await;
    let payload = Bytes::from(big_body(1 << 20));
    let r = c.request("POST", "/echo", &[], payload.clone()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("1048576"));
    assert!(r.body == payload, "echo differs ({} bytes)", r.body.len());
    // A streamed response of 2 MiB through a 64 KiB window.
    let r = c.get("/produce?n=200").await;
    assert_eq!(r.body.len(), 200 * 10240);
    assert_eq!(r.header("content-length"), None);
    assert!(r.body[..10240].iter().all(|&b| b == b'a'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_trailers_reach_the_handler() {
    let addr = h2c_server().await;
    let mut client = h2_client(addr).await.ready().await.unwrap();
    let req = http::Request::post("http://khz.test/echo")
        .body(())
        .unwrap();
    let (resp, mut send) = client.send_request(req, false).unwrap();
    send.send_data(Bytes::from_static(b"hello"), false).unwrap();
    let mut trailers = http::HeaderMap::new();
    trailers.insert("x-checksum", "c0ffee".parse().unwrap());
    send.send_trailers(trailers).unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    assert_eq!(resp.headers()["x-trailer"], "c0ffee");
    assert_eq!(read_all(resp.into_body()).await.unwrap(), "hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_request_body_with_back_pressure() {
    let mut s = common::server()
        .h2c(true)
        .http2_initial_stream_window_size(16_384);
    routes(&mut s);
    let (_h, addr) = common::start(s).await;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let pieces: Vec<Bytes> = big_body(500_000)
        .chunks(10_000)
        .map(Bytes::copy_from_slice)
        .collect();
    let frames = pieces
        .into_iter()
        .map(|p| Ok::<_, Infallible>(Frame::data(p)));
    let req = hyper::Request::post("http://khz.test/count")
        .body(StreamBody::new(futures_util::stream::iter(frames)))
        .unwrap();
    let resp = tokio::time::timeout(GUARD, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body);
    assert!(text.starts_with("500000 bytes in "), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_the_limit_is_413_on_that_stream_only() {
    let mut s = common::server().h2c(true).max_request_body_size(1000);
    routes(&mut s);
    let (_h, addr) = common::start(s).await;
    let mut c = Proto::H2c.client(addr).await;
    let r = c.request("POST", "/echo", &[], vec![b'x'; 5000]).await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (413, "request body too large")
    );
    // Same connection, next stream.
    let r = c.request("POST", "/echo", &[], "small").await;
    assert_eq!((r.status, r.text().as_str()), (200, "small"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sized_streams_send_exactly_their_length() {
    let addr = h2c_server().await;
    let mut client = h2_client(addr).await.ready().await.unwrap();
    let get = |path: &str| {
        http::Request::get(format!("http://khz.test{path}"))
            .body(())
            .unwrap()
    };

    let (resp, _) = client.send_request(get("/sized"), true).unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    assert_eq!(resp.headers()["content-length"], "11");
    assert_eq!(read_all(resp.into_body()).await.unwrap(), "hello world");

    // Shorter than announced: the stream is reset, so the body is visibly incomplete.
    let mut client = client.ready().await.unwrap();
    let (resp, _) = client.send_request(get("/short"), true).unwrap();
    let outcome = match tokio::time::timeout(GUARD, resp).await.unwrap() {
        // The reset may overtake the head on the client's side.
        Err(e) => Err(e),
        Ok(resp) => {
            assert_eq!(resp.headers()["content-length"], "100");
            read_all(resp.into_body()).await
        }
    };
    let err = outcome.expect_err("an incomplete body never looks complete");
    assert_eq!(err.reason(), Some(h2::Reason::INTERNAL_ERROR), "{err}");

    // Longer: exactly the announced bytes, never the extra ones.
    let mut client = client.ready().await.unwrap();
    let (resp, _) = client.send_request(get("/long"), true).unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    assert_eq!(read_all(resp.into_body()).await.unwrap(), "abcdef");

    // The connection served all that and goes on.
    let mut client = client.ready().await.unwrap();
    let (resp, _) = client.send_request(get("/ok"), true).unwrap();
    assert_eq!(
        tokio::time::timeout(GUARD, resp)
            .await
            .unwrap()
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_over_http2_is_a_500() {
    let addr = h2c_server().await;
    let mut c = Proto::H2c.client(addr).await;
    let r = c.get("/upgrade").await;
    assert_eq!(r.status, 500);
    assert_eq!(c.get("/ok").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_specific_headers_are_not_sent_over_http2() {
    let addr = h2c_server().await;
    let mut c = Proto::H2c.client(addr).await;
    let r = c.get("/hop").await;
    assert_eq!((r.status, r.text().as_str()), (200, "hop"));
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
    ] {
        assert_eq!(r.header(name), None, "{name} must not be sent over HTTP/2");
    }
    assert_eq!(r.header("x-kept"), Some("yes"));
    // `set_connection_close` does not close a multiplexed connection.
    assert_eq!(c.get("/ok").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_streams_on_one_connection() {
    let addr = h2c_server().await;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let mut sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!("stream {i}");
            let req = hyper::Request::post("http://khz.test/echo")
                .body(http_body_util::Full::new(Bytes::from(body.clone())))
                .unwrap();
            let resp = sender.send_request(req).await.expect("response");
            let got = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(got, body);
        }));
    }
    for t in tasks {
        tokio::time::timeout(GUARD, t).await.unwrap().unwrap();
    }
}

// ----- Expect: 100-continue ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_continue_is_answered_per_stream() {
    let mut s = common::server().h2c(true);
    routes(&mut s);
    s.continue_handler(|ctx| ctx.header("x-allowed").as_deref() == Some("yes"));
    let (_h, addr) = common::start(s).await;
    let mut client = h2_client(addr).await.ready().await.unwrap();

    // Granted: 100 Continue first, then the body is read and echoed.
    let req = http::Request::post("http://khz.test/echo")
        .header("expect", "100-continue")
        .header("x-allowed", "yes")
        .body(())
        .unwrap();
    let (mut resp, mut send) = client.send_request(req, false).unwrap();
    let interim = tokio::time::timeout(
        GUARD,
        std::future::poll_fn(|cx| resp.poll_informational(cx)),
    )
    .await
    .unwrap()
    .expect("an informational response")
    .unwrap();
    assert_eq!(interim.status(), 100);
    send.send_data(Bytes::from_static(b"after continue"), true)
        .unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(read_all(resp.into_body()).await.unwrap(), "after continue");

    // Refused: 417 on that stream; the connection goes on.
    let mut client = client.ready().await.unwrap();
    let req = http::Request::post("http://khz.test/echo")
        .header("expect", "100-continue")
        .body(())
        .unwrap();
    let (resp, _send) = client.send_request(req, false).unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    assert_eq!(resp.status(), 417);
    let mut c = Proto::H2c.client(addr).await;
    assert_eq!(c.get("/ok").await.status, 200);
}

#[tokio::test]
async fn invalid_http2_options_fail_start() {
    for bad in [
        common::server().http2_max_frame_size(100),
        common::server().http2_max_concurrent_streams(0),
        common::server().http2_initial_stream_window_size(u32::MAX),
        common::server().h2c(true).http2(false),
    ] {
        let err = common::try_start(bad).await.expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    }
}

// ----- limits per stream -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_body_limit_and_stalled_bodies_per_stream() {
    let mut s = common::server()
        .h2c(true)
        .max_stream_body_size(100_000)
        .read_timeout(std::time::Duration::from_millis(200));
    routes(&mut s);
    let (_h, addr) = common::start(s).await;
    let mut client = h2_client(addr).await.ready().await.unwrap();

    // Announced too large: 413 before the handler runs.
    let req = http::Request::post("http://khz.test/count")
        .header("content-length", "150000")
        .body(())
        .unwrap();
    let (resp, _send) = client.send_request(req, false).unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    assert_eq!(resp.status(), 413);

    // Unannounced, growing past the limit: the handler's stream ends with a 413 error.
    let mut client = client.ready().await.unwrap();
    let req = http::Request::post("http://khz.test/count")
        .body(())
        .unwrap();
    let (resp, mut send) = client.send_request(req, false).unwrap();
    for _ in 0..3 {
        send.reserve_capacity(60_000);
        let _ = send.send_data(Bytes::from(vec![b'x'; 60_000]), false);
    }
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    assert_eq!(resp.status(), 413);

    // A buffered body that stalls: 408 once the read timeout passes.
    let mut client = client.ready().await.unwrap();
    let req = http::Request::post("http://khz.test/echo")
        .body(())
        .unwrap();
    let (resp, mut send) = client.send_request(req, false).unwrap();
    send.send_data(Bytes::from_static(b"part"), false).unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    assert_eq!(resp.status(), 408);

    // The connection served all of that and goes on.
    let mut client = client.ready().await.unwrap();
    let req = http::Request::get("http://khz.test/ok").body(()).unwrap();
    let (resp, _) = client.send_request(req, true).unwrap();
    assert_eq!(
        tokio::time::timeout(GUARD, resp)
            .await
            .unwrap()
            .unwrap()
            .status(),
        200
    );
}
