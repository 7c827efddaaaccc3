//! Request routing: a radix router on `matchit` with Hertz semantics.
//!
//! This is khz's route layer. It maps `(method, path)` to a registered value
//! and the path's parameters, and suggests redirect targets for near misses.
//! It knows nothing of sockets, requests or handlers: the app layer stores
//! whatever it likes as the value and decodes percent-escapes before lookup.
//!
//! * `pattern` — Hertz pattern syntax (`:name`, `*name`), validation and
//!   conversion to `matchit` syntax;
//! * `router` — `Router`: one `matchit` tree per method, insert and lookup;
//! * `redirect` — trailing-slash and fixed-path (clean + case-fix) targets;
//! * `clean` — [`clean_path`];
//! * `params` — [`Match`] and [`Params`] (zero-copy parameter values);
//! * `error` — [`RouteError`].
//!
//! Semantics worth knowing:
//!
//! * Priority is static, then `prefix:name`, then `:name`, then `*name`,
//!   with backtracking. `matchit` cannot hold a `:name` and a `*name` as
//!   siblings (`/users/:id` with `/users/*rest`): the second one registered
//!   is a [`RouteError::Conflict`], unlike Hertz.
//! * `/static/*p` also matches `/static/` with `p = ""`, as in Hertz: the
//!   router registers `/static/` as a hidden alias of the catch-all route.
//!   An explicit route for the same path always wins over the alias,
//!   whichever is registered first, and never reports a conflict with it.
//!   `/static` (no slash) does not match; it gets a trailing-slash redirect.
//! * Parameter names use `[A-Za-z0-9_]`; a parameter runs to the end of its
//!   segment, so `/:a.png` is rejected rather than read as a suffix.
//! * `{` and `}` in static text are literal (escaped for `matchit`).
//!
//! ```
//! use khz::__bench::Router; // internal: reached through the hidden door in examples
//! use khz::route::RouteError;
//! use http::Method;
//!
//! let mut router = Router::new();
//! router.insert(&Method::GET, "/users/:id", 1).unwrap();
//! router.insert(&Method::DELETE, "/users/:id", 2).unwrap();
//!
//! let m = router.find(&Method::GET, "/users/42").unwrap();
//! assert_eq!(*m.value, 1);
//! assert_eq!(m.params.get("id"), Some("42"));
//! assert_eq!(router.allowed_methods("/users/42", &Method::POST), [Method::GET, Method::DELETE]);
//!
//! let err = router.insert(&Method::GET, "/users/:name", 3).unwrap_err();
//! assert!(matches!(err, RouteError::Conflict { .. }));
//! ```

mod clean;
mod error;
mod params;
pub(crate) mod pattern;
mod redirect;
pub(crate) mod router;

#[cfg(test)]
mod router_props;
#[cfg(test)]
mod tests;

pub use clean::clean_path;
pub use error::RouteError;
#[allow(unused_imports)] // `Params` and `ParamsIter` are reached through `Match`.
pub(crate) use params::{Match, Params, ParamsIter};
pub(crate) use pattern::param_names;
pub(crate) use router::Router;
