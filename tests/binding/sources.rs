//! In-process (`khz::ut`) table of sources and conversions: every source, every conversion
//! kind, defaults, optional and required fields, repeated keys, nested JSON, enums, raw
//! bodies, every error case, the plain serde binds, and a hand-written `Bind`.

// The bound structs are read through their `Debug` output.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;

use bytes::Bytes;
use khz::app::bind::{value, value_or, Bind, BindError, BindErrorKind, Source, Validate};
use khz::prelude::*;
use khz::ut::{perform_request, TestResponse};
use serde::Deserialize;

use super::Priority;

/// Binds `T` and answers its `Debug` text, or the default error rendering.
async fn echo<T: Bind + Validate + Debug>(ctx: &mut RequestContext) {
    let Some(v) = ctx.bind_and_validate_or_reject::<T>() else {
        return;
    };
    ctx.string(StatusCode::OK, format!("{v:?}"));
}

async fn call(s: &Server, url: &str, body: &str, headers: &[(&str, &str)]) -> TestResponse {
    let method = if body.is_empty() {
        Method::GET
    } else {
        Method::POST
    };
    perform_request(s, method, url, body.to_owned(), headers).await
}

fn ok(r: &TestResponse) -> String {
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text());
    r.text()
}

/// Asserts a 400/415/500 JSON error: status, field, and a message fragment.
fn err(r: &TestResponse, status: u16, field: Option<&str>, message: &str) {
    assert_eq!(r.status().as_u16(), status, "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(r.body()).expect("JSON error body");
    assert_eq!(v["code"], status);
    assert_eq!(v.get("field").and_then(|f| f.as_str()), field, "{v}");
    let m = v["message"].as_str().unwrap_or_default();
    assert!(m.contains(message), "message {m:?} lacks {message:?}");
}

#[derive(Debug, khz::Bind)]
struct Scalars {
    #[bind(query)]
    i: i8,
    #[bind(query)]
    u: u64,
    #[bind(query)]
    f: f32,
    #[bind(query)]
    b: bool,
    #[bind(query)]
    c: char,
    #[bind(query)]
    s: String,
    #[bind(query)]
    e: Priority,
    #[bind(query)]
    o: Option<u8>,
    #[bind(query, default = "7")]
    d: u16,
    #[bind(query, default = "low")]
    de: Option<Priority>,
    #[bind(query = "n")]
    nums: Vec<i32>,
    #[bind(query)]
    none: Vec<String>,
}

#[tokio::test]
async fn query_conversions() {
    let mut s = Server::new();
    s.get("/q", echo::<Scalars>).unwrap();
    let r = call(
        &s,
        "/q?i=-8&u=18446744073709551615&f=1.5&b=1&c=%C3%A9&s=a+b%26c&e=high&n=3&n=-4",
        "",
        &[],
    )
    .await;
    assert_eq!(
        ok(&r),
        "Scalars { i: -8, u: 18446744073709551615, f: 1.5, b: true, c: 'é', s: \"a b&c\", \
         e: High, o: None, d: 7, de: Some(Low), nums: [3, -4], none: [] }"
    );
    let r = call(
        &s,
        "/q?i=0&u=0&f=0&b=false&c=x&s=&e=low&o=9&d=8&de=high",
        "",
        &[],
    )
    .await;
    assert!(ok(&r).contains("o: Some(9), d: 8, de: Some(High), nums: [], none: []"));

    let base = "i=0&u=0&f=0&b=T&c=x&s=&e=low";
    for (query, field, message) in [
        ("i=128&u=0&f=0&b=T&c=x&s=&e=low", "i", "cannot parse i8"),
        ("i=0&u=-1&f=0&b=T&c=x&s=&e=low", "u", "cannot parse u64"),
        ("i=0&u=0&f=x&b=T&c=x&s=&e=low", "f", "cannot parse f32"),
        (
            "i=0&u=0&f=0&b=yes&c=x&s=&e=low",
            "b",
            "`yes` is not true/false/1/0",
        ),
        ("i=0&u=0&f=0&b=T&c=xy&s=&e=low", "c", "cannot parse char"),
        ("i=0&u=0&f=0&b=T&c=x&s=&e=mid", "e", "unknown variant `mid`"),
        (&format!("{base}&o=256"), "o", "cannot parse u8"),
        (&format!("{base}&n=1&n=x"), "n", "cannot parse i32"),
    ] {
        let r = call(&s, &format!("/q?{query}"), "", &[]).await;
        err(&r, 400, Some(field), message);
        err(&r, 400, Some(field), "invalid query parameter");
    }
    for missing in ["i", "u", "f", "b", "c", "s", "e"] {
        let query: Vec<&str> = base
            .split('&')
            .filter(|kv| !kv.starts_with(&format!("{missing}=")))
            .collect();
        let r = call(&s, &format!("/q?{}", query.join("&")), "", &[]).await;
        err(&r, 400, Some(missing), "missing required query parameter");
    }
}

#[derive(Debug, khz::Bind)]
struct PathHeaderCookie {
    #[bind(path)]
    id: u32,
    #[bind(path = "rest")]
    file: String,
    #[bind(header = "X-Count")]
    count: u8,
    #[bind(header)]
    accept: Option<String>,
    #[bind(header = "X-Multi")]
    multi: Vec<u8>,
    #[bind(header = "X-Flag", default = "false")]
    flag: bool,
    #[bind(cookie)]
    session: String,
    #[bind(cookie = "lvl")]
    level: Option<Priority>,
}

#[tokio::test]
async fn path_header_cookie() {
    let mut s = Server::new();
    s.get("/p/:id/*rest", echo::<PathHeaderCookie>).unwrap();
    let r = call(
        &s,
        "/p/12/a/b%20c.txt",
        "",
        &[
            ("X-Count", "3"),
            ("X-Multi", "1"),
            ("x-multi", "2"),
            ("Cookie", "lvl=high; session=abc"),
        ],
    )
    .await;
    assert_eq!(
        ok(&r),
        "PathHeaderCookie { id: 12, file: \"a/b c.txt\", count: 3, accept: None, \
         multi: [1, 2], flag: false, session: \"abc\", level: Some(High) }"
    );
    let good = [("X-Count", "3"), ("Cookie", "session=abc")];
    let r = call(&s, "/p/x/f", "", &good).await;
    err(
        &r,
        400,
        Some("id"),
        "invalid path parameter `id`: cannot parse u32",
    );
    let r = call(
        &s,
        "/p/1/f",
        "",
        &[("X-Count", "300"), ("Cookie", "session=a")],
    )
    .await;
    err(&r, 400, Some("X-Count"), "invalid header `X-Count`");
    let r = call(&s, "/p/1/f", "", &[("Cookie", "session=a")]).await;
    err(
        &r,
        400,
        Some("X-Count"),
        "missing required header `X-Count`",
    );
    let r = call(&s, "/p/1/f", "", &[("X-Count", "3")]).await;
    err(
        &r,
        400,
        Some("session"),
        "missing required cookie `session`",
    );
    let r = call(
        &s,
        "/p/1/f",
        "",
        &[("X-Count", "3"), ("Cookie", "session=a; lvl=x")],
    )
    .await;
    err(
        &r,
        400,
        Some("lvl"),
        "invalid cookie `lvl`: unknown variant `x`",
    );
}

#[derive(Debug, khz::Bind)]
struct Form {
    #[bind(form)]
    name: String,
    #[bind(form)]
    age: u8,
    #[bind(form)]
    pets: Vec<String>,
    #[bind(form, default = "1")]
    page: u32,
    #[bind(form)]
    nick: Option<String>,
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

#[tokio::test]
async fn form_body() {
    let mut s = Server::new();
    s.post("/f", echo::<Form>).unwrap();
    let r = call(
        &s,
        "/f",
        "name=J%C3%BCrgen+K&age=40&pets=cat&pets=dog",
        &[FORM],
    )
    .await;
    assert_eq!(
        ok(&r),
        "Form { name: \"Jürgen K\", age: 40, pets: [\"cat\", \"dog\"], page: 1, nick: None }"
    );
    let r = call(&s, "/f", "name=a&age=old", &[FORM]).await;
    err(
        &r,
        400,
        Some("age"),
        "invalid form field `age`: cannot parse u8",
    );
    let r = call(&s, "/f", "age=1", &[FORM]).await;
    err(&r, 400, Some("name"), "missing required form field `name`");
    let r = call(&s, "/f", "name=a&age=1", &[("Content-Type", "text/plain")]).await;
    err(
        &r,
        415,
        None,
        "expected Content-Type application/x-www-form-urlencoded",
    );
    // No body at all: the fields are simply absent.
    let r = perform_request(&s, Method::POST, "/f", "", &[]).await;
    err(&r, 400, Some("name"), "missing required form field");
}

#[derive(Debug, Deserialize)]
struct Address {
    city: String,
    zip: Option<u32>,
}

#[derive(Debug, khz::Bind)]
struct JsonBody {
    name: String,
    #[bind(json = "userAge")]
    age: u8,
    #[bind(json)]
    address: Address,
    tags: Vec<String>,
    nickname: Option<String>,
    scores: BTreeMap<String, f64>,
    #[bind(json, default = "high")]
    priority: Priority,
    #[bind(query)]
    dry_run: Option<bool>,
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

#[tokio::test]
async fn json_body() {
    let mut s = Server::new();
    s.post("/j", echo::<JsonBody>).unwrap();
    let body = r#"{"name":"ann","userAge":30,"address":{"city":"Oslo"},"tags":["a"],
                  "scores":{"x":1.5},"nickname":null,"unknown":[1,2]}"#;
    let r = call(
        &s,
        "/j?dry_run=t",
        body,
        &[("content-type", "application/json; charset=utf-8")],
    )
    .await;
    assert_eq!(
        ok(&r),
        "JsonBody { name: \"ann\", age: 30, address: Address { city: \"Oslo\", zip: None }, \
         tags: [\"a\"], nickname: None, scores: {\"x\": 1.5}, priority: High, dry_run: Some(true) }"
    );
    // `application/*+json` is JSON too; absent Vec → empty, absent Option → None.
    let body =
        r#"{"name":"b","userAge":1,"address":{"city":"c","zip":123},"scores":{},"priority":"low"}"#;
    let r = call(
        &s,
        "/j",
        body,
        &[("Content-Type", "application/merge-patch+json")],
    )
    .await;
    assert!(
        ok(&r).contains("zip: Some(123) }, tags: [], nickname: None, scores: {}, priority: Low")
    );

    let good = r#""userAge":1,"address":{"city":"c"},"scores":{}"#;
    for (body, status, field, message) in [
        // Wrong types name their JSON path.
        (
            r#"{"name":1,"userAge":1,"address":{"city":"c"},"scores":{}}"#,
            400,
            Some("name"),
            "invalid type: integer `1`, expected a string",
        ),
        (
            r#"{"name":"a","userAge":300,"address":{"city":"c"},"scores":{}}"#,
            400,
            Some("userAge"),
            "invalid JSON field `userAge`",
        ),
        (
            r#"{"name":"a","userAge":1,"address":{"city":"c","zip":"x"},"scores":{}}"#,
            400,
            Some("address.zip"),
            "expected u32",
        ),
        (
            r#"{"name":"a","userAge":1,"address":{"city":"c"},"scores":{},"tags":["a",2]}"#,
            400,
            Some("tags[1]"),
            "expected a string",
        ),
        (
            r#"{"name":"a","userAge":1,"address":{"city":"c"},"scores":{},"priority":"mid"}"#,
            400,
            Some("priority"),
            "unknown variant `mid`",
        ),
        // Missing (or null) required fields.
        (
            &format!(r#"{{{good}}}"#),
            400,
            Some("name"),
            "missing required JSON field `name`",
        ),
        (
            &format!(r#"{{"name":null,{good}}}"#),
            400,
            Some("name"),
            "missing required JSON field",
        ),
        (
            r#"{"name":"a","userAge":1,"scores":{}}"#,
            400,
            Some("address"),
            "missing required JSON field `address`",
        ),
        // Syntax errors name the position.
        (
            "{\"name\":\"a\",}",
            400,
            None,
            "at line 1 column 13 (byte 12)",
        ),
        (
            "{\"name\":\n\"a\"",
            400,
            None,
            "EOF while parsing at line 2 column 3 (byte 11)",
        ),
        (
            "\"text\"",
            400,
            None,
            "expected a JSON object (the body of `JsonBody`)",
        ),
    ] {
        let r = call(&s, "/j", body, &[JSON]).await;
        err(&r, status, field, message);
    }
    // Not JSON, or no Content-Type: 415.
    let r = call(
        &s,
        "/j",
        r#"{"name":"a"}"#,
        &[("Content-Type", "text/plain")],
    )
    .await;
    err(
        &r,
        415,
        None,
        "expected Content-Type application/json, got `text/plain`",
    );
    let r = call(&s, "/j", r#"{"name":"a"}"#, &[]).await;
    err(&r, 415, None, "got none");
    // An empty body: every JSON field is absent.
    let r = perform_request(&s, Method::POST, "/j", "", &[JSON]).await;
    err(&r, 400, Some("name"), "missing required JSON field");
}

#[derive(Debug, khz::Bind)]
struct RawBytes {
    #[bind(raw_body)]
    body: Bytes,
}

#[derive(Debug, khz::Bind)]
struct RawText {
    #[bind(raw_body)]
    body: String,
    #[bind(query)]
    n: Option<u8>,
}

#[derive(Debug, khz::Bind)]
struct RawVec {
    #[bind(raw_body)]
    body: Vec<u8>,
}

#[tokio::test]
async fn raw_bodies() {
    let mut s = Server::new();
    s.post("/bytes", echo::<RawBytes>).unwrap();
    s.post("/text", echo::<RawText>).unwrap();
    s.post("/vec", echo::<RawVec>).unwrap();
    let r = call(&s, "/bytes", "any\u{0}thing", &[JSON]).await;
    assert_eq!(ok(&r), "RawBytes { body: b\"any\\0thing\" }");
    let r = call(&s, "/text?n=1", "héllo", &[]).await;
    assert_eq!(ok(&r), "RawText { body: \"héllo\", n: Some(1) }");
    let r = call(&s, "/vec", "ab", &[]).await;
    assert_eq!(ok(&r), "RawVec { body: [97, 98] }");
    let r = perform_request(
        &s,
        Method::POST,
        "/text",
        Bytes::from_static(b"\xff\xfe"),
        &[],
    )
    .await;
    err(&r, 400, None, "invalid body: the body is not UTF-8");
}

#[derive(Debug, khz::Bind)]
struct BadDefault {
    #[bind(query, default = "lots")]
    n: u32,
}

#[tokio::test]
async fn a_bad_default_is_the_programs_fault() {
    let mut s = Server::new();
    s.get("/d", echo::<BadDefault>).unwrap();
    assert_eq!(
        ok(&call(&s, "/d?n=2", "", &[]).await),
        "BadDefault { n: 2 }"
    );
    let r = call(&s, "/d", "", &[]).await;
    err(&r, 500, Some("n"), "the default `lots` does not convert");
}

// ----- plain serde types -----------------------------------------------------------------

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
    let out = match ctx.param("kind") {
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
    let mut s = Server::new();
    s.post("/plain/:kind", plain).unwrap();
    s.post("/ids/:org/:id", plain).unwrap();
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
    let mut s = Server::new();
    s.get("/m", echo::<Manual>).unwrap();
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
