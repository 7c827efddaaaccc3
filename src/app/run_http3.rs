//! Starting HTTP/3 beside the TCP listener (feature `http3`): the QUIC endpoint on UDP at the
//! listener's port number (or `http3_port`), served by the same app service on the caller's
//! runtime with either engine, and the `Alt-Svc` value the TCP protocols then advertise.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;

use super::dispatch::AppService;
use super::options_protocols::ProtocolOptions;
use crate::protocol::http1::H1Config;
use crate::protocol::http3::H3Server;
use crate::transport::{quic, Shutdown, TaskTracker};
use crate::{Error, ErrorKind, Result};

/// The running HTTP/3 endpoint: its accept loop and address.
pub(crate) struct Http3Running {
    pub(crate) accept: JoinHandle<()>,
    pub(crate) addr: SocketAddr,
}

/// Binds and starts HTTP/3 if `protocols` has it on, and sets the `Alt-Svc` value in `h1` (the
/// options of the TCP protocols). `tcp` is the TCP listener's address.
pub(super) fn start_http3(
    protocols: &ProtocolOptions,
    service: &Arc<AppService>,
    tcp: SocketAddr,
    h1: &mut H1Config,
    (shutdown, tracker): (&Shutdown, &TaskTracker),
) -> Result<Option<Http3Running>> {
    let opts = &protocols.h3;
    // Without TLS, `http3(true)` was reported as a problem before anything started.
    let (true, Some(tls)) = (opts.on, &protocols.tls) else {
        return Ok(None);
    };
    let settings = opts.cfg.quic(protocols.tls_handshake_timeout);
    let udp = SocketAddr::new(tcp.ip(), opts.port.unwrap_or(tcp.port()));
    let endpoint = quic::bind(udp, false, tls, &settings).map_err(|e| {
        Error::with_source(
            ErrorKind::Io,
            format!("cannot serve HTTP/3 on UDP {udp}: {e}"),
            e,
        )
    })?;
    let addr = endpoint.local_addr()?;
    let server = Arc::new(H3Server::new(service.clone(), opts.cfg.clone(), h1.clone()));
    h1.alt_svc = opts.alt_svc(addr.port());
    let accept = tokio::spawn(quic::serve(
        endpoint,
        tls.clone(),
        server,
        settings,
        shutdown.clone(),
        tracker.clone(),
    ));
    Ok(Some(Http3Running { accept, addr }))
}
