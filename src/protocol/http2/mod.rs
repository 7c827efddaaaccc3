//! HTTP/2 on the `h2` crate (cargo feature `http2`, on by default): the same service as
//! HTTP/1.1 serves every stream, so handlers cannot tell the protocols apart except by the
//! request's version (`HTTP/2.0`). Public: the options, [`H2Config`] (see
//! `Server::http2_config`); the drivers are the crate's own.
//!
//! - `config`: limits and switches ([`H2Config`]), the `h2` builder, flood protections.
//! - `conn`: the connection loop (`serve`): streams, PINGs, idle timeout, GOAWAY.
//! - `stream`: one stream — request in, service call (or rejection), response out.
//! - `body`: request bodies, buffered or streamed, with flow control.
//! - `response`: the [`Response`](crate::protocol::Response) as HTTP/2 frames.
//!
//! Differences from HTTP/1.1: `Upgrade`/hijack are HTTP/1.1-only (a handler that asks for them
//! over HTTP/2 gets a 500 and an error in the log); `Response::set_connection_close` is
//! ignored (one stream does not close a multiplexed connection); a streamed request body's
//! trailers are dropped, as on HTTP/1.1, while a buffered one's land in
//! [`Request::trailers`](crate::protocol::Request::trailers).

mod body;
mod config;
mod conn;
mod response;
mod stream;

pub use config::H2Config;
pub(crate) use conn::serve;

/// The client connection preface that starts every HTTP/2 connection (RFC 9113 §3.4).
pub(crate) const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
