//! The handler chain and route registration as a user meets them, over every protocol:
//! per-route middleware and the exact onion order (server → group → route → handler and back),
//! groups side by side and re-opened, a middleware that answers without `next()` ending the
//! chain (and one that writes nothing falling through), and route conflicts collected and
//! reported by `start` with both routes of each.

mod common;
mod proto;

use common::server;
use khz::prelude::*;
use proto::Proto;

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
    for proto in Proto::all_with_h3() {
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
    for proto in Proto::all_with_h3() {
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
    for proto in Proto::all_with_h3() {
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
    for proto in Proto::all_with_h3() {
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
