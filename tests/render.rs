//! Renderers through a real server: `json` (HTML escaped like Hertz), `pure_json`,
//! `indented_json`, `not_found`, `not_modified`, `sized_stream` (exact length; short and long
//! streams close the connection), `file` / `file_attachment` headers and HEAD, and HTML
//! templates (feature `templates`). JSON renderers and files run over every protocol
//! (`Proto::all_with_h3()`, HTTP/3 included); the sized-stream framing checks are HTTP/1.1
//! bytes (HTTP/2: `http2.rs`).

mod common;
mod proto;

use std::path::PathBuf;

use bytes::Bytes;
use common::*;
use khz::prelude::*;
use proto::{At, Proto};
use serde::Serialize;

#[derive(Serialize)]
struct Snippet {
    html: &'static str,
    n: u32,
}

const SNIPPET: Snippet = Snippet {
    html: "<b>Tom & \"Jerry\"</b>\u{2028}",
    n: 7,
};

async fn json(ctx: &mut RequestContext) {
    ctx.json(StatusCode::OK, &SNIPPET);
}

async fn pure(ctx: &mut RequestContext) {
    ctx.pure_json(StatusCode::CREATED, &SNIPPET);
}

async fn indented(ctx: &mut RequestContext) {
    ctx.indented_json(StatusCode::ACCEPTED, &SNIPPET);
}

async fn missing(ctx: &mut RequestContext) {
    ctx.set_header("x-before", "1");
    ctx.string(StatusCode::OK, "discarded");
    ctx.not_found();
}

async fn unchanged(ctx: &mut RequestContext) {
    ctx.set_header("etag", "\"v1\"");
    ctx.string(StatusCode::OK, "this body is dropped");
    ctx.not_modified();
}

fn chunks(parts: &[&'static str]) -> impl futures_core::Stream<Item = Result<Bytes, BoxError>> {
    let items: Vec<Result<Bytes, BoxError>> = parts
        .iter()
        .map(|p| Ok(Bytes::from_static(p.as_bytes())))
        .collect();
    futures_util::stream::iter(items)
}

async fn sized(ctx: &mut RequestContext) {
    ctx.sized_stream(StatusCode::OK, 11, chunks(&["hello", " ", "world"]));
}

async fn too_short(ctx: &mut RequestContext) {
    ctx.sized_stream(StatusCode::OK, 100, chunks(&["only", " this"]));
}

async fn too_long(ctx: &mut RequestContext) {
    ctx.sized_stream(StatusCode::OK, 6, chunks(&["abcd", "efgh", "never"]));
}

#[tokio::test]
async fn json_renderers() {
    for proto in Proto::all_with_h3() {
        let s = server();
        s.get("/json", json);
        s.get("/pure", pure);
        s.get("/indented", indented);
        let at = At::start(proto, s).await;

        let r = at.get("/json").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            r.text(),
            r#"{"html":"\u003cb\u003eTom \u0026 \"Jerry\"\u003c/b\u003e\u2028","n":7}"#
        );
        let decoded: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(decoded["html"], SNIPPET.html);

        let r = at.get("/pure").await;
        assert_eq!(r.status, 201);
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            r.text(),
            "{\"html\":\"<b>Tom & \\\"Jerry\\\"</b>\u{2028}\",\"n\":7}"
        );

        let r = at.get("/indented").await;
        assert_eq!(r.status, 202);
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            r.text(),
            "{\n    \"html\": \"\\u003cb\\u003eTom \\u0026 \\\"Jerry\\\"\\u003c/b\\u003e\\u2028\",\n    \"n\": 7\n}"
        );
    }
}

#[tokio::test]
async fn not_found_and_not_modified() {
    let s = server();
    s.get("/missing", missing);
    s.get("/unchanged", unchanged);
    s.get("/ok", ok);
    let (_h, addr) = start(s).await;

    let r = get(addr, "/missing").await;
    assert_eq!((r.status, r.text().as_str()), (404, "404 page not found"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("x-before"), None, "the response was reset");

    let mut c = Client::connect(addr).await;
    let r = c
        .request("GET /unchanged HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(r.status_line, "HTTP/1.1 304 Not Modified");
    assert_eq!(r.header("etag"), Some("\"v1\""));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("content-type"), None);
    // No body bytes were sent: the next response on the connection is intact.
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
}

#[tokio::test]
async fn sized_streams_send_exactly_their_length() {
    let s = server();
    s.get("/sized", sized);
    s.get("/short", too_short);
    s.get("/long", too_long);
    s.get("/ok", ok);
    let (_h, addr) = start(s).await;

    let mut c = Client::connect(addr).await;
    let r = c.request("GET /sized HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(!r.chunked);
    assert_eq!(r.header("content-length"), Some("11"));
    assert_eq!(r.text(), "hello world");
    c.send("HEAD /sized HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let r = c.read_head_response().await;
    assert_eq!(r.header("content-length"), Some("11"));
    let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.text(), "ok", "HEAD sent no body bytes");

    // A stream shorter than announced: the client gets what there was, then the close.
    let mut c = Client::connect(addr).await;
    c.send("GET /short HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let raw = c.read_to_eof().await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("Content-Length: 100\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nonly this"), "{text}");

    // A longer one: exactly the announced bytes, then the close — never the extra ones.
    let mut c = Client::connect(addr).await;
    c.send("GET /long HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let raw = c.read_to_eof().await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("Content-Length: 6\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nabcdef"), "{text}");
    assert_still_serving(addr).await;
}

struct Files(PathBuf);

async fn file(ctx: &mut RequestContext) {
    let dir = ctx.state::<Files>().unwrap().0.clone();
    let name = ctx.param("name").unwrap_or_default().to_string();
    ctx.set_header("x-kept", "yes");
    ctx.file(dir.join(name)).await;
}

async fn attachment(ctx: &mut RequestContext) {
    let dir = ctx.state::<Files>().unwrap().0.clone();
    let name = ctx.param("name").unwrap_or_default().to_string();
    let download = ctx.query("as").unwrap_or_default().to_string();
    ctx.file_attachment(dir.join(name), &download).await;
}

#[tokio::test]
async fn files_and_attachments() {
    for proto in Proto::all_with_h3() {
        let dir = tempfile::tempdir().unwrap();
        let report: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_be_bytes()).collect();
        std::fs::write(dir.path().join("report.pdf"), &report).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "some notes").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let s = server().with_state(Files(dir.path().to_owned()));
        s.get("/file/:name", file);
        s.get("/download/:name", attachment);
        s.get("/ok", ok);
        let at = At::start(proto, s).await;

        let r = at.get("/file/report.pdf").await;
        assert_eq!(r.status, 200);
        assert!(!r.chunked);
        assert_eq!(r.header("content-type"), Some("application/pdf"));
        assert_eq!(r.header("content-length"), Some("800000"));
        assert_eq!(r.header("accept-ranges"), Some("bytes"));
        assert_eq!(r.header("x-kept"), Some("yes"));
        // A strong tag (inode, size, mtime in ns) where the platform has inodes.
        let strong = |e: &str| e.starts_with('"') || !cfg!(unix);
        assert!(r.header("etag").is_some_and(strong));
        assert!(r.header("last-modified").is_some());
        assert_eq!(r.header("content-disposition"), None);
        assert!(r.body == report);

        let r = at.get("/file/notes.txt").await;
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.text(), "some notes");

        // HEAD: headers and length, no body.
        let r = at.request("HEAD", "/file/report.pdf", &[], "").await;
        assert_eq!(
            (r.status, r.header("content-length"), r.body.len()),
            (200, Some("800000"), 0)
        );
        // HTTP/1.1: the connection is still in sync after it.
        if !proto.is_h2() && !proto.is_h3() {
            let mut c = Client::connect(at.addr).await;
            c.send("HEAD /file/report.pdf HTTP/1.1\r\nHost: x\r\n\r\n")
                .await;
            let r = c.read_head_response().await;
            assert_eq!(
                (r.status, r.header("content-length")),
                (200, Some("800000"))
            );
            assert_eq!(r.header("content-type"), Some("application/pdf"));
            let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
            assert_eq!(r.text(), "ok");
        }

        let r = at.get("/download/notes.txt?as=notes%202024.txt").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"notes 2024.txt\"")
        );
        assert_eq!(r.text(), "some notes");
        let r = at
            .get("/download/notes.txt?as=%C3%9Cbersicht%20%E2%82%AC.txt")
            .await;
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"_bersicht _.txt\"; filename*=UTF-8''%C3%9Cbersicht%20%E2%82%AC.txt")
        );
        // Header injection through the name is impossible.
        let r = at
            .get("/download/notes.txt?as=a%0D%0ASet-Cookie:%20x=1")
            .await;
        assert_eq!(r.header("set-cookie"), None);
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"aSet-Cookie: x=1\"")
        );

        for missing in ["/file/nope.txt", "/file/sub", "/download/nope.txt?as=x"] {
            let r = at.get(missing).await;
            assert_eq!(
                (r.status, r.text().as_str()),
                (404, "404 page not found"),
                "{missing}"
            );
            assert_eq!(r.header("content-disposition"), None);
        }

        // Files answer ranges and conditional requests too.
        let r = at
            .request("GET", "/file/report.pdf", &[("range", "bytes=4-11")], "")
            .await;
        assert_eq!(r.status, 206);
        assert_eq!(r.body, report[4..12]);
        let etag = r.header("etag").unwrap().to_owned();
        let r = at
            .request("GET", "/file/report.pdf", &[("if-none-match", &etag)], "")
            .await;
        assert_eq!(r.status, 304);
    }
}

#[cfg(feature = "templates")]
mod templates {
    use super::*;

    async fn page(ctx: &mut RequestContext) {
        let name = ctx.param("name").unwrap_or_default().to_string();
        let title = ctx.query("title").unwrap_or_default().to_string();
        ctx.html(
            StatusCode::OK,
            &name,
            &serde_json::json!({ "title": title, "items": [1, 2] }),
        );
    }

    fn template_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |p: &str, s: &str| {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, s).unwrap();
        };
        write(
            "index.tmpl",
            "<h1>{{ title }}</h1>{% for i in items %}<i>{{ i }}</i>{% endfor %}",
        );
        write(
            "nested/about.html",
            "{% include 'part.html' %} about {{ title }}",
        );
        write("nested/part.html", "<nav></nav>");
        write("broken.txt", "not matched by the glob");
        dir
    }

    #[tokio::test]
    async fn html_templates_from_a_glob() {
        let dir = template_dir();
        let s = server()
            .load_html_glob(&format!("{}/*.tmpl", dir.path().display()))
            .load_html_glob(&format!("{}/nested/*.html", dir.path().display()));
        s.get("/page/:name", page);
        let (_h, addr) = start(s).await;

        let r = get(addr, "/page/index.tmpl?title=%3Cscript%3E%26").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.text(), "<h1>&lt;script&gt;&amp;</h1><i>1</i><i>2</i>");
        let r = get(addr, "/page/about.html?title=us").await;
        assert_eq!((r.status, r.text().as_str()), (200, "<nav></nav> about us"));

        let r = get(addr, "/page/nope.html").await;
        assert_eq!((r.status, r.body.len()), (500, 0));
    }

    #[tokio::test]
    async fn html_with_an_environment_and_errors() {
        let mut env = minijinja::Environment::new();
        env.add_template("hi.html", "<p>hi {{ title }}</p>")
            .unwrap();
        env.add_template("fails.html", "{{ 1 / 0 }}").unwrap();
        let s = server().html_environment(env);
        s.get("/page/:name", page);
        let (_h, addr) = start(s).await;
        let r = get(addr, "/page/hi.html?title=%3Cx%3E").await;
        assert_eq!((r.status, r.text().as_str()), (200, "<p>hi &lt;x&gt;</p>"));
        let r = get(addr, "/page/fails.html").await;
        assert_eq!(r.status, 500);

        // Without templates, html answers 500 instead of panicking.
        let s = server();
        s.get("/page/:name", page);
        let (_h, addr) = start(s).await;
        assert_eq!(get(addr, "/page/hi.html").await.status, 500);
    }

    /// The error `start` reports for `s` (it must fail).
    async fn start_err(s: Server) -> khz::Error {
        match common::try_start(s).await {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        }
    }

    #[tokio::test]
    async fn loading_errors_are_precise() {
        let dir = template_dir();
        let glob = |p: &str| format!("{}/{p}", dir.path().display());
        let err = start_err(Server::new().load_html_glob(&glob("*.none"))).await;
        assert!(err.to_string().contains("no template matches"), "{err}");
        let err = start_err(Server::new().load_html_glob("[")).await;
        assert!(err.to_string().contains("bad template glob"), "{err}");
        let twice = Server::new()
            .load_html_glob(&glob("nested/*.html"))
            .load_html_glob(&glob("nested/part.html"));
        let err = start_err(twice).await;
        assert!(
            err.to_string()
                .contains("two templates named \"part.html\""),
            "{err}"
        );
        std::fs::write(dir.path().join("bad.html"), "{% for %}").unwrap();
        let err = start_err(Server::new().load_html_glob(&glob("bad.html"))).await;
        assert!(err.to_string().contains("bad.html"), "{err}");
        assert!(
            std::error::Error::source(&err).is_some(),
            "template errors keep their source"
        );
    }
}
