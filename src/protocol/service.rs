//! The one hook between the protocol layer and whatever sits above it.
//!
//! A protocol driver (HTTP/1.1, HTTP/2) owns the connection loop. For each connection (HTTP/2:
//! each stream) it asks the [`HttpService`] for an [`Exchange`] — state that holds the
//! [`Request`] being served and the [`Response`] being built, reused request after request —
//! then for each request fills the request, awaits [`HttpService::call`], and encodes the
//! response. A request the driver refuses (see [`Rejection`]) goes to [`HttpService::reject`]
//! instead, so the response is still the service's to render. The app layer implements this
//! trait; the protocol layer never learns about routes or handlers.

use std::future::Future;
use std::net::SocketAddr;

use http::header::{self, HeaderValue};

use super::rejection::Rejection;
use super::request::Request;
use super::response::Response;

/// Facts about the connection a request arrived on.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    /// The client's address.
    pub peer: SocketAddr,
    /// The local address the connection was accepted on.
    pub local: SocketAddr,
}

/// How the driver delivers a request body to the service, decided from the request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyMode {
    /// Read the whole body (bounded by the driver's body-size limit) before calling the
    /// service; the request's `body()` holds it.
    #[default]
    Buffer,
    /// Call the service at once and deliver the body as a [`RequestBody`](super::RequestBody)
    /// stream while it runs, up to `limit` bytes (`None`: unlimited). Trailers of a streamed
    /// chunked body are read and discarded.
    Stream {
        /// Largest body accepted; a larger one ends the stream with a 413 error.
        limit: Option<u64>,
    },
}

/// Per-connection request/response state, reused across requests.
pub trait Exchange: Send + 'static {
    /// The request being served.
    fn request_mut(&mut self) -> &mut Request;
    /// The response being built.
    fn response_mut(&mut self) -> &mut Response;
    /// Clears per-request state, keeping allocations.
    fn reset(&mut self);
}

/// What the protocol layer calls to serve requests.
pub trait HttpService: Send + Sync + 'static {
    /// The per-connection state.
    type Exchange: Exchange;

    /// Creates the state for a new connection.
    fn new_exchange(&self, info: ConnInfo) -> Self::Exchange;

    /// Serves the request in `ex`, leaving the answer in its response.
    fn call<'a>(&'a self, ex: &'a mut Self::Exchange) -> impl Future<Output = ()> + Send + 'a;

    /// Chooses how the body of the request in `ex` (head parsed, body not yet read) is
    /// delivered. Called only for requests that have a body. Buffers by default.
    fn body_mode(&self, _ex: &mut Self::Exchange) -> BodyMode {
        BodyMode::Buffer
    }

    /// Decides whether to accept a request that sent `Expect: 100-continue` (head parsed, body
    /// not yet read). `false` answers 417 Expectation Failed. Accepts by default.
    fn accept_continue(&self, _ex: &mut Self::Exchange) -> bool {
        true
    }

    /// Fills the exchange's response for a request the protocol layer refused. When
    /// `rejection.head_parsed()` the exchange's request holds the parsed head (no body);
    /// otherwise it was reset and is empty. Default: the status with `reason` as a
    /// `text/plain; charset=utf-8` body.
    fn reject<'a>(
        &'a self,
        ex: &'a mut Self::Exchange,
        rejection: Rejection,
    ) -> impl Future<Output = ()> + Send + 'a {
        plain_text(ex.response_mut(), rejection);
        std::future::ready(())
    }
}

/// The default answer to a rejection: its status, and its reason as plain text.
fn plain_text(resp: &mut Response, rejection: Rejection) {
    resp.clear();
    resp.set_status(rejection.status());
    resp.set_header(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp.set_body(rejection.reason());
}
