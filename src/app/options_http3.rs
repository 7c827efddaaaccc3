//! Server options for HTTP/3 (feature `http3`): switching it on, its UDP port, its limits
//! ([`H3Config`]), 0-RTT, and the `Alt-Svc` header that tells HTTP/1.1 and HTTP/2 clients
//! where to find it. The rows of the options table in [`options`](super::options) list them
//! with their defaults.

use std::time::Duration;

use http::HeaderValue;

use super::server::Server;
use crate::protocol::http3::H3Config;

/// The HTTP/3 options (part of the protocol options).
#[derive(Debug, Clone)]
pub(crate) struct Http3Options {
    pub(crate) on: bool,
    pub(crate) cfg: H3Config,
    /// UDP port; `None`: the TCP listener's port.
    pub(crate) port: Option<u16>,
    /// `ma` of the `Alt-Svc` header; `None`: no header.
    pub(crate) alt_svc_max_age: Option<Duration>,
}

impl Default for Http3Options {
    fn default() -> Self {
        Http3Options {
            on: false,
            cfg: H3Config::default(),
            port: None,
            alt_svc_max_age: Some(Duration::from_secs(86_400)),
        }
    }
}

impl Http3Options {
    /// Everything wrong with these values (`tls_on`: whether TLS is configured).
    pub(crate) fn problems(&self, tls_on: bool) -> Vec<String> {
        let mut out = Vec::new();
        if !self.on {
            return out;
        }
        if !tls_on {
            out.push("http3(true) needs TLS (QUIC is always encrypted): set tls or tls_pem".into());
        }
        if let Err(msg) = self.cfg.validate() {
            out.push(msg.to_owned());
        }
        out
    }

    /// The `Alt-Svc` value advertising HTTP/3 on `port`, if advertising is on.
    pub(crate) fn alt_svc(&self, port: u16) -> Option<HeaderValue> {
        let age = self.alt_svc_max_age?.as_secs();
        HeaderValue::try_from(format!("h3=\":{port}\"; ma={age}")).ok()
    }
}

impl Server {
    fn h3(&mut self) -> &mut Http3Options {
        &mut self.opts.protocols.h3
    }

    /// Serves HTTP/3 over QUIC (default off; needs [`tls`](Server::tls) or
    /// [`tls_pem`](Server::tls_pem), whose certificate it shares, reloads included): on UDP at
    /// the TCP listener's port number (or [`http3_port`](Server::http3_port)), with the same
    /// routes, middleware and limits as HTTP/1.1 and HTTP/2. HTTP/1.1 and HTTP/2 responses then
    /// carry `Alt-Svc: h3=":PORT"; ma=86400`, so browsers switch to it.
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
    ///     .tls_pem("cert.pem", "key.pem")
    ///     .http3(true); // TCP 8443: HTTP/1.1 + HTTP/2; UDP 8443: HTTP/3
    /// server.get("/", hello);
    /// server.spin().await
    /// # }
    /// ```
    pub fn http3(mut self, on: bool) -> Self {
        self.h3().on = on;
        self
    }

    /// The UDP port of HTTP/3 (default: the TCP listener's port number).
    pub fn http3_port(mut self, port: u16) -> Self {
        self.h3().port = Some(port);
        self
    }

    /// Accepts 0-RTT requests from resuming clients (default off): one round trip sooner, but
    /// replayable, so until the handshake completes only GET, HEAD, OPTIONS and TRACE are
    /// served and other methods get `425 Too Early`.
    pub fn http3_zero_rtt(mut self, on: bool) -> Self {
        self.h3().cfg.zero_rtt = on;
        self
    }

    /// Requests a client may have open at once on one HTTP/3 connection (default 200).
    pub fn http3_max_concurrent_streams(mut self, n: u32) -> Self {
        self.h3().cfg.max_concurrent_streams = n;
        self
    }

    /// A QUIC connection that carries no packet for this long is closed (default 30 s).
    pub fn http3_idle_timeout(mut self, timeout: Duration) -> Self {
        self.h3().cfg.idle_timeout = timeout;
        self
    }

    /// `Alt-Svc` on HTTP/1.1 and HTTP/2 responses while HTTP/3 is on: `Some(max_age)` (default
    /// one day) or `None` for no header (clients then find HTTP/3 only by DNS or config).
    /// A handler's own `Alt-Svc` header is left alone.
    pub fn http3_alt_svc(mut self, max_age: Option<Duration>) -> Self {
        self.h3().alt_svc_max_age = max_age;
        self
    }

    /// All HTTP/3 settings at once (does not switch HTTP/3 on or off).
    pub fn http3_config(mut self, cfg: H3Config) -> Self {
        self.h3().cfg = cfg;
        self
    }
}
