//! Cookies through a real server: the exact `Set-Cookie` line for each attribute, several
//! cookies as separate headers, deleting, refusing cookies that would corrupt the header,
//! reading several `Cookie` headers and quoted values, and a round trip through curl's
//! cookie jar.

mod common;
mod proto;

use std::process::Command;

use common::*;
use khz::app::cookie::time::{Duration, OffsetDateTime};
use khz::app::cookie::{Cookie, SameSite};
use khz::prelude::*;
use khz::ut::perform_request;
use proto::{At, Proto};

/// Sets one cookie per attribute, in a known order.
async fn every_attribute(ctx: &mut RequestContext) {
    let expires = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid timestamp");
    ctx.set_cookie(Cookie::new("plain", "v"));
    ctx.set_cookie(Cookie::build(("age", "v")).max_age(Duration::hours(1)));
    ctx.set_cookie(Cookie::build(("exp", "v")).expires(expires));
    ctx.set_cookie(Cookie::build(("path", "v")).path("/app"));
    ctx.set_cookie(Cookie::build(("dom", "v")).domain("example.com"));
    ctx.set_cookie(Cookie::build(("sec", "v")).secure(true));
    ctx.set_cookie(Cookie::build(("ho", "v")).http_only(true));
    ctx.set_cookie(Cookie::build(("strict", "v")).same_site(SameSite::Strict));
    ctx.set_cookie(Cookie::build(("lax", "v")).same_site(SameSite::Lax));
    ctx.set_cookie(Cookie::build(("none", "v")).same_site(SameSite::None));
    ctx.set_cookie(Cookie::build(("chips", "v")).partitioned(true).path("/"));
    ctx.set_cookie(
        Cookie::build(("all", "\"quoted\""))
            .path("/")
            .domain("example.com")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::seconds(60)),
    );
    ctx.string(StatusCode::OK, "set");
}

const EVERY_ATTRIBUTE: [&str; 12] = [
    "plain=v",
    "age=v; Max-Age=3600",
    "exp=v; Expires=Tue, 14 Nov 2023 22:13:20 GMT",
    "path=v; Path=/app",
    "dom=v; Domain=example.com",
    "sec=v; Secure",
    "ho=v; HttpOnly",
    "strict=v; SameSite=Strict",
    "lax=v; SameSite=Lax",
    "none=v; SameSite=None; Secure",
    "chips=v; Partitioned; Secure; Path=/",
    "all=\"quoted\"; HttpOnly; SameSite=Lax; Secure; Path=/; Domain=example.com; Max-Age=60",
];

async fn delete(ctx: &mut RequestContext) {
    ctx.delete_cookie("session");
    ctx.remove_cookie(Cookie::build("prefs").path("/app").domain("example.com"));
    ctx.string(StatusCode::OK, "deleted");
}

/// Cookies that must not be sent, between two that must.
async fn refused(ctx: &mut RequestContext) {
    ctx.set_cookie(Cookie::new("before", "1"));
    ctx.set_cookie(Cookie::new("spaced", "a b"));
    ctx.set_cookie(Cookie::new("bad name", "1"));
    ctx.set_cookie(Cookie::new("inject", "1\r\nX-Evil: 1"));
    ctx.set_cookie(Cookie::build(("attr", "1")).path("/; Domain=evil.example"));
    ctx.set_cookie(Cookie::new("after", "2"));
    ctx.string(StatusCode::OK, "ok");
}

/// Echoes the cookies the request sent: `name=value` lines, then the looked-up `sid`.
async fn echo_cookies(ctx: &mut RequestContext) {
    let mut out: Vec<String> = ctx.cookies().map(|(k, v)| format!("{k}={v}")).collect();
    out.push(format!(
        "sid:{}",
        ctx.cookie("sid").unwrap_or_else(|| "-".into())
    ));
    ctx.string(StatusCode::OK, out.join("\n"));
}

async fn login(ctx: &mut RequestContext) {
    ctx.set_cookie(Cookie::build(("sid", "s3cr3t")).path("/").http_only(true));
    ctx.set_cookie(Cookie::build(("theme", "dark")).path("/"));
    ctx.string(StatusCode::OK, "in");
}

async fn logout(ctx: &mut RequestContext) {
    ctx.delete_cookie("sid");
    ctx.string(StatusCode::OK, "out");
}

async fn serve(proto: Proto) -> At {
    let s = server();
    s.get("/every", every_attribute);
    s.get("/delete", delete);
    s.get("/refused", refused);
    s.get("/echo", echo_cookies);
    s.get("/login", login);
    s.get("/logout", logout);
    At::start(proto, s).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_attribute_renders_exactly_one_header_per_cookie() {
    for proto in Proto::all_with_h3() {
        let at = serve(proto).await;
        let r = at.get("/every").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header_all("set-cookie"), EVERY_ATTRIBUTE);
    }
}

#[tokio::test]
async fn the_same_through_ut() {
    let s = Server::new();
    s.get("/every", every_attribute);
    let res = perform_request(&s, Method::GET, "/every", "", &[]).await;
    let lines: Vec<&str> = res
        .headers()
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.to_str().unwrap())
        .collect();
    assert_eq!(lines, EVERY_ATTRIBUTE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_sends_an_empty_value_with_max_age_zero() {
    for proto in Proto::all_with_h3() {
        let at = serve(proto).await;
        let r = at.get("/delete").await;
        assert_eq!(
            r.header_all("set-cookie"),
            [
                "session=; Path=/; Max-Age=0",
                "prefs=; Path=/app; Domain=example.com; Max-Age=0"
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_that_would_corrupt_the_header_are_refused() {
    for proto in Proto::all_with_h3() {
        let at = serve(proto).await;
        let r = at.get("/refused").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header_all("set-cookie"), ["before=1", "after=2"]);
        assert_eq!(r.header("x-evil"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_several_cookie_headers_and_quoted_values() {
    for proto in Proto::all_with_h3() {
        let at = serve(proto).await;
        let cookies = [
            ("cookie", "a=1; b=\"two words\""),
            ("cookie", "garbage; sid=\"abc\";c=3=4"),
        ];
        let r = at.request("GET", "/echo", &cookies, "").await;
        assert_eq!(
            r.text(),
            "a=1\nb=two words\nsid=abc\nc=3=4\nsid:abc",
            "{proto}"
        );
        let r = at.get("/echo").await;
        assert_eq!(r.text(), "sid:-", "{proto}");
    }
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .arg("-sS")
        .args(args)
        .output()
        .expect("curl is required (apt-get install curl; .ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_through_curls_cookie_jar() {
    let addr = serve(Proto::Http1).await.addr;
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("jar.txt").display().to_string();
    let url = |p: &str| format!("http://{addr}{p}");
    let (login_url, echo_url, logout_url) = (url("/login"), url("/echo"), url("/logout"));
    let jar2 = jar.clone();
    let (after_login, after_logout) = tokio::task::spawn_blocking(move || {
        curl(&["-c", &jar2, &login_url]);
        let after_login = curl(&["-b", &jar2, &echo_url]);
        curl(&["-b", &jar2, "-c", &jar2, &logout_url]);
        let after_logout = curl(&["-b", &jar2, &echo_url]);
        (after_login, after_logout)
    })
    .await
    .unwrap();
    let mut sent: Vec<&str> = after_login.lines().collect();
    sent.sort_unstable();
    assert_eq!(sent, ["sid:s3cr3t", "sid=s3cr3t", "theme=dark"]);
    assert_eq!(
        after_logout, "theme=dark\nsid:-",
        "the deleted cookie is gone"
    );
    let jar_text = std::fs::read_to_string(&jar).unwrap();
    assert!(jar_text.contains("theme\tdark"), "{jar_text}");
    assert!(!jar_text.contains("s3cr3t"), "{jar_text}");
}
