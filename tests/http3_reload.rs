//! HTTP/3 follows the TLS certificate reloader (feature `http3`): after `reload_pem`, new QUIC
//! connections get the new certificate while a QUIC connection opened before keeps working.
#![cfg(feature = "http3")]

mod common;
mod proto;

use std::net::SocketAddr;
use std::sync::Arc;

use common::*;
use proto::h3::h3_over;
use proto::{make_cert, write_pem, TestCert};

/// A client endpoint trusting `trust`, offering `h3`.
fn endpoint(trust: &[&TestCert]) -> quinn::Endpoint {
    let mut roots = rustls::RootCertStore::empty();
    for c in trust {
        roots.add(c.cert_der.clone()).unwrap();
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls.alpn_protocols = vec![b"h3".to_vec()];
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap();
    let mut e = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    e.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
    e
}

/// A QUIC connection to `addr` and the leaf certificate the server presented on it.
async fn connect(
    addr: SocketAddr,
    trust: &[&TestCert],
) -> (quinn::Endpoint, quinn::Connection, Vec<u8>) {
    let e = endpoint(trust);
    let conn = tokio::time::timeout(GUARD, e.connect(addr, "localhost").unwrap())
        .await
        .expect("handshake in time")
        .expect("handshake");
    let identity = conn.peer_identity().expect("server certificate");
    let certs = identity
        .downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
        .expect("rustls certificates");
    let leaf = certs[0].to_vec();
    (e, conn, leaf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quic_follows_the_certificate_reloader() {
    let dir = std::env::temp_dir().join(format!("khz-h3-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = make_cert("first.test");
    let second = make_cert("second.test");
    let (c1, k1) = write_pem(&dir, "first", &first);
    let (c2, k2) = write_pem(&dir, "second", &second);
    let s = server().tls_pem(&c1, &k1).http3(true);
    s.get("/ok", ok);
    let reloader = s.tls_reloader().expect("TLS is set");
    let handle = try_start(s).await.expect("server starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");

    let (e, old, leaf) = connect(udp, &[&first, &second]).await;
    assert_eq!(leaf, first.cert_der.to_vec());
    let mut old = h3_over(e, old).await;

    reloader.reload_pem(&c2, &k2).expect("reload");
    let (_e, _new, leaf) = connect(udp, &[&first, &second]).await;
    assert_eq!(
        leaf,
        second.cert_der.to_vec(),
        "new connections get the new certificate"
    );
    // The connection opened before the reload keeps working.
    let r = old.get("/ok").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    // A broken reload leaves the running certificate in place, for QUIC too.
    assert!(reloader.reload_pem(dir.join("missing.pem"), &k1).is_err());
    let (_e, _c, leaf) = connect(udp, &[&first, &second]).await;
    assert_eq!(leaf, second.cert_der.to_vec());
    drop(old);
    handle.shutdown().await.expect("graceful shutdown");
    let _ = std::fs::remove_dir_all(dir);
}
