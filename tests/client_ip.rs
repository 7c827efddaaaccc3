//! `client_ip` through a real server (the peer is 127.0.0.1): forwarding headers are ignored
//! unless the peer is a trusted proxy; a trusted chain is walked right to left; `X-Real-IP` is
//! the fallback; custom header names; garbage never panics and falls back; invalid CIDRs are
//! configuration errors.

mod common;

use std::net::SocketAddr;

use common::*;
use khz::prelude::*;

async fn whoami(ctx: &mut RequestContext) {
    let ip = ctx.client_ip().to_string();
    ctx.string(StatusCode::OK, ip);
}

async fn serve_with(configure: impl FnOnce(Server) -> Server) -> SocketAddr {
    let s = configure(server());
    s.get("/ok", ok);
    s.get("/ip", whoami);
    let (handle, addr) = start(s).await;
    std::mem::forget(handle);
    addr
}

/// `GET /ip` with extra header lines; returns the answer.
async fn ip(addr: SocketAddr, headers: &[(&str, &[u8])]) -> String {
    let mut req = b"GET /ip HTTP/1.1\r\nHost: x\r\n".to_vec();
    for (name, value) in headers {
        req.extend_from_slice(name.as_bytes());
        req.extend_from_slice(b": ");
        req.extend_from_slice(value);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"\r\n");
    let mut c = Client::connect(addr).await;
    let r = c.request(req).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

const XFF: &str = "X-Forwarded-For";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_the_peer_and_no_header_counts() {
    let addr = serve_with(|s| s).await;
    assert_eq!(ip(addr, &[]).await, "127.0.0.1");
    let spoof: &[(&str, &[u8])] = &[(XFF, b"203.0.113.7"), ("X-Real-IP", b"203.0.113.8")];
    assert_eq!(ip(addr, spoof).await, "127.0.0.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_chain_is_walked_right_to_left() {
    let addr = serve_with(|s| s.trusted_proxies(["127.0.0.1", "10.0.0.0/8"])).await;
    let chain = b"198.51.100.1, 203.0.113.9, 10.1.2.3";
    assert_eq!(ip(addr, &[(XFF, chain)]).await, "203.0.113.9");
    // Several header lines are one list, in order.
    let split: &[(&str, &[u8])] = &[(XFF, b"198.51.100.1, 203.0.113.9"), (XFF, b"10.1.2.3")];
    assert_eq!(ip(addr, split).await, "203.0.113.9");
    // Only the peer trusted: the nearest hop is the client.
    let addr = serve_with(|s| s.trusted_proxies(["127.0.0.0/8"])).await;
    assert_eq!(ip(addr, &[(XFF, chain)]).await, "10.1.2.3");
    // Without X-Forwarded-For, X-Real-IP.
    assert_eq!(
        ip(addr, &[("X-Real-IP", b"203.0.113.8")]).await,
        "203.0.113.8"
    );
    assert_eq!(
        ip(addr, &[("X-Real-IP", b"[2001:db8::5]:443")]).await,
        "2001:db8::5"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_peer_cannot_forward() {
    let addr = serve_with(|s| s.trusted_proxies(["10.0.0.0/8", "::1"])).await;
    assert_eq!(ip(addr, &[(XFF, b"203.0.113.7")]).await, "127.0.0.1");
    assert_eq!(
        ip(addr, &[("X-Real-IP", b"203.0.113.7")]).await,
        "127.0.0.1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_header_names() {
    let addr = serve_with(|s| {
        s.trusted_proxies(["127.0.0.1"])
            .client_ip_headers(["CF-Connecting-IP"])
    })
    .await;
    let both: &[(&str, &[u8])] = &[(XFF, b"203.0.113.7"), ("cf-connecting-ip", b"192.0.2.44")];
    assert_eq!(ip(addr, both).await, "192.0.2.44");
    assert_eq!(ip(addr, &[(XFF, b"203.0.113.7")]).await, "127.0.0.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_falls_back_and_never_panics() {
    let addr = serve_with(|s| s.trusted_proxies(["127.0.0.1"])).await;
    let garbage: [&[u8]; 9] = [
        b"",
        b"unknown",
        b",,,",
        b"203.0.113.7, not-an-ip",
        b"999.1.1.1",
        b"1.2.3.4.5",
        b"[::1",
        b"\xff\xfe\x80",
        b"203.0.113.7 203.0.113.8",
    ];
    for g in garbage {
        assert_eq!(
            ip(addr, &[(XFF, g)]).await,
            "127.0.0.1",
            "{:?}",
            String::from_utf8_lossy(g)
        );
    }
    // A garbage X-Forwarded-For is skipped for a good X-Real-IP.
    let mixed: &[(&str, &[u8])] = &[(XFF, b"nonsense"), ("X-Real-IP", b" 192.0.2.1 ")];
    assert_eq!(ip(addr, mixed).await, "192.0.2.1");
    let long = "1.1.1.1,".repeat(2000);
    assert_eq!(ip(addr, &[(XFF, long.as_bytes())]).await, "127.0.0.1");
    assert_still_serving(addr).await;
}

#[tokio::test]
async fn invalid_cidrs_are_configuration_errors() {
    for bad in ["10.0.0.0/33", "not-an-ip", "", "10.0.0.0/8/8"] {
        let err = common::try_start(server().trusted_proxies(["127.0.0.1", bad]))
            .await
            .err()
            .unwrap_or_else(|| panic!("{bad:?} accepted"));
        assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}");
        assert!(err.message().contains("trusted_proxies"), "{err}");
    }
    let ok =
        common::try_start(server().trusted_proxies(["10.0.0.0/8", "fd00::/8", "192.0.2.1", "::1"]))
            .await
            .expect("valid proxies");
    ok.shutdown().await.expect("shutdown");
}
