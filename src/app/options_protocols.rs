//! Server options for the protocols beyond cleartext HTTP/1.1: HTTP/2 (`http2`, on by default,
//! and its limits), h2c with prior knowledge, TLS (`tls`, `tls_pem`, handshake timeout,
//! certificate reload) and user protocols registered by ALPN name. The rows of the options
//! table in [`options`](super::options) list them with their defaults.

use std::fmt;
use std::sync::Arc;
#[cfg(any(feature = "http2", feature = "tls"))]
use std::time::Duration;

use super::dispatch::AppService;
use super::server::Server;
use crate::protocol::http1::H1Config;
#[cfg(feature = "http2")]
use crate::protocol::http2::H2Config;
use crate::protocol::suite::{NamedProtocol, ProtocolServer, Suite};
#[cfg(feature = "tls")]
use crate::transport::{TlsAcceptor, TlsReloader};
#[cfg(feature = "tls")]
use crate::{Error, ErrorKind};

/// The protocol options (part of the server's options).
#[derive(Clone)]
pub(crate) struct ProtocolOptions {
    /// HTTP/2 settings (kept whether or not HTTP/2 is on, so setter order never matters).
    #[cfg(feature = "http2")]
    pub(crate) h2: H2Config,
    /// `http2(on)`.
    #[cfg(feature = "http2")]
    pub(crate) h2_on: bool,
    pub(crate) h2c: bool,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<TlsAcceptor>,
    #[cfg(feature = "tls")]
    pub(crate) tls_handshake_timeout: Duration,
    /// HTTP/3: on/off, port, limits, `Alt-Svc`.
    #[cfg(feature = "http3")]
    pub(crate) h3: super::options_http3::Http3Options,
    pub(crate) custom: Vec<NamedProtocol>,
}

impl Default for ProtocolOptions {
    fn default() -> Self {
        ProtocolOptions {
            #[cfg(feature = "http2")]
            h2: H2Config::default(),
            #[cfg(feature = "http2")]
            h2_on: true,
            h2c: false,
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            tls_handshake_timeout: crate::transport::tls::DEFAULT_HANDSHAKE_TIMEOUT,
            #[cfg(feature = "http3")]
            h3: Default::default(),
            custom: Vec::new(),
        }
    }
}

impl fmt::Debug for ProtocolOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ProtocolOptions");
        #[cfg(feature = "http2")]
        d.field("h2", &self.h2).field("h2_on", &self.h2_on);
        d.field("h2c", &self.h2c);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls.is_some());
        #[cfg(feature = "http3")]
        d.field("h3", &self.h3);
        d.field("custom", &self.custom).finish()
    }
}

impl ProtocolOptions {
    /// Everything wrong with these values, each problem naming the options involved.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        #[cfg(feature = "http2")]
        if self.h2_on {
            if let Err(msg) = self.h2.validate() {
                out.push(msg.to_owned());
            }
        }
        if self.h2c && !self.http2_on() {
            out.push(if cfg!(feature = "http2") {
                "h2c(true) needs HTTP/2, but http2(false) is set".to_owned()
            } else {
                "h2c(true) needs HTTP/2: build with the `http2` feature".to_owned()
            });
        }
        #[cfg(feature = "http3")]
        out.extend(self.h3.problems(self.tls.is_some()));
        #[cfg(feature = "tls")]
        if self.tls_handshake_timeout.is_zero() {
            out.push("tls_handshake_timeout must be greater than zero".to_owned());
        }
        if !self.custom.is_empty() && self.scheme() != "https" {
            out.push(format!(
                "protocol({:?}) is chosen by ALPN and needs TLS, but neither tls nor tls_pem is set",
                String::from_utf8_lossy(&self.custom[0].name)
            ));
        }
        for p in &self.custom {
            if p.name.is_empty() || p.name.len() > 255 {
                out.push("protocol names must be 1 to 255 bytes long".to_owned());
            }
            if p.name == b"h2" || p.name == b"http/1.1" {
                out.push(format!(
                    "protocol({:?}): h2 and http/1.1 are built in; register other protocol names",
                    String::from_utf8_lossy(&p.name)
                ));
            }
        }
        out
    }

    /// Whether HTTP/2 is served.
    pub(crate) fn http2_on(&self) -> bool {
        #[cfg(feature = "http2")]
        return self.h2_on;
        #[cfg(not(feature = "http2"))]
        false
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
        if self.h2_on {
            suite = suite.http2(self.h2.clone());
        }
        for p in &self.custom {
            suite = suite.protocol(p.name.clone(), p.server.clone());
        }
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            // Resolved here, at start: the timeout set before or after `tls(..)`, and the ALPN
            // list of every protocol registered before or after it.
            suite = suite.tls(
                tls.clone()
                    .with_handshake_timeout(self.tls_handshake_timeout),
            );
        }
        suite
    }
}

#[cfg(feature = "http2")]
impl Server {
    fn h2_config(&mut self) -> &mut H2Config {
        &mut self.opts.protocols.h2
    }

    /// Serves HTTP/2 (default on): offered as `h2` by ALPN on TLS, and spoken on cleartext
    /// connections when [`h2c`](Server::h2c) is on. Off: HTTP/1.1 only. The `http2_*` settings
    /// are kept either way and never switch HTTP/2 back on.
    pub fn http2(mut self, on: bool) -> Self {
        self.opts.protocols.h2_on = on;
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

    /// All HTTP/2 settings at once (does not switch HTTP/2 on or off).
    pub fn http2_config(mut self, cfg: H2Config) -> Self {
        self.opts.protocols.h2 = cfg;
        self
    }
}

#[cfg(feature = "tls")]
impl Server {
    /// Serves HTTPS with `config` (rustls). Its ALPN list, if empty, is filled in: `h2` (when
    /// HTTP/2 is on), `http/1.1`, then the names of [`protocol`](Server::protocol)s.
    pub fn tls(mut self, config: rustls::ServerConfig) -> Self {
        self.opts.protocols.tls = Some(TlsAcceptor::new(config));
        self
    }

    /// Serves HTTPS with the certificate chain and private key in PEM files (TLS 1.2 and 1.3,
    /// ring provider). Files that cannot be read or do not fit together are reported by
    /// `start` / `spin`.
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
    /// let server = Server::default()
    ///     .addr("0.0.0.0:8443")
    ///     .tls_pem("cert.pem", "key.pem"); // h2 and http/1.1 by ALPN
    /// server.get("/", hello);
    /// server.spin().await
    /// # }
    /// ```
    pub fn tls_pem(
        mut self,
        cert: impl AsRef<std::path::Path>,
        key: impl AsRef<std::path::Path>,
    ) -> Self {
        match TlsAcceptor::from_pem(cert.as_ref(), key.as_ref()) {
            Ok(acceptor) => self.opts.protocols.tls = Some(acceptor),
            Err(e) => self.option_errors.push(Error::with_source(
                ErrorKind::Config,
                format!(
                    "tls_pem({}, {}): {e}",
                    cert.as_ref().display(),
                    key.as_ref().display()
                ),
                e,
            )),
        }
        self
    }

    /// Time allowed for a TLS handshake (default 10 s); slower clients are dropped.
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.opts.protocols.tls_handshake_timeout = timeout;
        self
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
    /// let server = Server::default().protocol("greet/1", greet);
    /// ```
    pub fn protocol(mut self, name: &str, server: impl ProtocolServer) -> Self {
        self.opts.protocols.custom.push(NamedProtocol {
            name: name.as_bytes().to_vec(),
            server: Arc::new(server),
        });
        self
    }
}
