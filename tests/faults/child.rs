//! A khz server in a child process, for faults that must not touch the test process itself
//! (running out of file descriptors). The test binary re-executes itself on one test
//! (`--exact <name> --nocapture`) with [`ENGINE_ENV`] set; that test sees the variable and plays
//! the child. The two talk over pipes: the child prints `key=value` lines on stdout, takes
//! commands on stdin, logs to stderr (collected in a [`LogBook`]), and exits when its stdin
//! closes — or is killed when the parent's [`ChildServer`] is dropped.

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::time::Duration;

use khz::prelude::Transport;
use tokio::sync::mpsc;

use crate::observe::{LogBook, LOG_GUARD};

/// Set (to the engine's name) in the child's environment: "you are the server".
pub const ENGINE_ENV: &str = "KHZ_FAULTS_CHILD_ENGINE";

/// The engine this process must serve with, if it is a child.
pub fn child_engine() -> Option<Transport> {
    let name = std::env::var(ENGINE_ENV).ok()?;
    Some(Transport::from_name(&name).unwrap_or_else(|| panic!("bad {ENGINE_ENV}={name:?}")))
}

/// The parent's side of a child server.
pub struct ChildServer {
    process: Option<std::process::Child>,
    pid: u32,
    stdin: Option<ChildStdin>,
    stdout: mpsc::UnboundedReceiver<String>,
    /// The child's stderr, line by line.
    pub log: LogBook,
}

impl ChildServer {
    /// Re-executes this test binary on test `test_name` as a child serving with `engine`.
    pub fn spawn(test_name: &str, engine: Transport) -> ChildServer {
        let exe = std::env::current_exe().expect("path of the test binary");
        let mut process = Command::new(exe)
            .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
            .env(ENGINE_ENV, engine.name())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the child server");
        let (tx, stdout) = mpsc::unbounded_channel();
        let out = process.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let log = LogBook::new();
        let err = process.stderr.take().expect("piped stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                sink.push(line);
            }
        });
        let stdin = process.stdin.take();
        ChildServer {
            pid: process.id(),
            process: Some(process),
            stdin,
            stdout,
            log,
        }
    }

    /// The value of the next `key=value` the child prints at the end of a line (other lines,
    /// such as the test harness's, are skipped).
    pub async fn read_value(&mut self, key: &str) -> String {
        let prefix = format!("{key}=");
        let deadline = tokio::time::Instant::now() + LOG_GUARD;
        loop {
            match tokio::time::timeout_at(deadline, self.stdout.recv()).await {
                Ok(Some(line)) => {
                    // The harness may have started the line (`test name ... `).
                    if let Some((_, value)) = line.rsplit_once(&prefix) {
                        return value.trim().to_owned();
                    }
                }
                Ok(None) => panic!(
                    "the child exited before printing {key}; its stderr:\n{}",
                    self.log.lines().join("\n")
                ),
                Err(_) => panic!("the child printed no {key} within {LOG_GUARD:?}"),
            }
        }
    }

    /// Sends one command line to the child.
    pub fn tell(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().expect("child stdin open");
        writeln!(stdin, "{command}").expect("write to the child");
        stdin.flush().expect("flush to the child");
    }

    /// CPU time (user + system) the child has used so far, from `/proc/<pid>/stat`.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .expect("read the child's /proc stat");
        // `pid (comm) state ...`: comm may hold spaces, so count fields after the last ')'.
        let after = &stat[stat.rfind(')').expect("comm in stat") + 1..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        // Fields 14 (utime) and 15 (stime) of proc(5); `state` (field 3) is fields[0].
        let ticks: u64 =
            fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
        let hz = rustix::param::clock_ticks_per_second();
        Duration::from_secs_f64(ticks as f64 / hz as f64)
    }

    /// Closes the child's stdin (its signal to exit) and waits for it to exit successfully.
    pub async fn finish(mut self) {
        drop(self.stdin.take());
        let mut process = self.process.take().expect("child not finished yet");
        let waited = tokio::time::timeout(
            LOG_GUARD,
            tokio::task::spawn_blocking(move || process.wait()),
        )
        .await;
        let Ok(waited) = waited else {
            let pid = rustix::process::Pid::from_raw(self.pid as i32).expect("child pid");
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            panic!("the child did not exit within {LOG_GUARD:?} after its stdin closed");
        };
        let status = waited.expect("wait task").expect("wait for the child");
        assert!(status.success(), "child exited with {status}");
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

// ----- the child's side ---------------------------------------------------------------------

/// Prints `key=value` for the parent.
pub fn report(key: &str, value: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{key}={value}").expect("write to the parent");
    out.flush().expect("flush to the parent");
}

/// Runs `on_command` on every line the parent sends, on a thread of its own; exits the process
/// when the parent closes stdin (or goes away).
pub fn serve_commands(mut on_command: impl FnMut(&str) + Send + 'static) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(line) => on_command(line.trim()),
                Err(_) => break,
            }
        }
        std::process::exit(0);
    });
}

/// The `RLIMIT_NOFILE` that leaves this process about `free` more descriptors: descriptors
/// are allocated lowest number first, so the limit sits just above the `free`-th unused number
/// (inherited descriptors with high numbers stay usable, they are open already).
pub fn limit_leaving(free: usize) -> u64 {
    let open: std::collections::BTreeSet<u64> = std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .collect();
    // (The listing's own descriptor is among `open` but closed by now: one more is free.)
    (0..)
        .filter(|fd| !open.contains(fd))
        .nth(free.saturating_sub(1))
        .map_or(0, |fd| fd + 1)
}

/// Lowers this process's soft `RLIMIT_NOFILE` to `limit` (descriptors `0..limit` usable).
pub fn limit_open_files(limit: u64) {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let old = getrlimit(Resource::Nofile);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(limit),
            maximum: old.maximum,
        },
    )
    .expect("lower RLIMIT_NOFILE");
}
