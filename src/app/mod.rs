//! The app layer: what users program against. A [`Server`] collects routes, groups, middleware,
//! hooks and state; when it runs, it freezes them into an app that the protocol layer calls for
//! every request with a [`RequestContext`], through the handler chain (middleware onion around
//! the handler).
//!
//! - [`server`]: registration ([`Server`], [`RouterGroup`], [`Route`]); `build`: freezing
//!   it into the app at start, with every problem reported at once.
//! - [`options`]: server options (builder methods on [`Server`]).
//! - [`run`]: start, spin, graceful shutdown ([`ServerHandle`]).
//! - [`handler`]: the [`Handler`] trait; `error`: what handlers return ([`ResponseError`],
//!   [`OrStatus`]) and how errors are rendered.
//! - [`context`] and `context_response`: the [`RequestContext`] API; `keys`: typed keys, state.
//! - `dispatch`: the frozen app and request dispatch.
//! - [`ut`]: in-process testing ([`ut::perform_request`]).
//! - [`render`]: more renderers (JSON variants, files, HTML templates); [`fs`]: static files.
//! - `form`: urlencoded POST forms and `form_value`; `multipart`: `multipart/form-data`
//!   (feature `multipart`); [`cookie`]: `set_cookie` and friends; `client_ip`: the client
//!   address behind trusted proxies.
//! - [`bind`]: request binding and validation ([`bind::Bind`], `#[derive(khz::Bind)]`).

pub mod bind;
mod body_writer;
mod build;
mod client_ip;
pub mod context;
mod context_body;
mod context_protocol;
mod context_response;
pub mod cookie;
pub(crate) mod dispatch;
mod error;
mod form;
pub mod fs;
pub mod handler;
mod hijack;
mod keys;
#[cfg(feature = "multipart")]
pub mod multipart;
pub mod options;
#[cfg(feature = "http3")]
mod options_http3;
mod options_protocols;
pub mod render;
mod route_handle;
pub mod run;
#[cfg(feature = "http3")]
mod run_http3;
pub mod server;
pub mod sse;
pub mod ut;

pub use body_writer::{BodyWriter, ClientGone};
pub use context::{ByteString, RequestContext};
pub use error::{HandlerOutput, OrStatus, ResponseError};
pub use handler::{handler_fn, AsyncHandlerFn, BoxFuture, FnHandler, Handler};
pub use run::ServerHandle;
pub use server::{Route, RouteDesc, RouterGroup, Server};
