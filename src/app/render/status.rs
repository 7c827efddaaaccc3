//! Bare-status renderers: [`RequestContext::not_found`] and [`RequestContext::not_modified`]
//! (Hertz `NotFound`, `NotModified`).

use http::StatusCode;

use crate::app::RequestContext;
use crate::protocol::Body;

impl RequestContext {
    /// Discards the response built so far and answers `404 page not found` (plain text), the
    /// same answer as an unmatched route.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// async fn user(ctx: &mut RequestContext) {
    ///     if ctx.param("id").as_deref() != Some("1") {
    ///         return ctx.not_found();
    ///     }
    ///     ctx.string(StatusCode::OK, "user 1");
    /// }
    /// ```
    pub fn not_found(&mut self) {
        self.resp.clear();
        self.string(StatusCode::NOT_FOUND, "404 page not found");
    }

    /// Answers `304 Not Modified`: the body is dropped, headers set so far (`ETag`,
    /// `Cache-Control`, …) are kept, and no `Content-Length` is sent.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// async fn cached(ctx: &mut RequestContext) {
    ///     ctx.set_header("etag", "\"v1\"");
    ///     if ctx.header("if-none-match").as_deref() == Some("\"v1\"") {
    ///         return ctx.not_modified();
    ///     }
    ///     ctx.string(StatusCode::OK, "version 1");
    /// }
    /// ```
    pub fn not_modified(&mut self) {
        self.resp.set_body(Body::Empty);
        self.resp.remove_header(&http::header::CONTENT_TYPE);
        self.resp.set_status(StatusCode::NOT_MODIFIED);
    }
}
