//! Binding a `multipart/form-data` body: `form` fields from its text parts, `file` fields
//! (`UploadedFile`, `Option`, `Vec`) from its files — after `ctx.multipart_form().await`, on a
//! buffered route and on a streamed one with a file spooled to disk; plus the errors (form not
//! parsed → 500, missing file → 400 naming it, `file` on a non-multipart body → 415).

mod common;

use std::net::SocketAddr;

use common::*;
use khz::app::multipart::UploadedFile;
use khz::prelude::*;

const BOUNDARY: &str = "bind-boundary-Zq81";

#[derive(khz::Bind)]
struct Upload {
    #[bind(form)]
    #[vd("mblen($) > 0", msg = "title required")]
    title: String,
    #[bind(form)]
    tags: Vec<String>,
    #[bind(file)]
    avatar: UploadedFile,
    #[bind(file = "extra")]
    extras: Vec<UploadedFile>,
    #[bind(file)]
    cover: Option<UploadedFile>,
}

async fn upload(ctx: &mut RequestContext) -> khz::Result<()> {
    if ctx
        .content_type()
        .is_some_and(|ct| ct.starts_with("multipart/"))
    {
        if let Err(e) = ctx.multipart_form().await {
            {
                e.abort(ctx);
                return Ok(());
            }
        }
    }
    let u = ctx.bind_and_validate::<Upload>()?;
    let avatar = u.avatar.bytes().await?; // an I/O error: 500
    let sum: u64 = avatar.iter().map(|&b| u64::from(b)).sum();
    ctx.string(
        StatusCode::OK,
        format!(
            "{}|{}|{}:{}:{}:{}|{}|{}",
            u.title,
            u.tags.join(","),
            u.avatar.file_name(),
            u.avatar.size(),
            sum,
            u.avatar.is_in_memory(),
            u.extras
                .iter()
                .map(|f| f.file_name())
                .collect::<Vec<_>>()
                .join(","),
            u.cover.is_some()
        ),
    );
    Ok(())
}

/// Binds without parsing the form first (a program mistake).
async fn forgetful(ctx: &mut RequestContext) -> khz::Result<()> {
    let u = ctx.bind::<Upload>()?;
    ctx.string(StatusCode::OK, u.title);
    Ok(())
}

async fn serve() -> SocketAddr {
    let s = server()
        .max_request_body_size(64 * 1024)
        .multipart_memory_threshold(16 * 1024);
    s.get("/ok", ok);
    s.post("/upload", upload);
    s.post("/big", upload).stream_body();
    s.post("/forgetful", forgetful);
    let (handle, addr) = start(s).await;
    std::mem::forget(handle);
    addr
}

fn part(out: &mut Vec<u8>, name: &str, file: Option<&str>, data: &[u8]) {
    out.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
    );
    if let Some(f) = file {
        out.extend_from_slice(
            format!("; filename=\"{f}\"\r\nContent-Type: application/octet-stream").as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

fn form(avatar: &[u8], with_avatar: bool) -> Vec<u8> {
    let mut out = Vec::new();
    part(&mut out, "title", None, "Hello ü".as_bytes());
    part(&mut out, "tags", None, b"a");
    part(&mut out, "tags", None, b"b");
    if with_avatar {
        part(&mut out, "avatar", Some("../me.png"), avatar);
    }
    part(&mut out, "extra", Some("x1.txt"), b"one");
    part(&mut out, "extra", Some("x2.txt"), b"two");
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

async fn post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> Resp {
    let mut c = Client::connect(addr).await;
    c.send(format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ))
    .await;
    c.send(body).await;
    c.read_response().await
}

fn multipart() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 13 + i / 241) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_parts_and_files_bind_into_one_struct() {
    let addr = serve().await;
    let avatar = payload(1000);
    let sum: u64 = avatar.iter().map(|&b| u64::from(b)).sum();
    let r = post(addr, "/upload", &multipart(), &form(&avatar, true)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        format!("Hello ü|a,b|me.png:1000:{sum}:true|x1.txt,x2.txt|false")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spooled_upload_on_a_streamed_route_binds_too() {
    let addr = serve().await;
    // Over the 64 KiB buffered limit and the 16 KiB memory threshold: streamed and spooled.
    let avatar = payload(300 * 1024);
    let sum: u64 = avatar.iter().map(|&b| u64::from(b)).sum();
    let r = post(addr, "/big", &multipart(), &form(&avatar, true)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        format!(
            "Hello ü|a,b|me.png:{}:{sum}:false|x1.txt,x2.txt|false",
            avatar.len()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_is_400_naming_it() {
    let addr = serve().await;
    let r = post(addr, "/upload", &multipart(), &form(b"", false)).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(json["field"], "avatar");
    assert_eq!(json["message"], "missing required uploaded file `avatar`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_before_parsing_the_form_is_a_500_that_says_what_to_do() {
    let addr = serve().await;
    let r = post(addr, "/forgetful", &multipart(), &form(b"x", true)).await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(
        r.text().contains("ctx.multipart_form().await"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_fields_on_a_urlencoded_body_are_415() {
    let addr = serve().await;
    let r = post(
        addr,
        "/upload",
        "application/x-www-form-urlencoded",
        b"title=t&tags=a",
    )
    .await;
    assert_eq!(r.status, 415, "{}", r.text());
    assert_still_serving(addr).await;
}
