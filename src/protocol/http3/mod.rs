//! HTTP/3 on `h3` + `h3-quinn` (cargo feature `http3`): the same service as HTTP/1.1 and
//! HTTP/2 serves every request stream of a QUIC connection, so handlers cannot tell the
//! protocols apart except by the request's version (`HTTP/3.0`). Public: the options,
//! [`H3Config`] (see `Server::http3_config`); the drivers are the crate's own.
//!
//! - `config`: limits and switches ([`H3Config`]), the QUIC numbers, the `h3` builder.
//! - `conn`: the connection loop: request streams, idle timeout, 0-RTT, GOAWAY.
//! - `stream`: one request stream — head in, service call (or rejection), response out.
//! - `body`: request bodies, buffered or streamed, under QUIC flow control.
//! - `response`: the [`Response`](crate::protocol::Response) as HTTP/3 frames.
//!
//! The QUIC endpoint (UDP socket, TLS, accept loop) is the transport layer's (`quic`).
//! Differences from HTTP/1.1, as on HTTP/2: `Upgrade`/hijack are HTTP/1.1-only (500 and an
//! error in the log); `Response::set_connection_close` is ignored; a streamed request body's
//! trailers are dropped while a buffered one's land in
//! [`Request::trailers`](crate::protocol::Request::trailers).

mod body;
mod config;
mod conn;
mod response;
mod stream;

use std::sync::Arc;

pub use config::H3Config;

use crate::protocol::http1::H1Config;
use crate::protocol::service::HttpService;
use crate::transport::quic::{QuicConn, QuicHandler};
use crate::transport::Shutdown;

/// Serves HTTP/3 with a service on the connections of a QUIC endpoint.
pub(crate) struct H3Server<S> {
    service: Arc<S>,
    cfg: H3Config,
    h1: H1Config,
}

impl<S: HttpService> H3Server<S> {
    pub(crate) fn new(service: Arc<S>, cfg: H3Config, h1: H1Config) -> Self {
        H3Server { service, cfg, h1 }
    }
}

impl<S: HttpService> QuicHandler for H3Server<S> {
    async fn serve_quic(&self, conn: QuicConn, shutdown: Shutdown) {
        conn::serve(conn, &*self.service, &self.cfg, &self.h1, &shutdown).await;
    }
}
