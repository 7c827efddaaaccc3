//! `multipart/form-data` through a real server, with bodies built by hand (raw bytes) and by
//! `curl -F`: text fields and files kept in memory or spooled to disk (checked byte for byte),
//! `form_value`/`post_form` seeing multipart values, `save_uploaded_file`, `persist`, the
//! streaming `multipart()` reader with `chunk`/`save_to`, uploads many times larger than
//! `max_request_body_size` on a streamed route, every kind of bad input with its status, and
//! temporary files gone when the request ends.

#![cfg(feature = "multipart")]

mod common;
mod proto;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use khz::app::multipart::FormError;
use khz::prelude::*;
use khz::ut::perform_request;
use proto::{At, Proto};
use serde_json::{json, Value};

// ----- building bodies ---------------------------------------------------------------------

const BOUNDARY: &str = "----khz-test-boundary-7MA4YWxkTrZu0gW";

struct Part<'a> {
    name: Option<&'a str>,
    file_name: Option<&'a str>,
    content_type: Option<&'a str>,
    data: &'a [u8],
}

fn text<'a>(name: &'a str, value: &'a str) -> Part<'a> {
    Part {
        name: Some(name),
        file_name: None,
        content_type: None,
        data: value.as_bytes(),
    }
}

fn file<'a>(name: &'a str, file_name: &'a str, content_type: &'a str, data: &'a [u8]) -> Part<'a> {
    Part {
        name: Some(name),
        file_name: Some(file_name),
        content_type: Some(content_type),
        data,
    }
}

/// A multipart body, byte by byte as RFC 7578 describes it.
fn body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data").as_bytes());
        if let Some(name) = p.name {
            out.extend_from_slice(format!("; name=\"{name}\"").as_bytes());
        }
        if let Some(f) = p.file_name {
            out.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = p.content_type {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(p.data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// Bytes that are not all one value and contain CR, LF and dashes (boundary look-alikes).
fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| match i % 997 {
            0 => b'\r',
            1 => b'\n',
            2..=5 => b'-',
            _ => (i * 31 + i / 251) as u8,
        })
        .collect()
}

fn fnv(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{h:x}")
}

// ----- handlers ----------------------------------------------------------------------------

/// Parses the whole form and describes it as JSON; with `?save=DIR` also saves every file as
/// `DIR/<field name>` with `save_uploaded_file`.
async fn describe(ctx: &mut RequestContext) {
    let save = ctx.query("save").map(|s| PathBuf::from(&*s));
    let form = match ctx.multipart_form().await {
        Ok(form) => form,
        Err(e) => return e.abort(ctx),
    };
    let values: Vec<Value> = form.value_pairs().map(|(k, v)| json!([k, v])).collect();
    let mut files = Vec::new();
    let mut names = Vec::new();
    for f in form.all_files() {
        let bytes = match f.bytes().await {
            Ok(b) => b,
            Err(e) => return ctx.abort_with_msg(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        };
        files.push(json!({
            "field": f.field_name(),
            "file_name": f.file_name(),
            "raw_file_name": f.raw_file_name(),
            "content_type": f.content_type(),
            "size": f.size(),
            "len": bytes.len(),
            "fnv": fnv(&bytes),
            "in_memory": f.is_in_memory(),
            "temp": f.temp_path().map(|p| p.display().to_string()),
            "temp_exists": f.temp_path().map(Path::exists),
        }));
        names.push(f.field_name().to_owned());
    }
    // A second call returns the cached form (on a streamed route it could not parse again).
    let again = match ctx.multipart_form().await {
        Ok(form) => form.all_files().len(),
        Err(e) => return e.abort(ctx),
    };
    if let Some(dir) = save {
        for name in &names {
            let Some(file) = ctx.form_file(name) else {
                return ctx.abort_with_msg(StatusCode::INTERNAL_SERVER_ERROR, "form_file");
            };
            if let Err(e) = ctx.save_uploaded_file(file, dir.join(name)).await {
                return ctx.abort_with_msg(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
            }
        }
    }
    let out = json!({
        "values": values,
        "files": files,
        "files_again": again,
        "form_value_title": ctx.form_value("title"),
        "post_form_title": ctx.post_form("title"),
        "tags": ctx.post_form_all("tag"),
    });
    ctx.json(StatusCode::OK, &out);
}

/// Reads the body with the streaming reader: text fields as text; file fields saved with
/// `save_to` into `?dir=DIR/<field name>`, or else counted chunk by chunk.
async fn stream_fields(ctx: &mut RequestContext) {
    let dir = ctx.query("dir").map(|s| PathBuf::from(&*s));
    let mut multipart = match ctx.multipart() {
        Ok(m) => m,
        Err(e) => return e.abort(ctx),
    };
    let mut report = Vec::new();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return e.abort(ctx),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if !field.is_file() {
            match field.text().await {
                Ok(t) => report.push(json!({ "name": name, "text": t })),
                Err(e) => return e.abort(ctx),
            }
            continue;
        }
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        if let Some(dir) = &dir {
            match field.save_to(dir.join(&name)).await {
                Ok(n) => report.push(json!({ "name": name, "saved": n })),
                Err(e) => return e.abort(ctx),
            }
            continue;
        }
        let (mut all, mut chunks) = (Vec::new(), 0);
        loop {
            match field.chunk().await {
                Ok(Some(c)) => {
                    all.extend_from_slice(&c);
                    chunks += 1;
                }
                Ok(None) => break,
                Err(e) => return e.abort(ctx),
            }
        }
        report.push(json!({
            "name": name, "file_name": file_name, "content_type": content_type,
            "size": all.len(), "fnv": fnv(&all), "chunks": chunks,
        }));
    }
    ctx.json(StatusCode::OK, &report);
}

/// Takes the form and persists every file as `?dir=DIR/<field name>`.
async fn persist(ctx: &mut RequestContext) {
    let Some(dir) = ctx.query("dir").map(|s| PathBuf::from(&*s)) else {
        return ctx.abort_with_msg(StatusCode::BAD_REQUEST, "dir");
    };
    if let Err(e) = ctx.multipart_form().await {
        return e.abort(ctx);
    }
    let form = ctx.take_multipart_form().unwrap_or_default();
    let mut kept = Vec::new();
    for f in form.into_files() {
        let dest = dir.join(f.field_name());
        match f.persist(&dest).await {
            Ok(p) => kept.push(p.display().to_string()),
            Err(e) => return ctx.abort_with_msg(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
    let gone = ctx.form_file("doc").is_none();
    ctx.string(
        StatusCode::OK,
        format!("{} kept, form gone: {gone}", kept.len()),
    );
}

/// Consumes a streamed body with `multipart()`, then asks for `multipart_form()`.
async fn twice(ctx: &mut RequestContext) {
    match ctx.multipart() {
        Ok(mut m) => while let Ok(Some(_)) = m.next_field().await {},
        Err(e) => return e.abort(ctx),
    }
    match ctx.multipart_form().await {
        Ok(_) => ctx.string(StatusCode::OK, "parsed twice"),
        Err(e) => {
            let text = format!("{e:?}");
            ctx.string(e.status(), text);
        }
    }
}

/// Errors as JSON.
async fn json_errors(ctx: &mut RequestContext) {
    match ctx.multipart_form().await {
        Ok(_) => ctx.string(StatusCode::OK, "ok"),
        Err(e) => e.abort_json(ctx),
    }
}

// ----- server ------------------------------------------------------------------------------

const MAX_BODY: usize = 64 * 1024;
const THRESHOLD: usize = 16 * 1024;

/// A server with a small body limit and memory threshold; spooled files go to `temp`.
async fn serve_with(proto: Proto, temp: &Path, configure: impl FnOnce(Server) -> Server) -> At {
    let s = server()
        .max_request_body_size(MAX_BODY)
        .multipart_memory_threshold(THRESHOLD)
        .multipart_temp_dir(temp);
    let s = configure(s);
    s.get("/ok", ok);
    s.post("/form", describe);
    s.post("/s/form", describe).stream_body();
    s.post("/fields", stream_fields);
    s.post("/s/fields", stream_fields).stream_body();
    s.post("/s/persist", persist).stream_body();
    s.post("/s/twice", twice).stream_body();
    s.post("/json", json_errors);
    At::start(proto, s).await
}

fn head(target: &str, content_type: &str, len: usize) -> String {
    format!(
        "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
         Content-Length: {len}\r\n\r\n"
    )
}

fn form_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// Posts a multipart body on a fresh connection; returns the response.
async fn post(at: At, target: &str, body: &[u8]) -> Resp {
    if at.proto.is_h2() || at.proto.is_h3() {
        let ct = form_type();
        let headers = [("content-type", ct.as_str())];
        return at.request("POST", target, &headers, body.to_vec()).await;
    }
    let mut c = Client::connect(at.addr).await;
    c.send(head(target, &form_type(), body.len())).await;
    c.send_lenient(body).await;
    c.read_response().await
}

async fn post_json(at: At, target: &str, body: &[u8]) -> Value {
    let r = post(at, target, body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    serde_json::from_slice(&r.body).expect("JSON")
}

fn temp_entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

// ----- whole forms -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_fields_and_small_files_stay_in_memory() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s).await;
        let small = payload(1000);
        let b = body(&[
            text("title", "Grüße, Welt"),
            text("tag", "a"),
            file("doc", "../../etc/notes.txt", "text/plain", &small),
            text("tag", "b"),
            // A browser's empty file input is a value, like in Go.
            Part {
                file_name: Some(""),
                content_type: Some("application/octet-stream"),
                ..text("empty", "")
            },
            // A part without a name is skipped.
            Part {
                name: None,
                ..text("", "ignored")
            },
        ]);
        let v = post_json(at, "/form?unrelated=1", &b).await;
        assert_eq!(
            v["values"],
            json!([
                ["title", "Grüße, Welt"],
                ["tag", "a"],
                ["tag", "b"],
                ["empty", ""]
            ])
        );
        assert_eq!(v["form_value_title"], "Grüße, Welt");
        assert_eq!(v["post_form_title"], "Grüße, Welt");
        assert_eq!(v["tags"], json!(["a", "b"]));
        assert_eq!(v["files_again"], 1);
        let f = &v["files"][0];
        assert_eq!(f["field"], "doc");
        assert_eq!(f["file_name"], "notes.txt", "directories are stripped");
        assert_eq!(f["raw_file_name"], "../../etc/notes.txt");
        assert_eq!(f["content_type"], "text/plain");
        assert_eq!(f["size"], 1000);
        assert_eq!(f["fnv"], fnv(&small));
        assert_eq!(f["in_memory"], true);
        assert_eq!(f["temp"], Value::Null);
        assert!(temp_entries(temp.path()).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_the_threshold_is_spooled_byte_exact_and_deleted_after_the_request() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s).await;
        let big = payload(THRESHOLD * 2 + 7);
        let exact = payload(THRESHOLD);
        let b = body(&[
            file("big", "big.bin", "application/octet-stream", &big),
            file("exact", "exact.bin", "application/octet-stream", &exact),
        ]);
        assert!(b.len() < MAX_BODY, "fits a buffered route");
        let v = post_json(at, "/form", &b).await;
        let f = &v["files"][0];
        assert_eq!(f["in_memory"], false);
        assert_eq!(f["size"], big.len());
        assert_eq!(f["len"], big.len());
        assert_eq!(
            f["fnv"],
            fnv(&big),
            "spooled content read back byte for byte"
        );
        assert_eq!(
            f["temp_exists"], true,
            "the temp file existed during the request"
        );
        let spooled = PathBuf::from(f["temp"].as_str().unwrap());
        assert!(spooled.starts_with(temp.path()), "{spooled:?}");
        let f = &v["files"][1];
        assert_eq!(
            f["in_memory"], true,
            "exactly the threshold stays in memory"
        );
        assert_eq!(f["fnv"], fnv(&exact));
        assert!(!spooled.exists(), "deleted when the request ended");
        assert!(temp_entries(temp.path()).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_uploaded_file_writes_exact_copies() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s).await;
        let (big, small) = (payload(40_000), payload(300));
        let b = body(&[
            file("big", "a", "application/octet-stream", &big),
            file("small", "b", "application/octet-stream", &small),
        ]);
        let target = format!("/form?save={}", out.path().display());
        post_json(at, &target, &b).await;
        assert_eq!(std::fs::read(out.path().join("big")).unwrap(), big);
        assert_eq!(std::fs::read(out.path().join("small")).unwrap(), small);
        assert!(
            temp_entries(temp.path()).is_empty(),
            "the spooled original is gone"
        );
    }
}

#[tokio::test]
async fn in_process_with_ut() {
    let temp = tempfile::tempdir().unwrap();
    let s = Server::new()
        .multipart_memory_threshold(100)
        .multipart_temp_dir(temp.path());
    s.post("/form", describe);
    let data = payload(5000);
    let b = body(&[text("title", "ut"), file("f", "f.bin", "image/png", &data)]);
    let ct = form_type();
    let res = perform_request(&s, Method::POST, "/form", b, &[("content-type", &ct)]).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    let v: Value = serde_json::from_slice(res.body()).unwrap();
    assert_eq!(v["form_value_title"], "ut");
    assert_eq!(v["files"][0]["in_memory"], false);
    assert_eq!(v["files"][0]["fnv"], fnv(&data));
    assert!(temp_entries(temp.path()).is_empty());
}

// ----- streamed routes, far over max_request_body_size ---------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_many_times_the_body_limit_to_a_streamed_route_with_multipart_form() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s).await;
        let big = payload(MAX_BODY * 16 + 123);
        let b = body(&[
            text("title", "large"),
            file("video", "v.mp4", "video/mp4", &big),
        ]);
        let target = format!("/s/form?save={}", out.path().display());
        // The same body on a buffered route is refused.
        let r = post(at, "/form", &b).await;
        assert_eq!(r.status, 413);
        let v = post_json(at, &target, &b).await;
        assert_eq!(v["form_value_title"], "large");
        let f = &v["files"][0];
        assert_eq!(f["in_memory"], false, "spooled to disk");
        assert_eq!(f["size"], big.len());
        assert_eq!(f["fnv"], fnv(&big));
        assert_eq!(v["files_again"], 1, "the second call used the cache");
        let saved = std::fs::read(out.path().join("video")).unwrap();
        assert!(saved == big, "saved copy differs from the upload");
        assert!(temp_entries(temp.path()).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_many_times_the_body_limit_streamed_to_a_file_with_save_to() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s).await;
        let big = payload(MAX_BODY * 16 + 321);
        let b = body(&[
            text("title", "streamed"),
            file("video", "v.mp4", "video/mp4", &big),
            text("after", "yes"),
        ]);
        let target = format!("/s/fields?dir={}", out.path().display());
        let v = post_json(at, &target, &b).await;
        assert_eq!(
            v,
            json!([
                {"name": "title", "text": "streamed"},
                {"name": "video", "saved": big.len()},
                {"name": "after", "text": "yes"},
            ])
        );
        let saved = std::fs::read(out.path().join("video")).unwrap();
        assert!(saved == big, "saved file differs from the upload");
        assert!(
            temp_entries(temp.path()).is_empty(),
            "save_to spools nothing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_streaming_reader_yields_a_large_part_in_chunks() {
    let temp = tempfile::tempdir().unwrap();
    let at = serve_with(Proto::Http1, temp.path(), |s| s).await;
    let big = payload(512 * 1024);
    let b = body(&[file("f", "f.bin", "application/x-thing", &big)]);
    // Chunked on the wire, so nothing announces the size.
    let mut wire = format!(
        "POST /s/fields HTTP/1.1\r\nHost: x\r\nContent-Type: {}\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        form_type()
    )
    .into_bytes();
    for part in b.chunks(10_000) {
        wire.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        wire.extend_from_slice(part);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    let mut c = Client::connect(at.addr).await;
    c.send(&wire).await;
    let r = c.read_response().await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v[0]["size"], big.len());
    assert_eq!(v[0]["fnv"], fnv(&big));
    assert_eq!(v[0]["file_name"], "f.bin");
    assert_eq!(v[0]["content_type"], "application/x-thing");
    assert!(v[0]["chunks"].as_u64().unwrap() > 1, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persisted_files_outlive_the_request() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s).await;
        let (big, small) = (payload(100_000), payload(10));
        let b = body(&[
            file("doc", "d", "application/pdf", &big),
            file("note", "n", "text/plain", &small),
        ]);
        let r = post(at, &format!("/s/persist?dir={}", out.path().display()), &b).await;
        assert_eq!(r.text(), "2 kept, form gone: true");
        assert!(std::fs::read(out.path().join("doc")).unwrap() == big);
        assert_eq!(std::fs::read(out.path().join("note")).unwrap(), small);
        assert!(temp_entries(temp.path()).is_empty(), "nothing left behind");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumed_stream_cannot_be_parsed_again() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s).await;
        let r = post(at, "/s/twice", &body(&[text("a", "b")])).await;
        assert_eq!((r.status, r.text().as_str()), (500, "BodyConsumed"));
    }
}

// ----- curl -F ------------------------------------------------------------------------------

fn curl(args: Vec<String>) -> (String, String) {
    let out = Command::new("curl")
        .arg("-sS")
        .args(&args)
        .output()
        .expect("curl is required (apt-get install curl; .ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_uploads_files_and_fields() {
    let temp = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let at = serve_with(Proto::Http1, temp.path(), |s| s).await;
    let big = payload(3 * 1024 * 1024 + 5);
    let small = payload(2000);
    let big_path = files.path().join("big.bin");
    let small_path = files.path().join("small name.txt");
    std::fs::write(&big_path, &big).unwrap();
    std::fs::write(&small_path, &small).unwrap();
    let url = format!("http://{}/s/form?save={}", at.addr, out.path().display());
    let args = vec![
        "-F".to_owned(),
        "title=from curl".to_owned(),
        "-F".to_owned(),
        format!("big=@{};type=video/mp4", big_path.display()),
        "-F".to_owned(),
        format!("small=@{}", small_path.display()),
        url,
    ];
    let (stdout, _) = tokio::task::spawn_blocking(move || curl(args))
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}"));
    assert_eq!(v["form_value_title"], "from curl");
    let f = &v["files"][0];
    assert_eq!(
        (f["file_name"].as_str(), f["content_type"].as_str()),
        (Some("big.bin"), Some("video/mp4"))
    );
    assert_eq!(
        (f["in_memory"].as_bool(), f["fnv"].as_str()),
        (Some(false), Some(&*fnv(&big)))
    );
    let f = &v["files"][1];
    assert_eq!(f["file_name"], "small name.txt");
    assert_eq!(
        (f["in_memory"].as_bool(), f["size"].as_u64()),
        (Some(true), Some(2000))
    );
    assert!(std::fs::read(out.path().join("big")).unwrap() == big);
    assert_eq!(std::fs::read(out.path().join("small")).unwrap(), small);
    assert!(temp_entries(temp.path()).is_empty());
}

// ----- bad input ----------------------------------------------------------------------------

/// Posts `body` with `content_type` and returns (status, text).
async fn post_as(at: At, target: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    if at.proto.is_h2() || at.proto.is_h3() {
        let headers = [("content-type", content_type)];
        let r = at.request("POST", target, &headers, body.to_vec()).await;
        return (r.status, String::from_utf8_lossy(&r.body).into_owned());
    }
    let mut c = Client::connect(at.addr).await;
    c.send(head(target, content_type, body.len())).await;
    c.send_lenient(body).await;
    let r = c.read_response().await;
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_type_is_415_and_no_boundary_is_400() {
    let temp = tempfile::tempdir().unwrap();
    let at = serve_with(Proto::Http1, temp.path(), |s| s).await;
    let b = body(&[text("a", "b")]);
    for ct in [
        "text/plain",
        "multipart/mixed; boundary=x",
        "application/x-www-form-urlencoded",
    ] {
        for target in ["/form", "/fields", "/s/form"] {
            let (status, text) = post_as(at, target, ct, &b).await;
            assert_eq!(status, 415, "{ct} {target}");
            assert_eq!(text, "Content-Type is not multipart/form-data");
        }
    }
    let mut c = Client::connect(at.addr).await;
    let r = c
        .request("POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        .await;
    assert_eq!(r.status, 415, "no Content-Type");
    for ct in [
        "multipart/form-data",
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=",
    ] {
        let (status, text) = post_as(at, "/form", ct, &b).await;
        assert_eq!(
            (status, text.as_str()),
            (400, "multipart/form-data without a boundary"),
            "{ct}"
        );
    }
    assert_still_serving(at.addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_parts_are_400_and_leave_no_temp_files() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s).await;
        let spooled = payload(THRESHOLD * 2);
        let good = body(&[file("f", "f", "application/octet-stream", &spooled)]);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "truncated after a spooled file",
                good[..good.len() - 10].to_vec(),
            ),
            ("no closing boundary", {
                let mut b = body(&[file("f", "f", "a/b", &spooled)]);
                b.truncate(b.len() - format!("--{BOUNDARY}--\r\n").len());
                b
            }),
            ("header line without a colon", {
                let mut b =
                    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"a\"\r\n")
                        .into_bytes();
                b.extend_from_slice(b"this is not a header\r\n\r\nvalue\r\n");
                b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
                b
            }),
            (
                "no boundary in the body at all",
                b"just some bytes".to_vec(),
            ),
            (
                "wrong boundary",
                body(&[text("a", "b")])
                    .iter()
                    .map(|&c| if c == b'k' { b'q' } else { c })
                    .collect(),
            ),
            ("empty body", Vec::new()),
        ];
        for (what, b) in cases {
            for target in ["/form", "/s/form", "/s/fields"] {
                let (status, text) = post_as(at, target, &form_type(), &b).await;
                assert_eq!(status, 400, "{what} on {target}: {text}");
                assert!(
                    text.starts_with("malformed multipart body"),
                    "{what}: {text}"
                );
                assert!(temp_entries(temp.path()).is_empty(), "{what} on {target}");
            }
        }
        assert_eq!(at.get("/ok").await.status, 200, "{proto}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_over_the_part_limit_is_413() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s.max_multipart_part_size(20_000)).await;
        let ok = payload(20_000);
        let b = body(&[file("f", "f", "a/b", &ok)]);
        let v = post_json(at, "/form", &b).await;
        assert_eq!(v["files"][0]["size"], 20_000);
        let too_big = payload(20_001);
        for target in ["/form", "/s/form", "/s/fields"] {
            let b = body(&[text("a", "1"), file("f", "f", "a/b", &too_big)]);
            let (status, msg) = post_as(at, target, &form_type(), &b).await;
            assert_eq!(status, 413, "{target}");
            assert_eq!(msg, "multipart field \"f\" is larger than 20000 bytes");
            // A text field is held to the same limit.
            let long = "x".repeat(20_001);
            let (status, _) = post_as(at, target, &form_type(), &body(&[text("t", &long)])).await;
            assert_eq!(status, 413, "{target}");
        }
        assert!(temp_entries(temp.path()).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_total_limit_is_413_announced_or_not() {
    let temp = tempfile::tempdir().unwrap();
    let at = serve_with(Proto::Http1, temp.path(), |s| s.max_multipart_size(100_000)).await;
    let data = payload(150_000);
    let b = body(&[file("f", "f", "a/b", &data)]);
    // Announced by Content-Length: refused before reading.
    let (status, text) = post_as(at, "/s/form", &form_type(), &b).await;
    assert_eq!(
        (status, text.as_str()),
        (413, "multipart body is larger than 100000 bytes")
    );
    // Chunked: refused once the limit is crossed.
    let mut c = Client::connect(at.addr).await;
    let mut wire = format!(
        "POST /s/fields HTTP/1.1\r\nHost: x\r\nContent-Type: {}\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        form_type()
    )
    .into_bytes();
    for part in b.chunks(8192) {
        wire.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        wire.extend_from_slice(part);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    c.send_lenient(&wire).await;
    let r = c.read_response().await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.text(), "multipart body is larger than 100000 bytes");
    assert!(temp_entries(temp.path()).is_empty());
    assert_still_serving(at.addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_parts_than_allowed_is_413() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s.max_multipart_parts(3)).await;
        let three = body(&[text("a", "1"), text("b", "2"), text("c", "3")]);
        let v = post_json(at, "/form", &three).await;
        assert_eq!(v["values"].as_array().unwrap().len(), 3);
        let four = body(&[
            text("a", "1"),
            text("b", "2"),
            text("c", "3"),
            text("d", "4"),
        ]);
        for target in ["/form", "/s/fields"] {
            let (status, text) = post_as(at, target, &form_type(), &four).await;
            assert_eq!(
                (status, text.as_str()),
                (413, "multipart body has more than 3 parts")
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_render_as_json_too() {
    for proto in Proto::all_with_h3() {
        let temp = tempfile::tempdir().unwrap();
        let at = serve_with(proto, temp.path(), |s| s).await;
        let (status, text) = post_as(at, "/json", "text/plain", b"x").await;
        assert_eq!(status, 415);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!({"status": 415, "error": "Content-Type is not multipart/form-data"})
        );
    }
}

#[test]
fn form_errors_carry_their_status() {
    assert_eq!(FormError::NotMultipart.status(), 415);
    assert_eq!(FormError::NoBoundary.status(), 400);
    assert_eq!(FormError::TooLarge { limit: 1 }.status(), 413);
    assert_eq!(FormError::TooManyParts { limit: 1 }.status(), 413);
    let e = FormError::PartTooLarge {
        field: Some("f".into()),
        limit: 9,
    };
    assert_eq!(
        (e.status().as_u16(), e.to_string()),
        (413, "multipart field \"f\" is larger than 9 bytes".into())
    );
}
