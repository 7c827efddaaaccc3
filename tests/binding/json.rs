//! In-process (`khz::ut`) table of JSON bodies: nested structs, renamed, absent, `null` and
//! defaulted fields, maps, enums, JSON media types, wrong types naming their JSON path, syntax
//! errors naming their position, and 415 for other bodies.

// The bound structs are read through their `Debug` output.
#![allow(dead_code)]

use std::collections::BTreeMap;

use khz::prelude::*;
use khz::ut::perform_request;
use serde::Deserialize;

use super::support::{call, echo, err, ok, JSON};
use super::Priority;

#[derive(Debug, Deserialize)]
struct Address {
    city: String,
    zip: Option<u32>,
}

#[derive(Debug, khz::Bind)]
struct JsonBody {
    name: String,
    #[bind(json = "userAge")]
    age: u8,
    #[bind(json)]
    address: Address,
    tags: Vec<String>,
    nickname: Option<String>,
    scores: BTreeMap<String, f64>,
    #[bind(json, default = "high")]
    priority: Priority,
    #[bind(query)]
    dry_run: Option<bool>,
}

#[tokio::test]
async fn json_body() {
    let s = Server::new();
    s.post("/j", echo::<JsonBody>);
    let body = r#"{"name":"ann","userAge":30,"address":{"city":"Oslo"},"tags":["a"],
                  "scores":{"x":1.5},"nickname":null,"unknown":[1,2]}"#;
    let r = call(
        &s,
        "/j?dry_run=t",
        body,
        &[("content-type", "application/json; charset=utf-8")],
    )
    .await;
    assert_eq!(
        ok(&r),
        "JsonBody { name: \"ann\", age: 30, address: Address { city: \"Oslo\", zip: None }, \
         tags: [\"a\"], nickname: None, scores: {\"x\": 1.5}, priority: High, dry_run: Some(true) }"
    );
    // `application/*+json` is JSON too; absent Vec → empty, absent Option → None.
    let body =
        r#"{"name":"b","userAge":1,"address":{"city":"c","zip":123},"scores":{},"priority":"low"}"#;
    let r = call(
        &s,
        "/j",
        body,
        &[("Content-Type", "application/merge-patch+json")],
    )
    .await;
    assert!(
        ok(&r).contains("zip: Some(123) }, tags: [], nickname: None, scores: {}, priority: Low")
    );

    let good = r#""userAge":1,"address":{"city":"c"},"scores":{}"#;
    for (body, status, field, message) in [
        // Wrong types name their JSON path.
        (
            r#"{"name":1,"userAge":1,"address":{"city":"c"},"scores":{}}"#,
            400,
            Some("name"),
            "invalid type: integer `1`, expected a string",
        ),
        (
            r#"{"name":"a","userAge":300,"address":{"city":"c"},"scores":{}}"#,
            400,
            Some("userAge"),
            "invalid JSON field `userAge`",
        ),
        (
            r#"{"name":"a","userAge":1,"address":{"city":"c","zip":"x"},"scores":{}}"#,
            400,
            Some("address.zip"),
            "expected u32",
        ),
        (
            r#"{"name":"a","userAge":1,"address":{"city":"c"},"scores":{},"tags":["a",2]}"#,
            400,
            Some("tags[1]"),
            "expected a string",
        ),
        (
            r#"{"name":"a","userAge":1,"address":{"city":"c"},"scores":{},"priority":"mid"}"#,
            400,
            Some("priority"),
            "unknown variant `mid`",
        ),
        // Missing (or null) required fields.
        (
            &format!(r#"{{{good}}}"#),
            400,
            Some("name"),
            "missing required JSON field `name`",
        ),
        (
            &format!(r#"{{"name":null,{good}}}"#),
            400,
            Some("name"),
            "missing required JSON field",
        ),
        (
            r#"{"name":"a","userAge":1,"scores":{}}"#,
            400,
            Some("address"),
            "missing required JSON field `address`",
        ),
        // Syntax errors name the position.
        (
            "{\"name\":\"a\",}",
            400,
            None,
            "at line 1 column 13 (byte 12)",
        ),
        (
            "{\"name\":\n\"a\"",
            400,
            None,
            "EOF while parsing at line 2 column 3 (byte 11)",
        ),
        (
            "\"text\"",
            400,
            None,
            "expected a JSON object (the body of `JsonBody`)",
        ),
    ] {
        let r = call(&s, "/j", body, &[JSON]).await;
        err(&r, status, field, message);
    }
    // Not JSON, or no Content-Type: 415.
    let r = call(
        &s,
        "/j",
        r#"{"name":"a"}"#,
        &[("Content-Type", "text/plain")],
    )
    .await;
    err(
        &r,
        415,
        None,
        "expected Content-Type application/json, got `text/plain`",
    );
    let r = call(&s, "/j", r#"{"name":"a"}"#, &[]).await;
    err(&r, 415, None, "got none");
    // An empty body: every JSON field is absent.
    let r = perform_request(&s, Method::POST, "/j", "", &[JSON]).await;
    err(&r, 400, Some("name"), "missing required JSON field");
}
