//! HTTP/3 end to end (feature `http3`): a real khz server with TLS and `http3(true)`, and a
//! real HTTP/3 client (`h3` over `quinn`, `tests/proto/h3.rs`) on UDP at the server's port:
//! requests with and without bodies (streamed in many DATA frames, to streamed and buffered
//! routes), 8 MiB responses, 100 concurrent streams on one connection, SSE, trailers both
//! ways. Per-stream limits are in `http3_limits.rs`, `Alt-Svc` in `http3_alt_svc.rs`, the app
//! layer (middleware, binding errors, upgrade/hijack, start-up checks) in `http3_app.rs`.
#![cfg(feature = "http3")]

mod common;
mod proto;

use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use common::*;
use futures_util::StreamExt;
use khz::app::sse::Event;
use khz::prelude::*;
use proto::h3::{exchange_on, h3_connect, H3Client};
use proto::{server_tls_config, test_cert, Proto, Reply};
use tokio::sync::{Barrier, Notify};

async fn version(ctx: &mut RequestContext) {
    let v = format!("{:?}", ctx.protocol());
    ctx.string(StatusCode::OK, v);
}

/// Echoes the body, with the request trailer `x-checksum` (or `-`) in a header.
async fn echo_trailer(ctx: &mut RequestContext) {
    let body = ctx.body().clone();
    let trailer = ctx
        .request()
        .trailers()
        .get_str("x-checksum")
        .unwrap_or("-")
        .to_owned();
    ctx.set_header("x-trailer", trailer);
    ctx.data(StatusCode::OK, "application/octet-stream", body);
}

/// FNV-1a: an order-sensitive checksum both sides compute.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Reads a streamed body chunk by chunk: `<bytes>:<fnv>:<chunks>`.
async fn digest(ctx: &mut RequestContext) {
    let streaming = ctx.body_is_streaming();
    let mut body = ctx.body_stream();
    let (mut all, mut chunks) = (Vec::new(), 0usize);
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => {
                all.extend_from_slice(&c);
                chunks += 1;
            }
            Err(e) => return ctx.abort_with_msg(e.status(), e.reason()),
        }
    }
    ctx.set_header("x-streamed", streaming.to_string());
    let text = format!("{}:{:x}:{chunks}", all.len(), fnv(&all));
    ctx.string(StatusCode::OK, text);
}

const BIG: usize = 8 * 1024 * 1024;

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 253) as u8).collect()
}

async fn big_in_memory(ctx: &mut RequestContext) {
    ctx.data(StatusCode::OK, "application/octet-stream", payload(BIG));
}

/// The same bytes through the `AsyncWrite` stream writer.
async fn big_written(ctx: &mut RequestContext) {
    ctx.stream_with(
        StatusCode::OK,
        "application/octet-stream",
        |mut w| async move {
            let data = payload(BIG);
            let mut reader = &data[..];
            let _ = tokio::io::copy(&mut reader, &mut w).await;
        },
    );
}

/// The same bytes as a stream of 64 KiB chunks.
async fn big_chunks(ctx: &mut RequestContext) {
    let data = Bytes::from(payload(BIG));
    let chunks =
        (0..BIG / 65536).map(move |i| Ok::<_, BoxError>(data.slice(i * 65536..(i + 1) * 65536)));
    ctx.stream(StatusCode::OK, futures_util::stream::iter(chunks));
}

/// Answers only once 100 requests are in the handler together.
async fn rendezvous(ctx: &mut RequestContext) {
    let Some(barrier) = ctx.state::<Barrier>() else {
        return ctx.status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    barrier.wait().await;
    let i = ctx.param("i").unwrap_or_default().to_owned();
    ctx.string(StatusCode::OK, format!("answer {i}"));
}

/// Opened by the test to let the SSE handler send its second event.
struct Gate(Arc<Notify>);

/// SSE: the first event, then the second once the test says it has seen the first.
async fn events(ctx: &mut RequestContext) {
    let Some(gate) = ctx.state::<Gate>() else {
        return ctx.status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let go_on = gate.0.clone();
    ctx.sse_with_keep_alive(None, move |mut sse| async move {
        let first = Event::new().event("tick").id("1").data("one");
        if sse.send(first).await.is_err() {
            return;
        }
        go_on.notified().await;
        let _ = sse.send(Event::new().id("2").data("two\nlines")).await;
    });
}

async fn mem_trailers(ctx: &mut RequestContext) {
    ctx.append_trailer("x-checksum", "42");
    ctx.append_trailer("x-note", "done");
    ctx.string(StatusCode::OK, "hello");
}

async fn streamed_trailers(ctx: &mut RequestContext) {
    ctx.append_trailer("x-parts", "2");
    ctx.stream_with(StatusCode::OK, "text/plain", |mut w| async move {
        let _ = w.write("part1,").await;
        let _ = w.flush().await;
        let _ = w.write("part2").await;
    });
}

fn h3_server() -> Server {
    h3_server_with(Arc::new(Notify::new()))
}

/// The server, its SSE handler waiting on `gate`.
fn h3_server_with(gate: Arc<Notify>) -> Server {
    let s = server()
        .tls(server_tls_config(test_cert()))
        .http3(true)
        .with_state(Barrier::new(100))
        .with_state(Gate(gate));
    s.get("/ok", ok);
    s.post("/echo", echo_trailer);
    s.post("/digest", digest).stream_body();
    s.get("/version", version);
    s.get("/big/mem", big_in_memory);
    s.get("/big/written", big_written);
    s.get("/big/chunks", big_chunks);
    s.get("/rendezvous/:i", rendezvous);
    s.get("/events", events);
    s.get("/trailers/mem", mem_trailers);
    s.get("/trailers/stream", streamed_trailers);
    s
}

/// Starts [`h3_server`] and connects an HTTP/3 client (the handle keeps the server running).
async fn connect() -> (khz::app::ServerHandle, H3Client) {
    let handle = try_start(h3_server()).await.expect("server starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");
    let c = h3_connect(udp).await;
    (handle, c)
}

fn request(method: &str, path: &str) -> http::Request<()> {
    http::Request::builder()
        .method(method)
        .uri(format!("https://localhost{path}"))
        .body(())
        .expect("request")
}

/// Sends `frames` as separate DATA frames, then `trailers` if any, and reads the response.
async fn send_frames(
    c: &mut H3Client,
    req: http::Request<()>,
    frames: &[Bytes],
    trailers: Option<http::HeaderMap>,
) -> Reply {
    let fut = async {
        let mut stream = c.send.send_request(req).await.expect("request sent");
        for f in frames {
            stream.send_data(f.clone()).await.expect("DATA sent");
        }
        if let Some(t) = trailers {
            stream.send_trailers(t).await.expect("trailers sent");
        }
        stream.finish().await.expect("stream finished");
        let resp = stream.recv_response().await.expect("response");
        let mut body = BytesMut::new();
        while let Some(mut chunk) = stream.recv_data().await.expect("response body") {
            body.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
        }
        Reply {
            status: resp.status().as_u16(),
            version: resp.version(),
            headers: resp.headers().clone(),
            body: body.freeze(),
            trailers: stream.recv_trailers().await.expect("trailers"),
        }
    };
    tokio::time::timeout(GUARD, fut)
        .await
        .expect("response in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_and_post_over_http3() {
    let handle = try_start(h3_server()).await.expect("server starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");
    assert_eq!(
        udp.port(),
        handle.local_addr().port(),
        "same port number as TCP"
    );
    let mut c = h3_connect(udp).await;
    let r = c.get("/ok").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    assert_eq!(r.version, http::Version::HTTP_3);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("content-length"), Some("2"));
    assert_eq!(r.header("server"), Some("khz"));
    let date = r.header("date").expect("Date header");
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    assert_eq!(
        r.header("alt-svc"),
        None,
        "HTTP/3 does not advertise itself"
    );
    assert_eq!(c.get("/version").await.text(), "HTTP/3.0");

    let r = c
        .request(
            request("POST", "/echo"),
            Some(Bytes::from_static(b"hello h3")),
        )
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello h3"));
    assert_eq!(r.header("content-length"), Some("8"));
    // The same head as HTTP/2 over TLS on the TCP port gives.
    let mut h2 = Proto::H2Tls.client(handle.local_addr()).await;
    let r2 = h2.get("/ok").await;
    for name in ["content-type", "content-length", "server"] {
        assert_eq!(r2.header(name), c.get("/ok").await.header(name), "{name}");
    }
    handle.shutdown().await.expect("graceful shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_in_many_data_frames_reaches_streamed_and_buffered_routes() {
    let (_h, mut c) = connect().await;
    let body = payload(3 * 1024 * 1024 + 5);
    let frames: Vec<Bytes> = body.chunks(16 * 1024).map(Bytes::copy_from_slice).collect();
    assert!(frames.len() > 190);
    let r = send_frames(&mut c, request("POST", "/digest"), &frames, None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-streamed"), Some("true"));
    let text = r.text();
    let expected = format!("{}:{:x}:", body.len(), fnv(&body));
    assert!(text.starts_with(&expected), "{text}");
    let chunks: usize = text.rsplit(':').next().unwrap().parse().unwrap();
    assert!(chunks > 1, "streamed in pieces: {text}");

    // Buffered: within max_request_body_size (4 MiB by default), echoed whole.
    let r = send_frames(&mut c, request("POST", "/echo"), &frames, None).await;
    assert_eq!(r.status, 200);
    assert!(r.body == body, "buffered body intact");
    assert_eq!(
        r.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    // No body at all on a streamed route: an empty stream.
    let r = c.request(request("POST", "/digest"), None).await;
    assert_eq!(r.text(), format!("0:{:x}:0", fnv(b"")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_mib_responses_arrive_byte_for_byte() {
    let (_h, mut c) = connect().await;
    let want = payload(BIG);
    for path in ["/big/mem", "/big/written", "/big/chunks"] {
        let r = c.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body.len(), BIG, "{path}");
        assert!(r.body == want, "{path}: bytes differ");
    }
    let r = c.get("/big/mem").await;
    assert_eq!(r.header("content-length"), Some(BIG.to_string().as_str()));
    assert_eq!(c.get("/ok").await.text(), "ok", "the connection goes on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_requests_on_one_connection() {
    let (_h, c) = connect().await;
    // The handler answers only once all 100 are in it at the same time: served one after the
    // other, none would ever be answered.
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let mut send = c.sender();
            tokio::spawn(async move {
                let req = request("GET", &format!("/rendezvous/{i}"));
                let r = tokio::time::timeout(GUARD, exchange_on(&mut send, req, None))
                    .await
                    .expect("answered in time")
                    .expect("exchange");
                (i, r)
            })
        })
        .collect();
    for t in tasks {
        let (i, r) = t.await.expect("task");
        assert_eq!((r.status, r.text()), (200, format!("answer {i}")));
    }
    let mut c = c;
    assert_eq!(c.get("/ok").await.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_events_arrive_as_they_are_sent() {
    let go_on = Arc::new(Notify::new());
    let handle = try_start(h3_server_with(go_on.clone()))
        .await
        .expect("server starts");
    let c = h3_connect(handle.http3_addr().expect("HTTP/3 on")).await;
    let mut send = c.sender();
    let fut = async {
        let mut stream = send.send_request(request("GET", "/events")).await?;
        stream.finish().await?;
        let resp = stream.recv_response().await?;
        assert_eq!(resp.status(), 200);
        let ct = resp.headers().get("content-type").map(|v| v.as_bytes());
        assert_eq!(ct, Some(&b"text/event-stream"[..]));
        let mut got = BytesMut::new();
        let first = b"event: tick\nid: 1\ndata: one\n\n";
        while got.len() < first.len() {
            let mut chunk = stream.recv_data().await?.expect("the first event");
            got.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
        }
        // The handler sends the second event only after this point: the first one arrived
        // on its own, while the response was still open.
        assert_eq!(&got[..], &first[..]);
        go_on.notify_one();
        while let Some(mut chunk) = stream.recv_data().await? {
            got.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
        }
        Ok::<_, h3::error::StreamError>(got)
    };
    let got = tokio::time::timeout(GUARD, fut)
        .await
        .expect("events in time")
        .expect("event stream");
    assert_eq!(
        String::from_utf8_lossy(&got),
        "event: tick\nid: 1\ndata: one\n\nid: 2\ndata: two\ndata: lines\n\n"
    );
    drop(c);
    handle.shutdown().await.expect("graceful shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailers_both_ways() {
    let (_h, mut c) = connect().await;
    let mut t = http::HeaderMap::new();
    t.insert("x-checksum", "abc123".parse().unwrap());
    let frames = [Bytes::from_static(b"body "), Bytes::from_static(b"parts")];
    let r = send_frames(&mut c, request("POST", "/echo"), &frames, Some(t)).await;
    assert_eq!((r.status, r.text().as_str()), (200, "body parts"));
    assert_eq!(
        r.header("x-trailer"),
        Some("abc123"),
        "request trailer in ctx"
    );
    // A streamed body ends where its trailers begin (they are not delivered to the handler).
    let mut t = http::HeaderMap::new();
    t.insert("x-checksum", "abc123".parse().unwrap());
    let r = send_frames(&mut c, request("POST", "/digest"), &frames, Some(t)).await;
    let want = format!("10:{:x}:", fnv(b"body parts"));
    assert!(r.text().starts_with(&want), "{}", r.text());

    let r = c.get("/trailers/mem").await;
    assert_eq!(r.text(), "hello");
    let t = r.trailers.expect("response trailers");
    assert_eq!(t.get("x-checksum").unwrap(), "42");
    assert_eq!(t.get("x-note").unwrap(), "done");

    let r = c.get("/trailers/stream").await;
    assert_eq!(r.text(), "part1,part2");
    assert_eq!(r.trailers.expect("trailers").get("x-parts").unwrap(), "2");

    assert_eq!(c.get("/ok").await.trailers, None, "none unless set");
}
