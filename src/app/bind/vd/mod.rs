//! The run-time side of `#[vd("...")]` rules: what `#[derive(Bind)]` compiles an expression
//! into. Operands become a small [`Value`] (`Nil`, `Bool`, `Int`, `Float`, `Str`, `List`);
//! fields get there through [`VdOperand`] (and [`VdLen`] / [`VdText`] where a function needs a
//! length or text), so a field type an expression cannot use is a compile error.
//!
//! `operand.rs` holds those traits. Semantics, following Hertz (go-tagexpr): `None` is `nil`; `len` counts bytes of a string
//! and `mblen` counts characters (both count the items of a list, and are 0 for `nil`); `==`
//! between different kinds is false; `<`-style comparisons need two numbers or two strings;
//! `/` divides as floats; `!`, `&&`, `||` use truthiness (`nil`, `false`, `0`, `''` and empty
//! lists are false); `regexp` and `email` are false for `nil`. Anything else that cannot be
//! evaluated (`'a' < 1`, division by zero, overflow) fails the rule with the reason.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;

use super::error::{BindError, Source};

mod operand;

pub use operand::{operand, sized, text, VdLen, VdOperand, VdText};

/// An operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `nil` (and `None`).
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer (any Rust integer up to 64 bits fits).
    Int(i128),
    /// A float.
    Float(f64),
    /// A string (also a `char`).
    Str(Cow<'a, str>),
    /// A list (`Vec`, slice).
    List(Vec<Value<'a>>),
}

impl Value<'_> {
    /// A string literal.
    pub fn string(s: &'static str) -> Value<'static> {
        Value::Str(Cow::Borrowed(s))
    }

    fn kind(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::List(_) => "list",
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(x) => *x != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            _ => None,
        }
    }
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError(String);

/// What each node of a compiled expression yields.
pub type Eval<'a> = Result<Value<'a>, EvalError>;

/// The binary operators other than `&&` and `||` (those short-circuit: [`and`], [`or`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

fn fail<T>(msg: String) -> Result<T, EvalError> {
    Err(EvalError(msg))
}

/// `!x`
pub fn not(x: Eval<'_>) -> Eval<'_> {
    Ok(Value::Bool(!x?.truthy()))
}

/// `-x`
pub fn neg(x: Eval<'_>) -> Eval<'_> {
    match x? {
        Value::Int(i) => Ok(Value::Int(-i)),
        Value::Float(f) => Ok(Value::Float(-f)),
        other => fail(format!("cannot negate {}", other.kind())),
    }
}

/// `l && r` (`r` evaluated only when `l` is true).
pub fn and<'a>(l: Eval<'a>, r: impl FnOnce() -> Eval<'a>) -> Eval<'a> {
    Ok(Value::Bool(l?.truthy() && r()?.truthy()))
}

/// `l || r` (`r` evaluated only when `l` is false).
pub fn or<'a>(l: Eval<'a>, r: impl FnOnce() -> Eval<'a>) -> Eval<'a> {
    Ok(Value::Bool(l?.truthy() || r()?.truthy()))
}

fn equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        _ => match (a.number(), b.number()) {
            (Some(x), Some(y)) => match (a, b) {
                (Value::Int(i), Value::Int(j)) => i == j,
                _ => x == y,
            },
            _ => a == b,
        },
    }
}

fn order(a: &Value<'_>, b: &Value<'_>) -> Result<Ordering, EvalError> {
    match (a, b) {
        (Value::Int(i), Value::Int(j)) => Ok(i.cmp(j)),
        (Value::Str(s), Value::Str(t)) => Ok(s.cmp(t)),
        _ => match (a.number(), b.number()) {
            (Some(x), Some(y)) => x
                .partial_cmp(&y)
                .ok_or_else(|| EvalError("cannot compare NaN".to_owned())),
            _ => fail(format!("cannot compare {} with {}", a.kind(), b.kind())),
        },
    }
}

fn arithmetic<'a>(op: BinOp, a: Value<'a>, b: Value<'a>) -> Eval<'a> {
    let overflow = || EvalError("arithmetic overflow".to_owned());
    if let (BinOp::Add, Value::Str(s), Value::Str(t)) = (op, &a, &b) {
        return Ok(Value::Str(Cow::Owned(format!("{s}{t}"))));
    }
    if let (Value::Int(i), Value::Int(j)) = (&a, &b) {
        let (i, j) = (*i, *j);
        let r = match op {
            BinOp::Add => i.checked_add(j).ok_or_else(overflow)?,
            BinOp::Sub => i.checked_sub(j).ok_or_else(overflow)?,
            BinOp::Mul => i.checked_mul(j).ok_or_else(overflow)?,
            BinOp::Rem if j == 0 => return fail("modulo by zero".to_owned()),
            BinOp::Rem => i % j,
            _ => {
                if j == 0 {
                    return fail("division by zero".to_owned());
                }
                return Ok(Value::Float(i as f64 / j as f64));
            }
        };
        return Ok(Value::Int(r));
    }
    let (Some(x), Some(y)) = (a.number(), b.number()) else {
        let sym = match op {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            _ => "%",
        };
        return fail(format!("cannot compute {} {sym} {}", a.kind(), b.kind()));
    };
    Ok(Value::Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div if y == 0.0 => return fail("division by zero".to_owned()),
        BinOp::Div => x / y,
        _ if y == 0.0 => return fail("modulo by zero".to_owned()),
        _ => x % y,
    }))
}

/// `l op r`
pub fn binary<'a>(op: BinOp, l: Eval<'a>, r: Eval<'a>) -> Eval<'a> {
    let (a, b) = (l?, r?);
    let bool = |v: bool| Ok(Value::Bool(v));
    match op {
        BinOp::Eq => bool(equal(&a, &b)),
        BinOp::Ne => bool(!equal(&a, &b)),
        BinOp::Lt => bool(order(&a, &b)?.is_lt()),
        BinOp::Le => bool(order(&a, &b)?.is_le()),
        BinOp::Gt => bool(order(&a, &b)?.is_gt()),
        BinOp::Ge => bool(order(&a, &b)?.is_ge()),
        _ => arithmetic(op, a, b),
    }
}

fn length(x: Eval<'_>, chars: bool) -> Eval<'_> {
    let n = match x? {
        Value::Nil => 0,
        Value::Str(s) if chars => s.chars().count(),
        Value::Str(s) => s.len(),
        Value::List(l) => l.len(),
        other => return fail(format!("{} has no length", other.kind())),
    };
    Ok(Value::Int(n as i128))
}

/// `len(x)`: bytes of a string, items of a list, 0 for nil.
pub fn len(x: Eval<'_>) -> Eval<'_> {
    length(x, false)
}

/// `mblen(x)`: characters of a string, items of a list, 0 for nil.
pub fn mblen(x: Eval<'_>) -> Eval<'_> {
    length(x, true)
}

/// The compiled regular expression of one `regexp` site, built on first use.
pub struct RegexCell(OnceLock<Result<Regex, String>>);

impl RegexCell {
    /// An empty cell (for a `static`).
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        RegexCell(OnceLock::new())
    }
}

fn matches<'a>(re: &Regex, x: Eval<'a>, what: &str) -> Eval<'a> {
    match x? {
        Value::Nil => Ok(Value::Bool(false)),
        Value::Str(s) => Ok(Value::Bool(re.is_match(&s))),
        other => fail(format!("{what} needs a string, got {}", other.kind())),
    }
}

/// `regexp('pattern', x)`
pub fn regexp<'a>(cell: &RegexCell, pattern: &str, x: Eval<'a>) -> Eval<'a> {
    match cell
        .0
        .get_or_init(|| Regex::new(pattern).map_err(|e| e.to_string()))
    {
        Ok(re) => matches(re, x, "regexp"),
        Err(e) => fail(format!("regexp: {e}")),
    }
}

/// The address pattern of Hertz's `email()`.
const EMAIL: &str = r"^([A-Za-z0-9_\-\.\x{4e00}-\x{9fa5}])+@([A-Za-z0-9_\-\.])+\.([A-Za-z]{2,8})$";

/// `email(x)`: Hertz's pattern, `local@domain.tld`.
pub fn email(x: Eval<'_>) -> Eval<'_> {
    static RE: RegexCell = RegexCell::new();
    match RE
        .0
        .get_or_init(|| Regex::new(EMAIL).map_err(|e| e.to_string()))
    {
        Ok(re) => matches(re, x, "email"),
        Err(e) => fail(format!("email: {e}")),
    }
}

/// `in(x, a, b, ...)`: whether `x` equals one of the candidates.
pub fn one_of<'a, const N: usize>(x: Eval<'a>, candidates: [Eval<'a>; N]) -> Eval<'a> {
    let x = x?;
    for c in candidates {
        if equal(&x, &c?) {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// Where a rule sits, for its error.
#[derive(Debug)]
pub struct Rule {
    field: Option<&'static str>,
    source: Option<Source>,
    expr: &'static str,
    msg: Option<&'static str>,
}

impl Rule {
    /// A rule on `field` (as the client names it) read from `source`; `expr` is the rule's
    /// text (empty for a function), `msg` its custom message.
    pub const fn new(
        field: Option<&'static str>,
        source: Option<Source>,
        expr: &'static str,
        msg: Option<&'static str>,
    ) -> Self {
        Rule {
            field,
            source,
            expr,
            msg,
        }
    }

    fn error(&self, detail: String) -> BindError {
        let message = match (self.msg, self.field) {
            (Some(m), _) => m.to_owned(),
            (None, Some(field)) => format!("`{field}` is invalid: {detail}"),
            (None, None) => detail,
        };
        let e = BindError::validation(self.field, message);
        match self.source {
            Some(s) => e.with_source(s),
            None => e,
        }
    }
}

/// Checks the outcome of a compiled expression: true passes; false or an evaluation error
/// fails with the rule's message (or a description of the rule).
pub fn check(outcome: Eval<'_>, rule: &Rule) -> Result<(), BindError> {
    match outcome {
        Ok(v) if v.truthy() => Ok(()),
        Ok(_) => Err(rule.error(format!("`{}` is false", rule.expr))),
        Err(EvalError(why)) => Err(rule.error(format!("`{}`: {why}", rule.expr))),
    }
}

/// Checks the outcome of a `#[vd(func = ...)]` function.
pub fn check_func(outcome: Result<(), String>, rule: &Rule) -> Result<(), BindError> {
    outcome.map_err(|why| rule.error(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &'static str) -> Eval<'static> {
        Ok(Value::string(x))
    }

    fn i(x: i128) -> Eval<'static> {
        Ok(Value::Int(x))
    }

    #[test]
    fn operators() {
        assert_eq!(binary(BinOp::Add, i(2), i(3)), i(5));
        assert_eq!(binary(BinOp::Div, i(7), i(2)), Ok(Value::Float(3.5)));
        assert_eq!(binary(BinOp::Rem, i(7), i(2)), i(1));
        assert_eq!(binary(BinOp::Add, s("a"), s("b")), s("ab"));
        assert_eq!(
            binary(BinOp::Eq, i(2), Ok(Value::Float(2.0))),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            binary(BinOp::Eq, i(0), Ok(Value::Nil)),
            Ok(Value::Bool(false))
        );
        assert_eq!(binary(BinOp::Lt, s("a"), s("b")), Ok(Value::Bool(true)));
        assert!(binary(BinOp::Lt, s("a"), i(1)).is_err());
        assert!(binary(BinOp::Div, i(1), i(0)).is_err());
        assert!(binary(BinOp::Mul, i(i128::MAX), i(2)).is_err());
        assert_eq!(not(Ok(Value::Nil)), Ok(Value::Bool(true)));
        assert_eq!(neg(i(3)), i(-3));
        assert_eq!(
            and(i(0), || panic!("short-circuits")),
            Ok(Value::Bool(false))
        );
        assert_eq!(or(i(1), || panic!("short-circuits")), Ok(Value::Bool(true)));
    }

    #[test]
    fn functions() {
        assert_eq!(len(s("héllo")), i(6));
        assert_eq!(mblen(s("héllo")), i(5));
        assert_eq!(len(Ok(operand(&vec![1u8, 2]))), i(2));
        assert_eq!(len(Ok(Value::Nil)), i(0));
        assert!(len(i(3)).is_err());
        static RE: RegexCell = RegexCell::new();
        assert_eq!(regexp(&RE, "^a+$", s("aaa")), Ok(Value::Bool(true)));
        assert_eq!(regexp(&RE, "^a+$", s("ab")), Ok(Value::Bool(false)));
        assert_eq!(email(s("who@example.com")), Ok(Value::Bool(true)));
        assert_eq!(email(s("who@example")), Ok(Value::Bool(false)));
        assert_eq!(one_of(s("b"), [s("a"), s("b")]), Ok(Value::Bool(true)));
        assert_eq!(one_of(i(3), [i(1), i(2)]), Ok(Value::Bool(false)));
        assert_eq!(operand(&Some(3u8)), Value::Int(3));
        assert_eq!(operand(&None::<u8>), Value::Nil);
    }
}
