//! `Alt-Svc` end to end (feature `http3`): with HTTP/3 on, HTTP/1.1-over-TLS and HTTP/2-over-TLS
//! responses advertise `h3=":<udp port>"; ma=86400`, and a client that follows it reaches the
//! same handlers over HTTP/3; HTTP/3 responses do not advertise themselves; `http3_alt_svc`
//! changes or removes the header; a handler's own `Alt-Svc` is kept; `http3_port` moves the
//! UDP port and the header follows it.
#![cfg(feature = "http3")]

mod common;
mod proto;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use khz::prelude::*;
use proto::h3::h3_connect;
use proto::{server_tls_config, test_cert, Proto};

/// Which server answered: the token it was started with, and the protocol.
struct Token(String);

async fn whoami(ctx: &mut RequestContext) {
    let token = ctx
        .state::<Token>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    let text = format!("{token} {:?}", ctx.protocol());
    ctx.string(StatusCode::OK, text);
}

async fn own_alt_svc(ctx: &mut RequestContext) {
    ctx.set_header("alt-svc", "h2=\"alt.example:443\"; ma=60");
    ctx.string(StatusCode::OK, "own");
}

fn h3_server(token: &str, configure: impl FnOnce(Server) -> Server) -> Server {
    let s = configure(
        server()
            .tls(server_tls_config(test_cert()))
            .http3(true)
            .with_state(Token(token.to_owned())),
    );
    s.get("/whoami", whoami);
    s.get("/own", own_alt_svc);
    s
}

/// The port of an `h3=":PORT"; ma=…` value.
fn advertised_port(value: &str) -> u16 {
    let rest = value
        .strip_prefix("h3=\":")
        .unwrap_or_else(|| panic!("not an h3 alternative: {value:?}"));
    let end = rest.find('"').expect("closing quote");
    rest[..end].parse().expect("a port number")
}

/// The TLS protocols of the TCP port.
fn tcp_protos() -> [Proto; 2] {
    [Proto::Http1Tls, Proto::H2Tls]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_responses_advertise_h3_and_following_it_reaches_the_same_handler() {
    let handle = try_start(h3_server("alt-1", |s| s)).await.expect("starts");
    let (tcp, udp) = (handle.local_addr(), handle.http3_addr().expect("HTTP/3 on"));
    for proto in tcp_protos() {
        let mut c = proto.client(tcp).await;
        let r = c.get("/whoami").await;
        assert_eq!(r.text(), format!("alt-1 {:?}", proto.version()), "{proto}");
        let want = format!("h3=\":{}\"; ma=86400", udp.port());
        assert_eq!(r.header_all("alt-svc"), [want.as_str()], "{proto}");
        // Follow it: same host, the advertised UDP port.
        let port = advertised_port(r.header("alt-svc").expect("Alt-Svc"));
        let mut h3 = h3_connect(SocketAddr::new(tcp.ip(), port)).await;
        let r = h3.get("/whoami").await;
        assert_eq!(r.text(), "alt-1 HTTP/3.0", "{proto}");
        assert_eq!(
            r.header("alt-svc"),
            None,
            "HTTP/3 does not advertise itself"
        );
    }
    handle.shutdown().await.expect("graceful shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handlers_own_alt_svc_is_kept() {
    let handle = try_start(h3_server("alt-2", |s| s)).await.expect("starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");
    for proto in tcp_protos() {
        let r = proto.client(handle.local_addr()).await.get("/own").await;
        assert_eq!(
            r.header_all("alt-svc"),
            ["h2=\"alt.example:443\"; ma=60"],
            "{proto}"
        );
    }
    let r = h3_connect(udp).await.get("/own").await;
    assert_eq!(r.header_all("alt-svc"), ["h2=\"alt.example:443\"; ma=60"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http3_alt_svc_sets_the_max_age_or_removes_the_header() {
    let off = try_start(h3_server("alt-3", |s| s.http3_alt_svc(None)))
        .await
        .expect("starts");
    let hour = Some(Duration::from_secs(3600));
    let short = try_start(h3_server("alt-4", |s| s.http3_alt_svc(hour)))
        .await
        .expect("starts");
    let short_udp = short.http3_addr().expect("HTTP/3 on").port();
    for proto in tcp_protos() {
        let r = proto.client(off.local_addr()).await.get("/whoami").await;
        assert_eq!(r.status, 200, "{proto}");
        assert_eq!(r.header("alt-svc"), None, "{proto}: not advertised");
        let r = proto.client(short.local_addr()).await.get("/whoami").await;
        let want = format!("h3=\":{short_udp}\"; ma=3600");
        assert_eq!(r.header_all("alt-svc"), [want.as_str()], "{proto}");
    }
    // Not advertised is still served.
    let udp = off.http3_addr().expect("HTTP/3 still on");
    assert_eq!(
        h3_connect(udp).await.get("/whoami").await.text(),
        "alt-3 HTTP/3.0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http3_port_moves_the_udp_port_and_the_header_follows() {
    // A free UDP port: bound, read, released.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port")
        .port();
    let handle = try_start(h3_server("alt-5", |s| s.http3_port(port)))
        .await
        .expect("starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");
    assert_eq!(udp.port(), port);
    for proto in tcp_protos() {
        let r = proto.client(handle.local_addr()).await.get("/whoami").await;
        let advertised = advertised_port(r.header("alt-svc").expect("Alt-Svc"));
        assert_eq!(advertised, port, "{proto}");
    }
    let mut c = h3_connect(SocketAddr::new(handle.local_addr().ip(), port)).await;
    assert_eq!(c.get("/whoami").await.text(), "alt-5 HTTP/3.0");
    handle.shutdown().await.expect("graceful shutdown");
}
