//! Where values come from: the string values of one key of the path, query, headers, cookies
//! or form body ([`Sources::values`], which decodes the query and the form at most once per
//! bind), and all `(key, value)` pairs of a source for binding a whole struct ([`pairs`]). The
//! form body is read in exactly one place, [`form_pairs`], which decides by `Content-Type` how
//! to read it (urlencoded, or the text values of a parsed multipart form).

use std::borrow::Cow;
use std::cell::OnceCell;

use super::de::Values;
use super::error::{BindError, BindErrorKind, Source};
use crate::app::RequestContext;

/// A decoded `(key, value)` pair.
pub(crate) type Pair<'c> = (Cow<'c, str>, Cow<'c, str>);

/// The media type of multipart forms.
pub(crate) const MULTIPART: &str = "multipart/form-data";

/// The media type of urlencoded forms.
pub(crate) const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";

/// The media type of `content_type` (before any `;` parameter), trimmed and lowercased.
pub(crate) fn media_type(content_type: &str) -> Cow<'_, str> {
    let essence = content_type
        .split_once(';')
        .map_or(content_type, |(m, _)| m)
        .trim();
    if essence.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(essence.to_ascii_lowercase())
    } else {
        Cow::Borrowed(essence)
    }
}

/// Fails with [`BindErrorKind::BodyNotRead`] if the body is still streaming.
pub(crate) fn body_read(ctx: &RequestContext, source: Source) -> Result<(), BindError> {
    if ctx.body_is_streaming() {
        return Err(BindError::new(
            BindErrorKind::BodyNotRead,
            Some(source),
            None::<&'static str>,
        ));
    }
    Ok(())
}

/// Every `(key, value)` of the request's form body — the one place the form body is read.
///
/// An empty body has no fields. An `application/x-www-form-urlencoded` body is decoded with
/// `form_urlencoded`; a `multipart/form-data` body gives the text values of the form parsed by
/// `ctx.multipart_form().await` (which must run first); any other `Content-Type` is answered
/// 415. A streamed body must be read (`ctx.read_body().await`) first.
pub(crate) fn form_pairs(ctx: &RequestContext) -> Result<Vec<Pair<'_>>, BindError> {
    #[cfg(feature = "multipart")]
    if let Some(form) = ctx.parsed_multipart_form() {
        return Ok(form
            .value_pairs()
            .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
            .collect());
    }
    let content_type = ctx.content_type();
    let media = content_type.map(media_type);
    if media.as_deref() == Some(MULTIPART) {
        return Err(BindError::new(
            BindErrorKind::MultipartNotParsed,
            Some(Source::Form),
            None::<&'static str>,
        ));
    }
    body_read(ctx, Source::Form)?;
    let body = ctx.body();
    if body.is_empty() {
        return Ok(Vec::new());
    }
    match media.as_deref() {
        Some(FORM_URLENCODED) => Ok(form_urlencoded::parse(body).collect()),
        _ => Err(BindError::unsupported_content_type(
            FORM_URLENCODED,
            content_type,
        )),
    }
}

/// The values of header `name` (case-insensitive), one per header line.
pub(crate) fn header_values<'c>(
    ctx: &'c RequestContext,
    name: &str,
) -> Result<Values<'c>, BindError> {
    ctx.headers()
        .get_all(name)
        .map(|v| {
            std::str::from_utf8(v).map_err(|_| {
                BindError::invalid(Source::Header, name.to_owned(), "the value is not UTF-8")
            })
        })
        .collect()
}

/// The values of `name` among `pairs`, borrowed from them.
fn lookup<'p>(pairs: &'p [Pair<'_>], name: &str) -> Values<'p> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_ref())
        .collect()
}

/// The sources of one bind: the query string and the form body are decoded on first use and
/// kept, so a struct with many query or form fields decodes each once.
pub struct Sources<'c> {
    ctx: &'c RequestContext,
    query: OnceCell<Vec<Pair<'c>>>,
    form: OnceCell<Result<Vec<Pair<'c>>, BindError>>,
}

impl<'c> Sources<'c> {
    /// The sources of `ctx`'s request.
    pub fn new(ctx: &'c RequestContext) -> Self {
        Sources {
            ctx,
            query: OnceCell::new(),
            form: OnceCell::new(),
        }
    }

    /// The values of `name` in `source` (a key that is absent yields no values).
    pub fn values(&self, source: Source, name: &str) -> Result<Values<'_>, BindError> {
        let ctx = self.ctx;
        match source {
            Source::Path => Ok(ctx.param_str(name).map(Values::one).unwrap_or_default()),
            Source::Query => {
                let pairs = self.query.get_or_init(|| {
                    ctx.query_string()
                        .map(|q| form_urlencoded::parse(q.as_bytes()).collect())
                        .unwrap_or_default()
                });
                Ok(lookup(pairs, name))
            }
            Source::Header => header_values(ctx, name),
            Source::Cookie => Ok(ctx.cookie_str(name).map(Values::one).unwrap_or_default()),
            Source::Form => match self.form.get_or_init(|| form_pairs(ctx)) {
                Ok(pairs) => Ok(lookup(pairs, name)),
                Err(e) => Err(e.clone()),
            },
            Source::Json | Source::Body | Source::File => Err(BindError::new(
                BindErrorKind::Misuse {
                    reason: format!("the {source} is not read by name"),
                },
                Some(source),
                Some(name.to_owned()),
            )),
        }
    }
}

/// All `(key, value)` pairs of `source` (header names lowercased).
pub(crate) fn pairs(ctx: &RequestContext, source: Source) -> Result<Vec<Pair<'_>>, BindError> {
    match source {
        Source::Query => Ok(ctx
            .query_string()
            .map(|q| form_urlencoded::parse(q.as_bytes()).collect())
            .unwrap_or_default()),
        Source::Path => Ok(ctx
            .params()
            .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
            .collect()),
        Source::Header => ctx
            .headers()
            .iter()
            .map(|(k, v)| {
                let value = std::str::from_utf8(v).map_err(|_| {
                    BindError::invalid(Source::Header, k.to_owned(), "the value is not UTF-8")
                })?;
                Ok((media_type(k), Cow::Borrowed(value)))
            })
            .collect(),
        Source::Form => form_pairs(ctx),
        _ => Err(BindError::new(
            BindErrorKind::Misuse {
                reason: format!("the {source} has no key/value pairs"),
            },
            Some(source),
            None::<&'static str>,
        )),
    }
}
