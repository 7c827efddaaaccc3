//! Content negotiation for precompressed files: which of the `.br` / `.gz` siblings a client's
//! `Accept-Encoding` allows, best first (RFC 9110 §12.5.3).
//!
//! Quality values are respected and `q=0` excludes a coding; `*` stands for every coding not
//! named; `x-gzip` is `gzip`. Between equal qualities Brotli wins (smaller files). A missing
//! header accepts no precompressed coding: the file is sent as it is.

/// A coding with a precompressed sibling file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// Brotli, `file.br`.
    Br,
    /// gzip, `file.gz`.
    Gzip,
}

impl Coding {
    /// Preference among equal qualities.
    const ALL: [Coding; 2] = [Coding::Br, Coding::Gzip];

    /// The `Content-Encoding` token.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The sibling's file-name suffix.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Coding::Br => ".br",
            Coding::Gzip => ".gz",
        }
    }

    /// Appended to the ETag so the variants have distinct tags.
    pub(crate) fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Br => "-br",
            Coding::Gzip => "-gz",
        }
    }

    fn matches(self, token: &str) -> bool {
        match self {
            Coding::Br => token.eq_ignore_ascii_case("br"),
            Coding::Gzip => {
                token.eq_ignore_ascii_case("gzip") || token.eq_ignore_ascii_case("x-gzip")
            }
        }
    }
}

/// The quality of one `coding;q=…` element; `None` if the element is malformed.
fn quality(params: &str) -> Option<f32> {
    let mut q = 1.0;
    for param in params.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            let value = value.trim();
            let valid = !value.is_empty()
                && value.len() <= 5
                && value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            q = value
                .parse::<f32>()
                .ok()
                .filter(|q| valid && (0.0..=1.0).contains(q))?;
        }
    }
    Some(q)
}

/// The precompressed codings the `Accept-Encoding` values allow, best first.
pub(crate) fn accepted<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Coding> {
    let mut named: [Option<f32>; 2] = [None; 2];
    let mut wildcard: Option<f32> = None;
    for element in values.flat_map(|v| v.split(',')) {
        let (token, params) = element.split_once(';').unwrap_or((element, ""));
        let token = token.trim();
        if token.is_empty() {
            continue;
        }
        let Some(q) = quality(params) else { continue };
        if token == "*" {
            wildcard = Some(q);
        }
        for (slot, coding) in named.iter_mut().zip(Coding::ALL) {
            if coding.matches(token) {
                *slot = Some(slot.map_or(q, |old: f32| old.max(q)));
            }
        }
    }
    let mut ranked: Vec<(f32, Coding)> = Coding::ALL
        .iter()
        .zip(named)
        .filter_map(|(&c, q)| q.or(wildcard).map(|q| (q, c)))
        .filter(|&(q, _)| q > 0.0)
        .collect();
    // Stable: equal qualities keep the `ALL` order.
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::{accepted, Coding::*};

    fn acc(v: &str) -> Vec<super::Coding> {
        accepted(std::iter::once(v))
    }

    #[test]
    fn negotiation() {
        assert_eq!(acc("gzip, deflate, br"), vec![Br, Gzip]);
        assert_eq!(acc("gzip"), vec![Gzip]);
        assert_eq!(acc("GZIP;q=0.5, br;q=0.4"), vec![Gzip, Br]);
        assert_eq!(acc("gzip;q=0, br"), vec![Br]);
        assert_eq!(acc("br;q=0.0, gzip;q=0.000"), vec![]);
        assert_eq!(acc("*"), vec![Br, Gzip]);
        assert_eq!(acc("*;q=0.1, gzip;q=0"), vec![Br]);
        assert_eq!(acc("identity"), vec![]);
        assert_eq!(acc(""), vec![]);
        assert_eq!(acc("x-gzip"), vec![Gzip]);
        // Malformed qualities are skipped, not guessed.
        assert_eq!(acc("gzip;q=2, br;q=abc"), vec![]);
        assert_eq!(acc("gzip;q=-1"), vec![]);
        assert_eq!(
            accepted(["gzip;q=0.2", "br;q=0.9"].into_iter()),
            vec![Br, Gzip]
        );
    }
}
