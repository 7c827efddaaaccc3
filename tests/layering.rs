//! Proves the layering rule of `docs/ARCHITECTURE.md`: a layer imports only the layers below it.
//! `common` < `transport` < `protocol` < `route` < `app`; `route` needs neither sockets nor HTTP
//! parsing. The test reads every source file of a layer and fails on any path that reaches a
//! layer it may not use (`crate::app`, `super::super::route`, grouped `crate::{…}` imports and
//! intra-doc links included).

use std::fs;
use std::path::{Path, PathBuf};

const LAYERS: [&str; 6] = [
    "common",
    "transport",
    "protocol",
    "route",
    "app",
    "middleware",
];

/// Layers each layer must not reference.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "common" => &["transport", "protocol", "route", "app", "middleware"],
        "transport" => &["protocol", "route", "app", "middleware"],
        "protocol" => &["route", "app", "middleware"],
        "route" => &["transport", "protocol", "app", "middleware"],
        _ => &[],
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every layer name reached through `crate::`, including inside `crate::{a, b::c}` groups.
fn referenced_layers(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let mut rest = line;
        while let Some(pos) = rest.find("crate::") {
            rest = &rest[pos + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end].split(',').map(str::trim).collect()
            } else {
                vec![rest]
            };
            for name in names {
                let ident: String = name
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if LAYERS.contains(&ident.as_str()) {
                    found.push((i + 1, ident));
                }
            }
        }
    }
    found
}

#[test]
fn layers_import_only_downward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for layer in LAYERS {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "layer {layer} has no files");
        for file in files {
            let text = fs::read_to_string(&file).unwrap();
            for (line, target) in referenced_layers(&text) {
                if forbidden(layer).contains(&target.as_str()) {
                    violations.push(format!("{}:{line}: {layer} -> {target}", file.display()));
                }
            }
            if forbidden(layer)
                .iter()
                .any(|f| text.contains(&format!("super::super::{f}")))
            {
                violations.push(format!("{}: reaches up with super::super", file.display()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_and_plain_paths() {
    let found = referenced_layers(
        "use crate::{common::Error, app::Server};\nlet x = crate::route::Router::new();",
    );
    let names: Vec<_> = found.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["common", "app", "route"]);
}

/// Files under `tests/` allowed to call `Server::start` themselves: the start helpers, and the
/// allocation-count test (its own global allocator and engine loop; not part of `epoll.rs`).
/// `faults.rs` picks the engine of every test itself (a `_std` and an `_epoll` test per case).
const STARTS_SERVERS_ITSELF: [&str; 4] = [
    "common/mod.rs",
    "proto/mod.rs",
    "alloc_count.rs",
    "faults.rs",
];

/// Ways of running a server that bypass the start helpers (and so `common::engine()`).
const DIRECT_STARTS: [&str; 4] = [".start()", "Server::start", ".spin()", ".spin_blocking()"];

#[test]
fn suite_servers_start_through_the_helpers() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files = Vec::new();
    rust_files(&tests, &mut files);
    let mut violations = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&tests)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "layering.rs"
            || rel.starts_with("ui/")
            || STARTS_SERVERS_ITSELF.contains(&rel.as_str())
        {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some(call) = DIRECT_STARTS.iter().find(|c| line.contains(*c)) {
                violations.push(format!("tests/{rel}:{}: {call}", i + 1));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "servers started around the helpers escape the engine choice (use common::start, \
         common::try_start, Proto::start or At::start):\n{}",
        violations.join("\n")
    );
}
