//! [`FormError`]: why a multipart form could not be read, with the HTTP status that describes
//! it and helpers that answer the request with it.

use std::fmt;

use http::StatusCode;

use crate::app::RequestContext;
use crate::protocol::BodyError;

/// Why a `multipart/form-data` body could not be read.
///
/// Each error maps to a status ([`FormError::status`]): the client's fault is 400, 413 or 415
/// (and whatever the body stream reported: 400, 408, 413); the server's is 500.
///
/// ```
/// use khz::prelude::*;
///
/// async fn upload(ctx: &mut RequestContext) {
///     if let Err(e) = ctx.multipart_form().await {
///         return e.abort(ctx); // e.g. `413 Payload Too Large` with the reason as text
///     }
///     ctx.string(StatusCode::OK, "stored");
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum FormError {
    /// The `Content-Type` is missing or is not `multipart/form-data` (415).
    NotMultipart,
    /// `multipart/form-data` without a usable `boundary` parameter (400).
    NoBoundary,
    /// The body is not well-formed multipart: a broken part header, a missing boundary, a
    /// truncated part (400).
    Malformed(String),
    /// A part's content is larger than `max_multipart_part_size` (413).
    PartTooLarge {
        /// The part's field name.
        field: Option<String>,
        /// The limit in bytes.
        limit: u64,
    },
    /// The multipart body is larger than `max_multipart_size` (413).
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The body has more parts than `max_multipart_parts` (413).
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// Reading the request body failed (its own status: 400, 408 or 413).
    Body(BodyError),
    /// The streamed body was already consumed by an earlier
    /// [`multipart`](RequestContext::multipart) call (500: a handler bug).
    BodyConsumed,
    /// Writing or reading a file failed (500).
    Io(std::io::Error),
}

impl FormError {
    /// The HTTP status that describes the error.
    pub fn status(&self) -> StatusCode {
        match self {
            FormError::NotMultipart => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FormError::NoBoundary | FormError::Malformed(_) => StatusCode::BAD_REQUEST,
            FormError::PartTooLarge { .. }
            | FormError::TooLarge { .. }
            | FormError::TooManyParts { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            FormError::Body(e) => e.status(),
            FormError::BodyConsumed | FormError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Answers the request with [`status`](FormError::status) and the error as plain text,
    /// and stops the handler chain. Server-side failures (500) are logged and answered
    /// without detail.
    pub fn abort(&self, ctx: &mut RequestContext) {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(route = ctx.full_path(), error = %self, "multipart form failed");
            return ctx.abort_with_msg(status, "500 internal server error");
        }
        ctx.abort_with_msg(status, self.to_string());
    }

    /// Like [`abort`](FormError::abort), with a JSON body `{"status": 413, "error": "…"}`.
    pub fn abort_json(&self, ctx: &mut RequestContext) {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            status: u16,
            error: &'a str,
        }
        let status = self.status();
        let text = if status.is_server_error() {
            tracing::error!(route = ctx.full_path(), error = %self, "multipart form failed");
            "internal server error".to_owned()
        } else {
            self.to_string()
        };
        let body = Body {
            status: status.as_u16(),
            error: &text,
        };
        ctx.json(status, &body);
        ctx.abort();
    }

    /// Maps a parser error to the precise variant.
    pub(crate) fn from_multer(e: multer::Error) -> FormError {
        match e {
            multer::Error::FieldSizeExceeded { limit, field_name } => FormError::PartTooLarge {
                field: field_name,
                limit,
            },
            multer::Error::StreamSizeExceeded { limit } => FormError::TooLarge { limit },
            multer::Error::StreamReadFailed(source) => match source.downcast::<BodyError>() {
                Ok(body) => FormError::Body(*body),
                Err(other) => FormError::Malformed(format!("reading the body failed: {other}")),
            },
            multer::Error::NoMultipart | multer::Error::DecodeContentType(_) => {
                FormError::NotMultipart
            }
            multer::Error::NoBoundary => FormError::NoBoundary,
            other => FormError::Malformed(other.to_string()),
        }
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormError::NotMultipart => f.write_str("Content-Type is not multipart/form-data"),
            FormError::NoBoundary => f.write_str("multipart/form-data without a boundary"),
            FormError::Malformed(why) => write!(f, "malformed multipart body: {why}"),
            FormError::PartTooLarge { field, limit } => write!(
                f,
                "multipart field {:?} is larger than {limit} bytes",
                field.as_deref().unwrap_or("")
            ),
            FormError::TooLarge { limit } => {
                write!(f, "multipart body is larger than {limit} bytes")
            }
            FormError::TooManyParts { limit } => {
                write!(f, "multipart body has more than {limit} parts")
            }
            FormError::Body(e) => fmt::Display::fmt(e, f),
            FormError::BodyConsumed => f.write_str("the request body was already consumed"),
            FormError::Io(e) => write!(f, "storing an upload failed: {e}"),
        }
    }
}

impl std::error::Error for FormError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FormError::Body(e) => Some(e),
            FormError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for FormError {
    fn from(e: std::io::Error) -> Self {
        FormError::Io(e)
    }
}

/// A form error answers with its [`status`](FormError::status): the error's text for a 4xx,
/// the reason phrase only for a 5xx.
impl crate::app::ResponseError for FormError {
    fn status(&self) -> StatusCode {
        FormError::status(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(FormError::NotMultipart.status(), 415);
        assert_eq!(FormError::NoBoundary.status(), 400);
        assert_eq!(FormError::Malformed("x".into()).status(), 400);
        assert_eq!(FormError::TooManyParts { limit: 1 }.status(), 413);
        assert_eq!(FormError::BodyConsumed.status(), 500);
        let body = BodyError::new(StatusCode::REQUEST_TIMEOUT, "timeout");
        let e = FormError::from_multer(multer::Error::StreamReadFailed(Box::new(body)));
        assert_eq!(e.status(), 408);
        let e = FormError::from_multer(multer::Error::IncompleteStream);
        assert_eq!(
            e.to_string(),
            "malformed multipart body: incomplete multipart stream"
        );
    }
}
