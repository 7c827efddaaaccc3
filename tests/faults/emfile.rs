//! The `EMFILE` case: a child server (this test binary, re-executed) runs out of file
//! descriptors under a lowered `RLIMIT_NOFILE`. The parent checks that the accept failure is
//! logged once per accept loop, that the child does not spin while exhausted (its CPU time over
//! a measurement window), and that it accepts again — backlogged and new clients — once
//! descriptors free up.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use khz::prelude::*;

use crate::child;
use crate::common::*;
use crate::support::{connections_by_worker, server_for, who, MAX_PROBES};

/// Descriptors the child may open beyond those it has when told to lower its limit.
const HEADROOM: usize = 4;
/// The busy-loop detector's measurement window.
const WINDOW: Duration = Duration::from_secs(1);

/// The child: serves with its engine, logs to stderr, lowers `RLIMIT_NOFILE` when told to.
async fn emfile_child(engine: Transport) {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_thread_names(true)
        .init();
    let s = server_for(engine, true, 2);
    s.get("/ok", ok);
    s.get("/who", who);
    let (_handle, addr) = start_as_configured(s).await;
    child::serve_commands(|command| {
        if command == "limit" {
            let limit = child::limit_leaving(HEADROOM);
            child::limit_open_files(limit);
            child::report("limited", limit);
        }
    });
    child::report("port", addr.port());
    // Serves until the parent closes stdin (`serve_commands` then exits the process).
    std::future::pending::<()>().await;
}

/// How many of `lines` each accept loop logged: the std engine has one loop, the epoll engine
/// one per worker thread (named in the line).
fn per_accept_loop(engine: Transport, lines: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in lines {
        let key = match engine {
            Transport::Std => "the accept loop",
            Transport::Epoll => line
                .split_whitespace()
                .find(|w| w.starts_with("khz-epoll-"))
                .unwrap_or_else(|| panic!("no worker named in {line:?}")),
            other => panic!("no engine {other:?} in this test"),
        };
        *counts.entry(key.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// The parent: runs the child out of descriptors, checks it logs that once (per accept loop),
/// does not spin, and recovers when descriptors free up.
pub async fn emfile(engine: Transport, test_name: &str) {
    if let Some(engine) = child::child_engine() {
        return emfile_child(engine).await;
    }
    let mut server = child::ChildServer::spawn(test_name, engine);
    let port: u16 = server.read_value("port").await.parse().expect("port");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // Every worker is up and serving before the limit drops.
    let mut probes = connections_by_worker(addr, engine, 1).await;
    server.tell("limit");
    let limit = server.read_value("limited").await;

    // Connect, one at a time, until a connection is not accepted.
    let failed = |l: &str| l.contains("accept failed");
    let mut served = Vec::new();
    let mut backlogged = loop {
        assert!(
            served.len() < MAX_PROBES,
            "{engine:?}: never ran out of descriptors (limit {limit})"
        );
        let mut c = Client::connect(addr).await;
        c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let answered = tokio::select! {
            r = c.read_response() => Some(r),
            _ = server.log.wait_for("about the accept failure", failed) => None,
        };
        match answered {
            Some(r) => {
                assert_eq!(r.status, 200, "{engine:?}");
                served.push(c);
            }
            None => break vec![c],
        }
    };
    assert!(
        !served.is_empty(),
        "{engine:?}: nothing accepted after the limit"
    );
    // Two more wait in the backlog.
    for _ in 0..2 {
        let mut c = Client::connect(addr).await;
        c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
        backlogged.push(c);
    }

    // No busy loop while exhausted: the child sleeps between accept attempts.
    let (cpu_before, wall) = (server.cpu_time(), std::time::Instant::now());
    tokio::time::sleep(WINDOW).await; // the measurement window, not a synchronisation
    let (cpu, wall) = (server.cpu_time() - cpu_before, wall.elapsed());
    assert!(
        cpu.as_secs_f64() < 0.25 * wall.as_secs_f64(),
        "{engine:?}: the exhausted child burnt {cpu:?} of CPU in {wall:?}: a busy loop"
    );
    // The failure is logged once per exhausted accept loop: one loop for std, one per worker
    // for epoll (a worker may find the process out of descriptors with no client of its own).
    let failures = server.log.matching(failed);
    assert!(
        failures.iter().all(|l| l.contains("os error 24")),
        "{engine:?}: not EMFILE: {failures:#?}"
    );
    let failed_by = per_accept_loop(engine, &failures);
    assert!(
        failed_by.values().all(|&n| n == 1),
        "{engine:?}: the accept failure was logged more than once per loop: {failures:#?}"
    );

    // Free descriptors: the backlogged connections are accepted and served, every exhausted
    // loop says it accepts again, and new and old connections are served.
    drop(served);
    for c in &mut backlogged {
        let r = c.read_response().await;
        assert_eq!((r.status, r.text().as_str()), (200, "ok"), "{engine:?}");
    }
    let again = |l: &str| l.contains("accepting connections again");
    server
        .log
        .wait_until("about accepting again from every exhausted loop", |lines| {
            let agains: Vec<String> = lines.iter().filter(|l| again(l)).cloned().collect();
            per_accept_loop(engine, &agains).len() >= failed_by.len()
        })
        .await;
    let r = get(addr, "/ok").await;
    assert_eq!(r.status, 200, "{engine:?}: a new connection after recovery");
    let r = probes[0].1[0]
        .request("GET /who HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(r.status, 200, "{engine:?}: a connection from before");
    // Once each, and no new failure.
    assert_eq!(
        per_accept_loop(engine, &server.log.matching(again)),
        failed_by,
        "{engine:?}: \"accepting again\" once per exhausted loop"
    );
    assert_eq!(
        server.log.matching(failed),
        failures,
        "{engine:?}: failures after recovery"
    );
    drop(probes);
    server.finish().await;
}
