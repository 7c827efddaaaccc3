//! Fallible handlers and error rendering as a user meets them, through a real server over every
//! protocol (`Proto::all_with_h3()`: HTTP/1.1, h2c, HTTP/2 over TLS, HTTP/3): handlers returning `Result` (a
//! user error type with its own status and rendering, `khz::Error::status`, a bind error, an
//! opaque `BoxError` that must not leak internals, `or_status`), the error seen by outer
//! middleware, protocol rejections rendered as JSON and seen by server middleware, a custom
//! `error_handler`, and `abort_with_status_json`.

mod common;
mod proto;

use std::sync::{Arc, Mutex};

use common::{assert_rejected, assert_still_serving, ok, server, Client};
use khz::prelude::*;
use proto::Proto;

const JSON: (&str, &str) = ("accept", "application/json");

// ----- 1. Result handlers ------------------------------------------------------------------

async fn fine(ctx: &mut RequestContext) -> khz::Result<()> {
    ctx.string(StatusCode::OK, "fine");
    Ok(())
}

/// A user error type with its own status and its own rendering.
#[derive(Debug)]
enum NoteError {
    Locked(u32),
}

impl std::fmt::Display for NoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoteError::Locked(id) => write!(f, "note {id} is locked"),
        }
    }
}

impl std::error::Error for NoteError {}

impl ResponseError for NoteError {
    fn status(&self) -> StatusCode {
        match self {
            NoteError::Locked(_) => StatusCode::CONFLICT,
        }
    }

    fn render(&self, ctx: &mut RequestContext) {
        let NoteError::Locked(id) = self;
        ctx.set_header("x-note-error", "locked");
        ctx.data(
            self.status(),
            "application/problem+json",
            format!(r#"{{"title":"locked","note":{id}}}"#),
        );
    }
}

async fn locked(ctx: &mut RequestContext) -> Result<(), NoteError> {
    let id: u32 = ctx.param("id").and_then(|v| v.parse().ok()).unwrap_or(0);
    ctx.string(StatusCode::OK, "overwritten by the error's answer");
    Err(NoteError::Locked(id))
}

async fn missing(_ctx: &mut RequestContext) -> khz::Result<()> {
    Err(khz::Error::status(StatusCode::NOT_FOUND, "no such note"))
}

#[derive(Debug, khz::Bind)]
struct Page {
    #[bind(query)]
    #[vd("$ > 0", msg = "n must be positive")]
    n: u32,
}

async fn bound(ctx: &mut RequestContext) -> khz::Result<()> {
    let page = ctx.bind_and_validate::<Page>()?;
    ctx.string(StatusCode::OK, format!("page {}", page.n));
    Ok(())
}

async fn opaque(ctx: &mut RequestContext) -> Result<(), BoxError> {
    let n: u32 = ctx.query_or("n", "x1").parse()?;
    ctx.string(StatusCode::OK, n.to_string());
    Ok(())
}

async fn parsed(ctx: &mut RequestContext) -> khz::Result<()> {
    let n: u32 = ctx
        .query_or("n", "x1")
        .parse()
        .or_status(StatusCode::BAD_REQUEST)?;
    ctx.string(StatusCode::OK, (n * 2).to_string());
    Ok(())
}

/// Copies the error a handler returned (status and text) and the abort flag into headers.
async fn error_probe(ctx: &mut RequestContext) {
    ctx.next().await;
    let seen = ctx.error().map(|e| (e.status(), e.to_string()));
    if let Some((status, text)) = seen {
        ctx.set_header("x-error-status", status.as_u16().to_string());
        ctx.set_header("x-error-text", text);
    }
    let aborted = ctx.is_aborted().to_string();
    ctx.set_header("x-aborted", aborted);
}

fn result_server() -> Server {
    let s = server();
    s.middleware(error_probe);
    s.get("/fine", fine);
    s.get("/notes/:id/lock", locked);
    s.get("/missing", missing);
    s.get("/bound", bound);
    s.get("/opaque", opaque);
    s.get("/parsed", parsed);
    s
}

fn json_of(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_handlers_answer_with_their_errors() {
    for proto in Proto::all_with_h3() {
        let (_h, addr) = proto.start(result_server()).await;
        let mut c = proto.client(addr).await;

        let r = c.get("/fine").await;
        assert_eq!((r.status, r.text().as_str()), (200, "fine"), "{proto}");

        // A user error: its own status and its own body.
        let r = c.get("/notes/7/lock").await;
        assert_eq!(r.status, 409, "{proto}");
        assert_eq!(r.text(), r#"{"title":"locked","note":7}"#, "{proto}");
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{proto}"
        );
        assert_eq!(r.header("x-note-error"), Some("locked"), "{proto}");

        // khz::Error::status: JSON when the client accepts it, text otherwise.
        let r = c.request("GET", "/missing", &[JSON], "").await;
        assert_eq!(r.status, 404, "{proto}");
        assert_eq!(
            r.text(),
            r#"{"code":404,"message":"no such note"}"#,
            "{proto}"
        );
        assert!(
            r.header("content-type")
                .is_some_and(|v| v.starts_with("application/json")),
            "{proto}: {:?}",
            r.header("content-type")
        );
        let r = c.get("/missing").await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (404, "no such note"),
            "{proto}"
        );
        assert_eq!(
            r.header("content-type"),
            Some("text/plain; charset=utf-8"),
            "{proto}"
        );

        // A bind error through `?`: 400 JSON naming the field.
        let r = c.get("/bound?n=abc").await;
        assert_eq!(r.status, 400, "{proto}: {}", r.text());
        let v = json_of(&r.body);
        assert_eq!(v["code"], 400, "{proto}: {v}");
        assert_eq!(v["field"], "n", "{proto}: {v}");
        assert!(
            v["message"].as_str().is_some_and(|m| m.contains("`n`")),
            "{proto}: {v}"
        );
        let r = c.get("/bound?n=0").await;
        assert_eq!(r.status, 400, "{proto}");
        assert_eq!(json_of(&r.body)["message"], "n must be positive", "{proto}");
        let r = c.get("/bound?n=3").await;
        assert_eq!((r.status, r.text().as_str()), (200, "page 3"), "{proto}");

        // Any error through `Result<(), BoxError>`: 500, no internals in the body.
        let r = c.get("/opaque").await;
        assert_eq!(r.status, 500, "{proto}");
        assert!(!r.text().contains("invalid digit"), "{proto}: {}", r.text());
        assert_eq!(r.text(), "Internal Server Error", "{proto}");
        let r = c.request("GET", "/opaque", &[JSON], "").await;
        assert_eq!(
            r.text(),
            r#"{"code":500,"message":"Internal Server Error"}"#,
            "{proto}"
        );
        let r = c.get("/opaque?n=5").await;
        assert_eq!((r.status, r.text().as_str()), (200, "5"), "{proto}");

        // `or_status`: the given status, with the parse error's message (a 4xx shows it).
        let r = c.get("/parsed").await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (400, "invalid digit found in string"),
            "{proto}"
        );
        let r = c.get("/parsed?n=4").await;
        assert_eq!((r.status, r.text().as_str()), (200, "8"), "{proto}");
    }
}
// ----- 2. the error seen by outer middleware ----------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outer_middleware_sees_the_error_after_next() {
    for proto in Proto::all_with_h3() {
        let (_h, addr) = proto.start(result_server()).await;
        let mut c = proto.client(addr).await;

        let r = c.get("/fine").await;
        assert_eq!(r.header("x-error-status"), None, "{proto}");
        assert_eq!(r.header("x-aborted"), Some("false"), "{proto}");

        let cases = [
            ("/missing", "404", "no such note"),
            ("/notes/7/lock", "409", "note 7 is locked"),
            ("/bound?n=abc", "400", "`n`"),
            // The middleware sees what the client must not.
            ("/opaque", "500", "invalid digit found in string"),
            ("/parsed", "400", "invalid digit found in string"),
        ];
        for (path, status, text) in cases {
            let r = c.get(path).await;
            assert_eq!(r.status.to_string(), status, "{proto} {path}");
            assert_eq!(r.header("x-error-status"), Some(status), "{proto} {path}");
            let seen = r.header("x-error-text").unwrap_or_default();
            assert!(seen.contains(text), "{proto} {path}: {seen:?}");
            assert_eq!(r.header("x-aborted"), Some("true"), "{proto} {path}");
        }
    }
}
// ----- 9. protocol rejections: rendered by the error renderer, seen by server middleware -----

type Seen = Arc<Mutex<Vec<(String, Option<u16>)>>>;

/// A logging middleware recording each request's path and error status.
fn recorder(seen: Seen) -> impl Handler {
    khz::app::handler_fn(move |ctx: &mut RequestContext| {
        let seen = seen.clone();
        Box::pin(async move {
            ctx.next().await;
            let entry = (
                ctx.path().to_owned(),
                ctx.error().map(|e| e.status().as_u16()),
            );
            seen.lock().expect("not poisoned").push(entry);
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_413_is_json_for_json_clients_and_seen_by_middleware() {
    for proto in Proto::all_with_h3() {
        let seen = Seen::default();
        let s = server().max_request_body_size(16);
        s.middleware(recorder(seen.clone()));
        s.post("/the/path", common::echo);
        s.get("/ok", ok);
        let (_h, addr) = proto.start(s).await;
        let body = vec![b'x'; 100];
        let expected = r#"{"code":413,"message":"request body too large"}"#;
        if proto == Proto::Http1 {
            let mut c = Client::connect(addr).await;
            let mut req = b"POST /the/path HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\
                Content-Length: 100\r\n\r\n"
                .to_vec();
            req.extend_from_slice(&body);
            c.send_lenient(req).await;
            let r = c.read_response().await;
            assert_eq!(r.status_line, "HTTP/1.1 413 Payload Too Large");
            assert!(r.closes(), "{r:?}");
            assert_eq!(r.text(), expected);
            assert!(
                r.header("content-type")
                    .is_some_and(|v| v.starts_with("application/json")),
                "{r:?}"
            );
            c.expect_eof().await;
            assert_still_serving(addr).await;
        } else {
            let mut c = proto.client(addr).await;
            let r = c.request("POST", "/the/path", &[JSON], body).await;
            assert_eq!(r.status, 413, "{proto}");
            assert_eq!(r.text(), expected, "{proto}");
            assert!(
                r.header("content-type")
                    .is_some_and(|v| v.starts_with("application/json")),
                "{proto}: {r:?}"
            );
            // The connection serves the next stream.
            let r = c.request("POST", "/the/path", &[], "small").await;
            assert_eq!((r.status, r.text().as_str()), (200, "small"), "{proto}");
        }
        let seen = seen.lock().expect("not poisoned").clone();
        assert_eq!(
            seen.first(),
            Some(&("/the/path".to_owned(), Some(413))),
            "{proto}: {seen:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_error_handler_renders_a_431() {
    let seen = Seen::default();
    let s = server().max_header_bytes(1024);
    s.middleware(recorder(seen.clone()));
    s.error_handler(
        |ctx: &mut RequestContext, status: StatusCode, message: &str| {
            ctx.json(
                status,
                &serde_json::json!({"error": {"status": status.as_u16(), "reason": message}}),
            );
        },
    );
    s.get("/ok", ok);
    let (_h, addr) = common::start(s).await;
    let req = format!(
        "GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(2000)
    );
    let r = assert_rejected(addr, req, "HTTP/1.1 431 Request Header Fields Too Large").await;
    assert_eq!(
        json_of(&r.body),
        serde_json::json!({"error": {"status": 431, "reason": "request header section too large"}})
    );
    let seen = seen.lock().expect("not poisoned").clone();
    assert_eq!(seen.first().map(|s| s.1), Some(Some(431)), "{seen:?}");
}
/// The guarded handler: marks that it ran.
async fn secret(ctx: &mut RequestContext) {
    ctx.set_header("x-handler-ran", "1");
    ctx.string(StatusCode::OK, "secret");
}

// ----- 10. abort_with_status_json --------------------------------------------------------------

async fn json_guard(ctx: &mut RequestContext) {
    if ctx.header("x-key").is_none() {
        return ctx.abort_with_status_json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"message": "x-key <required> & missing"}),
        );
    }
    ctx.next().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_with_status_json_stops_the_chain_and_sends_raw_json() {
    for proto in Proto::all_with_h3() {
        let s = server();
        s.middleware(error_probe);
        s.get("/secret", secret).middleware(json_guard);
        let (_h, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        let r = c.get("/secret").await;
        assert_eq!(r.status, 401, "{proto}");
        assert_eq!(
            r.text(),
            r#"{"message":"x-key <required> & missing"}"#,
            "{proto}"
        );
        assert!(
            r.header("content-type")
                .is_some_and(|v| v.starts_with("application/json")),
            "{proto}"
        );
        assert_eq!(r.header("x-handler-ran"), None, "{proto}");
        assert_eq!(r.header("x-aborted"), Some("true"), "{proto}");
        assert_eq!(r.header("x-error-status"), None, "no error: {proto}");

        let r = c.request("GET", "/secret", &[("x-key", "k")], "").await;
        assert_eq!(r.status, 200, "{proto}");
        assert_eq!(r.header("x-handler-ran"), Some("1"), "{proto}");
    }
}
