//! Response trailers: over HTTP/1.1 (chunked, announced by `Trailer`), h2c and h2+TLS (a
//! trailing HEADERS frame) for bodies in memory and streamed bodies; none for HTTP/1.0 clients
//! and HEAD requests. HTTP/1.1 is also checked byte for byte.

mod common;
mod proto;

use common::*;
use khz::prelude::*;
use proto::{At, Proto};

async fn in_memory(ctx: &mut RequestContext) {
    ctx.append_trailer("x-checksum", "42");
    ctx.append_trailer("x-note", "done");
    ctx.string(StatusCode::OK, "hello");
}

async fn streamed(ctx: &mut RequestContext) {
    ctx.append_trailer("x-parts", "2");
    ctx.stream_with(StatusCode::OK, "text/plain", |mut w| async move {
        let _ = w.write("part1,").await;
        let _ = w.flush().await;
        let _ = w.write("part2").await;
    });
}

async fn empty(ctx: &mut RequestContext) {
    ctx.append_trailer("x-empty", "yes");
    ctx.status(StatusCode::OK);
}

fn routes() -> Server {
    let s = server();
    s.get("/ok", ok);
    s.get("/mem", in_memory);
    s.get("/stream", streamed);
    s.get("/empty", empty);
    s
}

fn trailer<'r>(r: &'r Resp, name: &str) -> Option<&'r str> {
    r.trailers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailers_follow_the_body_on_every_protocol() {
    for proto in Proto::all_with_h3() {
        let at = At::start(proto, routes()).await;
        let r = at.get("/mem").await;
        assert_eq!((r.status, r.text().as_str()), (200, "hello"), "{proto}");
        assert_eq!(trailer(&r, "x-checksum"), Some("42"), "{proto}: {r:?}");
        assert_eq!(trailer(&r, "x-note"), Some("done"), "{proto}");

        let r = at.get("/stream").await;
        assert_eq!(r.text(), "part1,part2", "{proto}");
        assert_eq!(trailer(&r, "x-parts"), Some("2"), "{proto}: {r:?}");

        let r = at.get("/empty").await;
        assert_eq!((r.status, r.text().as_str()), (200, ""), "{proto}");
        assert_eq!(trailer(&r, "x-empty"), Some("yes"), "{proto}: {r:?}");

        let r = at.get("/ok").await;
        assert!(r.trailers.is_empty(), "{proto}: no trailers unless set");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http11_bytes_are_exact() {
    let (handle, addr) = start(routes()).await;
    let mut c = Client::connect(addr).await;
    c.send("GET /mem HTTP/1.1\r\nHost: x\r\n\r\n").await;
    c.read_until(b"0\r\nX-Checksum: 42\r\nX-Note: done\r\n\r\n")
        .await;
    let raw = String::from_utf8(c.consume(c.buffered().len())).unwrap();
    assert!(raw.contains("\r\nTransfer-Encoding: chunked\r\n"), "{raw}");
    assert!(raw.contains("\r\nTrailer: X-Checksum, X-Note\r\n"), "{raw}");
    assert!(
        !raw.to_ascii_lowercase().contains("content-length"),
        "{raw}"
    );
    assert!(
        raw.ends_with("\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: 42\r\nX-Note: done\r\n\r\n"),
        "{raw}"
    );
    // The connection stays usable.
    assert_eq!(
        c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .text(),
        "ok"
    );
    drop(handle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http10_and_head_get_no_trailers() {
    let (handle, addr) = start(routes()).await;
    let mut c = Client::connect(addr).await;
    c.send("GET /mem HTTP/1.0\r\n\r\n").await;
    let raw = String::from_utf8(c.read_to_eof().await).unwrap();
    assert!(raw.contains("\r\nContent-Length: 5\r\n"), "{raw}");
    assert!(raw.ends_with("\r\n\r\nhello"), "{raw}");
    assert!(!raw.contains("X-Checksum"), "{raw}");

    let mut c = Client::connect(addr).await;
    c.send("HEAD /mem HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let r = c.read_head_response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("trailer"), Some("X-Checksum, X-Note"));
    // Nothing follows the head: the next response starts right away.
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.text(), "ok");
    drop(handle);
}
