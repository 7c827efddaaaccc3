//! An independent HTTP/3 client (feature `http3`): Python's `aioquic`, driven by
//! `tests/clients/h3_client.py` (written on aioquic's `H3Connection` API), fetches a page and
//! POSTs a 100 KiB body over one QUIC connection to a khz server, trusting only the test
//! certificate. `scripts/test` installs aioquic; without python3 or aioquic this test fails
//! (it does not skip).
#![cfg(feature = "http3")]

mod common;
mod proto;

use std::path::Path;
use std::process::Command;

use proto::{server_tls_config, test_cert};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aioquic_gets_and_posts_over_http3() {
    let s = common::server()
        .tls(server_tls_config(test_cert()))
        .http3(true);
    s.get("/ok", common::ok);
    s.post("/echo", common::echo);
    let handle = common::try_start(s).await.expect("server starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");

    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &test_cert().cert_pem).expect("write cert");
    let body: Vec<u8> = (0..100 * 1024).map(|i| (i % 251) as u8).collect();
    let body_file = dir.path().join("body.bin");
    std::fs::write(&body_file, &body).expect("write body");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/h3_client.py");
    let args: Vec<String> = vec![
        script.display().to_string(),
        "127.0.0.1".into(),
        udp.port().to_string(),
        ca.display().to_string(),
        "GET".into(),
        "/ok".into(),
        "POST".into(),
        "/echo".into(),
        body_file.display().to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || Command::new("python3").args(&args).output())
        .await
        .unwrap()
        .expect("python3 must be installed (scripts/test installs it with aioquic)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'aioquic'"),
        "aioquic is missing: `pip install aioquic` (scripts/test does it)"
    );
    assert!(out.status.success(), "h3_client.py failed: {stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "two responses: {lines:?}");
    let body_of = |v: &serde_json::Value| -> Vec<u8> {
        let hex = v["body_hex"].as_str().expect("body_hex");
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect()
    };
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(body_of(&lines[0]), b"ok");
    assert_eq!(lines[1]["status"], 200);
    assert!(
        body_of(&lines[1]) == body,
        "the POSTed body echoed back whole"
    );
    handle.shutdown().await.expect("graceful shutdown");
}
