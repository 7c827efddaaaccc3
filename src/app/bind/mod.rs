//! Request binding and validation: fill a struct from the path, query, headers, cookies, form
//! or JSON body of a request, then check it with Hertz-style `vd` rules.
//!
//! ```
//! use khz::prelude::*;
//!
//! #[derive(serde::Deserialize)]
//! struct Meta { tags: Vec<String> }
//!
//! #[derive(khz::Bind)]
//! struct CreateNote {
//!     #[bind(path = "note_id")]
//!     id: u64,
//!     #[bind(query)]
//!     page: Option<u32>,                       // Option: optional; anything else: required
//!     #[bind(query, default = "20")]
//!     size: u32,
//!     #[bind(header = "X-Token")]
//!     #[vd("len($) >= 8", msg = "token too short")]
//!     token: String,
//!     #[bind(json)]
//!     meta: Meta,                              // nested, through serde
//!     #[vd("mblen($) > 0 && mblen($) < 100")]
//!     title: String,                           // no #[bind]: a JSON body field
//! }
//!
//! async fn create(ctx: &mut RequestContext) -> khz::Result<()> {
//!     let note = ctx.bind_and_validate::<CreateNote>()?; // 400 JSON naming the field
//!     ctx.string(StatusCode::CREATED, format!("{} {}", note.id, note.title));
//!     Ok(())
//! }
//! ```
//!
//! # Sources — `#[bind(...)]`
//!
//! | attribute | reads | notes |
//! |---|---|---|
//! | `path` | route parameter `:name` / `*name` | |
//! | `query` | query parameter | repeated keys fill a `Vec` |
//! | `header` | request header, case-insensitive | repeated lines fill a `Vec` |
//! | `cookie` | cookie of the `Cookie` header | |
//! | `form` | field of an `application/x-www-form-urlencoded` body | other body types: 415 |
//! | `json` (or no attribute) | field of the JSON body | parsed once, with sonic-rs |
//! | `raw_body` | the whole body | `Bytes`, `Vec<u8>`, `String` ([`FromRawBody`]) |
//! | `file` | file of a `multipart/form-data` body | `UploadedFile`, `Option<…>`, `Vec<…>`; parse the form first (below) |
//!
//! Names default to the field name; `#[bind(query = "page_no")]` picks another. One source
//! per field. `default = "..."` is used when the key is absent; it is converted like a
//! request value (a default that does not convert answers 500: [`BindErrorKind::Misuse`]).
//!
//! Path, query, header, cookie and form values convert through one serde deserializer over
//! the key's string values: integers, floats, `bool` (also `1`/`0`/`t`/`f` …), `char`,
//! `String`, enums (unit variants by name, serde renames apply), `Option<T>` (absent →
//! `None`), `Vec<T>` (every value; absent → empty), and any `serde::de::DeserializeOwned`
//! type that deserializes from a string. JSON fields take anything serde does (nested
//! structs, maps, …); a JSON `null` counts as absent, so a required field refuses it.
//!
//! A non-empty body of a JSON-reading struct must have a JSON `Content-Type` (else 415); an
//! empty body leaves every JSON field absent. Invalid JSON is a 400 naming line, column and
//! byte offset; a value of the wrong type a 400 naming its JSON path (`meta.tags[1]`).
//!
//! A `multipart/form-data` body is bound from the form parsed by
//! `ctx.multipart_form().await` (text parts for `form` fields, files for `file` fields);
//! without that call, such fields fail with [`BindErrorKind::MultipartNotParsed`] (500).
//!
//! Binding is synchronous: the body is already in memory. For a route that streams its body
//! call `ctx.read_body().await` first, else body fields fail with
//! [`BindErrorKind::BodyNotRead`] (500).
//!
//! # Validation — `#[vd(...)]`
//!
//! `#[vd("expression", msg = "...")]` on a field, any number of times. Expressions use
//! Hertz's vocabulary: literals (`true`, `false`, `nil`, `12`, `1.5`, `'text'`), `! * / % + -
//! < <= > >= == != && ||`, parentheses, `$` (this field), `(Other)$` (another field of the
//! struct, by its Rust name), and the functions `len(x)` (bytes of a string or items of a
//! list — as in Hertz), `mblen(x)` (characters), `regexp('re')` / `regexp('re', x)`,
//! `in(x, a, b, ...)` and `email()` / `email(x)`. `None` is `nil`. The expression is parsed
//! when the struct compiles: a syntax error, an unknown function or field, an invalid regular
//! expression, or a field type the expression cannot use is a compile error.
//!
//! `#[vd(func = path::to::check)]` on a field calls `fn check(v: &FieldType) -> Result<(),
//! String>`; on the struct, `fn check(v: &Self) -> Result<(), String>` runs after the field
//! rules. Without `#[derive(Bind)]`, implement [`Validate`] by hand.
//!
//! # Errors
//!
//! Every failure is a [`BindError`]: [`field`](BindError::field),
//! [`source`](BindError::source), [`kind`](BindError::kind), [`status`](BindError::status)
//! (400, 415, or 500 for program mistakes). Returned from a handler (`ctx.bind::<T>()?`), or
//! through `ctx.abort_with_bind_error(&e)`, it answers `{"code":400,"message":"...","field":"..."}`
//! or with the renderer installed by
//! [`Server::bind_error_handler`](crate::app::Server::bind_error_handler).
//!
//! # Plain serde types
//!
//! `ctx.bind_query::<T>()`, `bind_header`, `bind_path`, `bind_form` and `bind_json` bind any
//! `serde::Deserialize` struct from one source, with the same conversions.

mod context;
mod de;
mod de_struct;
mod error;
#[cfg(feature = "multipart")]
mod file;
mod json;
#[doc(hidden)]
pub mod private;
mod raw;
mod render;
mod source;
#[cfg(feature = "macros")]
#[doc(hidden)]
pub mod vd;

use serde::de::DeserializeOwned;

pub use error::{BindError, BindErrorKind, Source};
#[cfg(feature = "multipart")]
pub use file::{files, FromFiles};
pub use raw::{raw_body, FromRawBody};
pub use render::render_bind_error;
pub(crate) use render::BindErrorHook;
use source::Sources;

use crate::app::RequestContext;

/// A type built from a request: derive it with `#[derive(khz::Bind)]`, or implement it by hand
/// with [`value`], [`value_or`] and [`raw_body`] (what the derive calls).
///
/// ```
/// use khz::app::bind::{value, value_or, Bind, BindError, Source};
/// use khz::prelude::*;
///
/// struct Page {
///     n: u32,
///     size: u32,
///     tags: Vec<String>,
/// }
///
/// impl Bind for Page {
///     fn bind(ctx: &RequestContext) -> Result<Self, BindError> {
///         Ok(Page {
///             n: value(ctx, Source::Query, "n")?,
///             size: value_or(ctx, Source::Query, "size", "20")?,
///             tags: value(ctx, Source::Query, "tag")?,
///         })
///     }
/// }
/// ```
pub trait Bind: Sized {
    /// Builds the value from the request, or says which field is wrong and why.
    fn bind(ctx: &RequestContext) -> Result<Self, BindError>;
}

/// A check of a bound value. `#[derive(Bind)]` implements it from the `#[vd]` rules (a struct
/// without rules always passes); implement it by hand for types that do not derive `Bind`,
/// e.g. plain serde structs bound with `ctx.bind_query()`, and check with `ctx.validate(&v)`.
///
/// ```
/// use khz::app::bind::{BindError, Validate};
///
/// #[derive(serde::Deserialize)]
/// struct Range { from: u32, to: u32 }
///
/// impl Validate for Range {
///     fn validate(&self) -> Result<(), BindError> {
///         if self.from <= self.to {
///             Ok(())
///         } else {
///             Err(BindError::validation(Some("from"), "`from` must not exceed `to`"))
///         }
///     }
/// }
/// ```
pub trait Validate {
    /// `Ok` if the value is acceptable, else a [`BindErrorKind::Validation`] error.
    fn validate(&self) -> Result<(), BindError>;
}

/// The value of key `name` in `source` (path, query, header, cookie, form) as `T`: the first
/// value for a scalar, every value for a `Vec`, `None` for an absent `Option`.
///
/// ```
/// # use khz::prelude::*;
/// use khz::app::bind::{value, Source};
/// fn page(ctx: &RequestContext) -> Result<Option<u32>, khz::app::bind::BindError> {
///     value(ctx, Source::Query, "page")
/// }
/// ```
pub fn value<T: DeserializeOwned>(
    ctx: &RequestContext,
    source: Source,
    name: &str,
) -> Result<T, BindError> {
    value_in(&Sources::new(ctx), source, name, None)
}

/// [`value`] or [`value_or`] over sources that decode the query and the form once.
pub(crate) fn value_in<T: DeserializeOwned>(
    sources: &Sources<'_>,
    source: Source,
    name: &str,
    default: Option<&str>,
) -> Result<T, BindError> {
    let values = sources.values(source, name)?;
    match default {
        Some(d) if values.is_empty() => from_default(d, source, name),
        _ => de::from_values(&values).map_err(|e| context::de_error(e, source, Some(name))),
    }
}

/// Like [`value`], converting `default` when the key is absent (a default that does not
/// convert is the program's mistake: [`BindErrorKind::Misuse`], 500).
pub fn value_or<T: DeserializeOwned>(
    ctx: &RequestContext,
    source: Source,
    name: &str,
    default: &str,
) -> Result<T, BindError> {
    value_in(&Sources::new(ctx), source, name, Some(default))
}

/// Converts the `default` of field `name`.
pub(crate) fn from_default<T: DeserializeOwned>(
    default: &str,
    source: Source,
    name: &str,
) -> Result<T, BindError> {
    de::from_values(&de::Values::one(default)).map_err(|e| {
        BindError::new(
            BindErrorKind::Misuse {
                reason: format!("the default `{default}` does not convert: {e}"),
            },
            Some(source),
            Some(name.to_owned()),
        )
    })
}
