//! Reading the attributes: `#[bind(...)]` on fields (where a value comes from), `#[vd(...)]` on
//! fields and on the struct (validation rules). Every mistake is a `syn::Error` pointing at the
//! offending attribute, with the list of what would have been accepted.
//!
//! To add a source (the multipart `file` one, say): add a [`SourceKind`] variant, a row to
//! [`SOURCES`], and its arm in `expand::bind_field`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitStr, Token};

use crate::vd;

/// Where a field's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SourceKind {
    Path,
    Query,
    Header,
    Cookie,
    Form,
    Json,
    RawBody,
    File,
}

/// The source keywords of `#[bind(...)]`.
pub(crate) const SOURCES: &[(&str, SourceKind)] = &[
    ("path", SourceKind::Path),
    ("query", SourceKind::Query),
    ("header", SourceKind::Header),
    ("cookie", SourceKind::Cookie),
    ("form", SourceKind::Form),
    ("json", SourceKind::Json),
    ("raw_body", SourceKind::RawBody),
    ("file", SourceKind::File),
];

impl SourceKind {
    /// The keyword as written in `#[bind(...)]`.
    pub(crate) fn keyword(self) -> &'static str {
        SOURCES
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(name, _)| name)
    }

    /// Whether the source looks values up by name (`= "name"` allowed, `default` allowed).
    pub(crate) fn is_named(self) -> bool {
        self != SourceKind::RawBody
    }

    /// The runtime `khz::app::bind::Source` of this kind.
    pub(crate) fn runtime(self) -> TokenStream {
        let variant = match self {
            SourceKind::Path => quote!(Path),
            SourceKind::Query => quote!(Query),
            SourceKind::Header => quote!(Header),
            SourceKind::Cookie => quote!(Cookie),
            SourceKind::Form => quote!(Form),
            SourceKind::Json => quote!(Json),
            SourceKind::RawBody => quote!(Body),
            SourceKind::File => quote!(File),
        };
        quote!(::khz::app::bind::Source::#variant)
    }
}

/// One validation rule.
pub(crate) enum Rule {
    /// `#[vd("expression", msg = "...")]`.
    Expr {
        expr: vd::Expr,
        lit: LitStr,
        msg: Option<LitStr>,
    },
    /// `#[vd(func = path, msg = "...")]`.
    Func {
        path: syn::Path,
        msg: Option<LitStr>,
    },
}

/// Everything the attributes say about one field.
pub(crate) struct FieldAttrs {
    pub(crate) source: SourceKind,
    /// The name the request uses (the field name unless `= "name"` was given).
    pub(crate) name: String,
    pub(crate) default: Option<LitStr>,
    pub(crate) rules: Vec<Rule>,
}

fn source_list() -> String {
    SOURCES
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the `#[bind]` and `#[vd]` attributes of field `ident`.
pub(crate) fn field_attrs(ident: &Ident, attrs: &[Attribute]) -> syn::Result<FieldAttrs> {
    let mut source: Option<SourceKind> = None;
    let mut name: Option<String> = None;
    let mut default: Option<LitStr> = None;
    let mut rules = Vec::new();
    for attr in attrs {
        if attr.path().is_ident("bind") {
            attr.parse_nested_meta(|meta| {
                let key = meta
                    .path
                    .get_ident()
                    .map(Ident::to_string)
                    .unwrap_or_default();
                if key == "default" {
                    default = Some(meta.value()?.parse()?);
                    return Ok(());
                }
                let Some(&(_, kind)) = SOURCES.iter().find(|(k, _)| *k == key) else {
                    return Err(meta.error(format!(
                        "unknown bind option `{}`; expected a source ({}) or `default = \"...\"`",
                        key,
                        source_list()
                    )));
                };
                if let Some(first) = source {
                    return Err(meta.error(format!(
                        "a field takes one source, but `{}` already reads it from `{}`",
                        ident,
                        first.keyword()
                    )));
                }
                source = Some(kind);
                if meta.input.peek(Token![=]) {
                    let lit: LitStr = meta.value()?.parse()?;
                    if !kind.is_named() {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!("`{}` takes no name", kind.keyword()),
                        ));
                    }
                    if lit.value().is_empty() {
                        return Err(syn::Error::new(lit.span(), "the name must not be empty"));
                    }
                    name = Some(lit.value());
                }
                Ok(())
            })?;
        } else if attr.path().is_ident("vd") {
            rules.push(rule(attr)?);
        }
    }
    let source = source.unwrap_or(SourceKind::Json);
    if let (Some(d), false) = (&default, source.is_named() && source != SourceKind::File) {
        return Err(syn::Error::new(
            d.span(),
            format!("`{}` takes no `default`", source.keyword()),
        ));
    }
    Ok(FieldAttrs {
        source,
        name: name.unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned()),
        default,
        rules,
    })
}

/// Reads the struct-level `#[vd(func = path)]` rules (expressions need a field: refused).
pub(crate) fn struct_rules(attrs: &[Attribute]) -> syn::Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for attr in attrs {
        if attr.path().is_ident("bind") {
            return Err(syn::Error::new(
                attr.span(),
                "`#[bind(...)]` belongs on fields, not on the struct",
            ));
        }
        if attr.path().is_ident("vd") {
            let r = rule(attr)?;
            if let Rule::Expr { lit, .. } = &r {
                return Err(syn::Error::new(
                    lit.span(),
                    "a struct-level `#[vd]` takes `func = path` (fn(&Self) -> Result<(), String>); \
                     put expressions on fields",
                ));
            }
            rules.push(r);
        }
    }
    Ok(rules)
}

/// Parses one `#[vd("expression", msg = "...")]` or `#[vd(func = path, msg = "...")]`.
fn rule(attr: &Attribute) -> syn::Result<Rule> {
    attr.parse_args_with(|input: ParseStream| {
        let mut expr: Option<LitStr> = None;
        let mut func: Option<syn::Path> = None;
        let mut msg: Option<LitStr> = None;
        if input.peek(LitStr) {
            expr = Some(input.parse()?);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "msg" => msg = Some(input.parse()?),
                "func" => func = Some(input.parse()?),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown vd option `{other}`; expected `msg` or `func`"),
                    ))
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        match (expr, func) {
            (Some(lit), None) => {
                let expr = vd::parse(&lit.value()).map_err(|e| {
                    syn::Error::new(
                        lit.span(),
                        format!("invalid vd expression `{}`: {}", lit.value(), e),
                    )
                })?;
                Ok(Rule::Expr { expr, lit, msg })
            }
            (None, Some(path)) => Ok(Rule::Func { path, msg }),
            (Some(lit), Some(_)) => Err(syn::Error::new(
                lit.span(),
                "a `#[vd]` takes either an expression or `func = path`, not both",
            )),
            (None, None) => Err(syn::Error::new(
                attr.span(),
                "expected `#[vd(\"expression\")]` or `#[vd(func = path)]`",
            )),
        }
    })
}
