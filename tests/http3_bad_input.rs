//! Hostile HTTP/3 input (feature `http3`): garbage datagrams, a handshake without ALPN `h3`,
//! a stream flood past the concurrency limit, malformed HTTP/3 on raw `quinn` streams, an
//! oversized header section and a client that stops reading. Each gets the RFC 9000 / 9114 /
//! 9204 answer where the client can observe it, and the server keeps serving other
//! connections.
//!
//! | input | answer |
//! |---|---|
//! | random datagrams, truncated or garbled QUIC Initials | dropped; new connections served |
//! | ALPN `h2` only | TLS alert `no_application_protocol`: QUIC `CRYPTO_ERROR` 0x178 |
//! | more requests than `http3_max_concurrent_streams(n)` | never more than n handlers at once; all served |
//! | DATA before HEADERS | connection closed `H3_FRAME_UNEXPECTED` (0x105) |
//! | undecodable QPACK field section | connection closed `QPACK_DECOMPRESSION_FAILED` (0x200) |
//! | request without `:path` | stream reset `H3_MESSAGE_ERROR` (0x10e), the connection goes on |
//! | header section over `max_header_bytes` | 431 on that stream, the connection goes on |
//! | response not read past the write timeout | stream reset `H3_REQUEST_CANCELLED` (0x10c) |
#![cfg(feature = "http3")]

mod common;
mod h3raw;
mod proto;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use h3raw::*;
use khz::prelude::*;
use proto::h3::h3_connect;
use proto::{server_tls_config, test_cert, GUARD};
use tokio::sync::{mpsc, watch};

/// Counts the handlers running at once and holds them until released.
struct Gate {
    running: AtomicUsize,
    most: AtomicUsize,
    entered: mpsc::UnboundedSender<()>,
    /// Level-triggered: handlers wait until it is true.
    release: watch::Receiver<bool>,
}

async fn gated(ctx: &mut RequestContext) {
    let gate = ctx.state::<Arc<Gate>>().expect("gate").clone();
    let now = gate.running.fetch_add(1, Ordering::SeqCst) + 1;
    gate.most.fetch_max(now, Ordering::SeqCst);
    let _ = gate.entered.send(());
    let mut release = gate.release.clone();
    let _ = release.wait_for(|go| *go).await;
    gate.running.fetch_sub(1, Ordering::SeqCst);
    ctx.string(StatusCode::OK, "released");
}

/// 64 MiB, produced lazily in 64 KiB chunks.
async fn huge(ctx: &mut RequestContext) {
    let chunks = futures_util::stream::iter(0..1024)
        .map(|_| Ok::<_, BoxError>(Bytes::from(vec![b'x'; 64 * 1024])));
    ctx.stream(StatusCode::OK, chunks);
}

/// A TLS server with HTTP/3 on, `/ok`, `/echo`, `/huge` and `/gated` (needs a [`Gate`]), configured further by `configure`.
async fn serve(configure: impl FnOnce(Server) -> Server) -> (khz::app::ServerHandle, SocketAddr) {
    let s = configure(
        common::server()
            .tls(server_tls_config(test_cert()))
            .http3(true),
    );
    s.get("/ok", common::ok);
    s.post("/echo", common::echo);
    s.get("/huge", huge);
    s.get("/gated", gated);
    let handle = common::try_start(s).await.expect("server starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");
    (handle, udp)
}

/// A fresh HTTP/3 connection is served (`GET /ok` → `200 ok`).
async fn assert_still_serving(udp: SocketAddr) {
    let mut c = h3_connect(udp).await;
    let r = c.get("/ok").await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "ok"),
        "fresh HTTP/3 connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_datagrams_are_dropped() {
    let (_h, udp) = serve(|s| s).await;
    // A connection opened before the garbage must survive it too.
    let mut before = h3_connect(udp).await;
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.connect(udp).await.unwrap();
    // Deterministic "random" bytes (xorshift), in datagrams of many sizes.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    };
    for n in [1, 2, 7, 20, 100, 600, 1199, 1200, 1350, 1500, 9000] {
        sock.send(&noise(n)).await.unwrap();
    }
    // A QUIC v1 Initial header cut short, then one whose Length runs past the datagram, then a
    // well-formed header with a garbage (undecryptable) payload padded to 1200 bytes, then an
    // unknown version (answered with Version Negotiation).
    let mut initial = vec![0xc3, 0, 0, 0, 1, 8];
    initial.extend(noise(8)); // DCID
    initial.push(0); // SCID length
    sock.send(&initial[..9]).await.unwrap();
    let mut long = initial.clone();
    long.extend([0x00, 0x7f, 0xff]); // no token; Length 16383
    long.extend(noise(40));
    sock.send(&long).await.unwrap();
    let mut padded = initial.clone();
    padded.extend([0x00, 0x44, 0xb0]); // no token; Length 1200
    padded.extend(noise(1200 - padded.len()));
    sock.send(&padded).await.unwrap();
    let mut unknown = vec![0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8];
    unknown.extend(noise(8));
    unknown.push(0);
    unknown.extend(noise(1200 - unknown.len()));
    sock.send(&unknown).await.unwrap();
    // Short-header packets for connection IDs the server never issued.
    for _ in 0..20 {
        let mut p = noise(60);
        p[0] = 0x40 | (p[0] & 0x3f);
        sock.send(&p).await.unwrap();
    }
    assert_eq!(
        before.get("/ok").await.text(),
        "ok",
        "open connection survives"
    );
    assert_still_serving(udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_without_h3_is_refused_with_no_application_protocol() {
    let (_h, udp) = serve(|s| s).await;
    let endpoint = h3raw::endpoint(&[b"h2"], GUARD);
    let connecting = endpoint.connect(udp, "localhost").unwrap();
    let err = tokio::time::timeout(GUARD, connecting)
        .await
        .expect("handshake ends in time")
        .expect_err("no common ALPN: the handshake fails");
    match err {
        quinn::ConnectionError::ConnectionClosed(c) => {
            assert_eq!(
                u64::from(c.error_code),
                CRYPTO_NO_APPLICATION_PROTOCOL,
                "CRYPTO_ERROR(no_application_protocol): {c}"
            );
        }
        other => panic!("expected a CRYPTO_ERROR close, got {other}"),
    }
    assert_still_serving(udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_past_the_limit_wait_for_credit() {
    const LIMIT: usize = 4;
    const REQUESTS: usize = 3 * LIMIT;
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let (release, release_rx) = watch::channel(false);
    let gate = Arc::new(Gate {
        running: AtomicUsize::new(0),
        most: AtomicUsize::new(0),
        entered: entered_tx,
        release: release_rx,
    });
    let (_h, udp) = serve(|s| {
        s.http3_max_concurrent_streams(LIMIT as u32)
            .with_state(gate.clone())
    })
    .await;
    let c = h3_connect(udp).await;
    let mut tasks = Vec::new();
    for _ in 0..REQUESTS {
        let mut send = c.send.clone();
        tasks.push(tokio::spawn(async move {
            let req = http::Request::get("https://localhost/gated")
                .body(())
                .unwrap();
            let mut stream = send.send_request(req).await?;
            stream.finish().await?;
            let resp = stream.recv_response().await?;
            let mut body = Vec::new();
            while let Some(mut chunk) = stream.recv_data().await? {
                use bytes::Buf;
                body.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
            }
            Ok::<_, h3::error::StreamError>((resp.status().as_u16(), body))
        }));
    }
    // The first LIMIT requests reach their handlers; the client holds the others back, as it has
    // no stream credit until one of these ends.
    for _ in 0..LIMIT {
        tokio::time::timeout(GUARD, entered.recv())
            .await
            .expect("handler entered in time");
    }
    assert_eq!(gate.running.load(Ordering::SeqCst), LIMIT);
    release.send_replace(true);
    for t in tasks {
        let (status, body) = tokio::time::timeout(GUARD, t)
            .await
            .expect("served in time")
            .unwrap()
            .expect("exchange");
        assert_eq!((status, &body[..]), (200, &b"released"[..]));
    }
    assert_eq!(
        gate.most.load(Ordering::SeqCst),
        LIMIT,
        "never more than http3_max_concurrent_streams handlers at once"
    );
    assert_still_serving(udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_http3_gets_the_rfc_error_codes() {
    let (_h, udp) = serve(|s| s).await;

    // DATA before HEADERS on a request stream: connection error H3_FRAME_UNEXPECTED (§4.1).
    let raw = RawH3::connect(udp).await;
    let _s = raw.send(&frame(DATA, b"hello"), true).await;
    assert_eq!(raw.closed_with().await, H3_FRAME_UNEXPECTED);

    // A field section QPACK cannot decode (static index 190 of 99): connection error
    // QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.2).
    let raw = RawH3::connect(udp).await;
    let _s = raw
        .send(&frame(HEADERS, &[0x00, 0x00, 0xff, 0x7f]), true)
        .await;
    assert_eq!(raw.closed_with().await, QPACK_DECOMPRESSION_FAILED);

    // A request without :path: malformed (§4.3.1), a stream error H3_MESSAGE_ERROR; the
    // connection serves the next request.
    let raw = RawH3::connect(udp).await;
    let no_path = [
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "localhost"),
    ];
    let (_send, mut recv) = raw.send(&frame(HEADERS, &qpack(&no_path)), true).await;
    assert_eq!(read_frames(&mut recv).await, Err(H3_MESSAGE_ERROR));
    assert_eq!(raw.get("/ok").await, (200, b"ok".to_vec()));
    assert!(raw.conn.close_reason().is_none(), "connection still open");

    assert_still_serving(udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_header_section_is_431_and_the_connection_goes_on() {
    let (_h, udp) = serve(|s| s.max_header_bytes(4096)).await;
    let raw = RawH3::connect(udp).await;
    let big = "v".repeat(8000);
    let fields = get_fields("/ok", &[("x-big", &big)]);
    let (_send, mut recv) = raw.send(&frame(HEADERS, &qpack(&fields)), true).await;
    let frames = read_frames(&mut recv)
        .await
        .expect("a response, not a reset");
    assert_eq!(response_of(&frames).0, 431);
    // The same connection serves the next request.
    assert_eq!(raw.get("/ok").await, (200, b"ok".to_vec()));
    // Just under the limit is served.
    let fine = "v".repeat(3000);
    let fields = get_fields("/ok", &[("x-fine", &fine)]);
    let (_send, mut recv) = raw.send(&frame(HEADERS, &qpack(&fields)), true).await;
    let frames = read_frames(&mut recv).await.expect("a response");
    assert_eq!(response_of(&frames), (200, b"ok".to_vec()));
    assert_still_serving(udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_gets_its_stream_cancelled() {
    let (_h, udp) = serve(|s| s.write_timeout(Duration::from_millis(300))).await;
    let raw = RawH3::connect(udp).await;
    let req = frame(HEADERS, &qpack(&get_fields("/huge", &[])));
    let (_send, mut recv) = raw.send(&req, true).await;
    // The head arrives; then the client reads nothing more, so its window closes.
    let (ty, head) = read_one_frame(&mut recv).await;
    assert_eq!((ty, status_of(&head)), (HEADERS, Some(200)));
    // Meanwhile other connections are served.
    assert_still_serving(udp).await;
    let code = tokio::time::timeout(GUARD, recv.received_reset())
        .await
        .expect("stream reset in time")
        .expect("reset, not a lost connection");
    assert_eq!(
        code.map(|c| c.into_inner()),
        Some(H3_REQUEST_CANCELLED),
        "the stalled stream is cancelled"
    );
    // The connection itself goes on.
    assert_eq!(raw.get("/ok").await, (200, b"ok".to_vec()));
    assert_still_serving(udp).await;
}
