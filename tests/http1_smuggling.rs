//! Request smuggling through framing disagreements, over raw sockets: chunk-size lines and
//! trailer sections that a front proxy may end at a bare LF (or read past a NUL, or an
//! unterminated quoted-string) while the server reads them otherwise, and `Host` values that
//! are not `host [":" port]`. Every refusal is checked with `assert_rejected`: exactly one
//! response, `400 Bad Request` with `Connection: close`, then the server closes (nothing more is
//! answered on that connection — a smuggled request never gets served) and a fresh connection
//! is still served. The grammar's valid edges (empty-looking but legal extensions, BWS,
//! quoted-pairs, every token character) still get a 200 with the right body, on the same
//! connection as the next request. Each case runs on a buffered route and on a route that
//! streams its body (`Route::stream_body`), which decode chunked bodies on two paths.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use futures_util::StreamExt;
use khz::prelude::*;

/// Times `/plaintext` — the smuggled request's target — was served by this test crate.
static PLAINTEXT_SERVED: AtomicUsize = AtomicUsize::new(0);

async fn plaintext(ctx: &mut RequestContext) {
    PLAINTEXT_SERVED.fetch_add(1, Ordering::SeqCst);
    ctx.string(StatusCode::OK, "Hello, World!");
}

/// Echoes a streamed body, or answers the body error with its status and reason.
async fn stream_echo(ctx: &mut RequestContext) {
    let mut body = ctx.body_stream();
    let mut got = Vec::new();
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => got.extend_from_slice(&c),
            Err(e) => return ctx.abort_with_msg(e.status(), e.reason()),
        }
    }
    ctx.data(StatusCode::OK, "application/octet-stream", got);
}

/// A server with `/ok`, `/plaintext`, `POST /echo` (buffered) and `POST /stream` (streamed).
async fn serve() -> SocketAddr {
    let s = server();
    s.get("/ok", ok);
    s.get("/plaintext", plaintext);
    s.post("/echo", echo);
    s.post("/stream", stream_echo).stream_body();
    let (handle, addr) = start(s).await;
    // The handle lives as long as the test process; dropping it does not stop the server.
    std::mem::forget(handle);
    addr
}

const BAD: &str = "HTTP/1.1 400 Bad Request";
const ROUTES: [&str; 2] = ["/echo", "/stream"];

fn chunked(route: &str, body: &[u8]) -> Vec<u8> {
    let head = format!("POST {route} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    [head.as_bytes(), body].concat()
}

/// `body` (chunked) is refused with 400 `reason` on both routes, the connection closed.
async fn refused(addr: SocketAddr, body: &[u8], reason: &str) {
    for route in ROUTES {
        let r = assert_rejected(addr, chunked(route, body), BAD).await;
        assert_eq!(
            r.text(),
            reason,
            "{route} {:?}",
            String::from_utf8_lossy(body)
        );
    }
}

/// `body` (chunked) is accepted on both routes and decodes to `expected`; the connection stays
/// in sync for a next request.
async fn accepted(addr: SocketAddr, body: &[u8], expected: &[u8]) {
    for route in ROUTES {
        let mut c = Client::connect(addr).await;
        let r = c.request(chunked(route, body)).await;
        assert_eq!(
            (r.status, &r.body[..]),
            (200, expected),
            "{route} {:?}: {:?}",
            String::from_utf8_lossy(body),
            String::from_utf8_lossy(&r.body)
        );
        assert!(!r.closes());
        let r = c.request("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n").await;
        assert_eq!(r.text(), "ok");
    }
}

/// Why 1, the smuggling body: to a proxy that ends the size line at the bare LF this is one
/// request (`2` + `;` — then `xx\r\n45…` as data); to a lenient server, two. khz refuses it and
/// never serves the `GET /plaintext` behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_lf_in_a_chunk_extension_cannot_smuggle_a_request() {
    let addr = serve().await;
    let body = b"2;\nxx\r\n45\r\n0\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n";
    refused(addr, body, "invalid chunk extension").await;
    // Also pipelined right behind an ordinary request on a kept-alive connection.
    let mut c = Client::connect(addr).await;
    let r = c.request("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert_eq!(r.text(), "ok");
    c.send_lenient(chunked("/echo", body)).await;
    let r = c.read_response().await;
    assert_eq!((r.status_line.as_str(), r.closes()), (BAD, true));
    c.expect_eof().await;
    assert_eq!(PLAINTEXT_SERVED.load(Ordering::SeqCst), 0);
}

/// Why 1: a size line ended by a bare LF used to leave the connection waiting for a CRLF; it is
/// refused as soon as the LF arrives (`assert_rejected` fails on a hang after its guard).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_lf_ending_a_size_line_is_400_not_a_hang() {
    let addr = serve().await;
    refused(
        addr,
        b"3;x\nabc\r\n0\r\n\r\n",
        "chunk size line not ended by CRLF",
    )
    .await;
    refused(
        addr,
        b"3\nabc\r\n0\r\n\r\n",
        "chunk size line not ended by CRLF",
    )
    .await;
}

/// Why 1: a NUL (or any control character) in an extension.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_character_in_a_chunk_extension_is_400() {
    let addr = serve().await;
    for body in [
        &b"3;\x00\r\nabc\r\n0\r\n\r\n"[..],
        b"3;a\x00\r\nabc\r\n0\r\n\r\n",
        b"3;a=\"x\x01\"\r\nabc\r\n0\r\n\r\n",
        b"3;a=b\x7f\r\nabc\r\n0\r\n\r\n",
    ] {
        refused(addr, body, "invalid chunk extension").await;
    }
}

/// Why 1: a quoted-string the line's CRLF cuts short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unterminated_quoted_string_is_400() {
    let addr = serve().await;
    refused(
        addr,
        b"3;a=\"x\r\nabc\r\n0\r\n\r\n",
        "unterminated quoted-string in chunk extension",
    )
    .await;
    refused(
        addr,
        b"3;a=\"x\\\r\nabc\r\n0\r\n\r\n",
        "unterminated quoted-string in chunk extension",
    )
    .await;
}

/// Why 2: a trailer line ended by a bare LF; valid trailers still pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailer_line_ending_in_bare_lf_is_400() {
    let addr = serve().await;
    for body in [
        &b"0\r\nX: y\n\r\n"[..],
        b"3\r\nabc\r\n0\r\nX: y\r\nZ: w\n\r\n",
        b"0\r\nX: y\r\n\n",
        // The section's end as a bare LF (found by tests/parser_differential.rs: it waited).
        b"0\r\n\n",
    ] {
        refused(addr, body, "trailer line not ended by CRLF").await;
    }
    refused(addr, b"0\r\nX y\r\n\r\n", "invalid trailer section").await;
    accepted(addr, b"3\r\nabc\r\n0\r\nX: y\r\nZ: w\r\n\r\n", b"abc").await;
}

/// An empty element in `Transfer-Encoding` (`chunked,`): RFC 9110 §5.6.1 lets a recipient skip
/// it, but a proxy that compares the value with `chunked` would frame the body otherwise (by
/// `Content-Length`, or as empty) — so it is refused, like llhttp and nginx do, and the request
/// smuggled behind the body is never served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_transfer_coding_element_is_400() {
    let addr = serve().await;
    for te in ["chunked,", ", chunked", "gzip,,chunked", ","] {
        let req = format!(
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {te}\r\n\r\n\
             0\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
        );
        let r = assert_rejected(addr, req, BAD).await;
        assert_eq!(r.text(), "invalid Transfer-Encoding", "{te:?}");
    }
    assert_eq!(PLAINTEXT_SERVED.load(Ordering::SeqCst), 0);
}

/// Why 3 and the rest of `host [":" port]`, in `Host` and in an absolute-form target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_must_be_host_and_optional_port() {
    let addr = serve().await;
    for host in ["a b", "a:b", "user@h", "a:80:80", "[::1", "h/p"] {
        let r = assert_rejected(
            addr,
            format!("GET /ok HTTP/1.1\r\nHost: {host}\r\n\r\n"),
            BAD,
        )
        .await;
        assert_eq!(r.text(), "invalid Host", "{host:?}");
    }
    for target in ["http://user@h/ok", "http://a:b/ok", "http:///ok"] {
        let r = assert_rejected(
            addr,
            format!("GET {target} HTTP/1.1\r\nHost: a\r\n\r\n"),
            BAD,
        )
        .await;
        assert_eq!(r.text(), "invalid Host", "{target:?}");
    }
    // A space splits the request line itself: refused before the authority is looked at.
    assert_rejected(addr, "GET http://a b/ok HTTP/1.1\r\nHost: a\r\n\r\n", BAD).await;
    for host in [
        "[::1]:80",
        "a:8080",
        "127.0.0.1",
        "xn--bcher-kva.example",
        "",
    ] {
        let mut c = Client::connect(addr).await;
        let r = c
            .request(format!("GET /ok HTTP/1.1\r\nHost: {host}\r\n\r\n"))
            .await;
        assert_eq!((r.status, r.text().as_str()), (200, "ok"), "{host:?}");
    }
    let mut c = Client::connect(addr).await;
    let r = c
        .request("GET http://[::1]:8080/ok HTTP/1.1\r\nHost: a\r\n\r\n")
        .await;
    assert_eq!(r.text(), "ok");
    // HTTP/1.0 may omit Host; one it sends is checked all the same.
    let r = Client::connect(addr)
        .await
        .request("GET /ok HTTP/1.0\r\n\r\n")
        .await;
    assert_eq!(r.text(), "ok");
    assert_rejected(addr, "GET /ok HTTP/1.0\r\nHost: a b\r\n\r\n", BAD).await;
}

/// The grammar's valid edges: an extension without a value, BWS around `;` and `=`, an empty
/// or escaped quoted-string, every token character, several extensions on a line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_extensions_are_accepted() {
    let addr = serve().await;
    for body in [
        &b"3;a\r\nabc\r\n0\r\n\r\n"[..],
        b"3;a=\"x\\\"y\"\r\nabc\r\n0\r\n\r\n",
        b"3;a=\"\"\r\nabc\r\n0\r\n\r\n",
        b"3 ; a = b\r\nabc\r\n0\r\n\r\n",
        b"3\t;\ta\t=\t\"v w\"\r\nabc\r\n0\r\n\r\n",
        b"3;!#$%&'*+-.^_`|~09AZaz=!#$%&'*+-.^_`|~\r\nabc\r\n0\r\n\r\n",
        b"3;a;b=1;c=\"x;y\"\r\nabc\r\n0;last\r\n\r\n",
        b"0003\r\nabc\r\n000\r\n\r\n",
    ] {
        accepted(addr, body, b"abc").await;
    }
}

/// The grammar's invalid edges: `;` with no name, `=` with no value, bad token characters,
/// BWS before the CRLF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_extensions_are_400() {
    let addr = serve().await;
    for body in [
        &b"3;\r\nabc\r\n0\r\n\r\n"[..],
        b"3; \r\nabc\r\n0\r\n\r\n",
        b"3;=b\r\nabc\r\n0\r\n\r\n",
        b"3;a=\r\nabc\r\n0\r\n\r\n",
        b"3;a= \r\nabc\r\n0\r\n\r\n",
        b"3;a==b\r\nabc\r\n0\r\n\r\n",
        b"3;a@b\r\nabc\r\n0\r\n\r\n",
        b"3;a=(b)\r\nabc\r\n0\r\n\r\n",
        b"3;a=b c\r\nabc\r\n0\r\n\r\n",
        b"3;a=\"x\"y\r\nabc\r\n0\r\n\r\n",
        b"3;a \r\nabc\r\n0\r\n\r\n",
        b"3;;a\r\nabc\r\n0\r\n\r\n",
    ] {
        refused(addr, body, "invalid chunk extension").await;
    }
}

/// Extensions of one body together may take 4 KiB; past that, 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunk_extensions_over_the_byte_bound_are_400() {
    let addr = serve().await;
    let line = |i: usize| format!("1;n={}\r\n{}\r\n", "v".repeat(1000), i % 10);
    let body: String = (0..4).map(line).collect();
    accepted(addr, format!("{body}0\r\n\r\n").as_bytes(), b"0123").await;
    let body: String = (0..5).map(line).collect();
    refused(
        addr,
        format!("{body}0\r\n\r\n").as_bytes(),
        "chunk extensions too long",
    )
    .await;
    // One line alone over the bound.
    refused(
        addr,
        format!("1;n={}\r\nx\r\n0\r\n\r\n", "v".repeat(5000)).as_bytes(),
        "chunk extensions too long",
    )
    .await;
}

/// Junk before or after the digits, and sizes that do not fit 64 bits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunk_size_with_junk_or_overlong_is_400() {
    let addr = serve().await;
    for body in [
        &b" 3\r\nabc\r\n0\r\n\r\n"[..],
        b"+3\r\nabc\r\n0\r\n\r\n",
        b"0x3\r\nabc\r\n0\r\n\r\n",
        b"3x\r\nabc\r\n0\r\n\r\n",
        b"\r\n3\r\nabc\r\n0\r\n\r\n",
    ] {
        refused(addr, body, "invalid chunk size").await;
    }
    refused(addr, b"3 \r\nabc\r\n0\r\n\r\n", "invalid chunk extension").await;
    refused(addr, b"3 x\r\nabc\r\n0\r\n\r\n", "invalid chunk extension").await;
    refused(
        addr,
        b"10000000000000000\r\nabc\r\n0\r\n\r\n",
        "chunk size too large",
    )
    .await;
}

/// A CR that is not followed by LF, in the size line or an extension.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_cr_is_400() {
    let addr = serve().await;
    for body in [
        &b"3\rabc\r\n0\r\n\r\n"[..],
        b"3;a\rb\r\nabc\r\n0\r\n\r\n",
        b"3;a=b\r\r\nabc\r\n0\r\n\r\n",
    ] {
        refused(addr, body, "chunk size line not ended by CRLF").await;
    }
    refused(
        addr,
        b"3;a=\"x\ry\"\r\nabc\r\n0\r\n\r\n",
        "unterminated quoted-string in chunk extension",
    )
    .await;
}
