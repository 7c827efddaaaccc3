//! The reworked app API as a user meets it, through a real server over every protocol
//! (`Proto::all()`: HTTP/1.1, h2c, HTTP/2 over TLS): handlers returning `Result` (a user error
//! type with its own status and rendering, `khz::Error::status`, a bind error, an opaque
//! `BoxError` that must not leak internals, `or_status`), the error seen by outer middleware,
//! per-route middleware and the exact onion order, groups side by side and re-opened, a
//! middleware that answers without `next()` ending the chain (and one that writes nothing
//! falling through), route conflicts collected at start, setter-order independence of options
//! (`http2(false)`, `base_path`, `protocol` after `tls`), protocol rejections rendered as JSON
//! and seen by server middleware, a custom `error_handler`, `abort_with_status_json`, and the
//! faithfulness of `khz::ut::perform_request` (limits, streamed bodies, the continue hook, a
//! failing response stream).

mod common;
mod proto;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::{assert_rejected, assert_still_serving, ok, server, Client};
use khz::prelude::*;
use khz::protocol::BodyError;
use khz::ut::perform_request;
use proto::{Proto, GUARD};

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
    for proto in Proto::all() {
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
    for proto in Proto::all() {
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

// ----- 3. per-route middleware and the onion order -----------------------------------------

/// The way through the chain so far.
#[derive(Default)]
struct Trail(String);

fn trail(ctx: &mut RequestContext) -> &mut String {
    if ctx.get::<Trail>().is_none() {
        ctx.set(Trail::default());
    }
    &mut ctx.get_mut::<Trail>().expect("just set").0
}

async fn walk(ctx: &mut RequestContext, name: &str) {
    trail(ctx).push_str(&format!("{name}>"));
    ctx.next().await;
    trail(ctx).push_str(&format!("<{name}"));
}

async fn server_mark(ctx: &mut RequestContext) {
    walk(ctx, "server").await;
    let t = std::mem::take(trail(ctx));
    ctx.set_header("x-trail", t);
}

async fn group_mark(ctx: &mut RequestContext) {
    walk(ctx, "group").await;
}

async fn route_one(ctx: &mut RequestContext) {
    walk(ctx, "route1").await;
}

async fn route_two(ctx: &mut RequestContext) {
    walk(ctx, "route2").await;
}

async fn trail_handler(ctx: &mut RequestContext) {
    trail(ctx).push_str("handler");
    ctx.string(StatusCode::OK, "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_middleware_runs_inside_group_and_server_middleware() {
    for proto in Proto::all() {
        let s = server();
        s.middleware(server_mark);
        let g = s.group("/g").middleware(group_mark);
        g.get("/x", trail_handler)
            .middleware(route_one)
            .middleware(route_two);
        g.get("/plain", trail_handler);

        let routes = s.routes();
        let x = &routes[0];
        assert_eq!(x.path, "/g/x");
        assert!(x.handler.ends_with("trail_handler"), "{}", x.handler);
        let want = [
            "recovery",
            "server_mark",
            "group_mark",
            "route_one",
            "route_two",
        ];
        assert_eq!(x.middleware.len(), want.len(), "{:?}", x.middleware);
        for (name, suffix) in x.middleware.iter().zip(want) {
            assert!(name.ends_with(suffix), "{name} should be {suffix}: {x:?}");
        }
        assert_eq!(
            routes[1].middleware.len(),
            3,
            "route middleware is the route's alone: {:?}",
            routes[1]
        );

        let (_h, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        let r = c.get("/g/x").await;
        assert_eq!((r.status, r.text().as_str()), (200, "done"), "{proto}");
        assert_eq!(
            r.header("x-trail"),
            Some("server>group>route1>route2>handler<route2<route1<group<server"),
            "{proto}"
        );
        let r = c.get("/g/plain").await;
        assert_eq!(
            r.header("x-trail"),
            Some("server>group>handler<group<server"),
            "{proto}"
        );
    }
}

// ----- 4. groups side by side ---------------------------------------------------------------

async fn tag_a(ctx: &mut RequestContext) {
    ctx.append_header("x-mw", "a");
    ctx.next().await;
}

async fn tag_b(ctx: &mut RequestContext) {
    ctx.append_header("x-mw", "b");
    ctx.next().await;
}

async fn where_am_i(ctx: &mut RequestContext) {
    let path = ctx.path().to_owned();
    ctx.string(StatusCode::OK, path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_side_by_side_keep_their_own_middleware() {
    for proto in Proto::all() {
        let s = server();
        let v1 = s.group("/v1").middleware(tag_a);
        let v2 = s.group("/v2").middleware(tag_b);
        v1.get("/x", where_am_i);
        v2.get("/x", where_am_i);
        v1.get("/y", where_am_i);
        v2.get("/y", where_am_i);
        let (_h, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        for (path, tag) in [
            ("/v1/x", "a"),
            ("/v2/x", "b"),
            ("/v1/y", "a"),
            ("/v2/y", "b"),
        ] {
            let r = c.get(path).await;
            assert_eq!((r.status, r.text().as_str()), (200, path), "{proto}");
            assert_eq!(r.header_all("x-mw"), [tag], "{proto} {path}");
        }
    }
}

// ----- 5. a re-opened group keeps its middleware --------------------------------------------

async fn auth(ctx: &mut RequestContext) {
    if ctx.header("authorization").as_deref() != Some("Bearer good") {
        return ctx.abort_with_msg(StatusCode::UNAUTHORIZED, "who are you?");
    }
    ctx.next().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopened_group_is_still_protected() {
    for proto in Proto::all() {
        let s = server();
        s.group("/api").middleware(auth);
        s.get("/open", where_am_i);
        // Later, somewhere else in the program:
        s.group("/api").get("/x", where_am_i);
        let (_h, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        let r = c.get("/api/x").await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (401, "who are you?"),
            "{proto}"
        );
        let r = c
            .request("GET", "/api/x", &[("authorization", "Bearer good")], "")
            .await;
        assert_eq!((r.status, r.text().as_str()), (200, "/api/x"), "{proto}");
        assert_eq!(c.get("/open").await.status, 200, "{proto}");
    }
}

// ----- 6. answering without next() ends the chain; writing nothing falls through ------------

/// The auth middleware users write by accident: it answers but neither calls `next()` nor
/// `abort()`.
async fn forgetful_auth(ctx: &mut RequestContext) {
    if ctx.header("authorization").is_none() {
        ctx.string(StatusCode::UNAUTHORIZED, "no");
        ctx.set_header("www-authenticate", "Bearer");
        return;
    }
    ctx.next().await;
}

struct PassedBy;

/// Writes nothing and returns without `next()`: the chain goes on (Gin).
async fn quiet(ctx: &mut RequestContext) {
    ctx.set(PassedBy);
}

async fn secret(ctx: &mut RequestContext) {
    ctx.set_header("x-handler-ran", "1");
    let passed = ctx.get::<PassedBy>().is_some();
    ctx.string(StatusCode::OK, format!("secret (passed quiet: {passed})"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_middleware_that_answers_ends_the_chain_one_that_writes_nothing_does_not() {
    for proto in Proto::all() {
        let s = server();
        s.get("/guarded", secret).middleware(forgetful_auth);
        s.get("/quiet", secret).middleware(quiet);
        let (_h, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;

        let r = c.get("/guarded").await;
        assert_eq!((r.status, r.text().as_str()), (401, "no"), "{proto}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{proto}");
        assert_eq!(r.header("x-handler-ran"), None, "{proto}: handler ran");

        let r = c
            .request("GET", "/guarded", &[("authorization", "x")], "")
            .await;
        assert_eq!(r.status, 200, "{proto}");
        assert_eq!(r.header("x-handler-ran"), Some("1"), "{proto}");

        let r = c.get("/quiet").await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "secret (passed quiet: true)"),
            "{proto}"
        );
        assert_eq!(r.header("x-handler-ran"), Some("1"), "{proto}");
    }
}

// ----- 7. conflicts collected, reported by start ---------------------------------------------

#[tokio::test]
async fn start_lists_every_conflict_with_both_routes() {
    let s = server();
    s.get("/a/:y", where_am_i);
    s.get("/a/:x", where_am_i);
    let v1 = s.group("/v1");
    v1.post("/n/:id", where_am_i);
    s.post("/v1/n/:name", where_am_i);
    s.get("/fine", where_am_i);
    let err = common::try_start(s)
        .await
        .expect_err("a server with conflicts must not start");
    assert_eq!(err.kind(), ErrorKind::Route, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("2 problems"), "{msg}");
    for line in [
        "GET /a/:x conflicts with already registered GET /a/:y",
        "POST /v1/n/:name conflicts with already registered POST /v1/n/:id",
    ] {
        assert!(msg.contains(line), "missing {line:?} in {msg}");
    }
    assert!(!msg.contains("/fine"), "{msg}");
}

// ----- 8. option setters in any order --------------------------------------------------------

/// Whether an HTTP/2 client with prior knowledge fails to get an answer from `addr`.
async fn h2_prior_knowledge_fails(addr: std::net::SocketAddr) -> bool {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let Ok((client, conn)) = h2::client::handshake(tcp).await else {
        return true;
    };
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let Ok(mut client) = client.ready().await else {
        return true;
    };
    let req = http::Request::get("http://khz.test/ok")
        .body(())
        .expect("request");
    let Ok((resp, _)) = client.send_request(req, true) else {
        return true;
    };
    tokio::time::timeout(GUARD, resp)
        .await
        .expect("an answer or an error within the guard time")
        .is_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_settings_never_switch_http2_back_on() {
    // The probe answers false where HTTP/2 is spoken.
    let s = server().h2c(true);
    s.get("/ok", ok);
    let (_h, addr) = common::start(s).await;
    assert!(
        !h2_prior_knowledge_fails(addr).await,
        "h2c server refused h2"
    );

    // Cleartext: HTTP/1.1 only (h2c with http2(false) is a start error, below).
    let s = server().http2(false).http2_max_concurrent_streams(10);
    s.get("/ok", ok);
    let (_h, addr) = common::start(s).await;
    assert!(h2_prior_knowledge_fails(addr).await);
    assert_still_serving(addr).await;

    // Over TLS: the client offering h2 and http/1.1 gets http/1.1.
    #[cfg(feature = "tls")]
    for server in [
        server()
            .tls(proto::server_tls_config(proto::test_cert()))
            .http2(false)
            .http2_max_concurrent_streams(10)
            .http2_max_frame_size(32 * 1024),
        server()
            .http2_max_concurrent_streams(10)
            .http2(false)
            .tls(proto::server_tls_config(proto::test_cert()))
            .http2_initial_stream_window_size(1 << 20),
    ] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        server.get("/ok", ok);
        let (_h, addr) = common::start(server).await;
        let cfg = proto::client_tls_config(proto::test_cert(), &[b"h2", b"http/1.1"]);
        let mut tls = proto::tls_connect(addr, cfg).await.expect("TLS connect");
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        tls.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut out = Vec::new();
        tokio::time::timeout(GUARD, tls.read_to_end(&mut out))
            .await
            .expect("answer within the guard time")
            .expect("read");
        let out = String::from_utf8_lossy(&out);
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.ends_with("\r\n\r\nok"), "{out}");
    }
}

#[tokio::test]
async fn h2c_without_http2_is_a_start_error_naming_both() {
    for s in [
        server().h2c(true).http2(false),
        server().http2(false).h2c(true),
    ] {
        s.get("/ok", ok);
        let err = common::try_start(s).await.expect_err("h2c needs HTTP/2");
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("h2c(true)") && msg.contains("http2(false)"),
            "{msg}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_path_set_after_routes_applies_to_them() {
    for proto in Proto::all() {
        let s = server();
        s.get("/x", where_am_i);
        s.group("/g").get("/y", where_am_i);
        let s = s.base_path("/api");
        let (_h, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        let r = c.get("/api/x").await;
        assert_eq!((r.status, r.text().as_str()), (200, "/api/x"), "{proto}");
        let r = c.get("/api/g/y").await;
        assert_eq!((r.status, r.text().as_str()), (200, "/api/g/y"), "{proto}");
        assert_eq!(c.get("/x").await.status, 404, "{proto}");
        assert_eq!(c.get("/g/y").await.status, 404, "{proto}");
    }
}

#[cfg(feature = "tls")]
async fn greet(
    mut io: khz::protocol::Upgraded,
    _info: khz::protocol::ConnInfo,
    _shutdown: khz::transport::Shutdown,
) {
    use tokio::io::AsyncWriteExt;
    let _ = io.write_all(b"hello from greet/1\n").await;
    let _ = io.shutdown().await;
}

#[cfg(feature = "tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_registered_after_tls_is_offered_by_alpn() {
    use tokio::io::AsyncReadExt;
    let s = server()
        .tls(proto::server_tls_config(proto::test_cert()))
        .protocol("greet/1", greet);
    s.get("/ok", ok);
    let (_h, addr) = common::start(s).await;
    let cfg = proto::client_tls_config(proto::test_cert(), &[b"greet/1"]);
    let mut tls = proto::tls_connect(addr, cfg).await.expect("TLS connect");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"greet/1"[..]));
    let mut out = String::new();
    tokio::time::timeout(GUARD, tls.read_to_string(&mut out))
        .await
        .expect("greeting within the guard time")
        .expect("read");
    assert_eq!(out, "hello from greet/1\n");
    // HTTP is still offered next to it.
    let mut c = Proto::H2Tls.client(addr).await;
    assert_eq!(c.get("/ok").await.text(), "ok");
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
    for proto in Proto::all() {
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
    for proto in Proto::all() {
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

// ----- 11. perform_request is faithful ---------------------------------------------------------

async fn streamed_upload(ctx: &mut RequestContext) -> Result<(), BodyError> {
    let streaming = ctx.body_is_streaming();
    let n = ctx.read_body().await?.len();
    ctx.string(StatusCode::OK, format!("streaming={streaming} bytes={n}"));
    Ok(())
}

async fn breaks_midway(ctx: &mut RequestContext) {
    let items: Vec<Result<Bytes, BoxError>> = vec![
        Ok(Bytes::from_static(b"partial")),
        Err("upstream broke".into()),
        Ok(Bytes::from_static(b"never")),
    ];
    ctx.stream(StatusCode::OK, futures_util::stream::iter(items));
}

/// The server of the `perform_request` tests: a small body limit, a streamed route, a continue
/// hook, a response stream that breaks.
fn ut_server() -> Server {
    let s = Server::default().max_request_body_size(16);
    s.post("/echo", common::echo);
    s.post("/upload", streamed_upload).stream_body();
    s.get("/breaks", breaks_midway);
    s.continue_handler(|ctx: &RequestContext| ctx.header("x-allowed").is_some());
    s
}

#[tokio::test]
async fn perform_request_enforces_the_body_limit() {
    let s = ut_server();
    let r = perform_request(&s, Method::POST, "/echo", vec![b'x'; 100], &[]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert_eq!(r.text(), "request body too large");
    let r = perform_request(&s, Method::POST, "/echo", "small", &[]).await;
    assert_eq!((r.status(), r.text().as_str()), (StatusCode::OK, "small"));
}

#[tokio::test]
async fn perform_request_streams_the_body_of_a_streamed_route() {
    let s = ut_server();
    let r = perform_request(&s, Method::POST, "/upload", "0123456789", &[]).await;
    assert_eq!(
        (r.status(), r.text().as_str()),
        (StatusCode::OK, "streaming=true bytes=10")
    );
    // Past the stream's head check, reading it into memory is held to max_request_body_size.
    let r = perform_request(&s, Method::POST, "/upload", vec![b'x'; 100], &[]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
}

#[tokio::test]
async fn perform_request_asks_the_continue_hook() {
    // A client sending `Expect: 100-continue` holds its body back until the server says
    // `100 Continue`; the server's hook decides, and a refusal is a 417 before any body.
    let s = ut_server();
    let expect = ("expect", "100-continue");
    let r = perform_request(
        &s,
        Method::POST,
        "/echo",
        "body",
        &[expect, ("x-allowed", "1")],
    )
    .await;
    assert_eq!((r.status(), r.text().as_str()), (StatusCode::OK, "body"));
    let r = perform_request(&s, Method::POST, "/echo", "body", &[expect]).await;
    assert_eq!(
        r.status(),
        StatusCode::EXPECTATION_FAILED,
        "the continue hook refuses requests without x-allowed; got {:?}",
        r.text()
    );
}

#[tokio::test]
async fn perform_request_shows_a_failed_response_stream() {
    let s = ut_server();
    let r = perform_request(&s, Method::GET, "/breaks", "", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.body_error().is_some(),
        "complete-looking body {:?}",
        r.text()
    );
    assert_eq!(r.text(), "partial");
    let r = perform_request(&s, Method::POST, "/echo", "whole", &[]).await;
    assert_eq!(r.body_error(), None);
}
