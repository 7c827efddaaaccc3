//! Behaviour tests for [`Router`]: matching, priority, parameters,
//! conflicts, aliases and robustness against odd request paths.
//!
//! Part of the route layer's unit tests; the pattern, cleaning and redirect
//! pieces keep their own tests beside their code.

use http::Method;

use super::{RouteError, Router};

fn router(routes: &[(&Method, &str)]) -> Router<usize> {
    let mut r = Router::new();
    for (i, (m, p)) in routes.iter().enumerate() {
        if let Err(e) = r.insert(m, p, i) {
            panic!("insert {m} {p}: {e}");
        }
    }
    r
}

/// `(value, params)` of a GET lookup, for compact assertions.
fn get(r: &Router<usize>, path: &str) -> Option<(usize, Vec<(String, String)>)> {
    let m = r.find(&Method::GET, path)?;
    let params = m
        .params
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Some((*m.value, params))
}

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn conflict(r: &mut Router<usize>, method: &Method, route: &str) -> String {
    match r.insert(method, route, 99) {
        Err(e @ RouteError::Conflict { .. }) => e.to_string(),
        other => panic!("{route}: expected conflict, got {other:?}"),
    }
}

#[test]
fn static_param_catch_all_and_priority() {
    let g = &Method::GET;
    let r = router(&[
        (g, "/"),
        (g, "/users/new"),
        (g, "/users/:id"),
        (g, "/users/:id/posts/:post"),
        (g, "/*rest"),
    ]);
    assert_eq!(get(&r, "/"), Some((0, vec![])));
    assert_eq!(get(&r, "/users/new"), Some((1, vec![])));
    assert_eq!(get(&r, "/users/neww"), Some((2, p(&[("id", "neww")]))));
    assert_eq!(get(&r, "/users/42"), Some((2, p(&[("id", "42")]))));
    assert_eq!(
        get(&r, "/users/42/posts/7"),
        Some((3, p(&[("id", "42"), ("post", "7")])))
    );
    // Falls back to the root catch-all when the deeper routes miss.
    assert_eq!(
        get(&r, "/users/42/x"),
        Some((4, p(&[("rest", "users/42/x")])))
    );
    assert_eq!(get(&r, "/users/"), Some((4, p(&[("rest", "users/")]))));
    assert_eq!(get(&r, "/users"), Some((4, p(&[("rest", "users")]))));
}

#[test]
fn prefix_param_and_literal_braces() {
    let g = &Method::GET;
    let r = router(&[
        (g, "/v:version/items"),
        (g, "/img-:id"),
        (g, "/:page"),
        (g, "/{weird}/:id"),
        (g, "/a}b"),
    ]);
    assert_eq!(get(&r, "/v2/items"), Some((0, p(&[("version", "2")]))));
    assert_eq!(get(&r, "/img-5"), Some((1, p(&[("id", "5")]))));
    assert_eq!(get(&r, "/img-"), Some((2, p(&[("page", "img-")]))));
    assert_eq!(get(&r, "/about"), Some((2, p(&[("page", "about")]))));
    assert_eq!(get(&r, "/{weird}/3"), Some((3, p(&[("id", "3")]))));
    assert_eq!(get(&r, "/a}b"), Some((4, vec![])));
    assert_eq!(get(&r, "/{{weird}}/3"), None);
}

#[test]
fn params_are_sub_slices_of_the_path() {
    let g = &Method::GET;
    let r = router(&[(g, "/api/users/:id/posts/:post_id"), (g, "/static/*path")]);
    let path = String::from("/api/users/123/posts/456");
    let m = r.find(g, &path).unwrap();
    let range = path.as_bytes().as_ptr_range();
    for (_, v) in &m.params {
        assert!(range.contains(&v.as_ptr()), "{v:?} not inside the path");
        assert!(v.as_ptr() as usize + v.len() <= range.end as usize);
    }
    let offsets: Vec<usize> = m
        .params
        .iter()
        .map(|(_, v)| v.as_ptr() as usize - path.as_ptr() as usize)
        .collect();
    assert_eq!(offsets, [11, 21]);
    assert_eq!(m.params.len(), 2);
    assert!(!m.params.is_empty());

    // The empty catch-all value is the empty slice at the end of the path.
    let path = String::from("/static/");
    let m = r.find(g, &path).unwrap();
    let v = m.params.get("path").unwrap();
    assert_eq!(v, "");
    assert_eq!(v.as_ptr() as usize, path.as_ptr() as usize + path.len());
}

#[test]
fn catch_all_matches_empty_remainder_via_hidden_alias() {
    let g = &Method::GET;
    let r = router(&[
        (g, "/static/*filepath"),
        (g, "/u/:id/files/*f"),
        (g, "/*all"),
    ]);
    assert_eq!(get(&r, "/static/"), Some((0, p(&[("filepath", "")]))));
    assert_eq!(
        get(&r, "/static/a/b.css"),
        Some((0, p(&[("filepath", "a/b.css")])))
    );
    assert_eq!(
        get(&r, "/u/7/files/"),
        Some((1, p(&[("id", "7"), ("f", "")])))
    );
    assert_eq!(get(&r, "/"), Some((2, p(&[("all", "")]))));
    // No slash: not the catch-all (Hertz redirects instead).
    assert_eq!(get(&r, "/static"), Some((2, p(&[("all", "static")]))));
    // The alias is not a registered route of its own.
    assert_eq!(r.len(), 3);
    assert_eq!(r.iter().count(), 3);
}

#[test]
fn explicit_route_beats_hidden_alias_in_either_order() {
    let g = &Method::GET;
    // Explicit first: the alias is silently skipped.
    let r = router(&[(g, "/static/"), (g, "/static/*p")]);
    assert_eq!(get(&r, "/static/"), Some((0, vec![])));
    assert_eq!(get(&r, "/static/x"), Some((1, p(&[("p", "x")]))));
    // Explicit second: it displaces the alias, without an error.
    let r = router(&[(g, "/static/*p"), (g, "/static/")]);
    assert_eq!(get(&r, "/static/"), Some((1, vec![])));
    assert_eq!(get(&r, "/static/x"), Some((0, p(&[("p", "x")]))));
    // Same shape with a different parameter name also wins over the alias.
    let r = router(&[(g, "/u/:id/*p"), (g, "/u/:uid/")]);
    assert_eq!(get(&r, "/u/3/"), Some((1, p(&[("uid", "3")]))));
    assert_eq!(get(&r, "/u/3/x"), Some((0, p(&[("id", "3"), ("p", "x")]))));
}

#[test]
fn custom_method_is_its_own_tree() {
    let purge = Method::from_bytes(b"PURGE").unwrap();
    let r = router(&[(&purge, "/cache/*key"), (&Method::GET, "/cache/:key")]);
    let m = r.find(&purge, "/cache/a/b").unwrap();
    assert_eq!((*m.value, m.params.get("key")), (0, Some("a/b")));
    assert_eq!(get(&r, "/cache/a"), Some((1, p(&[("key", "a")]))));
    assert!(r
        .find(&Method::from_bytes(b"BAN").unwrap(), "/cache/a")
        .is_none());
    assert_eq!(r.allowed_methods("/cache/a", &Method::GET), [purge]);
}

#[test]
fn conflicts_name_both_routes_in_hertz_syntax() {
    let g = &Method::GET;
    let mut r = router(&[
        (g, "/users/:id"),
        (g, "/src/*p"),
        (g, "/{lit}/:a"),
        (g, "/f/:id/x"),
        (g, "/plain"),
    ]);
    let cases = [
        ("/users/:name", "/users/:id"),
        ("/users/:id", "/users/:id"),
        ("/users/*rest", "/users/:id"),
        ("/src/:file", "/src/*p"),
        ("/src/*q", "/src/*p"),
        ("/{lit}/:b", "/{lit}/:a"),
        ("/f/*p", "/f/:id/x"),
        ("/plain", "/plain"),
    ];
    for (route, existing) in cases {
        assert_eq!(
            conflict(&mut r, g, route),
            format!("route conflict: GET {route} conflicts with already registered GET {existing}")
        );
    }
    match r.insert(g, "/users/:name", 0) {
        Err(RouteError::Conflict {
            method,
            route,
            existing,
        }) => {
            assert_eq!(method, Method::GET);
            assert_eq!(route, "/users/:name");
            assert_eq!(existing, "/users/:id");
        }
        other => panic!("{other:?}"),
    }
    // Other methods are separate trees: no conflict there.
    assert!(r.insert(&Method::POST, "/users/:name", 0).is_ok());
}

#[test]
fn failed_insert_leaves_router_unchanged() {
    let g = &Method::GET;
    let mut r = router(&[(g, "/static/*p"), (g, "/users/:id")]);
    let before: Vec<String> = r.iter().map(|(m, p, v)| format!("{m} {p} {v}")).collect();
    assert!(r.insert(g, "/static/:f", 9).is_err());
    assert!(r.insert(g, "/users/:name", 9).is_err());
    assert!(r.insert(g, "bad", 9).is_err());
    assert!(r.insert(&Method::PUT, "/x/:", 9).is_err());
    let after: Vec<String> = r.iter().map(|(m, p, v)| format!("{m} {p} {v}")).collect();
    assert_eq!(before, after);
    // The alias survives, and no tree was created for PUT.
    assert_eq!(get(&r, "/static/"), Some((0, p(&[("p", "")]))));
    assert!(r.allowed_methods("/x/1", g).is_empty());
    assert_eq!(r.allowed_methods("/static/", &Method::POST), [Method::GET]);
}

#[test]
fn invalid_patterns_are_errors() {
    let mut r: Router<()> = Router::new();
    for bad in [
        "", "users", "/:", "/a/*", "/a/*p/b", "/a*p", "/:x/:x", "/:a.png",
    ] {
        match r.insert(&Method::GET, bad, ()) {
            Err(RouteError::Invalid { route, reason }) => {
                assert_eq!(route, bad);
                assert!(!reason.is_empty());
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(r.is_empty());
}

#[test]
fn allowed_methods_in_first_registration_order() {
    let r = router(&[
        (&Method::PUT, "/a"),
        (&Method::GET, "/b"),
        (&Method::DELETE, "/a/:x"),
        (&Method::GET, "/a"),
        (&Method::PUT, "/a/:x"),
        (&Method::POST, "/a"),
    ]);
    assert_eq!(
        r.allowed_methods("/a", &Method::PATCH),
        [Method::PUT, Method::GET, Method::POST]
    );
    assert_eq!(
        r.allowed_methods("/a", &Method::GET),
        [Method::PUT, Method::POST]
    );
    assert_eq!(
        r.allowed_methods("/a/1", &Method::GET),
        [Method::PUT, Method::DELETE]
    );
    assert!(r.allowed_methods("/nope", &Method::GET).is_empty());
}

#[test]
fn iter_in_registration_order() {
    let purge = Method::from_bytes(b"PURGE").unwrap();
    let r = router(&[
        (&Method::GET, "/b/*p"),
        (&purge, "/a"),
        (&Method::GET, "/a/:id"),
    ]);
    let all: Vec<(String, &str, usize)> =
        r.iter().map(|(m, p, v)| (m.to_string(), p, *v)).collect();
    assert_eq!(
        all,
        [
            ("GET".to_owned(), "/b/*p", 0),
            ("PURGE".to_owned(), "/a", 1),
            ("GET".to_owned(), "/a/:id", 2)
        ]
    );
    assert_eq!(r.len(), 3);
    assert!(!r.is_empty());
    assert!(Router::<u8>::default().is_empty());
}

/// Odd strings built from awkward pieces; none may panic anywhere.
fn odd_paths() -> Vec<String> {
    let pieces = [
        "",
        "/",
        "//",
        ".",
        "..",
        "/.",
        "/..",
        "a",
        "A",
        "{",
        "}",
        "{{",
        ":",
        "*",
        "%2F",
        "?",
        "#",
        "\u{e9}",
        "\u{1f600}",
        "\0",
        " ",
        "\\",
        "users",
        "USERS",
        "static",
        "v1",
        "img-",
        ":id",
        "*rest",
        "v:x",
        "{x}",
    ];
    let mut out = Vec::new();
    for a in pieces {
        for b in pieces {
            for c in ["", "/", "x", "\u{e9}", ".."] {
                out.push(format!("{a}{b}{c}"));
                out.push(format!("/{a}/{b}{c}"));
            }
        }
    }
    out.push("/".repeat(10_000));
    out.push(format!("/{}", "a/".repeat(5_000)));
    out.push(format!("/users/{}", "\u{e9}".repeat(4_000)));
    out
}

#[test]
fn odd_inputs_never_panic() {
    let g = &Method::GET;
    let r = router(&[
        (g, "/"),
        (g, "/users/new"),
        (g, "/users/:id"),
        (g, "/v:version/x"),
        (g, "/caf\u{e9}/:x"),
        (g, "/\u{e9}t\u{e9}"),
        (g, "/{a}/:b/"),
        (g, "/static/*p"),
        (&Method::POST, "/*all"),
    ]);
    let paths = odd_paths();
    assert!(paths.len() > 9_000);
    for path in &paths {
        for m in [&Method::GET, &Method::POST, &Method::PUT] {
            if let Some(found) = r.find(m, path) {
                for (_, v) in &found.params {
                    let range = path.as_bytes().as_ptr_range();
                    assert!(range.contains(&v.as_ptr()) || v.as_ptr() == range.end);
                }
            }
            let _ = r.trailing_slash_redirect(m, path);
            if let Some(fixed) = r.fixed_path_redirect(m, path) {
                assert!(r.find(m, &fixed).is_some(), "{path:?} -> {fixed:?}");
            }
            let _ = r.allowed_methods(path, m);
        }
        let _ = super::clean_path(path);
        let _ = super::param_names(path);
        let mut scratch: Router<()> = Router::new();
        let _ = scratch.insert(g, path, ());
        let _ = scratch.find(g, path);
    }
    // Everything into one tree: exercises matchit's insert/conflict paths.
    let mut all: Router<usize> = Router::new();
    let mut accepted = 0;
    for (i, path) in paths.iter().enumerate() {
        let before = all.len();
        match all.insert(g, path, i) {
            Ok(()) => accepted += 1,
            Err(_) => assert_eq!(all.len(), before),
        }
    }
    assert!(accepted > 100, "{accepted}");
    for path in &paths {
        let _ = all.find(g, path);
        let _ = all.fixed_path_redirect(g, path);
        let _ = all.trailing_slash_redirect(g, path);
    }
}
