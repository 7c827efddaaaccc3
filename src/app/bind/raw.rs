//! The raw body as a field value: `#[bind(raw_body)]` and [`raw_body`], for the types in
//! [`FromRawBody`].

use bytes::Bytes;

use super::error::{BindError, BindErrorKind, Source};
use super::source::body_read;
use crate::app::RequestContext;

/// A type that can hold the whole request body: [`Bytes`] (no copy), `Vec<u8>`, `String`
/// (must be UTF-8), and `Option`s of those (`None` for an empty body).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold the raw request body",
    label = "not a body type",
    note = "`#[bind(raw_body)]` fields are `bytes::Bytes`, `Vec<u8>` or `String` (or an `Option` of one)"
)]
pub trait FromRawBody: Sized {
    /// Converts the body, or says why it cannot.
    fn from_raw_body(body: &Bytes) -> Result<Self, String>;
}

impl FromRawBody for Bytes {
    fn from_raw_body(body: &Bytes) -> Result<Self, String> {
        Ok(body.clone())
    }
}

impl FromRawBody for Vec<u8> {
    fn from_raw_body(body: &Bytes) -> Result<Self, String> {
        Ok(body.to_vec())
    }
}

impl FromRawBody for String {
    fn from_raw_body(body: &Bytes) -> Result<Self, String> {
        std::str::from_utf8(body)
            .map(str::to_owned)
            .map_err(|e| format!("the body is not UTF-8: {e}"))
    }
}

impl<T: FromRawBody> FromRawBody for Option<T> {
    fn from_raw_body(body: &Bytes) -> Result<Self, String> {
        if body.is_empty() {
            Ok(None)
        } else {
            T::from_raw_body(body).map(Some)
        }
    }
}

/// The request body as `T`. A streamed body must be read (`ctx.read_body().await`) first.
///
/// ```
/// use khz::app::bind::raw_body;
/// use khz::prelude::*;
///
/// async fn upload(ctx: &mut RequestContext) {
///     match raw_body::<String>(ctx) {
///         Ok(text) => ctx.string(StatusCode::OK, text.to_uppercase()),
///         Err(e) => ctx.abort_with_bind_error(&e),
///     }
/// }
/// ```
pub fn raw_body<T: FromRawBody>(ctx: &RequestContext) -> Result<T, BindError> {
    body_read(ctx, Source::Body)?;
    T::from_raw_body(ctx.body()).map_err(|reason| {
        BindError::new(
            BindErrorKind::Invalid { reason },
            Some(Source::Body),
            None::<&'static str>,
        )
    })
}
