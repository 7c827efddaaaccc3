//! [`RequestContext::sized_stream`]: a streamed body of known length (Hertz `SetBodyStream`
//! with a size), sent with `Content-Length` instead of chunked.

use futures_core::Stream;
use http::StatusCode;

use crate::app::RequestContext;
use crate::protocol::{Body, BoxError};

impl RequestContext {
    /// Streams a body of exactly `len` bytes: the head announces `Content-Length: len` and
    /// each item is sent as it arrives. If the stream ends before `len` bytes or fails, the
    /// connection is closed (the client sees a short body); bytes past `len` are never sent
    /// (the connection is closed after the first `len`). For an unknown length use
    /// [`stream`](RequestContext::stream) (chunked).
    ///
    /// ```
    /// # use khz::prelude::*;
    /// async fn numbers(ctx: &mut RequestContext) {
    ///     let chunks = ["1,", "2,", "3"].map(|s| Ok::<_, BoxError>(Bytes::from_static(s.as_bytes())));
    ///     ctx.sized_stream(StatusCode::OK, 5, futures_util::stream::iter(chunks));
    /// }
    /// ```
    pub fn sized_stream<S>(&mut self, status: StatusCode, len: u64, stream: S)
    where
        S: Stream<Item = Result<bytes::Bytes, BoxError>> + Send + 'static,
    {
        self.resp.set_status(status);
        self.resp.set_body(Body::SizedStream(len, Box::pin(stream)));
    }
}
