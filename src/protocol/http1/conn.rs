//! The HTTP/1.1 connection driver: the loop that reads requests out of a transport [`Conn`],
//! calls the [`HttpService`], and writes responses back.
//!
//! One request at a time, in order. **Pipelining**: every complete request already in the read
//! buffer is served and its response encoded before anything is flushed; the flush happens when
//! the driver would otherwise have to wait for more input (or the write buffer passes
//! [`H1Config::pipeline_flush_bytes`]). Deadlines: the idle timeout applies while waiting for the
//! first byte of a request, the read timeout from that byte until the body is complete (408 if
//! it passes mid-request: slowloris), the write timeout to each flush. A connection still idle
//! after [`H1Config::idle_release`] gives its buffers' memory back while it waits on. On
//! graceful shutdown an idle connection closes at once and a busy one finishes its request,
//! answering with `Connection: close`. A request the driver refuses (malformed, too large, too
//! slow: see `error.rs`) is answered through the service's `reject` hook and ends the
//! connection (`reject.rs`); responses are written by `respond.rs`.

use std::future::Future;
use std::sync::Arc;

use bytes::BytesMut;
use futures_util::FutureExt;
use http::{header, Method, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::body::{ChunkedDecoder, Progress};
use super::config::H1Config;
use super::drain::{until_draining, DrainWatch};
use super::encode::{self, Framing};
use super::error;
use super::parse::parse_head;
use super::reject::reject;
use super::respond::write_response;
use super::stream_body;
use crate::protocol::rejection::Rejection;
use crate::protocol::request::Request;
use crate::protocol::service::{BodyMode, ConnInfo, Exchange, HttpService};
use crate::protocol::upgraded::Upgraded;
use crate::transport::{Conn, ConnHandler, LinkBuffer, Shutdown};

/// Serves HTTP/1.1 on transport connections with an [`HttpService`] — alone, without the
/// protocol suite (no TLS, h2c or ALPN): the connection handler of the protocol-only
/// allocation test (`tests/alloc_count.rs`).
#[derive(Debug)]
pub struct Http1<H> {
    service: Arc<H>,
    config: Arc<H1Config>,
}

impl<H> Http1<H> {
    /// A driver for `service` with `config`.
    pub fn new(service: Arc<H>, config: H1Config) -> Self {
        Http1 {
            service,
            config: Arc::new(config),
        }
    }
}

impl<H: HttpService> ConnHandler for Http1<H> {
    async fn serve_conn(&self, conn: Conn<TcpStream>, shutdown: Shutdown) {
        serve(conn, &*self.service, &self.config, &shutdown).await;
    }
}

/// Why the driver stopped reading a request head.
enum HeadEnd {
    /// A complete head was parsed. The request must be complete by the deadline, which is set
    /// once the driver had to wait for this request's bytes (a request found whole in the
    /// buffer never reads the clock).
    Parsed(Option<Instant>),
    /// The connection should close quietly (peer closed, idle timeout, shutdown, I/O error).
    Close,
}

/// Drives one connection until it closes.
pub(crate) async fn serve<S, H>(mut conn: Conn<S>, service: &H, cfg: &H1Config, shutdown: &Shutdown)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: HttpService,
{
    let info = ConnInfo {
        peer: conn.peer_addr(),
        local: conn.local_addr(),
    };
    let mut ex = service.new_exchange(info);
    // One drain waiter for the connection's life (cheaper than a fresh one per request).
    let waiter = std::pin::pin!(shutdown.draining().fuse());
    let mut draining = DrainWatch::new(shutdown, waiter);
    loop {
        // Rejections are boxed: the service's `reject` future is a cold path and must not be
        // part of every idle connection's state.
        let deadline = match read_head(&mut conn, &mut ex, cfg, &mut draining).await {
            Ok(HeadEnd::Parsed(d)) => d,
            Ok(HeadEnd::Close) => return conn.close(write_deadline(cfg), None).await,
            Err(e) => return Box::pin(reject(conn, service, &mut ex, e, cfg)).await,
        };
        let stream_limit = match prepare_body(&mut conn, &mut ex, service, cfg, deadline).await {
            Ok(limit) => limit,
            Err(e) => {
                let e = e.with_head(true);
                return Box::pin(reject(conn, service, &mut ex, e, cfg)).await;
            }
        };
        let req = ex.request_mut();
        let version = req.version();
        let head_only = req.method() == Method::HEAD;
        let message_len = req.raw_head().len() + req.body().len();
        let wants_keep_alive = req.keep_alive();
        conn.reader().observe(message_len);

        let body_in_sync = match stream_limit {
            None => {
                service.call(&mut ex).await;
                true
            }
            Some(limit) => {
                // Boxed: the streaming state (pump, channel, the service call) is the largest
                // of the driver and would otherwise be part of every idle connection.
                Box::pin(stream_body::call_streaming(
                    &mut conn, service, &mut ex, cfg, limit,
                ))
                .await
            }
        };

        let resp = ex.response_mut();
        let close_header = resp
            .header(&header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let mut keep_alive = cfg.keep_alive
            && wants_keep_alive
            && body_in_sync
            && !resp.connection_close()
            && !close_header
            && !shutdown.is_draining();
        let upgrade = resp.take_upgrade();
        let framing = match &upgrade {
            // The connection is handed over after the head: the length is not known.
            Some(_) if resp.status() == StatusCode::SWITCHING_PROTOCOLS => Framing::NoBody,
            Some(_) => Framing::CloseDelimited,
            None => encode::framing_for(resp, version),
        };
        if framing == Framing::CloseDelimited {
            keep_alive = false;
        }
        let head = (framing, keep_alive, version);
        let written = write_response(&mut conn, resp, cfg, head, head_only).await;
        ex.reset();
        if !written {
            return;
        }
        if let Some(on_upgrade) = upgrade {
            if conn.flush_within(cfg.write_timeout).await.is_err() {
                return;
            }
            let peer = conn.peer_addr();
            let (io, read_ahead) = conn.into_parts();
            tracing::debug!(peer = %peer, "connection handed over");
            return on_upgrade(Upgraded::new(io, read_ahead, peer)).await;
        }
        if !keep_alive {
            // Unread input (pipelined requests, or a body the handler left) must not turn the
            // close into a reset that destroys the response in flight.
            let unread = !conn.reader().is_empty() || !body_in_sync;
            let linger = unread.then_some(cfg.linger);
            return conn.close(write_deadline(cfg), linger).await;
        }
        if conn.writer().len() >= cfg.pipeline_flush_bytes
            && conn.flush_within(cfg.write_timeout).await.is_err()
        {
            return;
        }
    }
}

pub(super) fn write_deadline(cfg: &H1Config) -> Option<Instant> {
    Some(Instant::now() + cfg.write_timeout)
}

/// Reads until a complete head is parsed into the exchange's request. Flushes pending responses
/// before waiting for input.
async fn read_head<S, X, D>(
    conn: &mut Conn<S>,
    ex: &mut X,
    cfg: &H1Config,
    draining: &mut DrainWatch<'_, D>,
) -> Result<HeadEnd, Rejection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    X: Exchange,
    D: Future<Output = ()>,
{
    let mut request_deadline: Option<Instant> = None;
    loop {
        if !conn.reader().is_empty() {
            let reader = conn.reader();
            let req = ex.request_mut();
            if let Some(n) = parse_buffered(reader, cfg, req)? {
                req.head = reader.split_to(n);
                return Ok(HeadEnd::Parsed(request_deadline));
            }
            request_deadline.get_or_insert_with(|| Instant::now() + cfg.read_timeout);
        }
        // Out of complete requests: send what the previous ones produced before waiting.
        if conn.flush_within(cfg.write_timeout).await.is_err() {
            return Ok(HeadEnd::Close);
        }
        let idle = request_deadline.is_none();
        let read = match request_deadline {
            Some(deadline) => conn.fill(0, Some(deadline)).await,
            None => {
                // Between requests: the buffers are given back if the wait gets long, and a
                // drain closes the connection.
                let waiting = conn.fill_idle(cfg.idle_release, cfg.idle_timeout);
                match until_draining(waiting, draining).await {
                    Some(r) => r,
                    None => return Ok(HeadEnd::Close),
                }
            }
        };
        match read {
            Ok(0) if idle => return Ok(HeadEnd::Close),
            Ok(0) => {
                tracing::debug!(peer = %conn.peer_addr(), "peer closed mid-head");
                return Ok(HeadEnd::Close);
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut && !idle => {
                return Err(error::TIMEOUT)
            }
            Err(_) => return Ok(HeadEnd::Close),
        }
    }
}

/// Parses a head at the front of the buffer. The first node is tried as it is; only a head that
/// continues into the next node is merged into one contiguous node (bounded by the header
/// limit), so a deep pipelined backlog is never copied around.
fn parse_buffered(
    reader: &mut LinkBuffer,
    cfg: &H1Config,
    req: &mut Request,
) -> Result<Option<usize>, Rejection> {
    if let Some(n) = parse_head(reader.front(), cfg, req)? {
        return Ok(Some(n));
    }
    let front = reader.front().len();
    let limit = cfg.max_header_bytes + 1;
    if reader.len() > front && front < limit {
        reader.make_contiguous(limit);
        return parse_head(reader.front(), cfg, req);
    }
    Ok(None)
}

/// Gets the body ready the way the service asks: read whole (`None`), or about to be streamed
/// to the running service (`Some(limit)`). Rejections here come after the head was parsed.
async fn prepare_body<S, H>(
    conn: &mut Conn<S>,
    ex: &mut H::Exchange,
    service: &H,
    cfg: &H1Config,
    deadline: Option<Instant>,
) -> Result<Option<Option<u64>>, Rejection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: HttpService,
{
    let framing = ex.request_mut().framing;
    if !framing.has_body() {
        return Ok(None);
    }
    match service.body_mode(ex) {
        BodyMode::Buffer => {
            read_body(conn, ex, service, cfg, deadline).await?;
            Ok(None)
        }
        BodyMode::Stream { limit } => {
            if limit.is_some_and(|max| framing.content_length.unwrap_or(0) > max) {
                return Err(error::BODY_TOO_LARGE);
            }
            answer_continue(conn, ex, service, cfg).await?;
            Ok(Some(limit))
        }
    }
}

/// Reads the body announced by the parsed head (answering `Expect: 100-continue` first).
async fn read_body<S, H>(
    conn: &mut Conn<S>,
    ex: &mut H::Exchange,
    service: &H,
    cfg: &H1Config,
    mut deadline: Option<Instant>,
) -> Result<(), Rejection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: HttpService,
{
    let framing = ex.request_mut().framing;
    let length = framing.content_length.unwrap_or(0);
    if length > cfg.max_body_bytes as u64 {
        return Err(error::BODY_TOO_LARGE);
    }
    answer_continue(conn, ex, service, cfg).await?;
    if framing.chunked {
        let mut decoder = ChunkedDecoder::new(cfg.max_body_bytes);
        let mut out = BytesMut::new();
        loop {
            let (reader, req) = (conn.reader(), ex.request_mut());
            match decoder.decode(reader, &mut out, req, cfg)? {
                Progress::Done => break,
                Progress::NeedMore(hint) => fill(conn, hint, &mut deadline, cfg).await?,
            }
        }
        ex.request_mut().body = out.freeze();
    } else if length > 0 {
        let need = length as usize;
        while conn.reader().len() < need {
            let missing = need - conn.reader().len();
            fill(conn, missing, &mut deadline, cfg).await?;
        }
        ex.request_mut().body = conn.reader().split_to(need);
    }
    Ok(())
}

/// Answers `Expect: 100-continue` (if the request has a body and none of it arrived yet): asks
/// the service, then sends `100 Continue` or fails with 417.
async fn answer_continue<S, H>(
    conn: &mut Conn<S>,
    ex: &mut H::Exchange,
    service: &H,
    cfg: &H1Config,
) -> Result<(), Rejection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: HttpService,
{
    let framing = ex.request_mut().framing;
    if framing.expect_continue && framing.has_body() && conn.reader().is_empty() {
        if !service.accept_continue(ex) {
            return Err(error::CONTINUE_REFUSED);
        }
        conn.writer().write(b"HTTP/1.1 100 Continue\r\n\r\n");
        conn.flush_within(cfg.write_timeout)
            .await
            .map_err(|_| error::INCOMPLETE_BODY)?;
    }
    Ok(())
}

/// Reads more of a request body, starting the request's deadline if it is not running yet.
async fn fill<S>(
    conn: &mut Conn<S>,
    hint: usize,
    deadline: &mut Option<Instant>,
    cfg: &H1Config,
) -> Result<(), Rejection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let deadline = *deadline.get_or_insert_with(|| Instant::now() + cfg.read_timeout);
    match conn.fill(hint, Some(deadline)).await {
        Ok(0) => Err(error::INCOMPLETE_BODY),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Err(error::TIMEOUT),
        Err(_) => Err(error::INCOMPLETE_BODY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::Hello;

    #[test]
    fn head_in_the_first_node_is_parsed_without_merging() {
        let cfg = H1Config::default();
        let mut req = Request::default();
        let mut buf = LinkBuffer::new();
        let one = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
        buf.extend_in_new_node(one);
        buf.extend_in_new_node(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            parse_buffered(&mut buf, &cfg, &mut req).unwrap(),
            Some(one.len())
        );
        assert_eq!(buf.node_count(), 2, "the backlog was not copied");
    }

    #[test]
    fn head_straddling_nodes_is_merged_and_parsed() {
        let cfg = H1Config::default();
        let mut req = Request::default();
        let mut buf = LinkBuffer::new();
        buf.extend_in_new_node(b"GET /a HTTP/1.1\r\nHo");
        buf.extend_in_new_node(b"st: x\r\n\r\nNEXT");
        let head_len = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n".len();
        let n = parse_buffered(&mut buf, &cfg, &mut req).unwrap();
        assert_eq!(n, Some(head_len));
        req.head = buf.split_to(head_len);
        assert_eq!(req.path(), "/a");
        assert_eq!(req.headers().get_str("host"), Some("x"));
        assert_eq!(buf.front(), b"NEXT");
    }

    #[test]
    fn incomplete_head_over_the_limit_across_nodes_is_rejected() {
        let cfg = H1Config {
            max_header_bytes: 64,
            ..H1Config::default()
        };
        let mut req = Request::default();
        let mut buf = LinkBuffer::new();
        buf.extend_in_new_node(b"GET /a HTTP/1.1\r\nX-Long: ");
        buf.extend_in_new_node(&[b'a'; 100]);
        let err = parse_buffered(&mut buf, &cfg, &mut req).unwrap_err();
        assert_eq!(
            err.status(),
            http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }

    fn in_memory_conn() -> (Conn<tokio::io::DuplexStream>, tokio::io::DuplexStream) {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], 1).into();
        (Conn::new(server, addr, addr), client)
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_idle_past_its_release_is_served_again() {
        use std::time::Duration;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let cfg = H1Config {
            idle_release: Duration::from_secs(1),
            date_header: false,
            server_header: None,
            ..H1Config::default()
        };
        let (conn, mut client) = in_memory_conn();
        let server = tokio::spawn(async move {
            serve(conn, &Hello, &cfg, &Shutdown::new()).await;
        });
        let expected: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\n\
content-length: 5\r\n\r\nhello";
        // Busy (back to back), then idle past the release (the paused clock only moves on once
        // the server waits); after the loop, a head longer than the lean read's stack buffer.
        for pause in [0, 0, 3, 10] {
            tokio::time::sleep(Duration::from_secs(pause)).await;
            client
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut got = vec![0u8; expected.len()];
            client.read_exact(&mut got).await.unwrap();
            assert_eq!(
                String::from_utf8_lossy(&got).to_lowercase(),
                String::from_utf8_lossy(expected).to_lowercase()
            );
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        let long = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
            "p".repeat(10_000)
        );
        client.write_all(long.as_bytes()).await.unwrap();
        let mut got = vec![0u8; expected.len()];
        client.read_exact(&mut got).await.unwrap();
        assert!(got.ends_with(b"hello"));
        drop(client);
        server.await.unwrap();
    }

    #[tokio::test]
    async fn the_driver_future_stays_small() {
        // The driver's future is what every idle connection holds. Cold paths with big state
        // (lingering close, streamed bodies) must not inflate it: it was 6 KiB once.
        let (conn, _client) = in_memory_conn();
        let (cfg, shutdown) = (H1Config::default(), Shutdown::new());
        let driver = serve(conn, &Hello, &cfg, &shutdown);
        let size = std::mem::size_of_val(&driver);
        assert!(size <= 2048, "the HTTP/1.1 driver future is {size} bytes");
    }
}
