//! In-process (`khz::ut`) table of the named sources and conversions: query, path, header,
//! cookie and form values into every conversion kind, defaults, optional and required fields,
//! repeated keys, enums, raw bodies, and every error case of those sources.

// The bound structs are read through their `Debug` output.
#![allow(dead_code)]

use bytes::Bytes;
use khz::prelude::*;
use khz::ut::perform_request;

use super::support::{call, echo, err, ok, FORM, JSON};
use super::Priority;

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
    let s = Server::new();
    s.get("/q", echo::<Scalars>);
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
    let s = Server::new();
    s.get("/p/:id/*rest", echo::<PathHeaderCookie>);
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

#[tokio::test]
async fn form_body() {
    let s = Server::new();
    s.post("/f", echo::<Form>);
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
    let s = Server::new();
    s.post("/bytes", echo::<RawBytes>);
    s.post("/text", echo::<RawText>);
    s.post("/vec", echo::<RawVec>);
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
    let s = Server::new();
    s.get("/d", echo::<BadDefault>);
    assert_eq!(
        ok(&call(&s, "/d?n=2", "", &[]).await),
        "BadDefault { n: 2 }"
    );
    let r = call(&s, "/d", "", &[]).await;
    err(&r, 500, Some("n"), "the default `lots` does not convert");
}
