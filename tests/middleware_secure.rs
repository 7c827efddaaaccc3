//! The `secure` middleware end to end (feature `secure`) over HTTP/1.1, h2c, HTTP/2 over TLS
//! and HTTP/3: the default headers on every answer (404 and errors too), opt-in HSTS and CSP,
//! and a handler's own value kept.
#![cfg(feature = "secure")]

mod common;
mod proto;

use std::time::Duration;

use khz::middleware::secure::SecureHeaders;
use khz::prelude::*;
use proto::Proto;

async fn framed(ctx: &mut RequestContext) {
    ctx.set_header("x-frame-options", "SAMEORIGIN");
    ctx.string(StatusCode::OK, "framed");
}

async fn fails(_ctx: &mut RequestContext) -> khz::Result<()> {
    Err(khz::Error::status(StatusCode::FORBIDDEN, "no"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_headers_on_every_answer_over_every_protocol() {
    for proto in Proto::all_with_h3() {
        let s = common::server();
        s.middleware(
            SecureHeaders::new()
                .hsts(Duration::from_secs(3600), true, false)
                .content_security_policy("default-src 'self'"),
        );
        s.get("/ok", common::ok);
        s.get("/framed", framed);
        s.get("/fails", fails);
        let (_h, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        for (path, status) in [("/ok", 200), ("/fails", 403), ("/missing", 404)] {
            let r = c.get(path).await;
            assert_eq!(r.status, status, "{proto} {path}");
            assert_eq!(
                r.header("x-content-type-options"),
                Some("nosniff"),
                "{proto} {path}"
            );
            assert_eq!(r.header("x-frame-options"), Some("DENY"), "{proto} {path}");
            assert_eq!(
                r.header("referrer-policy"),
                Some("strict-origin-when-cross-origin"),
                "{proto} {path}"
            );
            assert_eq!(
                r.header("strict-transport-security"),
                Some("max-age=3600; includeSubDomains"),
                "{proto} {path}"
            );
            assert_eq!(
                r.header("content-security-policy"),
                Some("default-src 'self'"),
                "{proto} {path}"
            );
        }
        // A handler's own value wins, and is not doubled.
        let r = c.get("/framed").await;
        assert_eq!(r.header_all("x-frame-options"), ["SAMEORIGIN"], "{proto}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_are_three_headers_and_each_can_be_dropped() {
    let s = common::server();
    s.middleware(
        SecureHeaders::new()
            .frame_options(None)
            .referrer_policy(None),
    );
    s.get("/ok", common::ok);
    let (_h, addr) = common::start(s).await;
    let r = common::get(addr, "/ok").await;
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), None);
    assert_eq!(r.header("referrer-policy"), None);
    assert_eq!(
        r.header("strict-transport-security"),
        None,
        "HSTS is opt-in"
    );
}
