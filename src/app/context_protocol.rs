//! Which protocol carried the request: [`RequestContext::protocol`]. Everything else a handler
//! sees is the same whether the request came over HTTP/1.1, h2c, HTTP/2 over TLS or HTTP/3.

use http::Version;

use super::context::RequestContext;

impl RequestContext {
    /// The protocol the request arrived on: `HTTP_10` or `HTTP_11` for HTTP/1.x, `HTTP_2` for
    /// HTTP/2 (over TLS or h2c), `HTTP_3` for HTTP/3 (feature `http3`).
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// async fn which(ctx: &mut RequestContext) {
    ///     let multiplexed = ctx.protocol() == http::Version::HTTP_2;
    ///     ctx.string(StatusCode::OK, if multiplexed { "h2" } else { "http/1" });
    /// }
    /// ```
    pub fn protocol(&self) -> Version {
        self.req.version()
    }
}
