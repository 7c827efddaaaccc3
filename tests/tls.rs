//! HTTPS end to end (feature `tls`): HTTP/2 and HTTP/1.1 chosen by ALPN on one port, a client
//! without ALPN served HTTP/1.1, `curl --http2 -k`, `h2load` over TLS, certificates from PEM
//! files, certificate reload without restart, a user protocol registered by ALPN name, and
//! bad clients — no common ALPN protocol, garbage instead of a handshake, a handshake that never
//! comes — each dropped and logged while other connections are served.

#![cfg(feature = "tls")]

mod common;
mod proto;

use std::io::Write;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use khz::prelude::*;
use khz::protocol::{ConnInfo, Upgraded};
use khz::transport::Shutdown;
use proto::{
    client_tls_config, make_cert, test_cert, tls_connect, write_pem, Proto, TestCert, GUARD,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ----- captured logs -------------------------------------------------------------------------

/// Every log line of this test binary (a global subscriber, installed once).
fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let writer = move || LogWriter(buf);
        let _ = tracing_subscriber::fmt()
            .with_writer(writer)
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .try_init();
        buf
    })
}

struct LogWriter(&'static Mutex<Vec<u8>>);

impl Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether a logged line mentions `peer` and contains `text`.
fn logged(peer: SocketAddr, text: &str) -> bool {
    let all = logs().lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(&all)
        .lines()
        .any(|l| l.contains(&peer.to_string()) && l.contains(text))
}

// ----- handlers ------------------------------------------------------------------------------

async fn ok(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "ok");
}

async fn which(ctx: &mut RequestContext) {
    let v = format!("{:?}", ctx.protocol());
    ctx.string(StatusCode::OK, v);
}

async fn echo(ctx: &mut RequestContext) {
    let body = ctx.body().clone();
    ctx.data(StatusCode::OK, "application/octet-stream", body);
}

async fn greet(mut io: Upgraded, _info: ConnInfo, _shutdown: Shutdown) {
    let _ = io.write_all(b"hello from greet/1\n").await;
    let _ = io.shutdown().await;
}

fn tls_server(cert: &TestCert) -> Server {
    let s = common::server().tls(proto::server_tls_config(cert));
    s.get("/ok", ok);
    s.get("/which", which);
    s.post("/echo", echo);
    s
}

async fn start_tls() -> SocketAddr {
    let (h, addr) = common::start(tls_server(test_cert())).await;
    std::mem::forget(h);
    addr
}

/// A fresh HTTPS client connection over `proto` still gets `GET /ok` answered.
async fn assert_still_serving(addr: SocketAddr) {
    for p in [Proto::H2Tls, Proto::Http1Tls] {
        let mut c = p.client(addr).await;
        assert_eq!(c.get("/ok").await.text(), "ok", "{p}");
    }
}

// ----- ALPN ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alpn_picks_h2_or_http1_on_one_port() {
    let addr = start_tls().await;
    let mut h2 = Proto::H2Tls.client(addr).await;
    let r = h2.get("/which").await;
    assert_eq!(
        (r.version, r.text().as_str()),
        (http::Version::HTTP_2, "HTTP/2.0")
    );
    let mut h1 = Proto::Http1Tls.client(addr).await;
    let r = h1.get("/which").await;
    assert_eq!(
        (r.version, r.text().as_str()),
        (http::Version::HTTP_11, "HTTP/1.1")
    );
    let payload = vec![7u8; 300_000];
    let r = h2.request("POST", "/echo", &[], payload.clone()).await;
    assert!(r.body == payload, "echo over h2+TLS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_alpn_gets_http1() {
    let addr = start_tls().await;
    let mut tls = tls_connect(addr, client_tls_config(test_cert(), &[]))
        .await
        .expect("handshake without ALPN");
    assert_eq!(tls.get_ref().1.alpn_protocol(), None);
    tls.write_all(b"GET /which HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    tokio::time::timeout(GUARD, tls.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("HTTP/1.1"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_common_alpn_protocol_is_dropped_and_logged() {
    logs();
    let addr = start_tls().await;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let local = tcp.local_addr().unwrap();
    let connector =
        tokio_rustls::TlsConnector::from(Arc::new(client_tls_config(test_cert(), &[b"spdy/3"])));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let err = tokio::time::timeout(GUARD, connector.connect(name, tcp))
        .await
        .unwrap()
        .expect_err("no protocol in common");
    assert!(
        err.to_string()
            .to_lowercase()
            .contains("noapplicationprotocol")
            || err
                .to_string()
                .to_lowercase()
                .contains("no_application_protocol")
            || err
                .to_string()
                .to_lowercase()
                .contains("application protocol"),
        "{err}"
    );
    assert_still_serving(addr).await;
    assert!(
        logged(local, "TLS connection dropped"),
        "the failure is logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_instead_of_a_handshake_is_dropped_and_logged() {
    logs();
    let addr = start_tls().await;
    let plain_http = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    let bad_record = vec![0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5];
    for garbage in [plain_http, bad_record] {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let peer = tcp.local_addr().unwrap();
        let _ = tcp.write_all(&garbage).await;
        let mut answer = Vec::new();
        // The server closes (an alert at most; a reset is fine too).
        let _ = tokio::time::timeout(GUARD, tcp.read_to_end(&mut answer))
            .await
            .expect("the server drops the connection");
        assert!(
            !String::from_utf8_lossy(&answer).contains("HTTP/1.1"),
            "no HTTP answer on a TLS port"
        );
        assert!(
            logged(peer, "TLS connection dropped"),
            "logged before the close"
        );
    }
    assert_still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_that_never_comes_times_out() {
    logs();
    let s = tls_server(test_cert()).tls_handshake_timeout(Duration::from_millis(200));
    let (_h, addr) = common::start(s).await;
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let local = silent.local_addr().unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(GUARD, silent.read(&mut buf))
        .await
        .expect("the server closes a silent client")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert!(logged(local, "TLS handshake timed out"));
    assert_still_serving(addr).await;
}

// ----- PEM files and reload ------------------------------------------------------------------

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("khz-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The leaf certificate the server presents to a new connection.
async fn presented(addr: SocketAddr, trust: &[&TestCert]) -> Vec<u8> {
    let mut roots = rustls::RootCertStore::empty();
    for c in trust {
        roots.add(c.cert_der.clone()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls = tls_connect(addr, cfg).await.expect("handshake");
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pem_files_and_reload_without_restart() {
    let dir = temp_dir("reload");
    let first = make_cert("first.test");
    let second = make_cert("second.test");
    let (c1, k1) = write_pem(&dir, "first", &first);
    let (c2, k2) = write_pem(&dir, "second", &second);
    let s = common::server().tls_pem(&c1, &k1);
    s.get("/ok", ok);
    let reloader = s.tls_reloader().expect("TLS is set");
    let (_h, addr) = common::start(s).await;
    assert_eq!(
        presented(addr, &[&first, &second]).await,
        first.cert_der.to_vec()
    );

    // A connection opened before the reload keeps working afterwards.
    let cfg = client_tls_config(&first, &[b"h2"]);
    let tls = tls_connect(addr, cfg).await.unwrap();
    let (mut old, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);

    reloader.reload_pem(&c2, &k2).expect("reload");
    assert_eq!(
        presented(addr, &[&first, &second]).await,
        second.cert_der.to_vec()
    );
    // ALPN survives the reload.
    let tls = tls_connect(addr, client_tls_config(&second, &[b"h2", b"http/1.1"]))
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));

    let req = hyper::Request::get("https://localhost/ok")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = tokio::time::timeout(GUARD, old.send_request(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resp.status(), 200);

    // A broken reload leaves the running certificate in place.
    let missing = dir.join("missing.pem");
    assert!(reloader.reload_pem(&missing, &k1).is_err());
    assert_eq!(
        presented(addr, &[&first, &second]).await,
        second.cert_der.to_vec()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn bad_pem_files_are_a_config_error() {
    let dir = temp_dir("bad");
    let cert = dir.join("cert.pem");
    std::fs::write(&cert, "not a certificate").unwrap();
    let s = Server::default().tls_pem(&cert, dir.join("nokey.pem"));
    let err = common::try_start(s).await.expect_err("bad PEM refused");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("tls_pem("), "{err}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "keeps its source"
    );
    let _ = std::fs::remove_dir_all(dir);
}

// ----- user protocol -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_protocol_is_chosen_by_alpn() {
    let s = tls_server(test_cert()).protocol("greet/1", greet);
    let (_h, addr) = common::start(s).await;
    let mut tls = tls_connect(addr, client_tls_config(test_cert(), &[b"greet/1"]))
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"greet/1"[..]));
    let mut out = String::new();
    tokio::time::timeout(GUARD, tls.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out, "hello from greet/1\n");
    assert_still_serving(addr).await;
}

#[tokio::test]
async fn a_user_protocol_without_tls_is_a_config_error() {
    let s = common::server().protocol("greet/1", greet);
    let err = common::try_start(s).await.expect_err("ALPN needs TLS");
    assert_eq!(err.kind(), ErrorKind::Config);
}

// ----- external clients ----------------------------------------------------------------------

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("the `{cmd}` binary is required: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http2_over_tls() {
    let addr = start_tls().await;
    let url = format!("https://localhost:{}/which", addr.port());
    let out = tokio::task::spawn_blocking(move || {
        run(
            "curl",
            &[
                "--silent",
                "--show-error",
                "--max-time",
                "10",
                "--http2",
                "-k",
                "-i",
                &url,
            ],
        )
    })
    .await
    .unwrap();
    assert!(out.starts_with("HTTP/2 200"), "{out}");
    assert!(out.ends_with("HTTP/2.0"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2load_over_tls_smoke() {
    let addr = start_tls().await;
    let url = format!("https://127.0.0.1:{}/ok", addr.port());
    let out = tokio::task::spawn_blocking(move || {
        run("h2load", &["-n", "1000", "-c", "2", "-m", "20", &url])
    })
    .await
    .unwrap();
    assert!(out.contains("1000 succeeded, 0 failed, 0 errored"), "{out}");
    assert!(out.contains("Application protocol: h2"), "{out}");
}
