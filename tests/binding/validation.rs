//! In-process (`khz::ut`) table of `#[vd]` validation: each operator and function, `nil`,
//! cross-field references, custom messages, custom field and struct-level functions, and
//! evaluation errors. Every field's default passes its rule; each case overrides one value so
//! that exactly one rule fails, and checks the error names that field.

use khz::app::bind::BindErrorKind;
use khz::prelude::*;
use khz::ut::perform_request;

fn must_be_ok(v: &String) -> Result<(), String> {
    if v == "ok" {
        Ok(())
    } else {
        Err(format!("`{v}` is not ok"))
    }
}

#[derive(Debug, khz::Bind)]
#[vd(func = Rules::not_too_far)]
struct Rules {
    /// Arithmetic: + - * / %.
    #[bind(query, default = "5")]
    #[vd("$ + 1 == 6 && $ - 1 == 4 && $ * 2 == 10 && $ / 2 == 2.5 && $ % 2 == 1")]
    arith: i64,
    /// Comparisons: > >= < <= !=.
    #[bind(query, default = "3")]
    #[vd("$ > 0 && $ >= 1 && $ < 10 && $ <= 9 && $ != 4")]
    cmp: i64,
    /// Booleans: !, ||, literals.
    #[bind(query, default = "true")]
    #[vd("!(!$) && ($ || false) && $ == true")]
    flag: bool,
    /// Floats, unary minus, parentheses.
    #[bind(query, default = "1.5")]
    #[vd("$ > 1 && $ < -(-2.0) && ($ + 0.5) * 2 == 4")]
    float: f64,
    /// `len` counts bytes (as Hertz's), string concatenation.
    #[bind(query, default = "abc")]
    #[vd("len($) <= 3 && $ + 'd' == 'abcd' || len($) < 3")]
    bytes: String,
    /// `mblen` counts characters.
    #[bind(query, default = "héé")]
    #[vd("mblen($) <= 3")]
    chars: String,
    /// `regexp` on this field.
    #[bind(query, default = "abc")]
    #[vd("regexp('^[a-z]+$')")]
    word: String,
    /// `regexp` on another field; this one must be a letter.
    #[bind(query, default = "a")]
    #[vd("regexp('^[0-9]+$', (digits)$) && in($, 'a', 'b')")]
    letter: char,
    #[bind(query, default = "123")]
    digits: String,
    /// `email`, `nil` for an absent `Option`.
    #[bind(query)]
    #[vd("$ == nil || email()")]
    mail: Option<String>,
    /// `in` with numbers.
    #[bind(query, default = "2")]
    #[vd("in($, 1, 2, 3)")]
    level: u8,
    /// Cross-field: not below `cmp`.
    #[bind(query, default = "10")]
    #[vd("$ >= (cmp)$")]
    max: u32,
    /// `len` of a list.
    #[bind(query)]
    #[vd("len($) <= 2")]
    tags: Vec<String>,
    /// A custom message.
    #[bind(query, default = "x")]
    #[vd("len($) == 1", msg = "one character, please")]
    one: String,
    /// A custom function, and a custom function with a custom message.
    #[bind(query, default = "ok")]
    #[vd(func = must_be_ok)]
    checked: String,
    #[bind(query, default = "ok")]
    #[vd(func = must_be_ok, msg = "say ok")]
    checked_msg: String,
}

impl Rules {
    fn not_too_far(&self) -> Result<(), String> {
        if self.max <= 100 {
            Ok(())
        } else {
            Err(format!("max {} is too far", self.max))
        }
    }
}

#[derive(Debug, khz::Bind)]
struct Eval {
    #[bind(query)]
    #[vd("$ > 0")]
    n: Option<i32>,
    #[bind(query, default = "1")]
    #[vd("10 / ($ - 1) > 0")]
    d: i32,
}

async fn rules(ctx: &mut RequestContext) -> khz::Result<()> {
    let r = ctx.bind_and_validate::<Rules>()?;
    ctx.string(StatusCode::OK, format!("{} {:?}", r.word, r.mail));
    Ok(())
}

async fn eval(ctx: &mut RequestContext) -> khz::Result<()> {
    // Binding alone does not validate.
    let e = ctx.bind::<Eval>()?;
    match ctx.validate(&e) {
        Ok(()) => ctx.string(StatusCode::OK, "valid"),
        Err(err) => {
            assert!(matches!(err.kind(), BindErrorKind::Validation { .. }));
            ctx.abort_with_bind_error(&err)
        }
    }
    Ok(())
}

async fn check(s: &Server, url: &str, field: Option<&str>, message: &str) {
    let r = perform_request(s, Method::GET, url, "", &[]).await;
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap_or_else(|_| {
        panic!(
            "{url}: expected a JSON error, got {} {}",
            r.status(),
            r.text()
        )
    });
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{url}: {v}");
    assert_eq!(v.get("field").and_then(|f| f.as_str()), field, "{url}: {v}");
    let m = v["message"].as_str().unwrap_or_default();
    assert!(
        m.contains(message),
        "{url}: message {m:?} lacks {message:?}"
    );
}

#[tokio::test]
async fn every_rule_passes_and_fails() {
    let s = Server::new();
    s.get("/r", rules);
    let r = perform_request(
        &s,
        Method::GET,
        "/r?tags=a&tags=b&mail=ann%40example.com",
        "",
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text());
    assert_eq!(r.text(), "abc Some(\"ann@example.com\")");

    let default = |expr: &str| format!("is invalid: `{expr}` is false");
    for (query, field, message) in [
        (
            "arith=6",
            "arith",
            default("$ + 1 == 6 && $ - 1 == 4 && $ * 2 == 10 && $ / 2 == 2.5 && $ % 2 == 1"),
        ),
        (
            "cmp=0",
            "cmp",
            default("$ > 0 && $ >= 1 && $ < 10 && $ <= 9 && $ != 4"),
        ),
        ("cmp=4", "cmp", "`cmp` is invalid".into()),
        ("cmp=10&max=10", "cmp", "`cmp` is invalid".into()),
        ("flag=0", "flag", "`flag` is invalid".into()),
        ("float=2", "float", "`float` is invalid".into()),
        ("float=0.5", "float", "`float` is invalid".into()),
        ("bytes=h%C3%A9j", "bytes", "`bytes` is invalid".into()),
        ("chars=h%C3%A9%C3%A9j", "chars", default("mblen($) <= 3")),
        ("word=ab1", "word", default("regexp('^[a-z]+$')")),
        ("digits=12a", "letter", "`letter` is invalid".into()),
        ("letter=c", "letter", "`letter` is invalid".into()),
        ("mail=ann%40example", "mail", default("$ == nil || email()")),
        ("level=4", "level", default("in($, 1, 2, 3)")),
        ("cmp=5&max=4", "max", default("$ >= (cmp)$")),
        ("tags=a&tags=b&tags=c", "tags", default("len($) <= 2")),
        ("one=xy", "one", "one character, please".into()),
        (
            "checked=no",
            "checked",
            "`checked` is invalid: `no` is not ok".into(),
        ),
        ("checked_msg=no", "checked_msg", "say ok".into()),
    ] {
        check(&s, &format!("/r?{query}"), Some(field), &message).await;
    }
    // Passing values other than the defaults.
    for query in [
        "bytes=ab",
        "chars=h%C3%A9j",
        "cmp=9&max=9",
        "letter=b",
        "level=3",
    ] {
        let r = perform_request(&s, Method::GET, &format!("/r?{query}"), "", &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{query}: {}", r.text());
    }
    // The struct-level function runs after the field rules, and names no field.
    check(&s, "/r?max=101", None, "max 101 is too far").await;
    // The first failing rule wins.
    check(&s, "/r?arith=0&one=xy", Some("arith"), "`arith` is invalid").await;
}

#[tokio::test]
async fn evaluation_errors_fail_the_rule() {
    let s = Server::new();
    s.get("/e", eval);
    let r = perform_request(&s, Method::GET, "/e?n=1&d=2", "", &[]).await;
    assert_eq!((r.status(), r.text().as_str()), (StatusCode::OK, "valid"));
    check(
        &s,
        "/e?n=-1&d=2",
        Some("n"),
        "`n` is invalid: `$ > 0` is false",
    )
    .await;
    check(
        &s,
        "/e?d=2",
        Some("n"),
        "`$ > 0`: cannot compare nil with int",
    )
    .await;
    check(
        &s,
        "/e?n=1",
        Some("d"),
        "`10 / ($ - 1) > 0`: division by zero",
    )
    .await;
}
