//! JSON bodies, parsed with sonic-rs: the `Content-Type` must be JSON (`application/json`,
//! `application/*+json`, else 415), a syntax error is a 400 naming line, column and byte
//! offset, and a value of the wrong type is a 400 naming the field's JSON path (found by
//! parsing again with `serde_path_to_error`, only on that error path, so a good body is parsed
//! once and without bookkeeping).

use serde::de::DeserializeOwned;

use super::error::{BindError, BindErrorKind, Source};
use super::source::{body_read, media_type};
use crate::app::RequestContext;

/// The media type asked for in 415 answers.
const APPLICATION_JSON: &str = "application/json";

/// Whether `content_type` is a JSON media type.
pub(crate) fn is_json(content_type: &str) -> bool {
    let m = media_type(content_type);
    m == APPLICATION_JSON || (m.starts_with("application/") && m.ends_with("+json"))
}

/// Parses the body as `T`. An empty body is parsed as `{}` when `empty_is_object` (the JSON
/// fields of a `#[derive(Bind)]` struct are then absent) and is an error otherwise.
pub(crate) fn parse_body<T: DeserializeOwned>(
    ctx: &RequestContext,
    empty_is_object: bool,
) -> Result<T, BindError> {
    body_read(ctx, Source::Json)?;
    let body = ctx.body();
    let input: &[u8] = if body.is_empty() && empty_is_object {
        b"{}"
    } else {
        let content_type = ctx.content_type();
        if !content_type.is_some_and(is_json) {
            return Err(BindError::unsupported_content_type(
                APPLICATION_JSON,
                content_type,
            ));
        }
        body
    };
    sonic_rs::from_slice(input).map_err(|e| json_error::<T>(input, &e))
}

/// The parser's message without the snippet of input sonic-rs appends.
fn reason(e: &sonic_rs::Error) -> String {
    let text = e.to_string();
    let cut = text.find(" at line ").unwrap_or(text.len());
    text[..cut].to_owned()
}

/// Turns a sonic-rs error into a [`BindError`] naming the position or the field.
fn json_error<T: DeserializeOwned>(input: &[u8], e: &sonic_rs::Error) -> BindError {
    if e.is_syntax() || e.is_eof() {
        return BindError::new(
            BindErrorKind::InvalidJson {
                reason: reason(e),
                line: e.line(),
                column: e.column(),
                offset: e.offset(),
            },
            Some(Source::Json),
            None::<&'static str>,
        );
    }
    // A value of the wrong type: parse again, tracking the path, to name the field.
    let mut de = sonic_rs::Deserializer::from_slice(input);
    let (path, tracked) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(t) => (t.path().to_string(), Some(t.into_inner())),
        Ok(_) => (".".to_owned(), None),
    };
    let e = tracked.as_ref().unwrap_or(e);
    let reason = format!("{} at line {} column {}", reason(e), e.line(), e.column());
    let field = (path != ".").then_some(path);
    BindError::new(BindErrorKind::Invalid { reason }, Some(Source::Json), field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/json-ish"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
