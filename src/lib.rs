//! # khz
//!
//! A layered HTTP framework in the spirit of CloudWeGo Hertz. The map (`docs/ARCHITECTURE.md`):
//! [`transport`] (listeners, connections, the adaptive linked buffer, TLS, the std and epoll
//! engines) → [`protocol`] (HTTP/1.1 parsed zero-copy, HTTP/2 on `h2`, user protocols by ALPN)
//! → [`route`] (radix router with Hertz semantics) → [`app`] (server, request context, handler
//! chain, errors, binding, rendering, `ut`). [`middleware`] holds ready-made middleware built
//! only on the public API of [`app`]. [`common`] holds the error type and the date cache. The
//! README's taste, compiled:
//!
//! ```no_run
//! use khz::prelude::*;
//!
//! #[derive(khz::Bind)]
//! struct NewNote {
//!     #[vd("mblen($) > 0 && mblen($) <= 80", msg = "title must be 1 to 80 characters")]
//!     title: String,
//! }
//!
//! async fn hello(ctx: &mut RequestContext) {
//!     let name = ctx.param_or("name", "world");   // a view into the request: no copy, no borrow
//!     ctx.string(StatusCode::OK, name);           // ...so it can be written straight back
//! }
//!
//! async fn show(ctx: &mut RequestContext) -> khz::Result<()> {        // handlers may fail with `?`
//!     let id: u64 = ctx.param_or("id", "").parse().or_status(StatusCode::BAD_REQUEST)?;
//!     let note = find_note(id).ok_or_else(|| khz::Error::status(StatusCode::NOT_FOUND, "no such note"))?;
//!     ctx.json(StatusCode::OK, &note);
//!     Ok(())
//! }
//!
//! async fn create(ctx: &mut RequestContext) -> khz::Result<()> {
//!     let note = ctx.bind_and_validate::<NewNote>()?;                  // 400 {"code":400,"message":…,"field":"title"}
//!     ctx.string(StatusCode::CREATED, note.title);
//!     Ok(())
//! }
//!
//! async fn timing(ctx: &mut RequestContext) {             // onion middleware
//!     let started = std::time::Instant::now();
//!     ctx.next().await;                                   // the rest of the chain runs here
//!     ctx.set_header("x-elapsed-us", started.elapsed().as_micros().to_string());
//! }
//!
//! async fn auth(ctx: &mut RequestContext) {
//!     if ctx.header("authorization").as_deref() != Some("Bearer secret") {
//!         return ctx.render_error(StatusCode::UNAUTHORIZED, "bad token"); // answered: the chain ends here
//!     }
//!     ctx.next().await;
//! }
//!
//! #[tokio::main]
//! async fn main() -> khz::Result<()> {
//!     let server = Server::default().addr("0.0.0.0:8888"); // options first; recovery included, like server.Default()
//!     server.middleware(timing);
//!     server.get("/hello/:name", hello);
//!     let v1 = server.group("/v1").middleware(auth);       // any number of groups alive at once
//!     let admin = server.group("/admin");
//!     v1.get("/notes/:id", show);
//!     v1.post("/notes", create).middleware(audit);         // per-route middleware, after the groups'
//!     admin.get("/stats", stats);
//!     server.spin().await              // a route conflict is an Err here, naming both routes; else serves until SIGTERM, then drains
//! }
//!
//! fn find_note(id: u64) -> Option<&'static str> { (id == 1).then_some("the first note") }
//! async fn audit(ctx: &mut RequestContext) { ctx.next().await; tracing::info!(error = ?ctx.error().map(|e| e.status())); }
//! async fn stats(ctx: &mut RequestContext) { ctx.string(StatusCode::OK, "0 notes"); }
//! ```

#![deny(unsafe_code)]

pub mod app;
pub mod common;
pub mod middleware;
pub mod protocol;
pub mod route;
pub mod transport;

#[doc(hidden)]
pub use app::bind::private as __private;
pub use app::ut;
pub use common::{Error, ErrorKind, Result};
/// `#[derive(Bind)]`: see [`app::bind`].
#[cfg(feature = "macros")]
pub use khz_macros::Bind;

/// The names most programs need: `use khz::prelude::*;`.
pub mod prelude {
    pub use crate::app::bind::{Bind, BindError, Validate};
    pub use crate::app::{
        handler_fn, BoxFuture, ByteString, Handler, OrStatus, RequestContext, ResponseError,
        RouterGroup, Server,
    };
    pub use crate::protocol::BoxError;
    pub use crate::transport::Transport;
    pub use crate::{Error, ErrorKind, Result};
    pub use bytes::Bytes;
    pub use http::{Method, StatusCode};
    #[cfg(feature = "macros")]
    pub use khz_macros::Bind;
}

// Not API: the internals that the benches (`benches/`), the fuzz targets (`fuzz/`) and a few tests (`tests/alloc_count.rs`)
// drive directly — the buffers, the HTTP/1.1 codec, the engines and the protocol layer's service
// hook. Hidden from the docs, outside any compatibility promise; nothing else may use it.
#[doc(hidden)]
pub mod __bench {
    pub use crate::app::cookie::parse_cookie_header;
    pub use crate::app::dispatch::percent_decode;
    pub use crate::protocol::http1::body::{ChunkedDecoder, Progress};
    pub use crate::protocol::http1::encode::{encode_body, encode_head, framing_for};
    pub use crate::protocol::http1::parse::parse_head;
    pub use crate::protocol::http1::{H1Config, Http1};
    #[cfg(any(feature = "http2", feature = "http3"))]
    pub use crate::protocol::parts_request::fill_request;
    pub use crate::protocol::request::{attach_body_chunks, attach_head};
    pub use crate::protocol::service::{Exchange, HttpService};
    pub use crate::route::pattern::param_names;
    pub use crate::route::router::Router;
    pub use crate::transport::buffer::LinkBuffer;
    pub use crate::transport::engine::Engine;
    pub use crate::transport::epoll::EpollEngine;
    pub use crate::transport::std_engine::StdEngine;
    pub use crate::transport::writer::WriteBuffer;
    pub use tokio_util::task::TaskTracker;
}
