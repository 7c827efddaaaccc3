//! Serving one HTTP/3 request stream: read the head (within the read timeout), fill the
//! exchange's request, deliver the body the way the service asks (buffered or streamed, see
//! `body.rs`), answer `Expect: 100-continue`, call the service and send its response (see
//! `response.rs`).
//!
//! Refusals answer the same statuses as HTTP/1.1 and HTTP/2 on the offending stream only, with
//! the response the service renders for the [`Rejection`]; a client still sending is asked to
//! stop (`STOP_SENDING` with `H3_NO_ERROR`, RFC 9114 §4.1). Malformed requests (RFC 9114
//! §4.1.2) are `h3`'s to reset with `H3_MESSAGE_ERROR`, and a header section over
//! `max_header_bytes` is answered 431 by `h3` itself. While a 0-RTT connection's handshake is
//! incomplete, a request that is not safe (RFC 9110 §9.2.1) is answered `425 Too Early`
//! (RFC 8470 §5.2): early data can be replayed by an attacker.

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use h3::error::Code;
use h3::server::RequestResolver;
use http::{Method, StatusCode};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::body::{self, Recv};
use super::response::{self, Send};
use crate::protocol::http1::H1Config;
use crate::protocol::parts_request::{fill_request, fill_trailers};
use crate::protocol::rejection::Rejection;
use crate::protocol::request_body::{BodyStop, RequestBody};
use crate::protocol::service::{BodyMode, ConnInfo, Exchange, HttpService};

/// `fut` bounded by `limit`, with the deadline armed only if the first poll does not finish it:
/// a request head usually arrives with its stream and a small response fits the send buffer,
/// so most requests never touch the timer wheel.
pub(crate) async fn deadline<F: std::future::Future>(
    limit: std::time::Duration,
    fut: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    use futures_util::FutureExt;
    let mut fut = std::pin::pin!(fut);
    match fut.as_mut().now_or_never() {
        Some(out) => Ok(out),
        None => tokio::time::timeout(limit, fut).await,
    }
}

/// A request stream whose head has not been read yet.
pub(crate) type Resolver = RequestResolver<h3_quinn::Connection, Bytes>;

/// `425 Too Early` (RFC 8470).
const TOO_EARLY: Rejection = Rejection::new(
    match StatusCode::from_u16(425) {
        Ok(s) => s,
        Err(_) => StatusCode::BAD_REQUEST,
    },
    "request sent in 0-RTT early data",
);

/// Serves one stream on `ex` and hands the exchange back for reuse. `early` is true while the
/// connection's handshake is incomplete (0-RTT). `refused`: the stream arrived after our
/// GOAWAY; it is reset with `H3_REQUEST_REJECTED` (RFC 9114 §5.2) once its head is read.
pub(crate) async fn serve_stream<H: HttpService>(
    service: &H,
    mut ex: Box<H::Exchange>,
    resolver: Resolver,
    early: &AtomicBool,
    cfg: &H1Config,
    info: ConnInfo,
    refused: bool,
) -> Box<H::Exchange> {
    if refused {
        // `h3` can only reset a stream once the head is read.
        if let Ok(Ok((_, mut stream))) =
            tokio::time::timeout(cfg.read_timeout, resolver.resolve_request()).await
        {
            stream.stop_sending(Code::H3_REQUEST_REJECTED);
            stream.stop_stream(Code::H3_REQUEST_REJECTED);
        }
        return ex;
    }
    handle(service, &mut *ex, resolver, early, cfg, info).await;
    ex.reset();
    ex
}

async fn handle<H: HttpService>(
    service: &H,
    ex: &mut H::Exchange,
    resolver: Resolver,
    early: &AtomicBool,
    cfg: &H1Config,
    info: ConnInfo,
) {
    let (req, stream) = match deadline(cfg.read_timeout, resolver.resolve_request()).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) if e.is_h3_no_error() => return,
        Ok(Err(e)) => {
            tracing::warn!(peer = %info.peer, error = %e, "HTTP/3 request refused by the codec");
            return;
        }
        Err(_) => {
            tracing::debug!(peer = %info.peer, "HTTP/3 request head not received in time");
            return;
        }
    };
    let (parts, ()) = req.into_parts();
    let head_only = parts.method == Method::HEAD;
    let filled = fill_request(ex.request_mut(), &parts, cfg);
    let (mut send, recv) = stream.split();
    let safe = matches!(
        parts.method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    drop(parts);
    let (rejection, recv) = match filled {
        Err(r) => (r, Some(Box::new(recv))),
        Ok(()) if !safe && early.load(Ordering::Acquire) => {
            (TOO_EARLY.with_head(true), Some(Box::new(recv)))
        }
        Ok(()) => match serve_request(service, ex, recv, &mut send, (cfg, info, safe)).await {
            Outcome::Answer(unread) => {
                response::send(ex.response_mut(), &mut send, cfg, head_only).await;
                // Dropped only now: a request end still in flight is not met by STOP_SENDING.
                drop(unread);
                return;
            }
            Outcome::Refuse(r, recv) => (r, recv),
            Outcome::Gone => {
                // The client gave up on the request (reset its half, or went away): reset ours
                // too. Dropped as it is, quinn would *finish* it — a clean end without a
                // response, which h3 clients take as a connection error (H3_FRAME_UNEXPECTED)
                // that ends their other requests too.
                send.stop_stream(Code::H3_REQUEST_CANCELLED);
                return;
            }
        },
    };
    Box::pin(refuse(
        service,
        ex,
        (send, recv),
        (cfg, info),
        rejection,
        head_only,
    ))
    .await;
}

/// Answers a refused request with the response the service renders for it, and asks the
/// client to stop sending. Boxed by the caller: a cold path.
async fn refuse<H: HttpService>(
    service: &H,
    ex: &mut H::Exchange,
    (mut send, recv): (Send, Option<Box<Recv>>),
    (cfg, info): (&H1Config, ConnInfo),
    rejection: Rejection,
    head_only: bool,
) {
    let (status, reason) = (rejection.status(), rejection.reason());
    tracing::warn!(peer = %info.peer, status = status.as_u16(), reason, "rejected HTTP/3 request");
    if let Some(mut recv) = recv {
        recv.stop_sending(Code::H3_NO_ERROR);
    }
    if !rejection.head_parsed() {
        ex.request_mut().clear();
    }
    service.reject(ex, rejection).await;
    response::send(ex.response_mut(), &mut send, cfg, head_only).await;
}

/// How the work on a stream ended.
enum Outcome {
    /// The service answered: send its response (then drop the unread body half, if any).
    Answer(Option<Box<Recv>>),
    /// The request was refused before the service ran (with the body's half when unread).
    Refuse(Rejection, Option<Box<Recv>>),
    /// The client is gone.
    Gone,
}

/// The rejection for a body that could not be read (after the head was parsed).
fn refusal(stop: BodyStop) -> Rejection {
    let e = stop.error();
    Rejection::new(e.status(), e.reason()).with_head(true)
}

/// Serves a request whose head is in `ex`: answers `Expect: 100-continue`, delivers the body
/// as the service asks and calls the service.
async fn serve_request<H: HttpService>(
    service: &H,
    ex: &mut H::Exchange,
    mut recv: Recv,
    send: &mut Send,
    (cfg, info, safe): (&H1Config, ConnInfo, bool),
) -> Outcome {
    let framing = ex.request_mut().framing;
    // HTTP/3 tells that no body follows only by the stream's end, which may come in a later
    // packet: waiting for it would cost a GET a round trip. So a zero length says there is
    // none, and so does the lack of one on a safe method (GET, HEAD, OPTIONS, TRACE) — as a
    // request without framing headers has none in HTTP/1.1; such a body is left unread.
    let may_have_body = match framing.content_length {
        Some(n) => n > 0,
        None => !safe,
    };
    if !may_have_body {
        service.call(ex).await;
        return Outcome::Answer(Some(Box::new(recv)));
    }
    let mode = service.body_mode(ex);
    if framing.expect_continue {
        if !service.accept_continue(ex) {
            let refused = Rejection::new(StatusCode::EXPECTATION_FAILED, "100-continue refused");
            return Outcome::Refuse(refused.with_head(true), Some(Box::new(recv)));
        }
        let mut interim = http::Response::new(());
        *interim.status_mut() = StatusCode::CONTINUE;
        if send.send_response(interim).await.is_err() {
            return Outcome::Gone;
        }
    }
    match mode {
        BodyMode::Buffer => {
            let limit = cfg.max_body_bytes;
            if framing.content_length.is_some_and(|n| n > limit as u64) {
                return Outcome::Refuse(refusal(BodyStop::TooLarge), Some(Box::new(recv)));
            }
            let deadline = Instant::now() + cfg.read_timeout;
            match body::collect(&mut recv, limit, deadline).await {
                Ok((bytes, trailers)) => {
                    let req = ex.request_mut();
                    req.body = bytes;
                    if let Some(t) = trailers {
                        fill_trailers(req, &t);
                    }
                }
                Err(BodyStop::Gone | BodyStop::Dropped) => return Outcome::Gone,
                // After a timed-out read the QUIC stream sits in h3-quinn's cancelled read,
                // where `stop_sending` would panic (h3-quinn 0.0.10 unwraps it) and take the
                // whole connection down: the receiving half is dropped instead, which stops
                // the stream all the same (quinn sends STOP_SENDING).
                Err(BodyStop::Timeout) => return Outcome::Refuse(refusal(BodyStop::Timeout), None),
                Err(stop) => return Outcome::Refuse(refusal(stop), Some(Box::new(recv))),
            }
            service.call(ex).await;
        }
        BodyMode::Stream { limit } => {
            if limit.is_some_and(|max| framing.content_length.unwrap_or(0) > max) {
                return Outcome::Refuse(refusal(BodyStop::TooLarge), Some(Box::new(recv)));
            }
            let (tx, rx) = mpsc::channel(1);
            ex.request_mut().body_stream = Some(RequestBody::channel(rx));
            let pump = body::pump(recv, tx, limit, cfg.read_timeout);
            let call = service.call(ex);
            tokio::pin!(call, pump);
            let mut pumping = true;
            loop {
                tokio::select! {
                    biased;
                    () = &mut call => break,
                    end = &mut pump, if pumping => {
                        pumping = false;
                        if let Err(stop @ (BodyStop::TooLarge | BodyStop::Timeout)) = end {
                            let e = stop.error();
                            tracing::warn!(peer = %info.peer, status = e.status().as_u16(), reason = e.reason(), "streamed HTTP/3 request body failed");
                        }
                    }
                }
            }
        }
    }
    Outcome::Answer(None)
}
