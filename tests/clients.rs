//! Real clients against a real server: hyper 1.x (`client::conn::http1` over `TokioIo`) and the
//! `curl` binary. curl is a hard requirement of this suite (CI installs it): if it is missing
//! the curl tests fail and say so.

mod common;

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::TokioIo;
use khz::prelude::*;

/// Echoes the body; reports how it was framed and the request version in headers.
async fn echo_framing(ctx: &mut RequestContext) {
    let chunked = ctx.request().is_chunked().to_string();
    let version = format!("{:?}", ctx.version());
    let body = ctx.body().clone();
    ctx.set_header("x-chunked", chunked);
    ctx.set_header("x-version", version);
    ctx.data(StatusCode::OK, "application/octet-stream", body);
}

async fn peer_port(ctx: &mut RequestContext) {
    let port = ctx.remote_addr().port().to_string();
    ctx.string(StatusCode::OK, port);
}

async fn serve() -> SocketAddr {
    let s = server();
    s.get("/ok", ok);
    s.post("/echo", echo_framing);
    s.put("/echo", echo_framing);
    s.get("/port", peer_port);
    let (handle, addr) = start(s).await;
    std::mem::forget(handle);
    addr
}

/// A 1 MiB body that is not all one byte.
fn big_body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

// ----- hyper -------------------------------------------------------------------------------

type Sender<B> = hyper::client::conn::http1::SendRequest<B>;

async fn hyper_conn<B>(addr: SocketAddr) -> Sender<B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
}

async fn send<B>(
    sender: &mut Sender<B>,
    req: hyper::Request<B>,
) -> (hyper::http::response::Parts, Bytes)
where
    B: hyper::body::Body + Send + 'static,
{
    sender.ready().await.expect("connection ready");
    let resp = tokio::time::timeout(GUARD, sender.send_request(req))
        .await
        .expect("response in time")
        .expect("response");
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (parts, body)
}

fn request<B>(method: &str, path: &str, body: B) -> hyper::Request<B> {
    hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "khz.test")
        .body(body)
        .expect("valid request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_get() {
    let addr = serve().await;
    let mut sender = hyper_conn(addr).await;
    let (parts, body) = send(&mut sender, request("GET", "/ok", Full::new(Bytes::new()))).await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.version, hyper::Version::HTTP_11);
    assert_eq!(parts.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(parts.headers["server"], "khz");
    assert_eq!(body, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_post_echo_of_one_mebibyte() {
    let addr = serve().await;
    let payload = Bytes::from(big_body(1 << 20));
    let mut sender = hyper_conn(addr).await;
    let (parts, body) = send(
        &mut sender,
        request("POST", "/echo", Full::new(payload.clone())),
    )
    .await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["content-length"], (1 << 20).to_string());
    assert_eq!(parts.headers["x-chunked"], "false");
    assert!(
        body == payload,
        "echoed body differs ({} bytes back)",
        body.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_streamed_upload_is_chunked_and_echoed() {
    let addr = serve().await;
    let pieces: Vec<Bytes> = big_body(300_000)
        .chunks(7_777)
        .map(Bytes::copy_from_slice)
        .collect();
    let expected: Vec<u8> = pieces.concat();
    let frames = pieces
        .into_iter()
        .map(|p| Ok::<_, Infallible>(Frame::data(p)));
    let body = StreamBody::new(futures_util::stream::iter(frames));
    let mut sender = hyper_conn(addr).await;
    let (parts, got) = send(&mut sender, request("PUT", "/echo", body)).await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["x-chunked"], "true");
    assert!(
        got == expected,
        "echoed body differs ({} bytes back)",
        got.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_keep_alive_reuses_one_connection() {
    let addr = serve().await;
    let mut sender = hyper_conn(addr).await;
    let mut ports = Vec::new();
    for i in 0..5 {
        let (parts, body) = send(
            &mut sender,
            request("GET", "/port", Full::new(Bytes::new())),
        )
        .await;
        assert_eq!(parts.status, 200, "request {i}");
        assert!(parts.headers.get("connection").is_none());
        ports.push(String::from_utf8(body.to_vec()).unwrap());
        let (_, body) = send(
            &mut sender,
            request("POST", "/echo", Full::new(Bytes::from(format!("n{i}")))),
        )
        .await;
        assert_eq!(body, format!("n{i}"));
    }
    assert!(
        ports.windows(2).all(|w| w[0] == w[1]),
        "all requests must arrive on one connection: {ports:?}"
    );
}

// ----- curl --------------------------------------------------------------------------------

/// Runs curl with `args` (and `stdin` as its input), returning stdout. Fails the test if curl
/// is missing or fails.
async fn curl(args: Vec<String>, stdin: Option<Vec<u8>>) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("curl");
        cmd.args(["--silent", "--show-error", "--max-time", "10"])
            .args(&args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "the `curl` binary is required by tests/clients.rs but was not found on PATH: \
                 install curl (e.g. `apt-get install curl`)"
            ),
            Err(e) => panic!("cannot run curl: {e}"),
        };
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            pipe.write_all(&input).expect("write curl stdin");
        }
        let out = child.wait_with_output().expect("curl output");
        assert!(
            out.status.success(),
            "curl {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    })
    .await
    .expect("curl task")
}

/// Parses curl `-i` output: interim 1xx responses skipped, the final one returned.
fn final_response(mut out: &[u8], head_only: bool) -> Resp {
    loop {
        let (resp, used) = parse_response(out, head_only, true)
            .expect("parseable curl output")
            .expect("complete response in curl output");
        out = &out[used..];
        if !(100..200).contains(&resp.status) {
            assert!(
                out.is_empty(),
                "trailing output: {:?}",
                String::from_utf8_lossy(out)
            );
            return resp;
        }
    }
}

fn url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_get() {
    let addr = serve().await;
    let out = curl(vec!["-i".into(), url(addr, "/ok")], None).await;
    let r = final_response(&out, false);
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_post_data_binary() {
    let addr = serve().await;
    let payload = big_body(200_000);
    let out = curl(
        vec![
            "-i".into(),
            "--data-binary".into(),
            "@-".into(),
            url(addr, "/echo"),
        ],
        Some(payload.clone()),
    )
    .await;
    let r = final_response(&out, false);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-chunked"), Some("false"));
    assert!(r.body == payload, "echo differs ({} bytes)", r.body.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_post_with_expect_100_continue() {
    let addr = serve().await;
    let payload = big_body(2 << 20);
    let out = curl(
        vec![
            "-i".into(),
            "-H".into(),
            "Expect: 100-continue".into(),
            "--data-binary".into(),
            "@-".into(),
            url(addr, "/echo"),
        ],
        Some(payload.clone()),
    )
    .await;
    assert!(
        out.starts_with(b"HTTP/1.1 100 Continue\r\n\r\n"),
        "curl got the interim response first"
    );
    let r = final_response(&out, false);
    assert_eq!(r.status, 200);
    assert!(r.body == payload, "echo differs ({} bytes)", r.body.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_head() {
    let addr = serve().await;
    let out = curl(vec!["-I".into(), url(addr, "/ok")], None).await;
    let r = final_response(&out, true);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http10() {
    let addr = serve().await;
    let out = curl(
        vec![
            "-i".into(),
            "--http1.0".into(),
            "--data-binary".into(),
            "ten bytes!".into(),
            url(addr, "/echo"),
        ],
        None,
    )
    .await;
    let r = final_response(&out, false);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-version"), Some("HTTP/1.0"));
    assert_eq!(r.text(), "ten bytes!");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_chunked_upload() {
    let addr = serve().await;
    let payload = big_body(150_000);
    let out = curl(
        vec![
            "-i".into(),
            "-H".into(),
            "Transfer-Encoding: chunked".into(),
            "--data-binary".into(),
            "@-".into(),
            url(addr, "/echo"),
        ],
        Some(payload.clone()),
    )
    .await;
    let r = final_response(&out, false);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-chunked"), Some("true"), "curl sent it chunked");
    assert!(r.body == payload, "echo differs ({} bytes)", r.body.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_reuses_the_connection() {
    let addr = serve().await;
    let u = url(addr, "/ok");
    let mut args = vec!["-w".to_owned(), "%{http_code}:%{num_connects} ".to_owned()];
    for _ in 0..3 {
        args.extend(["-o".to_owned(), "/dev/null".to_owned(), u.clone()]);
    }
    let out = curl(args, None).await;
    assert_eq!(String::from_utf8_lossy(&out), "200:1 200:0 200:0 ");
}
