//! The one error type of khz. An [`Error`] carries a small [`ErrorKind`] that callers can match on,
//! a human-readable message, optionally the underlying cause, and optionally the HTTP status it
//! answers with when a handler returns it ([`Error::status`]). Protocol errors that reach a
//! client are not reported through this type: they become precise HTTP status codes in the
//! protocol layer. This type is for what the *application* sees: errors handlers return, bind
//! failures, route conflicts, invalid options, hook failures and the like.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

/// `Result` with [`Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An I/O error from the operating system (binding, accepting, reading, writing).
    Io,
    /// A route could not be registered: invalid pattern or conflict with an existing route.
    Route,
    /// A server option is invalid.
    Config,
    /// An `on_run` or `on_shutdown` hook failed.
    Hook,
    /// Graceful shutdown did not finish within the exit wait time.
    ShutdownTimeout,
    /// An error a handler answers with an HTTP status ([`Error::status`]).
    Http,
    /// Anything else.
    Other,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Io => "I/O error",
            ErrorKind::Route => "route error",
            ErrorKind::Config => "configuration error",
            ErrorKind::Hook => "hook error",
            ErrorKind::ShutdownTimeout => "shutdown timed out",
            ErrorKind::Http => "HTTP error",
            ErrorKind::Other => "error",
        })
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error type of khz.
///
/// ```
/// use khz::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::Config, "max_header_bytes must be at least 1024");
/// assert_eq!(e.kind(), ErrorKind::Config);
/// assert_eq!(e.to_string(), "configuration error: max_header_bytes must be at least 1024");
/// ```
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
    source: Option<BoxError>,
    status: Option<StatusCode>,
}

impl Error {
    /// A new error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
            status: None,
        }
    }

    /// An error answered with `status` when a handler returns it. For a 4xx status the
    /// message is the response's message; a 5xx status answers with the status's reason
    /// phrase only, and the message goes to the log.
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// async fn show(ctx: &mut RequestContext) -> khz::Result<()> {
    ///     let id = ctx.param("id").unwrap_or_default();
    ///     if id != "1" {
    ///         return Err(khz::Error::status(StatusCode::NOT_FOUND, "no such note"));
    ///     }
    ///     ctx.string(StatusCode::OK, id);
    ///     Ok(())
    /// }
    /// ```
    pub fn status(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            kind: ErrorKind::Http,
            message: message.into(),
            source: None,
            status: Some(status),
        }
    }

    /// Sets the HTTP status this error answers with when a handler returns it.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// The HTTP status set with [`Error::status`] or [`Error::with_status`], if any.
    pub fn http_status(&self) -> Option<StatusCode> {
        self.status
    }

    /// A new error of `kind` wrapping `source`; the message is the source's display text.
    pub fn from_source(kind: ErrorKind, source: impl Into<BoxError>) -> Self {
        let source = source.into();
        Error {
            kind,
            message: Cow::Owned(source.to_string()),
            source: Some(source),
            status: None,
        }
    }

    /// A new error of `kind` with `message`, caused by `source` (kept for
    /// [`std::error::Error::source`] and logs).
    pub fn with_source(
        kind: ErrorKind,
        message: impl Into<Cow<'static, str>>,
        source: impl Into<BoxError>,
    ) -> Self {
        Error {
            kind,
            message: message.into(),
            source: Some(source.into()),
            status: None,
        }
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(status) = self.status {
            d.field("status", &status);
        }
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::from_source(ErrorKind::Io, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_keep_their_source() {
        let io = std::io::Error::new(std::io::ErrorKind::AddrInUse, "port taken");
        let e = Error::from(io);
        assert_eq!(e.kind(), ErrorKind::Io);
        assert_eq!(e.to_string(), "I/O error: port taken");
        assert!(std::error::Error::source(&e).is_some());
    }
}
