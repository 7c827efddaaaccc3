//! Server options for the protocols beyond cleartext HTTP/1.1: HTTP/2 (`http2`, on by default,
//! and its limits), h2c with prior knowledge, TLS (`tls`, `tls_pem`, handshake timeout,
//! certificate reload) and user protocols registered by ALPN name. The rows of the options
//! table in [`options`](super::options) list them with their defaults.

use std::fmt;
use std::sync::Arc;
#[cfg(any(feature = "http2", feature = "tls"))]
use std::time::Duration;

use super::engine::AppService;
use super::server::Server;
use crate::protocol::http1::H1Config;
#[cfg(feature = "http2")]
use crate::protocol::http2::H2Config;
use crate::protocol::suite::{NamedProtocol, ProtocolServer, Suite};
#[cfg(feature = "tls")]
use crate::transport::{TlsAcceptor, TlsReloader};
use crate::{Error, ErrorKind, Result};

/// The protocol options (part of the server's options).
#[derive(Clone)]
pub(crate) struct ProtocolOptions {
    /// HTTP/2 settings; `None` when HTTP/2 is switched off.
    #[cfg(feature = "http2")]
    pub(crate) h2: Option<H2Config>,
    pub(crate) h2c: bool,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<TlsAcceptor>,
    #[cfg(feature = "tls")]
    pub(crate) tls_handshake_timeout: Duration,
    pub(crate) custom: Vec<NamedProtocol>,
}

impl Default for ProtocolOptions {
    fn default() -> Self {
        ProtocolOptions {
            #[cfg(feature = "http2")]
            h2: Some(H2Config::default()),
            h2c: false,
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            tls_handshake_timeout: crate::transport::tls::DEFAULT_HANDSHAKE_TIMEOUT,
            custom: Vec::new(),
        }
    }
}

impl fmt::Debug for ProtocolOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ProtocolOptions");
        #[cfg(feature = "http2")]
        d.field("h2", &self.h2);
        d.field("h2c", &self.h2c);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls.is_some());
        d.field("custom", &self.custom).finish()
    }
}

impl ProtocolOptions {
    /// Rejects values that cannot work.
    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |msg: &'static str| Err(Error::new(ErrorKind::Config, msg));
        #[cfg(feature = "http2")]
        if let Some(h2) = &self.h2 {
            if let Err(msg) = h2.validate() {
                return bad(msg);
            }
        }
        #[cfg(feature = "http2")]
        let h2_on = self.h2.is_some();
        #[cfg(not(feature = "http2"))]
        let h2_on = false;
        if self.h2c && !h2_on {
            return bad("h2c needs HTTP/2 (the `http2` feature, and http2(true))");
        }
        #[cfg(feature = "tls")]
        if self
            .tls
            .as_ref()
            .is_some_and(|t| t.handshake_timeout().is_zero())
        {
            return bad("tls_handshake_timeout must be greater than zero");
        }
        if !self.custom.is_empty() && self.scheme() != "https" {
            return bad("protocols registered by ALPN name need TLS (tls or tls_pem)");
        }
        for p in &self.custom {
            if p.name.is_empty() || p.name.len() > 255 {
                return bad("protocol names must be 1 to 255 bytes long");
            }
            if p.name == b"h2" || p.name == b"http/1.1" {
                return bad("h2 and http/1.1 are built in; register other protocol names");
            }
        }
        Ok(())
    }

    /// `https` when TLS is on, else `http`.
    pub(crate) fn scheme(&self) -> &'static str {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return "https";
        }
        "http"
    }

    /// The connection handler serving `service` with these protocols.
    pub(crate) fn suite(&self, service: Arc<AppService>, h1: &H1Config) -> Suite<AppService> {
        let mut suite = Suite::new(service, h1.clone()).h2c(self.h2c);
        #[cfg(feature = "http2")]
        if let Some(h2) = &self.h2 {
            suite = suite.http2(h2.clone());
        }
        for p in &self.custom {
            suite = suite.protocol(p.name.clone(), p.server.clone());
        }
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            suite = suite.tls(tls.clone());
        }
        suite
    }
}

#[cfg(feature = "http2")]
impl Server {
    fn h2_config(&mut self) -> &mut H2Config {
        self.opts.protocols.h2.get_or_insert_with(H2Config::default)
    }

    /// Serves HTTP/2 (default on): offered as `h2` by ALPN on TLS, and spoken on cleartext
    /// connections when [`h2c`](Server::h2c) is on. Off: HTTP/1.1 only.
    pub fn http2(mut self, on: bool) -> Self {
        self.opts.protocols.h2 = on.then(|| self.opts.protocols.h2.take().unwrap_or_default());
        self
    }

    /// Serves HTTP/2 with prior knowledge (h2c) on the cleartext port, next to HTTP/1.1: each
    /// connection is sniffed for the HTTP/2 preface (default off).
    ///
    /// ```no_run
    /// # async fn demo() -> khz::Result<()> {
    /// let server = khz::app::Server::default().addr("127.0.0.1:8080").h2c(true);
    /// // curl --http2-prior-knowledge http://127.0.0.1:8080/ speaks HTTP/2 to it
    /// server.spin().await
    /// # }
    /// ```
    pub fn h2c(mut self, on: bool) -> Self {
        self.opts.protocols.h2c = on;
        self
    }

    /// Most concurrently open streams per HTTP/2 connection (default 200; more are refused
    /// with RST_STREAM `REFUSED_STREAM`).
    pub fn http2_max_concurrent_streams(mut self, n: u32) -> Self {
        self.h2_config().max_concurrent_streams = n;
        self
    }

    /// Initial flow-control window of each HTTP/2 stream in bytes (default 1 MiB).
    pub fn http2_initial_stream_window_size(mut self, bytes: u32) -> Self {
        self.h2_config().initial_stream_window_size = bytes;
        self
    }

    /// Initial flow-control window of each HTTP/2 connection in bytes (default 2 MiB).
    pub fn http2_initial_connection_window_size(mut self, bytes: u32) -> Self {
        self.h2_config().initial_connection_window_size = bytes;
        self
    }

    /// Largest HTTP/2 frame payload accepted (16 KiB ..= 16 MiB − 1; default 16 KiB).
    pub fn http2_max_frame_size(mut self, bytes: u32) -> Self {
        self.h2_config().max_frame_size = bytes;
        self
    }

    /// Largest decoded HTTP/2 header list (default: [`max_header_bytes`](Server::max_header_bytes));
    /// larger → 431 and the stream is reset.
    pub fn http2_max_header_list_size(mut self, bytes: u32) -> Self {
        self.h2_config().max_header_list_size = Some(bytes);
        self
    }

    /// Sends an HTTP/2 PING every `interval` and drops the connection if one is not answered
    /// within `timeout` (default: no PINGs; the timeout defaults to 20 s).
    pub fn http2_keep_alive(mut self, interval: Duration, timeout: Duration) -> Self {
        let cfg = self.h2_config();
        cfg.keep_alive_interval = Some(interval);
        cfg.keep_alive_timeout = timeout;
        self
    }

    /// Streams a client may reset before the server accepted them, at most, before the
    /// connection is closed with GOAWAY `ENHANCE_YOUR_CALM` (rapid-reset protection; default 20).
    pub fn http2_max_pending_accept_reset_streams(mut self, n: usize) -> Self {
        self.h2_config().max_pending_accept_reset_streams = n;
        self
    }

    /// Streams the server may reset for a client's protocol errors, at most, before GOAWAY
    /// `ENHANCE_YOUR_CALM` (default 1024).
    pub fn http2_max_local_error_reset_streams(mut self, n: usize) -> Self {
        self.h2_config().max_local_error_reset_streams = n;
        self
    }

    /// All HTTP/2 settings at once.
    pub fn http2_config(mut self, cfg: H2Config) -> Self {
        self.opts.protocols.h2 = Some(cfg);
        self
    }
}

#[cfg(feature = "tls")]
impl Server {
    /// Serves HTTPS with `config` (rustls). Its ALPN list, if empty, is filled in: `h2` (when
    /// HTTP/2 is on), `http/1.1`, then the names of [`protocol`](Server::protocol)s.
    pub fn tls(mut self, config: rustls::ServerConfig) -> Self {
        let timeout = self.tls_timeout();
        self.opts.protocols.tls = Some(TlsAcceptor::new(config).with_handshake_timeout(timeout));
        self
    }

    /// Serves HTTPS with the certificate chain and private key in PEM files (TLS 1.2 and 1.3,
    /// ring provider). Fails if the files cannot be read or do not fit together.
    ///
    /// ```no_run
    /// use khz::prelude::*;
    ///
    /// async fn hello(ctx: &mut RequestContext) {
    ///     let version = ctx.protocol();
    ///     ctx.string(StatusCode::OK, format!("hello over {version:?}"));
    /// }
    ///
    /// # async fn demo() -> khz::Result<()> {
    /// let mut server = Server::default()
    ///     .addr("0.0.0.0:8443")
    ///     .tls_pem("cert.pem", "key.pem")?; // h2 and http/1.1 by ALPN
    /// server.get("/", hello)?;
    /// server.spin().await
    /// # }
    /// ```
    pub fn tls_pem(
        mut self,
        cert: impl AsRef<std::path::Path>,
        key: impl AsRef<std::path::Path>,
    ) -> Result<Self> {
        let acceptor = TlsAcceptor::from_pem(cert, key)
            .map_err(|e| Error::from_source(ErrorKind::Config, e))?;
        let timeout = self.tls_timeout();
        self.opts.protocols.tls = Some(acceptor.with_handshake_timeout(timeout));
        Ok(self)
    }

    /// Time allowed for a TLS handshake (default 10 s); slower clients are dropped.
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.opts.protocols.tls_handshake_timeout = timeout;
        if let Some(t) = self.opts.protocols.tls.take() {
            self.opts.protocols.tls = Some(t.with_handshake_timeout(timeout));
        }
        self
    }

    fn tls_timeout(&self) -> Duration {
        self.opts.protocols.tls_handshake_timeout
    }

    /// A handle that swaps the TLS configuration or certificate of the running server; new
    /// connections use the new one, open ones keep theirs. `None` until TLS is set.
    pub fn tls_reloader(&self) -> Option<TlsReloader> {
        self.opts.protocols.tls.as_ref().map(TlsAcceptor::reloader)
    }
}

impl Server {
    /// Registers a protocol server under an ALPN name (Hertz `AddProtocol`): TLS clients that
    /// negotiate `name` are handed to it instead of HTTP.
    ///
    /// ```
    /// use khz::prelude::*;
    /// use khz::protocol::{ConnInfo, Upgraded};
    /// use khz::transport::Shutdown;
    /// use tokio::io::AsyncWriteExt;
    ///
    /// async fn greet(mut io: Upgraded, _info: ConnInfo, _shutdown: Shutdown) {
    ///     let _ = io.write_all(b"hello\n").await;
    /// }
    /// let mut server = Server::default();
    /// server.protocol("greet/1", greet);
    /// ```
    pub fn protocol(&mut self, name: &str, server: impl ProtocolServer) -> &mut Self {
        self.opts.protocols.custom.push(NamedProtocol {
            name: name.as_bytes().to_vec(),
            server: Arc::new(server),
        });
        self
    }
}
