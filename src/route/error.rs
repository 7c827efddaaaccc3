//! Errors raised while registering routes.
//!
//! Part of the route layer (a radix router on `matchit` with Hertz semantics).
//! Lookups never fail with an error — a miss is simply `None` — so the only
//! errors are the ones [`Router::insert`](super::Router::insert) and
//! [`param_names`](super::param_names) return for a bad or conflicting
//! pattern. Every route in an error is spelled in Hertz syntax (`:id`,
//! `*path`), never in `matchit`'s internal `{id}` form.

use std::fmt;

use http::Method;

/// Why a route could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteError {
    /// The pattern is not valid Hertz route syntax.
    Invalid {
        /// The pattern as given.
        route: String,
        /// What is wrong with it, in words.
        reason: String,
    },
    /// The pattern overlaps a route already registered for the same method
    /// in a way the router cannot disambiguate (or is the same route again).
    Conflict {
        /// The method both routes are registered for.
        method: Method,
        /// The pattern being registered.
        route: String,
        /// The pattern already registered that it collides with.
        existing: String,
    },
}

impl RouteError {
    pub(crate) fn invalid(route: &str, reason: impl Into<String>) -> Self {
        RouteError::Invalid {
            route: route.to_owned(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::Invalid { route, reason } => {
                write!(f, "invalid route {route:?}: {reason}")
            }
            RouteError::Conflict {
                method,
                route,
                existing,
            } => write!(
                f,
                "route conflict: {method} {route} conflicts with already registered {method} {existing}"
            ),
        }
    }
}

impl std::error::Error for RouteError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_conflict_names_both_routes() {
        let err = RouteError::Conflict {
            method: Method::GET,
            route: "/users/:name".into(),
            existing: "/users/:id".into(),
        };
        assert_eq!(
            err.to_string(),
            "route conflict: GET /users/:name conflicts with already registered GET /users/:id"
        );
    }

    #[test]
    fn display_invalid_quotes_route() {
        let err = RouteError::invalid("users", "must start with `/`");
        assert_eq!(
            err.to_string(),
            "invalid route \"users\": must start with `/`"
        );
    }
}
