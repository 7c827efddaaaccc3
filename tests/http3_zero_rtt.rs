//! 0-RTT on HTTP/3 (feature `http3`). With `http3_zero_rtt(true)` a client resuming a session
//! sends its first requests in TLS early data: a safe method (GET) is served at once, an unsafe
//! one (POST) is answered `425 Too Early` (RFC 8470) while the handshake is incomplete — a
//! replayed early POST must not run — and served normally once it completes. To keep the
//! handshake incomplete for as long as the test needs, the resumed connection goes through a
//! relay that holds back the client's QUIC Handshake packets ([`h3raw::handshake_gate`]); the
//! client proves it really used 0-RTT (`into_0rtt` succeeds, `ZeroRttAccepted` is true). With
//! 0-RTT off (the default) the server's tickets allow no early data.
#![cfg(feature = "http3")]

mod common;
mod h3raw;
mod proto;

use bytes::Bytes;
use khz::prelude::*;
use proto::h3::{h3_endpoint, h3_over};
use proto::{server_tls_config, test_cert, GUARD};

/// Tells the test its handler ran.
struct Entered(tokio::sync::mpsc::UnboundedSender<()>);

async fn early(ctx: &mut RequestContext) {
    let _ = ctx.state::<Entered>().expect("state").0.send(());
    ctx.string(StatusCode::OK, "early");
}

async fn start(
    zero_rtt: bool,
) -> (
    khz::app::ServerHandle,
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<()>,
) {
    let (tx, entered) = tokio::sync::mpsc::unbounded_channel();
    let s = common::server()
        .tls(server_tls_config(test_cert()))
        .http3(true)
        .http3_zero_rtt(zero_rtt)
        .with_state(Entered(tx));
    s.get("/ok", common::ok);
    s.get("/early", early);
    s.post("/echo", common::echo);
    let handle = common::try_start(s).await.expect("server starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");
    (handle, udp, entered)
}

fn post(path: &str) -> http::Request<()> {
    http::Request::post(format!("https://localhost{path}"))
        .body(())
        .expect("request")
}

/// A full handshake on `endpoint` (whose session store then holds the server's ticket), with a
/// GET and a POST served normally.
async fn first_connection(endpoint: &quinn::Endpoint, udp: std::net::SocketAddr) {
    let conn = tokio::time::timeout(GUARD, endpoint.connect(udp, "localhost").unwrap())
        .await
        .expect("handshake in time")
        .expect("handshake");
    let mut c = h3_over(endpoint.clone(), conn).await;
    assert_eq!(c.get("/ok").await.status, 200);
    // Not early data: an unsafe method is served.
    let r = c
        .request(post("/echo"), Some(Bytes::from_static(b"one")))
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "one"));
    c.conn.close(0u32.into(), b"done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_get_is_served_and_early_post_is_too_early() {
    let (_h, udp, mut entered) = start(true).await;
    let endpoint = h3_endpoint();
    first_connection(&endpoint, udp).await;

    // The resumed connection goes through a relay that keeps the server's replies back, so the
    // client, still handshaking, can only send its requests as 0-RTT data, and drops the
    // client's Handshake packets, so the server's handshake stays incomplete.
    let (relay, gate, _relay_task) = h3raw::handshake_gate(udp).await;
    let connecting = endpoint.connect(relay, "localhost").unwrap();
    let (conn, accepted) = connecting
        .into_0rtt()
        .unwrap_or_else(|_| panic!("the client resumes with 0-RTT"));
    let mut c = h3_over(endpoint.clone(), conn).await;
    // A small POST first, then a GET padded past one packet: once the GET's handler runs, the
    // server holds all of both. The padding also gives the server room to answer before the
    // client's address is validated (at most three times what it received, RFC 9000 §8.1).
    let mut send = c.send.clone();
    let mut early_post = send.send_request(post("/echo")).await.expect("0-RTT POST");
    early_post.finish().await.expect("0-RTT POST");
    let get = http::Request::get("https://localhost/early")
        .header("x-pad", "p".repeat(4000))
        .body(())
        .unwrap();
    let mut early_get = send.send_request(get).await.expect("0-RTT GET");
    early_get.finish().await.expect("0-RTT GET");
    tokio::time::timeout(GUARD, entered.recv())
        .await
        .expect("the early GET reached its handler");
    gate.replies.send_replace(false);
    let (status, body) = read(&mut early_get).await;
    assert_eq!(
        (status, &body[..]),
        (200, &b"early"[..]),
        "early GET served"
    );
    let (status, body) = read(&mut early_post).await;
    assert_eq!(
        status,
        425,
        "early POST refused: {:?}",
        String::from_utf8_lossy(&body)
    );
    // Let the handshake complete: the server accepted the early data, and a POST after the
    // handshake is served.
    gate.handshake.send_replace(false);
    let zero_rtt = tokio::time::timeout(GUARD, accepted)
        .await
        .expect("handshake completes in time");
    assert!(zero_rtt, "the server accepted 0-RTT");
    let r = c
        .request(post("/echo"), Some(Bytes::from_static(b"two")))
        .await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "two"),
        "POST after the handshake"
    );
}

/// Reads a response: status and body.
async fn read<S>(stream: &mut h3::client::RequestStream<S, Bytes>) -> (u16, Vec<u8>)
where
    S: h3::quic::RecvStream,
{
    use bytes::Buf;
    let read = async {
        let resp = stream.recv_response().await.expect("response head");
        let mut body = Vec::new();
        while let Some(mut chunk) = stream.recv_data().await.expect("response body") {
            body.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
        }
        (resp.status().as_u16(), body)
    };
    tokio::time::timeout(GUARD, read)
        .await
        .expect("response in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_zero_rtt_no_early_data_is_accepted() {
    let (_h, udp, _) = start(false).await;
    let endpoint = h3_endpoint();
    first_connection(&endpoint, udp).await;
    let connecting = endpoint.connect(udp, "localhost").unwrap();
    let conn = match connecting.into_0rtt() {
        // The ticket allows no early data: the client cannot even try.
        Err(connecting) => tokio::time::timeout(GUARD, connecting)
            .await
            .expect("handshake in time")
            .expect("resumed handshake"),
        Ok((conn, accepted)) => {
            let accepted = tokio::time::timeout(GUARD, accepted)
                .await
                .expect("handshake in time");
            assert!(!accepted, "0-RTT is off: early data must be rejected");
            conn
        }
    };
    let mut c = h3_over(endpoint.clone(), conn).await;
    let r = c
        .request(post("/echo"), Some(Bytes::from_static(b"late")))
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "late"));
}
