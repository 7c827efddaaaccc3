//! Refused requests: the last answer of a connection. The driver logs the [`Rejection`] (a
//! warning with the peer, status and reason), lets the service render it
//! ([`HttpService::reject`]; the request it sees holds the parsed head, or is empty when the
//! head itself was refused), writes that response like any other — `Date` and `Server`
//! included, no body for a HEAD request — with `Connection: close`, and closes, lingering so
//! unread input cannot turn the close into a reset that destroys the answer. A peer that
//! stopped sending mid-body has nobody to answer: its connection closes quietly.

use http::{Method, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncWrite};

use super::config::H1Config;
use super::conn::write_deadline;
use super::encode;
use super::error;
use super::respond::write_response;
use crate::protocol::rejection::Rejection;
use crate::protocol::service::{Exchange, HttpService};
use crate::transport::Conn;

/// Answers a refused request through the service and closes the connection.
pub(super) async fn reject<S, H>(
    mut conn: Conn<S>,
    service: &H,
    ex: &mut H::Exchange,
    rejection: Rejection,
    cfg: &H1Config,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: HttpService,
{
    let (status, reason) = (rejection.status(), rejection.reason());
    if status == StatusCode::BAD_REQUEST && reason == error::INCOMPLETE_BODY.reason() {
        tracing::debug!(peer = %conn.peer_addr(), reason, "request abandoned");
        return conn.close(write_deadline(cfg), None).await;
    }
    tracing::warn!(peer = %conn.peer_addr(), status = status.as_u16(), reason, "rejected request");
    let (version, head_only) = if rejection.head_parsed() {
        let req = ex.request_mut();
        (req.version(), req.method() == Method::HEAD)
    } else {
        // Whatever the parser got to before it gave up is no request.
        ex.request_mut().clear();
        (Version::HTTP_11, false)
    };
    service.reject(ex, rejection).await;
    let resp = ex.response_mut();
    // The connection closes after this answer: it is never handed over, and it is final.
    drop(resp.take_upgrade());
    if resp.status().is_informational() {
        resp.set_status(status);
    }
    let framing = encode::framing_for(resp, version);
    let head = (framing, false, version);
    if write_response(&mut conn, resp, cfg, head, head_only).await {
        conn.close(write_deadline(cfg), Some(cfg.linger)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::super::conn::serve;
    use super::*;
    use crate::protocol::testing::{Hello, JsonRejects};
    use crate::transport::Shutdown;

    /// Serves one connection on 127.0.0.1 with `service`, sends `request`, returns every byte
    /// the server sent until it closed.
    async fn exchange<H: HttpService>(service: H, cfg: H1Config, request: &[u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, peer) = listener.accept().await.unwrap();
            let conn = Conn::new(stream, peer, addr);
            serve(conn, &service, &cfg, &Shutdown::new()).await;
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(request).await.unwrap();
        let mut got = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut got))
            .await
            .expect("the server closes after a rejection")
            .unwrap();
        server.await.unwrap();
        String::from_utf8(got).unwrap()
    }

    /// The one `Date` line, replaced by a fixed one (after checking its shape).
    fn fixed_date(response: &str) -> String {
        let start = response.find("Date: ").expect("a Date header");
        let end = start + response[start..].find("\r\n").unwrap();
        assert_eq!(end - start, "Date: ".len() + crate::common::date::DATE_LEN);
        format!("{}Date: <date>{}", &response[..start], &response[end..])
    }

    fn small_headers() -> H1Config {
        H1Config {
            max_header_bytes: 64,
            ..H1Config::default()
        }
    }

    #[tokio::test]
    async fn a_custom_reject_renders_a_refused_head() {
        let request = format!(
            "GET /x HTTP/1.1\r\nHost: a\r\nX-Pad: {}\r\n\r\n",
            "p".repeat(100)
        );
        let got = exchange(JsonRejects, small_headers(), request.as_bytes()).await;
        let body =
            r#"{"status":431,"reason":"request header section too large","head":false,"path":""}"#;
        assert_eq!(
            fixed_date(&got),
            format!(
                "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\n\
                 Server: khz\r\nDate: <date>\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        );
    }

    #[tokio::test]
    async fn a_custom_reject_sees_the_parsed_head_of_a_body_too_large() {
        let cfg = H1Config {
            max_body_bytes: 4,
            date_header: false,
            ..H1Config::default()
        };
        let request = b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789";
        let got = exchange(JsonRejects, cfg, request).await;
        let body =
            r#"{"status":413,"reason":"request body too large","head":true,"path":"/upload"}"#;
        assert_eq!(
            got,
            format!(
                "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n\
                 Server: khz\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        );
    }

    #[tokio::test]
    async fn a_rejected_head_request_gets_no_body() {
        let cfg = H1Config {
            max_body_bytes: 4,
            date_header: false,
            server_header: None,
            ..H1Config::default()
        };
        let request = b"HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789";
        let got = exchange(Hello, cfg, request).await;
        assert_eq!(
            got,
            "HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 22\r\nConnection: close\r\n\r\n"
        );
    }

    #[tokio::test]
    async fn the_default_reject_is_plain_text() {
        let request = format!(
            "GET /x HTTP/1.1\r\nHost: a\r\nX-Pad: {}\r\n\r\n",
            "p".repeat(100)
        );
        let got = exchange(Hello, small_headers(), request.as_bytes()).await;
        assert_eq!(
            fixed_date(&got),
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; \
             charset=utf-8\r\nServer: khz\r\nDate: <date>\r\nContent-Length: 32\r\n\
             Connection: close\r\n\r\nrequest header section too large"
        );
    }
}
