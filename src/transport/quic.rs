//! QUIC for HTTP/3 (feature `http3`): the UDP socket and its `quinn` endpoint, TLS for QUIC
//! made from the server's rustls configuration (ALPN `h3`, TLS 1.3, 0-RTT only when asked
//! for), certificate reload, and the accept loop.
//!
//! The std engine runs one endpoint on the caller's runtime; the epoll engine one per worker,
//! on `SO_REUSEPORT` sibling sockets (the kernel keeps a client's 4-tuple on one socket, so a
//! connection stays on one worker thread — and a client that changes address mid-connection
//! lands on another worker, which answers with a stateless reset: migration is not supported
//! there). The accept loop takes each connection attempt, completes its handshake within the TLS
//! handshake timeout and hands the connection to a [`QuicHandler`] in a task of the server's
//! [`TaskTracker`], so a graceful shutdown waits for it as for a TCP connection. Once the server
//! drains, the endpoint refuses new connections (`CONNECTION_REFUSED`, so clients fail fast
//! rather than time out) while the open ones finish; the endpoint itself closes when the last
//! connection has.
//! With 0-RTT on, a connection is handed over before its handshake completes, together with
//! the future that tells when it does ([`QuicConn::handshake`]): until then its requests are
//! early data, which the protocol layer treats as replayable.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::QuicServerConfig;
use quinn::{Endpoint, EndpointConfig, IdleTimeout, ServerConfig, TransportConfig, VarInt};
use tokio_util::task::TaskTracker;

use super::shutdown::Shutdown;
use super::tls::TlsAcceptor;

/// The QUIC transport numbers of an HTTP/3 server.
#[derive(Debug, Clone)]
pub(crate) struct QuicSettings {
    /// A connection with no packets for this long is closed.
    pub(crate) idle_timeout: Duration,
    /// Bidirectional (request) streams a client may have open at once.
    pub(crate) max_bidi_streams: u32,
    /// Bytes a client may send on one stream ahead of the server reading them.
    pub(crate) stream_window: u32,
    /// Bytes a client may send on all streams of a connection ahead of the server reading them.
    pub(crate) connection_window: u32,
    /// PINGs keep an otherwise quiet connection alive; `None`: none sent.
    pub(crate) keep_alive_interval: Option<Duration>,
    /// Accept 0-RTT data (TLS early data) from resuming clients.
    pub(crate) zero_rtt: bool,
    /// Time allowed for a handshake.
    pub(crate) handshake_timeout: Duration,
}

/// A QUIC connection ready for HTTP/3.
pub(crate) struct QuicConn {
    /// The connection.
    pub(crate) conn: quinn::Connection,
    /// With 0-RTT on: resolves once the handshake is complete, i.e. once what the client sends
    /// is no longer early data. `None`: the handshake was complete before the hand-over.
    pub(crate) handshake: Option<quinn::ZeroRttAccepted>,
    /// The local address the endpoint is bound to.
    pub(crate) local: SocketAddr,
}

/// Serves one QUIC connection. Implemented by the protocol layer (HTTP/3).
pub(crate) trait QuicHandler: Send + Sync + 'static {
    /// Drives `conn` until it closes; `shutdown` is triggered when the server starts draining.
    fn serve_quic(&self, conn: QuicConn, shutdown: Shutdown) -> impl Future<Output = ()> + Send;
}

/// The `quinn` server configuration for `tls`'s current rustls configuration: ALPN `h3` only,
/// early data only with 0-RTT on, and `settings`' transport numbers.
fn server_config(tls: &rustls::ServerConfig, settings: &QuicSettings) -> io::Result<ServerConfig> {
    let mut tls = tls.clone();
    tls.alpn_protocols = vec![b"h3".to_vec()];
    // quinn accepts 0 (no early data) or u32::MAX (RFC 9001 §4.6.1).
    tls.max_early_data_size = if settings.zero_rtt { u32::MAX } else { 0 };
    let crypto = QuicServerConfig::try_from(tls).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the TLS configuration cannot serve QUIC (it needs TLS 1.3): {e}"),
        )
    })?;
    let mut transport = TransportConfig::default();
    let idle = IdleTimeout::try_from(settings.idle_timeout).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "HTTP/3 idle timeout out of range",
        )
    })?;
    transport
        .max_idle_timeout(Some(idle))
        .max_concurrent_bidi_streams(VarInt::from_u32(settings.max_bidi_streams))
        // The client's control stream and its two QPACK streams.
        .max_concurrent_uni_streams(VarInt::from_u32(3))
        .stream_receive_window(VarInt::from_u32(settings.stream_window))
        .receive_window(VarInt::from_u32(settings.connection_window))
        .keep_alive_interval(settings.keep_alive_interval);
    let mut config = ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(Arc::new(transport));
    Ok(config)
}

/// A UDP socket bound at `addr`, with `SO_REUSEPORT` when `reuse_port` (so that siblings can
/// bind the same address: the epoll engine's one endpoint per worker).
pub(crate) fn bind_udp(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        let _ = socket.set_only_v6(false);
    }
    #[cfg(unix)]
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    #[cfg(not(unix))]
    let _ = reuse_port;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// A QUIC endpoint on `socket` serving with `tls`'s current configuration and `settings`.
/// Must be called inside a tokio runtime: the endpoint's driver runs there.
pub(crate) fn endpoint(
    socket: std::net::UdpSocket,
    tls: &TlsAcceptor,
    settings: &QuicSettings,
) -> io::Result<Endpoint> {
    let config = server_config(&tls.current_config(), settings)?;
    let runtime =
        quinn::default_runtime().ok_or_else(|| io::Error::other("HTTP/3 needs a tokio runtime"))?;
    Endpoint::new(EndpointConfig::default(), Some(config), socket, runtime)
}

/// Makes certificate reloads of `tls` reach `endpoint` (new connections only) until
/// `shutdown` triggers.
fn follow_reloads(
    tls: &TlsAcceptor,
    endpoint: &Endpoint,
    settings: &QuicSettings,
    shutdown: &Shutdown,
) {
    let (endpoint, settings, shutdown) = (endpoint.clone(), settings.clone(), shutdown.clone());
    // The hook holds the endpoint only while serving: a stopped server's socket is released.
    let slot = std::sync::Mutex::new(Some(endpoint));
    tls.on_reload(move |tls| {
        let mut slot = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if shutdown.is_draining() {
            *slot = None;
        }
        let Some(endpoint) = slot.as_ref() else {
            return;
        };
        match server_config(tls, &settings) {
            Ok(config) => endpoint.set_server_config(Some(config)),
            Err(e) => tracing::warn!(error = %e, "reloaded TLS configuration not used for HTTP/3"),
        }
    });
}

/// Accepts QUIC connections on `endpoint` until `shutdown` triggers, serving each with
/// `handler` in a task of `tracker`, following `tls`'s reloads; then refuses new ones and
/// returns.
pub(crate) async fn serve<H: QuicHandler>(
    endpoint: Endpoint,
    tls: TlsAcceptor,
    handler: Arc<H>,
    settings: QuicSettings,
    shutdown: Shutdown,
    tracker: TaskTracker,
) {
    follow_reloads(&tls, &endpoint, &settings, &shutdown);
    let local = match endpoint.local_addr() {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "HTTP/3 endpoint has no local address");
            return;
        }
    };
    let draining = shutdown.draining();
    tokio::pin!(draining);
    loop {
        let incoming = tokio::select! {
            biased;
            () = &mut draining => break,
            incoming = endpoint.accept() => incoming,
        };
        let Some(incoming) = incoming else { break };
        let (handler, shutdown, settings) = (handler.clone(), shutdown.clone(), settings.clone());
        tracker.spawn(async move {
            let peer = incoming.remote_address();
            let Some(conn) = handshake(incoming, &settings, local).await else {
                return;
            };
            tracing::trace!(peer = %peer, "HTTP/3 connection");
            handler.serve_quic(conn, shutdown).await;
        });
    }
    // New connections are refused from now on (CONNECTION_REFUSED, so clients fail fast
    // instead of timing out) while the open ones finish on their own; the endpoint lives until
    // the close frames of the last ones went out.
    tracker.spawn(async move {
        let idle = endpoint.wait_idle();
        tokio::pin!(idle);
        loop {
            tokio::select! {
                () = &mut idle => return,
                incoming = endpoint.accept() => match incoming {
                    Some(incoming) => incoming.refuse(),
                    None => return,
                },
            }
        }
    });
}

/// Completes the handshake of `incoming` (or, with 0-RTT on, starts it), bounded by the
/// handshake timeout. Failures are logged at `debug`: a scanner or a client without `h3` is
/// not the server's problem.
async fn handshake(
    incoming: quinn::Incoming,
    settings: &QuicSettings,
    local: SocketAddr,
) -> Option<QuicConn> {
    let peer = incoming.remote_address();
    let connecting = match incoming.accept() {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(peer = %peer, error = %e, "QUIC connection refused");
            return None;
        }
    };
    if settings.zero_rtt {
        // For a server this always succeeds: the connection is usable at once, with the
        // client's 0-RTT data, and `accepted` resolves when the handshake completes.
        match connecting.into_0rtt() {
            Ok((conn, accepted)) => {
                return Some(QuicConn {
                    conn,
                    handshake: Some(accepted),
                    local,
                })
            }
            Err(connecting) => return finish(connecting, settings, local, peer).await,
        }
    }
    finish(connecting, settings, local, peer).await
}

async fn finish(
    connecting: quinn::Connecting,
    settings: &QuicSettings,
    local: SocketAddr,
    peer: SocketAddr,
) -> Option<QuicConn> {
    match tokio::time::timeout(settings.handshake_timeout, connecting).await {
        Ok(Ok(conn)) => Some(QuicConn {
            conn,
            handshake: None,
            local,
        }),
        Ok(Err(e)) => {
            tracing::debug!(peer = %peer, error = %e, "QUIC handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(peer = %peer, "QUIC handshake timed out");
            None
        }
    }
}
