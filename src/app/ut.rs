//! Testing handlers without a socket, like Hertz's `ut.PerformRequest`: build the request,
//! run it through the server's router and handler chain in-process, and inspect the recorded
//! response. The request is synthesized as HTTP/1.1 bytes and parsed by the real parser, so it
//! is held to the same rules as one from the network.
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
//! let mut server = Server::default();
//! server.get("/ping", ping).unwrap();
//! let res = perform_request(&server, Method::GET, "/ping", "", &[]).await;
//! assert_eq!(res.status(), StatusCode::OK);
//! assert_eq!(res.text(), r#"{"message":"pong"}"#);
//! # }
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode};

use super::context::RequestContext;
use super::engine::{dispatch, route_once, App};
use super::server::Server;
use crate::protocol::http1::parse::parse_head;
use crate::protocol::http1::H1Config;
use crate::protocol::{Body, ConnInfo};

/// The response recorded by [`perform_request`].
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
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

    /// All headers set by the handler chain (the encoder's `Date`, `Server` and framing
    /// headers are not part of it).
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// The body (streams are collected).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn failure(status: StatusCode, reason: &str) -> TestResponse {
    TestResponse {
        status,
        headers: Vec::new(),
        body: Bytes::copy_from_slice(reason.as_bytes()),
    }
}

/// Builds the app of `server` and a context holding the request, parsed by the real parser.
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
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut raw = format!("{} {url} HTTP/1.1\r\n", method.as_str());
    if !has("host") {
        raw.push_str("Host: localhost\r\n");
    }
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has("content-length") && !has("transfer-encoding") && !body.is_empty() {
        raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");

    let local = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let info = ConnInfo { peer: local, local };
    let mut ctx = RequestContext::new(app.clone(), info);
    let head = Bytes::from(raw);
    match parse_head(&head, &H1Config::default(), &mut ctx.req) {
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

/// Runs one request through `server`'s routes and middleware and records the response.
///
/// `url` is a path with optional query (`/users/1?x=2`); `headers` are added as given, plus a
/// `Host` and a `Content-Length` when missing. A request the real server would reject (bad
/// syntax, limits) yields that status with the reason as body.
pub async fn perform_request(
    server: &Server,
    method: Method,
    url: &str,
    body: impl Into<Bytes>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let (app, mut ctx) = match prepare(server, method, url, body.into(), headers) {
        Ok(prepared) => prepared,
        Err(failed) => return failed,
    };
    dispatch(&app, &mut ctx).await;

    let resp = &mut ctx.resp;
    let headers = resp
        .headers()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let body = match resp.take_body() {
        Body::Stream(mut s) | Body::SizedStream(_, mut s) => {
            let mut all = BytesMut::new();
            while let Some(chunk) = s.next().await {
                match chunk {
                    Ok(c) => all.extend_from_slice(&c),
                    Err(_) => break,
                }
            }
            all.freeze()
        }
        other => {
            resp.set_body(other);
            Bytes::copy_from_slice(resp.body_bytes())
        }
    };
    TestResponse {
        status: resp.status(),
        headers,
        body,
    }
}
