//! Form values of [`RequestContext`]: the urlencoded POST form (`post_form`, `post_form_all`,
//! `post_form_or`, `post_args`) and `form_value`, which looks in the query, then the POST form,
//! then the multipart form — Hertz's order.
//!
//! An `application/x-www-form-urlencoded` body is parsed with `form_urlencoded` on each call,
//! straight from the body bytes: nothing is cached or allocated per request unless a value
//! needs percent- or plus-decoding (then that value alone is an owned `Cow`). Text fields of a
//! `multipart/form-data` body are seen once `RequestContext::multipart_form` has parsed it.
//! A body of any other content type is not a form: look-ups find nothing.
//!
//! On a route that streams its body, the form is read from [`RequestContext::body`], so call
//! [`RequestContext::read_body`] first.

use std::borrow::Cow;

use super::context::RequestContext;

/// The media type of urlencoded forms.
const URLENCODED: &str = "application/x-www-form-urlencoded";

/// Whether `content_type` (parameters allowed) is the media type `want`, case-insensitively.
pub(crate) fn media_type_is(content_type: &str, want: &str) -> bool {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case(want)
}

impl RequestContext {
    /// Whether the request body is an `application/x-www-form-urlencoded` form.
    pub fn is_urlencoded_form(&self) -> bool {
        self.content_type()
            .is_some_and(|ct| media_type_is(ct, URLENCODED))
    }

    /// Every `(name, value)` pair of the urlencoded POST form, decoded, in order (Hertz
    /// `PostArgs`). Empty when the body is not an urlencoded form.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// async fn names(ctx: &mut RequestContext) {
    ///     let names: Vec<String> = ctx.post_args().map(|(k, _)| k.into_owned()).collect();
    ///     ctx.string(StatusCode::OK, names.join(","));
    /// }
    /// ```
    pub fn post_args(&self) -> form_urlencoded::Parse<'_> {
        let body: &[u8] = if self.is_urlencoded_form() {
            self.body()
        } else {
            &[]
        };
        form_urlencoded::parse(body)
    }

    /// The first value of field `name` of the POST form: the urlencoded body, or else the
    /// multipart form once `multipart_form` has parsed it
    /// (Hertz `PostForm`). Percent- and `+`-decoded.
    ///
    /// ```
    /// use khz::prelude::*;
    /// use khz::ut::perform_request;
    ///
    /// async fn login(ctx: &mut RequestContext) {
    ///     let user = ctx.post_form("user").unwrap_or_default().into_owned();
    ///     let remember = ctx.post_form_or("remember", "no").into_owned();
    ///     ctx.string(StatusCode::OK, format!("{user} {remember}"));
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let server = Server::new();
    /// server.post("/login", login);
    /// let ct = ("content-type", "application/x-www-form-urlencoded");
    /// let res = perform_request(&server, Method::POST, "/login", "user=J%C3%BCrgen+K", &[ct]).await;
    /// assert_eq!(res.text(), "Jürgen K no");
    /// # }
    /// ```
    pub fn post_form(&self, name: &str) -> Option<Cow<'_, str>> {
        self.post_args()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .or_else(|| self.multipart_values(name).next().map(Cow::Borrowed))
    }

    /// Every value of field `name` of the POST form, in order (Hertz `PostFormArray`).
    pub fn post_form_all(&self, name: &str) -> Vec<Cow<'_, str>> {
        let mut all: Vec<Cow<'_, str>> = self
            .post_args()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect();
        all.extend(self.multipart_values(name).map(Cow::Borrowed));
        all
    }

    /// Field `name` of the POST form, or `default` when absent (Hertz `DefaultPostForm`).
    pub fn post_form_or<'a>(&'a self, name: &str, default: &'a str) -> Cow<'a, str> {
        self.post_form(name).unwrap_or(Cow::Borrowed(default))
    }

    /// The first value of `name` from the query string, else the urlencoded POST form, else
    /// the parsed multipart form (Hertz `FormValue`).
    ///
    /// ```
    /// # use khz::prelude::*;
    /// async fn search(ctx: &mut RequestContext) {
    ///     // `GET /search?q=x` and a form posting `q=x` both work.
    ///     let q = ctx.form_value("q").unwrap_or_default().into_owned();
    ///     ctx.string(StatusCode::OK, q);
    /// }
    /// ```
    pub fn form_value(&self, name: &str) -> Option<Cow<'_, str>> {
        self.query_cow(name).or_else(|| self.post_form(name))
    }

    /// Text values of the multipart form, if it was parsed.
    fn multipart_values<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + 'n
    where
        'a: 'n,
    {
        #[cfg(feature = "multipart")]
        {
            self.parsed_multipart_form()
                .into_iter()
                .flat_map(move |form| form.values(name))
        }
        #[cfg(not(feature = "multipart"))]
        {
            let _ = name;
            std::iter::empty()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_compare_without_parameters_or_case() {
        assert!(media_type_is(URLENCODED, URLENCODED));
        assert!(media_type_is(
            "Application/X-WWW-Form-Urlencoded ; charset=UTF-8",
            URLENCODED
        ));
        assert!(!media_type_is(
            "application/x-www-form-urlencodedx",
            URLENCODED
        ));
        assert!(!media_type_is("text/plain", URLENCODED));
        assert!(!media_type_is("", URLENCODED));
    }
}
