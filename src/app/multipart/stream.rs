//! The streaming multipart reader: [`Multipart`] yields the parts of a body one [`Field`] at a
//! time, and a field yields its content chunk by chunk as it arrives from the connection —
//! nothing is buffered beyond the current chunk, so a part can be any size the limits allow.
//! Parsing is done by `multer`; this module adds the part-count limit, precise
//! [`FormError`]s, and ties each field's lifetime to the reader so that only one field can be
//! live at a time (checked at compile time).

use std::marker::PhantomData;
use std::path::Path;

use bytes::Bytes;
use http::HeaderMap;
use tokio::io::AsyncWriteExt;

use super::error::FormError;
use super::limits::MultipartLimits;
use crate::protocol::RequestBody;

/// A `multipart/form-data` body read part by part; see
/// [`RequestContext::multipart`](crate::app::RequestContext::multipart).
pub struct Multipart {
    inner: multer::Multipart<'static>,
    parts: usize,
    max_parts: usize,
}

impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart")
            .field("parts", &self.parts)
            .finish_non_exhaustive()
    }
}

impl Multipart {
    pub(crate) fn new(body: RequestBody, boundary: String, limits: &MultipartLimits) -> Self {
        let size = multer::SizeLimit::new()
            .whole_stream(limits.max_size)
            .per_field(limits.max_part_size);
        let constraints = multer::Constraints::new().size_limit(size);
        Multipart {
            inner: multer::Multipart::with_constraints(body, boundary, constraints),
            parts: 0,
            max_parts: limits.max_parts,
        }
    }

    /// The next part, or `None` after the closing boundary. The previous field's unread
    /// content is skipped (still subject to the size limits).
    pub async fn next_field(&mut self) -> Result<Option<Field<'_>>, FormError> {
        let Some(inner) = self
            .inner
            .next_field()
            .await
            .map_err(FormError::from_multer)?
        else {
            return Ok(None);
        };
        self.parts += 1;
        if self.parts > self.max_parts {
            return Err(FormError::TooManyParts {
                limit: self.max_parts,
            });
        }
        Ok(Some(Field {
            inner,
            _reader: PhantomData,
        }))
    }
}

/// One part of a multipart body: its headers, and its content as a stream of chunks.
pub struct Field<'m> {
    inner: multer::Field<'static>,
    _reader: PhantomData<&'m mut Multipart>,
}

impl std::fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name())
            .field("file_name", &self.file_name())
            .field("content_type", &self.content_type())
            .finish()
    }
}

impl Field<'_> {
    /// The field name (`name` of `Content-Disposition`).
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// The file name exactly as the client sent it (`filename` of `Content-Disposition`) —
    /// it may contain a path: never join it to a directory unchecked.
    pub fn file_name(&self) -> Option<&str> {
        self.inner.file_name()
    }

    /// Whether the part is a file upload (it has a non-empty `filename`).
    pub fn is_file(&self) -> bool {
        self.file_name().is_some_and(|n| !n.is_empty())
    }

    /// The part's `Content-Type`, if it sent one.
    pub fn content_type(&self) -> Option<&str> {
        self.inner.content_type().map(|m| m.as_ref())
    }

    /// All headers of the part.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The next chunk of content, or `None` at the end of the part.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, FormError> {
        self.inner.chunk().await.map_err(FormError::from_multer)
    }

    /// The whole content in memory (bounded by `max_multipart_part_size`).
    pub async fn bytes(self) -> Result<Bytes, FormError> {
        self.inner.bytes().await.map_err(FormError::from_multer)
    }

    /// The whole content as text, decoded with the part's `charset` (UTF-8 by default;
    /// invalid sequences become U+FFFD).
    pub async fn text(self) -> Result<String, FormError> {
        self.inner.text().await.map_err(FormError::from_multer)
    }

    /// Streams the content into a new file at `path` (replacing an existing one) as it
    /// arrives, and returns the number of bytes written. On failure the partial file is
    /// removed.
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// async fn upload(ctx: &mut RequestContext) {
    ///     let mut multipart = match ctx.multipart() {
    ///         Ok(m) => m,
    ///         Err(e) => return e.abort(ctx),
    ///     };
    ///     let mut stored = 0;
    ///     loop {
    ///         let field = match multipart.next_field().await {
    ///             Ok(Some(f)) => f,
    ///             Ok(None) => break,
    ///             Err(e) => return e.abort(ctx),
    ///         };
    ///         if field.name() == Some("video") {
    ///             match field.save_to("/tmp/video.bin").await {
    ///                 Ok(n) => stored += n,
    ///                 Err(e) => return e.abort(ctx),
    ///             }
    ///         }
    ///     }
    ///     ctx.string(StatusCode::OK, format!("{stored} bytes"));
    /// }
    /// ```
    pub async fn save_to(mut self, path: impl AsRef<Path>) -> Result<u64, FormError> {
        let path = path.as_ref();
        let mut file = tokio::fs::File::create(path).await?;
        let written = async {
            let mut n = 0u64;
            while let Some(chunk) = self.chunk().await? {
                file.write_all(&chunk).await?;
                n += chunk.len() as u64;
            }
            file.flush().await?;
            Ok::<u64, FormError>(n)
        }
        .await;
        if written.is_err() {
            drop(file);
            let _ = tokio::fs::remove_file(path).await;
        }
        written
    }
}
