//! Routing through a real server: 404/405, trailing-slash and fixed-path redirects, parameters,
//! catch-alls, groups with nested middleware (onion order), `any`, custom methods, HEAD falling
//! back to GET, conflicts reported as errors, the route listing and `full_path`.
//!
//! Every end-to-end test runs over each protocol (`Proto::all_with_h3()`: HTTP/1.1, h2c, HTTP/2 over
//! TLS, HTTP/3) through hyper's and h3's clients: routing cannot tell them apart.

mod common;
mod proto;

use std::net::SocketAddr;

use common::{bare_server, server};
use khz::prelude::*;
use proto::{Proto, Reply};

/// Answers `<full_path>|<name>=<value>,...`.
async fn describe(ctx: &mut RequestContext) {
    let params: Vec<String> = ctx.params().map(|(n, v)| format!("{n}={v}")).collect();
    let text = format!("{}|{}", ctx.full_path(), params.join(","));
    ctx.string(StatusCode::OK, text);
}

async fn new_user_form(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "static new");
}

async fn method_name(ctx: &mut RequestContext) {
    let m = ctx.method().as_str().to_owned();
    ctx.string(StatusCode::OK, m);
}

async fn explicit_head(ctx: &mut RequestContext) {
    ctx.set_header("x-explicit-head", "1");
    ctx.string(StatusCode::OK, "0123456789");
}

/// Where a test talks to: a running server and the protocol to use.
#[derive(Clone, Copy)]
struct At {
    proto: Proto,
    addr: SocketAddr,
}

/// `method target` on a fresh connection.
async fn raw_request(at: At, method: &str, target: &str) -> Reply {
    let mut c = at.proto.client(at.addr).await;
    c.request(method, target, &[], "").await
}

/// `GET target` on a fresh connection.
async fn get(at: At, target: &str) -> Reply {
    raw_request(at, "GET", target).await
}

async fn start(proto: Proto, s: Server) -> At {
    let (handle, addr) = proto.start(s).await;
    std::mem::forget(handle);
    At { proto, addr }
}

fn routes(s: &mut Server) {
    s.get("/users/:id", describe);
    s.get("/users/new", new_user_form);
    s.put("/users/:id", describe);
    s.delete("/users/:id", describe);
    s.get("/users/:id/posts/:post", describe);
    s.get("/static/*filepath", describe);
    s.get("/a", describe);
    s.post("/b", describe);
    s.get("/c/", describe);
    s.get("/v:version/info", describe);
    s.get("/head", describe);
    s.head("/head", explicit_head);
    s.any("/any", method_name);
    s.handle(
        Method::from_bytes(b"PURGE").unwrap(),
        "/cache/:key",
        describe,
    );
}

async fn serve_with(proto: Proto, configure: impl FnOnce(Server) -> Server) -> At {
    let mut s = configure(server());
    routes(&mut s);
    start(proto, s).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_path_is_404() {
    for proto in Proto::all_with_h3() {
        let at = serve_with(proto, |s| s).await;
        let r = get(at, "/nowhere").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.text(), "404 page not found");
        assert!(!r.closes(), "{proto}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_method_is_404_by_default_and_405_with_allow_when_enabled() {
    for proto in Proto::all_with_h3() {
        let at = serve_with(proto, |s| s).await;
        let r = raw_request(at, "POST", "/users/1").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.header("allow"), None);

        let at = serve_with(proto, |s| s.handle_method_not_allowed(true)).await;
        let r = raw_request(at, "POST", "/users/1").await;
        assert_eq!(r.status, 405);
        assert_eq!(r.text(), "405 method not allowed");
        let allow: Vec<&str> = r
            .header("allow")
            .expect("Allow header")
            .split(',')
            .map(str::trim)
            .collect();
        for m in ["GET", "PUT", "DELETE"] {
            assert!(allow.contains(&m), "Allow {allow:?} lacks {m}");
        }
        assert!(
            !allow.contains(&"POST"),
            "Allow {allow:?} lists the refused method"
        );
        // A path no method has is still 404.
        let r = raw_request(at, "POST", "/nowhere").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.header("allow"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_slash_redirects_keep_the_query() {
    for proto in Proto::all_with_h3() {
        let at = serve_with(proto, |s| s).await;
        let r = get(at, "/a/?x=1&y=%20").await;
        assert_eq!(r.status, 301);
        assert_eq!(r.header("location"), Some("/a?x=1&y=%20"));

        let r = raw_request(at, "POST", "/b/?q=1").await;
        assert_eq!(r.status, 307);
        assert_eq!(r.header("location"), Some("/b?q=1"));

        let r = get(at, "/c").await;
        assert_eq!(r.status, 301);
        assert_eq!(r.header("location"), Some("/c/"));

        let r = get(at, "/static").await;
        assert_eq!(r.status, 301);
        assert_eq!(r.header("location"), Some("/static/"));

        // Disabled: a plain 404.
        let at = serve_with(proto, |s| s.redirect_trailing_slash(false)).await;
        let r = get(at, "/a/").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.header("location"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_path_redirect_when_enabled() {
    for proto in Proto::all_with_h3() {
        let at = serve_with(proto, |s| s).await;
        assert_eq!(get(at, "/USERS/new").await.status, 404);

        let at = serve_with(proto, |s| s.redirect_fixed_path(true)).await;
        let r = get(at, "/USERS/new?k=v").await;
        assert_eq!(r.status, 301);
        assert_eq!(r.header("location"), Some("/users/new?k=v"));
        let r = get(at, "//users/../users/./AbC").await;
        assert_eq!(r.status, 301);
        assert_eq!(r.header("location"), Some("/users/AbC"));
        let r = raw_request(at, "PUT", "/Users/7").await;
        assert_eq!(r.status, 307);
        assert_eq!(r.header("location"), Some("/users/7"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_and_priorities() {
    for proto in Proto::all_with_h3() {
        let at = serve_with(proto, |s| s).await;
        assert_eq!(get(at, "/users/42").await.text(), "/users/:id|id=42");
        assert_eq!(get(at, "/users/new").await.text(), "static new");
        assert_eq!(
            get(at, "/users/7/posts/first-post").await.text(),
            "/users/:id/posts/:post|id=7,post=first-post"
        );
        // Parameters are percent-decoded; the query is not part of them.
        assert_eq!(
            get(at, "/users/hello%20w%C3%B6rld?x=1").await.text(),
            "/users/:id|id=hello w\u{f6}rld"
        );
        assert_eq!(
            get(at, "/v2/info").await.text(),
            "/v:version/info|version=2"
        );
        // A parameter never spans segments.
        assert_eq!(get(at, "/users/1/2").await.status, 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_all() {
    for proto in Proto::all_with_h3() {
        let at = serve_with(proto, |s| s).await;
        assert_eq!(
            get(at, "/static/css/site/app.css").await.text(),
            "/static/*filepath|filepath=css/site/app.css"
        );
        assert_eq!(
            get(at, "/static/").await.text(),
            "/static/*filepath|filepath="
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_and_custom_methods() {
    for proto in Proto::all_with_h3() {
        let at = serve_with(proto, |s| s).await;
        for m in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
            let r = raw_request(at, m, "/any").await;
            assert_eq!((r.status, r.text()), (200, m.to_owned()), "{m} /any");
        }
        let r = raw_request(at, "HEAD", "/any").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-length"),
            Some("4"),
            "HEAD body would be HEAD"
        );

        let r = raw_request(at, "PURGE", "/cache/front-page").await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "/cache/:key|key=front-page")
        );
        // `any` covers the standard methods only.
        assert_eq!(raw_request(at, "PURGE", "/any").await.status, 404);
        assert_eq!(raw_request(at, "GET", "/cache/x").await.status, 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_falls_back_to_get_without_body() {
    for proto in Proto::all_with_h3() {
        let at = serve_with(proto, |s| s).await;
        let mut c = proto.client(at.addr).await;
        let r = c.request("HEAD", "/users/42", &[], "").await;
        assert_eq!(r.status, 200, "{proto}");
        let expected_len = "/users/:id|id=42".len().to_string();
        assert_eq!(r.header("content-length"), Some(expected_len.as_str()));
        assert!(r.body.is_empty(), "{proto}: no body bytes");
        // The connection goes on cleanly after the head.
        let r = c.get("/users/43").await;
        assert_eq!(r.text(), "/users/:id|id=43", "{proto}");

        // An explicit HEAD route wins over the GET fallback.
        let r = c.request("HEAD", "/head", &[], "").await;
        assert_eq!(r.header("x-explicit-head"), Some("1"), "{proto}");
        assert_eq!(r.header("content-length"), Some("10"), "{proto}");
    }
}

#[derive(Default)]
struct Trace(Vec<&'static str>);

fn trace(ctx: &mut RequestContext, step: &'static str) {
    match ctx.get_mut::<Trace>() {
        Some(t) => t.0.push(step),
        None => ctx.set(Trace(vec![step])),
    }
}

async fn mw_server(ctx: &mut RequestContext) {
    trace(ctx, "s>");
    ctx.next().await;
    trace(ctx, "<s");
    let joined = ctx
        .get::<Trace>()
        .map(|t| t.0.join(","))
        .unwrap_or_default();
    ctx.set_header("x-trace", joined);
}

async fn mw_outer(ctx: &mut RequestContext) {
    trace(ctx, "g1>");
    ctx.next().await;
    trace(ctx, "<g1");
}

async fn mw_inner(ctx: &mut RequestContext) {
    trace(ctx, "g2>");
    ctx.next().await;
    trace(ctx, "<g2");
}

async fn mw_inner_second(ctx: &mut RequestContext) {
    trace(ctx, "g2b>");
    ctx.next().await;
    trace(ctx, "<g2b");
}

async fn traced(ctx: &mut RequestContext) {
    trace(ctx, "h");
    let path = ctx.full_path().to_owned();
    ctx.string(StatusCode::OK, path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_group_middleware_runs_as_an_onion() {
    for proto in Proto::all_with_h3() {
        let s = bare_server();
        s.middleware(mw_server);
        {
            let v1 = s.group("/v1");
            v1.middleware(mw_outer);
            v1.get("/plain", traced);
            let admin = v1.group("/admin");
            assert_eq!(admin.base_path(), "/v1/admin");
            admin.get("/users/:id", traced);
            admin.middleware(mw_inner);
            // Registered after the route: still applies to it.
            admin.middleware(mw_inner_second);
        }
        let at = start(proto, s).await;

        let r = get(at, "/v1/admin/users/9").await;
        assert_eq!(r.text(), "/v1/admin/users/:id");
        assert_eq!(
            r.header("x-trace"),
            Some("s>,g1>,g2>,g2b>,h,<g2b,<g2,<g1,<s")
        );
        let r = get(at, "/v1/plain").await;
        assert_eq!(r.header("x-trace"), Some("s>,g1>,h,<g1,<s"));
        // Unmatched paths run the server middleware only.
        let r = get(at, "/v1/admin/missing").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.header("x-trace"), Some("s>,<s"));
    }
}

async fn my_not_found(ctx: &mut RequestContext) {
    let p = ctx.path().to_owned();
    ctx.string(StatusCode::NOT_FOUND, format!("no such thing: {p}"));
}

async fn my_not_allowed(ctx: &mut RequestContext) {
    let allow = ctx
        .response()
        .header(&http::header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    ctx.string(StatusCode::METHOD_NOT_ALLOWED, format!("try {allow}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_no_route_and_no_method_handlers() {
    for proto in Proto::all_with_h3() {
        let s = server().handle_method_not_allowed(true);
        s.get("/only-get", describe);
        s.no_route(my_not_found);
        s.no_method(my_not_allowed);
        let at = start(proto, s).await;
        let r = get(at, "/zzz").await;
        assert_eq!((r.status, r.text().as_str()), (404, "no such thing: /zzz"));
        let r = raw_request(at, "DELETE", "/only-get").await;
        // HEAD is listed too: it is served by the GET route.
        assert_eq!((r.status, r.text().as_str()), (405, "try GET, HEAD"));
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_path_prefixes_every_route() {
    for proto in Proto::all_with_h3() {
        let s = server().base_path("/api");
        s.get("/items/:id", describe);
        let at = start(proto, s).await;
        assert_eq!(get(at, "/api/items/3").await.text(), "/api/items/:id|id=3");
        assert_eq!(get(at, "/items/3").await.status, 404);
    }
}

#[tokio::test]
async fn conflicts_are_collected_and_start_names_both_routes_of_each() {
    let s = common::server();
    s.get("/users/:id", describe);
    s.get("/users/:name", describe); // conflict 1
    s.get("/users/:id", describe); // the same route twice: conflict 2
    s.post("/users/:name", describe); // another method is no conflict
    let v1 = s.group("/v1");
    v1.get("/x/:a", describe);
    s.get("/v1/x/:b", describe); // conflict 3, across a group: full paths named
    for bad in ["/files/*path/more", "/a/:", "/a/:b:c"] {
        s.get(bad, describe); // invalid patterns: errors too, not panics
    }
    assert_eq!(s.routes().len(), 9, "every registration is listed");
    let err = common::try_start(s)
        .await
        .expect_err("a server with conflicts must not start");
    assert_eq!(err.kind(), ErrorKind::Route);
    let msg = err.to_string();
    assert!(msg.contains("6 problems"), "{msg}");
    for line in [
        "GET /users/:name conflicts with already registered GET /users/:id",
        "GET /users/:id conflicts with already registered GET /users/:id",
        "GET /v1/x/:b conflicts with already registered GET /v1/x/:a",
    ] {
        assert!(msg.contains(line), "missing {line:?} in {msg}");
    }
    for bad in ["/files/*path/more", "/a/:", "/a/:b:c"] {
        assert!(msg.contains(bad), "error names the pattern {bad}: {msg}");
    }
    assert!(!msg.contains("POST"), "no conflict across methods: {msg}");
}

#[tokio::test]
async fn a_conflict_serves_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let s = Server::new().listener(listener).print_routes(false);
    s.get("/users/:id", describe);
    s.get("/users/:name", new_user_form);
    assert!(common::try_start(s).await.is_err());
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener was dropped, nothing accepts"
    );
}

#[test]
fn routes_lists_every_route_in_order() {
    let s = Server::default();
    s.get("/", describe);
    let g = s.group("/g");
    g.middleware(mw_outer);
    g.post("/items/:id", traced);
    s.handle(Method::from_bytes(b"PURGE").unwrap(), "/c", describe);
    let routes = s.routes();
    let summary: Vec<(String, String, usize)> = routes
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone(), r.middleware.len() + 1))
        .collect();
    assert_eq!(
        summary,
        [
            ("GET".to_owned(), "/".to_owned(), 2),
            ("POST".to_owned(), "/g/items/:id".to_owned(), 3),
            ("PURGE".to_owned(), "/c".to_owned(), 2),
        ]
    );
    assert!(
        routes[0].handler.ends_with("describe"),
        "{}",
        routes[0].handler
    );
    assert!(
        routes[1].handler.ends_with("traced"),
        "{}",
        routes[1].handler
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_decoding_to_invalid_utf8_is_400() {
    for proto in Proto::all_with_h3() {
        let at = serve_with(proto, |s| s).await;
        let r = get(at, "/users/%FF%FE").await;
        assert_eq!(r.status, 400);
        // An application-level rejection: the connection stays usable.
        assert!(!r.closes(), "{proto}");
    }
}
