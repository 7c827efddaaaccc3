//! Graceful shutdown with HTTP/3 (feature `http3`): with requests still in their handlers,
//! `shutdown()` sends GOAWAY on the control stream (its stream ID above every accepted
//! request, RFC 9114 §5.2), refuses new requests on the connection (`H3_REQUEST_REJECTED`),
//! lets the open ones finish with their full responses, closes the connection with
//! `H3_NO_ERROR` and returns `Ok`; afterwards no new QUIC connection is accepted. The same
//! with HTTP/2 over TCP and HTTP/3 over QUIC connections open at once.
#![cfg(feature = "http3")]

mod common;
mod h3raw;
mod proto;

use std::time::Duration;

use bytes::Bytes;
use h3raw::*;
use khz::prelude::*;
use proto::h3::h3_connect;
use proto::{server_tls_config, test_cert, Proto, GUARD};
use tokio::sync::{mpsc, watch};

/// Size of a `/slow` response: several QUIC packets, so a response cut short by an early
/// close is seen.
const BODY: usize = 200 * 1024;

struct Gate {
    entered: mpsc::UnboundedSender<()>,
    /// Level-triggered: handlers wait until it is true.
    release: watch::Receiver<bool>,
}

async fn slow(ctx: &mut RequestContext) {
    let gate = ctx.state::<Gate>().expect("gate");
    let mut release = gate.release.clone();
    let _ = gate.entered.send(());
    let _ = release.wait_for(|go| *go).await;
    ctx.data(
        StatusCode::OK,
        "application/octet-stream",
        Bytes::from(vec![b's'; BODY]),
    );
}

async fn start() -> (
    khz::app::ServerHandle,
    mpsc::UnboundedReceiver<()>,
    watch::Sender<bool>,
) {
    let (entered_tx, entered) = mpsc::unbounded_channel();
    let (release, release_rx) = watch::channel(false);
    let s = common::server()
        .tls(server_tls_config(test_cert()))
        .http3(true)
        .with_state(Gate {
            entered: entered_tx,
            release: release_rx,
        });
    s.get("/slow", slow);
    s.get("/ok", common::ok);
    let handle = common::try_start(s).await.expect("server starts");
    (handle, entered, release)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_open_http3_streams() {
    const OPEN: usize = 3;
    let (handle, mut entered, release) = start().await;
    let udp = handle.http3_addr().expect("HTTP/3 on");
    let raw = RawH3::connect(udp).await;
    let mut control = raw.control().await;
    let mut open = Vec::new();
    for _ in 0..OPEN {
        let req = frame(HEADERS, &qpack(&get_fields("/slow", &[])));
        open.push(raw.send(&req, true).await);
    }
    for _ in 0..OPEN {
        tokio::time::timeout(GUARD, entered.recv())
            .await
            .expect("handler entered in time");
    }
    let shutdown = tokio::spawn(handle.shutdown());
    // GOAWAY names the first request ID not processed: above all OPEN accepted ones (client
    // bidirectional IDs 0, 4, 8 …), so the client retries none of them elsewhere.
    let goaway = control.goaway().await;
    let last = 4 * (OPEN as u64 - 1);
    assert!(
        goaway > last && goaway % 4 == 0,
        "GOAWAY({goaway}) must exceed the last accepted request {last}"
    );
    // A request after GOAWAY is refused, and reaches no handler.
    let (_s, mut recv) = raw
        .send(&frame(HEADERS, &qpack(&get_fields("/ok", &[]))), true)
        .await;
    assert_eq!(read_frames(&mut recv).await, Err(H3_REQUEST_REJECTED));
    tokio::task::yield_now().await;
    assert!(!shutdown.is_finished(), "waits for the open streams");
    release.send_replace(true);
    for (_send, mut recv) in open {
        let frames = read_frames(&mut recv).await.expect("a full response");
        let (status, body) = response_of(&frames);
        assert_eq!((status, body.len()), (200, BODY));
        assert!(body.iter().all(|b| *b == b's'));
    }
    assert_eq!(raw.closed_with().await, H3_NO_ERROR);
    tokio::time::timeout(GUARD, shutdown)
        .await
        .expect("shutdown in time")
        .unwrap()
        .expect("shutdown Ok");
    // The endpoint is gone: a new connection attempt fails (here, by the client's idle timeout).
    let endpoint = h3raw::endpoint(&[b"h3"], Duration::from_millis(500));
    let connecting = endpoint.connect(udp, "localhost").unwrap();
    let attempt = tokio::time::timeout(GUARD, connecting)
        .await
        .expect("attempt ends in time");
    assert!(attempt.is_err(), "no QUIC connection after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_tcp_and_quic_connections_open() {
    let (handle, mut entered, release) = start().await;
    let (tcp, udp) = (handle.local_addr(), handle.http3_addr().expect("HTTP/3 on"));
    let mut h2 = Proto::H2Tls.client(tcp).await;
    let mut h3 = h3_connect(udp).await;
    let over_tcp = tokio::spawn(async move { h2.get("/slow").await });
    let over_quic = tokio::spawn(async move { h3.get("/slow").await });
    for _ in 0..2 {
        tokio::time::timeout(GUARD, entered.recv())
            .await
            .expect("handler entered in time");
    }
    let shutdown = tokio::spawn(handle.shutdown());
    tokio::task::yield_now().await;
    assert!(!shutdown.is_finished(), "waits for the open requests");
    release.send_replace(true);
    for (name, reply) in [("HTTP/2", over_tcp), ("HTTP/3", over_quic)] {
        let r = tokio::time::timeout(GUARD, reply)
            .await
            .expect("response in time")
            .unwrap();
        assert_eq!((r.status, r.body.len()), (200, BODY), "{name}");
    }
    tokio::time::timeout(GUARD, shutdown)
        .await
        .expect("shutdown in time")
        .unwrap()
        .expect("shutdown Ok");
}
