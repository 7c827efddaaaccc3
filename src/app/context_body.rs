//! Request-body access of [`RequestContext`] beyond the buffered [`RequestContext::body`]: the
//! body as a stream of chunks, and reading a streamed body into memory.
//!
//! By default the driver reads a body whole (up to `max_request_body_size`) before the handler
//! runs, and these methods simply hand out that buffer. A route that opts into streaming gets
//! its body chunk by chunk while the handler runs, so a large upload never sits in memory.

use bytes::Bytes;

use super::context::RequestContext;
use crate::protocol::{BodyError, RequestBody};

impl RequestContext {
    /// Whether the request body is still arriving as a stream (not yet taken or read).
    pub fn body_is_streaming(&self) -> bool {
        self.req.has_body_stream()
    }

    /// The request body as a stream of [`Bytes`] chunks.
    ///
    /// A streamed body can be taken once; a buffered body is handed out as one chunk and
    /// [`body`](RequestContext::body) keeps returning it.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use khz::prelude::*;
    ///
    /// async fn count(ctx: &mut RequestContext) {
    ///     let mut body = ctx.body_stream();
    ///     let mut n = 0;
    ///     while let Some(chunk) = body.next().await {
    ///         match chunk {
    ///             Ok(c) => n += c.len(),
    ///             Err(e) => return ctx.abort_with_msg(e.status(), e.to_string()),
    ///         }
    ///     }
    ///     ctx.string(StatusCode::OK, n.to_string());
    /// }
    /// ```
    pub fn body_stream(&mut self) -> RequestBody {
        self.req.take_body_stream()
    }

    /// Reads the whole body into memory (for a streamed body, up to `max_request_body_size`,
    /// else 413) and returns it; afterwards [`body`](RequestContext::body) returns it too.
    pub async fn read_body(&mut self) -> Result<&Bytes, BodyError> {
        if self.req.has_body_stream() {
            let limit = self.app.max_body_bytes;
            let body = self.req.take_body_stream().collect(limit).await?;
            self.req.set_body(body);
        }
        Ok(self.req.body())
    }
}
