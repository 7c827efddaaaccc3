//! Errors handlers return, and how they become responses.
//!
//! A handler (or middleware) may return `()` or `Result<(), E>` ([`HandlerOutput`]). An `Err`
//! stops the chain as [`abort`](RequestContext::abort) does, replaces whatever response was
//! built so far with the error's own ([`ResponseError::render`]), is logged (5xx at `error`
//! with its source chain, 4xx at `debug`), and stays visible to the middleware around the
//! handler through [`RequestContext::error`] — an access log or an error-mapping middleware
//! reads it after `next().await`.
//!
//! Which `E`:
//! - [`khz::Error`](crate::Error): [`Error::status`](crate::Error::status) gives it a status;
//!   `bind_and_validate::<T>()?` converts a [`BindError`] into it and keeps its 400 JSON; any
//!   `std::error::Error` joins with [`OrStatus::or_status`] (or `Error::with_source`); without
//!   a status it is a 500 whose body names no internals.
//! - Your own type: implement [`ResponseError`] (its `status`, and `render` if the default
//!   `{"code","message"}` / text body is not what you want).
//! - [`BoxError`]: any error at all propagates with `?`; khz errors and bind errors keep their
//!   status, everything else is a 500 with no internals in the body.
//!
//! Every default rendering goes through [`RequestContext::render_error`]: JSON
//! `{"code":404,"message":"…"}` when the client accepts JSON, plain text otherwise, or what the
//! server's [`error_handler`](crate::app::Server::error_handler) says. The same renderer answers
//! protocol rejections (413, 431 …) and the default 404/405.
//!
//! ```
//! use khz::prelude::*;
//!
//! #[derive(Debug)]
//! enum NoteError { Missing(u64), Locked }
//!
//! impl std::fmt::Display for NoteError {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         match self {
//!             NoteError::Missing(id) => write!(f, "note {id} does not exist"),
//!             NoteError::Locked => f.write_str("note is locked"),
//!         }
//!     }
//! }
//! impl std::error::Error for NoteError {}
//! impl ResponseError for NoteError {
//!     fn status(&self) -> StatusCode {
//!         match self {
//!             NoteError::Missing(_) => StatusCode::NOT_FOUND,
//!             NoteError::Locked => StatusCode::CONFLICT,
//!         }
//!     }
//! }
//!
//! async fn show(ctx: &mut RequestContext) -> Result<(), NoteError> {
//!     let id: u64 = ctx.param("id").and_then(|v| v.parse().ok()).unwrap_or(0);
//!     if id != 1 {
//!         return Err(NoteError::Missing(id));
//!     }
//!     ctx.string(StatusCode::OK, "note 1");
//!     Ok(())
//! }
//! # fn takes(_: impl khz::app::Handler) {}
//! # takes(show);
//! ```

use std::fmt;

use http::header::{self, HeaderValue};
use http::StatusCode;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::bind::BindError;
use super::context::RequestContext;
use super::render::json::Style;
use crate::protocol::{BoxError, Rejection};
use crate::{Error, ErrorKind};

/// An error that knows how to answer a request. Implement it for your error types so handlers
/// can return them (`Result<(), MyError>`).
pub trait ResponseError: std::error::Error + Send + Sync + 'static {
    /// The status of the answer (default 500).
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    /// Writes the answer. The default renders [`status`](Self::status) through
    /// [`RequestContext::render_error`]: with this error's text as the message for a 4xx, and
    /// only the status's reason phrase for a 5xx (internals stay in the log).
    fn render(&self, ctx: &mut RequestContext) {
        let status = self.status();
        if status.is_client_error() {
            let message = self.to_string();
            ctx.render_error(status, &message);
        } else {
            ctx.render_error(status, status.canonical_reason().unwrap_or("error"));
        }
    }
}

/// What a handler or middleware may return: `()`, or `Result<(), E>` where `E` is a
/// [`ResponseError`] or a [`BoxError`].
pub trait HandlerOutput: Send {
    /// The error, if the handler failed.
    fn into_result(self) -> Result<(), Box<dyn ResponseError>>;
}

impl HandlerOutput for () {
    #[inline]
    fn into_result(self) -> Result<(), Box<dyn ResponseError>> {
        Ok(())
    }
}

impl<E: ResponseError> HandlerOutput for Result<(), E> {
    #[inline]
    fn into_result(self) -> Result<(), Box<dyn ResponseError>> {
        self.map_err(|e| Box::new(e) as Box<dyn ResponseError>)
    }
}

impl HandlerOutput for Result<(), BoxError> {
    #[inline]
    fn into_result(self) -> Result<(), Box<dyn ResponseError>> {
        self.map_err(|e| Box::new(Opaque(e)) as Box<dyn ResponseError>)
    }
}

/// Any error returned as a [`BoxError`]: khz and bind errors keep their answer, anything else
/// is a 500.
struct Opaque(BoxError);

impl Opaque {
    fn known(&self) -> Option<&dyn ResponseError> {
        if let Some(e) = self.0.downcast_ref::<Error>() {
            return Some(e);
        }
        if let Some(e) = self.0.downcast_ref::<BindError>() {
            return Some(e);
        }
        #[cfg(feature = "multipart")]
        if let Some(e) = self.0.downcast_ref::<super::multipart::FormError>() {
            return Some(e);
        }
        if let Some(e) = self.0.downcast_ref::<crate::protocol::BodyError>() {
            return Some(e);
        }
        None
    }
}

impl fmt::Debug for Opaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Opaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Opaque {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl ResponseError for Opaque {
    fn status(&self) -> StatusCode {
        self.known()
            .map_or(StatusCode::INTERNAL_SERVER_ERROR, |e| e.status())
    }

    fn render(&self, ctx: &mut RequestContext) {
        match self.known() {
            Some(e) => e.render(ctx),
            None => {
                let status = StatusCode::INTERNAL_SERVER_ERROR;
                ctx.render_error(status, status.canonical_reason().unwrap_or("error"));
            }
        }
    }
}

/// The status of a [`khz::Error`](crate::Error): the one it was given, a bind error's own, or 500.
impl ResponseError for Error {
    fn status(&self) -> StatusCode {
        if let Some(status) = self.http_status() {
            return status;
        }
        match std::error::Error::source(self).and_then(|s| s.downcast_ref::<BindError>()) {
            Some(bind) => bind.status(),
            None => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn render(&self, ctx: &mut RequestContext) {
        let bind = std::error::Error::source(self).and_then(|s| s.downcast_ref::<BindError>());
        match bind {
            Some(bind) if self.http_status().is_none() => ctx.answer_bind_error(bind),
            _ => {
                let status = ResponseError::status(self);
                if status.is_client_error() {
                    ctx.render_error(status, self.message());
                } else {
                    ctx.render_error(status, status.canonical_reason().unwrap_or("error"));
                }
            }
        }
    }
}

/// A bind error answers as [`render_bind_error`](super::bind::render_bind_error) (or the
/// server's `bind_error_handler`) does.
impl ResponseError for BindError {
    fn status(&self) -> StatusCode {
        BindError::status(self)
    }

    fn render(&self, ctx: &mut RequestContext) {
        ctx.answer_bind_error(self);
    }
}

/// A body error (a streamed body that failed: 400, 408, 413) answers with its status.
impl ResponseError for crate::protocol::BodyError {
    fn status(&self) -> StatusCode {
        crate::protocol::BodyError::status(self)
    }

    fn render(&self, ctx: &mut RequestContext) {
        ctx.render_error(self.status(), self.reason());
    }
}

/// A protocol rejection (413, 431 …) as the app renders and shows it to middleware.
impl ResponseError for Rejection {
    fn status(&self) -> StatusCode {
        Rejection::status(self)
    }

    fn render(&self, ctx: &mut RequestContext) {
        ctx.render_error(self.status(), self.reason());
    }
}

impl From<BindError> for Error {
    fn from(e: BindError) -> Self {
        let message = e.to_string();
        Error::with_source(ErrorKind::Http, message, e)
    }
}

/// Turns a failure into a [`khz::Error`](crate::Error) with an HTTP status, for `?` in
/// handlers returning `khz::Result<()>`.
///
/// ```
/// use khz::prelude::*;
///
/// async fn double(ctx: &mut RequestContext) -> khz::Result<()> {
///     let n: i64 = ctx.query("n").unwrap_or_default().parse().or_status(StatusCode::BAD_REQUEST)?;
///     let notes = std::collections::HashMap::from([(1, "one")]);
///     let note = notes.get(&n).or_status(StatusCode::NOT_FOUND)?;
///     ctx.string(StatusCode::OK, format!("{note} {}", n * 2));
///     Ok(())
/// }
/// # fn takes(_: impl khz::app::Handler) {}
/// # takes(double);
/// ```
pub trait OrStatus<T> {
    /// The value, or an error answering `status`. An error's text becomes the message (shown
    /// to the client for a 4xx) and stays its source; a `None` says the status's reason phrase.
    fn or_status(self, status: StatusCode) -> Result<T, Error>;
}

impl<T, E> OrStatus<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn or_status(self, status: StatusCode) -> Result<T, Error> {
        self.map_err(|e| Error::with_source(ErrorKind::Http, e.to_string(), e).with_status(status))
    }
}

impl<T> OrStatus<T> for Option<T> {
    fn or_status(self, status: StatusCode) -> Result<T, Error> {
        self.ok_or_else(|| Error::status(status, status.canonical_reason().unwrap_or("error")))
    }
}

/// Renders an error answer when the server has its own renderer
/// ([`Server::error_handler`](crate::app::Server::error_handler)).
pub(crate) type ErrorRenderer =
    std::sync::Arc<dyn Fn(&mut RequestContext, StatusCode, &str) + Send + Sync>;

/// The default JSON body of an error answer.
struct ErrorBody<'a> {
    status: StatusCode,
    message: &'a str,
}

impl Serialize for ErrorBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Error", 2)?;
        st.serialize_field("code", &self.status.as_u16())?;
        st.serialize_field("message", self.message)?;
        st.end()
    }
}

/// Whether the request's `Accept` header asks for JSON (`application/json`, `+json`).
fn accepts_json(ctx: &RequestContext) -> bool {
    ctx.request()
        .headers()
        .get_all("accept")
        .any(|v| memchr::memmem::find(v, b"json").is_some())
}

impl RequestContext {
    /// Answers an error the way the server renders errors: its
    /// [`error_handler`](crate::app::Server::error_handler) if it has one, else
    /// `{"code":…,"message":"…"}` (not HTML-escaped) when the client accepts JSON and
    /// `message` as plain text otherwise. The response built so far is discarded (its
    /// headers too); the chain is not aborted.
    pub fn render_error(&mut self, status: StatusCode, message: &str) {
        self.reset_response();
        if let Some(render) = self.app.error_renderer.clone() {
            render(self, status, message);
            return;
        }
        self.render_error_default(status, message);
    }

    /// The built-in rendering of [`render_error`](Self::render_error), for custom renderers
    /// that handle some cases and fall back to it.
    pub fn render_error_default(&mut self, status: StatusCode, message: &str) {
        if accepts_json(self) {
            self.render_json(status, &ErrorBody { status, message }, Style::Pure);
        } else {
            self.resp.set_status(status);
            self.resp.set_header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            self.resp.set_body(message.to_owned());
        }
    }

    /// Stops the chain with `error`: its answer replaces the response built so far, it is
    /// logged, and the middleware around the current handler sees it in
    /// [`error`](Self::error). What returning `Err(error)` from a handler does.
    pub fn abort_with_error(&mut self, error: impl ResponseError) {
        self.fail(Box::new(error));
    }

    pub(crate) fn fail(&mut self, error: Box<dyn ResponseError>) {
        let status = error.status();
        if status.is_server_error() {
            tracing::error!(
                method = %self.method(),
                path = self.path(),
                status = status.as_u16(),
                error = %ErrorChain(&*error),
                "handler failed"
            );
        } else {
            tracing::debug!(
                method = %self.method(),
                path = self.path(),
                status = status.as_u16(),
                error = %error,
                "handler answered an error"
            );
        }
        self.reset_response();
        error.render(self);
        self.aborted = true;
        self.error = Some(error);
    }

    /// The error a handler or middleware further down the chain returned (or a protocol
    /// rejection being answered), if any: for middleware that logs or maps errors after
    /// `next().await`.
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// async fn log_errors(ctx: &mut RequestContext) {
    ///     ctx.next().await;
    ///     if let Some(e) = ctx.error() {
    ///         eprintln!("{} {} -> {}: {e}", ctx.method(), ctx.path(), e.status());
    ///     }
    /// }
    /// ```
    pub fn error(&self) -> Option<&dyn ResponseError> {
        self.error.as_deref()
    }

    /// Takes the error out of the context (see [`error`](Self::error)), e.g. to answer it
    /// differently: the response it rendered stays until you replace it.
    pub fn take_error(&mut self) -> Option<Box<dyn ResponseError>> {
        self.error.take()
    }

    /// Stops the chain and answers `status` with `value` as JSON (not HTML-escaped, like
    /// [`pure_json`](Self::pure_json)).
    ///
    /// ```
    /// use khz::prelude::*;
    /// async fn guard(ctx: &mut RequestContext) {
    ///     if ctx.header("x-key").is_none() {
    ///         return ctx.abort_with_status_json(
    ///             StatusCode::UNAUTHORIZED,
    ///             &serde_json::json!({"code": 401, "message": "x-key required"}),
    ///         );
    ///     }
    ///     ctx.next().await;
    /// }
    /// ```
    pub fn abort_with_status_json<T: Serialize + ?Sized>(&mut self, status: StatusCode, value: &T) {
        self.render_json(status, value, Style::Pure);
        self.abort();
    }
}

/// Displays an error with its sources: `outer: inner: innermost`.
struct ErrorChain<'a>(&'a dyn ResponseError);

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut at = self.0.source();
        while let Some(e) = at {
            write!(f, ": {e}")?;
            at = e.source();
        }
        Ok(())
    }
}
