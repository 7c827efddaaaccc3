//! Shared helpers of the end-to-end tests: start a real khz server on `127.0.0.1:0`, and talk
//! byte-exact HTTP/1.1 to it over a raw `tokio::net::TcpStream` ([`Client`]), parsing responses
//! framed by `Content-Length`, `chunked` (trailers included) or the end of the connection.
//!
//! Every read is bounded by [`GUARD`]: the timeout is a failure guard only, never a way to wait
//! for something to happen.
//!
//! Every server the suite starts runs on [`engine()`]: the std engine in each suite file's own
//! test crate, the epoll engine when `tests/epoll.rs` includes the same files again. Start
//! servers through [`start`] / [`try_start`] (or `proto::Proto::start` / `proto::At::start`,
//! which use them) so none escapes that choice; `tests/layering.rs` checks it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use khz::app::ServerHandle;
use khz::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest a test waits for the server before failing.
pub const GUARD: Duration = Duration::from_secs(10);

/// The transport engine of this test crate: [`Transport::Epoll`] in the `epoll` test crate
/// (`tests/epoll.rs`, which includes every end-to-end suite file as a module), otherwise
/// [`Transport::Std`]. Decided at compile time from the crate being built.
pub fn engine() -> Transport {
    match env!("CARGO_CRATE_NAME") {
        "epoll" => Transport::Epoll,
        _ => Transport::Std,
    }
}

/// A listener on a free loopback port.
pub fn loopback_listener() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0")
}

/// `Server::default()` (recovery included) on a fresh loopback listener, route table quiet,
/// on [`engine()`].
pub fn server() -> Server {
    Server::default()
        .print_routes(false)
        .transport(engine())
        .listener(loopback_listener())
}

/// `Server::new()` (no middleware at all) on a fresh loopback listener, route table quiet, on
/// [`engine()`].
pub fn bare_server() -> Server {
    Server::new()
        .print_routes(false)
        .transport(engine())
        .listener(loopback_listener())
}

/// Starts `server` on [`engine()`], returning what `Server::start` returns (for tests of
/// start-up failures).
pub async fn try_start(server: Server) -> khz::Result<ServerHandle> {
    server.transport(engine()).start().await
}

/// Starts `server` on [`engine()`] and returns its handle and bound address.
pub async fn start(server: Server) -> (ServerHandle, SocketAddr) {
    start_as_configured(server.transport(engine())).await
}

/// Starts `server` on the engine it was configured with (for tests that pick the engine
/// themselves, like `faults.rs`) and returns its handle and bound address.
pub async fn start_as_configured(server: Server) -> (ServerHandle, SocketAddr) {
    let handle = server.start().await.expect("server starts");
    let addr = handle.local_addr();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0, "local_addr must report the real port");
    (handle, addr)
}

/// Handler answering `200 ok`; the bad-input tests mount it at `/ok`.
pub async fn ok(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "ok");
}

/// Handler echoing the request body.
pub async fn echo(ctx: &mut RequestContext) {
    let body = ctx.body().clone();
    ctx.data(StatusCode::OK, "application/octet-stream", body);
}

/// A parsed HTTP/1.x response.
#[derive(Debug, Clone)]
pub struct Resp {
    /// `HTTP/1.1 200 OK`
    pub status_line: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trailers: Vec<(String, String)>,
    /// Whether the body was chunked; then `chunks` holds each chunk's data.
    pub chunked: bool,
    pub chunks: Vec<Vec<u8>>,
}

impl Resp {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    /// Whether the response announces `Connection: close`.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_fields(block: &str) -> Vec<(String, String)> {
    block
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l
                .split_once(':')
                .unwrap_or_else(|| panic!("malformed header line {l:?}"));
            (n.to_owned(), v.trim().to_owned())
        })
        .collect()
}

/// Tries to parse one response at the start of `buf`. `Ok(None)`: more bytes are needed.
/// `eof`: the peer closed, so a close-delimited body is complete.
pub fn parse_response(
    buf: &[u8],
    head_only: bool,
    eof: bool,
) -> Result<Option<(Resp, usize)>, String> {
    let Some(head_end) = find(buf, b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|e| format!("head not UTF-8: {e}"))?;
    let (status_line, fields) = head.split_once("\r\n").unwrap_or((head, ""));
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!("bad status line {status_line:?}"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut resp = Resp {
        status_line: status_line.to_owned(),
        status,
        headers: parse_fields(fields),
        body: Vec::new(),
        trailers: Vec::new(),
        chunked: false,
        chunks: Vec::new(),
    };
    let mut at = head_end + 4;
    let no_body = head_only || (100..200).contains(&status) || status == 204 || status == 304;
    if no_body {
        return Ok(Some((resp, at)));
    }
    let te = resp
        .header("transfer-encoding")
        .map(str::to_ascii_lowercase);
    if te.as_deref() == Some("chunked") {
        resp.chunked = true;
        loop {
            let Some(line_end) = find(&buf[at..], b"\r\n") else {
                return Ok(None);
            };
            let line = std::str::from_utf8(&buf[at..at + line_end]).map_err(|e| e.to_string())?;
            let size_hex = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| format!("bad chunk size line {line:?}"))?;
            let data_start = at + line_end + 2;
            if size == 0 {
                let Some(tr_end) = find(&buf[at + line_end..], b"\r\n\r\n") else {
                    return Ok(None);
                };
                let block = std::str::from_utf8(&buf[data_start..at + line_end + tr_end + 2])
                    .map_err(|e| e.to_string())?;
                resp.trailers = parse_fields(block);
                return Ok(Some((resp, at + line_end + tr_end + 4)));
            }
            if buf.len() < data_start + size + 2 {
                return Ok(None);
            }
            let data = &buf[data_start..data_start + size];
            if &buf[data_start + size..data_start + size + 2] != b"\r\n" {
                return Err("chunk data not followed by CRLF".to_owned());
            }
            resp.body.extend_from_slice(data);
            resp.chunks.push(data.to_vec());
            at = data_start + size + 2;
        }
    } else if let Some(te) = te {
        Err(format!("unexpected response Transfer-Encoding {te:?}"))
    } else if let Some(cl) = resp.header("content-length") {
        let n: usize = cl
            .parse()
            .map_err(|_| format!("bad Content-Length {cl:?}"))?;
        if buf.len() < at + n {
            return Ok(None);
        }
        resp.body = buf[at..at + n].to_vec();
        at += n;
        Ok(Some((resp, at)))
    } else if eof {
        resp.body = buf[at..].to_vec();
        Ok(Some((resp, buf.len())))
    } else {
        Ok(None)
    }
}

/// A raw HTTP/1.1 client connection.
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    eof: bool,
}

impl Client {
    /// Connects to `addr` (with `TCP_NODELAY`, so each write leaves at once).
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = tokio::time::timeout(GUARD, TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Client {
            stream,
            buf: Vec::new(),
            eof: false,
        }
    }

    /// Writes all of `bytes`.
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        tokio::time::timeout(GUARD, self.stream.write_all(bytes.as_ref()))
            .await
            .expect("write timed out")
            .expect("write");
    }

    /// Writes `bytes`, tolerating a server that already closed (e.g. after rejecting).
    pub async fn send_lenient(&mut self, bytes: impl AsRef<[u8]>) {
        let _ = tokio::time::timeout(GUARD, self.stream.write_all(bytes.as_ref())).await;
    }

    /// Half-closes the write side (the server sees end of stream).
    pub async fn shutdown_write(&mut self) {
        self.stream.shutdown().await.expect("shutdown write");
    }

    /// Reads once into the buffer; returns the number of bytes (0 at end of stream). Fails the
    /// test if nothing arrives within [`GUARD`].
    pub async fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(GUARD, self.stream.read(&mut chunk)).await {
            Err(_) => panic!(
                "no data from the server within {GUARD:?}; buffered so far: {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
            Ok(Err(e)) => panic!(
                "read failed: {e} (buffered so far: {:?})",
                String::from_utf8_lossy(&self.buf)
            ),
            Ok(Ok(0)) => {
                self.eof = true;
                0
            }
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                n
            }
        }
    }

    /// Reads until `needle` is in the buffer (failing on EOF or timeout).
    pub async fn read_until(&mut self, needle: &[u8]) {
        while find(&self.buf, needle).is_none() {
            if self.fill().await == 0 {
                panic!(
                    "connection closed before {:?} arrived; got {:?}",
                    String::from_utf8_lossy(needle),
                    String::from_utf8_lossy(&self.buf)
                );
            }
        }
    }

    /// Bytes received but not consumed yet.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Removes the first `n` buffered bytes.
    pub fn consume(&mut self, n: usize) -> Vec<u8> {
        self.buf.drain(..n).collect()
    }

    async fn read_framed(&mut self, head_only: bool) -> Resp {
        loop {
            match parse_response(&self.buf, head_only, self.eof) {
                Ok(Some((resp, used))) => {
                    self.buf.drain(..used);
                    return resp;
                }
                Ok(None) if self.eof => panic!(
                    "connection closed mid-response; got {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
                Ok(None) => {
                    self.fill().await;
                }
                Err(e) => panic!(
                    "unparseable response ({e}): {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
    }

    /// Reads one complete response (body framed by its headers).
    pub async fn read_response(&mut self) -> Resp {
        self.read_framed(false).await
    }

    /// Reads one response to a HEAD request (no body, whatever the headers say).
    pub async fn read_head_response(&mut self) -> Resp {
        self.read_framed(true).await
    }

    /// Sends `bytes` and reads one response.
    pub async fn request(&mut self, bytes: impl AsRef<[u8]>) -> Resp {
        self.send(bytes).await;
        self.read_response().await
    }

    /// Asserts that the server closes the connection without sending anything more.
    pub async fn expect_eof(&mut self) {
        assert!(
            self.buf.is_empty(),
            "unexpected bytes before close: {:?}",
            String::from_utf8_lossy(&self.buf)
        );
        if self.eof {
            return;
        }
        let n = self.fill().await;
        assert_eq!(
            n,
            0,
            "expected the server to close, got {:?}",
            String::from_utf8_lossy(&self.buf)
        );
    }

    /// Reads everything until the server closes.
    pub async fn read_to_eof(&mut self) -> Vec<u8> {
        while !self.eof {
            self.fill().await;
        }
        std::mem::take(&mut self.buf)
    }
}

/// `GET path` on a fresh connection.
pub async fn get(addr: SocketAddr, path: &str) -> Resp {
    let mut c = Client::connect(addr).await;
    c.request(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n"))
        .await
}

/// Asserts a fresh connection is still served (`GET /ok` → `200 ok`).
pub async fn assert_still_serving(addr: SocketAddr) {
    let r = get(addr, "/ok").await;
    assert_eq!(
        r.status_line, "HTTP/1.1 200 OK",
        "fresh connection not served"
    );
    assert_eq!(r.text(), "ok");
}

/// Sends `bytes` on a fresh connection and asserts the exact status line, `Connection: close`,
/// that the server then closes, and that a fresh connection is still served. Returns the
/// rejection.
pub async fn assert_rejected(addr: SocketAddr, bytes: impl AsRef<[u8]>, status_line: &str) -> Resp {
    let bytes = bytes.as_ref();
    let mut c = Client::connect(addr).await;
    c.send_lenient(bytes).await;
    let r = c.read_response().await;
    assert_eq!(
        r.status_line,
        status_line,
        "wrong status for {:?} (body {:?})",
        String::from_utf8_lossy(bytes),
        String::from_utf8_lossy(&r.body)
    );
    assert!(r.closes(), "rejection must carry Connection: close: {r:?}");
    c.expect_eof().await;
    assert_still_serving(addr).await;
    r
}

/// Decodes a chunked body in `raw` (data + final CRLFs), returning the chunks.
pub fn dechunk(raw: &[u8]) -> Vec<Vec<u8>> {
    let fake = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".as_slice(),
        raw,
    ]
    .concat();
    let (resp, _) = parse_response(&fake, false, true)
        .expect("valid chunked body")
        .expect("complete chunked body");
    resp.chunks
}
