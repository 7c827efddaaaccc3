//! HTTP/2 on the `h2` crate (cargo feature `http2`, on by default): the same
//! [`HttpService`](crate::protocol::HttpService) as HTTP/1.1 serves every stream, so handlers
//! cannot tell the protocols apart except by the request's version (`HTTP/2.0`).
//!
//! - [`config`]: limits and switches ([`H2Config`]), the `h2` builder, flood protections.
//! - [`conn`]: the connection loop ([`serve`]): streams, PINGs, idle timeout, GOAWAY.
//! - `stream`: one stream — request in, service call, response out.
//! - `request`: the HTTP/2 head as the crate's [`Request`](crate::protocol::Request).
//! - `body`: request bodies, buffered or streamed, with flow control.
//! - `response`: the [`Response`](crate::protocol::Response) as HTTP/2 frames.
//!
//! Differences from HTTP/1.1: `Upgrade`/hijack are HTTP/1.1-only (a handler that asks for them
//! over HTTP/2 gets a 500 and an error in the log); `Response::set_connection_close` is
//! ignored (one stream does not close a multiplexed connection); a streamed request body's
//! trailers are dropped, as on HTTP/1.1, while a buffered one's land in
//! [`Request::trailers`](crate::protocol::Request::trailers).

mod body;
pub mod config;
pub mod conn;
mod request;
mod response;
mod stream;

pub use config::H2Config;
pub use conn::serve;

/// The client connection preface that starts every HTTP/2 connection (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
