//! `multipart/form-data` for [`RequestContext`] (cargo feature `multipart`, on by default),
//! parsed with `multer` on the request body *stream*, at two levels:
//!
//! - streaming — [`RequestContext::multipart`] yields [`Field`]s one by one, each a stream of
//!   chunks (`chunk`, `bytes`, `text`, `save_to`): on a route that streams its body
//!   ([`Route::stream_body`](crate::app::Route::stream_body)) an upload of any size passes
//!   through with back-pressure and never sits in memory;
//! - whole form — [`RequestContext::multipart_form`] reads every part into a cached
//!   [`MultipartForm`]: text values in memory, files as [`UploadedFile`]s kept in memory up to
//!   `multipart_memory_threshold` and spooled to a temporary file beyond it. Then
//!   [`form_file`](RequestContext::form_file), `post_form` and `form_value` see it too.
//!
//! Limits are server options (`max_multipart_size`, `max_multipart_part_size`,
//! `max_multipart_parts`, `multipart_memory_threshold`, `multipart_temp_dir`). Errors are
//! [`FormError`]s with a precise status: 415 when the body is not `multipart/form-data`, 400
//! without a boundary or for a broken part, 413 over a limit. Spooled files are deleted when
//! the request ends (the context drops the cached form), unless persisted.
//!
//! Files: `stream.rs` (the streaming reader), `form.rs` (the whole form), `file.rs` (uploads
//! and the spool), `limits.rs` (options), `error.rs` ([`FormError`]).

mod error;
mod file;
mod form;
mod limits;
mod stream;

use std::future::Future;
use std::path::Path;

pub use error::FormError;
pub use file::{UploadReader, UploadedFile};
pub use form::MultipartForm;
pub(crate) use limits::MultipartLimits;
pub use stream::{Field, Multipart};

use super::context::RequestContext;
use super::form::media_type_is;

/// The parsed form, cached per request in the context's typed keys (a private type, so users
/// cannot replace it; dropped — temporary files deleted — when the request ends).
struct ParsedForm(MultipartForm);

/// Marks that a live body stream was handed to a multipart reader.
struct StreamTaken;

impl RequestContext {
    /// Reads the `multipart/form-data` body part by part, as it arrives.
    ///
    /// Works on buffered and streamed bodies alike; on a route registered with
    /// [`stream_body`](crate::app::Route::stream_body) the body is read from the connection
    /// while the fields are consumed. Fails at once when the content type is wrong (415),
    /// has no boundary (400), when a `Content-Length` announces more than
    /// `max_multipart_size` (413), or when a streamed body was already consumed by an earlier
    /// call (500). Call it before reading the body any other way: after
    /// [`body_stream`](RequestContext::body_stream) took a streamed body, the reader sees an
    /// empty body (400).
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// async fn sizes(ctx: &mut RequestContext) {
    ///     let mut multipart = match ctx.multipart() {
    ///         Ok(m) => m,
    ///         Err(e) => return e.abort(ctx),
    ///     };
    ///     let mut report = String::new();
    ///     loop {
    ///         let mut field = match multipart.next_field().await {
    ///             Ok(Some(f)) => f,
    ///             Ok(None) => break,
    ///             Err(e) => return e.abort(ctx),
    ///         };
    ///         let name = field.name().unwrap_or_default().to_owned();
    ///         let mut size = 0;
    ///         loop {
    ///             match field.chunk().await {
    ///                 Ok(Some(chunk)) => size += chunk.len(),
    ///                 Ok(None) => break,
    ///                 Err(e) => return e.abort(ctx),
    ///             }
    ///         }
    ///         report.push_str(&format!("{name}={size}\n"));
    ///     }
    ///     ctx.string(StatusCode::OK, report);
    /// }
    /// ```
    pub fn multipart(&mut self) -> Result<Multipart, FormError> {
        let ct = self.content_type().unwrap_or_default();
        if !media_type_is(ct, "multipart/form-data") {
            return Err(FormError::NotMultipart);
        }
        let boundary = multer::parse_boundary(ct)
            .ok()
            .filter(|b| !b.is_empty())
            .ok_or(FormError::NoBoundary)?;
        let app = self.app.clone();
        let limits = &app.multipart;
        if self
            .request()
            .content_length()
            .is_some_and(|n| n > limits.max_size)
        {
            return Err(FormError::TooLarge {
                limit: limits.max_size,
            });
        }
        let streaming = self.body_is_streaming();
        if !streaming && self.get::<StreamTaken>().is_some() {
            return Err(FormError::BodyConsumed);
        }
        if streaming {
            self.set(StreamTaken);
        }
        let multipart = Multipart::new(self.req.take_body_stream(), boundary, limits);
        Ok(multipart)
    }

    /// Reads the whole `multipart/form-data` body (Hertz `MultipartForm`) and caches it for
    /// the rest of the request: later calls return the cached form, and
    /// [`form_file`](RequestContext::form_file), [`post_form`](RequestContext::post_form) and
    /// [`form_value`](RequestContext::form_value) see it. Errors as for
    /// [`multipart`](RequestContext::multipart), plus the limits while reading (413) and
    /// broken parts (400).
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// async fn profile(ctx: &mut RequestContext) {
    ///     let form = match ctx.multipart_form().await {
    ///         Ok(form) => form,
    ///         Err(e) => return e.abort(ctx),
    ///     };
    ///     let files = form.all_files().len();
    ///     let name = ctx.form_value("name").unwrap_or_default().into_owned();
    ///     ctx.string(StatusCode::OK, format!("{name}: {files} file(s)"));
    /// }
    /// ```
    pub async fn multipart_form(&mut self) -> Result<&MultipartForm, FormError> {
        if self.get::<ParsedForm>().is_none() {
            let app = self.app.clone();
            let multipart = self.multipart()?;
            let form = MultipartForm::read(multipart, &app.multipart).await?;
            self.set(ParsedForm(form));
        }
        self.parsed_multipart_form().ok_or(FormError::BodyConsumed)
    }

    /// The first uploaded file of field `name` (Hertz `FormFile`) — from the form parsed by
    /// [`multipart_form`](RequestContext::multipart_form), which must be called first
    /// (`None` otherwise).
    pub fn form_file(&self, name: &str) -> Option<&UploadedFile> {
        self.parsed_multipart_form()?.file(name)
    }

    /// Writes a copy of `file` to `path` (Hertz `SaveUploadedFile`); see
    /// [`UploadedFile::save`]. The returned future does not borrow the context.
    pub fn save_uploaded_file<'f>(
        &self,
        file: &'f UploadedFile,
        path: impl AsRef<Path>,
    ) -> impl Future<Output = std::io::Result<()>> + Send + 'f {
        let path = path.as_ref().to_owned();
        async move { file.save(path).await }
    }

    /// Takes the parsed form out of the context, e.g. to
    /// [`persist`](UploadedFile::persist) its files. Afterwards the request no longer sees it
    /// (`form_file`, `post_form`, `form_value`).
    pub fn take_multipart_form(&mut self) -> Option<MultipartForm> {
        self.remove::<ParsedForm>().map(|p| p.0)
    }

    /// The form parsed by `multipart_form`, if any.
    pub(crate) fn parsed_multipart_form(&self) -> Option<&MultipartForm> {
        self.get::<ParsedForm>().map(|p| &p.0)
    }
}
