//! The transport layer: listeners, connections and their buffers, and the engines that accept
//! and drive connections. It moves bytes and knows nothing of HTTP — the protocol layer above
//! implements the engines' connection handler and is handed each connection.
//!
//! Public, because a server's options and user protocols are written with them: the engine
//! choice ([`Transport`]), listener socket options ([`ListenOptions`]), the drain signal a
//! connection handler receives ([`Shutdown`]) and, with feature `tls`, the certificate reload
//! handle ([`TlsReloader`]). Everything else is the crate's own:
//!
//! - `buffer`: the adaptive linked read buffer (`LinkBuffer`).
//! - `writer`: the batching, vectored write buffer (`WriteBuffer`).
//! - `conn`: a connection = stream + both buffers + deadline-bounded I/O.
//! - `listener`: binding with the right socket options, or adopting a bound listener.
//! - `engine`: the `Engine` abstraction, its `ConnHandler`, and the [`Transport`] choice.
//! - `accept`: the accept loop both engines share.
//! - `std_engine`: the "std" engine on the caller's tokio runtime (`StdEngine`).
//! - `watchdog`: the std engine's opt-in guard that keeps its runtime serving while a handler
//!   blocks a worker.
//! - `epoll`: the thread-per-core "epoll" engine (`EpollEngine`).
//! - `rewind` (feature `http2`): a stream with already-read bytes put back in front (`Rewind`),
//!   for h2c connections whose preface was sniffed.
//! - `shutdown`: the drain signal ([`Shutdown`]).
//! - `tls` (feature `tls`): rustls handshakes with a deadline, certificate reload.
//! - `quic` (feature `http3`): the UDP socket and `quinn` endpoint of HTTP/3, its TLS
//!   configuration and accept loop.

mod accept;
pub(crate) mod buffer;
pub(crate) mod conn;
pub(crate) mod engine;
pub(crate) mod epoll;
mod listener;
#[cfg(feature = "http3")]
pub(crate) mod quic;
#[cfg(feature = "http2")]
pub(crate) mod rewind;
mod shutdown;
pub(crate) mod std_engine;
#[cfg(feature = "tls")]
pub(crate) mod tls;
mod watchdog;
pub(crate) mod writer;

pub use engine::Transport;
pub use listener::ListenOptions;
pub use shutdown::Shutdown;
#[cfg(feature = "tls")]
pub use tls::TlsReloader;

pub(crate) use buffer::LinkBuffer;
pub(crate) use conn::Conn;
pub(crate) use engine::{ConnHandler, Engine};
pub(crate) use epoll::EpollEngine;
pub(crate) use listener::{bind, from_std};
#[cfg(feature = "http2")]
pub(crate) use rewind::Rewind;
pub(crate) use std_engine::StdEngine;
#[cfg(feature = "tls")]
pub(crate) use tls::TlsAcceptor;
pub(crate) use tokio_util::task::TaskTracker;
pub(crate) use writer::WriteBuffer;
