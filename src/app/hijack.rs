//! Taking over the connection from HTTP: [`RequestContext::upgrade`] answers
//! `101 Switching Protocols` and hands the byte stream to the app (the base for WebSocket or any
//! custom protocol); [`RequestContext::hijack`] does the same after an ordinary response, as
//! Hertz's `Hijack` does. The callback runs on the connection's task once the response has been
//! flushed; it owns the connection until it returns, and then the connection is closed.

use std::future::Future;

use http::header::{self, HeaderValue};
use http::StatusCode;

use super::context::RequestContext;
use crate::protocol::Upgraded;

impl RequestContext {
    /// Hands the connection to `f` after this response (whatever its status and body) has
    /// been sent. The response then carries `Connection: close` and no length: what `f`
    /// writes follows the body on the wire.
    pub fn hijack<F, Fut>(&mut self, f: F)
    where
        F: FnOnce(Upgraded) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.resp.set_upgrade(Box::new(move |io| Box::pin(f(io))));
    }

    /// Whether the request asks to switch to `protocol` (`Connection: upgrade` and `Upgrade`
    /// naming it, case-insensitively). HTTP/1.1 only.
    pub fn wants_upgrade(&self, protocol: &str) -> bool {
        if self.req.version() != http::Version::HTTP_11 {
            return false;
        }
        let has_token = |name: &str, token: &str| {
            self.req.headers().get_all(name).any(|v| {
                String::from_utf8_lossy(v).split(',').any(|t| {
                    t.trim()
                        .split('/')
                        .next()
                        .is_some_and(|p| p.trim().eq_ignore_ascii_case(token))
                })
            })
        };
        has_token("connection", "upgrade") && has_token("upgrade", protocol)
    }

    /// Answers `101 Switching Protocols` to `protocol` and hands the connection to `f`, which
    /// first reads any bytes the client sent right behind its request.
    ///
    /// ```
    /// use khz::prelude::*;
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// async fn echo_protocol(ctx: &mut RequestContext) {
    ///     if !ctx.wants_upgrade("echo") {
    ///         return ctx.abort_with_msg(StatusCode::UPGRADE_REQUIRED, "upgrade to echo");
    ///     }
    ///     ctx.upgrade("echo", |mut io| async move {
    ///         let mut buf = [0u8; 1024];
    ///         while let Ok(n) = io.read(&mut buf).await {
    ///             if n == 0 || io.write_all(&buf[..n]).await.is_err() {
    ///                 break;
    ///             }
    ///         }
    ///     });
    /// }
    /// ```
    pub fn upgrade<F, Fut>(&mut self, protocol: &str, f: F)
    where
        F: FnOnce(Upgraded) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.resp.set_status(StatusCode::SWITCHING_PROTOCOLS);
        match HeaderValue::from_str(protocol) {
            Ok(v) => self.resp.set_header(header::UPGRADE, v),
            Err(_) => {
                tracing::error!(protocol, "invalid upgrade protocol name refused");
                self.resp.set_status(StatusCode::INTERNAL_SERVER_ERROR);
                return;
            }
        }
        self.hijack(f);
    }
}
