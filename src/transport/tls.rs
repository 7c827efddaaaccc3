//! TLS termination with rustls (cargo feature `tls`): the [`TlsAcceptor`] that performs the
//! server handshake on an accepted TCP stream within a deadline, and the [`TlsReloader`] that
//! swaps certificates (or the whole rustls configuration) without a restart.
//!
//! The acceptor holds the current [`ServerConfig`] behind a lock that is read once per new
//! connection; a reload installs a new configuration for every connection accepted after it,
//! while open connections keep the one they shook hands with. ALPN protocol names are plain
//! bytes here — the protocol layer says which ones to offer — and are filled into every
//! installed configuration that does not list its own.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::TcpStream;
pub(crate) use tokio_rustls::server::TlsStream;

/// Default time allowed for a TLS handshake.
pub(crate) const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Called with every configuration installed by a reload (HTTP/3's endpoint follows them).
type ReloadHook = Box<dyn Fn(&ServerConfig) + Send + Sync>;

#[derive(Default)]
struct Hooks(std::sync::Mutex<Vec<ReloadHook>>);

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |h| h.len());
        write!(f, "Hooks({n})")
    }
}

#[derive(Debug)]
struct Shared {
    config: RwLock<Arc<ServerConfig>>,
    alpn: RwLock<Vec<Vec<u8>>>,
    hooks: Hooks,
}

impl Shared {
    fn install(&self, mut config: ServerConfig) {
        if config.alpn_protocols.is_empty() {
            config.alpn_protocols = self
                .alpn
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
        }
        let config = Arc::new(config);
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = config.clone();
        for hook in self
            .hooks
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            hook(&config);
        }
    }

    fn current(&self) -> Arc<ServerConfig> {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Performs TLS server handshakes with the current configuration.
#[derive(Debug, Clone)]
pub(crate) struct TlsAcceptor {
    shared: Arc<Shared>,
    handshake_timeout: Duration,
}

/// A handle that replaces the TLS configuration of a running server; cheap to clone.
///
/// ```no_run
/// # fn demo(reloader: khz::transport::TlsReloader) -> std::io::Result<()> {
/// // e.g. on SIGHUP, after the certificate files were renewed:
/// reloader.reload_pem("/etc/khz/cert.pem", "/etc/khz/key.pem")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TlsReloader {
    shared: Arc<Shared>,
}

/// Why a TLS connection was not established.
#[derive(Debug)]
pub(crate) enum HandshakeError {
    /// The client did not complete the handshake in time.
    Timeout,
    /// The handshake failed (bad client hello, no common protocol version, cipher suite or
    /// ALPN protocol, the peer went away …).
    Failed(io::Error),
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::Timeout => f.write_str("TLS handshake timed out"),
            HandshakeError::Failed(e) => write!(f, "TLS handshake failed: {e}"),
        }
    }
}

impl std::error::Error for HandshakeError {}

impl TlsAcceptor {
    /// An acceptor for `config` (its ALPN list is kept if it has one).
    pub(crate) fn new(config: ServerConfig) -> Self {
        let shared = Arc::new(Shared {
            config: RwLock::new(Arc::new(config)),
            alpn: RwLock::new(Vec::new()),
            hooks: Hooks::default(),
        });
        TlsAcceptor {
            shared,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// An acceptor for a certificate chain and private key in PEM files.
    pub(crate) fn from_pem(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<Self> {
        Ok(Self::new(config_from_pem(cert.as_ref(), key.as_ref())?))
    }

    /// Sets the time allowed for a handshake (default 10 s).
    pub(crate) fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Offers `protocols` by ALPN (in order of preference) in the current and every later
    /// configuration that does not list protocols of its own.
    pub(crate) fn set_alpn(&self, protocols: Vec<Vec<u8>>) {
        *self
            .shared
            .alpn
            .write()
            .unwrap_or_else(PoisonError::into_inner) = protocols;
        let current = (*self.shared.current()).clone();
        self.shared.install(current);
    }

    /// The configuration new connections get now.
    #[cfg(feature = "http3")]
    pub(crate) fn current_config(&self) -> Arc<ServerConfig> {
        self.shared.current()
    }

    /// Calls `hook` with every configuration a reload installs from now on.
    #[cfg(feature = "http3")]
    pub(crate) fn on_reload(&self, hook: impl Fn(&ServerConfig) + Send + Sync + 'static) {
        self.shared
            .hooks
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(hook));
    }

    /// A handle that reloads this acceptor's configuration.
    pub(crate) fn reloader(&self) -> TlsReloader {
        TlsReloader {
            shared: self.shared.clone(),
        }
    }

    /// Runs the server handshake on `stream` from `peer`, bounded by the handshake timeout. A
    /// failure is logged (at `warn`, with the peer and the reason) before the socket closes.
    pub(crate) async fn accept(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
    ) -> Result<TlsStream<TcpStream>, HandshakeError> {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.shared.current());
        let handshake = acceptor.accept(stream).into_fallible();
        tokio::pin!(handshake);
        // The socket stays open until the failure is logged.
        let (err, _socket) =
            match tokio::time::timeout(self.handshake_timeout, &mut handshake).await {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err((e, socket))) => (HandshakeError::Failed(e), Some(socket)),
                Err(_) => (HandshakeError::Timeout, None),
            };
        tracing::warn!(peer = %peer, error = %err, "TLS connection dropped");
        Err(err)
    }
}

impl TlsReloader {
    /// Installs `config` for connections accepted from now on. If it lists no ALPN protocols,
    /// the server's are filled in.
    pub fn reload(&self, config: ServerConfig) {
        self.shared.install(config);
    }

    /// Loads a certificate chain and key from PEM files and installs them (with the
    /// server's ALPN protocols). On error the running configuration stays as it was.
    pub fn reload_pem(&self, cert: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<()> {
        let config = config_from_pem(cert.as_ref(), key.as_ref())?;
        self.shared.install(config);
        Ok(())
    }
}

/// The ALPN protocol the client and server agreed on, if any.
pub(crate) fn negotiated_alpn(stream: &TlsStream<TcpStream>) -> Option<&[u8]> {
    stream.get_ref().1.alpn_protocol()
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn load_pem(
    cert: &Path,
    key: &Path,
) -> io::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let read = |p: &Path| {
        std::fs::read(p)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", p.display())))
    };
    let cert_pem = read(cert)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("bad certificate PEM in {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(invalid(format!("no certificate in {}", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(key)?)
        .map_err(|e| invalid(format!("bad private key PEM in {}: {e}", key.display())))?;
    Ok((certs, key))
}

/// A server configuration (ring provider, TLS 1.2 and 1.3, no client authentication) for the
/// certificate chain and key in PEM files.
pub(crate) fn config_from_pem(cert: &Path, key: &Path) -> io::Result<ServerConfig> {
    let (certs, key) = load_pem(cert, key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS configuration: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(format!("certificate and key do not fit: {e}")))
}
