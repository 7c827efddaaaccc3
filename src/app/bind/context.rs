//! The binding methods of [`RequestContext`]: `bind`, `bind_and_validate`, `validate`, the
//! per-source binds of plain serde types (`bind_query`, `bind_header`, `bind_path`,
//! `bind_form`, `bind_json`), and `abort_with_bind_error`. In a handler returning `Result`,
//! `ctx.bind_and_validate::<T>()?` answers a failure (400 JSON by default) and stops the chain.

use serde::de::DeserializeOwned;

use super::de::DeError;
use super::de_struct::{group, PairsDeserializer};
use super::error::{BindError, BindErrorKind, Source};
use super::json::parse_body;
use super::render::render_bind_error;
use super::source::pairs;
use super::{Bind, Validate};
use crate::app::RequestContext;

/// Turns a deserialization failure in `source` into a [`BindError`].
pub(crate) fn de_error(e: DeError, source: Source, name: Option<&str>) -> BindError {
    match e {
        DeError::Missing { field } => BindError::new(
            BindErrorKind::Missing,
            Some(source),
            field.or_else(|| name.map(str::to_owned)),
        ),
        DeError::Invalid { field, reason } => BindError::new(
            BindErrorKind::Invalid { reason },
            Some(source),
            field.or_else(|| name.map(str::to_owned)),
        ),
    }
}

impl RequestContext {
    /// Binds a [`Bind`] type — usually a `#[derive(khz::Bind)]` struct — from the request.
    /// Binding is synchronous: the body is already in memory. For a route that streams its
    /// body, call [`read_body`](RequestContext::read_body)`.await` first (else binding a body
    /// field fails with [`BindErrorKind::BodyNotRead`]).
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// #[derive(khz::Bind)]
    /// struct Show {
    ///     #[bind(path)]
    ///     id: u64,
    ///     #[bind(query, default = "false")]
    ///     verbose: bool,
    /// }
    ///
    /// async fn show(ctx: &mut RequestContext) {
    ///     match ctx.bind::<Show>() {
    ///         Ok(s) => ctx.string(StatusCode::OK, format!("{} {}", s.id, s.verbose)),
    ///         Err(e) => ctx.abort_with_bind_error(&e),
    ///     }
    /// }
    /// ```
    pub fn bind<T: Bind>(&self) -> Result<T, BindError> {
        T::bind(self)
    }

    /// [`bind`](RequestContext::bind), then [`Validate::validate`].
    pub fn bind_and_validate<T: Bind + Validate>(&self) -> Result<T, BindError> {
        let value = T::bind(self)?;
        value.validate()?;
        Ok(value)
    }

    /// Validates `value` (Hertz's `ctx.Validate`).
    pub fn validate<T: Validate + ?Sized>(&self, value: &T) -> Result<(), BindError> {
        value.validate()
    }

    /// Binds `T` (a plain `serde::Deserialize` type) from the query string. A key repeated
    /// fills a `Vec` (a `Vec` field needs `#[serde(default)]` to be optional), an `Option`
    /// field may be absent; errors name the key.
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Search { q: String, page: Option<u32> }
    ///
    /// async fn search(ctx: &mut RequestContext) -> khz::Result<()> {
    ///     let s = ctx.bind_query::<Search>()?; // a failure answers 400 JSON naming the key
    ///     ctx.string(StatusCode::OK, format!("{} p{}", s.q, s.page.unwrap_or(1)));
    ///     Ok(())
    /// }
    /// ```
    pub fn bind_query<T: DeserializeOwned>(&self) -> Result<T, BindError> {
        self.bind_pairs(Source::Query)
    }

    /// Binds `T` from the request headers. Header names are matched in lowercase: name the
    /// fields (or `#[serde(rename = "x-token")]` them) accordingly.
    pub fn bind_header<T: DeserializeOwned>(&self) -> Result<T, BindError> {
        self.bind_pairs(Source::Header)
    }

    /// Binds `T` from the route parameters.
    pub fn bind_path<T: DeserializeOwned>(&self) -> Result<T, BindError> {
        self.bind_pairs(Source::Path)
    }

    /// Binds `T` from an `application/x-www-form-urlencoded` body (another non-empty body is
    /// a 415).
    pub fn bind_form<T: DeserializeOwned>(&self) -> Result<T, BindError> {
        self.bind_pairs(Source::Form)
    }

    /// Binds `T` from a JSON body, parsed with sonic-rs: a `Content-Type` other than JSON is
    /// a 415; invalid JSON is a 400 naming line, column and byte offset; a value of the wrong
    /// type is a 400 naming its JSON path.
    pub fn bind_json<T: DeserializeOwned>(&self) -> Result<T, BindError> {
        parse_body(self, false)
    }

    fn bind_pairs<T: DeserializeOwned>(&self, source: Source) -> Result<T, BindError> {
        let entries = group(pairs(self, source)?.into_iter());
        T::deserialize(PairsDeserializer { entries: &entries })
            .map_err(|e| de_error(e, source, None))
    }

    /// Answers `err` with the server's bind-error renderer (see
    /// [`Server::bind_error_handler`](crate::app::Server::bind_error_handler); by default
    /// [`render_bind_error`]) and aborts the chain.
    pub fn abort_with_bind_error(&mut self, err: &BindError) {
        self.answer_bind_error(err);
        self.abort();
    }

    /// Renders `err` with the server's bind-error renderer, without aborting.
    pub(crate) fn answer_bind_error(&mut self, err: &BindError) {
        match self.app.bind_error_hook.clone() {
            Some(hook) => hook(self, err),
            None => render_bind_error(self, err),
        }
    }
}
