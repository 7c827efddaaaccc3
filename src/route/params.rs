//! The result of a successful lookup: the route's value and its parameters.
//!
//! Part of the route layer (a radix router on `matchit` with Hertz
//! semantics). [`Params`] wraps `matchit`'s parameter list and adds the one
//! thing `matchit` cannot produce: the empty catch-all value Hertz gives for
//! `/static/` under `/static/*filepath`. Every value is a sub-slice of the
//! path passed to [`Router::find`](super::Router::find) — nothing is copied
//! or unescaped — so callers may turn values into byte offsets.

use std::fmt;

/// A successful [`Router::find`](super::Router::find).
#[derive(Debug)]
pub struct Match<'r, 'p, T> {
    /// The value registered for the matched route.
    pub value: &'r T,
    /// The route's parameters, in pattern order.
    pub params: Params<'r, 'p>,
}

/// Parameters of a matched route: `(name, value)` pairs in pattern order.
///
/// Names borrow from the router (`'r`), values from the looked-up path
/// (`'p`); each value is a sub-slice of that path.
///
/// ```
/// use khz::__bench::Router; // internal; the hidden door of benches and tests
/// use http::Method;
///
/// let mut router = Router::new();
/// router.insert(&Method::GET, "/users/:id/files/*path", ()).unwrap();
/// let m = router.find(&Method::GET, "/users/7/files/a/b.txt").unwrap();
/// assert_eq!(m.params.get("id"), Some("7"));
/// assert_eq!(m.params.get("path"), Some("a/b.txt"));
/// let all: Vec<_> = m.params.iter().collect();
/// assert_eq!(all, [("id", "7"), ("path", "a/b.txt")]);
/// ```
#[derive(Clone)]
pub struct Params<'r, 'p> {
    inner: matchit::Params<'r, 'p>,
    /// A trailing catch-all that matched nothing (name, empty slice at the
    /// end of the path).
    empty_tail: Option<(&'r str, &'p str)>,
}

impl<'r, 'p> Params<'r, 'p> {
    pub(crate) fn new(
        inner: matchit::Params<'r, 'p>,
        empty_tail: Option<(&'r str, &'p str)>,
    ) -> Self {
        Params { inner, empty_tail }
    }

    /// The value of the parameter called `name`, if the route has one.
    pub fn get(&self, name: &str) -> Option<&'p str> {
        match self.empty_tail {
            Some((tail, value)) if tail == name => Some(value),
            _ => self.inner.get(name),
        }
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.inner.len() + usize::from(self.empty_tail.is_some())
    }

    /// True when the route has no parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates `(name, value)` pairs in pattern order.
    pub fn iter(&self) -> ParamsIter<'_, 'r, 'p> {
        ParamsIter {
            inner: self.inner.iter(),
            empty_tail: self.empty_tail,
        }
    }
}

impl fmt::Debug for Params<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, 'r, 'p> IntoIterator for &'a Params<'r, 'p> {
    type Item = (&'r str, &'p str);
    type IntoIter = ParamsIter<'a, 'r, 'p>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over [`Params`], yielding `(name, value)`.
#[derive(Debug)]
pub struct ParamsIter<'a, 'r, 'p> {
    inner: matchit::ParamsIter<'a, 'r, 'p>,
    empty_tail: Option<(&'r str, &'p str)>,
}

impl<'r, 'p> Iterator for ParamsIter<'_, 'r, 'p> {
    type Item = (&'r str, &'p str);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().or_else(|| self.empty_tail.take())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.inner.len() + usize::from(self.empty_tail.is_some());
        (n, Some(n))
    }
}

impl ExactSizeIterator for ParamsIter<'_, '_, '_> {}
