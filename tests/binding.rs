//! Request binding and validation (`#[derive(khz::Bind)]`, `ctx.bind*`, `#[vd]`).
//!
//! This file drives a real server over sockets for a representative subset: every source in
//! one request, a form body, the default error rendering (400 naming the field, 415, invalid
//! JSON with its position), a custom renderer, and streamed bodies. The exhaustive tables run
//! in-process through `khz::ut`: `binding/sources.rs` (named sources, conversions, defaults,
//! errors), `binding/json.rs` (JSON bodies), `binding/plain.rs` (plain serde binds, a
//! hand-written `Bind`) and `binding/validation.rs` (every `vd` operator and
//! function, cross-field rules, messages, custom and struct-level functions).

#![cfg(feature = "macros")]

mod common;
#[path = "binding/json.rs"]
mod json_body;
#[path = "binding/plain.rs"]
mod plain;
mod proto;
#[path = "binding/sources.rs"]
mod sources;
#[path = "binding/support.rs"]
mod support;
#[path = "binding/validation.rs"]
mod validation;

use bytes::Bytes;
use common::*;
use khz::app::bind::{BindError, Source};
use khz::prelude::*;
use proto::{At, Proto};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Meta {
    pub count: u32,
    pub labels: Vec<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    High,
}

/// The struct of the issue: one field per source.
#[derive(Debug, khz::Bind)]
pub struct CreateNote {
    #[bind(path = "note_id")]
    pub id: u64,
    #[bind(query)]
    pub page: Option<u32>,
    #[bind(query, default = "20")]
    pub size: u32,
    #[bind(query)]
    pub tags: Vec<String>,
    #[bind(query)]
    pub priority: Priority,
    #[bind(header = "X-Token")]
    #[vd("len($) >= 4", msg = "token too short")]
    pub token: String,
    #[bind(cookie)]
    pub session: Option<String>,
    #[bind(json)]
    pub meta: Meta,
    #[vd("len($) > 0 && len($) < 100", msg = "title must be 1..99 chars")]
    pub title: String,
}

async fn create_note(ctx: &mut RequestContext) -> khz::Result<()> {
    let n = ctx.bind_and_validate::<CreateNote>()?;
    let text = format!(
        "id={} page={:?} size={} tags={:?} priority={:?} token={} session={:?} count={} labels={:?} title={}",
        n.id, n.page, n.size, n.tags, n.priority, n.token, n.session, n.meta.count, n.meta.labels, n.title
    );
    ctx.string(StatusCode::CREATED, text);
    Ok(())
}

#[derive(Debug, khz::Bind)]
struct Login {
    #[bind(form)]
    user: String,
    #[bind(form = "remember_me", default = "false")]
    remember: bool,
    #[bind(form)]
    roles: Vec<String>,
}

async fn login(ctx: &mut RequestContext) -> khz::Result<()> {
    let l = ctx.bind::<Login>()?;
    ctx.string(
        StatusCode::OK,
        format!("{} {} {:?}", l.user, l.remember, l.roles),
    );
    Ok(())
}

#[derive(khz::Bind)]
struct Upload {
    #[bind(raw_body)]
    body: Bytes,
}

async fn upload(ctx: &mut RequestContext) -> khz::Result<()> {
    let u = ctx.bind::<Upload>()?;
    ctx.string(StatusCode::OK, u.body.len().to_string());
    Ok(())
}

async fn upload_after_read(ctx: &mut RequestContext) -> khz::Result<()> {
    if let Err(e) = ctx.read_body().await {
        ctx.abort_with_msg(e.status(), e.to_string());
        return Ok(());
    }
    upload(ctx).await
}

/// A header-only struct, for the custom renderer.
#[derive(khz::Bind)]
struct Authed {
    #[bind(header = "X-Token")]
    #[allow(dead_code)]
    token: String,
}

async fn authed(ctx: &mut RequestContext) -> khz::Result<()> {
    ctx.bind::<Authed>()?;
    ctx.string(StatusCode::OK, "in");
    Ok(())
}

/// Marks that the chain went on after a handler that may have rejected.
async fn after(ctx: &mut RequestContext) {
    ctx.next().await;
    if !ctx.is_aborted() {
        ctx.set_header("x-chain", "continued");
    }
}

fn note_request(path: &str, headers: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn json(r: &Resp) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", r.text()))
}

async fn note_server() -> std::net::SocketAddr {
    let s = server();
    s.middleware(after);
    s.post("/notes/:note_id", create_note);
    s.post("/login", login);
    start(s).await.1
}

const NOTE_JSON: &str = r#"{"meta":{"count":3,"labels":["x","y"]},"title":"hello"}"#;
const JSON_HEADERS: &str =
    "Content-Type: application/json\r\nX-Token: secret\r\nCookie: a=1; session=s%20id\r\n";

#[tokio::test]
async fn every_source_over_a_socket() {
    for proto in Proto::all_with_h3() {
        let s = server();
        s.middleware(after);
        s.post("/notes/:note_id", create_note);
        s.post("/login", login);
        let at = At::start(proto, s).await;
        let headers = [
            ("content-type", "application/json"),
            ("x-token", "secret"),
            ("cookie", "a=1; session=s%20id"),
        ];
        let r = at
            .request(
                "POST",
                "/notes/42?tags=a&page=2&tags=b%20c&priority=high",
                &headers,
                NOTE_JSON,
            )
            .await;
        assert_eq!(r.status, 201, "{proto}: {}", r.text());
        assert_eq!(
            r.text(),
            "id=42 page=Some(2) size=20 tags=[\"a\", \"b c\"] priority=High token=secret \
             session=Some(\"s%20id\") count=3 labels=[\"x\", \"y\"] title=hello",
            "{proto}"
        );
        assert_eq!(r.header("x-chain"), Some("continued"));

        // A form body.
        let form = [("content-type", "application/x-www-form-urlencoded")];
        let body = "user=ann&roles=admin&roles=dev&remember_me=1";
        let r = at.request("POST", "/login", &form, body).await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "ann true [\"admin\", \"dev\"]"),
            "{proto}"
        );
    }
}

#[tokio::test]
async fn errors_over_a_socket_are_json_naming_the_field() {
    let addr = note_server().await;
    let mut c = Client::connect(addr).await;

    // Wrong type in the path.
    let r = c
        .request(note_request(
            "/notes/x?priority=low",
            JSON_HEADERS,
            NOTE_JSON,
        ))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("x-chain"), None, "the chain is aborted");
    let v = json(&r);
    assert_eq!(v["code"], 400);
    assert_eq!(v["field"], "note_id");
    assert_eq!(
        v["message"],
        "invalid path parameter `note_id`: cannot parse u64: invalid digit found in string"
    );

    // Missing required query parameter (an enum).
    let r = c
        .request(note_request("/notes/1", JSON_HEADERS, NOTE_JSON))
        .await;
    assert_eq!(
        (r.status, json(&r)["field"].as_str()),
        (400, Some("priority"))
    );
    assert_eq!(
        json(&r)["message"],
        "missing required query parameter `priority`"
    );

    // Invalid JSON: line, column and byte offset.
    let r = c
        .request(note_request(
            "/notes/1?priority=low",
            JSON_HEADERS,
            "{\"title\": \"a\",\n \"meta\": }",
        ))
        .await;
    assert_eq!(r.status, 400);
    let v = json(&r);
    let msg = v["message"].as_str().unwrap_or_default();
    assert!(msg.starts_with("invalid JSON body: "), "{msg}");
    assert!(msg.ends_with("at line 2 column 10 (byte 24)"), "{msg}");
    assert_eq!(v.get("field"), None);

    // Not JSON at all: 415.
    let r = c
        .request(note_request(
            "/notes/1?priority=low",
            "Content-Type: text/plain\r\nX-Token: secret\r\n",
            NOTE_JSON,
        ))
        .await;
    assert_eq!(r.status, 415);
    assert_eq!(
        json(&r)["message"],
        "expected Content-Type application/json, got `text/plain`"
    );

    // Validation with a custom message.
    let r = c
        .request(note_request(
            "/notes/1?priority=low",
            "Content-Type: application/json\r\nX-Token: abc\r\n",
            NOTE_JSON,
        ))
        .await;
    let v = json(&r);
    assert_eq!((r.status, v["field"].as_str()), (400, Some("X-Token")));
    assert_eq!(v["message"], "token too short");

    // A form route given JSON: 415; the connection still serves.
    let r = c
        .request(note_request(
            "/login",
            "Content-Type: application/json\r\n",
            "{}",
        ))
        .await;
    assert_eq!(r.status, 415);
    assert!(!r.closes());
    let r = c
        .request(note_request(
            "/notes/7?priority=low",
            JSON_HEADERS,
            NOTE_JSON,
        ))
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn custom_renderer_answers_bind_errors() {
    let s = server();
    s.middleware(after);
    s.bind_error_handler(|ctx: &mut RequestContext, err: &BindError| {
        let status = if err.source() == Some(Source::Header) {
            StatusCode::UNAUTHORIZED
        } else {
            err.status()
        };
        ctx.string(status, format!("nope: {}", err.field().unwrap_or("-")));
    });
    s.get("/in", authed);
    let (_h, addr) = start(s).await;
    let r = get(addr, "/in").await;
    assert_eq!((r.status, r.text().as_str()), (401, "nope: X-Token"));
    assert_eq!(r.header("x-chain"), None, "the chain is aborted");
    let mut c = Client::connect(addr).await;
    let r = c
        .request("GET /in HTTP/1.1\r\nHost: t\r\nX-Token: t\r\n\r\n")
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "in"));
    assert_eq!(r.header("x-chain"), Some("continued"));
}

#[tokio::test]
async fn streamed_bodies_must_be_read_before_binding() {
    let s = server();
    s.post("/raw", upload).stream_body();
    s.post("/read", upload_after_read).stream_body();
    s.post("/buffered", upload);
    let (_h, addr) = start(s).await;
    let req =
        |path: &str| format!("POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    let mut c = Client::connect(addr).await;
    let r = c.request(req("/raw")).await;
    assert_eq!(r.status, 500);
    assert!(json(&r)["message"]
        .as_str()
        .unwrap_or_default()
        .contains("ctx.read_body().await"));
    let mut c = Client::connect(addr).await;
    let r = c.request(req("/read")).await;
    assert_eq!((r.status, r.text().as_str()), (200, "5"));
    let r = c.request(req("/buffered")).await;
    assert_eq!((r.status, r.text().as_str()), (200, "5"));
}
