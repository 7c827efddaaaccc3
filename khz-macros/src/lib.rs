//! Derive macros of khz. `#[derive(Bind)]` (re-exported as `khz::Bind`) writes a struct's
//! `khz::app::bind::Bind` impl, which fills each field from one part of the request, and its
//! `khz::app::bind::Validate` impl, which checks the `#[vd(...)]` rules.
//!
//! The work is split in three: `attrs` reads the `#[bind(...)]` and `#[vd(...)]` attributes,
//! `vd` parses validation expressions (at compile time: a bad expression, an unknown function or
//! an unknown field is a compile error pointing at the attribute), and `expand` writes the code.
//! The generated code calls only khz's public API (`khz::app::bind`) and its hidden
//! `khz::__private` helpers, so it is the same code a user could write by hand.
//!
//! See the `khz::app::bind` documentation for the attribute reference.

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

mod attrs;
mod expand;
mod vd;

/// Derives `khz::app::bind::Bind` and `khz::app::bind::Validate` for a struct with named fields.
///
/// Field attributes: `#[bind(path | query | header | cookie | form | json [= "name"], default =
/// "value")]`, `#[bind(raw_body)]`; a field without `#[bind]` is read from the JSON body. Any
/// number of `#[vd("expression", msg = "...")]` and `#[vd(func = path::to::check)]` per field,
/// and `#[vd(func = path)]` on the struct for struct-level checks. See `khz::app::bind`.
#[proc_macro_derive(Bind, attributes(bind, vd))]
pub fn derive_bind(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand::derive(&input) {
        Ok(code) => code.into(),
        // The error, plus placeholder impls so uses of the type report nothing more.
        Err(e) => {
            let mut out = e.into_compile_error();
            out.extend(expand::placeholders(&input));
            out.into()
        }
    }
}
