//! `#[bind(file)]`: files of a `multipart/form-data` body, taken from the form parsed by
//! `ctx.multipart_form().await` (cargo feature `multipart`).
//!
//! A field is an [`UploadedFile`] (required), an `Option<UploadedFile>` or a
//! `Vec<UploadedFile>` (every file sent under the name). Uploads are cheap to clone: the bound
//! struct shares them with the parsed form (a spooled file is deleted once both are gone).

use super::error::{BindError, BindErrorKind, Source};
use crate::app::multipart::UploadedFile;
use crate::app::RequestContext;

/// A field type `#[bind(file)]` can fill.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be bound from an uploaded file",
    label = "not an upload type",
    note = "`#[bind(file)]` fields are `khz::app::multipart::UploadedFile`, `Option<UploadedFile>` or `Vec<UploadedFile>`"
)]
pub trait FromFiles: Sized {
    /// Builds the field from every file sent under its name; `None` if it is required and
    /// none came.
    fn from_files(files: Vec<UploadedFile>) -> Option<Self>;
}

impl FromFiles for UploadedFile {
    fn from_files(files: Vec<UploadedFile>) -> Option<Self> {
        files.into_iter().next()
    }
}

impl FromFiles for Option<UploadedFile> {
    fn from_files(files: Vec<UploadedFile>) -> Option<Self> {
        Some(files.into_iter().next())
    }
}

impl FromFiles for Vec<UploadedFile> {
    fn from_files(files: Vec<UploadedFile>) -> Option<Self> {
        Some(files)
    }
}

/// Binds the files of field `name` of the parsed multipart form.
pub fn files<T: FromFiles>(ctx: &RequestContext, name: &str) -> Result<T, BindError> {
    let Some(form) = ctx.parsed_multipart_form() else {
        let kind = if ctx
            .content_type()
            .is_some_and(|ct| super::source::media_type(ct) == super::source::MULTIPART)
        {
            BindErrorKind::MultipartNotParsed
        } else {
            BindErrorKind::UnsupportedContentType {
                expected: super::source::MULTIPART,
                found: ctx.content_type().map(str::to_owned),
            }
        };
        return Err(BindError::new(
            kind,
            Some(Source::File),
            Some(name.to_owned()),
        ));
    };
    let found: Vec<UploadedFile> = form.files(name).cloned().collect();
    T::from_files(found).ok_or_else(|| {
        BindError::new(
            BindErrorKind::Missing,
            Some(Source::File),
            Some(name.to_owned()),
        )
    })
}
