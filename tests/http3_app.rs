//! The app layer over HTTP/3 (feature `http3`): server and group middleware run around the
//! handler, binding and validation errors are rendered exactly as over HTTP/2 (the same server
//! answers both: HTTP/2 over TLS on TCP, HTTP/3 on UDP), a handler asking for upgrade or
//! hijack gets a 500 (as over HTTP/2), and `http3(true)` without TLS does not start.
#![cfg(feature = "http3")]

mod common;
mod proto;

use common::*;
use khz::prelude::*;
use proto::h3::h3_connect;
use proto::{server_tls_config, test_cert};
#[cfg(feature = "macros")]
use proto::{Proto, Reply};

/// Server middleware: marks the response after the chain ran.
async fn outer(ctx: &mut RequestContext) {
    ctx.set_header("x-before", "server");
    ctx.next().await;
    let status = ctx.response().status().as_u16().to_string();
    ctx.set_header("x-server-saw", status);
}

/// Who the group middleware let in.
struct User(String);

/// Group middleware: refuses without a token, else passes a value to the handler.
async fn group_auth(ctx: &mut RequestContext) {
    if ctx.header("x-token").as_deref() != Some("let-me-in") {
        return ctx.abort_with_msg(StatusCode::UNAUTHORIZED, "no token");
    }
    ctx.set(User("ann".to_owned()));
    ctx.next().await;
    ctx.set_header("x-group", "yes");
}

async fn me(ctx: &mut RequestContext) {
    let user = ctx.get::<User>().map(|u| u.0.clone()).unwrap_or_default();
    ctx.string(StatusCode::OK, format!("hello {user}"));
}

#[cfg(feature = "macros")]
#[derive(Debug, khz::Bind)]
struct Note {
    #[bind(path = "id")]
    id: u32,
    #[bind(query)]
    #[vd("$ > 0 && $ < 100", msg = "size must be 1..99")]
    size: u32,
    #[bind(json)]
    title: String,
}

#[cfg(feature = "macros")]
async fn create(ctx: &mut RequestContext) -> khz::Result<()> {
    let n = ctx.bind_and_validate::<Note>()?;
    ctx.string(
        StatusCode::CREATED,
        format!("{} {} {}", n.id, n.size, n.title),
    );
    Ok(())
}

async fn upgrade_attempt(ctx: &mut RequestContext) {
    ctx.upgrade("echo", |_io| async move {});
}

async fn hijack_attempt(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "head+body ");
    ctx.hijack(|_io| async move {});
}

fn app() -> Server {
    let s = server().tls(server_tls_config(test_cert())).http3(true);
    s.middleware(outer);
    s.get("/ok", ok);
    let g = s.group("/g");
    g.middleware(group_auth);
    g.get("/me", me);
    s.get("/upgrade", upgrade_attempt);
    s.get("/hijack", hijack_attempt);
    #[cfg(feature = "macros")]
    s.post("/notes/:id", create);
    s
}

/// A request (path, headers, body) and the status it must get.
#[cfg(feature = "macros")]
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    u16,
);

/// What must be equal between protocols: status, body and the content headers.
#[cfg(feature = "macros")]
fn shape(r: &Reply) -> (u16, Option<&str>, Option<&str>, String) {
    (
        r.status,
        r.header("content-type"),
        r.header("content-length"),
        r.text(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_and_group_middleware_run_over_http3() {
    let handle = try_start(app()).await.expect("starts");
    let mut c = h3_connect(handle.http3_addr().expect("HTTP/3 on")).await;
    let r = c.get("/ok").await;
    assert_eq!(r.text(), "ok");
    assert_eq!(r.header("x-before"), Some("server"));
    assert_eq!(r.header("x-server-saw"), Some("200"));
    assert_eq!(r.header("x-group"), None, "not in the group");

    let r = c.get("/g/me").await;
    assert_eq!((r.status, r.text().as_str()), (401, "no token"));
    assert_eq!(r.header("x-server-saw"), Some("401"));

    let req = http::Request::get("https://localhost/g/me")
        .header("x-token", "let-me-in")
        .body(())
        .unwrap();
    let r = c.request(req, None).await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello ann"));
    assert_eq!(r.header("x-group"), Some("yes"));
    assert_eq!(r.header("x-before"), Some("server"));
    assert_eq!(r.header("x-server-saw"), Some("200"));
}

#[cfg(feature = "macros")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_and_validation_errors_are_rendered_as_over_http2() {
    let handle = try_start(app()).await.expect("starts");
    let mut h3 = Proto::H3
        .client(handle.http3_addr().expect("HTTP/3 on"))
        .await;
    let mut h2 = Proto::H2Tls.client(handle.local_addr()).await;
    const JSON: &[(&str, &str)] = &[("content-type", "application/json")];
    const JSON_ACCEPT: &[(&str, &str)] = &[
        ("content-type", "application/json"),
        ("accept", "application/json"),
    ];
    let cases: [Case; 6] = [
        ("/notes/7?size=3", JSON, r#"{"title":"t"}"#, 201),
        ("/notes/7?size=300", JSON, r#"{"title":"t"}"#, 400),
        ("/notes/x?size=3", JSON, r#"{"title":"t"}"#, 400),
        ("/notes/7?size=3", JSON, r#"{"title":"#, 400),
        ("/notes/7?size=300", JSON_ACCEPT, r#"{"title":"t"}"#, 400),
        (
            "/notes/7?size=3",
            &[("content-type", "text/csv")],
            "a,b",
            415,
        ),
    ];
    for (path, headers, body, status) in cases {
        let r3 = h3.request("POST", path, headers, body).await;
        let r2 = h2.request("POST", path, headers, body).await;
        assert_eq!(r3.status, status, "{path} {headers:?}: {}", r3.text());
        assert_eq!(r3.version, http::Version::HTTP_3);
        assert_eq!(shape(&r3), shape(&r2), "{path} {headers:?}");
        assert_eq!(
            r3.header("x-server-saw"),
            Some(status.to_string().as_str()),
            "server middleware saw it"
        );
    }
    // The JSON rendering names the field.
    let r = h3
        .request("POST", "/notes/7?size=300", JSON_ACCEPT, r#"{"title":"t"}"#)
        .await;
    assert!(r.text().contains("size"), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_and_hijack_over_http3_are_a_500() {
    let handle = try_start(app()).await.expect("starts");
    let mut c = h3_connect(handle.http3_addr().expect("HTTP/3 on")).await;
    for path in ["/upgrade", "/hijack"] {
        let r = c.get(path).await;
        assert_eq!(r.status, 500, "{path}");
        assert_eq!(
            r.text(),
            "connection upgrade is not available over HTTP/3",
            "{path}"
        );
    }
    assert_eq!(c.get("/ok").await.status, 200, "the connection goes on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http3_without_tls_is_refused_at_start() {
    let s = server().http3(true);
    s.get("/ok", ok);
    let err = match try_start(s).await {
        Ok(_) => panic!("http3(true) without TLS must not start"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("http3(true) needs TLS"), "{err}");
}
