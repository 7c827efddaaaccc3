//! HTTP/1.1 behaviour on raw sockets: keep-alive, pipelining, HEAD, HTTP/1.0, chunked request
//! bodies with trailers, chunked responses, `Expect: 100-continue` (granted and refused), and
//! the exact bytes of a plain response.

mod common;

use std::net::SocketAddr;

use bytes::Bytes;
use common::*;
use khz::prelude::*;

async fn stream3(ctx: &mut RequestContext) {
    let parts = ["one", "two", "three"].map(|p| Ok(Bytes::from_static(p.as_bytes())));
    ctx.stream(StatusCode::OK, futures_util::stream::iter(parts));
}

/// Echoes the body and reports the trailers: `<body>|<x-checksum>|<number of trailers>`.
async fn trailer_report(ctx: &mut RequestContext) {
    let req = ctx.request();
    let report = format!(
        "{}|{}|{}",
        String::from_utf8_lossy(req.body()),
        req.trailers().get_str("x-checksum").unwrap_or("-"),
        req.trailers().len()
    );
    ctx.string(StatusCode::OK, report);
}

async fn no_content(ctx: &mut RequestContext) {
    ctx.status(StatusCode::NO_CONTENT);
}

async fn hang_up(ctx: &mut RequestContext) {
    ctx.set_connection_close();
    ctx.string(StatusCode::OK, "bye");
}

fn routes(s: &mut Server) {
    s.get("/ok", ok);
    s.post("/echo", echo);
    s.get("/stream", stream3);
    s.post("/trailer", trailer_report);
    s.get("/204", no_content);
    s.get("/bye", hang_up);
}

async fn serve_with(configure: impl FnOnce(Server) -> Server) -> SocketAddr {
    let mut s = configure(server());
    routes(&mut s);
    let (handle, addr) = start(s).await;
    std::mem::forget(handle);
    addr
}

async fn serve() -> SocketAddr {
    serve_with(|s| s).await
}

const GET_OK: &str = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_response_bytes_are_exact() {
    let addr = serve_with(|s| s.disable_date_header().server_header(None)).await;
    let mut c = Client::connect(addr).await;
    c.send("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let raw = c.read_to_eof().await;
    assert_eq!(
        String::from_utf8_lossy(&raw),
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\nok"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_server_and_date_headers() {
    let addr = serve().await;
    let r = get(addr, "/ok").await;
    assert_eq!(r.header("server"), Some("khz"));
    let date = r.header("date").expect("Date header");
    assert!(
        date.ends_with(" GMT") && date.len() == 29,
        "Date is an IMF-fixdate: {date:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    for i in 0..5 {
        let body = format!("request {i}");
        let r = c
            .request(format!(
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ))
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), body);
        assert!(!r.closes(), "HTTP/1.1 keeps the connection open");
        assert_eq!(r.header("connection"), None);
    }
    // `Connection: close` from the client is honoured.
    let r = c
        .request("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(r.text(), "ok");
    assert!(r.closes());
    c.expect_eof().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_can_close_the_connection() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    let r = c.request("GET /bye HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.text(), "bye");
    assert!(r.closes());
    c.expect_eof().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_off_closes_after_every_response() {
    let addr = serve_with(|s| s.keep_alive(false)).await;
    let mut c = Client::connect(addr).await;
    let r = c.request(GET_OK).await;
    assert_eq!(r.text(), "ok");
    assert!(r.closes());
    c.expect_eof().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_mixed_requests_answered_in_order() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    c.send(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst\
         GET /ok HTTP/1.1\r\nHost: x\r\n\r\n\
         POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
         3\r\nthi\r\n2\r\nrd\r\n0\r\n\r\n\
         HEAD /ok HTTP/1.1\r\nHost: x\r\n\r\n\
         GET /204 HTTP/1.1\r\nHost: x\r\n\r\n\
         GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(c.read_response().await.text(), "first");
    assert_eq!(c.read_response().await.text(), "ok");
    assert_eq!(c.read_response().await.text(), "third");
    let head = c.read_head_response().await;
    assert_eq!(head.header("content-length"), Some("2"));
    assert_eq!(c.read_response().await.status, 204);
    let last = c.read_response().await;
    assert_eq!(last.text(), "onetwothree");
    assert!(last.closes());
    c.expect_eof().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_has_length_but_no_body() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    c.send("HEAD /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let r = c.read_head_response().await;
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("content-length"), Some("2"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    // Had a body been sent, it would now be parsed as the next response and fail.
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));

    // HEAD of a streamed response: chunked framing announced, no chunk sent.
    c.send("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let r = c.read_head_response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_content_has_no_length_and_no_body() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    let r = c.request("GET /204 HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.status_line, "HTTP/1.1 204 No Content");
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("transfer-encoding"), None);
    let r = c.request(GET_OK).await;
    assert_eq!(r.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http10_closes_by_default() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    let r = c.request("GET /ok HTTP/1.0\r\n\r\n").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "ok");
    assert!(r.closes());
    c.expect_eof().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http10_keep_alive_is_announced_and_honoured() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    for _ in 0..2 {
        let r = c
            .request("GET /ok HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .await;
        assert_eq!(r.text(), "ok");
        assert_eq!(r.header("connection"), Some("keep-alive"));
        assert_eq!(r.header("content-length"), Some("2"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http10_stream_is_close_delimited() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    c.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await;
    let r = c.read_response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("transfer-encoding"), None, "no chunked for 1.0");
    assert_eq!(r.header("content-length"), None);
    assert!(r.closes());
    assert_eq!(r.text(), "onetwothree");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_request_with_trailers_and_chunked_response() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    let r = c
        .request(
            "POST /trailer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
             Trailer: X-Checksum\r\n\r\n\
             5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: 42\r\nX-Other: y\r\n\r\n",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "hello world|42|2");
    // Without trailers.
    let r = c
        .request(
            "POST /trailer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
             A\r\n0123456789\r\n0\r\n\r\n",
        )
        .await;
    assert_eq!(r.text(), "0123456789|-|0");

    // A chunked response on the same connection.
    let r = c.request("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.status, 200);
    assert!(r.chunked, "streamed body uses chunked framing");
    assert_eq!(r.header("content-length"), None);
    assert_eq!(
        r.chunks,
        [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
    );
    assert!(r.trailers.is_empty());
    assert!(!r.closes());
    let r = c.request(GET_OK).await;
    assert_eq!(r.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_is_granted_before_the_body() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        .await;
    // The body is sent only after the interim response arrived.
    c.read_until(b"\r\n\r\n").await;
    assert_eq!(c.buffered(), b"HTTP/1.1 100 Continue\r\n\r\n");
    c.consume(c.buffered().len());
    c.send("hello").await;
    let r = c.read_response().await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));
    assert!(!r.closes());
    let r = c.request(GET_OK).await;
    assert_eq!(r.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_100_continue_is_417() {
    let mut s = server();
    s.continue_handler(|_| false);
    routes(&mut s);
    let (_handle, addr) = start(s).await;
    let r = assert_rejected(
        addr,
        "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        "HTTP/1.1 417 Expectation Failed",
    )
    .await;
    assert_ne!(r.status, 100);
    // A request without a body is not subject to the hook.
    let r = get(addr, "/ok").await;
    assert_eq!(r.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_handler_sees_the_request_head() {
    type Seen = Vec<(String, String, String, Option<String>)>;
    let seen: std::sync::Arc<std::sync::Mutex<Seen>> = Default::default();
    let seen_in = seen.clone();
    let mut s = server();
    // The hook runs before the body is read: it sees the head (method, path, headers) and the
    // matched route.
    s.continue_handler(move |ctx| {
        seen_in.lock().unwrap().push((
            ctx.method().to_string(),
            format!("{} ({})", ctx.path(), ctx.full_path()),
            ctx.uri().to_owned(),
            ctx.header("x-allow").map(|v| v.to_string()),
        ));
        ctx.header("x-allow").as_deref() == Some("yes")
    });
    routes(&mut s);
    let (_handle, addr) = start(s).await;

    let mut c = Client::connect(addr).await;
    c.send(
        "POST /echo?q=1 HTTP/1.1\r\nHost: x\r\nX-Allow: yes\r\nExpect: 100-continue\r\n\
         Content-Length: 2\r\n\r\n",
    )
    .await;
    assert_eq!(c.read_response().await.status, 100);
    c.send("ok").await;
    assert_eq!(c.read_response().await.text(), "ok");

    assert_rejected(
        addr,
        "POST /echo HTTP/1.1\r\nHost: x\r\nX-Allow: no\r\nExpect: 100-continue\r\n\
         Content-Length: 2\r\n\r\n",
        "HTTP/1.1 417 Expectation Failed",
    )
    .await;
    let owned = |m: &str, p: &str, u: &str, h: &str| {
        (m.to_owned(), p.to_owned(), u.to_owned(), Some(h.to_owned()))
    };
    assert_eq!(
        *seen.lock().unwrap(),
        [
            owned("POST", "/echo (/echo)", "/echo?q=1", "yes"),
            owned("POST", "/echo (/echo)", "/echo", "no"),
        ],
        "what the continue hook saw (method, path, uri, x-allow)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_after_connection_close_are_not_answered() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    c.send(
        "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n\
         GET /stream HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    let r = c.read_response().await;
    assert_eq!(r.text(), "ok");
    assert!(r.closes());
    c.expect_eof().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unused_request_bodies_are_consumed_to_keep_the_connection_in_sync() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    // A body on a GET route, a body on a 404, a chunked body on a 404.
    let r = c
        .request("GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        .await;
    assert_eq!(r.text(), "ok");
    let r = c
        .request("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /")
        .await;
    assert_eq!(r.status, 404);
    let r = c
        .request(
            "POST /nowhere HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
             5\r\nGET /\r\n0\r\n\r\n",
        )
        .await;
    assert_eq!(r.status, 404);
    let r = c.request(GET_OK).await;
    assert_eq!(r.text(), "ok");
    assert!(c.buffered().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_with_a_chunked_body() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    c.send(
        "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
    )
    .await;
    let interim = c.read_response().await;
    assert_eq!(interim.status_line, "HTTP/1.1 100 Continue");
    c.send("4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n").await;
    let r = c.read_response().await;
    assert_eq!((r.status, r.text().as_str()), (200, "wikipedia"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelining_two_thousand_requests_while_reading_concurrently() {
    let addr = serve().await;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    const N: usize = 2000;
    let writer = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let mut batch = String::new();
        for i in 0..N {
            let body = format!("body-{i}");
            batch.push_str(&format!(
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
            if batch.len() > 32 * 1024 {
                wr.write_all(batch.as_bytes()).await.unwrap();
                batch.clear();
            }
        }
        wr.write_all(batch.as_bytes()).await.unwrap();
        wr
    });
    let mut buf = Vec::new();
    let mut got = 0;
    let mut chunk = vec![0u8; 64 * 1024];
    while got < N {
        while let Some((resp, used)) = parse_response(&buf, false, false).unwrap() {
            buf.drain(..used);
            assert_eq!(resp.status, 200);
            assert_eq!(
                resp.text(),
                format!("body-{got}"),
                "response {got} out of order"
            );
            got += 1;
        }
        if got < N {
            use tokio::io::AsyncReadExt;
            let n = tokio::time::timeout(GUARD, rd.read(&mut chunk))
                .await
                .unwrap_or_else(|_| panic!("stalled after {got} responses"))
                .unwrap();
            assert_ne!(n, 0, "closed after {got} responses");
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    let _wr = writer.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_line_before_request_line_is_ignored() {
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the
    // request-line (some clients send an extra CRLF after a POST body).
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    let r = c
        .request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi\r\n")
        .await;
    assert_eq!(r.text(), "hi");
    let r = c.request(GET_OK).await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
}
