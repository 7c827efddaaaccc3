//! An HTTP/3 client for the end-to-end tests: `h3`'s client over a `quinn` endpoint, trusting
//! the test certificate, offering ALPN `h3` (and 0-RTT, for the tests that resume). Requests
//! return the same [`Reply`](super::Reply) as the HTTP/1.1 and HTTP/2 clients.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use h3::client::SendRequest;
use tokio::task::JoinHandle;

use super::{client_tls_config, test_cert, Reply, GUARD};

/// A client QUIC endpoint on 127.0.0.1 (port 0) that trusts the test certificate.
pub fn h3_endpoint() -> quinn::Endpoint {
    let mut tls = client_tls_config(test_cert(), &[b"h3"]);
    tls.enable_early_data = true;
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls).expect("QUIC client TLS");
    let mut endpoint =
        quinn::Endpoint::client("127.0.0.1:0".parse().expect("address")).expect("UDP socket");
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
    endpoint
}

/// One HTTP/3 connection.
pub struct H3Client {
    pub send: SendRequest<h3_quinn::OpenStreams, Bytes>,
    pub conn: quinn::Connection,
    driver: JoinHandle<h3::error::ConnectionError>,
    _endpoint: quinn::Endpoint,
}

impl Drop for H3Client {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Connects to `addr` (UDP) as `localhost`.
pub async fn h3_connect(addr: SocketAddr) -> H3Client {
    let endpoint = h3_endpoint();
    let connecting = endpoint.connect(addr, "localhost").expect("connect");
    let conn = tokio::time::timeout(GUARD, connecting)
        .await
        .expect("QUIC handshake in time")
        .expect("QUIC handshake");
    h3_over(endpoint, conn).await
}

/// HTTP/3 over an established QUIC connection.
pub async fn h3_over(endpoint: quinn::Endpoint, conn: quinn::Connection) -> H3Client {
    let (mut driver, send) = h3::client::new(h3_quinn::Connection::new(conn.clone()))
        .await
        .expect("h3 client");
    let driver = tokio::spawn(async move { poll_fn(|cx| driver.poll_close(cx)).await });
    H3Client {
        send,
        conn,
        driver,
        _endpoint: endpoint,
    }
}

impl H3Client {
    /// Sends `req` with `body` (none: the stream ends after the head) and reads the whole
    /// response, trailers included.
    pub async fn request(&mut self, req: http::Request<()>, body: Option<Bytes>) -> Reply {
        tokio::time::timeout(GUARD, self.exchange(req, body))
            .await
            .expect("HTTP/3 response in time")
            .expect("HTTP/3 exchange")
    }

    /// As [`request`](Self::request), returning the stream error instead of panicking.
    pub async fn exchange(
        &mut self,
        req: http::Request<()>,
        body: Option<Bytes>,
    ) -> Result<Reply, h3::error::StreamError> {
        exchange_on(&mut self.send, req, body).await
    }

    /// A handle that opens requests on this connection, for concurrent requests
    /// ([`exchange_on`]).
    pub fn sender(&self) -> SendRequest<h3_quinn::OpenStreams, Bytes> {
        self.send.clone()
    }
}

/// One request and its whole response on a connection's `send` handle (see
/// [`H3Client::exchange`]). The body goes out while the response is read: a server may answer
/// before it has read the whole body and stop it with `STOP_SENDING` (RFC 9114 §4.1), so a
/// failed send is not a failed exchange — the response decides.
pub async fn exchange_on(
    send: &mut SendRequest<h3_quinn::OpenStreams, Bytes>,
    req: http::Request<()>,
    body: Option<Bytes>,
) -> Result<Reply, h3::error::StreamError> {
    let (mut tx, mut rx) = send.send_request(req).await?.split();
    let sending = tokio::spawn(async move {
        if let Some(body) = body {
            if tx.send_data(body).await.is_err() {
                return;
            }
        }
        let _ = tx.finish().await;
    });
    let received = async {
        let resp = rx.recv_response().await?;
        let mut got = BytesMut::new();
        while let Some(mut chunk) = rx.recv_data().await? {
            got.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
        }
        let trailers = rx.recv_trailers().await?;
        Ok(Reply {
            status: resp.status().as_u16(),
            version: resp.version(),
            headers: resp.headers().clone(),
            body: got.freeze(),
            trailers,
        })
    }
    .await;
    // Whatever was not sent by the end of the response is not wanted.
    sending.abort();
    received
}

impl H3Client {
    /// `GET https://localhost{path}`.
    pub async fn get(&mut self, path: &str) -> Reply {
        let req = http::Request::get(format!("https://localhost{path}"))
            .body(())
            .expect("request");
        self.request(req, None).await
    }
}
