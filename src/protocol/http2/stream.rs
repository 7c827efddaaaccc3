//! Serving one HTTP/2 stream: fill the exchange's request from the stream's head, deliver the
//! body the way the service asks (buffered or streamed, see `body.rs`), answer
//! `Expect: 100-continue`, call the service, and send its response (see `response.rs`).
//!
//! Refusals mirror HTTP/1.1's status codes, but only the offending stream is affected: it gets
//! its plain-text error response and, if the client was still sending, RST_STREAM `NO_ERROR`
//! (RFC 9113 §8.1) — the connection and its other streams go on. Malformed requests (RFC 9113
//! §8.1.1) are `h2`'s to reset with `PROTOCOL_ERROR`; note that it reads a missing `:path` as `/`.

use std::future::poll_fn;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::body::{self, BodyStop};
use super::request::{fill_request, fill_trailers, Refusal};
use super::response;
use crate::protocol::http1::H1Config;
use crate::protocol::request_body::RequestBody;
use crate::protocol::service::{BodyMode, ConnInfo, Exchange, HttpService};

/// Serves one stream on `ex` and hands the exchange back for reuse.
pub(crate) async fn serve_stream<H: HttpService>(
    service: &H,
    mut ex: Box<H::Exchange>,
    req: http::Request<RecvStream>,
    respond: SendResponse<Bytes>,
    cfg: &H1Config,
    info: ConnInfo,
) -> Box<H::Exchange> {
    handle(service, &mut *ex, req, respond, cfg, info).await;
    ex.reset();
    ex
}

/// Answers a refused request with a plain-text error.
async fn refuse<X: Exchange>(
    ex: &mut X,
    respond: SendResponse<Bytes>,
    cfg: &H1Config,
    info: ConnInfo,
    (status, reason): Refusal,
) {
    tracing::warn!(peer = %info.peer, status = status.as_u16(), reason, "rejected HTTP/2 request");
    let resp = ex.response_mut();
    resp.clear();
    resp.set_status(status);
    resp.set_header(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp.set_body(reason);
    response::send(resp, respond, cfg, false).await;
}

fn refusal(stop: BodyStop) -> Refusal {
    let e = stop.error();
    (e.status(), e.reason())
}

async fn handle<H: HttpService>(
    service: &H,
    ex: &mut H::Exchange,
    req: http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    cfg: &H1Config,
    info: ConnInfo,
) {
    let (parts, recv) = req.into_parts();
    if let Err(r) = fill_request(ex.request_mut(), &parts, cfg) {
        return refuse(ex, respond, cfg, info, r).await;
    }
    let head_only = parts.method == Method::HEAD;
    drop(parts);
    let has_body = !recv.is_end_stream();
    let mode = if has_body {
        service.body_mode(ex)
    } else {
        BodyMode::Buffer
    };
    if has_body && ex.request_mut().framing.expect_continue {
        if !service.accept_continue(ex) {
            return refuse(
                ex,
                respond,
                cfg,
                info,
                (StatusCode::EXPECTATION_FAILED, "100-continue refused"),
            )
            .await;
        }
        let mut interim = http::Response::new(());
        *interim.status_mut() = StatusCode::CONTINUE;
        if respond.send_informational(interim).is_err() {
            return;
        }
    }
    // A client that resets the stream cancels the work for it (the handler future is dropped,
    // as hyper does): reset streams never pile up running handlers, which would let a
    // rapid-reset flood of already-accepted streams through.
    let outcome = {
        let work = run(service, ex, recv, mode, cfg, info);
        tokio::pin!(work);
        tokio::select! {
            biased;
            outcome = &mut work => outcome,
            reset = poll_fn(|cx| respond.poll_reset(cx)) => {
                tracing::debug!(peer = %info.peer, reason = ?reset.ok(), "stream reset by the client; its handler is dropped");
                Outcome::Gone
            }
        }
    };
    match outcome {
        Outcome::Answer => response::send(ex.response_mut(), respond, cfg, head_only).await,
        Outcome::Refuse(r) => refuse(ex, respond, cfg, info, r).await,
        Outcome::Gone => {}
    }
}

/// How the work on a stream ended.
enum Outcome {
    /// The service answered: send its response.
    Answer,
    /// The request was refused before the service ran.
    Refuse(Refusal),
    /// The client is gone.
    Gone,
}

/// Delivers the body as `mode` asks and calls the service.
async fn run<H: HttpService>(
    service: &H,
    ex: &mut H::Exchange,
    mut recv: RecvStream,
    mode: BodyMode,
    cfg: &H1Config,
    info: ConnInfo,
) -> Outcome {
    let has_body = !recv.is_end_stream();
    let framing = ex.request_mut().framing;
    match mode {
        BodyMode::Buffer => {
            if has_body {
                let limit = cfg.max_body_bytes;
                if framing.content_length.is_some_and(|n| n > limit as u64) {
                    return Outcome::Refuse(refusal(BodyStop::TooLarge));
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
                    Err(stop) => return Outcome::Refuse(refusal(stop)),
                }
            }
            service.call(ex).await;
        }
        BodyMode::Stream { limit } => {
            if limit.is_some_and(|max| framing.content_length.unwrap_or(0) > max) {
                return Outcome::Refuse(refusal(BodyStop::TooLarge));
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
                            tracing::warn!(peer = %info.peer, status = e.status().as_u16(), reason = e.reason(), "streamed HTTP/2 request body failed");
                        }
                    }
                }
            }
        }
    }
    Outcome::Answer
}
