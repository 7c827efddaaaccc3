//! In-process (`khz::ut`) tests of the plain serde binds (`bind_query`, `bind_header`,
//! `bind_path`, `bind_form`, `bind_json`), a hand-written `Bind` + `Validate`, and the
//! accessors of `BindError`.

// The bound structs are read through their `Debug` output.
#![allow(dead_code)]

use khz::app::bind::{value, value_or, Bind, BindError, BindErrorKind, Source, Validate};
use khz::prelude::*;
use khz::ut::perform_request;
use serde::Deserialize;

use super::support::{call, echo, err, ok, FORM, JSON};
use super::Priority;

#[derive(Debug, Deserialize)]
struct Search {
    q: String,
    page: Option<u32>,
    #[serde(default)]
    tag: Vec<Priority>,
}

#[derive(Debug, Deserialize)]
struct Headers {
    #[serde(rename = "x-request-id")]
    id: u64,
    host: String,
}

#[derive(Debug, Deserialize)]
struct Ids {
    org: String,
    id: u32,
}

#[derive(Debug, Deserialize)]
struct Note {
    title: String,
    stars: u8,
}

async fn plain(ctx: &mut RequestContext) {
    let out = match ctx.param("kind").as_deref() {
        Some("query") => ctx.bind_query::<Search>().map(|v| format!("{v:?}")),
        Some("header") => ctx.bind_header::<Headers>().map(|v| format!("{v:?}")),
        Some("form") => ctx.bind_form::<Note>().map(|v| format!("{v:?}")),
        Some("json") => ctx.bind_json::<Note>().map(|v| format!("{v:?}")),
        _ => ctx.bind_path::<Ids>().map(|v| format!("{v:?}")),
    };
    match out {
        Ok(text) => ctx.string(StatusCode::OK, text),
        Err(e) => ctx.abort_with_bind_error(&e),
    }
}

#[tokio::test]
async fn plain_serde_binds() {
    let s = Server::new();
    s.post("/plain/:kind", plain);
    s.post("/ids/:org/:id", plain);
    let post =
        |url: &'static str, body: &'static str, h: &'static [(&'static str, &'static str)]| {
            perform_request(&s, Method::POST, url, body, h)
        };
    let r = post("/plain/query?q=x&tag=low&tag=high", "", &[]).await;
    assert_eq!(ok(&r), "Search { q: \"x\", page: None, tag: [Low, High] }");
    err(
        &post("/plain/query?q=x&page=p", "", &[]).await,
        400,
        Some("page"),
        "cannot parse u32",
    );
    err(
        &post("/plain/query?page=1", "", &[]).await,
        400,
        Some("q"),
        "missing required query parameter `q`",
    );
    let r = post("/plain/header", "", &[("X-Request-Id", "9")]).await;
    assert_eq!(ok(&r), "Headers { id: 9, host: \"localhost\" }");
    err(
        &post("/plain/header", "", &[("X-Request-Id", "x")]).await,
        400,
        Some("x-request-id"),
        "invalid header",
    );
    let r = post("/ids/acme/7", "", &[]).await;
    assert_eq!(ok(&r), "Ids { org: \"acme\", id: 7 }");
    err(
        &post("/ids/acme/x", "", &[]).await,
        400,
        Some("id"),
        "invalid path parameter `id`",
    );
    let r = post("/plain/form", "title=t&stars=5", &[FORM]).await;
    assert_eq!(ok(&r), "Note { title: \"t\", stars: 5 }");
    err(
        &post("/plain/form", "title=t&stars=9999", &[FORM]).await,
        400,
        Some("stars"),
        "invalid form field",
    );
    err(
        &post("/plain/form", "{}", &[JSON]).await,
        415,
        None,
        "x-www-form-urlencoded",
    );
    let r = post("/plain/json", r#"{"title":"t","stars":5}"#, &[JSON]).await;
    assert_eq!(ok(&r), "Note { title: \"t\", stars: 5 }");
    err(
        &post("/plain/json", r#"{"title":"t"}"#, &[JSON]).await,
        400,
        None,
        "missing field `stars`",
    );
    err(
        &post("/plain/json", r#"{"title":"t","stars":"5"}"#, &[JSON]).await,
        400,
        Some("stars"),
        "expected u8",
    );
    err(
        &post("/plain/json", "", &[JSON]).await,
        400,
        None,
        "invalid JSON body",
    );
    err(
        &post("/plain/json", "{}", &[FORM]).await,
        415,
        None,
        "application/json",
    );
}

// ----- a hand-written Bind ---------------------------------------------------------------

#[derive(Debug)]
struct Manual {
    n: u32,
    size: u32,
    tags: Vec<String>,
}

impl Bind for Manual {
    fn bind(ctx: &RequestContext) -> Result<Self, BindError> {
        Ok(Manual {
            n: value(ctx, Source::Query, "n")?,
            size: value_or(ctx, Source::Query, "size", "10")?,
            tags: value(ctx, Source::Query, "tag")?,
        })
    }
}

impl Validate for Manual {
    fn validate(&self) -> Result<(), BindError> {
        if self.n > self.size {
            return Err(BindError::validation(Some("n"), "n must not exceed size"));
        }
        Ok(())
    }
}

#[tokio::test]
async fn hand_written_bind_and_validate() {
    let s = Server::new();
    s.get("/m", echo::<Manual>);
    let r = call(&s, "/m?n=3&tag=a", "", &[]).await;
    assert_eq!(ok(&r), "Manual { n: 3, size: 10, tags: [\"a\"] }");
    err(
        &call(&s, "/m?n=11", "", &[]).await,
        400,
        Some("n"),
        "n must not exceed size",
    );
    err(
        &call(&s, "/m", "", &[]).await,
        400,
        Some("n"),
        "missing required query parameter",
    );
}

#[test]
fn error_accessors() {
    let e = BindError::invalid(Source::Cookie, "sid", "bad");
    assert_eq!(e.field(), Some("sid"));
    assert_eq!(e.source(), Some(Source::Cookie));
    assert_eq!(
        e.kind(),
        &BindErrorKind::Invalid {
            reason: "bad".into()
        }
    );
    assert_eq!(e.status(), StatusCode::BAD_REQUEST);
}
