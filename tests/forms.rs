//! Urlencoded POST forms through a real server: `post_form`, `post_form_all`, `post_form_or`,
//! `post_args` and `form_value` (query → post form), percent and `+` decoding, content types
//! that are not forms, and forms on a streamed route after `read_body` — over every protocol
//! (`Proto::all_with_h3()`).

mod common;
mod proto;

use common::*;
use khz::prelude::*;
use khz::ut::perform_request;
use proto::{At, Proto};
use serde_json::{json, Value};

/// Reports what the form accessors see, as JSON.
async fn show(ctx: &mut RequestContext) {
    let out = json!({
        "name": ctx.post_form("name"),
        "tags": ctx.post_form_all("tag"),
        "lang": ctx.post_form_or("lang", "en"),
        "q": ctx.form_value("q"),
        "only_query": ctx.form_value("page"),
        "pairs": ctx.post_args().count(),
        "is_form": ctx.is_urlencoded_form(),
    });
    ctx.json(StatusCode::OK, &out);
}

/// Reads a streamed body first, then the form.
async fn show_streamed(ctx: &mut RequestContext) {
    if let Err(e) = ctx.read_body().await {
        return ctx.abort_with_msg(e.status(), e.reason());
    }
    show(ctx).await;
}

async fn serve(proto: Proto) -> At {
    let s = server();
    s.post("/form", show);
    s.post("/streamed", show_streamed).stream_body();
    At::start(proto, s).await
}

async fn post(at: At, target: &str, content_type: &str, body: &str) -> Value {
    let headers = [("content-type", content_type)];
    let r = at.request("POST", target, &headers, body.to_owned()).await;
    assert_eq!(r.status, 200, "{:?}: {}", at.proto, r.text());
    serde_json::from_slice(&r.body).expect("JSON")
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_all_values_and_defaults() {
    for proto in Proto::all_with_h3() {
        let at = serve(proto).await;
        let v = post(at, "/form", FORM, "name=ann&tag=a&tag=b&empty=&tag=c").await;
        assert_eq!(v["name"], "ann");
        assert_eq!(v["tags"], json!(["a", "b", "c"]));
        assert_eq!(v["lang"], "en", "absent → default");
        assert_eq!(v["pairs"], 5);
        assert_eq!(v["is_form"], true);
        let v = post(at, "/form", FORM, "lang=de").await;
        assert_eq!(v["lang"], "de");
        assert_eq!(v["name"], Value::Null);
        assert_eq!(v["tags"], json!([]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percent_and_plus_decoding() {
    for proto in Proto::all_with_h3() {
        let at = serve(proto).await;
        let v = post(
            at,
            "/form",
            "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
            "name=J%C3%BCrgen+M%C3%BCller&tag=a%2Bb&tag=%26%3D&tag=100%25",
        )
        .await;
        assert_eq!(v["name"], "Jürgen Müller");
        assert_eq!(v["tags"], json!(["a+b", "&=", "100%"]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_value_prefers_the_query_then_the_post_form() {
    for proto in Proto::all_with_h3() {
        let at = serve(proto).await;
        let v = post(at, "/form?q=from-query&page=2", FORM, "q=from-form").await;
        assert_eq!(v["q"], "from-query");
        assert_eq!(v["only_query"], "2");
        let v = post(at, "/form?other=1", FORM, "q=from+form").await;
        assert_eq!(v["q"], "from form");
        let v = post(at, "/form", FORM, "").await;
        assert_eq!(v["q"], Value::Null);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_of_other_content_types_are_not_forms() {
    for proto in Proto::all_with_h3() {
        let at = serve(proto).await;
        for ct in [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencodedx",
        ] {
            let v = post(at, "/form?q=query", ct, "name=ann&q=body").await;
            assert_eq!(v["name"], Value::Null, "{ct}");
            assert_eq!(v["q"], "query", "{ct}");
            assert_eq!(v["pairs"], 0, "{ct}");
            assert_eq!(v["is_form"], false, "{ct}");
        }
        // No Content-Type at all.
        let r = at.request("POST", "/form", &[], "name=ann").await;
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["name"], Value::Null);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_route_reads_the_form_after_read_body() {
    for proto in Proto::all_with_h3() {
        let at = serve(proto).await;
        let v = post(at, "/streamed", FORM, "name=streamed&tag=x").await;
        assert_eq!(v["name"], "streamed");
        assert_eq!(v["tags"], json!(["x"]));
    }
}

#[tokio::test]
async fn in_process_with_ut() {
    let s = Server::new();
    s.post("/form", show);
    let res = perform_request(
        &s,
        Method::POST,
        "/form?page=7",
        "name=%E2%9C%93&lang=fr",
        &[("content-type", FORM)],
    )
    .await;
    let v: Value = serde_json::from_slice(res.body()).unwrap();
    assert_eq!(v["name"], "\u{2713}");
    assert_eq!(v["lang"], "fr");
    assert_eq!(v["only_query"], "7");
}
