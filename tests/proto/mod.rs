//! Protocol-parameterised end-to-end helpers: the same request/response assertions run over
//! HTTP/1.1, h2c (HTTP/2 with prior knowledge on the cleartext port) and HTTP/2 over TLS
//! (ALPN `h2`, feature `tls`), through hyper's client, and — for the suites that opt in with
//! [`Proto::all_with_h3`] — HTTP/3 over QUIC (feature `http3`) through the `h3` client of
//! [`h3`] — so a handler test written once proves that handlers cannot tell the protocols apart.
//!
//! ```ignore
//! for proto in Proto::all() {
//!     let (_h, addr) = proto.start(server_with_routes()).await;
//!     let mut c = proto.client(addr).await;
//!     let r = c.get("/ok").await;
//!     assert_eq!((r.status, r.text().as_str()), (200, "ok"), "{proto}");
//! }
//! ```

#![allow(dead_code)]

#[cfg(feature = "http3")]
pub mod h3;
pub mod raw;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper_util::rt::{TokioExecutor, TokioIo};
use khz::app::ServerHandle;
use khz::prelude::*;

/// Longest a request may take before the test fails.
pub const GUARD: Duration = Duration::from_secs(10);

/// A protocol a test runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// HTTP/1.1 on the cleartext port.
    Http1,
    /// HTTP/2 with prior knowledge on the cleartext port (`.h2c(true)`).
    #[cfg(feature = "http2")]
    H2c,
    /// HTTP/2 over TLS, chosen by ALPN.
    #[cfg(all(feature = "tls", feature = "http2"))]
    H2Tls,
    /// HTTP/1.1 over TLS, chosen by ALPN.
    #[cfg(feature = "tls")]
    Http1Tls,
    /// HTTP/3 over QUIC: TLS with the test certificate and `http3(true)` on a UDP port of its
    /// own (`http3_port(0)`, so it cannot collide with another test's socket); the address a
    /// test gets from [`Proto::start`] is the UDP one.
    #[cfg(feature = "http3")]
    H3,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A self-signed certificate for `localhost` and `127.0.0.1`, made once per test binary.
#[cfg(feature = "tls")]
pub struct TestCert {
    pub cert_der: rustls::pki_types::CertificateDer<'static>,
    pub key_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
}

#[cfg(feature = "tls")]
pub fn test_cert() -> &'static TestCert {
    use std::sync::OnceLock;
    static CERT: OnceLock<TestCert> = OnceLock::new();
    CERT.get_or_init(|| make_cert("localhost"))
}

/// A fresh self-signed certificate for `localhost`, `127.0.0.1` and `name`.
#[cfg(feature = "tls")]
pub fn make_cert(name: &str) -> TestCert {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        name.to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names).expect("rcgen certificate");
    TestCert {
        cert_der: certified.cert.der().clone(),
        key_der: certified.signing_key.serialize_der(),
        cert_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
    }
}

/// Writes `cert` as PEM files `{tag}-cert.pem` and `{tag}-key.pem` in `dir`; returns both paths.
#[cfg(feature = "tls")]
pub fn write_pem(
    dir: &std::path::Path,
    tag: &str,
    cert: &TestCert,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let c = dir.join(format!("{tag}-cert.pem"));
    let k = dir.join(format!("{tag}-key.pem"));
    std::fs::write(&c, &cert.cert_pem).unwrap();
    std::fs::write(&k, &cert.key_pem).unwrap();
    (c, k)
}

/// A rustls server configuration for `cert` (no ALPN: khz fills it in).
#[cfg(feature = "tls")]
pub fn server_tls_config(cert: &TestCert) -> rustls::ServerConfig {
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_der.clone().into());
    rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert_der.clone()], key)
    .expect("server config")
}

/// A rustls client configuration trusting `cert`, offering `alpn`.
#[cfg(feature = "tls")]
pub fn client_tls_config(cert: &TestCert, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(cert.cert_der.clone())
        .expect("trust the test cert");
    let mut cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    cfg
}

/// Connects over TLS to `addr` as `localhost` with `cfg`.
#[cfg(feature = "tls")]
pub async fn tls_connect(
    addr: SocketAddr,
    cfg: rustls::ClientConfig,
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg));
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("server name");
    tokio::time::timeout(GUARD, connector.connect(name, tcp))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
}

impl Proto {
    /// HTTP/1.1, h2c and (with the `tls` feature) HTTP/2 over TLS.
    pub fn all() -> Vec<Proto> {
        vec![
            Proto::Http1,
            #[cfg(feature = "http2")]
            Proto::H2c,
            #[cfg(all(feature = "tls", feature = "http2"))]
            Proto::H2Tls,
        ]
    }

    /// [`all`](Self::all) and, with the `http3` feature, HTTP/3: for the suites whose tests do
    /// not depend on a TCP connection (keep-alive, `Connection: close`, raw bytes).
    pub fn all_with_h3() -> Vec<Proto> {
        #[allow(unused_mut)]
        let mut all = Proto::all();
        #[cfg(feature = "http3")]
        all.push(Proto::H3);
        all
    }

    /// Whether requests go over HTTP/3.
    pub fn is_h3(self) -> bool {
        #[cfg(feature = "http3")]
        if self == Proto::H3 {
            return true;
        }
        false
    }

    /// Whether requests go over HTTP/2.
    pub fn is_h2(self) -> bool {
        match self {
            #[cfg(feature = "http2")]
            Proto::H2c => true,
            #[cfg(all(feature = "tls", feature = "http2"))]
            Proto::H2Tls => true,
            _ => false,
        }
    }

    /// The version handlers see.
    pub fn version(self) -> http::Version {
        if self.is_h3() {
            http::Version::HTTP_3
        } else if self.is_h2() {
            http::Version::HTTP_2
        } else {
            http::Version::HTTP_11
        }
    }

    /// Sets up `server` so it serves this protocol (h2c on, or TLS with the test cert).
    pub fn configure(self, server: Server) -> Server {
        match self {
            Proto::Http1 => server,
            #[cfg(feature = "http2")]
            Proto::H2c => server.h2c(true),
            #[cfg(all(feature = "tls", feature = "http2"))]
            Proto::H2Tls => server.tls(server_tls_config(test_cert())),
            #[cfg(feature = "tls")]
            Proto::Http1Tls => server.tls(server_tls_config(test_cert())),
            #[cfg(feature = "http3")]
            Proto::H3 => server
                .tls(server_tls_config(test_cert()))
                .http3(true)
                .http3_port(0),
        }
    }

    /// Configures and starts `server` on the test crate's engine (`common::engine()`); the
    /// address is the one this protocol's client connects to (UDP for HTTP/3).
    pub async fn start(self, server: Server) -> (ServerHandle, SocketAddr) {
        let handle = super::common::try_start(self.configure(server))
            .await
            .expect("server starts");
        let addr = handle.local_addr();
        #[cfg(feature = "http3")]
        if self == Proto::H3 {
            let udp = handle.http3_addr().expect("HTTP/3 is on");
            return (handle, udp);
        }
        (handle, addr)
    }

    /// A client connection speaking this protocol to `addr`.
    pub async fn client(self, addr: SocketAddr) -> HttpClient {
        match self {
            Proto::Http1 => {
                let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
                HttpClient::http1(TokioIo::new(tcp)).await
            }
            #[cfg(feature = "http2")]
            Proto::H2c => {
                let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
                HttpClient::http2(TokioIo::new(tcp)).await
            }
            #[cfg(all(feature = "tls", feature = "http2"))]
            Proto::H2Tls => {
                let cfg = client_tls_config(test_cert(), &[b"h2", b"http/1.1"]);
                let tls = tls_connect(addr, cfg).await.expect("TLS connect");
                assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
                HttpClient::http2(TokioIo::new(tls)).await
            }
            #[cfg(feature = "tls")]
            Proto::Http1Tls => {
                let cfg = client_tls_config(test_cert(), &[b"http/1.1"]);
                let tls = tls_connect(addr, cfg).await.expect("TLS connect");
                assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
                HttpClient::http1(TokioIo::new(tls)).await
            }
            #[cfg(feature = "http3")]
            Proto::H3 => HttpClient {
                sender: Sender::H3(Box::new(h3::h3_connect(addr).await)),
            },
        }
    }
}

type Body = Full<Bytes>;

enum Sender {
    H1(hyper::client::conn::http1::SendRequest<Body>),
    H2(hyper::client::conn::http2::SendRequest<Body>),
    #[cfg(feature = "http3")]
    H3(Box<h3::H3Client>),
}

/// One client connection: hyper's (HTTP/1.1 or HTTP/2) or `h3`'s (HTTP/3).
pub struct HttpClient {
    sender: Sender,
}

/// A response as every protocol delivers it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub version: http::Version,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub trailers: Option<HeaderMap>,
}

impl Reply {
    /// The first value of `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of `name`.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// Whether the response announces `Connection: close` (never over HTTP/2).
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    /// The reply as the raw-socket helpers of `tests/common` parse responses (the status line
    /// is synthesized: HTTP/2 has none), so a test written against them runs over any protocol.
    pub fn resp(self) -> super::common::Resp {
        let reason = http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        super::common::Resp {
            status_line: format!("{:?} {} {reason}", self.version, self.status),
            status: self.status,
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
                .collect(),
            body: self.body.to_vec(),
            trailers: self
                .trailers
                .iter()
                .flatten()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
                .collect(),
            chunked: false,
            chunks: Vec::new(),
        }
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("UTF-8 body")
    }
}

impl HttpClient {
    async fn http1<T>(io: T) -> HttpClient
    where
        T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let (sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .expect("HTTP/1.1 handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        HttpClient {
            sender: Sender::H1(sender),
        }
    }

    async fn http2<T>(io: T) -> HttpClient
    where
        T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let (sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .expect("HTTP/2 handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        HttpClient {
            sender: Sender::H2(sender),
        }
    }

    /// Sends a request (`Host: khz.test` unless given) and reads the whole response.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let h2 = !matches!(self.sender, Sender::H1(_));
        #[cfg(feature = "http3")]
        let h3 = matches!(self.sender, Sender::H3(_));
        #[cfg(not(feature = "http3"))]
        let h3 = false;
        let host = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .map(|(_, v)| *v);
        // HTTP/2 and HTTP/3 carry the host in :authority, from an absolute URI. Over HTTP/3 a
        // given `Host` becomes the authority (`h3` refuses a `Host` that contradicts it).
        let uri = match (h2, h3, host) {
            (_, true, Some(host)) => format!("https://{host}{path}"),
            (_, true, None) => format!("https://khz.test{path}"),
            (true, false, _) => format!("http://khz.test{path}"),
            (false, false, _) => path.to_owned(),
        };
        let mut b = hyper::Request::builder().method(method).uri(uri);
        if !h2 && host.is_none() {
            b = b.header("host", "khz.test");
        }
        for (k, v) in headers {
            if !(h3 && k.eq_ignore_ascii_case("host")) {
                b = b.header(*k, *v);
            }
        }
        let req = b.body(Full::new(body.into())).expect("valid request");
        self.send(req).await
    }

    /// Sends a prepared request and reads the whole response.
    pub async fn send(&mut self, req: hyper::Request<Body>) -> Reply {
        #[cfg(feature = "http3")]
        if let Sender::H3(c) = &mut self.sender {
            let (mut parts, body) = req.into_parts();
            let body = body.collect().await.expect("in-memory body").to_bytes();
            // As hyper does for HTTP/1.1 and HTTP/2: a body of known size is announced.
            if !body.is_empty() && !parts.headers.contains_key(http::header::CONTENT_LENGTH) {
                parts
                    .headers
                    .insert(http::header::CONTENT_LENGTH, body.len().into());
            }
            // HTTP/3 says "no body" by ending the stream after the head.
            let body = (!body.is_empty()).then_some(body);
            return c.request(http::Request::from_parts(parts, ()), body).await;
        }
        let fut = async {
            let resp = match &mut self.sender {
                Sender::H1(s) => {
                    s.ready().await.expect("connection ready");
                    s.send_request(req).await
                }
                Sender::H2(s) => {
                    s.ready().await.expect("connection ready");
                    s.send_request(req).await
                }
                #[cfg(feature = "http3")]
                Sender::H3(_) => unreachable!("answered above"),
            }
            .expect("response");
            let (parts, body) = resp.into_parts();
            let collected = body.collect().await.expect("body");
            let trailers = collected.trailers().cloned();
            Reply {
                status: parts.status.as_u16(),
                version: parts.version,
                headers: parts.headers,
                body: collected.to_bytes(),
                trailers,
            }
        };
        tokio::time::timeout(GUARD, fut)
            .await
            .expect("response within the guard time")
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.request("GET", path, &[], Bytes::new()).await
    }
}

/// A client of the `h2` crate on a fresh cleartext connection (HTTP/2 with prior knowledge).
pub async fn h2_client(addr: SocketAddr) -> h2::client::SendRequest<Bytes> {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (client, conn) = h2::client::handshake(tcp).await.expect("h2 handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// Reads an `h2` response body to its end, releasing flow-control capacity as it goes.
pub async fn read_all(mut body: h2::RecvStream) -> Result<Bytes, h2::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

/// A running server and the protocol a test speaks to it: requests go out as raw HTTP/1.1
/// bytes (`tests/common`'s `Client`) for [`Proto::Http1`] and through hyper's client for the
/// other protocols, and come back as the same `Resp` — so a test written against the raw-socket
/// helpers runs over every protocol unchanged.
#[derive(Debug, Clone, Copy)]
pub struct At {
    pub proto: Proto,
    pub addr: SocketAddr,
}

impl At {
    /// Configures and starts `server` for `proto`; the server runs until the handle is dropped
    /// and shut down (the handle is leaked, as the tests' `serve` helpers do).
    pub async fn start(proto: Proto, server: Server) -> At {
        let (handle, addr) = proto.start(server).await;
        std::mem::forget(handle);
        At { proto, addr }
    }

    /// `method path` with `headers` and `body` on a fresh connection (`Host` and
    /// `Content-Length` added for HTTP/1.1).
    pub async fn request(
        self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> super::common::Resp {
        let body: Bytes = body.into();
        if self.proto.is_h2() || self.proto.is_h3() {
            let mut c = self.proto.client(self.addr).await;
            return c.request(method, path, headers, body).await.resp();
        }
        let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: x\r\n").into_bytes();
        for (k, v) in headers {
            raw.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        if !body.is_empty() || method == "POST" || method == "PUT" {
            raw.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(&body);
        let mut c = super::common::Client::connect(self.addr).await;
        c.send(raw).await;
        if method == "HEAD" {
            c.read_head_response().await
        } else {
            c.read_response().await
        }
    }

    /// `GET path` on a fresh connection.
    pub async fn get(self, path: &str) -> super::common::Resp {
        self.request("GET", path, &[], Bytes::new()).await
    }
}
