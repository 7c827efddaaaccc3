//! Graceful shutdown under HTTP/2 load: with 60 streams in flight on 3 connections, shutting
//! down sends GOAWAY, every in-flight stream still completes with its full response, and the
//! shutdown returns once the connections are closed — within the exit wait time.

mod common;
mod proto;

use std::sync::atomic::{AtomicUsize, Ordering};

use khz::prelude::*;
use proto::{h2_client, read_all, GUARD};
use tokio::sync::{mpsc, watch};

async fn ok(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "ok");
}

struct Gate {
    entered: mpsc::UnboundedSender<()>,
    /// Level-triggered: handlers wait until it is true.
    release: watch::Receiver<bool>,
    done: AtomicUsize,
}

async fn slow(ctx: &mut RequestContext) {
    let gate = ctx.state::<Gate>().expect("gate");
    let mut release = gate.release.clone();
    let _ = gate.entered.send(());
    let _ = release.wait_for(|go| *go).await;
    gate.done.fetch_add(1, Ordering::SeqCst);
    ctx.string(StatusCode::OK, "finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_every_in_flight_stream() {
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let (release, release_rx) = watch::channel(false);
    let s = common::server().h2c(true).with_state(Gate {
        entered: entered_tx,
        release: release_rx,
        done: AtomicUsize::new(0),
    });
    s.get("/slow", slow);
    s.get("/ok", ok);
    let (handle, addr) = common::start(s).await;

    // 3 connections × 20 streams in flight.
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let client = h2_client(addr).await;
        for _ in 0..20 {
            let mut c = client.clone().ready().await.unwrap();
            let req = http::Request::get("http://khz.test/slow").body(()).unwrap();
            let (resp, _) = c.send_request(req, true).unwrap();
            tasks.push(tokio::spawn(async move {
                let resp = resp.await?;
                let status = resp.status();
                let body = read_all(resp.into_body()).await?;
                Ok::<_, h2::Error>((status, body))
            }));
        }
    }
    for _ in 0..60 {
        tokio::time::timeout(GUARD, entered.recv()).await.unwrap();
    }
    let shutdown = tokio::spawn(handle.shutdown());
    // Draining starts while 60 streams wait in their handlers; they all finish, and only
    // then does the shutdown (which waits for every connection task) complete.
    tokio::task::yield_now().await;
    assert!(!shutdown.is_finished());
    release.send_replace(true);
    let mut finished = 0;
    for t in tasks {
        let (status, body) = tokio::time::timeout(GUARD, t)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!((status.as_u16(), &body[..]), (200, &b"finished"[..]));
        finished += 1;
    }
    assert_eq!(finished, 60);
    tokio::time::timeout(GUARD, shutdown)
        .await
        .unwrap()
        .unwrap()
        .expect("shutdown within the exit wait time");
}
