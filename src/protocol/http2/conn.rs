//! The HTTP/2 connection driver: handshake, accept streams, serve them, keep-alive PINGs, idle
//! timeout and graceful shutdown.
//!
//! **Streams run on the connection's task**, as futures in a `FuturesUnordered`, not as
//! spawned tasks. Every stream needs the connection to be polled to move its frames anyway,
//! and `h2` keeps all stream state of a connection behind one lock: on one task nothing
//! contends for it, no task is allocated per stream and no wake-up crosses threads. The price
//! is that the streams of one connection share one core — as the requests of an HTTP/1.1
//! connection do — while different connections still spread over the runtime's workers. Each
//! stream gets its own [`Exchange`](crate::protocol::Exchange) (boxed, so moving it is cheap),
//! taken from a per-connection pool and returned (reset, allocations kept) when the stream is
//! done. Requests that arrive together are accepted together and run before the connection is
//! polled again, so their responses leave in one write — as HTTP/1.1 pipelining does.
//!
//! Deadlines: the client preface and SETTINGS must arrive within the read timeout; a
//! connection without open streams for the idle timeout is closed with GOAWAY; with
//! keep-alive PINGs on, a PING not acknowledged within the keep-alive timeout drops the
//! connection; a closing connection whose streams are done but whose client does not complete
//! the close (`h2` waits for a PING acknowledgement) is dropped after the keep-alive timeout. On graceful shutdown the driver sends GOAWAY (`NO_ERROR`, last stream id =
//! the last one accepted), keeps serving the open streams to their end and then closes.
//! Protocol errors of the client are `h2`'s to answer (RST_STREAM or GOAWAY with the RFC 9113
//! code); the driver logs them and the connection ends without disturbing other connections.

use std::future::poll_fn;

use bytes::Bytes;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use h2::{Ping, PingPong};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{sleep_until, Instant};

use super::config::H2Config;
use super::stream::serve_stream;
use crate::protocol::http1::H1Config;
use crate::protocol::service::{ConnInfo, HttpService};
use crate::transport::Shutdown;

/// Serves HTTP/2 on `io` (whose first bytes are the client preface) until the connection
/// closes.
pub(crate) async fn serve<T, H>(
    io: T,
    service: &H,
    cfg: &H2Config,
    h1: &H1Config,
    info: ConnInfo,
    shutdown: &Shutdown,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send,
    H: HttpService,
{
    let handshake = cfg.builder(h1.max_header_bytes).handshake::<T, Bytes>(io);
    let mut conn = match tokio::time::timeout(h1.read_timeout, handshake).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            tracing::debug!(peer = %info.peer, error = %e, "HTTP/2 handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(peer = %info.peer, "HTTP/2 preface not received in time");
            return;
        }
    };
    let mut keep_alive = KeepAlive::new(cfg, conn.ping_pong());
    let mut streams = FuturesUnordered::new();
    let mut pool = Vec::new();
    let mut closing = false;
    let idle = sleep_until(Instant::now() + h1.idle_timeout);
    // Once closing with no stream left, `h2` still waits for the client to acknowledge a PING
    // before its final GOAWAY; a client that never does is dropped after the keep-alive timeout.
    let close_by = sleep_until(Instant::now());
    let mut close_armed = false;
    // Made once: a fresh wait per loop turn would register and unregister with the token.
    let draining = shutdown.draining();
    tokio::pin!(idle, close_by, draining);
    loop {
        if closing && streams.is_empty() && !close_armed {
            close_armed = true;
            close_by
                .as_mut()
                .reset(Instant::now() + cfg.keep_alive_timeout);
        }
        tokio::select! {
            biased;
            Some(ex) = streams.next(), if !streams.is_empty() => {
                pool.push(ex);
                if streams.is_empty() {
                    idle.as_mut().reset(Instant::now() + h1.idle_timeout);
                }
            }
            accepted = conn.accept() => {
                let mut next = Some(accepted);
                // Take every request `h2` has already decoded before running any of them: the
                // biased loop then runs the whole batch, and the next poll of the connection
                // writes all their responses at once instead of one write per stream.
                while let Some(accepted) = next.take() {
                    match accepted {
                        Some(Ok((req, respond))) => {
                            let ex = pool
                                .pop()
                                .unwrap_or_else(|| Box::new(service.new_exchange(info)));
                            streams.push(serve_stream(service, ex, req, respond, h1, info));
                            next = conn.accept().now_or_never();
                        }
                        Some(Err(e)) => {
                            log_connection_error(&e, info);
                            return;
                        }
                        None => return,
                    }
                }
            }
            _ = &mut draining, if !closing => {
                closing = true;
                conn.graceful_shutdown();
            }
            _ = &mut idle, if streams.is_empty() && !closing => {
                tracing::debug!(peer = %info.peer, "idle HTTP/2 connection closed");
                closing = true;
                conn.graceful_shutdown();
            }
            _ = &mut close_by, if close_armed => {
                tracing::debug!(peer = %info.peer, "HTTP/2 client did not finish the close; dropping");
                return;
            }
            alive = keep_alive.tick() => {
                if !alive {
                    tracing::debug!(peer = %info.peer, "HTTP/2 keep-alive PING not answered; dropping");
                    return;
                }
            }
        }
    }
}

fn log_connection_error(e: &h2::Error, info: ConnInfo) {
    if e.is_io() {
        tracing::debug!(peer = %info.peer, error = %e, "HTTP/2 connection I/O ended");
    } else if e.is_go_away() && e.is_remote() {
        tracing::debug!(peer = %info.peer, error = %e, "client closed the HTTP/2 connection");
    } else {
        tracing::warn!(peer = %info.peer, error = %e, reason = ?e.reason(), "HTTP/2 connection error");
    }
}

/// The keep-alive PING state.
struct KeepAlive {
    pings: Option<PingPong>,
    interval: std::time::Duration,
    timeout: std::time::Duration,
    /// When the next PING goes out, or the outstanding one's answer is due.
    at: Instant,
    waiting: bool,
}

impl KeepAlive {
    fn new(cfg: &H2Config, pings: Option<PingPong>) -> Self {
        let interval = cfg.keep_alive_interval.unwrap_or_default();
        KeepAlive {
            pings: pings.filter(|_| cfg.keep_alive_interval.is_some()),
            interval,
            timeout: cfg.keep_alive_timeout,
            at: Instant::now() + interval,
            waiting: false,
        }
    }

    /// Resolves when a PING was sent or answered (`true`) or went unanswered (`false`).
    /// Never resolves when keep-alive PINGs are off.
    async fn tick(&mut self) -> bool {
        let Some(pings) = self.pings.as_mut() else {
            return std::future::pending().await;
        };
        if !self.waiting {
            sleep_until(self.at).await;
            if pings.send_ping(Ping::opaque()).is_err() {
                return std::future::pending().await;
            }
            self.waiting = true;
            self.at = Instant::now() + self.timeout;
            return true;
        }
        let due = self.at;
        tokio::select! {
            pong = poll_fn(|cx| pings.poll_pong(cx)) => {
                self.waiting = false;
                self.at = Instant::now() + self.interval;
                if pong.is_err() {
                    return std::future::pending().await;
                }
                true
            }
            _ = sleep_until(due) => false,
        }
    }
}
