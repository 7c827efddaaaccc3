//! The protocol suite: the per-connection dispatcher that decides which protocol server speaks
//! on an accepted connection (Hertz's `suite` / `AddProtocol`).
//!
//! - **TLS** (feature `tls`): the handshake runs first (bounded by its timeout); then the
//!   protocol the client and server agreed on by ALPN is served — `h2` by the HTTP/2 driver,
//!   `http/1.1` (or no ALPN at all) by the HTTP/1.1 driver, any other name by the
//!   [`ProtocolServer`] registered under it. The ALPN list is offered automatically: `h2` (when
//!   HTTP/2 is on), `http/1.1`, then the registered names. A client that offers only protocols
//!   the server lacks fails the handshake (`no_application_protocol` alert); it and every other
//!   failed handshake is dropped and logged, nothing else is disturbed.
//! - **Cleartext**: HTTP/1.1, or — with h2c on — whatever the first bytes say: the suite reads
//!   until the 24-byte HTTP/2 connection preface is complete (HTTP/2 with prior knowledge) or
//!   the bytes diverge from it (HTTP/1.1), waiting at most the idle timeout for the first byte
//!   and the read timeout for the rest. The bytes read stay in the connection's buffer, or are
//!   replayed in front of the socket ([`Rewind`](crate::transport::Rewind)) for HTTP/2, so no byte is lost.
//!
//! Each driver is monomorphised on its stream type (`TcpStream`, `TlsStream<TcpStream>`,
//! `Rewind<TcpStream>`): no read goes through a trait object, and a cleartext HTTP/1.1
//! connection without h2c takes exactly the path it took before the suite existed. Only the
//! user-registered protocols get a boxed stream ([`Upgraded`]).
//! The HTTP/1.1 `Upgrade: h2c` dance (RFC 7540 §3.2, removed from RFC 9113) is not supported:
//! such a request is served as plain HTTP/1.1, which the RFC allows.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpStream;

use super::http1::{self, H1Config};
use super::service::{ConnInfo, HttpService};
use super::upgraded::{UpgradeFuture, Upgraded};
use crate::transport::{Conn, ConnHandler, Shutdown};

#[cfg(feature = "http2")]
use super::http2::{self, H2Config};
#[cfg(feature = "http2")]
use tokio::time::Instant;

/// A protocol server for connections whose client chose it by ALPN (TLS only).
///
/// Implemented for closures `Fn(Upgraded, ConnInfo, Shutdown) -> impl Future<Output = ()>`.
///
/// ```
/// use khz::protocol::{ConnInfo, ProtocolServer, Upgraded};
/// use khz::transport::Shutdown;
/// use tokio::io::AsyncWriteExt;
///
/// async fn greet(mut io: Upgraded, _info: ConnInfo, _shutdown: Shutdown) {
///     let _ = io.write_all(b"hello from my-proto\n").await;
/// }
/// fn assert_server(_: impl ProtocolServer) {}
/// assert_server(greet);
/// ```
pub trait ProtocolServer: Send + Sync + 'static {
    /// Serves one connection. `shutdown` is triggered when the server starts draining; the
    /// connection is closed when the returned future ends.
    fn serve(&self, io: Upgraded, info: ConnInfo, shutdown: Shutdown) -> UpgradeFuture;
}

impl<F, Fut> ProtocolServer for F
where
    F: Fn(Upgraded, ConnInfo, Shutdown) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn serve(&self, io: Upgraded, info: ConnInfo, shutdown: Shutdown) -> UpgradeFuture {
        Box::pin(self(io, info, shutdown))
    }
}

/// A protocol registered by ALPN name.
#[derive(Clone)]
pub(crate) struct NamedProtocol {
    /// The ALPN protocol name, e.g. `b"my-proto"`.
    pub(crate) name: Vec<u8>,
    /// Its server.
    pub(crate) server: Arc<dyn ProtocolServer>,
}

impl fmt::Debug for NamedProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedProtocol")
            .field("name", &String::from_utf8_lossy(&self.name))
            .finish()
    }
}

/// The per-connection protocol dispatcher; a transport [`ConnHandler`].
pub(crate) struct Suite<H> {
    service: Arc<H>,
    h1: Arc<H1Config>,
    #[cfg(feature = "http2")]
    h2: Option<Arc<H2Config>>,
    h2c: bool,
    #[cfg(feature = "tls")]
    tls: Option<crate::transport::TlsAcceptor>,
    protocols: Vec<NamedProtocol>,
}

impl<H> fmt::Debug for Suite<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Suite")
            .field("alpn", &self.alpn_names())
            .field("h2c", &self.h2c)
            .finish()
    }
}

/// ALPN name of HTTP/2 over TLS.
#[cfg(feature = "http2")]
pub(crate) const ALPN_H2: &[u8] = b"h2";
/// ALPN name of HTTP/1.1.
pub(crate) const ALPN_HTTP11: &[u8] = b"http/1.1";

impl<H: HttpService> Suite<H> {
    /// A suite serving HTTP/1.1 only (cleartext), like [`Http1`](http1::Http1).
    pub(crate) fn new(service: Arc<H>, h1: H1Config) -> Self {
        Suite {
            service,
            h1: Arc::new(h1),
            #[cfg(feature = "http2")]
            h2: None,
            h2c: false,
            #[cfg(feature = "tls")]
            tls: None,
            protocols: Vec::new(),
        }
    }

    /// Enables HTTP/2 (offered as `h2` over TLS, and used for h2c when that is on).
    #[cfg(feature = "http2")]
    pub(crate) fn http2(mut self, cfg: H2Config) -> Self {
        self.h2 = Some(Arc::new(cfg));
        self
    }

    /// Serves HTTP/2 with prior knowledge on cleartext connections (needs [`Suite::http2`]).
    pub(crate) fn h2c(mut self, on: bool) -> Self {
        self.h2c = on;
        self
    }

    /// Registers a protocol server under an ALPN name (before `Suite::tls`, feature `tls`).
    pub(crate) fn protocol(
        mut self,
        name: impl Into<Vec<u8>>,
        server: Arc<dyn ProtocolServer>,
    ) -> Self {
        self.protocols.push(NamedProtocol {
            name: name.into(),
            server,
        });
        self
    }

    /// Terminates TLS on every connection with `acceptor`, offering the suite's protocols by
    /// ALPN unless the acceptor's configuration lists its own.
    #[cfg(feature = "tls")]
    pub(crate) fn tls(mut self, acceptor: crate::transport::TlsAcceptor) -> Self {
        acceptor.set_alpn(self.alpn_names());
        self.tls = Some(acceptor);
        self
    }

    #[cfg(feature = "http2")]
    fn http2_on(&self) -> bool {
        self.h2.is_some()
    }
}

impl<H> Suite<H> {
    /// The ALPN names offered, in order of preference.
    pub(crate) fn alpn_names(&self) -> Vec<Vec<u8>> {
        let mut names = Vec::new();
        #[cfg(feature = "http2")]
        if self.h2.is_some() {
            names.push(ALPN_H2.to_vec());
        }
        names.push(ALPN_HTTP11.to_vec());
        names.extend(self.protocols.iter().map(|p| p.name.clone()));
        names
    }
}

impl<H: HttpService> ConnHandler for Suite<H> {
    async fn serve_conn(&self, conn: Conn<TcpStream>, shutdown: Shutdown) {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            return self.serve_tls(conn, tls, shutdown).await;
        }
        #[cfg(feature = "http2")]
        if self.h2c && self.http2_on() {
            return self.serve_cleartext(conn, shutdown).await;
        }
        http1::serve(conn, &*self.service, &self.h1, &shutdown).await;
    }
}

/// What the first bytes of a cleartext connection are.
#[cfg(feature = "http2")]
enum Sniffed {
    Http2,
    Http1,
    Close,
}

impl<H: HttpService> Suite<H> {
    /// Reads until the HTTP/2 preface is complete or ruled out.
    #[cfg(feature = "http2")]
    async fn sniff(&self, conn: &mut Conn<TcpStream>, shutdown: &Shutdown) -> Sniffed {
        let preface = &http2::PREFACE[..];
        let mut deadline: Option<Instant> = None;
        loop {
            let have = conn.reader().len().min(preface.len());
            let Some(front) = conn.reader().peek(have) else {
                return Sniffed::Close;
            };
            if front != &preface[..have] {
                return Sniffed::Http1;
            }
            if have == preface.len() {
                return Sniffed::Http2;
            }
            let idle = have == 0;
            let until = *deadline.get_or_insert_with(|| {
                Instant::now()
                    + if idle {
                        self.h1.idle_timeout
                    } else {
                        self.h1.read_timeout
                    }
            });
            let read = tokio::select! {
                biased;
                r = conn.fill(preface.len() - have, Some(until)) => r,
                _ = shutdown.draining(), if idle => return Sniffed::Close,
            };
            match read {
                Ok(0) | Err(_) => return Sniffed::Close,
                Ok(_) if idle => deadline = None,
                Ok(_) => {}
            }
        }
    }

    /// Serves HTTP/2 on `io` when HTTP/2 is on. Boxed: HTTP/2's state is twice HTTP/1.1's and
    /// would otherwise be part of every connection's future, idle HTTP/1.1 ones included.
    #[cfg(feature = "http2")]
    async fn serve_h2<T>(&self, io: T, info: ConnInfo, shutdown: &Shutdown)
    where
        T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
    {
        if let Some(h2) = &self.h2 {
            Box::pin(http2::serve(
                io,
                &*self.service,
                h2,
                &self.h1,
                info,
                shutdown,
            ))
            .await;
        }
    }

    #[cfg(feature = "http2")]
    async fn serve_cleartext(&self, mut conn: Conn<TcpStream>, shutdown: Shutdown) {
        match self.sniff(&mut conn, &shutdown).await {
            Sniffed::Http1 => http1::serve(conn, &*self.service, &self.h1, &shutdown).await,
            Sniffed::Http2 => {
                let info = conn_info(&conn);
                let (tcp, read) = conn.into_parts();
                let io = crate::transport::Rewind::new(tcp, read);
                self.serve_h2(io, info, &shutdown).await;
            }
            Sniffed::Close => {}
        }
    }

    #[cfg(feature = "tls")]
    async fn serve_tls(
        &self,
        conn: Conn<TcpStream>,
        tls: &crate::transport::TlsAcceptor,
        shutdown: Shutdown,
    ) {
        use crate::transport::tls::negotiated_alpn;
        let info = conn_info(&conn);
        let (tcp, _) = conn.into_parts();
        // A failed handshake is logged by the acceptor.
        let Ok(stream) = tls.accept(tcp, info.peer).await else {
            return;
        };
        let alpn = negotiated_alpn(&stream).map(<[u8]>::to_vec);
        match alpn.as_deref() {
            #[cfg(feature = "http2")]
            Some(ALPN_H2) if self.http2_on() => self.serve_h2(stream, info, &shutdown).await,
            None | Some(ALPN_HTTP11) => {
                let conn = Conn::new(stream, info.peer, info.local);
                http1::serve(conn, &*self.service, &self.h1, &shutdown).await;
            }
            Some(name) => match self.protocols.iter().find(|p| p.name == name) {
                Some(p) => {
                    let io = Upgraded::new(stream, bytes::Bytes::new(), info.peer);
                    p.server.serve(io, info, shutdown).await;
                }
                None => {
                    tracing::warn!(peer = %info.peer, alpn = %String::from_utf8_lossy(name), "no server for the negotiated protocol; connection dropped");
                }
            },
        }
    }
}

#[cfg(any(feature = "http2", feature = "tls"))]
fn conn_info<S>(conn: &Conn<S>) -> ConnInfo
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
{
    ConnInfo {
        peer: conn.peer_addr(),
        local: conn.local_addr(),
    }
}
