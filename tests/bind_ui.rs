//! Compile-time errors of `#[derive(khz::Bind)]`, checked with trybuild against the committed
//! `tests/ui/*.stderr`: a malformed `vd` expression, an unknown `(Field)$`, an unknown function,
//! an invalid regular expression, a field type a source or an expression cannot use, and
//! malformed `#[bind]` attributes. Regenerate with `TRYBUILD=overwrite cargo test --test
//! bind_ui`, then read the new `.stderr` files.

#![cfg(feature = "macros")]

#[test]
fn derive_bind_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
