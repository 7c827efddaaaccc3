//! HTTP/1.1 (and 1.0), crate-internal: zero-copy head parsing out of the linked buffer, chunked
//! bodies with trailers, `Expect: 100-continue`, keep-alive and pipelining, and response
//! encoding with a cached `Date`. The protocol suite runs [`serve`] on each connection that
//! speaks HTTP/1.1; it serves every request through the
//! [`HttpService`](crate::protocol::HttpService) and every refusal through its `reject` hook.
//! [`Http1`] is the same driver as a connection handler of its own, without the suite.
//!
//! - `config`: limits and switches ([`H1Config`]), shared with HTTP/2 where they apply.
//! - [`parse`]: the request head parser and its safety rules.
//! - [`body`]: the chunked body decoder.
//! - `chunk_line`: the chunk-size line and its extensions, strictly per RFC 9112 §7.1.
//! - [`encode`]: response encoding.
//! - [`conn`]: the connection loop.
//! - `respond`: writing one response (head, in-memory or streamed body).
//! - `reject`: answering a refused request through the service, then closing.
//! - `stream_body`: request bodies streamed to a running handler.
//! - `drain`: graceful shutdown as an idle connection watches for it.
//! - [`error`]: the refusals and their status codes.

pub(crate) mod body;
mod chunk_line;
mod config;
pub(crate) mod conn;
mod drain;
pub(crate) mod encode;
pub(crate) mod error;
pub(crate) mod parse;
mod reject;
mod respond;
mod stream_body;

pub use config::H1Config;
pub(crate) use conn::serve;
pub use conn::Http1;
