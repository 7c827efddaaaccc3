//! `vd` validation expressions, Hertz's vocabulary: literals (`true`, `false`, `nil`, integers,
//! floats, `'strings'`), `! * / % + - < <= > >= == != && ||`, parentheses, `$` (this field),
//! `(Other)$` (another field), and the functions `len`, `mblen`, `regexp('re'[, x])`,
//! `in(x, a, b, ...)` and `email([x])`.
//!
//! [`lex`] cuts the text into tokens, [`parse`](mod@parse) builds the [`Expr`] tree (checking
//! function names, arities and regular expressions), [`gen`] turns a tree into Rust code that
//! evaluates it at run time with `khz::__private::vd`.

mod gen;
mod lex;
mod parse;

pub(crate) use gen::{generate, Fields};
pub(crate) use parse::parse;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    /// `$`
    This,
    /// `(Name)$`, with the column where it starts.
    Field(String, usize),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Len(Box<Expr>),
    MbLen(Box<Expr>),
    /// `regexp('pattern', target)`; target defaults to `$`.
    Regexp(String, Box<Expr>),
    /// `in(x, a, b, ...)`
    In(Box<Expr>, Vec<Expr>),
    /// `email(target)`; target defaults to `$`.
    Email(Box<Expr>),
}

/// Binary operators, loosest-binding last in each group of the precedence table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// A parse error: what went wrong and the (1-based, in characters) column where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VdError {
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl std::fmt::Display for VdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at column {})", self.message, self.column)
    }
}
