//! The router proper: one `matchit` tree per method, registration and lookup.
//!
//! Part of the route layer (a radix router on `matchit` with Hertz
//! semantics; it knows nothing of sockets or handlers). Values live once in
//! `routes`, in registration order; each method's tree maps a `matchit`
//! route to a [`Slot`] pointing back into `routes`. A catch-all route also
//! gets a hidden alias slot (its path with the catch-all left empty) so that
//! `/static/` matches `/static/*p` with an empty value, as in Hertz. The
//! redirect helpers live in `redirect.rs`.

use std::collections::HashMap;

use http::Method;
use rustc_hash::FxBuildHasher;

use super::error::RouteError;
use super::params::{Match, Params};
use super::pattern::{matchit_to_hertz, unescape_matchit, Pattern};

/// A routing table: values of type `T` registered under (method, pattern).
///
/// Patterns use Hertz syntax: `:name` for one segment (optionally after
/// static text, `/v:version`), `*name` for the rest of the path (whole last
/// segment only). Priority is static, then parameter, then catch-all.
///
/// ```
/// use khz::__bench::Router; // internal; the hidden door of benches and tests
/// use http::Method;
///
/// let mut router = Router::new();
/// router.insert(&Method::GET, "/users/new", "form").unwrap();
/// router.insert(&Method::GET, "/users/:id", "show").unwrap();
/// router.insert(&Method::GET, "/static/*filepath", "files").unwrap();
///
/// let m = router.find(&Method::GET, "/users/42").unwrap();
/// assert_eq!((*m.value, m.params.get("id")), ("show", Some("42")));
/// assert_eq!(*router.find(&Method::GET, "/users/new").unwrap().value, "form");
/// assert_eq!(router.find(&Method::GET, "/static/").unwrap().params.get("filepath"), Some(""));
/// assert!(router.find(&Method::POST, "/users/42").is_none());
/// assert_eq!(router.trailing_slash_redirect(&Method::GET, "/users/42/").as_deref(), Some("/users/42"));
/// ```
#[derive(Debug, Clone)]
pub struct Router<T> {
    /// Trees in order of each method's first successful registration.
    pub(crate) trees: Vec<MethodTree>,
    /// Every registered route, in registration order.
    pub(crate) routes: Vec<Route<T>>,
}

/// A registered route.
#[derive(Debug, Clone)]
pub(crate) struct Route<T> {
    pub(crate) method: Method,
    pub(crate) pattern: Pattern,
    pub(crate) value: T,
}

/// What a `matchit` tree stores: which route, and whether this is the hidden
/// empty-catch-all alias of that route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    route: usize,
    empty_catch_all: bool,
}

/// A `matchit` route held by a tree, kept so conflicts can be reported in
/// Hertz syntax and aliases can be removed again.
#[derive(Debug, Clone)]
struct Entry {
    matchit: String,
    slot: Slot,
}

/// One method's tree.
#[derive(Debug, Clone)]
pub(crate) struct MethodTree {
    pub(crate) method: Method,
    pub(crate) tree: matchit::Router<Slot>,
    entries: Vec<Entry>,
    /// Routes without parameters, by exact path: static routes always win (static > param >
    /// catch-all), so a hash hit answers without walking the tree.
    statics: HashMap<Box<str>, usize, FxBuildHasher>,
}

impl MethodTree {
    fn new(method: Method) -> Self {
        MethodTree {
            method,
            tree: matchit::Router::new(),
            entries: Vec::new(),
            statics: HashMap::default(),
        }
    }

    fn add(&mut self, matchit: String, slot: Slot) -> Result<(), matchit::InsertError> {
        self.tree.insert(matchit.as_str(), slot)?;
        self.entries.push(Entry { matchit, slot });
        Ok(())
    }

    /// The held entry `matchit` named in a conflict (it reports routes with
    /// escapes removed).
    fn entry_named(&self, unescaped: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| unescape_matchit(&e.matchit) == unescaped)
    }

    /// Inserts `matchit` for `slot`, displacing a hidden alias in the way:
    /// an explicitly registered route always wins over an alias. On error
    /// the tree is as before and the error names the blocking entry.
    fn add_displacing_alias(
        &mut self,
        matchit: String,
        slot: Slot,
    ) -> Result<(), (matchit::InsertError, Option<Slot>)> {
        let err = match self.add(matchit.clone(), slot) {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let blocking = match &err {
            matchit::InsertError::Conflict { with } => self.entry_named(with),
            _ => None,
        };
        let Some(at) = blocking else {
            return Err((err, None));
        };
        let alias = self.entries[at].clone();
        if !alias.slot.empty_catch_all {
            return Err((err, Some(alias.slot)));
        }
        self.tree.remove(alias.matchit.as_str());
        self.entries.remove(at);
        let result = self.add(matchit, slot);
        // Put the alias back if there is still room for it (always when the
        // insert failed, since the tree is then as it was before).
        let _ = self.add(alias.matchit, alias.slot);
        result.map_err(|e| {
            let slot = match &e {
                matchit::InsertError::Conflict { with } => {
                    self.entry_named(with).map(|i| self.entries[i].slot)
                }
                _ => None,
            };
            (e, slot)
        })
    }
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router {
            trees: Vec::new(),
            routes: Vec::new(),
        }
    }
}

impl<T> Router<T> {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `path` (Hertz syntax) for `method`.
    ///
    /// Fails with [`RouteError::Invalid`] for a malformed pattern and with
    /// [`RouteError::Conflict`] when it collides with a route already
    /// registered for `method`. A failed insert leaves the router unchanged.
    pub fn insert(&mut self, method: &Method, path: &str, value: T) -> Result<(), RouteError> {
        let pattern = Pattern::parse(path)?;
        let index = self.routes.len();
        let slot = Slot {
            route: index,
            empty_catch_all: false,
        };
        let (tree_at, fresh) = match self.trees.iter().position(|t| t.method == *method) {
            Some(at) => (at, false),
            None => {
                self.trees.push(MethodTree::new(method.clone()));
                (self.trees.len() - 1, true)
            }
        };
        let tree = &mut self.trees[tree_at];
        if let Err((err, blocking)) = tree.add_displacing_alias(pattern.to_matchit(), slot) {
            if fresh {
                self.trees.pop();
            }
            return Err(self.insert_error(method, path, err, blocking));
        }
        if let Some(alias) = pattern.empty_catch_all_alias() {
            let alias_slot = Slot {
                route: index,
                empty_catch_all: true,
            };
            // Best effort: if an explicit route already covers this path, it
            // keeps it.
            let _ = tree.add(alias, alias_slot);
        }
        if pattern.names().next().is_none() {
            tree.statics.insert(pattern.as_str().into(), index);
        }
        self.routes.push(Route {
            method: method.clone(),
            pattern,
            value,
        });
        Ok(())
    }

    fn insert_error(
        &self,
        method: &Method,
        path: &str,
        err: matchit::InsertError,
        blocking: Option<Slot>,
    ) -> RouteError {
        match err {
            matchit::InsertError::Conflict { with } => RouteError::Conflict {
                method: method.clone(),
                route: path.to_owned(),
                existing: blocking
                    .and_then(|s| self.routes.get(s.route))
                    .map(|r| r.pattern.as_str().to_owned())
                    .unwrap_or_else(|| matchit_to_hertz(&with)),
            },
            other => RouteError::invalid(path, other.to_string()),
        }
    }

    pub(crate) fn tree(&self, method: &Method) -> Option<&MethodTree> {
        self.trees.iter().find(|t| t.method == *method)
    }

    /// Looks `path` up exactly (as given: no cleaning, no case folding, no
    /// percent-decoding) in `method`'s tree.
    ///
    /// Allocates nothing itself. `matchit` 0.9 allocates once in two cases:
    /// a route with more than three parameters, and a lookup that takes a
    /// static branch where a parameter sibling exists (`/users/new` beside
    /// `/users/:id`), for which it records a backtracking point.
    pub fn find<'r, 'p>(&'r self, method: &Method, path: &'p str) -> Option<Match<'r, 'p, T>> {
        let tree = self.tree(method)?;
        if let Some(route) = tree.statics.get(path).and_then(|&i| self.routes.get(i)) {
            return Some(Match {
                value: &route.value,
                params: Params::new(matchit::Params::new(), None),
            });
        }
        let found = tree.tree.at(path).ok()?;
        let slot = *found.value;
        let route = self.routes.get(slot.route)?;
        let empty_tail = if slot.empty_catch_all {
            let end = path.len();
            route
                .pattern
                .catch_all_name()
                .map(|name| (name, &path[end..]))
        } else {
            None
        };
        Some(Match {
            value: &route.value,
            params: Params::new(found.params, empty_tail),
        })
    }

    /// The value of the static route (no parameters) registered exactly at `path` for
    /// `method`, if any: the cheap first step of a lookup, one hash probe, no [`Match`] built.
    #[inline]
    pub fn find_static(&self, method: &Method, path: &str) -> Option<&T> {
        let tree = self.tree(method)?;
        let &i = tree.statics.get(path)?;
        self.routes.get(i).map(|r| &r.value)
    }

    /// True when `method`'s tree matches `path` exactly.
    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        self.tree(method).is_some_and(|t| t.tree.at(path).is_ok())
    }

    /// The methods other than `except` whose tree matches `path` — for a
    /// `405 Method Not Allowed` and its `Allow` header — in order of each
    /// method's first registration.
    pub fn allowed_methods(&self, path: &str, except: &Method) -> Vec<Method> {
        self.trees
            .iter()
            .filter(|t| t.method != *except && t.tree.at(path).is_ok())
            .map(|t| t.method.clone())
            .collect()
    }

    /// Every registered `(method, pattern, value)`, patterns in Hertz syntax,
    /// in registration order.
    pub fn iter(&self) -> impl Iterator<Item = (&Method, &str, &T)> {
        self.routes
            .iter()
            .map(|r| (&r.method, r.pattern.as_str(), &r.value))
    }

    /// How many routes are registered.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when no route is registered.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}
