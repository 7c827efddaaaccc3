//! Writes the `Bind` and `Validate` impls of a `#[derive(Bind)]` struct.
//!
//! `Bind::bind` reads each field from its source through `khz::app::bind::value` (path, query,
//! header, cookie, form — one serde deserializer over the key's string values),
//! `khz::app::bind::raw_body`, or — for JSON fields — a hidden companion struct holding every
//! JSON field as an `Option`, deserialized from the body once with sonic-rs. `Validate::validate`
//! runs each field's `#[vd]` rules in declaration order, then the struct-level ones.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr};

use crate::attrs::{self, FieldAttrs, Rule, SourceKind};
use crate::vd;

struct Field<'a> {
    ident: &'a Ident,
    ty: &'a syn::Type,
    attrs: FieldAttrs,
}

/// The whole expansion.
pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let name = &input.ident;
    let named = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(f) => &f.named,
            _ => {
                return Err(syn::Error::new(
                    name.span(),
                    "`#[derive(Bind)]` needs a struct with named fields",
                ))
            }
        },
        _ => {
            return Err(syn::Error::new(
                name.span(),
                "`#[derive(Bind)]` works on structs with named fields; for an enum, bind a \
                 field of that type (unit variants are read from their names)",
            ))
        }
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "`#[derive(Bind)]` does not support generic structs; implement `khz::app::bind::Bind` \
             by hand",
        ));
    }
    let mut fields = Vec::new();
    for f in named {
        let Some(ident) = f.ident.as_ref() else {
            continue;
        };
        fields.push(Field {
            ident,
            ty: &f.ty,
            attrs: attrs::field_attrs(ident, &f.attrs)?,
        });
    }
    let struct_rules = attrs::struct_rules(&input.attrs)?;

    let bind = bind_impl(name, &fields);
    let validate = validate_impl(name, &fields, &struct_rules)?;
    Ok(quote! {
        const _: () = {
            #bind
            #validate
        };
    })
}

/// Impls standing in for the real ones when the derive failed (the build fails anyway).
pub(crate) fn placeholders(input: &DeriveInput) -> TokenStream {
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        impl #impl_generics ::khz::app::bind::Bind for #name #ty_generics #where_clause {
            fn bind(
                _: &::khz::app::RequestContext,
            ) -> ::core::result::Result<Self, ::khz::app::bind::BindError> {
                ::core::unreachable!()
            }
        }
        impl #impl_generics ::khz::app::bind::Validate for #name #ty_generics #where_clause {
            fn validate(&self) -> ::core::result::Result<(), ::khz::app::bind::BindError> {
                ::core::unreachable!()
            }
        }
    }
}

fn bind_impl(name: &Ident, fields: &[Field<'_>]) -> TokenStream {
    let json: Vec<&Field<'_>> = fields
        .iter()
        .filter(|f| f.attrs.source == SourceKind::Json)
        .collect();
    let expecting = format!("a JSON object (the body of `{name}`)");
    let companion = (!json.is_empty()).then(|| {
        let members = json.iter().map(|f| {
            let (ident, ty, key) = (f.ident, f.ty, &f.attrs.name);
            quote! {
                #[serde(default, rename = #key)]
                #ident: ::core::option::Option<#ty>,
            }
        });
        quote! {
            #[derive(::khz::__private::serde::Deserialize)]
            #[serde(crate = "::khz::__private::serde", expecting = #expecting)]
            struct __KhzJsonFields {
                #(#members)*
            }
            let __json: __KhzJsonFields = ::khz::__private::bind::json_fields(__ctx)?;
        }
    });
    let inits = fields.iter().map(bind_field);
    quote! {
        #[automatically_derived]
        impl ::khz::app::bind::Bind for #name {
            fn bind(
                __ctx: &::khz::app::RequestContext,
            ) -> ::core::result::Result<Self, ::khz::app::bind::BindError> {
                #companion
                let __sources = ::khz::__private::bind::Sources::new(__ctx);
                ::core::result::Result::Ok(Self {
                    #(#inits)*
                })
            }
        }
    }
}

/// `ident: <value>?,` for one field.
fn bind_field(f: &Field<'_>) -> TokenStream {
    let (ident, ty, key) = (f.ident, f.ty, &f.attrs.name);
    let default = match &f.attrs.default {
        Some(d) => quote!(::core::option::Option::Some(#d)),
        None => quote!(::core::option::Option::None),
    };
    let source = f.attrs.source.runtime();
    let value = match f.attrs.source {
        SourceKind::RawBody => quote_spanned! {ty.span()=>
            ::khz::app::bind::raw_body::<#ty>(__ctx)
        },
        SourceKind::File => quote_spanned! {ty.span()=>
            ::khz::app::bind::files::<#ty>(__ctx, #key)
        },
        SourceKind::Json => quote_spanned! {ty.span()=>
            ::khz::__private::bind::json_field::<#ty>(__json.#ident, #key, #default)
        },
        SourceKind::Path
        | SourceKind::Query
        | SourceKind::Header
        | SourceKind::Cookie
        | SourceKind::Form => quote_spanned! {ty.span()=>
            ::khz::__private::bind::named::<#ty>(&__sources, #source, #key, #default)
        },
    };
    quote!(#ident: #value?,)
}

fn validate_impl(
    name: &Ident,
    fields: &[Field<'_>],
    struct_rules: &[Rule],
) -> syn::Result<TokenStream> {
    let all: Vec<Ident> = fields.iter().map(|f| f.ident.clone()).collect();
    let mut checks = Vec::new();
    for f in fields {
        let source = f.attrs.source.runtime();
        let key = &f.attrs.name;
        let site =
            quote!(::core::option::Option::Some(#key), ::core::option::Option::Some(#source));
        for rule in &f.attrs.rules {
            checks.push(check(rule, &site, Some(f.ident), &all)?);
        }
    }
    let site = quote!(::core::option::Option::None, ::core::option::Option::None);
    for rule in struct_rules {
        checks.push(check(rule, &site, None, &all)?);
    }
    Ok(quote! {
        #[automatically_derived]
        impl ::khz::app::bind::Validate for #name {
            fn validate(&self) -> ::core::result::Result<(), ::khz::app::bind::BindError> {
                #(#checks)*
                ::core::result::Result::Ok(())
            }
        }
    })
}

/// One rule's check; `this` is the field it is attached to (`None` on the struct).
fn check(
    rule: &Rule,
    site: &TokenStream,
    this: Option<&Ident>,
    all: &[Ident],
) -> syn::Result<TokenStream> {
    let msg = |m: &Option<LitStr>| match m {
        Some(m) => quote!(::core::option::Option::Some(#m)),
        None => quote!(::core::option::Option::None),
    };
    Ok(match rule {
        Rule::Expr { expr, lit, msg: m } => {
            let Some(this) = this else {
                return Err(syn::Error::new(lit.span(), "expressions belong on fields"));
            };
            let fields = vd::Fields {
                all,
                this,
                span: lit.span(),
            };
            let code = vd::generate(expr, &fields)?;
            let m = msg(m);
            quote! {
                ::khz::__private::vd::check(
                    #code,
                    &::khz::__private::vd::Rule::new(#site, #lit, #m),
                )?;
            }
        }
        Rule::Func { path, msg: m } => {
            let m = msg(m);
            let arg = match this {
                Some(field) => quote!(&self.#field),
                None => quote!(self),
            };
            let call = format_ident!("__khz_check");
            quote! {
                {
                    let #call: ::core::result::Result<(), ::std::string::String> =
                        #path(#arg);
                    ::khz::__private::vd::check_func(
                        #call,
                        &::khz::__private::vd::Rule::new(#site, "", #m),
                    )?;
                }
            }
        }
    })
}
