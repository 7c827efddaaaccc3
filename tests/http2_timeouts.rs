//! HTTP/2 clients that go quiet: an idle connection gets GOAWAY `NO_ERROR` after the idle
//! timeout and closes, keep-alive PINGs keep an answering client and drop a silent one, a client
//! that never completes the close is dropped, and a preface that stalls is dropped after the
//! read timeout. Every wait ends on an event from the server; timeouts are failure guards only.

mod common;
mod proto;

use std::net::SocketAddr;
use std::time::Duration;

use khz::prelude::*;
use proto::raw::*;
use proto::Proto;

async fn ok(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "ok");
}

async fn serve(configure: impl FnOnce(Server) -> Server) -> SocketAddr {
    let s = configure(common::server().h2c(true));
    s.get("/ok", ok);
    let (h, addr) = common::start(s).await;
    std::mem::forget(h);
    addr
}

/// A fresh HTTP/2 connection and a fresh HTTP/1.1 connection are both served.
async fn assert_still_serving(addr: SocketAddr) {
    for p in [Proto::H2c, Proto::Http1] {
        let mut c = p.client(addr).await;
        assert_eq!(c.get("/ok").await.text(), "ok", "{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_gets_goaway_no_error_and_closes() {
    let addr = serve(|s| s.idle_timeout(Duration::from_millis(100))).await;
    let mut raw = Raw::connect(addr).await;
    raw.get_ok(1, "/ok").await;
    // Nothing more from the client: after the idle timeout, GOAWAY NO_ERROR and a close.
    assert_eq!(raw.goaway().await, 0);
    while raw.next().await.is_some() {}
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_completes_the_close_is_dropped() {
    let addr = serve(|s| {
        s.idle_timeout(Duration::from_millis(100))
            .http2_keep_alive(Duration::from_secs(3600), Duration::from_millis(200))
    })
    .await;
    let mut raw = Raw::connect(addr).await;
    raw.ack_pings = false; // h2's graceful close waits for a PING acknowledgement
    assert_eq!(raw.goaway().await, 0);
    while raw.next().await.is_some() {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_keep_alive_ping_drops_the_connection() {
    let addr =
        serve(|s| s.http2_keep_alive(Duration::from_millis(50), Duration::from_millis(100))).await;
    let mut raw = Raw::connect(addr).await;
    raw.ack_pings = false;
    let ping = raw
        .until("a PING", |f| f.kind == PING && f.flags & ACK == 0)
        .await;
    assert_eq!(ping.payload.len(), 8);
    // Never acknowledged: the server gives up on the connection.
    while let Some(f) = raw.next().await {
        assert_ne!(f.kind, PING, "no second PING while the first is unanswered");
    }
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_keep_alive_ping_keeps_the_connection() {
    let addr =
        serve(|s| s.http2_keep_alive(Duration::from_millis(30), Duration::from_millis(500))).await;
    let mut raw = Raw::connect(addr).await;
    // Answer three PINGs; the connection still serves a request afterwards.
    for _ in 0..3 {
        let ping = raw
            .until("a PING", |f| f.kind == PING && f.flags & ACK == 0)
            .await;
        raw.send(&frame(PING, ACK, 0, &ping.payload)).await;
    }
    raw.get_ok(1, "/ok").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_preface_is_dropped_after_the_read_timeout() {
    let addr = serve(|s| s.read_timeout(Duration::from_millis(200))).await;
    let mut raw = Raw::bare(addr).await;
    raw.send(&PREFACE[..10]).await;
    assert!(raw.next().await.is_none(), "closed without an answer");
    assert_still_serving(addr).await;
}
