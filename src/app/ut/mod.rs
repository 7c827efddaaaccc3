//! Testing handlers without a socket, like Hertz's `ut.PerformRequest`: build the request, run
//! it through the server in-process, and inspect the response. It is faithful: the request is
//! written as HTTP/1.1 bytes into an in-memory pipe and served by the real connection driver
//! with the server's own limits (413, 414, 431 …), body mode (streamed routes stream), continue
//! hook (`Expect: 100-continue` → 417 when refused), middleware and error rendering; the
//! response is read back off the pipe, and a streamed body that fails shows up in
//! [`TestResponse::body_error`] instead of passing for a complete one.
//!
//! ```
//! use khz::prelude::*;
//! use khz::ut::perform_request;
//!
//! async fn ping(ctx: &mut RequestContext) {
//!     ctx.json(StatusCode::OK, &serde_json::json!({"message": "pong"}));
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let server = Server::default();
//! server.get("/ping", ping);
//! let res = perform_request(&server, Method::GET, "/ping", "", &[]).await;
//! assert_eq!(res.status(), StatusCode::OK);
//! assert_eq!(res.text(), r#"{"message":"pong"}"#);
//! # }
//! ```

mod wire;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode};
use tokio::io::AsyncWriteExt;

use super::context::RequestContext;
use super::dispatch::{route_once, App};
use super::server::Server;
use crate::protocol::http1::parse::parse_head;
use crate::protocol::ConnInfo;
use crate::transport::{Conn, Shutdown};

/// The response recorded by [`perform_request`].
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    trailers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    body_error: Option<String>,
}

impl TestResponse {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The first value of header `name` (case-insensitive) as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.to_str().ok())
    }

    /// Every header of the response as sent, in order (including `Date`, `Server`,
    /// `Content-Length` / `Transfer-Encoding` and `Connection`, which the driver adds).
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// Trailer fields sent after a chunked body.
    pub fn trailers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.trailers
    }

    /// The body (a streamed one, collected).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Why the body is incomplete — a streamed response whose stream failed, a short sized
    /// stream — or `None` when it arrived whole.
    pub fn body_error(&self) -> Option<&str> {
        self.body_error.as_deref()
    }
}

fn failure(status: StatusCode, reason: &str) -> TestResponse {
    TestResponse {
        status,
        headers: Vec::new(),
        trailers: Vec::new(),
        body: Bytes::copy_from_slice(reason.as_bytes()),
        body_error: None,
    }
}

/// The request head as HTTP/1.1 bytes for a body of `body_len` bytes: `Host` and
/// `Content-Length` added when missing; with `Connection: close` unless the caller set
/// `Connection`, so the driver ends after answering.
fn request_head(method: &Method, url: &str, body_len: usize, headers: &[(&str, &str)]) -> Vec<u8> {
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut raw = format!("{} {url} HTTP/1.1\r\n", method.as_str());
    if !has("host") {
        raw.push_str("Host: localhost\r\n");
    }
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has("content-length") && !has("transfer-encoding") && body_len > 0 {
        raw.push_str(&format!("Content-Length: {body_len}\r\n"));
    }
    if !has("connection") {
        raw.push_str("Connection: close\r\n");
    }
    raw.push_str("\r\n");
    raw.into_bytes()
}

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Builds the app of `server` and a context holding the request, parsed by the real parser
/// with the server's limits.
fn prepare(
    server: &Server,
    method: Method,
    url: &str,
    body: Bytes,
    headers: &[(&str, &str)],
) -> Result<(Arc<App>, RequestContext), TestResponse> {
    let app = match server.build_app() {
        Ok(app) => Arc::new(app),
        Err(e) => return Err(failure(StatusCode::INTERNAL_SERVER_ERROR, e.message())),
    };
    let raw = request_head(&method, url, 0, headers);
    let info = ConnInfo {
        peer: loopback(),
        local: loopback(),
    };
    let mut ctx = RequestContext::new(app.clone(), info);
    let head = Bytes::from(raw);
    match parse_head(&head, &server.opts.h1, &mut ctx.req) {
        Ok(Some(_)) => {}
        Ok(None) => return Err(failure(StatusCode::BAD_REQUEST, "incomplete request")),
        Err(e) => return Err(failure(e.status(), e.reason())),
    }
    ctx.req.head = head;
    ctx.req.body = body;
    Ok((app, ctx))
}

/// A context holding the request as `server` routes it (path parameters filled), without
/// running any handler: for benchmarks and tests of code that reads a context, such as
/// binding. A request the server would reject yields that response instead.
#[doc(hidden)]
pub fn routed_context(
    server: &Server,
    method: Method,
    url: &str,
    body: impl Into<Bytes>,
    headers: &[(&str, &str)],
) -> Result<RequestContext, TestResponse> {
    let (app, mut ctx) = prepare(server, method, url, body.into(), headers)?;
    route_once(&app, &mut ctx);
    Ok(ctx)
}

/// Runs one request through `server` — its limits, body mode, continue hook, routes,
/// middleware and error rendering, on the real HTTP/1.1 driver — and records the response.
///
/// `url` is a path with optional query (`/users/1?x=2`); `headers` are sent as given, plus a
/// `Host`, a `Content-Length` when the body is not empty, and `Connection: close` when
/// missing. A server that cannot start (route conflicts, bad options) yields a 500 naming the
/// problems.
pub async fn perform_request(
    server: &Server,
    method: Method,
    url: &str,
    body: impl Into<Bytes>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let service = match server.build_service() {
        Ok(service) => service,
        Err(e) => return failure(StatusCode::INTERNAL_SERVER_ERROR, e.message()),
    };
    let body: Bytes = body.into();
    let head = request_head(&method, url, body.len(), headers);
    // Like a real client, one that sent `Expect: 100-continue` holds its body back until the
    // server says `100 Continue` — so the continue hook runs, and a refusal is a 417.
    let expects = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("expect") && v.eq_ignore_ascii_case("100-continue"));
    let (continued, go_on) = if expects && !body.is_empty() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    let (mut client, server_io) = tokio::io::duplex(64 * 1024);
    let conn = Conn::new(server_io, loopback(), loopback());
    let shutdown = Shutdown::new();
    let driver = crate::protocol::http1::serve(conn, &service, &server.opts.h1, &shutdown);
    let exchange = async {
        let (mut rx, mut tx) = tokio::io::split(&mut client);
        // Written while the answer is read: a server that answers early (413) or streams
        // a large response never waits on a full pipe.
        let send = async {
            if tx.write_all(&head).await.is_err() {
                return;
            }
            if let Some(go_on) = go_on {
                if go_on.await != Ok(true) {
                    return; // answered without 100 Continue: the body is never sent
                }
            }
            let _ = tx.write_all(&body).await;
        };
        let read = wire::read_response(&mut rx, method == Method::HEAD, continued);
        let (_, response) = tokio::join!(send, read);
        response
    };
    tokio::pin!(driver);
    tokio::pin!(exchange);
    // The driver ends when it closes the connection; the exchange ends with the response. A
    // connection handed over (upgrade) keeps the driver busy: the response is all we wait for.
    let response = tokio::select! {
        r = &mut exchange => r,
        () = &mut driver => exchange.await,
    };
    match response {
        Ok(r) => TestResponse {
            status: r.status,
            headers: r.headers,
            trailers: r.trailers,
            body: r.body,
            body_error: r.body_error,
        },
        Err(reason) => failure(StatusCode::BAD_GATEWAY, &reason),
    }
}
