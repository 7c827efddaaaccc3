//! Answering a [`BindError`]: the default rendering (`{"code":…,"message":…,"field":…}` with
//! the error's status, serialized with sonic-rs) and the hook that replaces it
//! ([`Server::bind_error_handler`]), carried from the server to the frozen app like the
//! `continue_handler`.

use std::sync::Arc;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::error::BindError;
use crate::app::{RequestContext, Server};

/// A custom renderer of bind errors.
pub(crate) type BindErrorHook = Arc<dyn Fn(&mut RequestContext, &BindError) + Send + Sync>;

/// The default JSON body of a bind error.
struct ErrorBody<'a>(&'a BindError);

impl Serialize for ErrorBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut st = s.serialize_struct("BindError", 3)?;
        st.serialize_field("code", &e.status().as_u16())?;
        st.serialize_field("message", &e.to_string())?;
        match e.field() {
            Some(field) => st.serialize_field("field", field)?,
            None => st.skip_field("field")?,
        }
        st.end()
    }
}

/// The default rendering of a bind error: its [`status`](BindError::status) and
/// `{"code":400,"message":"...","field":"..."}` (`field` left out when the error has none).
/// Custom renderers can fall back to it.
///
/// ```
/// use khz::app::bind::{render_bind_error, BindError, Source};
/// use khz::prelude::*;
///
/// let server = Server::new();
/// server.bind_error_handler(|ctx: &mut RequestContext, err: &BindError| {
///     if err.source() == Some(Source::Header) {
///         ctx.string(StatusCode::UNAUTHORIZED, "bad credentials");
///     } else {
///         render_bind_error(ctx, err);
///     }
/// });
/// ```
pub fn render_bind_error(ctx: &mut RequestContext, err: &BindError) {
    ctx.json(err.status(), &ErrorBody(err));
}

impl Server {
    /// Replaces how bind and validation errors are answered — a handler returning one with
    /// `?`, or [`abort_with_bind_error`](RequestContext::abort_with_bind_error). By default
    /// the answer is [`render_bind_error`]'s JSON. The chain is aborted after the renderer runs.
    ///
    /// ```
    /// use khz::app::bind::BindError;
    /// use khz::prelude::*;
    ///
    /// let server = Server::new();
    /// server.bind_error_handler(|ctx: &mut RequestContext, err: &BindError| {
    ///     ctx.string(err.status(), format!("bad request: {err}"));
    /// });
    /// ```
    pub fn bind_error_handler<F>(&self, f: F) -> &Self
    where
        F: Fn(&mut RequestContext, &BindError) + Send + Sync + 'static,
    {
        self.reg.lock().bind_error_hook = Some(Arc::new(f));
        self
    }
}
