//! HTTP/1.1 (and 1.0): zero-copy head parsing out of the linked buffer, chunked bodies with
//! trailers, `Expect: 100-continue`, keep-alive and pipelining, and response encoding with a
//! cached `Date`. [`Http1`] plugs into a transport engine as its connection handler and serves
//! each request through an [`HttpService`](crate::protocol::HttpService).
//!
//! - [`config`]: limits and switches ([`H1Config`]).
//! - [`parse`]: the request head parser and its safety rules.
//! - [`body`]: the chunked body decoder.
//! - [`encode`]: response encoding.
//! - [`conn`]: the connection loop.
//! - `respond`: writing one response (head, in-memory or streamed body).
//! - `reject`: answering a refused request through the service, then closing.
//! - `stream_body`: request bodies streamed to a running handler.
//! - `drain`: graceful shutdown as an idle connection watches for it.
//! - [`error`]: the refusals and their status codes.

pub mod body;
pub mod config;
pub mod conn;
mod drain;
pub mod encode;
pub mod error;
pub mod parse;
mod reject;
mod respond;
mod stream_body;

pub use config::H1Config;
pub use conn::{serve, Http1};
