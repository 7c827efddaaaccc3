//! The transport layer: listeners, connections and their buffers, and the engines that accept
//! and drive connections. It moves bytes and knows nothing of HTTP — the protocol layer above
//! implements [`ConnHandler`] and is handed each [`Conn`].
//!
//! - [`buffer`]: the adaptive linked read buffer ([`LinkBuffer`]).
//! - [`writer`]: the batching, vectored write buffer ([`WriteBuffer`]).
//! - [`conn`]: a connection = stream + both buffers + deadline-bounded I/O.
//! - [`listener`]: binding with the right socket options, or adopting a bound listener.
//! - [`engine`]: the [`Engine`] abstraction and the [`Transport`] choice.
//! - `accept`: the accept loop both engines share.
//! - [`std_engine`]: the "std" engine on the caller's tokio runtime ([`StdEngine`]).
//! - [`epoll`]: the thread-per-core "epoll" engine ([`EpollEngine`]).
//! - `watchdog`: keeps the std engine's runtime serving while a handler blocks a worker.
//! - [`rewind`]: a stream with already-read bytes put back in front ([`Rewind`]).
//! - `tls` (feature `tls`): rustls handshakes with a deadline, certificate reload.

mod accept;
pub mod buffer;
pub mod conn;
pub mod engine;
pub mod epoll;
pub mod listener;
pub mod rewind;
pub mod shutdown;
pub mod std_engine;
#[cfg(feature = "tls")]
pub mod tls;
mod watchdog;
pub mod writer;

pub use buffer::LinkBuffer;
pub use conn::Conn;
pub use engine::{ConnHandler, Engine, Transport};
pub use epoll::EpollEngine;
pub use listener::{bind, from_std, ListenOptions};
pub use rewind::Rewind;
pub use shutdown::Shutdown;
pub use std_engine::StdEngine;
#[cfg(feature = "tls")]
pub use tls::{TlsAcceptor, TlsReloader};
pub use tokio_util::task::TaskTracker;
pub use writer::WriteBuffer;
