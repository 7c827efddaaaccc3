//! The `vd` expression parser of `khz-macros`. A proc-macro crate cannot be linked into a normal
//! binary, so its `vd` module (lexer, parser, code generator) is compiled here from source with
//! `#[path]`. Properties: no panic on any text; an error's column lies within the text (1-based,
//! in characters, one past the end allowed); parsing is deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unused_imports)]
#[path = "../../khz-macros/src/vd/mod.rs"]
mod vd;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > 4096 {
        return;
    }
    let first = vd::parse(text);
    if let Err(e) = &first {
        let chars = text.chars().count();
        assert!(
            e.column >= 1 && e.column <= chars + 1,
            "column {} of {chars}: {e}",
            e.column
        );
        assert!(!e.message.is_empty());
    }
    assert_eq!(first, vd::parse(text));
});
