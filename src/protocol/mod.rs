//! The protocol layer: turns bytes from a transport connection into [`Request`]s and
//! [`Response`]s back into bytes. It knows nothing of routes or handlers: everything above it is
//! reached through one hook, [`HttpService`]. HTTP/1.1 lives in [`http1`], HTTP/2 in `http2`
//! (feature `http2`); [`suite`] picks one per connection (ALPN on TLS, preface sniffing for
//! h2c, user protocols by ALPN name). HTTP/3 and WebSocket join here in later work.

pub mod http1;
#[cfg(feature = "http2")]
pub mod http2;
mod rejection;
pub mod request;
pub mod request_body;
pub mod response;
pub mod service;
pub mod suite;
#[cfg(test)]
mod testing;
pub mod upgraded;

pub use rejection::Rejection;
pub use request::{HeaderView, Request};
pub use request_body::{BodyError, RequestBody};
pub use response::{Body, BodyStream, BoxError, Response};
pub use service::{BodyMode, ConnInfo, Exchange, HttpService};
pub use suite::{ProtocolServer, Suite};
pub use upgraded::{OnUpgrade, UpgradeFuture, Upgraded};
