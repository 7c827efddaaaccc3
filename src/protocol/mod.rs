//! The protocol layer: turns bytes from a transport connection into [`Request`]s and
//! [`Response`]s back into bytes. It knows nothing of routes or handlers: everything above it is
//! reached through one crate-internal hook, the service a driver calls for each request (and
//! for each [`Rejection`]).
//!
//! Public, because handlers and user protocols are written with them: the request and its
//! headers ([`Request`], [`HeaderView`]), its body ([`RequestBody`], [`BodyError`]), the
//! response ([`Response`], [`Body`], [`BodyStream`], [`BoxError`]), refused requests
//! ([`Rejection`]), taken-over connections ([`Upgraded`], [`OnUpgrade`], [`UpgradeFuture`]),
//! protocols served by ALPN name ([`ProtocolServer`], [`ConnInfo`]) and the HTTP/2 and HTTP/3
//! options ([`http2::H2Config`], feature `http2`; [`http3::H3Config`], feature `http3`). Everything else is the crate's own:
//!
//! - `http1`: HTTP/1.1 and 1.0 — head parser, chunked bodies, encoder, connection driver.
//! - [`http2`] (feature `http2`): HTTP/2 on the `h2` crate — connection and stream drivers.
//! - [`http3`] (feature `http3`): HTTP/3 on `h3` + `h3-quinn` — connection and stream drivers
//!   over the QUIC endpoint of the transport layer.
//! - `parts_request`, `parts_response`: what HTTP/2 and HTTP/3 share — the decoded head as a
//!   [`Request`], a [`Response`] as a head, body and trailers to send.
//! - `suite`: the per-connection dispatcher: TLS and ALPN, h2c preface sniffing, user
//!   protocols.
//! - `service`: the hook to the layer above (`HttpService`, its per-connection `Exchange`).
//! - `request`, `request_body`, `response`, `upgraded`, `rejection`: the types above.
//! - `authority`: the `host [":" port]` check both HTTP drivers apply to `Host` / `:authority`.

mod authority;
pub(crate) mod http1;
#[cfg(feature = "http2")]
pub mod http2;
#[cfg(feature = "http3")]
pub mod http3;
#[cfg(any(feature = "http2", feature = "http3"))]
pub(crate) mod parts_request;
#[cfg(any(feature = "http2", feature = "http3"))]
mod parts_response;
mod rejection;
pub(crate) mod request;
mod request_body;
mod response;
pub(crate) mod service;
pub(crate) mod suite;
#[cfg(test)]
mod testing;
mod upgraded;

pub use rejection::Rejection;
pub use request::{HeaderView, Request};
pub use request_body::{BodyError, RequestBody};
pub use response::{Body, BodyStream, BoxError, Response};
pub use service::ConnInfo;
pub use suite::ProtocolServer;
pub use upgraded::{OnUpgrade, UpgradeFuture, Upgraded};

pub(crate) use service::{BodyMode, Exchange, HttpService};
