//! Hostile and broken HTTP/1.1 input over raw sockets. Every rejection is checked for its exact
//! status line, `Connection: close`, the server closing the connection afterwards, and a fresh
//! connection still being served. Also: limits, timeouts (slowloris, idle keep-alive), bodies
//! trickling in, and a large pipelined batch.

mod common;

use std::time::Duration;

use common::*;
use khz::prelude::*;

async fn param_echo(ctx: &mut RequestContext) {
    let i = ctx.param_or("i", "?");
    let q = ctx.query("q").map(|q| q.to_string()).unwrap_or_default();
    ctx.string(StatusCode::OK, format!("{i}:{q}"));
}

/// Starts a server (after `configure`) with `/ok`, `POST /echo` and `/p/:i`.
async fn serve(configure: impl FnOnce(Server) -> Server) -> std::net::SocketAddr {
    let s = configure(server());
    s.get("/ok", ok);
    s.post("/echo", echo);
    s.get("/p/:i", param_echo);
    let (handle, addr) = start(s).await;
    // The handle lives as long as the test process; dropping it does not stop the server.
    std::mem::forget(handle);
    addr
}

const BAD: &str = "HTTP/1.1 400 Bad Request";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_request_line_is_400() {
    let addr = serve(|s| s).await;
    for line in [
        "G@T /ok HTTP/1.1",
        "GET /ok HTTP/1.1 trailing-junk",
        "GET",
        " GET /ok HTTP/1.1",
    ] {
        let req = format!("{line}\r\nHost: x\r\n\r\n");
        assert_rejected(addr, req, BAD).await;
    }
}

/// A request line with an extra space (or a space inside the target) is malformed (400), even
/// though its last word looks like a well-formed `HTTP/x.y`: it must not be mistaken for an
/// unsupported version (505).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_request_line_ending_in_http11_is_400_not_505() {
    let addr = serve(|s| s).await;
    for line in [
        "GET /ok  HTTP/1.1",
        "GET /o k HTTP/1.1",
        "GET  /ok HTTP/1.1",
    ] {
        let req = format!("{line}\r\nHost: x\r\n\r\n");
        assert_rejected(addr, req, BAD).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_header_is_400() {
    let addr = serve(|s| s).await;
    for header in [
        "Bad Name: v",
        "NoColonAtAll",
        ": no-name",
        "X-Nul: a\0b",
        "X-Tab\t: v",
    ] {
        let req = format!("GET /ok HTTP/1.1\r\nHost: x\r\n{header}\r\n\r\n");
        assert_rejected(addr, req, BAD).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_section_over_limit_is_431() {
    let addr = serve(|s| s.max_header_bytes(4096)).await;
    // Under the limit: accepted.
    let fits = format!(
        "GET /ok HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(3000)
    );
    let mut c = Client::connect(addr).await;
    assert_eq!(c.request(fits).await.status, 200);
    // A complete head over the limit.
    let big = format!(
        "GET /ok HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(5000)
    );
    let r = assert_rejected(addr, big, "HTTP/1.1 431 Request Header Fields Too Large").await;
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    // A head that never ends: rejected once it passes the limit, without waiting for the end.
    let endless = format!("GET /ok HTTP/1.1\r\nHost: x\r\nX-Pad: {}", "a".repeat(6000));
    assert_rejected(
        addr,
        endless,
        "HTTP/1.1 431 Request Header Fields Too Large",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_headers_is_431() {
    let addr = serve(|s| s.max_headers(8)).await;
    let with = |n: usize| {
        let mut req = String::from("GET /ok HTTP/1.1\r\nHost: x\r\n");
        for i in 1..n {
            req.push_str(&format!("X-H{i}: {i}\r\n"));
        }
        req + "\r\n"
    };
    let mut c = Client::connect(addr).await;
    assert_eq!(
        c.request(with(8)).await.status,
        200,
        "8 headers are allowed"
    );
    assert_rejected(
        addr,
        with(9),
        "HTTP/1.1 431 Request Header Fields Too Large",
    )
    .await;
    assert_rejected(
        addr,
        with(40),
        "HTTP/1.1 431 Request Header Fields Too Large",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_limit_is_413_before_the_body_is_read() {
    let addr = serve(|s| s.max_request_body_size(1024)).await;
    // At the limit: fine.
    let mut c = Client::connect(addr).await;
    let body = vec![b'b'; 1024];
    let mut req = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n".to_vec();
    req.extend_from_slice(&body);
    let r = c.request(req).await;
    assert_eq!((r.status, r.body), (200, body));

    // Announced 1 000 000 bytes, only a few KiB sent and the write side left open: the 413
    // must come without the server waiting for the rest (the read timeout is 30 s, the guard
    // 10 s).
    let mut req = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n".to_vec();
    req.extend_from_slice(&[b'x'; 4096]);
    assert_rejected(addr, req, "HTTP/1.1 413 Payload Too Large").await;

    // Chunked: refused as soon as the chunk sizes announce too much.
    let mut req =
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n".to_vec();
    req.extend_from_slice(&[b'x'; 2048]);
    assert_rejected(addr, req, "HTTP/1.1 413 Payload Too Large").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uri_over_limit_is_414() {
    let addr = serve(|s| s.max_uri_len(1024)).await;
    let fits = format!(
        "GET /ok?pad={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(900)
    );
    let mut c = Client::connect(addr).await;
    assert_eq!(c.request(fits).await.status, 200);
    let long = format!(
        "GET /ok?pad={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(2000)
    );
    assert_rejected(addr, long, "HTTP/1.1 414 URI Too Long").await;
    // A request line that has not ended yet but is already too long.
    let unfinished = format!("GET /ok?pad={}", "a".repeat(3000));
    assert_rejected(addr, unfinished, "HTTP/1.1 414 URI Too Long").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_http_versions_are_505() {
    let addr = serve(|s| s).await;
    for v in ["HTTP/2.0", "HTTP/3.1"] {
        let req = format!("GET /ok {v}\r\nHost: x\r\n\r\n");
        assert_rejected(addr, req, "HTTP/1.1 505 HTTP Version Not Supported").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_version_is_400() {
    let addr = serve(|s| s).await;
    for v in ["HTTX/1.1", "HTTP/1.x", "http/1.1"] {
        let req = format!("GET /ok {v}\r\nHost: x\r\n\r\n");
        assert_rejected(addr, req, BAD).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_with_transfer_encoding_is_400() {
    let addr = serve(|s| s).await;
    let req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\
               Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_rejected(addr, req, BAD).await;
    let req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
               Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_rejected(addr, req, BAD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_or_listed_content_lengths_are_400() {
    let addr = serve(|s| s).await;
    for cl in [
        "Content-Length: 5\r\nContent-Length: 6",
        "Content-Length: 5\r\nContent-Length: 5",
        "Content-Length: 5, 6",
        "Content-Length: 5, 5",
        "Content-Length: +5",
        "Content-Length: 0x5",
    ] {
        let req = format!("POST /echo HTTP/1.1\r\nHost: x\r\n{cl}\r\n\r\nhello");
        assert_rejected(addr, &req, BAD).await;
    }
    // Whitespace around the number is not part of the value (RFC 9110 §5.5).
    let mut c = Client::connect(addr).await;
    let r = c
        .request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length:\t5 \t\r\n\r\nhello")
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));
    // The connection is in sync: the next request on it works.
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_chunk_size_is_400() {
    let addr = serve(|s| s).await;
    for size_line in ["zz", "-1", "0x5", "", "fffffffffffffffffffff"] {
        let req = format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
             {size_line}\r\nhello\r\n0\r\n\r\n"
        );
        assert_rejected(addr, req, BAD).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_crlf_after_chunk_data_is_400() {
    let addr = serve(|s| s).await;
    let req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
               3\r\nabcX\r\n0\r\n\r\n";
    assert_rejected(addr, req, BAD).await;
    let req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
               3\r\nabc3\r\ndef\r\n0\r\n\r\n";
    assert_rejected(addr, req, BAD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http11_without_host_is_400_http10_without_host_is_fine() {
    let addr = serve(|s| s).await;
    assert_rejected(addr, "GET /ok HTTP/1.1\r\n\r\n", BAD).await;
    assert_rejected(addr, "GET /ok HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", BAD).await;

    let mut c = Client::connect(addr).await;
    let r = c.request("GET /ok HTTP/1.0\r\n\r\n").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    assert!(r.closes(), "HTTP/1.0 without keep-alive closes");
    c.expect_eof().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obs_fold_is_400() {
    let addr = serve(|s| s).await;
    let req = "GET /ok HTTP/1.1\r\nHost: x\r\nX-Folded: first\r\n  continued\r\n\r\n";
    assert_rejected(addr, req, BAD).await;
    let req = "GET /ok HTTP/1.1\r\nHost: x\r\nX-Folded: first\r\n\tcontinued\r\n\r\n";
    assert_rejected(addr, req, BAD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_codings_other_than_final_chunked() {
    let addr = serve(|s| s).await;
    let body = "5\r\nhello\r\n0\r\n\r\n";
    let req =
        format!("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n{body}");
    assert_rejected(addr, req, "HTTP/1.1 501 Not Implemented").await;
    let req =
        format!("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n{body}");
    assert_rejected(addr, req, BAD).await;
    let req = format!("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{body}");
    assert_rejected(addr, req, BAD).await;
    // Coding names are case-insensitive.
    let mut c = Client::connect(addr).await;
    let r = c
        .request(format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n{body}"
        ))
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_expectation_is_417() {
    let addr = serve(|s| s).await;
    let req = "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\
               Content-Length: 2\r\n\r\nhi";
    assert_rejected(addr, req, "HTTP/1.1 417 Expectation Failed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_head_gets_408() {
    let addr = serve(|s| s.read_timeout(Duration::from_millis(300))).await;
    // Half a head, then silence: the read timeout (300 ms) fires long before the guard (10 s).
    let mut c = Client::connect(addr).await;
    c.send("GET /ok HTTP/1.1\r\nHost: x\r\n").await;
    let r = c.read_response().await;
    assert_eq!(r.status_line, "HTTP/1.1 408 Request Timeout");
    assert!(r.closes());
    c.expect_eof().await;
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_body_gets_408() {
    let addr = serve(|s| s.read_timeout(Duration::from_millis(300))).await;
    let mut c = Client::connect(addr).await;
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        .await;
    let r = c.read_response().await;
    assert_eq!(r.status_line, "HTTP/1.1 408 Request Timeout");
    assert!(r.closes());
    c.expect_eof().await;
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connection_is_closed_silently() {
    let addr = serve(|s| s.idle_timeout(Duration::from_millis(200))).await;
    // After a request.
    let mut c = Client::connect(addr).await;
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.status, 200);
    assert!(!r.closes());
    c.expect_eof().await;
    // Without any request at all.
    let mut c = Client::connect(addr).await;
    c.expect_eof().await;
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_target_must_start_with_slash() {
    let addr = serve(|s| s).await;
    for target in ["ok", "?q=1", "*", "http://", "http://?q", "ftp://x/ok"] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_rejected(addr, req, BAD).await;
    }
    // The absolute form with a path is fine.
    let r = get(addr, "http://x/ok").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    // Without one, the path is `/` (RFC 9110 §4.2.3): routed (no route here, so 404), not 400.
    for target in ["http://x", "http://x?q=1", "HTTPS://x:8443"] {
        let r = get(addr, target).await;
        assert_eq!(r.status, 404, "{target}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_in_many_small_pieces_is_assembled() {
    let addr = serve(|s| s).await;
    let body: Vec<u8> = (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut req = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n".to_vec();
    req.extend_from_slice(&body);
    let mut c = Client::connect(addr).await;
    for piece in req.chunks(7) {
        c.send(piece).await;
        tokio::task::yield_now().await;
    }
    let r = c.read_response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, body);

    // The same body chunked, sent a byte at a time.
    let mut req = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for part in body.chunks(97) {
        req.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        req.extend_from_slice(part);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    for byte in &req {
        c.send([*byte]).await;
    }
    let r = c.read_response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_pipelined_gets_answered_in_order() {
    let addr = serve(|s| s).await;
    let mut batch = String::new();
    for i in 0..50 {
        batch.push_str(&format!("GET /p/{i}?q=v{i} HTTP/1.1\r\nHost: x\r\n\r\n"));
    }
    let mut c = Client::connect(addr).await;
    c.send(batch).await;

    // One read loop: read, parse every complete response, until all 50 are in.
    let mut bodies = Vec::new();
    while bodies.len() < 50 {
        while let Some((resp, used)) =
            parse_response(c.buffered(), false, false).expect("well-formed response")
        {
            c.consume(used);
            assert_eq!(resp.status, 200);
            assert!(!resp.closes());
            bodies.push(resp.text());
        }
        if bodies.len() < 50 {
            assert_ne!(c.fill().await, 0, "closed after {} responses", bodies.len());
        }
    }
    let expected: Vec<String> = (0..50).map(|i| format!("{i}:v{i}")).collect();
    assert_eq!(bodies, expected);
    assert!(c.buffered().is_empty(), "extra bytes after 50 responses");
    // The connection is still usable.
    let r = c.request("GET /p/last HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.text(), "last:");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_content_length_is_400() {
    let addr = serve(|s| s).await;
    for value in ["-1", "abc", "1 2", "0x10", "99999999999999999999", ""] {
        let req = format!("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {value}\r\n\r\nhi");
        assert_rejected(addr, req, BAD).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_encoding_split_over_lines_is_judged_as_a_whole() {
    let addr = serve(|s| s).await;
    let req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\
               Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_rejected(addr, req, "HTTP/1.1 501 Not Implemented").await;
    let req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
               Transfer-Encoding: gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_rejected(addr, req, BAD).await;
    // Transfer-Encoding is not allowed in HTTP/1.0 requests.
    let req = "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_rejected(addr, req, BAD).await;
}
