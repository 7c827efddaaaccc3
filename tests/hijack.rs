//! Handing connections over: `upgrade` (101 Switching Protocols, then the app owns the byte
//! stream, including bytes the client sent right behind its request) and `hijack` (after an
//! ordinary, close-delimited response). Raw sockets, byte-exact.

mod common;

use std::net::SocketAddr;

use common::*;
use khz::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn echo_protocol(ctx: &mut RequestContext) {
    if !ctx.wants_upgrade("echo") {
        return ctx.abort_with_msg(StatusCode::UPGRADE_REQUIRED, "upgrade to echo");
    }
    ctx.upgrade("echo", |mut io| async move {
        let mut buf = [0u8; 1024];
        while let Ok(n) = io.read(&mut buf).await {
            if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    });
}

async fn hijacker(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "head+body ");
    ctx.hijack(|mut io| async move {
        let _ = io.write_all(b"then raw bytes").await;
        let _ = io.shutdown().await;
    });
}

async fn serve() -> SocketAddr {
    let s = server();
    s.get("/ok", ok);
    s.get("/echo", echo_protocol);
    s.get("/hijack", hijacker);
    let (handle, addr) = start(s).await;
    std::mem::forget(handle);
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_switches_protocols_and_keeps_early_bytes() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    c.send(
        "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: echo\r\n\r\nearly!",
    )
    .await;
    c.read_until(b"\r\n\r\n").await;
    let end = c
        .buffered()
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap()
        + 4;
    let head = String::from_utf8(c.consume(end)).unwrap();
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("\r\nupgrade: echo\r\n"), "{head}");
    assert!(lower.contains("\r\nconnection: upgrade\r\n"), "{head}");
    assert!(!lower.contains("content-length"), "{head}");
    assert!(!lower.contains("transfer-encoding"), "{head}");
    // The bytes sent behind the request come back first, then a later write.
    c.read_until(b"early!").await;
    c.consume(6);
    c.send("and more").await;
    c.read_until(b"and more").await;
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_is_refused_without_the_headers() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    let r = c.request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.status, 426);
    let r = c
        .request("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\n\r\n")
        .await;
    assert_eq!(r.status, 426, "Connection: upgrade is required too");
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hijack_after_an_ordinary_response() {
    let addr = serve().await;
    let mut c = Client::connect(addr).await;
    c.send("GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let raw = String::from_utf8(c.read_to_eof().await).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    let lower = raw.to_ascii_lowercase();
    assert!(lower.contains("\r\nconnection: close\r\n"), "{raw}");
    assert!(!lower.contains("content-length"), "{raw}");
    assert!(raw.ends_with("\r\n\r\nhead+body then raw bytes"), "{raw}");
}
