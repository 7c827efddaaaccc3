//! [`RequestContext`]: everything a handler sees of one request and writes of its response,
//! plus the flow of the handler chain (`next`, `abort`).
//!
//! A context belongs to one connection and is reused for each request on it (cleared in
//! between, allocations kept). Handlers get it as `&mut RequestContext` for the duration of the
//! call, so — unlike Hertz, where pooled contexts must be `Copy()`ed before use in a goroutine —
//! a handler cannot keep it past the request: the borrow checker refuses. Data that must
//! outlive the request is copied out explicitly (`ctx.body().clone()` is a cheap `Bytes`).
//!
//! **Reads don't block writes.** The values a handler most often writes back — path
//! parameters, query values, headers, cookies — are returned as [`ByteString`]s: owned,
//! reference-counted views into the request head (a copy only when percent-decoding had to make
//! a new string). They don't borrow the context, so this compiles and allocates nothing:
//!
//! ```
//! use khz::prelude::*;
//! async fn hello(ctx: &mut RequestContext) {
//!     let name = ctx.param("name").unwrap_or_default();
//!     if let Some(id) = ctx.header("x-request-id") {
//!         ctx.set_header("x-request-id", &*id);
//!     }
//!     ctx.string(StatusCode::OK, name);
//! }
//! ```
//!
//! **The chain.** `next().await` runs the rest of the chain (the onion). A handler that
//! answers — sets a status or a body — and returns without calling `next()` ends the chain
//! there: nothing after it runs, so an auth middleware that writes a 401 and returns cannot be
//! bypassed by the handler overwriting it (as in tower/axum, where not calling the inner
//! service ends the request). A middleware that writes nothing and returns without `next()`
//! lets the chain go on to the next handler, as Gin and Hertz do; [`abort`](RequestContext::abort)
//! stops the chain explicitly, and returning `Err` stops it with the error's answer.
//!
//! Request accessors live here; response helpers in `context_response.rs`; typed keys and
//! shared state in `keys.rs`; errors in `error.rs`.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use bytes::Bytes;
pub use bytestring::ByteString;
use futures_util::FutureExt;
use http::{Method, StatusCode, Version};

use super::dispatch::{view, App, Routed};
use super::error::ResponseError;
use super::handler::Chain;
use super::keys::Keys;
use crate::protocol::{ConnInfo, Exchange, HeaderView, Request, Response};

/// The per-request context handed to handlers and middleware.
pub struct RequestContext {
    pub(crate) req: Request,
    pub(crate) resp: Response,
    pub(crate) info: ConnInfo,
    pub(crate) app: Arc<App>,
    /// The path the router matched (percent-decoded unless routing on raw paths); parameters
    /// are ranges into it. Filled once per request, allocation kept across requests.
    pub(crate) routing_path: String,
    /// Whether the routing path is the raw path as it stands in the request head (nothing
    /// decoded): parameters are then views into the head.
    pub(crate) path_is_raw: bool,
    /// Byte ranges of the route parameters within the routing path, in pattern order.
    pub(crate) params: Vec<(u32, u32)>,
    /// Index of the matched route in the app's route table.
    pub(crate) route: Option<usize>,
    pub(crate) routed: Routed,
    pub(crate) chain: Option<Chain>,
    pub(crate) next_index: usize,
    pub(crate) aborted: bool,
    pub(crate) keys: Keys,
    /// The error a handler returned, or the protocol rejection being answered.
    pub(crate) error: Option<Box<dyn ResponseError>>,
    /// The redirect dispatch decided on (sent by the last handler of the redirect chain).
    pub(crate) pending_redirect: Option<(StatusCode, String)>,
}

impl RequestContext {
    pub(crate) fn new(app: Arc<App>, info: ConnInfo) -> Self {
        RequestContext {
            req: Request::default(),
            resp: Response::default(),
            info,
            app,
            routing_path: String::new(),
            path_is_raw: true,
            params: Vec::new(),
            route: None,
            routed: Routed::Pending,
            chain: None,
            next_index: 0,
            aborted: false,
            keys: Keys::default(),
            error: None,
            pending_redirect: None,
        }
    }

    // ----- flow -------------------------------------------------------------------------

    /// Runs the rest of the handler chain (the middleware "onion"): code before `next().await`
    /// runs on the way in, code after it on the way out. A handler further down that answers
    /// and returns without `next()` ends the chain there (see the [module docs](self)).
    ///
    /// ```
    /// use khz::prelude::*;
    /// async fn timing(ctx: &mut RequestContext) {
    ///     let started = std::time::Instant::now();
    ///     ctx.next().await;
    ///     let us = started.elapsed().as_micros().to_string();
    ///     ctx.set_header("x-elapsed-us", us);
    /// }
    /// ```
    pub async fn next(&mut self) {
        let Some(chain) = self.chain.clone() else {
            return;
        };
        while !self.aborted {
            let Some(handler) = chain.get(self.next_index) else {
                break;
            };
            self.next_index += 1;
            let writes = self.resp.writes();
            handler.call_inline(self).await;
            if self.resp.writes() != writes {
                // It answered (and either ran the rest itself or chose not to): done.
                break;
            }
        }
    }

    /// Runs the rest of the chain like [`next`](Self::next), turning a panic anywhere in it
    /// into `500 Internal Server Error` for this request only: the panic is logged with the
    /// method, path and message, and the partial response is discarded. This is what the
    /// [`recovery`](crate::middleware::recovery) middleware does (`Server::default()` has it).
    /// Requires `panic = "unwind"` (the default).
    pub async fn next_recovering(&mut self) {
        let outcome = AssertUnwindSafe(self.next()).catch_unwind().await;
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(non-string panic payload)");
            tracing::error!(
                method = %self.method(),
                path = self.path(),
                panic = message,
                "handler panicked; answering 500"
            );
            self.reset_response();
            self.abort_with_msg(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 internal server error",
            );
        }
    }

    /// Stops the chain: handlers after the current one do not run. The response is kept.
    pub fn abort(&mut self) {
        self.aborted = true;
    }

    /// Stops the chain and sets the status.
    pub fn abort_with_status(&mut self, status: StatusCode) {
        self.resp.set_status(status);
        self.abort();
    }

    /// Stops the chain and answers `status` with a plain-text message.
    pub fn abort_with_msg(&mut self, status: StatusCode, msg: impl Into<String>) {
        self.string(status, msg.into());
        self.abort();
    }

    /// Whether the chain was stopped.
    pub fn is_aborted(&self) -> bool {
        self.aborted
    }

    /// The name of the matched route's final handler (for logs), if a route matched.
    pub fn handler_name(&self) -> Option<&str> {
        self.route.map(|i| self.app.routes[i].handler_name)
    }

    // ----- request ----------------------------------------------------------------------

    /// The request method.
    pub fn method(&self) -> &Method {
        self.req.method()
    }

    /// The HTTP version of the request.
    pub fn version(&self) -> Version {
        self.req.version()
    }

    /// The path the router matched: percent-decoded unless the server routes on raw paths.
    pub fn path(&self) -> &str {
        &self.routing_path
    }

    /// The request target exactly as received (path and query, still encoded).
    pub fn uri(&self) -> &str {
        self.req.uri()
    }

    /// The `Host` header (a view into the request, see [`ByteString`]).
    pub fn host(&self) -> Option<ByteString> {
        self.header("host")
    }

    /// The matched route's pattern, e.g. `/users/:id` (empty when no route matched).
    pub fn full_path(&self) -> &str {
        self.route
            .map_or("", |i| self.app.routes[i].pattern.as_str())
    }

    /// The value of path parameter `name` (`:name` or `*name`): a view into the request path
    /// that does not borrow the context, so it can be written straight into the response.
    pub fn param(&self, name: &str) -> Option<ByteString> {
        let (start, end) = self.param_span(name)?;
        if self.path_is_raw {
            // The routing path is the raw path: the same bytes stand in the request head.
            let value = self.req.path().get(start..end)?;
            Some(view(self.req.raw_head(), value))
        } else {
            self.routing_path.get(start..end).map(ByteString::from) // decoded: a new string
        }
    }

    /// Path parameter `name`, or `default` when the route has none of that name.
    pub fn param_or(&self, name: &str, default: &'static str) -> ByteString {
        self.param(name)
            .unwrap_or_else(|| ByteString::from_static(default))
    }

    /// Path parameter `name` borrowed from the context.
    pub(crate) fn param_str(&self, name: &str) -> Option<&str> {
        let (start, end) = self.param_span(name)?;
        self.path().get(start..end)
    }

    /// Where parameter `name` stands in the routing path.
    fn param_span(&self, name: &str) -> Option<(usize, usize)> {
        let route = &self.app.routes[self.route?];
        let i = route.param_names.iter().position(|n| n == name)?;
        let (start, end) = *self.params.get(i)?;
        Some((start as usize, end as usize))
    }

    /// All path parameters as `(name, value)`, borrowed.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        let names = self
            .route
            .map_or(&[][..], |i| &self.app.routes[i].param_names[..]);
        let path = self.path();
        names
            .iter()
            .zip(self.params.iter())
            .map(move |(n, &(s, e))| {
                (
                    n.as_str(),
                    path.get(s as usize..e as usize).unwrap_or_default(),
                )
            })
    }

    /// The raw query string (after `?`), if any.
    pub fn query_string(&self) -> Option<&str> {
        self.req.query_string()
    }

    /// The first value of query parameter `key`, percent-decoded: a view into the request
    /// (a new string only when decoding changed it).
    pub fn query(&self, key: &str) -> Option<ByteString> {
        self.query_cow(key).map(|v| self.owned(v))
    }

    /// Query parameter `key`, or `default` when absent.
    pub fn query_or(&self, key: &str, default: &'static str) -> ByteString {
        self.query(key)
            .unwrap_or_else(|| ByteString::from_static(default))
    }

    /// Every value of query parameter `key`, in order.
    pub fn query_all(&self, key: &str) -> Vec<ByteString> {
        let Some(q) = self.req.query_string() else {
            return Vec::new();
        };
        form_urlencoded::parse(q.as_bytes())
            .filter(|(k, _)| k == key)
            .map(|(_, v)| self.owned(v))
            .collect()
    }

    /// The first value of query parameter `key`, borrowed when no decoding was needed.
    pub(crate) fn query_cow(&self, key: &str) -> Option<Cow<'_, str>> {
        let q = self.req.query_string()?;
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Request header `name` borrowed from the context.
    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.req.headers().get_str(name)
    }

    /// Cookie `name` borrowed from the context.
    pub(crate) fn cookie_str(&self, name: &str) -> Option<&str> {
        self.cookies().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// A decoded value: a view into the head when it is a slice of it.
    fn owned(&self, v: Cow<'_, str>) -> ByteString {
        match v {
            Cow::Borrowed(s) => view(self.req.raw_head(), s),
            Cow::Owned(s) => ByteString::from(s),
        }
    }

    /// The first value of request header `name` (case-insensitive), if it is valid UTF-8: a
    /// view into the request head.
    pub fn header(&self, name: &str) -> Option<ByteString> {
        let value = self.req.headers().get_str(name)?;
        Some(view(self.req.raw_head(), value))
    }

    /// The first value of request header `name` as raw bytes, borrowed.
    pub fn header_bytes(&self, name: &str) -> Option<&[u8]> {
        self.req.header(name)
    }

    /// All request headers.
    pub fn headers(&self) -> HeaderView<'_> {
        self.req.headers()
    }

    /// The value of cookie `name` from the `Cookie` header(s): a view into the request head.
    pub fn cookie(&self, name: &str) -> Option<ByteString> {
        let value = self.cookie_str(name)?;
        Some(view(self.req.raw_head(), value))
    }

    /// The request body (fully read; a cheap-to-clone [`Bytes`]).
    pub fn body(&self) -> &Bytes {
        self.req.body()
    }

    /// The `Content-Type` header, borrowed.
    pub fn content_type(&self) -> Option<&str> {
        self.req.headers().get_str("content-type")
    }

    /// The client's address (the TCP peer; proxies are not consulted).
    pub fn remote_addr(&self) -> SocketAddr {
        self.info.peer
    }

    /// The local address the request arrived on.
    pub fn local_addr(&self) -> SocketAddr {
        self.info.local
    }

    /// The protocol-level request.
    pub fn request(&self) -> &Request {
        &self.req
    }

    /// The protocol-level request, mutable (e.g. to replace the body).
    pub fn request_mut(&mut self) -> &mut Request {
        &mut self.req
    }

    /// Clears per-request state for the next request, keeping allocations.
    pub(crate) fn clear(&mut self) {
        self.req.clear();
        self.resp.clear();
        self.routing_path.clear();
        self.path_is_raw = true;
        self.params.clear();
        self.route = None;
        self.routed = Routed::Pending;
        self.chain = None;
        self.next_index = 0;
        self.aborted = false;
        self.keys.clear();
        self.error = None;
        self.pending_redirect = None;
    }
}

impl Exchange for RequestContext {
    fn request_mut(&mut self) -> &mut Request {
        &mut self.req
    }

    fn response_mut(&mut self) -> &mut Response {
        &mut self.resp
    }

    fn reset(&mut self) {
        self.clear();
    }
}
