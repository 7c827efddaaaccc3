//! The app layer: what users program against. A [`Server`] collects routes, groups, middleware,
//! hooks and state; when it runs, it freezes them into an app that the protocol layer calls for
//! every request with a [`RequestContext`], through the handler chain (middleware onion around
//! the handler).
//!
//! - [`server`]: registration ([`Server`], [`RouterGroup`]).
//! - [`options`]: server options (builder methods on [`Server`]).
//! - [`run`]: start, spin, graceful shutdown ([`ServerHandle`]).
//! - [`handler`]: the [`Handler`] trait.
//! - [`context`] and `context_response`: the [`RequestContext`] API; `keys`: typed keys, state.
//! - [`engine`]: the frozen app and request dispatch.
//! - [`ut`]: in-process testing ([`ut::perform_request`]).
//! - [`bind`]: request binding and validation ([`bind::Bind`], `#[derive(khz::Bind)]`).

pub mod bind;
pub mod context;
mod context_body;
mod context_response;
pub(crate) mod engine;
pub mod handler;
mod keys;
pub mod options;
mod route_handle;
pub mod run;
pub mod server;
pub mod ut;

pub use context::RequestContext;
pub use handler::{handler_fn, AsyncHandlerFn, BoxFuture, FnHandler, Handler};
pub use run::ServerHandle;
pub use server::{Route, RouteDesc, RouterGroup, Server};
