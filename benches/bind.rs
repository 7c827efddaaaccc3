//! Binding costs: a 10-field struct from path (2), query (4, one repeated) and a JSON body (4)
//! through `#[derive(khz::Bind)]`, against the same struct filled by hand the way a careful
//! handler would — path parameters parsed in place, the query decoded once with
//! `form_urlencoded`, the body parsed with sonic-rs into a plain serde struct. The context is
//! built once (`khz::ut::routed_context`: parsed and routed, no handler run) and bound in the
//! loop, so only binding is measured. A third case adds `Validate` (three `vd` rules, one a
//! regexp) to the derived bind.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use khz::app::bind::Validate;
use khz::prelude::*;
use khz::ut::routed_context;
use serde::Deserialize;

#[derive(khz::Bind)]
struct Order {
    #[bind(path)]
    shop: String,
    #[bind(path)]
    id: u64,
    #[bind(query)]
    #[vd("$ > 0")]
    page: u32,
    #[bind(query, default = "20")]
    #[vd("$ <= 100")]
    size: u32,
    #[bind(query)]
    sort: Option<String>,
    #[bind(query)]
    tags: Vec<String>,
    #[vd("regexp('^[a-z ]+$')")]
    name: String,
    price: f64,
    quantity: u32,
    note: Option<String>,
}

#[derive(Deserialize)]
struct OrderJson {
    name: String,
    price: f64,
    quantity: u32,
    note: Option<String>,
}

/// What a handler writing the same thing by hand would do (errors collapse to `None`).
fn by_hand(ctx: &RequestContext) -> Option<Order> {
    let shop = ctx.param("shop")?.to_string();
    let id = ctx.param("id")?.parse().ok()?;
    let (mut page, mut size, mut sort, mut tags) = (None, 20, None, Vec::new());
    for (k, v) in form_urlencoded::parse(ctx.query_string()?.as_bytes()) {
        match &*k {
            "page" => page = Some(v.parse().ok()?),
            "size" => size = v.parse().ok()?,
            "sort" => sort = Some(v.into_owned()),
            "tags" => tags.push(v.into_owned()),
            _ => {}
        }
    }
    let j: OrderJson = sonic_rs::from_slice(ctx.body()).ok()?;
    Some(Order {
        shop,
        id,
        page: page?,
        size,
        sort,
        tags,
        name: j.name,
        price: j.price,
        quantity: j.quantity,
        note: j.note,
    })
}

async fn unused(_: &mut RequestContext) {}

fn bind(c: &mut Criterion) {
    let server = Server::new();
    server.post("/shops/:shop/orders/:id", unused);
    let body = r#"{"name":"blue widget","price":12.5,"quantity":3,"note":"gift wrap"}"#;
    let ctx = match routed_context(
        &server,
        Method::POST,
        "/shops/acme/orders/12345?page=2&size=50&sort=price&tags=new&tags=sale",
        body,
        &[("Content-Type", "application/json")],
    ) {
        Ok(ctx) => ctx,
        Err(r) => panic!("context: {}", r.text()),
    };
    // Both ways agree before anything is timed.
    let (derived, manual) = match (ctx.bind::<Order>(), by_hand(&ctx)) {
        (Ok(d), Some(m)) => (d, m),
        _ => panic!("binding failed"),
    };
    assert_eq!(
        (derived.id, derived.tags.len()),
        (manual.id, manual.tags.len())
    );
    assert_eq!((derived.name, derived.note), (manual.name, manual.note));
    assert_eq!((derived.shop, derived.sort), (manual.shop, manual.sort));
    assert!(manual.price > 0.0 && manual.quantity == 3 && derived.size == 50);
    assert!(ctx.bind_and_validate::<Order>().is_ok());

    let mut g = c.benchmark_group("bind_10_fields");
    g.bench_function("derive_bind", |b| {
        b.iter(|| black_box(black_box(&ctx).bind::<Order>().is_ok()))
    });
    g.bench_function("by_hand", |b| {
        b.iter(|| black_box(by_hand(black_box(&ctx)).is_some()))
    });
    g.bench_function("derive_bind_and_validate", |b| {
        b.iter(|| {
            let v = black_box(&ctx).bind::<Order>();
            black_box(v.is_ok_and(|o| o.validate().is_ok()))
        })
    });
    g.finish();
}

criterion_group!(benches, bind);
criterion_main!(benches);
