//! HTTP/3 end to end (feature `http3`): a real khz server with TLS and `http3(true)`, and a
//! real HTTP/3 client (`h3` over `quinn`) on UDP at the server's port.
#![cfg(feature = "http3")]

mod common;
mod proto;

use common::*;
use khz::prelude::*;
use proto::h3::h3_connect;
use proto::{server_tls_config, test_cert};

async fn version(ctx: &mut RequestContext) {
    let v = format!("{:?}", ctx.protocol());
    ctx.string(StatusCode::OK, v);
}

fn h3_server() -> Server {
    let s = server().tls(server_tls_config(test_cert())).http3(true);
    s.get("/ok", ok);
    s.post("/echo", echo);
    s.get("/version", version);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_and_post_over_http3() {
    let handle = try_start(h3_server()).await.expect("server starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");
    assert_eq!(
        udp.port(),
        handle.local_addr().port(),
        "same port number as TCP"
    );
    let mut c = h3_connect(udp).await;
    let r = c.get("/ok").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    assert_eq!(r.version, http::Version::HTTP_3);
    assert_eq!(c.get("/version").await.text(), "HTTP/3.0");
    let req = http::Request::post("https://localhost/echo")
        .body(())
        .unwrap();
    let r = c
        .request(req, Some(bytes::Bytes::from_static(b"hello h3")))
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello h3"));
    handle.shutdown().await.expect("graceful shutdown");
}
