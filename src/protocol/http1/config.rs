//! Limits and switches of the HTTP/1.1 driver. Every limit has a default chosen for an edge
//! server; the app layer's server options set them. See the table in the crate README for the
//! status code each limit produces.

use std::time::Duration;

/// Configuration of the HTTP/1.1 connection driver.
#[derive(Debug, Clone)]
pub struct H1Config {
    /// Largest request head (request line + header section). Larger → 431. Default 64 KiB.
    pub max_header_bytes: usize,
    /// Most header lines in a head (and in a trailer section). More → 431. Default 128.
    pub max_headers: usize,
    /// Longest request target. Longer → 414. Default 8 KiB.
    pub max_uri_len: usize,
    /// Largest request body. Larger → 413, answered before the body is read. Default 4 MiB.
    pub max_body_bytes: usize,
    /// Time allowed to receive a whole request (head and body) once its first byte arrived.
    /// Exceeded → 408 and close. Default 30 s.
    pub read_timeout: Duration,
    /// Time a keep-alive connection may wait for the next request. Exceeded → closed silently.
    /// Default 60 s.
    pub idle_timeout: Duration,
    /// Time allowed to write out one response. Exceeded → connection dropped. Default 60 s.
    pub write_timeout: Duration,
    /// Keep connections open between requests (default true). Off: every response closes.
    pub keep_alive: bool,
    /// Add a `Date` header (cached, refreshed once a second). Default true.
    pub date_header: bool,
    /// The `Server` header value, or `None` for no header. Default `khz`.
    pub server_header: Option<&'static str>,
    /// Add `Content-Type: text/plain; charset=utf-8` to non-empty bodies that have none.
    /// Default true (as Hertz does).
    pub default_content_type: bool,
    /// How long to keep reading (and discarding) after an error response before closing, so the
    /// client gets to read the response. Default 2 s.
    pub linger: Duration,
    /// Flush pipelined responses early once this many bytes are waiting. Default 64 KiB.
    pub pipeline_flush_bytes: usize,
    /// Time a keep-alive connection waits for its next request before it gives its read and
    /// write buffers' memory back (it keeps waiting, holding none, until `idle_timeout`).
    /// Shorter: less memory per idle connection; a connection busier than this never
    /// allocates per request. Default 1 s.
    pub idle_release: Duration,
    /// An `Alt-Svc` value added to HTTP/1.1 and HTTP/2 responses that have none (set by the
    /// server while HTTP/3 is on). Default none.
    pub alt_svc: Option<http::HeaderValue>,
}

impl Default for H1Config {
    fn default() -> Self {
        H1Config {
            max_header_bytes: 64 * 1024,
            max_headers: 128,
            max_uri_len: 8 * 1024,
            max_body_bytes: 4 * 1024 * 1024,
            read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(60),
            keep_alive: true,
            date_header: true,
            server_header: Some("khz"),
            default_content_type: true,
            linger: Duration::from_secs(2),
            pipeline_flush_bytes: 64 * 1024,
            idle_release: Duration::from_secs(1),
            alt_svc: None,
        }
    }
}
