//! Option setters resolved at start, so their order never matters: `http2_*` after
//! `http2(false)` does not switch HTTP/2 back on, `base_path` applies to routes registered
//! before it, a `protocol` registered after `tls` is offered by ALPN; contradictions are a
//! start error naming both options. Also the faithfulness of `khz::ut::perform_request`
//! (the server's limits, streamed bodies, the continue hook, a failing response stream).

// Without HTTP/2 only the tests that need none of these helpers remain.
#![cfg_attr(not(feature = "http2"), allow(unused_imports))]

mod common;
mod proto;

use bytes::Bytes;
use common::{assert_still_serving, ok, server};
use khz::prelude::*;
use khz::protocol::BodyError;
use khz::ut::perform_request;
use proto::{Proto, GUARD};

/// Answers the path it was reached at.
async fn where_am_i(ctx: &mut RequestContext) {
    let path = ctx.path().to_owned();
    ctx.string(StatusCode::OK, path);
}

// ----- 8. option setters in any order --------------------------------------------------------

/// Whether an HTTP/2 client with prior knowledge fails to get an answer from `addr`.
#[cfg(feature = "http2")]
async fn h2_prior_knowledge_fails(addr: std::net::SocketAddr) -> bool {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let Ok((client, conn)) = h2::client::handshake(tcp).await else {
        return true;
    };
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let Ok(mut client) = client.ready().await else {
        return true;
    };
    let req = http::Request::get("http://khz.test/ok")
        .body(())
        .expect("request");
    let Ok((resp, _)) = client.send_request(req, true) else {
        return true;
    };
    tokio::time::timeout(GUARD, resp)
        .await
        .expect("an answer or an error within the guard time")
        .is_err()
}

#[cfg(feature = "http2")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_settings_never_switch_http2_back_on() {
    // The probe answers false where HTTP/2 is spoken.
    let s = server().h2c(true);
    s.get("/ok", ok);
    let (_h, addr) = common::start(s).await;
    assert!(
        !h2_prior_knowledge_fails(addr).await,
        "h2c server refused h2"
    );

    // Cleartext: HTTP/1.1 only (h2c with http2(false) is a start error, below).
    let s = server().http2(false).http2_max_concurrent_streams(10);
    s.get("/ok", ok);
    let (_h, addr) = common::start(s).await;
    assert!(h2_prior_knowledge_fails(addr).await);
    assert_still_serving(addr).await;

    // Over TLS: the client offering h2 and http/1.1 gets http/1.1.
    #[cfg(feature = "tls")]
    for server in [
        server()
            .tls(proto::server_tls_config(proto::test_cert()))
            .http2(false)
            .http2_max_concurrent_streams(10)
            .http2_max_frame_size(32 * 1024),
        server()
            .http2_max_concurrent_streams(10)
            .http2(false)
            .tls(proto::server_tls_config(proto::test_cert()))
            .http2_initial_stream_window_size(1 << 20),
    ] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        server.get("/ok", ok);
        let (_h, addr) = common::start(server).await;
        let cfg = proto::client_tls_config(proto::test_cert(), &[b"h2", b"http/1.1"]);
        let mut tls = proto::tls_connect(addr, cfg).await.expect("TLS connect");
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        tls.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut out = Vec::new();
        tokio::time::timeout(GUARD, tls.read_to_end(&mut out))
            .await
            .expect("answer within the guard time")
            .expect("read");
        let out = String::from_utf8_lossy(&out);
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.ends_with("\r\n\r\nok"), "{out}");
    }
}

#[cfg(feature = "http2")]
#[tokio::test]
async fn h2c_without_http2_is_a_start_error_naming_both() {
    for s in [
        server().h2c(true).http2(false),
        server().http2(false).h2c(true),
    ] {
        s.get("/ok", ok);
        let err = common::try_start(s).await.expect_err("h2c needs HTTP/2");
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("h2c(true)") && msg.contains("http2(false)"),
            "{msg}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_path_set_after_routes_applies_to_them() {
    for proto in Proto::all() {
        let s = server();
        s.get("/x", where_am_i);
        s.group("/g").get("/y", where_am_i);
        let s = s.base_path("/api");
        let (_h, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        let r = c.get("/api/x").await;
        assert_eq!((r.status, r.text().as_str()), (200, "/api/x"), "{proto}");
        let r = c.get("/api/g/y").await;
        assert_eq!((r.status, r.text().as_str()), (200, "/api/g/y"), "{proto}");
        assert_eq!(c.get("/x").await.status, 404, "{proto}");
        assert_eq!(c.get("/g/y").await.status, 404, "{proto}");
    }
}

#[cfg(feature = "tls")]
async fn greet(
    mut io: khz::protocol::Upgraded,
    _info: khz::protocol::ConnInfo,
    _shutdown: khz::transport::Shutdown,
) {
    use tokio::io::AsyncWriteExt;
    let _ = io.write_all(b"hello from greet/1\n").await;
    let _ = io.shutdown().await;
}

#[cfg(feature = "tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_registered_after_tls_is_offered_by_alpn() {
    use tokio::io::AsyncReadExt;
    let s = server()
        .tls(proto::server_tls_config(proto::test_cert()))
        .protocol("greet/1", greet);
    s.get("/ok", ok);
    let (_h, addr) = common::start(s).await;
    let cfg = proto::client_tls_config(proto::test_cert(), &[b"greet/1"]);
    let mut tls = proto::tls_connect(addr, cfg).await.expect("TLS connect");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"greet/1"[..]));
    let mut out = String::new();
    tokio::time::timeout(GUARD, tls.read_to_string(&mut out))
        .await
        .expect("greeting within the guard time")
        .expect("read");
    assert_eq!(out, "hello from greet/1\n");
    // HTTP is still offered next to it.
    let mut c = Proto::H2Tls.client(addr).await;
    assert_eq!(c.get("/ok").await.text(), "ok");
}
// ----- 11. perform_request is faithful ---------------------------------------------------------

async fn streamed_upload(ctx: &mut RequestContext) -> Result<(), BodyError> {
    let streaming = ctx.body_is_streaming();
    let n = ctx.read_body().await?.len();
    ctx.string(StatusCode::OK, format!("streaming={streaming} bytes={n}"));
    Ok(())
}

async fn breaks_midway(ctx: &mut RequestContext) {
    let items: Vec<Result<Bytes, BoxError>> = vec![
        Ok(Bytes::from_static(b"partial")),
        Err("upstream broke".into()),
        Ok(Bytes::from_static(b"never")),
    ];
    ctx.stream(StatusCode::OK, futures_util::stream::iter(items));
}

/// The server of the `perform_request` tests: a small body limit, a streamed route, a continue
/// hook, a response stream that breaks.
fn ut_server() -> Server {
    let s = Server::default().max_request_body_size(16);
    s.post("/echo", common::echo);
    s.post("/upload", streamed_upload).stream_body();
    s.get("/breaks", breaks_midway);
    s.continue_handler(|ctx: &RequestContext| ctx.header("x-allowed").is_some());
    s
}

#[tokio::test]
async fn perform_request_enforces_the_body_limit() {
    let s = ut_server();
    let r = perform_request(&s, Method::POST, "/echo", vec![b'x'; 100], &[]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert_eq!(r.text(), "request body too large");
    let r = perform_request(&s, Method::POST, "/echo", "small", &[]).await;
    assert_eq!((r.status(), r.text().as_str()), (StatusCode::OK, "small"));
}

#[tokio::test]
async fn perform_request_streams_the_body_of_a_streamed_route() {
    let s = ut_server();
    let r = perform_request(&s, Method::POST, "/upload", "0123456789", &[]).await;
    assert_eq!(
        (r.status(), r.text().as_str()),
        (StatusCode::OK, "streaming=true bytes=10")
    );
    // Past the stream's head check, reading it into memory is held to max_request_body_size.
    let r = perform_request(&s, Method::POST, "/upload", vec![b'x'; 100], &[]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
}

#[tokio::test]
async fn perform_request_asks_the_continue_hook() {
    // A client sending `Expect: 100-continue` holds its body back until the server says
    // `100 Continue`; the server's hook decides, and a refusal is a 417 before any body.
    let s = ut_server();
    let expect = ("expect", "100-continue");
    let r = perform_request(
        &s,
        Method::POST,
        "/echo",
        "body",
        &[expect, ("x-allowed", "1")],
    )
    .await;
    assert_eq!((r.status(), r.text().as_str()), (StatusCode::OK, "body"));
    let r = perform_request(&s, Method::POST, "/echo", "body", &[expect]).await;
    assert_eq!(
        r.status(),
        StatusCode::EXPECTATION_FAILED,
        "the continue hook refuses requests without x-allowed; got {:?}",
        r.text()
    );
}

#[tokio::test]
async fn perform_request_shows_a_failed_response_stream() {
    let s = ut_server();
    let r = perform_request(&s, Method::GET, "/breaks", "", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.body_error().is_some(),
        "complete-looking body {:?}",
        r.text()
    );
    assert_eq!(r.text(), "partial");
    let r = perform_request(&s, Method::POST, "/echo", "whole", &[]).await;
    assert_eq!(r.body_error(), None);
}
