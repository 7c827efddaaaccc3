//! The whole end-to-end suite a second time, on the epoll engine: every suite file under
//! `tests/` is included here as a module, so `cargo test` builds it into this one extra test
//! binary, in which `common::engine()` answers `Transport::Epoll` (it looks at the name of the
//! crate being compiled) and every server the suite starts goes through it. The files' own
//! test crates run the same tests on the std engine. Run only this half with
//! `cargo test --all-features --test epoll`, one file with `… --test epoll http2::`.
//! `engine_choice.rs` proves the servers really run on epoll workers here (and not there), and
//! `tests/layering.rs` that no suite file starts a server around the helpers.
//!
//! Not included: `layering.rs` (source checks, no server), `bind_ui.rs` (trybuild compile-fail
//! tests), `alloc_count.rs` (a global counting allocator; it runs both engines itself) and
//! `faults.rs` (a global log capture; every case has a `_std` and an `_epoll` test).
//! [`every_suite_file_is_included`] fails when a new file under `tests/` is neither included
//! here nor listed in [`NOT_INCLUDED`].

// Each suite file is also a test crate of its own, so it declares its helper modules
// (`mod common;`, `mod proto;`) itself; included here, every file keeps its own copy of them.
#![allow(clippy::duplicate_mod)]

#[path = "api_chain.rs"]
mod api_chain;
#[cfg(feature = "macros")]
#[path = "api_errors.rs"]
mod api_errors;
#[path = "api_options.rs"]
mod api_options;
#[cfg(all(feature = "macros", feature = "multipart"))]
#[path = "bind_multipart.rs"]
mod bind_multipart;
#[path = "binding.rs"]
mod binding;
#[path = "body_stream.rs"]
mod body_stream;
#[path = "client_ip.rs"]
mod client_ip;
#[path = "clients.rs"]
mod clients;
#[path = "cookies.rs"]
mod cookies;
#[path = "engine_choice.rs"]
mod engine_choice;
#[path = "forms.rs"]
mod forms;
#[path = "handlers.rs"]
mod handlers;
#[path = "hijack.rs"]
mod hijack;
#[path = "http1_bad_input.rs"]
mod http1_bad_input;
#[path = "http1_basics.rs"]
mod http1_basics;
#[path = "http1_smuggling.rs"]
mod http1_smuggling;
#[cfg(feature = "http2")]
#[path = "http2.rs"]
mod http2;
#[cfg(feature = "http2")]
#[path = "http2_bad_input.rs"]
mod http2_bad_input;
#[cfg(feature = "http2")]
#[path = "http2_clients.rs"]
mod http2_clients;
#[cfg(feature = "http2")]
#[path = "http2_shutdown.rs"]
mod http2_shutdown;
#[cfg(feature = "http2")]
#[path = "http2_timeouts.rs"]
mod http2_timeouts;
#[cfg(feature = "http3")]
#[path = "http3.rs"]
mod http3;
#[cfg(feature = "http3")]
#[path = "http3_alt_svc.rs"]
mod http3_alt_svc;
#[cfg(feature = "http3")]
#[path = "http3_app.rs"]
mod http3_app;
#[cfg(feature = "http3")]
#[path = "http3_bad_input.rs"]
mod http3_bad_input;
#[cfg(feature = "http3")]
#[path = "http3_limits.rs"]
mod http3_limits;
#[cfg(feature = "http3")]
#[path = "http3_python.rs"]
mod http3_python;
#[cfg(feature = "http3")]
#[path = "http3_reload.rs"]
mod http3_reload;
#[cfg(feature = "http3")]
#[path = "http3_shutdown.rs"]
mod http3_shutdown;
#[cfg(feature = "http3")]
#[path = "http3_zero_rtt.rs"]
mod http3_zero_rtt;
#[path = "lifecycle.rs"]
mod lifecycle;
#[cfg(feature = "requestid")]
#[path = "middleware_requestid.rs"]
mod middleware_requestid;
#[cfg(feature = "secure")]
#[path = "middleware_secure.rs"]
mod middleware_secure;
#[path = "multipart.rs"]
mod multipart;
#[path = "render.rs"]
mod render;
#[path = "routing.rs"]
mod routing;
#[path = "static_files.rs"]
mod static_files;
#[path = "streaming_response.rs"]
mod streaming_response;
#[path = "tls.rs"]
mod tls;
#[path = "trailers.rs"]
mod trailers;

/// Test crates under `tests/` deliberately left out of this one, with the reason.
const NOT_INCLUDED: [(&str, &str); 7] = [
    ("epoll.rs", "this file"),
    (
        "fuzz_regressions.rs",
        "parser inputs found by the fuzzers, run in-process, starts no server",
    ),
    ("layering.rs", "source checks only, starts no server"),
    (
        "parser_differential.rs",
        "parsers against llhttp, run in-process, starts no server",
    ),
    (
        "bind_ui.rs",
        "trybuild compile-fail tests, starts no server",
    ),
    (
        "alloc_count.rs",
        "installs a global allocator; loops over both engines itself",
    ),
    (
        "faults.rs",
        "global log capture and a re-executed child; has a _std and an _epoll test per case",
    ),
];

#[test]
fn every_suite_file_is_included() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = std::fs::read_to_string(dir.join("epoll.rs")).expect("read tests/epoll.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read tests/") {
        let path = entry.expect("directory entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".rs") || NOT_INCLUDED.iter().any(|(n, _)| *n == name) {
            continue;
        }
        if !this.contains(&format!("#[path = \"{name}\"]")) {
            missing.push(name.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "{} must run on the epoll engine too: add `#[path = \"<file>\"] mod <name>;` to \
         tests/epoll.rs, or list the file in NOT_INCLUDED with the reason",
        missing.join(", ")
    );
}
