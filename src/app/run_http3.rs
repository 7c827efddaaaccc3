//! Starting HTTP/3 beside the TCP listener (feature `http3`): the QUIC endpoint on UDP at the
//! listener's port number (or `http3_port`), served by the same app service — on the caller's
//! runtime with the std engine, as one endpoint per worker thread (`SO_REUSEPORT` siblings)
//! with the epoll engine — and the `Alt-Svc` value the TCP protocols then advertise.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;

use super::dispatch::AppService;
use super::options_protocols::ProtocolOptions;
use crate::protocol::http1::H1Config;
use crate::protocol::http3::H3Server;
use crate::transport::{quic, Shutdown, TaskTracker};
use crate::{Error, ErrorKind, Result};

/// The running HTTP/3 endpoint: its accept loop (std engine; the epoll engine's run on its
/// workers, tracked with the connections) and address.
pub(crate) struct Http3Running {
    pub(crate) accept: Option<JoinHandle<()>>,
    pub(crate) addr: SocketAddr,
}

/// What each epoll worker runs for HTTP/3: an endpoint on its own `SO_REUSEPORT` socket.
pub(crate) type WorkerJob = Arc<dyn Fn(usize) + Send + Sync>;

/// Binds and starts HTTP/3 if `protocols` has it on, and sets the `Alt-Svc` value in `h1` (the
/// options of the TCP protocols). `tcp` is the TCP listener's address. With `workers`
/// (the epoll engine's thread count) the endpoint is split into one per worker, started by the
/// returned job on each worker thread; otherwise it runs on the caller's runtime.
pub(super) fn start_http3(
    protocols: &ProtocolOptions,
    service: &Arc<AppService>,
    (tcp, workers): (SocketAddr, Option<usize>),
    h1: &mut H1Config,
    (shutdown, tracker): (&Shutdown, &TaskTracker),
) -> Result<Option<(Http3Running, Option<WorkerJob>)>> {
    let opts = &protocols.h3;
    // Without TLS, `http3(true)` was reported as a problem before anything started.
    let (true, Some(tls)) = (opts.on, &protocols.tls) else {
        return Ok(None);
    };
    let settings = opts.cfg.quic(protocols.tls_handshake_timeout);
    let udp = SocketAddr::new(tcp.ip(), opts.port.unwrap_or(tcp.port()));
    let bind_error = |e: std::io::Error| {
        let message = format!("cannot serve HTTP/3 on UDP {udp}: {e}");
        Error::with_source(ErrorKind::Io, message, e)
    };
    let first = quic::bind_udp(udp, workers.is_some()).map_err(bind_error)?;
    let addr = first.local_addr()?;
    let server = Arc::new(H3Server::new(service.clone(), opts.cfg.clone(), h1.clone()));
    h1.alt_svc = opts.alt_svc(addr.port());
    let Some(workers) = workers else {
        let endpoint = quic::endpoint(first, tls, &settings).map_err(bind_error)?;
        let accept = tokio::spawn(quic::serve(
            endpoint,
            tls.clone(),
            server,
            settings,
            shutdown.clone(),
            tracker.clone(),
        ));
        return Ok(Some((
            Http3Running {
                accept: Some(accept),
                addr,
            },
            None,
        )));
    };
    // One socket per worker, bound now so that failures are start errors.
    let mut sockets = vec![Some(first)];
    for _ in 1..workers.max(1) {
        sockets.push(Some(quic::bind_udp(addr, true).map_err(bind_error)?));
    }
    let sockets = std::sync::Mutex::new(sockets);
    let (tls, shutdown, tracker) = (tls.clone(), shutdown.clone(), tracker.clone());
    let job: WorkerJob = Arc::new(move |index| {
        let socket = sockets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_mut(index)
            .and_then(Option::take);
        let Some(socket) = socket else { return };
        match quic::endpoint(socket, &tls, &settings) {
            Ok(endpoint) => {
                tracker.spawn(quic::serve(
                    endpoint,
                    tls.clone(),
                    server.clone(),
                    settings.clone(),
                    shutdown.clone(),
                    tracker.clone(),
                ));
            }
            Err(e) => tracing::error!(worker = index, error = %e, "HTTP/3 endpoint not started"),
        }
    });
    Ok(Some((Http3Running { accept: None, addr }, Some(job))))
}
