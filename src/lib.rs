//! # khz
//!
//! A layered HTTP framework in the spirit of CloudWeGo Hertz. The map (see `DESIGN.md`):
//! [`transport`] (listeners, connections, the adaptive linked buffer) → [`protocol`] (HTTP/1.1
//! parsing and encoding) → [`route`] (radix router with Hertz semantics) → [`app`] (server,
//! request context, handler chain). [`middleware`] holds ready-made middleware built only on
//! the public API of [`app`]. [`common`] holds the error type and the date cache.
//!
//! ```no_run
//! use khz::prelude::*;
//!
//! async fn hello(ctx: &mut RequestContext) {
//!     ctx.string(StatusCode::OK, "Hello, World!");
//! }
//!
//! #[tokio::main]
//! async fn main() -> khz::Result<()> {
//!     let server = Server::default().addr("127.0.0.1:8888");
//!     server.get("/", hello);
//!     server.spin().await
//! }
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

// Not API: the internals that the benches (`benches/`) and a few tests (`tests/alloc_count.rs`)
// drive directly — the buffers, the HTTP/1.1 codec, the engines and the protocol layer's service
// hook. Hidden from the docs, outside any compatibility promise; nothing else may use it.
#[doc(hidden)]
pub mod __bench {
    pub use crate::protocol::http1::body::{ChunkedDecoder, Progress};
    pub use crate::protocol::http1::encode::{encode_body, encode_head, framing_for};
    pub use crate::protocol::http1::parse::parse_head;
    pub use crate::protocol::http1::{H1Config, Http1};
    pub use crate::protocol::service::{Exchange, HttpService};
    pub use crate::transport::buffer::LinkBuffer;
    pub use crate::transport::engine::Engine;
    pub use crate::transport::epoll::EpollEngine;
    pub use crate::transport::std_engine::StdEngine;
    pub use crate::transport::writer::WriteBuffer;
    pub use tokio_util::task::TaskTracker;
}
