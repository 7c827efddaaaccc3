//! Code generation for `vd` expressions: each node becomes a Rust expression of type
//! `Result<khz::__private::vd::Value<'_>, khz::__private::vd::EvalError>`, evaluated at run time
//! in `Validate::validate(&self)`. Field operands go through traits (`VdOperand`, and `VdLen` /
//! `VdText` where a function needs a length or text), so a field of a type the expression cannot
//! use is a compile error pointing at the `#[vd]` attribute. `&&` and `||` short-circuit.
//! Each `regexp` gets its own `static OnceLock`, so a pattern is compiled once per site.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;

use super::{BinOp, Expr};

/// The fields of the struct, for `$` and `(Other)$`.
pub(crate) struct Fields<'a> {
    pub(crate) all: &'a [Ident],
    /// The field the rule is attached to (`$`).
    pub(crate) this: &'a Ident,
    /// Span of the `#[vd("...")]` literal: errors point there.
    pub(crate) span: Span,
}

impl Fields<'_> {
    fn resolve(&self, name: &str, column: usize) -> syn::Result<&Ident> {
        self.all
            .iter()
            .find(|i| i.to_string().trim_start_matches("r#") == name)
            .ok_or_else(|| {
                let list = self
                    .all
                    .iter()
                    .map(Ident::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                syn::Error::new(
                    self.span,
                    format!(
                        "unknown field `{name}` in `({name})$` (at column {column}); the \
                         struct's fields are: {list}"
                    ),
                )
            })
    }

    /// The field an operand names, if it is `$` or `(Other)$` — spanned at the attribute, so
    /// a type error points at the expression only.
    fn field_of(&self, e: &Expr) -> syn::Result<Option<Ident>> {
        let field = match e {
            Expr::This => self.this,
            Expr::Field(name, column) => self.resolve(name, *column)?,
            _ => return Ok(None),
        };
        let mut field = field.clone();
        field.set_span(self.span);
        Ok(Some(field))
    }
}

/// The code evaluating `expr`.
pub(crate) fn generate(expr: &Expr, f: &Fields<'_>) -> syn::Result<TokenStream> {
    let vd = quote!(::khz::__private::vd);
    let sp = f.span;
    Ok(match expr {
        Expr::Nil => quote!(::core::result::Result::Ok(#vd::Value::Nil)),
        Expr::Bool(b) => quote!(::core::result::Result::Ok(#vd::Value::Bool(#b))),
        Expr::Int(i) => quote!(::core::result::Result::Ok(#vd::Value::Int(#i))),
        Expr::Float(x) => quote!(::core::result::Result::Ok(#vd::Value::Float(#x))),
        Expr::Str(s) => quote!(::core::result::Result::Ok(#vd::Value::string(#s))),
        Expr::This | Expr::Field(..) => {
            let field = f.field_of(expr)?;
            quote_spanned!(sp=> ::core::result::Result::Ok(#vd::operand(&self.#field)))
        }
        Expr::Not(x) => {
            let x = generate(x, f)?;
            quote!(#vd::not(#x))
        }
        Expr::Neg(x) => {
            let x = generate(x, f)?;
            quote!(#vd::neg(#x))
        }
        Expr::Binary(op, l, r) => {
            let (l, r) = (generate(l, f)?, generate(r, f)?);
            match op {
                BinOp::And => quote!(#vd::and(#l, || #r)),
                BinOp::Or => quote!(#vd::or(#l, || #r)),
                _ => {
                    let op = match op {
                        BinOp::Eq => quote!(Eq),
                        BinOp::Ne => quote!(Ne),
                        BinOp::Lt => quote!(Lt),
                        BinOp::Le => quote!(Le),
                        BinOp::Gt => quote!(Gt),
                        BinOp::Ge => quote!(Ge),
                        BinOp::Add => quote!(Add),
                        BinOp::Sub => quote!(Sub),
                        BinOp::Mul => quote!(Mul),
                        BinOp::Div => quote!(Div),
                        _ => quote!(Rem),
                    };
                    quote!(#vd::binary(#vd::BinOp::#op, #l, #r))
                }
            }
        }
        Expr::Len(x) | Expr::MbLen(x) => {
            let arg = match f.field_of(x)? {
                Some(field) => {
                    quote_spanned!(sp=> ::core::result::Result::Ok(#vd::sized(&self.#field)))
                }
                None => generate(x, f)?,
            };
            if matches!(expr, Expr::Len(_)) {
                quote!(#vd::len(#arg))
            } else {
                quote!(#vd::mblen(#arg))
            }
        }
        Expr::Regexp(pattern, target) => {
            let target = text(target, f)?;
            quote!({
                static RE: #vd::RegexCell = #vd::RegexCell::new();
                #vd::regexp(&RE, #pattern, #target)
            })
        }
        Expr::Email(target) => {
            let target = text(target, f)?;
            quote!(#vd::email(#target))
        }
        Expr::In(x, candidates) => {
            let x = generate(x, f)?;
            let c = candidates
                .iter()
                .map(|c| generate(c, f))
                .collect::<syn::Result<Vec<_>>>()?;
            quote!(#vd::one_of(#x, [#(#c),*]))
        }
    })
}

/// A text operand: a field must be text (`VdText`), anything else is checked at run time.
fn text(e: &Expr, f: &Fields<'_>) -> syn::Result<TokenStream> {
    let sp = f.span;
    match f.field_of(e)? {
        Some(field) => Ok(
            quote_spanned!(sp=> ::core::result::Result::Ok(::khz::__private::vd::text(&self.#field))),
        ),
        None => generate(e, f),
    }
}
