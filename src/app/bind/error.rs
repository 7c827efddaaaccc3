//! [`BindError`]: why a request could not be bound or validated — which field, from which
//! [`Source`], what went wrong ([`BindErrorKind`]) — and the HTTP status that answers it.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

/// The part of the request a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// A route parameter (`:name` / `*name`).
    Path,
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie of the `Cookie` header.
    Cookie,
    /// A field of an `application/x-www-form-urlencoded` body.
    Form,
    /// A field of a JSON body.
    Json,
    /// The raw body.
    Body,
    /// A file of a `multipart/form-data` body.
    File,
}

impl Source {
    /// How the source is named in messages: `query parameter`, `header`, …
    pub fn describe(self) -> &'static str {
        match self {
            Source::Path => "path parameter",
            Source::Query => "query parameter",
            Source::Header => "header",
            Source::Cookie => "cookie",
            Source::Form => "form field",
            Source::Json => "JSON field",
            Source::Body => "body",
            Source::File => "uploaded file",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BindErrorKind {
    /// A required value is absent (400).
    Missing,
    /// A value is present but does not convert to the field's type (400).
    Invalid {
        /// Why, e.g. `cannot parse u32: invalid digit found in string`.
        reason: String,
    },
    /// The JSON body is not valid JSON (400).
    InvalidJson {
        /// What the parser expected.
        reason: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// Byte offset of the error from the start of the body.
        offset: usize,
    },
    /// A validation rule failed (400).
    Validation {
        /// The rule's message (`msg = "..."`), or a description of the failed rule.
        message: String,
    },
    /// The body has a `Content-Type` the binding cannot read (415).
    UnsupportedContentType {
        /// The media type that was expected.
        expected: &'static str,
        /// The `Content-Type` that came, if any.
        found: Option<String>,
    },
    /// The body is still streaming: call `ctx.read_body().await` before binding (500).
    BodyNotRead,
    /// The body is `multipart/form-data` and was not parsed: call
    /// `ctx.multipart_form().await` before binding (500).
    MultipartNotParsed,
    /// A mistake in the program rather than the request, e.g. a `default` that does not
    /// convert to its field's type (500).
    Misuse {
        /// What is wrong.
        reason: String,
    },
}

/// A failure to bind or validate a request: the field, its [`Source`], the
/// [`kind`](BindError::kind) of failure, and the [`status`](BindError::status) to answer.
///
/// Rendered by default as `{"code":400,"message":"...","field":"..."}`; see
/// [`Server::bind_error_handler`](crate::app::Server::bind_error_handler) to change that.
///
/// ```
/// use khz::app::bind::{BindError, Source};
/// use khz::prelude::StatusCode;
///
/// let e = BindError::missing(Source::Query, "page");
/// assert_eq!(e.field(), Some("page"));
/// assert_eq!(e.status(), StatusCode::BAD_REQUEST);
/// assert_eq!(e.to_string(), "missing required query parameter `page`");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BindError {
    field: Option<Cow<'static, str>>,
    source: Option<Source>,
    kind: BindErrorKind,
}

impl BindError {
    /// An error of `kind` about `field` of `source`.
    pub fn new(
        kind: BindErrorKind,
        source: Option<Source>,
        field: Option<impl Into<Cow<'static, str>>>,
    ) -> Self {
        BindError {
            field: field.map(Into::into),
            source,
            kind,
        }
    }

    /// A required value is absent.
    pub fn missing(source: Source, field: impl Into<Cow<'static, str>>) -> Self {
        Self::new(BindErrorKind::Missing, Some(source), Some(field))
    }

    /// A value that does not convert, with the reason.
    pub fn invalid(
        source: Source,
        field: impl Into<Cow<'static, str>>,
        reason: impl fmt::Display,
    ) -> Self {
        let reason = reason.to_string();
        Self::new(BindErrorKind::Invalid { reason }, Some(source), Some(field))
    }

    /// A failed validation of `field` (`None` for a check of the whole value).
    ///
    /// ```
    /// use khz::app::bind::{BindError, Validate};
    ///
    /// struct Range { from: u32, to: u32 }
    ///
    /// impl Validate for Range {
    ///     fn validate(&self) -> Result<(), BindError> {
    ///         if self.from > self.to {
    ///             return Err(BindError::validation(Some("from"), "from must not exceed to"));
    ///         }
    ///         Ok(())
    ///     }
    /// }
    /// assert!(Range { from: 2, to: 1 }.validate().is_err());
    /// ```
    pub fn validation(
        field: Option<impl Into<Cow<'static, str>>>,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        Self::new(BindErrorKind::Validation { message }, None, field)
    }

    /// The body's `Content-Type` is not `expected`.
    pub fn unsupported_content_type(expected: &'static str, found: Option<&str>) -> Self {
        let found = found.map(str::to_owned);
        Self::new(
            BindErrorKind::UnsupportedContentType { expected, found },
            Some(Source::Body),
            None::<&'static str>,
        )
    }

    /// Sets the source (e.g. of a validation error).
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = Some(source);
        self
    }

    /// The field as the client names it — path parameter, query key, header or cookie name,
    /// form key, or JSON path such as `meta.tags[1]` — if the error is about one field.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// Where the value came from, if known. (Not `std::error::Error::source`: a `BindError`
    /// has no underlying cause.)
    pub fn source(&self) -> Option<Source> {
        self.source
    }

    /// What went wrong.
    pub fn kind(&self) -> &BindErrorKind {
        &self.kind
    }

    /// The status that answers this error: 400 for bad input, 415 for an unreadable
    /// `Content-Type`, 500 for mistakes of the program ([`BindErrorKind::BodyNotRead`],
    /// [`BindErrorKind::Misuse`]).
    pub fn status(&self) -> StatusCode {
        match self.kind {
            BindErrorKind::UnsupportedContentType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BindErrorKind::BodyNotRead
            | BindErrorKind::MultipartNotParsed
            | BindErrorKind::Misuse { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.source.map_or("value", Source::describe);
        let field = self.field.as_deref().unwrap_or("");
        match &self.kind {
            BindErrorKind::Missing => write!(f, "missing required {what} `{field}`"),
            BindErrorKind::Invalid { reason } if field.is_empty() => {
                write!(f, "invalid {what}: {reason}")
            }
            BindErrorKind::Invalid { reason } => write!(f, "invalid {what} `{field}`: {reason}"),
            BindErrorKind::InvalidJson {
                reason,
                line,
                column,
                offset,
            } => write!(
                f,
                "invalid JSON body: {reason} at line {line} column {column} (byte {offset})"
            ),
            BindErrorKind::Validation { message } => f.write_str(message),
            BindErrorKind::UnsupportedContentType { expected, found } => match found {
                Some(found) => write!(f, "expected Content-Type {expected}, got `{found}`"),
                None => write!(f, "expected Content-Type {expected}, got none"),
            },
            BindErrorKind::BodyNotRead => f.write_str(
                "the request body is still streaming: call `ctx.read_body().await` before binding",
            ),
            BindErrorKind::MultipartNotParsed => f.write_str(
                "the multipart body is not parsed: call `ctx.multipart_form().await` before binding",
            ),
            BindErrorKind::Misuse { reason } => write!(f, "binding `{field}`: {reason}"),
        }
    }
}

impl std::error::Error for BindError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_statuses() {
        let e = BindError::invalid(Source::Header, "X-Token", "too short");
        assert_eq!(e.to_string(), "invalid header `X-Token`: too short");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let e = BindError::unsupported_content_type("application/json", Some("text/plain"));
        assert_eq!(
            e.to_string(),
            "expected Content-Type application/json, got `text/plain`"
        );
        assert_eq!(e.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(e.field(), None);
        let e = BindError::new(BindErrorKind::BodyNotRead, Some(Source::Json), None::<&str>);
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let e = BindError::validation(Some("age"), "too young").with_source(Source::Query);
        assert_eq!(
            (e.to_string().as_str(), e.source()),
            ("too young", Some(Source::Query))
        );
    }
}
