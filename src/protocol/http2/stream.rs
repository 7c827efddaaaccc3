//! Serving one HTTP/2 stream: fill the exchange's request from the stream's head, deliver the
//! body the way the service asks (buffered or streamed, see `body.rs`), answer
//! `Expect: 100-continue`, call the service, and send its response (see `response.rs`).
//!
//! Refusals mirror HTTP/1.1's status codes, but only the offending stream is affected: it gets
//! the response the service renders for the [`Rejection`] ([`HttpService::reject`]; plain text
//! by default) and, if the client was still sending, RST_STREAM `NO_ERROR` (RFC 9113 §8.1) —
//! the connection and its other streams go on. Malformed requests (RFC 9113
//! §8.1.1) are `h2`'s to reset with `PROTOCOL_ERROR`; note that it reads a missing `:path` as `/`.

use std::future::poll_fn;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{Method, StatusCode};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::body::{self, BodyStop};
use super::response;
use crate::protocol::http1::H1Config;
use crate::protocol::parts_request::{fill_request, fill_trailers};
use crate::protocol::rejection::Rejection;
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

/// Answers a refused request with the response the service renders for it. Boxed by the
/// caller: the service's `reject` future is a cold path and must not be part of every stream.
async fn refuse<H: HttpService>(
    service: &H,
    ex: &mut H::Exchange,
    respond: SendResponse<Bytes>,
    (cfg, info): (&H1Config, ConnInfo),
    rejection: Rejection,
    head_only: bool,
) {
    let (status, reason) = (rejection.status(), rejection.reason());
    tracing::warn!(peer = %info.peer, status = status.as_u16(), reason, "rejected HTTP/2 request");
    if !rejection.head_parsed() {
        ex.request_mut().clear();
    }
    service.reject(ex, rejection).await;
    response::send(ex.response_mut(), respond, cfg, head_only).await;
}

/// The rejection for a body that could not be read (after the head was parsed).
fn refusal(stop: BodyStop) -> Rejection {
    let e = stop.error();
    Rejection::new(e.status(), e.reason()).with_head(true)
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
    let head_only = parts.method == Method::HEAD;
    let filled = fill_request(ex.request_mut(), &parts, cfg);
    drop(parts);
    let rejection = match filled {
        Err(r) => r,
        Ok(()) => match serve_request(service, ex, recv, &mut respond, cfg, info).await {
            Outcome::Answer => {
                return response::send(ex.response_mut(), respond, cfg, head_only).await
            }
            Outcome::Refuse(r) => r,
            Outcome::Gone => return,
        },
    };
    Box::pin(refuse(
        service,
        ex,
        respond,
        (cfg, info),
        rejection,
        head_only,
    ))
    .await;
}

/// Serves a request whose head is in `ex`: answers `Expect: 100-continue`, then delivers the
/// body and calls the service unless the client resets the stream meanwhile.
async fn serve_request<H: HttpService>(
    service: &H,
    ex: &mut H::Exchange,
    recv: RecvStream,
    respond: &mut SendResponse<Bytes>,
    cfg: &H1Config,
    info: ConnInfo,
) -> Outcome {
    let has_body = !recv.is_end_stream();
    let mode = if has_body {
        service.body_mode(ex)
    } else {
        BodyMode::Buffer
    };
    if has_body && ex.request_mut().framing.expect_continue {
        if !service.accept_continue(ex) {
            let refused = Rejection::new(StatusCode::EXPECTATION_FAILED, "100-continue refused");
            return Outcome::Refuse(refused.with_head(true));
        }
        let mut interim = http::Response::new(());
        *interim.status_mut() = StatusCode::CONTINUE;
        if respond.send_informational(interim).is_err() {
            return Outcome::Gone;
        }
    }
    // A client that resets the stream cancels the work for it (the handler future is dropped,
    // as hyper does): reset streams never pile up running handlers, which would let a
    // rapid-reset flood of already-accepted streams through.
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
}

/// How the work on a stream ended.
enum Outcome {
    /// The service answered: send its response.
    Answer,
    /// The request was refused before the service ran.
    Refuse(Rejection),
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

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::StatusCode;

    use super::super::{serve, H2Config};
    use crate::protocol::http1::H1Config;
    use crate::protocol::service::{ConnInfo, HttpService};
    use crate::protocol::testing::JsonRejects;
    use crate::transport::Shutdown;

    /// Serves one in-memory HTTP/2 connection with `service` and sends `req` (with `body`, if
    /// any); returns the status and the body of the answer.
    async fn round_trip<H: HttpService>(
        service: H,
        cfg: H1Config,
        req: http::Request<()>,
        body: Option<&'static [u8]>,
    ) -> (StatusCode, Bytes) {
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let addr = ([127, 0, 0, 1], 1).into();
        let info = ConnInfo {
            peer: addr,
            local: addr,
        };
        let server = tokio::spawn(async move {
            serve(
                server_io,
                &service,
                &H2Config::default(),
                &cfg,
                info,
                &Shutdown::new(),
            )
            .await;
        });
        let (mut client, conn) = h2::client::handshake(client_io).await.unwrap();
        let driver = tokio::spawn(conn);
        let (answer, mut send) = client.send_request(req, body.is_none()).unwrap();
        if let Some(body) = body {
            // The server may refuse (and reset the stream) before the body is sent.
            let _ = send.send_data(Bytes::from_static(body), true);
        }
        let resp = answer.await.unwrap();
        let status = resp.status();
        let mut recv = resp.into_body();
        let mut got = Vec::new();
        while let Some(chunk) = recv.data().await {
            let chunk = chunk.unwrap();
            let _ = recv.flow_control().release_capacity(chunk.len());
            got.extend_from_slice(&chunk);
        }
        // The connection itself would stay open until the idle timeout: the test is done.
        driver.abort();
        server.abort();
        (status, Bytes::from(got))
    }

    #[tokio::test]
    async fn a_custom_reject_renders_a_refused_head() {
        let cfg = H1Config {
            max_uri_len: 8,
            ..H1Config::default()
        };
        let req = http::Request::get("http://a/a-long-path").body(()).unwrap();
        let (status, body) = round_trip(JsonRejects, cfg, req, None).await;
        assert_eq!(status, StatusCode::URI_TOO_LONG);
        assert_eq!(
            body,
            r#"{"status":414,"reason":"request target too long","head":false,"path":""}"#
        );
    }

    #[tokio::test]
    async fn a_custom_reject_sees_the_head_of_a_body_too_large() {
        let cfg = H1Config {
            max_body_bytes: 4,
            ..H1Config::default()
        };
        let req = http::Request::post("http://a/upload")
            .header("content-length", "10")
            .body(())
            .unwrap();
        let (status, body) = round_trip(JsonRejects, cfg, req, Some(b"0123456789")).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            body,
            r#"{"status":413,"reason":"request body too large","head":true,"path":"/upload"}"#
        );
    }
}
