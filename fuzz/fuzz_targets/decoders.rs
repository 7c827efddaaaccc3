//! The small decoders that see raw request bytes: the query / urlencoded form parser khz uses
//! (`form_urlencoded`), the `Cookie` header parser behind `ctx.cookies()`, the `%XX` decoder of
//! routing paths and `clean_path`. Properties: no panic, and each keeps its own invariants
//! (decoding never grows the input, encoding then decoding is the identity, cookie pairs are
//! trimmed and never contain `;`, a cleaned path is absolute and clean again unchanged).
#![no_main]

use khz::__bench::{parse_cookie_header, percent_decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Query string and urlencoded form.
    for (k, v) in form_urlencoded::parse(data) {
        assert!(k.len() <= data.len() * 3 && v.len() <= data.len() * 3);
    }

    // `%XX` decoding of paths: never longer; identity without `%`; inverts encoding.
    let decoded: Vec<u8> = percent_decode(data).collect();
    assert!(decoded.len() <= data.len());
    if !data.contains(&b'%') {
        assert_eq!(decoded, data);
    }
    let encoded: String = data.iter().map(|b| format!("%{b:02x}")).collect();
    assert_eq!(
        percent_decode(encoded.as_bytes()).collect::<Vec<u8>>(),
        data
    );

    if let Ok(text) = std::str::from_utf8(data) {
        // Cookie header values.
        for (name, value) in parse_cookie_header(text) {
            assert!(!name.contains(';') && !value.contains(';'));
            assert_eq!(name, name.trim());
            assert!(text.contains(name) && text.contains(value));
        }
        // Path cleaning.
        let clean = khz::route::clean_path(text);
        assert!(clean.starts_with('/'), "{clean:?}");
        assert_eq!(
            khz::route::clean_path(&clean),
            clean,
            "clean_path is not idempotent"
        );
    }
});
