//! Helpers of the in-process binding tables: a handler that binds and echoes `Debug`, a
//! request helper, and assertions on the default JSON error rendering.

use std::fmt::Debug;

use khz::app::bind::{Bind, Validate};
use khz::prelude::*;
use khz::ut::{perform_request, TestResponse};

/// A urlencoded form body.
pub const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
/// A JSON body.
pub const JSON: (&str, &str) = ("Content-Type", "application/json");

/// Binds `T` and answers its `Debug` text, or the default error rendering.
pub async fn echo<T: Bind + Validate + Debug>(ctx: &mut RequestContext) -> khz::Result<()> {
    let v = ctx.bind_and_validate::<T>()?;
    ctx.string(StatusCode::OK, format!("{v:?}"));
    Ok(())
}

pub async fn call(s: &Server, url: &str, body: &str, headers: &[(&str, &str)]) -> TestResponse {
    let method = if body.is_empty() {
        Method::GET
    } else {
        Method::POST
    };
    perform_request(s, method, url, body.to_owned(), headers).await
}

pub fn ok(r: &TestResponse) -> String {
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text());
    r.text()
}

/// Asserts a 400/415/500 JSON error: status, field, and a message fragment.
pub fn err(r: &TestResponse, status: u16, field: Option<&str>, message: &str) {
    assert_eq!(r.status().as_u16(), status, "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(r.body()).expect("JSON error body");
    assert_eq!(v["code"], status);
    assert_eq!(v.get("field").and_then(|f| f.as_str()), field, "{v}");
    let m = v["message"].as_str().unwrap_or_default();
    assert!(m.contains(message), "message {m:?} lacks {message:?}");
}
