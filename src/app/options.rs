//! Server options, set with builder methods named after Hertz's `server.With…` options. Each
//! takes and returns the server (`Server::default().addr(..).read_timeout(..)`), never fails,
//! and is resolved when the server starts: setter order never matters, and a value that cannot
//! work — or two options that contradict each other — is reported by `start` / `spin` as one
//! error naming both, before anything is served.
//!
//! | option | default | effect |
//! |---|---|---|
//! | [`addr`](Server::addr) | `0.0.0.0:8888` | listen address (Hertz `WithHostPorts`) |
//! | [`listener`](Server::listener) | – | serve on a listener bound by the caller |
//! | [`base_path`](Server::base_path) | `/` | prefix of every route, registered before or after |
//! | [`read_timeout`](Server::read_timeout) | 30 s | whole request, from its first byte → 408 |
//! | [`idle_timeout`](Server::idle_timeout) | 60 s | keep-alive wait for the next request → close |
//! | [`idle_release`](Server::idle_release) | 1 s | idle that long, a connection gives its buffers back |
//! | [`write_timeout`](Server::write_timeout) | 60 s | writing one response → drop |
//! | [`keep_alive`](Server::keep_alive) | on | HTTP keep-alive |
//! | [`max_request_body_size`](Server::max_request_body_size) | 4 MiB | larger → 413 |
//! | [`stream_request_body`](Server::stream_request_body) | off | stream every body to handlers (per route: [`Route::stream_body`](crate::app::server::Route::stream_body)) |
//! | [`max_stream_body_size`](Server::max_stream_body_size) | unlimited | larger streamed body → 413 |
//! | [`max_header_bytes`](Server::max_header_bytes) | 64 KiB | larger head → 431 (Hertz: 1 MiB) |
//! | [`max_uri_len`](Server::max_uri_len) | 8 KiB | longer target → 414 |
//! | [`max_headers`](Server::max_headers) | 128 | more header lines → 431 |
//! | [`max_connections`](Server::max_connections) | 16384 | at the limit, accepting pauses |
//! | [`exit_wait_time`](Server::exit_wait_time) | 5 s | graceful-shutdown limit |
//! | [`disable_date_header`](Server::disable_date_header) | off | no `Date` header |
//! | [`server_header`](Server::server_header) | `khz` | `Server` header value, `None` to omit |
//! | [`handle_method_not_allowed`](Server::handle_method_not_allowed) | off | 405 + `Allow` instead of 404 |
//! | [`redirect_trailing_slash`](Server::redirect_trailing_slash) | on | `/a/` ↔ `/a` (301 GET, 307 other) |
//! | [`redirect_fixed_path`](Server::redirect_fixed_path) | off | clean + case-insensitive redirect |
//! | [`use_raw_path`](Server::use_raw_path) | off | route on the encoded path |
//! | [`print_routes`](Server::print_routes) | on | route table printed at start-up |
//! | [`transport`](Server::transport) | `Std` | engine: `Transport::Std` (tokio tasks) or `Transport::Epoll` (thread-per-core) |
//! | [`workers`](Server::workers) | CPU count | epoll event-loop threads; runtime threads of [`spin_blocking`](Server::spin_blocking) on std |
//! | [`cpu_affinity`](Server::cpu_affinity) | off | pin epoll workers to the CPUs the process may use (epoll only) |
//! | [`std_watchdog`](Server::std_watchdog) | off | keep the std engine's I/O driver serviced while a handler blocks a worker (std only) |
//! | [`trusted_proxies`](Server::trusted_proxies) | none | proxies whose forwarding headers `client_ip` believes (invalid CIDR → `Err`) |
//! | [`client_ip_headers`](Server::client_ip_headers) | `X-Forwarded-For`, `X-Real-IP` | headers carrying the client address |
//! | `max_multipart_size` | 64 MiB | larger multipart body → 413 (feature `multipart`) |
//! | `max_multipart_part_size` | 32 MiB | larger part → 413 |
//! | `max_multipart_parts` | 1000 | more parts → 413 |
//! | `multipart_memory_threshold` | 1 MiB | larger uploaded files are spooled to a temporary file |
//! | `multipart_temp_dir` | system temp dir | where spooled uploads go (deleted when the request ends) |
//! | `http2` | on (feature `http2`) | HTTP/2: `h2` by ALPN on TLS, and h2c when on |
//! | `h2c` | off | HTTP/2 with prior knowledge next to HTTP/1.1 on the cleartext port |
//! | `http2_max_concurrent_streams` | 200 | more open streams → RST_STREAM `REFUSED_STREAM` |
//! | `http2_initial_stream_window_size` / `…_connection_window_size` | 1 MiB / 2 MiB | flow-control windows |
//! | `http2_max_frame_size` | 16 KiB | largest frame accepted |
//! | `http2_max_header_list_size` | `max_header_bytes` | larger header block → 431 + RST_STREAM |
//! | `http2_keep_alive` | off (timeout 20 s) | PING interval; unanswered → connection dropped |
//! | `http2_max_pending_accept_reset_streams` | 20 | rapid-reset flood → GOAWAY `ENHANCE_YOUR_CALM` |
//! | `http2_max_local_error_reset_streams` | 1024 | error-reset flood → GOAWAY `ENHANCE_YOUR_CALM` |
//! | `tls` / `tls_pem` | – (feature `tls`) | HTTPS with rustls; ALPN `h2`, `http/1.1`, user protocols |
//! | `tls_handshake_timeout` | 10 s | slower handshakes are dropped |
//! | `tls_reloader` | – | swap certificate / configuration while running |
//! | [`protocol`](Server::protocol) | – | a user protocol server chosen by ALPN name |
//! | `http3` | off (feature `http3`) | HTTP/3 over QUIC on UDP, same routes and middleware; needs `tls` / `tls_pem` (shares the certificate and its reloads) |
//! | `http3_port` | the TCP port number | UDP port of HTTP/3 |
//! | `http3_alt_svc` | `Some(1 day)` | `Alt-Svc: h3=":PORT"; ma=86400` on HTTP/1.1 and HTTP/2 responses; `None`: no header |
//! | `http3_zero_rtt` | off | 0-RTT from resuming clients; until the handshake completes only GET, HEAD, OPTIONS, TRACE are served, other methods → 425 |
//! | `http3_max_concurrent_streams` | 200 | requests open at once on one connection (QUIC stream credit) |
//! | `http3_idle_timeout` | 30 s | QUIC idle timeout: no packets that long → connection closed |
//! | `http3_config` | `H3Config::default()` | the three above at once, plus receive windows (1 MiB per stream / 8 MiB per connection), keep-alive PINGs (off), GREASE (off) |
//! | idle / read / write timeouts, body / URI / header limits | as above | apply to HTTP/2 and HTTP/3 streams too (`max_header_bytes` is HTTP/3's `SETTINGS_MAX_FIELD_SECTION_SIZE`) |

use std::time::Duration;

use super::dispatch::RouteOptions;
use super::server::Server;
use crate::protocol::http1::H1Config;
use crate::transport::{ListenOptions, Transport};

/// All server options.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) addr: String,
    pub(crate) base_path: String,
    pub(crate) h1: H1Config,
    pub(crate) listen: ListenOptions,
    pub(crate) max_connections: usize,
    pub(crate) exit_wait_time: Duration,
    pub(crate) route: RouteOptions,
    pub(crate) print_routes: bool,
    pub(crate) workers: Option<usize>,
    pub(crate) transport: Transport,
    pub(crate) cpu_affinity: bool,
    /// The std engine's watchdog thread (see [`Server::std_watchdog`]).
    pub(crate) std_watchdog: bool,
    /// Stream every request body (Hertz `WithStreamBody`).
    pub(crate) stream_request_body: bool,
    /// Largest streamed request body (`None`: unlimited).
    pub(crate) max_stream_body_size: Option<u64>,
    /// Trusted proxies and forwarding headers for `client_ip`.
    pub(crate) client_ip: super::client_ip::ClientIpConfig,
    /// Limits of multipart parsing.
    #[cfg(feature = "multipart")]
    pub(crate) multipart: super::multipart::MultipartLimits,
    /// HTTP/2, h2c, TLS and user protocols (see `options_protocols.rs`).
    pub(crate) protocols: super::options_protocols::ProtocolOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            addr: "0.0.0.0:8888".to_owned(),
            base_path: "/".to_owned(),
            h1: H1Config::default(),
            listen: ListenOptions::default(),
            max_connections: 16384,
            exit_wait_time: Duration::from_secs(5),
            route: RouteOptions {
                redirect_trailing_slash: true,
                redirect_fixed_path: false,
                handle_method_not_allowed: false,
                use_raw_path: false,
            },
            print_routes: true,
            workers: None,
            transport: Transport::Std,
            cpu_affinity: false,
            std_watchdog: false,
            stream_request_body: false,
            max_stream_body_size: None,
            client_ip: Default::default(),
            #[cfg(feature = "multipart")]
            multipart: Default::default(),
            protocols: Default::default(),
        }
    }
}

impl Options {
    /// Everything wrong with these option values, each problem naming the option(s) involved.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut bad = |msg: &str| out.push(msg.to_owned());
        if self.h1.max_header_bytes < 1024 {
            bad("max_header_bytes must be at least 1024");
        }
        if self.h1.max_uri_len < 16 {
            bad("max_uri_len must be at least 16");
        }
        if self.h1.max_headers == 0
            || self.h1.max_headers > crate::protocol::http1::parse::MAX_HEADERS
        {
            bad("max_headers must be between 1 and 256");
        }
        if self.h1.read_timeout.is_zero()
            || self.h1.idle_timeout.is_zero()
            || self.h1.write_timeout.is_zero()
        {
            bad("timeouts must be greater than zero");
        }
        if self.workers == Some(0) {
            bad("workers must be at least 1");
        }
        if self.cpu_affinity && self.transport != Transport::Epoll {
            bad("cpu_affinity(true) needs transport(Transport::Epoll)");
        }
        if self.std_watchdog && self.transport != Transport::Std {
            bad("std_watchdog(true) needs transport(Transport::Std)");
        }
        if !self.base_path.starts_with('/') {
            bad("base_path must start with '/'");
        }
        out.extend(self.protocols.problems());
        out
    }
}

impl Server {
    /// Listen address, e.g. `"127.0.0.1:8080"` or `"[::]:443"`. A bare `":8080"` means all
    /// IPv4 interfaces, as in Hertz.
    pub fn addr(mut self, addr: impl Into<String>) -> Self {
        self.opts.addr = addr.into();
        self
    }

    /// Serve on a listener the caller already bound (takes precedence over [`Server::addr`]).
    pub fn listener(mut self, listener: std::net::TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Prefix of every route of this server (default `/`), whether registered before or after.
    pub fn base_path(mut self, prefix: impl Into<String>) -> Self {
        self.opts.base_path = prefix.into();
        self.reg.lock().base_path = self.opts.base_path.clone();
        self
    }

    /// Time allowed to receive a whole request once its first byte arrived (408 after).
    pub fn read_timeout(mut self, t: Duration) -> Self {
        self.opts.h1.read_timeout = t;
        self
    }

    /// Time an idle keep-alive connection is kept open.
    pub fn idle_timeout(mut self, t: Duration) -> Self {
        self.opts.h1.idle_timeout = t;
        self
    }

    /// Time a keep-alive connection waits for its next request before it gives its buffers'
    /// memory back (it keeps waiting, holding none, until the idle timeout). Default 1 s; a
    /// connection busier than this never allocates per request.
    pub fn idle_release(mut self, t: Duration) -> Self {
        self.opts.h1.idle_release = t;
        self
    }

    /// Time allowed to write one response.
    pub fn write_timeout(mut self, t: Duration) -> Self {
        self.opts.h1.write_timeout = t;
        self
    }

    /// Keep connections open between requests (default true).
    pub fn keep_alive(mut self, on: bool) -> Self {
        self.opts.h1.keep_alive = on;
        self
    }

    /// Largest accepted request body in bytes (413 above).
    pub fn max_request_body_size(mut self, bytes: usize) -> Self {
        self.opts.h1.max_body_bytes = bytes;
        self
    }

    /// Streams the request body of every route to its handler (Hertz `WithStreamBody`); see
    /// [`Route::stream_body`](crate::app::server::Route::stream_body) to stream only some routes.
    pub fn stream_request_body(mut self, on: bool) -> Self {
        self.opts.stream_request_body = on;
        self
    }

    /// Largest streamed request body in bytes: a larger `Content-Length` is answered 413 before
    /// the handler runs, and a chunked body that grows past it ends its stream with a 413
    /// [`BodyError`](crate::protocol::BodyError). Unlimited by default — the handler consumes
    /// the stream at its own pace and decides what to keep.
    pub fn max_stream_body_size(mut self, bytes: u64) -> Self {
        self.opts.max_stream_body_size = Some(bytes);
        self
    }

    /// Largest accepted request head in bytes (431 above; at least 1024).
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.opts.h1.max_header_bytes = bytes;
        self
    }

    /// Longest accepted request target (414 above).
    pub fn max_uri_len(mut self, bytes: usize) -> Self {
        self.opts.h1.max_uri_len = bytes;
        self
    }

    /// Most header lines per request (431 above; 1..=256).
    pub fn max_headers(mut self, n: usize) -> Self {
        self.opts.h1.max_headers = n;
        self
    }

    /// Most simultaneously open connections (0 = unlimited).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.opts.max_connections = n;
        self
    }

    /// How long graceful shutdown waits for in-flight requests.
    pub fn exit_wait_time(mut self, t: Duration) -> Self {
        self.opts.exit_wait_time = t;
        self
    }

    /// Omit the `Date` header.
    pub fn disable_date_header(mut self) -> Self {
        self.opts.h1.date_header = false;
        self
    }

    /// The `Server` header value; `None` omits it.
    pub fn server_header(mut self, value: Option<&'static str>) -> Self {
        self.opts.h1.server_header = value;
        self
    }

    /// Answer 405 with `Allow` when the path exists for other methods (default off → 404).
    pub fn handle_method_not_allowed(mut self, on: bool) -> Self {
        self.opts.route.handle_method_not_allowed = on;
        self
    }

    /// Redirect `/a/` ↔ `/a` when only the other exists (default on).
    pub fn redirect_trailing_slash(mut self, on: bool) -> Self {
        self.opts.route.redirect_trailing_slash = on;
        self
    }

    /// Redirect to the cleaned, case-corrected path when it matches (default off).
    pub fn redirect_fixed_path(mut self, on: bool) -> Self {
        self.opts.route.redirect_fixed_path = on;
        self
    }

    /// Route on the raw (still percent-encoded) path instead of the decoded one.
    pub fn use_raw_path(mut self, on: bool) -> Self {
        self.opts.route.use_raw_path = on;
        self
    }

    /// Print the route table at start-up (default on).
    pub fn print_routes(mut self, on: bool) -> Self {
        self.opts.print_routes = on;
        self
    }

    /// Worker threads: the event-loop threads of the epoll engine, or the runtime threads
    /// that [`Server::spin_blocking`] creates for the std engine. Default: the number of CPUs
    /// this process may run on.
    pub fn workers(mut self, n: usize) -> Self {
        self.opts.workers = Some(n);
        self
    }

    /// The transport engine (Hertz `WithTransport`): [`Transport::Std`] (default) runs
    /// connections as tasks of the caller's tokio runtime; [`Transport::Epoll`] runs
    /// [`workers`](Server::workers) thread-per-core event loops, each with its own
    /// `SO_REUSEPORT` listener. See the README's "Choosing an engine".
    pub fn transport(mut self, engine: Transport) -> Self {
        self.opts.transport = engine;
        self
    }

    /// Pin the epoll engine's worker `i` to the `i`-th CPU the process may use (default off;
    /// Linux only). Helps when the server owns its cores; hurts when it shares them. Needs
    /// [`Transport::Epoll`].
    pub fn cpu_affinity(mut self, on: bool) -> Self {
        self.opts.cpu_affinity = on;
        self
    }

    /// Runs a watchdog thread with the std engine (default off): when a handler blocks a
    /// runtime worker thread (blocking I/O, a long computation without `.await`), the watchdog
    /// keeps the runtime's I/O driver serviced so other connections are still accepted and
    /// served. It injects tasks into your runtime; the better fix is to move blocking work to
    /// `tokio::task::spawn_blocking`. Needs [`Transport::Std`].
    pub fn std_watchdog(mut self, on: bool) -> Self {
        self.opts.std_watchdog = on;
        self
    }

    /// Socket options of the listener (`SO_REUSEADDR`, `SO_REUSEPORT`, backlog).
    pub fn listen_options(mut self, opts: ListenOptions) -> Self {
        self.opts.listen = opts;
        self
    }
}
