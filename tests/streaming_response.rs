//! Response bodies written while they are sent: `stream_with` (a chunked writer with flush, also
//! an `AsyncWrite`) and Server-Sent Events (`sse`), over raw sockets and curl. Checks chunk
//! boundaries follow flushes, nothing buffered is lost at the end, middleware still shapes the
//! head, a failing producer never looks like a complete body, keep-alive comments flow while a
//! producer is quiet, and a producer stops once its client is gone.
//!
//! What does not depend on HTTP/1.1 chunk framing runs over every protocol
//! (`Proto::all_with_h3()`, HTTP/3 included).

mod common;
mod proto;

use std::net::SocketAddr;

use common::*;
use khz::app::sse::Event;
use khz::prelude::*;
use proto::Proto;
use tokio::sync::mpsc;

/// Sends its label to the test when dropped (proves a producer was dropped).
struct DropSignal(mpsc::UnboundedSender<&'static str>, &'static str);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

type Signals = mpsc::UnboundedSender<&'static str>;

async fn flushes(ctx: &mut RequestContext) {
    ctx.stream_with(StatusCode::OK, "text/plain", |mut w| async move {
        let _ = w.write("a").await;
        let _ = w.write("b").await;
        let _ = w.flush().await;
        let _ = w.write("cd").await;
        let _ = w.flush().await;
        // Left buffered: must still be sent when the producer ends.
        let _ = w.write("tail").await;
    });
}

async fn big(ctx: &mut RequestContext) {
    ctx.stream_with(
        StatusCode::OK,
        "application/octet-stream",
        |mut w| async move {
            let data = payload(1024 * 1024 + 3);
            let mut reader = &data[..];
            let _ = tokio::io::copy(&mut reader, &mut w).await;
        },
    );
}

async fn broken(ctx: &mut RequestContext) {
    ctx.stream_with(StatusCode::OK, "text/plain", |mut w| async move {
        let _ = w.write("partial").await;
        let _ = w.flush().await;
        w.fail("database went away").await;
    });
}

async fn endless(ctx: &mut RequestContext) {
    let Some(signals) = ctx.state::<Signals>() else {
        return ctx.status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    ctx.stream_with(StatusCode::OK, "text/plain", move |mut w| async move {
        let _guard = DropSignal((*signals).clone(), "endless dropped");
        loop {
            if w.write("x".repeat(1000)).await.is_err() || w.flush().await.is_err() {
                let _ = signals.send("endless saw ClientGone");
                return;
            }
        }
    });
}

async fn stamp(ctx: &mut RequestContext) {
    ctx.next().await;
    ctx.set_header("x-stamped", "yes");
}

async fn events(ctx: &mut RequestContext) {
    let start: u64 = ctx
        .last_event_id()
        .and_then(|id| id.parse().ok())
        .unwrap_or(0);
    ctx.sse_with_keep_alive(None, move |mut sse| async move {
        let _ = sse.comment("hello").await;
        let _ = sse
            .send(Event::new().retry(std::time::Duration::from_millis(1500)))
            .await;
        for i in start + 1..=start + 2 {
            let e = Event::new()
                .event("tick")
                .id(i.to_string())
                .data(format!("n={i}\nsecond line"));
            if sse.send(e).await.is_err() {
                return;
            }
        }
    });
}

async fn quiet(ctx: &mut RequestContext) {
    let Some(signals) = ctx.state::<Signals>() else {
        return ctx.status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    ctx.sse_with_keep_alive(
        Some(std::time::Duration::from_millis(30)),
        move |mut sse| async move {
            let _guard = DropSignal((*signals).clone(), "quiet dropped");
            let _ = sse.send(Event::new().data("first")).await;
            std::future::pending::<()>().await;
        },
    );
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 253) as u8).collect()
}

async fn serve() -> (SocketAddr, mpsc::UnboundedReceiver<&'static str>) {
    serve_proto(Proto::Http1).await
}

async fn serve_proto(proto: Proto) -> (SocketAddr, mpsc::UnboundedReceiver<&'static str>) {
    let (tx, rx) = mpsc::unbounded_channel::<&'static str>();
    let s = server().with_state::<Signals>(tx);
    s.middleware(stamp);
    s.get("/ok", ok);
    s.get("/flushes", flushes);
    s.get("/big", big);
    s.get("/broken", broken);
    s.get("/endless", endless);
    s.get("/events", events);
    s.get("/quiet", quiet);
    let (handle, addr) = proto.start(s).await;
    std::mem::forget(handle);
    (addr, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_follow_flushes_and_the_rest_is_sent_at_the_end() {
    let (addr, _) = serve().await;
    let mut c = Client::connect(addr).await;
    let r = c.request("GET /flushes HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.status, 200);
    assert!(r.chunked);
    assert_eq!(r.chunks, [b"ab".to_vec(), b"cd".to_vec(), b"tail".to_vec()]);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(
        r.header("x-stamped"),
        Some("yes"),
        "middleware after next() shapes the head"
    );
    assert!(!r.closes());
    assert_eq!(
        c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .text(),
        "ok"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_write_copies_a_megabyte_intact() {
    for proto in Proto::all_with_h3() {
        let (addr, _) = serve_proto(proto).await;
        let r = proto.client(addr).await.get("/big").await;
        assert!(r.body == payload(1024 * 1024 + 3), "{proto}");
        assert_eq!(r.header("x-stamped"), Some("yes"), "{proto}");
    }
    let (addr, _) = serve().await;
    assert!(
        get(addr, "/big").await.chunks.len() > 1,
        "flushed in pieces"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http10_client_gets_a_close_delimited_stream() {
    let (addr, _) = serve().await;
    let mut c = Client::connect(addr).await;
    c.send("GET /flushes HTTP/1.0\r\n\r\n").await;
    let raw = c.read_to_eof().await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(!text.to_ascii_lowercase().contains("transfer-encoding"));
    assert!(text.ends_with("\r\n\r\nabcdtail"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_producer_leaves_the_body_visibly_incomplete() {
    let (addr, _) = serve().await;
    let mut c = Client::connect(addr).await;
    c.send("GET /broken HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let raw = c.read_to_eof().await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("7\r\npartial\r\n"), "{text}");
    assert!(
        !text.ends_with("0\r\n\r\n"),
        "no final chunk after a failure: {text}"
    );
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_learns_the_client_is_gone_and_is_dropped() {
    let (addr, mut signals) = serve().await;
    let mut c = Client::connect(addr).await;
    c.send("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n").await;
    c.read_until(b"xxxx").await;
    drop(c);
    // The producer is cancelled (dropped mid-await) once a write to the socket fails; it only
    // sees `ClientGone` itself if it outlives the response (e.g. it moved the writer into a
    // spawned task).
    let s = tokio::time::timeout(GUARD, signals.recv())
        .await
        .expect("the producer must stop once the client is gone");
    assert_eq!(s, Some("endless dropped"));
    assert_still_serving(addr).await;
}

#[cfg(feature = "http2")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_is_dropped_when_an_http2_client_resets_the_stream() {
    let (addr, mut signals) = serve_proto(Proto::H2c).await;
    let client = proto::h2_client(addr).await;
    let mut client = client.ready().await.unwrap();
    let req = http::Request::get("http://khz.test/endless")
        .body(())
        .unwrap();
    let (resp, _) = client.send_request(req, true).unwrap();
    let resp = tokio::time::timeout(GUARD, resp).await.unwrap().unwrap();
    let mut body = resp.into_body();
    let first = tokio::time::timeout(GUARD, body.data()).await.unwrap();
    assert!(first.is_some_and(|c| c.is_ok_and(|c| c.starts_with(b"xxx"))));
    drop(body); // RST_STREAM CANCEL
    let s = tokio::time::timeout(GUARD, signals.recv())
        .await
        .expect("the producer must stop once the stream is reset");
    assert_eq!(s, Some("endless dropped"));
    // The connection itself goes on.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_events_are_encoded_to_the_spec() {
    for proto in Proto::all_with_h3() {
        let (addr, _) = serve_proto(proto).await;
        let r = proto.client(addr).await.get("/events").await;
        assert_eq!(r.status, 200, "{proto}");
        assert_eq!(r.header("content-type"), Some("text/event-stream"));
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        assert_eq!(r.header("x-accel-buffering"), Some("no"));
        assert_eq!(
            r.text(),
            ": hello\n\n\
             retry: 1500\n\n\
             event: tick\nid: 1\ndata: n=1\ndata: second line\n\n\
             event: tick\nid: 2\ndata: n=2\ndata: second line\n\n",
            "{proto}"
        );
    }
    // Each event is flushed on its own.
    let (addr, _) = serve().await;
    assert_eq!(get(addr, "/events").await.chunks.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_resumes_after_last_event_id() {
    for proto in Proto::all_with_h3() {
        let (addr, _) = serve_proto(proto).await;
        let mut c = proto.client(addr).await;
        let r = c
            .request("GET", "/events", &[("last-event-id", "41")], "")
            .await;
        assert!(
            r.text().contains("id: 42\ndata: n=42\n"),
            "{proto}: {}",
            r.text()
        );
        assert!(r.text().contains("id: 43\n"));
        assert!(!r.text().contains("id: 41\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_keep_alive_comments_flow_while_quiet_and_stop_with_the_client() {
    let (addr, mut signals) = serve().await;
    let mut c = Client::connect(addr).await;
    c.send("GET /quiet HTTP/1.1\r\nHost: x\r\n\r\n").await;
    c.read_until(b"data: first\n\n").await;
    // Two keep-alive comments after the event (each its own chunk: "3\r\n:\n\n\r\n").
    c.read_until(b"3\r\n:\n\n\r\n3\r\n:\n\n\r\n").await;
    drop(c);
    let s = tokio::time::timeout(GUARD, signals.recv())
        .await
        .expect("the quiet producer must be dropped once the client is gone");
    assert_eq!(s, Some("quiet dropped"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_reads_the_event_stream() {
    let (addr, _) = serve().await;
    let url = format!("http://{addr}/events");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-sS", "-N", "-H", "Accept: text/event-stream"])
            .arg(url)
            .output()
    })
    .await
    .unwrap()
    .expect("curl is required (.ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("event: tick\nid: 2\ndata: n=2\ndata: second line\n\n"),
        "{text}"
    );
}
