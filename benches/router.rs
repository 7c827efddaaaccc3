//! Lookup benchmark for the route layer: loads the shared peer route table
//! (`routes.txt`, `METHOD PATH HANDLER` lines, `#` comments) into a
//! `Router<usize>` and times `find` for a static route, a two-parameter
//! route, a catch-all and a miss.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use http::Method;
// The router is internal: benches reach it through the hidden `__bench` door.
use khz::__bench::Router;

const ROUTES: &str = include_str!("routes.txt");

fn load() -> Router<usize> {
    let mut router = Router::new();
    let lines = ROUTES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    for (i, line) in lines.enumerate() {
        let mut fields = line.split_whitespace();
        let (Some(method), Some(path)) = (fields.next(), fields.next()) else {
            panic!("bad route line: {line:?}");
        };
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        router
            .insert(&method, path, i)
            .unwrap_or_else(|e| panic!("{line:?}: {e}"));
    }
    router
}

fn bench_find(c: &mut Criterion) {
    let router = load();
    let cases = [
        ("static", "/user/starred", true),
        ("two_params", "/api/users/123/posts/456", true),
        ("catch_all", "/static/css/site/main.css", true),
        ("miss", "/nope/not/here", false),
    ];
    let mut group = c.benchmark_group("find");
    for (name, path, hit) in cases {
        assert_eq!(router.find(&Method::GET, path).is_some(), hit, "{path}");
        group.bench_function(name, |b| {
            b.iter(|| {
                router
                    .find(black_box(&Method::GET), black_box(path))
                    .map(|m| *m.value)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_find);
criterion_main!(benches);
