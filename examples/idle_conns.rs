//! Measures what idle keep-alive connections cost a khz server, on each transport engine.
//!
//! For every engine the tool starts the server as a **child process** (this same binary in
//! `serve` mode: `Server::default()`, one worker, h2c on, `GET /plaintext` — the peer's
//! configuration — or any binary given with `--server` that honours `PORT` and `KHZ_ENGINE`,
//! such as `examples/peer` or the peers in `../shared/bench`), so the server's memory is measured
//! alone, without the client's. Then it
//!
//! 1. warms the server up with a few short-lived connections and reads its `VmRSS` from
//!    `/proc/<pid>/status` (the baseline);
//! 2. opens N keep-alive connections (default 10,000) and sends one `GET /plaintext` on each, so
//!    every connection went through a full request/response and now waits for its next request;
//! 3. reads `VmRSS` right away (*busy*: buffers still warm) and again after `--settle` (default
//!    2 s, longer than the server's idle-release delay: *idle*), and prints
//!    (RSS_idle − RSS_baseline) / N as the bytes an idle connection holds;
//! 4. sends one more request on every connection and checks every response (status 200, body
//!    `Hello, World!`); any failed connection, request or response is counted as an error and
//!    makes the tool exit with status 1.
//!
//! Both processes need more than 10,000 descriptors: the tool raises its `RLIMIT_NOFILE` soft
//! limit to the hard limit (the child inherits it); if the hard limit is too low, raise it first
//! (`ulimit -Hn 65536` as root, or in `/etc/security/limits.conf`).
//!
//! ```text
//! cargo run --release --example idle_conns                          # both engines, 10,000 each
//! cargo run --release --example idle_conns -- --engines epoll --conns 2000
//! cargo run --release --example idle_conns -- --server target/release/examples/peer
//! ```
//!
//! Why an example and not a `harness = false` bench: it is a one-shot measurement of a child
//! process, not a statistical timing loop — `cargo bench` would also run every criterion bench,
//! and a bench cannot take arguments as simply. Linux only (it reads `/proc`).

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use khz::prelude::*;

/// The request every connection sends, twice.
const REQUEST: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n";
/// The body every response must carry.
const BODY: &[u8] = b"Hello, World!";
/// Longest wait for any one response, and for the server to start.
const GUARD: Duration = Duration::from_secs(20);
/// Short-lived connections that warm the server up before the baseline is read.
const WARMUP_CONNS: usize = 16;

fn usage() -> &'static str {
    "usage: idle_conns [--conns N] [--engines std,epoll] [--settle-ms MS] [--server PATH]\n\
     \x20      idle_conns serve        (server mode: PORT, KHZ_ENGINE, WORKERS from the environment)"
}

/// Command-line options of the measuring side.
struct Options {
    conns: usize,
    engines: Vec<String>,
    settle: Duration,
    server: Option<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut opts = Options {
        conns: 10_000,
        engines: vec!["std".to_owned(), "epoll".to_owned()],
        settle: Duration::from_millis(2_000),
        server: None,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--conns" => {
                let v = value()?;
                opts.conns = v
                    .parse()
                    .map_err(|_| format!("--conns {v:?}: not a number"))?;
            }
            "--engines" => {
                opts.engines = value()?.split(',').map(str::to_owned).collect();
            }
            "--settle-ms" => {
                let v = value()?;
                let ms = v
                    .parse()
                    .map_err(|_| format!("--settle-ms {v:?}: not a number"))?;
                opts.settle = Duration::from_millis(ms);
            }
            "--server" => opts.server = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(opts)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("serve") {
        return match serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("idle_conns serve: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let opts = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("idle_conns: {e}");
            }
            eprintln!("{}", usage());
            return ExitCode::FAILURE;
        }
    };
    match raise_nofile(opts.conns as u64 + 1024) {
        Ok(limit) => eprintln!("RLIMIT_NOFILE soft limit: {limit}"),
        Err(e) => {
            eprintln!("idle_conns: {e}");
            return ExitCode::FAILURE;
        }
    }
    let mut rows = Vec::new();
    for engine in &opts.engines {
        eprintln!("== {engine}: {} connections", opts.conns);
        match measure(&opts, engine) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("idle_conns: {engine}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    print_table(&rows);
    if rows.iter().any(|r| r.errors > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

// ----- server mode --------------------------------------------------------------------------

async fn plaintext(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "Hello, World!");
}

/// Runs the measured server: the peer's configuration with one route.
fn serve() -> khz::Result<()> {
    let env = |name: &str| std::env::var(name).ok();
    let port = env("PORT").unwrap_or_else(|| "8080".to_owned());
    let workers = env("WORKERS").and_then(|w| w.parse().ok()).unwrap_or(1);
    let engine = env("KHZ_ENGINE")
        .as_deref()
        .map_or(Some(Transport::Std), Transport::from_name)
        .ok_or_else(|| khz::Error::new(khz::ErrorKind::Config, "KHZ_ENGINE: std or epoll"))?;
    let server = Server::default()
        .transport(engine)
        .addr(format!("127.0.0.1:{port}"))
        .workers(workers)
        .print_routes(false)
        .h2c(true);
    server.get("/plaintext", plaintext);
    server.spin_blocking()
}

// ----- measuring side -----------------------------------------------------------------------

/// The results of one engine.
struct Row {
    engine: String,
    conns: usize,
    baseline: u64,
    busy: u64,
    idle: u64,
    after: u64,
    hwm: u64,
    errors: usize,
}

/// Kills the child server when dropped, so an early error never leaves it running.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn measure(opts: &Options, engine: &str) -> Result<Row, String> {
    let port = free_port().map_err(|e| format!("no free port: {e}"))?;
    let program = match &opts.server {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|e| format!("own path: {e}"))?,
    };
    let mut cmd = Command::new(&program);
    if opts.server.is_none() {
        cmd.arg("serve");
    }
    let child = cmd
        .env("PORT", port.to_string())
        .env("KHZ_ENGINE", engine)
        .env("WORKERS", "1")
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let mut child = ChildGuard(child);
    let pid = child.0.id();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    wait_until_listening(addr, &mut child.0)?;

    for _ in 0..WARMUP_CONNS {
        let mut s = connect(addr).map_err(|e| format!("warm-up connect: {e}"))?;
        round_trip(&mut s).map_err(|e| format!("warm-up request: {e}"))?;
    }
    let baseline = rss(pid)?.0;

    let started = Instant::now();
    let mut conns = Vec::with_capacity(opts.conns);
    for i in 0..opts.conns {
        let s = connect(addr).map_err(|e| format!("connection {i}: {e}"))?;
        conns.push(s);
    }
    let mut errors = one_request_each(&mut conns);
    eprintln!(
        "   {} connections opened and served once in {:.2?} ({errors} errors)",
        conns.len(),
        started.elapsed()
    );
    let busy = rss(pid)?.0;
    std::thread::sleep(opts.settle);
    let idle = rss(pid)?.0;

    let second = one_request_each(&mut conns);
    eprintln!("   second request on every connection: {second} errors");
    errors += second;
    let (after, hwm) = rss(pid)?;
    drop(conns);
    Ok(Row {
        engine: engine.to_owned(),
        conns: opts.conns,
        baseline,
        busy,
        idle,
        after,
        hwm,
        errors,
    })
}

/// Sends one request on every connection, then reads every response; returns the failures.
fn one_request_each(conns: &mut [TcpStream]) -> usize {
    let mut failed = vec![false; conns.len()];
    for (s, failed) in conns.iter_mut().zip(failed.iter_mut()) {
        *failed = s.write_all(REQUEST).is_err();
    }
    let mut buf = Vec::with_capacity(1024);
    for (i, (s, failed)) in conns.iter_mut().zip(failed.iter_mut()).enumerate() {
        if *failed {
            continue;
        }
        if let Err(e) = read_response(s, &mut buf) {
            if i < 5 {
                eprintln!("   connection {i}: {e}");
            }
            *failed = true;
        }
    }
    failed.iter().filter(|f| **f).count()
}

fn round_trip(s: &mut TcpStream) -> Result<(), String> {
    s.write_all(REQUEST).map_err(|e| e.to_string())?;
    read_response(s, &mut Vec::new())
}

/// Reads one `Content-Length`-framed response and checks its status and body.
fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
    buf.clear();
    let mut chunk = [0u8; 1024];
    loop {
        let n = s.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed by the server".to_owned());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let head = match resp.parse(buf) {
            Ok(httparse::Status::Complete(head)) => head,
            Ok(httparse::Status::Partial) => continue,
            Err(e) => return Err(format!("bad response: {e}")),
        };
        if resp.code != Some(200) {
            return Err(format!("status {:?}", resp.code));
        }
        let len: usize = resp
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
            .ok_or("response without Content-Length")?;
        if buf.len() < head + len {
            continue;
        }
        return if &buf[head..] == BODY {
            Ok(())
        } else {
            Err(format!(
                "unexpected body {:?}",
                String::from_utf8_lossy(&buf[head..])
            ))
        };
    }
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(GUARD))?;
    Ok(s)
}

/// A port that was free a moment ago (the child binds it).
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Polls until the child accepts connections (or exits, or [`GUARD`] passes).
fn wait_until_listening(addr: SocketAddr, child: &mut Child) -> Result<(), String> {
    let until = Instant::now() + GUARD;
    loop {
        if TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited at start-up: {status}"));
        }
        if Instant::now() > until {
            return Err(format!(
                "the server did not listen on {addr} within {GUARD:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `(VmRSS, VmHWM)` of process `pid`, in bytes.
fn rss(pid: u32) -> Result<(u64, u64), String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let field = |name: &str| -> Result<u64, String> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .ok_or_else(|| format!("{path}: no {name}"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit when it is below `want`; returns the soft
/// limit in force. Fails when even the hard limit is below `want`.
#[cfg(target_os = "linux")]
fn raise_nofile(want: u64) -> Result<u64, String> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut lim = getrlimit(Resource::Nofile);
    let soft = lim.current.unwrap_or(u64::MAX);
    if soft >= want {
        return Ok(soft);
    }
    let hard = lim.maximum.unwrap_or(u64::MAX);
    if hard < want {
        return Err(format!(
            "{want} descriptors needed but the hard RLIMIT_NOFILE is {hard}: raise it \
             (`ulimit -Hn {want}` as root) or pass a smaller --conns"
        ));
    }
    lim.current = lim.maximum;
    setrlimit(Resource::Nofile, lim).map_err(|e| format!("setrlimit(NOFILE): {e}"))?;
    Ok(hard)
}

/// Elsewhere the limit is left as it is (`ulimit -n` before running).
#[cfg(not(target_os = "linux"))]
fn raise_nofile(_want: u64) -> Result<u64, String> {
    Ok(0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn per_conn(total: u64, base: u64, n: usize) -> String {
    let per = total.saturating_sub(base) as f64 / n.max(1) as f64;
    format!("{per:.0} B")
}

fn print_table(rows: &[Row]) {
    println!(
        "| engine | conns | RSS baseline | RSS busy | RSS idle | per idle conn | per busy conn \
         | RSS after 2nd | VmHWM | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.engine,
            r.conns,
            mib(r.baseline),
            mib(r.busy),
            mib(r.idle),
            per_conn(r.idle, r.baseline, r.conns),
            per_conn(r.busy, r.baseline, r.conns),
            mib(r.after),
            mib(r.hwm),
            r.errors
        );
    }
}
