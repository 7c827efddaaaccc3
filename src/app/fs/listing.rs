//! The HTML page listing a directory, when [`StaticDir::browse`](super::StaticDir::browse) is
//! on. Names are HTML-escaped in the text and percent-encoded in the links, so a file called
//! `<script>.html` is shown, not run.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::resolve::Entry;

/// What a path segment in an `href` must encode.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'\'')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `s` with `& < > " '` escaped for HTML text and attributes.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The listing page of the directory shown at `path` (the decoded request path).
pub(crate) fn page(path: &str, entries: &[Entry]) -> String {
    let title = escape(path);
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of {title}</title></head>\n\
         <body><h1>Index of {title}</h1>\n<ul>\n<li><a href=\"../\">../</a></li>\n"
    );
    for e in entries {
        let slash = if e.is_dir { "/" } else { "" };
        let href = utf8_percent_encode(&e.name, SEGMENT);
        let text = escape(&e.name);
        html.push_str(&format!(
            "<li><a href=\"./{href}{slash}\">{text}{slash}</a></li>\n"
        ));
    }
    html.push_str("</ul></body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_encoded() {
        let entries = [
            Entry {
                name: "sub dir".into(),
                is_dir: true,
            },
            Entry {
                name: "<b>&'x\".txt".into(),
                is_dir: false,
            },
        ];
        let html = page("/files/<x>/", &entries);
        assert!(html.contains("<title>Index of /files/&lt;x&gt;/</title>"));
        assert!(html.contains("<a href=\"./sub%20dir/\">sub dir/</a>"));
        assert!(
            html.contains("<a href=\"./%3Cb%3E%26%27x%22.txt\">&lt;b&gt;&amp;&#39;x&quot;.txt</a>")
        );
    }
}
