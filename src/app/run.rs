//! Running a [`Server`]: start-up (every problem of options and routes reported at once, route
//! table, `on_run` hooks, bind), serving on the transport engine with the protocol suite
//! (HTTP/1.1, HTTP/2, TLS, user protocols), and graceful shutdown — stop accepting, close
//! idle connections, let in-flight requests finish (answered with `Connection: close`), run the
//! `on_shutdown` hooks, and give up after the exit wait time.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::server::{Hook, Server};
use crate::transport::epoll::affinity::cpu_count;
use crate::transport::{
    self, ConnHandler, Engine, EpollEngine, ListenOptions, Shutdown, StdEngine, TaskTracker,
    Transport,
};
use crate::{Error, ErrorKind, Result};

/// A running server: its address, and the way to stop it.
pub struct ServerHandle {
    addr: SocketAddr,
    #[cfg(feature = "http3")]
    http3: Option<super::run_http3::Http3Running>,
    shutdown: Shutdown,
    tracker: TaskTracker,
    accept: JoinHandle<std::io::Result<()>>,
    on_shutdown: Vec<Hook>,
    exit_wait: Duration,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .field("connections", &self.tracker.len())
            .finish()
    }
}

fn resolve(addr: &str) -> Result<SocketAddr> {
    let addr = if addr.starts_with(':') {
        format!("0.0.0.0{addr}")
    } else {
        addr.to_owned()
    };
    addr.to_socket_addrs()
        .map_err(|e| Error::new(ErrorKind::Config, format!("invalid address {addr:?}: {e}")))?
        .next()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!("address {addr:?} resolves to nothing"),
            )
        })
}

/// Runs `engine`'s accept loop(s) in a task of the current runtime.
fn spawn_engine<E: Engine, H: ConnHandler>(
    engine: E,
    (listener, handler, shutdown, tracker): (TcpListener, Arc<H>, Shutdown, TaskTracker),
) -> JoinHandle<std::io::Result<()>> {
    tokio::spawn(async move { engine.serve(listener, handler, shutdown, tracker).await })
}

/// Logs a line at info level, or prints it when no tracing subscriber is installed (so the
/// route table shows up as it does in Hertz).
fn announce(line: &str) {
    if tracing::dispatcher::has_been_set() {
        tracing::info!("{line}");
    } else {
        eprintln!("{line}");
    }
}

impl Server {
    /// Starts serving in the background and returns a handle with the bound address. Must be
    /// called inside a tokio runtime.
    ///
    /// Every problem of the server — invalid or conflicting routes (both named), options that
    /// cannot work or contradict each other — is reported here as one error, and nothing is
    /// served.
    pub async fn start(self) -> Result<ServerHandle> {
        let service = Arc::new(self.build_service()?);
        if self.opts.print_routes {
            for r in self.routes() {
                let chain: Vec<&str> = r
                    .middleware
                    .iter()
                    .map(String::as_str)
                    .chain([r.handler.as_str()])
                    .collect();
                announce(&format!(
                    "khz route: {:<7} {:<40} --> {}",
                    r.method.as_str(),
                    r.path,
                    chain.join(" -> ")
                ));
            }
        }
        let (on_run, on_shutdown) = {
            let regs = self.reg.lock();
            (regs.on_run.clone(), regs.on_shutdown.clone())
        };
        for hook in &on_run {
            hook().await.map_err(|e| {
                let message = format!("on_run hook failed: {e}");
                Error::with_source(ErrorKind::Hook, message, e)
            })?;
        }
        let listener = match self.listener {
            Some(l) => transport::from_std(l)?,
            None => {
                let mut listen: ListenOptions = self.opts.listen.clone();
                // Each epoll worker gets its own accept queue: a SO_REUSEPORT sibling.
                listen.reuse_port |= self.opts.transport == Transport::Epoll;
                transport::bind(resolve(&self.opts.addr)?, &listen)?
            }
        };
        let addr = listener.local_addr()?;
        let shutdown = Shutdown::new();
        let tracker = TaskTracker::new();
        #[allow(unused_mut)]
        let mut h1 = self.opts.h1.clone();
        let (max, workers) = (self.opts.max_connections, self.opts.workers.unwrap_or(0));
        #[cfg(feature = "http3")]
        let (http3, worker_start) = {
            let epoll_workers = (self.opts.transport == Transport::Epoll)
                .then(|| EpollEngine::new(workers, max).worker_count());
            match super::run_http3::start_http3(
                &self.opts.protocols,
                &service,
                (addr, epoll_workers),
                &mut h1,
                (&shutdown, &tracker),
            )? {
                Some((running, job)) => (Some(running), job),
                None => (None, None),
            }
        };
        #[cfg(not(feature = "http3"))]
        let worker_start = None;
        let handler = Arc::new(self.opts.protocols.suite(service, &h1));
        let serving = (listener, handler, shutdown.clone(), tracker.clone());
        let accept = match self.opts.transport {
            Transport::Std => spawn_engine(
                StdEngine::new(max).watchdog(self.opts.std_watchdog),
                serving,
            ),
            Transport::Epoll => spawn_engine(
                EpollEngine::new(workers, max)
                    .pin_cpus(self.opts.cpu_affinity)
                    .on_worker_start(worker_start),
                serving,
            ),
        };
        Ok(ServerHandle {
            addr,
            #[cfg(feature = "http3")]
            http3,
            shutdown,
            tracker,
            accept,
            on_shutdown,
            exit_wait: self.opts.exit_wait_time,
        })
    }

    /// Serves until SIGINT, SIGTERM or SIGHUP, then shuts down gracefully. Must be called inside
    /// a tokio runtime (e.g. under `#[tokio::main]`).
    pub async fn spin(self) -> Result<()> {
        let scheme = self.opts.protocols.scheme();
        let handle = self.start().await?;
        announce(&format!(
            "khz listening on {scheme}://{}",
            handle.local_addr()
        ));
        #[cfg(feature = "http3")]
        if let Some(h3) = handle.http3_addr() {
            announce(&format!("khz serving HTTP/3 on UDP {h3}"));
        }
        shutdown_signal().await;
        announce("khz shutting down gracefully");
        if let Err(e) = handle.shutdown().await {
            tracing::warn!(error = %e, "graceful shutdown incomplete");
        }
        Ok(())
    }

    /// Creates the runtime the engine needs and runs [`spin`](Server::spin) on it: for the std
    /// engine a multi-thread tokio runtime with [`workers`](Server::workers) threads; for the
    /// epoll engine (whose workers bring their own runtimes) a single-threaded one that only
    /// starts the server and waits for the shutdown signal.
    pub fn spin_blocking(self) -> Result<()> {
        let rt = match self.opts.transport {
            Transport::Std => {
                let workers = self.opts.workers.unwrap_or_else(cpu_count);
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .enable_all()
                    .build()?
            }
            Transport::Epoll => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        };
        rt.block_on(self.spin())
    }
}

impl ServerHandle {
    /// The address the server listens on (with the real port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The UDP address HTTP/3 is served on, when it is on.
    #[cfg(feature = "http3")]
    pub fn http3_addr(&self) -> Option<SocketAddr> {
        self.http3.as_ref().map(|h| h.addr)
    }

    /// Shuts down gracefully: stops accepting at once (TCP and QUIC), closes idle connections,
    /// lets in-flight requests finish (answered with `Connection: close` on HTTP/1.1, after a
    /// GOAWAY on HTTP/2 and HTTP/3) and runs the `on_shutdown` hooks. Fails with
    /// [`ErrorKind::ShutdownTimeout`] if that takes longer than the exit wait time.
    pub async fn shutdown(self) -> Result<()> {
        self.shutdown.trigger();
        let _ = self.accept.await;
        #[cfg(feature = "http3")]
        if let Some(accept) = self.http3.and_then(|h3| h3.accept) {
            let _ = accept.await;
        }
        // Closed once every accept loop is done: none spawns a connection task after this.
        self.tracker.close();
        let hooks = futures_util::future::join_all(self.on_shutdown.iter().map(|h| h()));
        let drain = async {
            for r in hooks.await {
                if let Err(e) = r {
                    tracing::warn!(error = %e, "on_shutdown hook failed");
                }
            }
            self.tracker.wait().await;
        };
        match tokio::time::timeout(self.exit_wait, drain).await {
            Ok(()) => Ok(()),
            Err(_) => Err(Error::new(
                ErrorKind::ShutdownTimeout,
                format!(
                    "{} connection(s) still open after the exit wait time",
                    self.tracker.len()
                ),
            )),
        }
    }
}

/// Resolves when the process receives SIGINT, SIGTERM or SIGHUP (Ctrl-C elsewhere).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut streams = Vec::new();
        for kind in [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ] {
            match signal(kind) {
                Ok(s) => streams.push(s),
                Err(e) => tracing::warn!(error = %e, "cannot listen for a signal"),
            }
        }
        if streams.is_empty() {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
        let waits = streams.iter_mut().map(|s| Box::pin(s.recv()));
        futures_util::future::select_all(waits).await;
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
