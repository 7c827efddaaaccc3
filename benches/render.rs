//! Response rendering costs. `encode_head` + `encode_body` of a 200 plain-text response and of
//! a JSON response into a reused `WriteBuffer` (cleared between iterations, so nothing is
//! allocated: this is the per-response encoding work of the HTTP/1.1 driver). And the JSON
//! serialization of `{"message":"Hello, World!"}`: `sonic_rs::to_writer` into a reused `Vec`
//! (what `RequestContext::json` does) against `serde_json::to_vec` (a fresh `Vec` each time) and
//! `serde_json::to_writer` into a reused `Vec` (the serializer alone) — the reason khz renders
//! JSON with sonic-rs into the response's scratch buffer.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http::header::{self, HeaderValue};
use http::Version;
use khz::__bench::{encode_body, encode_head, framing_for, H1Config, WriteBuffer};
use khz::protocol::Response;
use serde::Serialize;

#[derive(Serialize)]
struct Message<'a> {
    message: &'a str,
}

const HELLO: Message<'static> = Message {
    message: "Hello, World!",
};

fn text_response() -> Response {
    let mut r = Response::default();
    r.set_header(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.set_body("Hello, World!");
    r
}

fn json_response() -> Response {
    let mut r = Response::default();
    r.set_header(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    sonic_rs::to_writer(r.scratch_body(), &HELLO).expect("serialize");
    r
}

fn bench_encode(c: &mut Criterion) {
    let cfg = H1Config::default();
    let mut w = WriteBuffer::new();
    let mut group = c.benchmark_group("encode");
    for (name, resp) in [("text_200", text_response()), ("json_200", json_response())] {
        let framing = framing_for(&resp, Version::HTTP_11);
        encode_head(&mut w, &resp, &cfg, framing, true, Version::HTTP_11);
        encode_body(&mut w, &resp);
        group.throughput(Throughput::Bytes(w.len() as u64));
        w.clear();
        group.bench_function(name, |b| {
            b.iter(|| {
                let resp = black_box(&resp);
                let framing = framing_for(resp, Version::HTTP_11);
                encode_head(&mut w, resp, &cfg, framing, true, Version::HTTP_11);
                encode_body(&mut w, resp);
                let n = w.len();
                w.clear();
                n
            })
        });
    }
    group.finish();
}

fn bench_json(c: &mut Criterion) {
    let mut out = Vec::with_capacity(64);
    let len = serde_json::to_vec(&HELLO).expect("serialize").len();
    let mut group = c.benchmark_group("json_hello");
    group.throughput(Throughput::Bytes(len as u64));
    group.bench_function("sonic_to_writer_reused_vec", |b| {
        b.iter(|| {
            out.clear();
            sonic_rs::to_writer(&mut out, black_box(&HELLO)).expect("serialize");
            out.len()
        })
    });
    group.bench_function("serde_json_to_vec", |b| {
        b.iter(|| serde_json::to_vec(black_box(&HELLO)).expect("serialize"))
    });
    group.bench_function("serde_json_to_writer_reused_vec", |b| {
        b.iter(|| {
            out.clear();
            serde_json::to_writer(&mut out, black_box(&HELLO)).expect("serialize");
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_encode, bench_json);
criterion_main!(benches);
