//! Streamed request bodies: the service runs while the body is still arriving.
//!
//! When the service asks for [`BodyMode::Stream`](crate::protocol::BodyMode), the driver hands
//! the request a [`RequestBody`] fed through a one-slot channel and then polls two futures on the
//! connection's task: the service call, and a *pump* that reads the body from the socket
//! (de-chunking it if needed) and sends it chunk by chunk. The channel gives back-pressure: the
//! pump reads the next chunk only once the handler took the previous one, so memory stays at a
//! few buffer nodes whatever the body size. Each read waits at most the read timeout (a streamed
//! upload may take long; a stalled one may not). A framing error, a timeout or the size limit
//! ends the stream with a [`BodyError`] the handler sees. If the handler returns before the body
//! was read to its end, the driver waits briefly for framing bytes only (a last chunk, say); if
//! data is still unread the connection cannot be reused: the driver answers and then closes.

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::body::{ChunkedDecoder, Progress};
use super::config::H1Config;
use super::error;
use crate::protocol::rejection::Rejection;
use crate::protocol::request::{Framing, Request};
use crate::protocol::request_body::BodyChunk;
use crate::protocol::service::{Exchange, HttpService};
use crate::protocol::{BodyError, RequestBody};
use crate::transport::Conn;

/// How long the end of a body may take to arrive after the handler returned.
const FINISH_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// Largest read requested from the socket for a streamed body.
const STREAM_READ: usize = 64 * 1024;

/// Why the pump stopped early.
enum Stop {
    /// The body is malformed, too large or too slow; the handler is told.
    Protocol(Rejection),
    /// The handler dropped the stream.
    Dropped,
}

/// Calls the service with the request's body streamed from `conn`. Returns whether the body was
/// read to its end (so the connection is in sync for the next request).
pub(super) async fn call_streaming<S, H>(
    conn: &mut Conn<S>,
    service: &H,
    ex: &mut H::Exchange,
    cfg: &H1Config,
    limit: Option<u64>,
) -> bool
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: HttpService,
{
    let framing = ex.request_mut().framing;
    let (tx, rx) = mpsc::channel(1);
    ex.request_mut().body_stream = Some(RequestBody::channel(rx));
    let pump = pump(conn, framing, tx, cfg, limit);
    tokio::pin!(pump);
    let mut complete = false;
    let mut pumping = true;
    {
        let call = service.call(ex);
        tokio::pin!(call);
        loop {
            tokio::select! {
                biased;
                () = &mut call => break,
                done = &mut pump, if pumping => {
                    pumping = false;
                    complete = done;
                }
            }
        }
    }
    if pumping {
        // The handler is done but the body is not: typically only its end (the last chunk of
        // a chunked body, a multipart epilogue) is still on the way. With the receiver gone the
        // pump fails at the first data chunk it would have to deliver, so this only waits for
        // framing bytes, briefly, to keep the connection reusable.
        ex.request_mut().body_stream = None;
        complete = matches!(tokio::time::timeout(FINISH_WAIT, &mut pump).await, Ok(true));
    }
    complete
}

/// Reads the body and feeds it to `tx`. Returns whether the body was read to its end.
async fn pump<S>(
    conn: &mut Conn<S>,
    framing: Framing,
    tx: mpsc::Sender<BodyChunk>,
    cfg: &H1Config,
    limit: Option<u64>,
) -> bool
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let result = if framing.chunked {
        pump_chunked(conn, &tx, cfg, limit).await
    } else {
        // An announced length over the limit was refused before the handler ran.
        pump_length(conn, framing.content_length.unwrap_or(0), &tx, cfg).await
    };
    match result {
        Ok(()) => true,
        Err(Stop::Dropped) => false,
        Err(Stop::Protocol(e)) => {
            if e == error::INCOMPLETE_BODY {
                tracing::debug!(peer = %conn.peer_addr(), "peer stopped sending a streamed body");
            } else {
                tracing::warn!(peer = %conn.peer_addr(), status = e.status().as_u16(), reason = e.reason(), "streamed request body failed");
            }
            // Waiting here is safe: the pump is dropped as soon as the handler returns, and a
            // reading handler must see the error rather than a clean end of a truncated body.
            let _ = tx.send(Err(BodyError::new(e.status(), e.reason()))).await;
            false
        }
    }
}

async fn pump_length<S>(
    conn: &mut Conn<S>,
    length: u64,
    tx: &mpsc::Sender<BodyChunk>,
    cfg: &H1Config,
) -> Result<(), Stop>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut left = length;
    while left > 0 {
        if conn.reader().is_empty() {
            let hint = usize::try_from(left).unwrap_or(usize::MAX).min(STREAM_READ);
            read_more(conn, hint, cfg).await?;
        }
        let reader = conn.reader();
        let front = reader.front().len().max(1);
        let take = usize::try_from(left).unwrap_or(usize::MAX).min(front);
        let chunk = reader.split_to(take);
        left -= chunk.len() as u64;
        tx.send(Ok(chunk)).await.map_err(|_| Stop::Dropped)?;
    }
    Ok(())
}

async fn pump_chunked<S>(
    conn: &mut Conn<S>,
    tx: &mpsc::Sender<BodyChunk>,
    cfg: &H1Config,
    limit: Option<u64>,
) -> Result<(), Stop>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let max = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let mut decoder = ChunkedDecoder::new(max);
    let mut out = BytesMut::new();
    // Trailers of a streamed body have nowhere to go while the handler runs: parsed (so they
    // are checked and consumed) into a request that is then dropped.
    let mut trailers = Request::default();
    loop {
        let progress = decoder
            .decode(conn.reader(), &mut out, &mut trailers, cfg)
            .map_err(Stop::Protocol)?;
        if !out.is_empty() {
            tx.send(Ok(out.split().freeze()))
                .await
                .map_err(|_| Stop::Dropped)?;
        }
        match progress {
            Progress::Done => return Ok(()),
            Progress::NeedMore(hint) => read_more(conn, hint.clamp(1, STREAM_READ), cfg).await?,
        }
    }
}

/// One read, bounded by the read timeout.
async fn read_more<S>(conn: &mut Conn<S>, hint: usize, cfg: &H1Config) -> Result<(), Stop>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    match conn
        .fill(hint, Some(Instant::now() + cfg.read_timeout))
        .await
    {
        Ok(0) => Err(Stop::Protocol(error::INCOMPLETE_BODY)),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Err(Stop::Protocol(error::TIMEOUT)),
        Err(_) => Err(Stop::Protocol(error::INCOMPLETE_BODY)),
    }
}
