//! Handlers and the request context through a real server: panic recovery, aborting the chain,
//! typed per-request keys, shared state, request accessors, renderers (string, data, JSON,
//! redirect, streams), header injection refusal, closure handlers, and `khz::ut`.
//!
//! The protocol-independent tests run over every protocol (`Proto::all_with_h3()`: HTTP/1.1, h2c,
//! HTTP/2 over TLS, HTTP/3) through hyper's and h3's clients; those about HTTP/1.1 framing (pipelining, chunk
//! boundaries, a truncated chunked body) use raw sockets.

mod common;
mod proto;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use khz::prelude::*;
use khz::protocol::BoxError;
use khz::ut::perform_request;
use proto::Proto;
use serde::Serialize;
use tokio::sync::{mpsc, Notify};

// ----- panics ------------------------------------------------------------------------------

struct Gate {
    entered: mpsc::UnboundedSender<()>,
    release: Arc<Notify>,
}

async fn blocked(ctx: &mut RequestContext) {
    let gate = ctx.state::<Gate>().expect("gate state");
    let release = gate.release.clone();
    gate.entered.send(()).expect("test listens");
    release.notified().await;
    ctx.string(StatusCode::OK, "released");
}

async fn boom(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "partial response that must not be sent");
    ctx.set_header("x-partial", "1");
    panic!("handler exploded on purpose");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_is_500_for_that_request_only() {
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let s = server().with_state(Gate {
        entered: entered_tx,
        release: release.clone(),
    });
    s.get("/ok", ok);
    s.get("/panic", boom);
    s.get("/blocked", blocked);
    let (_handle, addr) = start(s).await;

    // A request in flight on another connection while the panics happen.
    let mut slow = Client::connect(addr).await;
    slow.send("GET /blocked HTTP/1.1\r\nHost: x\r\n\r\n").await;
    entered.recv().await.expect("handler entered");

    let mut c = Client::connect(addr).await;
    let r = c.request("GET /panic HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.status_line, "HTTP/1.1 500 Internal Server Error");
    assert_eq!(r.text(), "500 internal server error");
    assert_eq!(r.header("x-partial"), None, "partial response discarded");
    assert!(!r.closes(), "the connection survives the panic");
    // Same connection, next request.
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    // Pipelined: panic, then fine, on one connection.
    c.send("GET /panic HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(c.read_response().await.status, 500);
    assert_eq!(c.read_response().await.text(), "ok");
    // Other connections.
    assert_still_serving(addr).await;

    // The blocked request was untouched by all that.
    release.notify_one();
    let r = slow.read_response().await;
    assert_eq!((r.status, r.text().as_str()), (200, "released"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_panics_do_not_disturb_concurrent_requests() {
    for proto in Proto::all_with_h3() {
        let s = server();
        s.get("/ok", ok);
        s.get("/panic", boom);
        let (_handle, addr) = proto.start(s).await;
        let mut tasks = Vec::new();
        for i in 0..16 {
            tasks.push(tokio::spawn(async move {
                let mut c = proto.client(addr).await;
                for j in 0..5 {
                    let path = if (i + j) % 2 == 0 { "/panic" } else { "/ok" };
                    let r = c.get(path).await;
                    let want = if path == "/ok" { 200 } else { 500 };
                    assert_eq!(r.status, want, "{proto}: {path} on connection {i}");
                }
            }));
        }
        for t in tasks {
            t.await.expect("client task");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_recovery_a_panic_does_not_take_the_server_down() {
    let s = bare_server();
    s.get("/ok", ok);
    s.get("/panic", boom);
    let (_handle, addr) = start(s).await;
    let mut c = Client::connect(addr).await;
    c.send_lenient("GET /panic HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_still_serving(addr).await;
}

// ----- abort -------------------------------------------------------------------------------

#[derive(Default)]
struct HandlerRuns(AtomicUsize);

async fn note_abort(ctx: &mut RequestContext) {
    ctx.next().await;
    let aborted = if ctx.is_aborted() { "yes" } else { "no" };
    ctx.set_header("x-aborted", aborted);
}

async fn guard(ctx: &mut RequestContext) {
    match ctx.header("x-token").as_deref() {
        None => return ctx.abort_with_status(StatusCode::FORBIDDEN),
        Some("bad") => return ctx.abort_with_msg(StatusCode::UNAUTHORIZED, "bad token"),
        Some("tea") => {
            ctx.string(StatusCode::IM_A_TEAPOT, "short and stout");
            return ctx.abort();
        }
        Some(_) => {}
    }
    ctx.next().await;
}

async fn counted(ctx: &mut RequestContext) {
    ctx.state::<HandlerRuns>()
        .expect("state")
        .0
        .fetch_add(1, Ordering::SeqCst);
    ctx.string(StatusCode::OK, "handler ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_stops_the_chain() {
    for proto in Proto::all_with_h3() {
        let s = server().with_state(HandlerRuns::default());
        s.middleware(note_abort);
        let g = s.group("/private");
        g.middleware(guard);
        g.get("/thing", counted);
        let (_handle, addr) = proto.start(s).await;

        let mut c = proto.client(addr).await;
        let mut send = async |token: Option<&str>| {
            let headers: Vec<(&str, &str)> = token.map(|t| ("x-token", t)).into_iter().collect();
            c.request("GET", "/private/thing", &headers, "").await
        };
        let r = send(None).await;
        assert_eq!(r.status, 403, "{proto}");
        assert_eq!(r.body, "", "{proto}");
        assert_eq!(r.header("content-length"), Some("0"), "{proto}");
        assert_eq!(r.header("x-aborted"), Some("yes"), "{proto}");

        let r = send(Some("bad")).await;
        assert_eq!((r.status, r.text().as_str()), (401, "bad token"), "{proto}");

        let r = send(Some("tea")).await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (418, "short and stout"),
            "{proto}"
        );

        let r = send(Some("good")).await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "handler ran"),
            "{proto}"
        );
        assert_eq!(r.header("x-aborted"), Some("no"), "{proto}");
    }
}

async fn count(ctx: &mut RequestContext) {
    let n = ctx.state::<HandlerRuns>().unwrap().0.load(Ordering::SeqCst);
    ctx.string(StatusCode::OK, n.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_requests_never_reach_the_handler() {
    for proto in Proto::all_with_h3() {
        let s = server().with_state(HandlerRuns::default());
        s.middleware(guard);
        s.get("/thing", counted);
        s.get("/count", count);
        let (_handle, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        for token in [None, Some("bad"), Some("tea"), Some("go")] {
            let headers: Vec<(&str, &str)> = token.map(|t| ("x-token", t)).into_iter().collect();
            c.request("GET", "/thing", &headers, "").await;
        }
        let r = c.request("GET", "/count", &[("x-token", "go")], "").await;
        assert_eq!(r.text(), "1", "{proto}");
    }
}

// ----- keys and state ----------------------------------------------------------------------

struct UserId(u64);
struct Visits(u32);

async fn identify(ctx: &mut RequestContext) {
    if let Some(id) = ctx.header("x-user").and_then(|v| v.parse().ok()) {
        ctx.set(UserId(id));
        ctx.set(Visits(1));
        ctx.set(Visits(10)); // replaces
    }
    ctx.next().await;
}

async fn whoami(ctx: &mut RequestContext) {
    if let Some(v) = ctx.get_mut::<Visits>() {
        v.0 += 1;
    }
    let visits = ctx.get::<Visits>().map_or(0, |v| v.0);
    let user = ctx.remove::<UserId>().map_or(0, |u| u.0);
    let gone = ctx.get::<UserId>().is_none();
    ctx.string(
        StatusCode::OK,
        format!("user={user} visits={visits} removed={gone}"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_keys_flow_from_middleware_and_reset_per_request() {
    for proto in Proto::all_with_h3() {
        let s = server();
        s.middleware(identify);
        s.get("/me", whoami);
        let (_handle, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        let r = c.request("GET", "/me", &[("x-user", "42")], "").await;
        assert_eq!(r.text(), "user=42 visits=11 removed=true", "{proto}");
        // Same connection (context or pooled exchange reused): nothing leaks.
        let r = c.get("/me").await;
        assert_eq!(r.text(), "user=0 visits=0 removed=true", "{proto}");
    }
}

struct Hits(AtomicUsize);
struct AppName(&'static str);
struct NeverRegistered;

async fn hit(ctx: &mut RequestContext) {
    let n = ctx
        .state::<Hits>()
        .unwrap()
        .0
        .fetch_add(1, Ordering::SeqCst)
        + 1;
    let name = ctx.state::<AppName>().map_or("?", |a| a.0);
    let missing = ctx.state::<NeverRegistered>().is_none();
    ctx.string(StatusCode::OK, format!("{name} {n} {missing}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_state_is_seen_by_every_connection() {
    for proto in Proto::all_with_h3() {
        let s = server()
            .with_state(Hits(AtomicUsize::new(0)))
            .with_state(AppName("first"))
            .with_state(AppName("khz-test"));
        s.get("/hit", hit);
        let (_handle, addr) = proto.start(s).await;
        let mut a = proto.client(addr).await;
        let mut b = proto.client(addr).await;
        assert_eq!(a.get("/hit").await.text(), "khz-test 1 true", "{proto}");
        assert_eq!(b.get("/hit").await.text(), "khz-test 2 true", "{proto}");
        assert_eq!(a.get("/hit").await.text(), "khz-test 3 true", "{proto}");
    }
}

// ----- accessors ---------------------------------------------------------------------------

async fn inspect(ctx: &mut RequestContext) {
    let lines = [
        format!("method={}", ctx.method()),
        format!("version={:?}", ctx.version()),
        format!("uri={}", ctx.uri()),
        format!("path={}", ctx.path()),
        format!("qs={}", ctx.query_string().unwrap_or("-")),
        format!("a={}", ctx.query("a").as_deref().unwrap_or("-")),
        format!("b={}", ctx.query_all("b").join("|")),
        format!("plus={}", ctx.query("plus").as_deref().unwrap_or("-")),
        format!("none={}", ctx.query_or("none", "dflt")),
        format!(
            "custom={}",
            ctx.header("x-CUSTOM").unwrap_or_else(|| "-".into())
        ),
        format!(
            "raw={:?}",
            ctx.header_bytes("x-raw")
                .map(<[u8]>::to_vec)
                .unwrap_or_default()
        ),
        format!("host={}", ctx.host().unwrap_or_else(|| "-".into())),
        format!("ctype={}", ctx.content_type().unwrap_or("-")),
        format!(
            "session={}",
            ctx.cookie("session").unwrap_or_else(|| "-".into())
        ),
        format!(
            "theme={}",
            ctx.cookie("theme").unwrap_or_else(|| "-".into())
        ),
        format!(
            "nocookie={}",
            ctx.cookie("absent").unwrap_or_else(|| "-".into())
        ),
        format!("headers={}", ctx.headers().len()),
        format!("body={}", String::from_utf8_lossy(ctx.body())),
        format!("peer={}", ctx.remote_addr()),
        format!("local={}", ctx.local_addr()),
    ];
    ctx.string(StatusCode::OK, lines.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_accessors() {
    for proto in Proto::all_with_h3() {
        let s = server();
        s.post("/in/:seg", inspect);
        let (_handle, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        let r = c
            .request(
                "POST",
                "/in/a%20b?a=1&b=x%20y&b=z&plus=a+b",
                &[
                    ("host", "example.test"),
                    ("x-custom", "Value"),
                    ("x-raw", "bytes"),
                    ("content-type", "text/x-test"),
                    ("cookie", "theme=dark; session=\"abc123\""),
                    ("cookie", "other=1"),
                ],
                "body",
            )
            .await;
        assert_eq!(r.status, 200, "{proto}");
        let text = r.text();
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("{proto}: no {k} in {text}"))
                .to_owned()
        };
        assert_eq!(field("method"), "POST");
        assert_eq!(field("version"), format!("{:?}", proto.version()));
        assert_eq!(field("uri"), "/in/a%20b?a=1&b=x%20y&b=z&plus=a+b");
        assert_eq!(field("path"), "/in/a b");
        assert_eq!(field("qs"), "a=1&b=x%20y&b=z&plus=a+b");
        assert_eq!(field("a"), "1");
        assert_eq!(field("b"), "x y|z");
        assert_eq!(field("plus"), "a b");
        assert_eq!(field("none"), "dflt");
        assert_eq!(field("custom"), "Value");
        assert_eq!(field("raw"), format!("{:?}", b"bytes".to_vec()));
        assert_eq!(field("host"), "example.test", "{proto}");
        assert_eq!(field("ctype"), "text/x-test");
        assert_eq!(field("session"), "abc123");
        assert_eq!(field("theme"), "dark");
        assert_eq!(field("nocookie"), "-");
        // host, x-custom, x-raw, content-type, 2 × cookie, content-length
        assert_eq!(field("headers"), "7", "{proto}: {text}");
        assert_eq!(field("body"), "body");
        assert_eq!(field("local"), addr.to_string());
        let peer: SocketAddr = field("peer").parse().unwrap();
        assert_eq!(peer.ip().to_string(), "127.0.0.1");
        assert_ne!(peer.port(), addr.port());
    }
}

// ----- renderers ---------------------------------------------------------------------------

#[derive(Serialize)]
struct Note<'a> {
    id: u32,
    title: &'a str,
    tags: Vec<&'a str>,
    done: Option<bool>,
}

async fn render_json(ctx: &mut RequestContext) {
    let note = Note {
        id: 7,
        title: "a \"quoted\" <title> ü",
        tags: vec!["x", "y"],
        done: None,
    };
    ctx.json(StatusCode::CREATED, &note);
}

async fn render_data(ctx: &mut RequestContext) {
    ctx.data(
        StatusCode::OK,
        "image/png",
        Bytes::from_static(b"\x89PNG\r\n"),
    );
}

async fn render_redirect(ctx: &mut RequestContext) {
    ctx.redirect(StatusCode::FOUND, "/elsewhere?x=1");
}

async fn header_injection(ctx: &mut RequestContext) {
    ctx.set_header("x-good", "fine");
    ctx.set_header("x-bad", "a\r\nInjected: 1");
    ctx.set_header("bad name", "v");
    ctx.append_header("x-multi", "1");
    ctx.append_header("x-multi", "2");
    ctx.set_header("content-length", "999");
    ctx.string(StatusCode::OK, "safe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renderers() {
    for proto in Proto::all_with_h3() {
        let s = server();
        s.get("/json", render_json);
        s.get("/data", render_data);
        s.get("/redirect", render_redirect);
        s.get("/headers", header_injection);
        let (_handle, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;

        let r = c.get("/json").await;
        assert_eq!(r.status, 201, "{proto}");
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            r.text(),
            // HTML characters are escaped, as Hertz's `c.JSON` does (see `pure_json`).
            r#"{"id":7,"title":"a \"quoted\" \u003ctitle\u003e ü","tags":["x","y"],"done":null}"#
        );

        let r = c.get("/data").await;
        assert_eq!(r.header("content-type"), Some("image/png"));
        assert_eq!(r.body, &b"\x89PNG\r\n"[..]);

        let r = c.get("/redirect").await;
        assert_eq!(r.status, 302, "{proto}");
        assert_eq!(r.header("location"), Some("/elsewhere?x=1"));

        let r = c.get("/headers").await;
        assert_eq!(r.text(), "safe");
        assert_eq!(r.header("x-good"), Some("fine"));
        assert_eq!(r.header("x-bad"), None, "a value with CR/LF is refused");
        assert_eq!(r.header("injected"), None);
        assert_eq!(r.header_all("x-multi"), ["1", "2"]);
        assert_eq!(
            r.header_all("content-length"),
            ["4"],
            "{proto}: framing owned by khz"
        );
    }
}

// ----- streams -----------------------------------------------------------------------------

struct Feed(Mutex<Option<mpsc::UnboundedReceiver<Bytes>>>);

async fn live(ctx: &mut RequestContext) {
    let rx = ctx.state::<Feed>().unwrap().0.lock().unwrap().take();
    let Some(rx) = rx else {
        return ctx.string(StatusCode::GONE, "feed already taken");
    };
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, BoxError>(b), rx))
    });
    ctx.set_header("x-stream", "live");
    ctx.stream(StatusCode::OK, stream);
}

async fn failing_stream(ctx: &mut RequestContext) {
    let items: Vec<Result<Bytes, BoxError>> = vec![
        Ok(Bytes::from_static(b"partial")),
        Err("upstream broke".into()),
        Ok(Bytes::from_static(b"never")),
    ];
    ctx.stream(StatusCode::OK, futures_util::stream::iter(items));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_sends_each_chunk_as_it_is_produced() {
    let (tx, rx) = mpsc::unbounded_channel();
    let s = server().with_state(Feed(Mutex::new(Some(rx))));
    s.get("/live", live);
    s.get("/ok", ok);
    let (_handle, addr) = start(s).await;
    let mut c = Client::connect(addr).await;
    c.send("GET /live HTTP/1.1\r\nHost: x\r\n\r\n").await;

    // The head arrives before any chunk exists.
    c.read_until(b"\r\n\r\n").await;
    let head_len = c
        .buffered()
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap()
        + 4;
    let head = String::from_utf8(c.consume(head_len)).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("\r\nTransfer-Encoding: chunked\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nX-Stream: live\r\n"), "{head}");
    assert!(!head.contains("Content-Length"), "{head}");

    // Each chunk is on the wire before the next one is produced.
    for word in ["alpha", "beta", "a-much-longer-chunk-of-data-0123456789"] {
        tx.send(Bytes::from(word)).unwrap();
        let frame = format!("{:x}\r\n{word}\r\n", word.len());
        c.read_until(frame.as_bytes()).await;
        assert_eq!(c.consume(c.buffered().len()), frame.as_bytes());
    }
    drop(tx);
    c.read_until(b"0\r\n\r\n").await;
    assert_eq!(c.consume(c.buffered().len()), b"0\r\n\r\n");
    // Keep-alive after a stream.
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_stream_ends_the_connection_without_a_last_chunk() {
    let s = server();
    s.get("/fail", failing_stream);
    s.get("/ok", ok);
    let (_handle, addr) = start(s).await;
    let mut c = Client::connect(addr).await;
    c.send("GET /fail HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let raw = c.read_to_eof().await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("\r\n\r\n7\r\npartial\r\n"), "{text}");
    assert!(!text.contains("never"), "{text}");
    assert!(
        !text.ends_with("0\r\n\r\n"),
        "an incomplete body must not look complete"
    );
    assert_still_serving(addr).await;
}

// ----- closures ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closure_handlers_capture_state() {
    for proto in Proto::all_with_h3() {
        let greeting = Arc::new(String::from("hello from a closure"));
        let calls = Arc::new(AtomicUsize::new(0));
        let calls_in = calls.clone();
        let s = server();
        s.get(
            "/greet/:name",
            khz::app::handler_fn(move |ctx: &mut RequestContext| {
                let greeting = greeting.clone();
                let calls = calls_in.clone();
                Box::pin(async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    let name = ctx.param_or("name", "?");
                    ctx.string(StatusCode::OK, format!("{greeting}, {name}"));
                })
            }),
        );
        let (_handle, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;
        assert_eq!(
            c.get("/greet/ann").await.text(),
            "hello from a closure, ann"
        );
        assert_eq!(
            c.get("/greet/bob").await.text(),
            "hello from a closure, bob"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2, "{proto}");
    }
}

// ----- in-process testing ------------------------------------------------------------------

async fn ut_show(ctx: &mut RequestContext) {
    let id = ctx.param_or("id", "?");
    let x = ctx.query("x").map(|v| v.to_string()).unwrap_or_default();
    let h = ctx.header("x-h").unwrap_or_else(|| "-".into());
    ctx.set_header("x-seen", &*h);
    ctx.string(StatusCode::OK, format!("{id}/{x}"));
}

async fn ut_stream(ctx: &mut RequestContext) {
    let parts: Vec<Result<Bytes, BoxError>> =
        vec![Ok(Bytes::from_static(b"ab")), Ok(Bytes::from_static(b"cd"))];
    ctx.stream(StatusCode::ACCEPTED, futures_util::stream::iter(parts));
}

#[tokio::test]
async fn perform_request_runs_routes_in_process() {
    let s = Server::default();
    s.get("/users/:id", ut_show);
    s.post("/echo", echo);
    s.get("/stream", ut_stream);
    s.get("/panic", boom);

    let r = perform_request(&s, Method::GET, "/users/5?x=y", "", &[("X-H", "v")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text(), "5/y");
    assert_eq!(r.header("X-Seen"), Some("v"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));

    let r = perform_request(&s, Method::POST, "/echo", "payload", &[]).await;
    assert_eq!(r.body().as_ref(), b"payload");

    let r = perform_request(&s, Method::GET, "/stream", "", &[]).await;
    assert_eq!(
        (r.status(), r.text().as_str()),
        (StatusCode::ACCEPTED, "abcd")
    );

    let r = perform_request(&s, Method::GET, "/missing", "", &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = perform_request(&s, Method::GET, "/panic", "", &[]).await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);

    // Held to the real parser's rules.
    let r = perform_request(&s, Method::GET, "no-slash", "", &[]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
