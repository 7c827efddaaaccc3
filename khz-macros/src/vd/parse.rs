//! The parser of `vd` expressions: precedence climbing over the tokens, loosest first —
//! `||`, `&&`, comparisons, `+ -`, `* / %`, then the unary `!` and `-`. Function names and
//! arities are checked here, and `regexp` patterns are compiled with `regex-syntax` (the parser
//! of the `regex` crate), so every mistake is found at compile time.

use super::lex::{tokenize, Tok, Token};
use super::{BinOp, Expr, VdError};

/// The functions a `vd` expression may call, for error messages.
const FUNCTIONS: &str = "len, mblen, regexp, in, email";

/// Parses a whole expression.
pub(crate) fn parse(text: &str) -> Result<Expr, VdError> {
    let tokens = tokenize(text)?;
    let end = text.chars().count() + 1;
    if tokens.is_empty() {
        return Err(VdError {
            column: 1,
            message: "the expression is empty".to_owned(),
        });
    }
    let mut p = Parser { tokens, at: 0, end };
    let expr = p.expr()?;
    if let Some(t) = p.tokens.get(p.at) {
        return Err(VdError {
            column: t.column,
            message: format!(
                "unexpected {} after a complete expression",
                t.kind.describe()
            ),
        });
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// Column just past the text, for "unexpected end" errors.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.kind)
    }

    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.tokens.get(self.at + k).map(|t| &t.kind)
    }

    fn column(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end, |t| t.column)
    }

    fn error(&self, message: impl Into<String>) -> VdError {
        VdError {
            column: self.column(),
            message: message.into(),
        }
    }

    fn unexpected(&self, wanted: &str) -> VdError {
        match self.peek() {
            Some(t) => self.error(format!("expected {wanted}, found {}", t.describe())),
            None => self.error(format!(
                "expected {wanted}, found the end of the expression"
            )),
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.at).map(|t| t.kind.clone());
        self.at += 1;
        t
    }

    fn expect(&mut self, tok: Tok, wanted: &str) -> Result<(), VdError> {
        if self.peek() == Some(&tok) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    fn expr(&mut self) -> Result<Expr, VdError> {
        self.binary(0)
    }

    /// Binary operators of precedence level `level` and tighter.
    fn binary(&mut self, level: usize) -> Result<Expr, VdError> {
        const LEVELS: [&[(&str, BinOp)]; 5] = [
            &[("||", BinOp::Or)],
            &[("&&", BinOp::And)],
            &[
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
                ("<", BinOp::Lt),
                ("<=", BinOp::Le),
                (">", BinOp::Gt),
                (">=", BinOp::Ge),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
        ];
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.binary(level + 1)?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op(o)) => ops.iter().find(|(s, _)| s == o).map(|(_, op)| *op),
                _ => None,
            };
            let Some(op) = op else {
                return Ok(left);
            };
            self.at += 1;
            let right = self.binary(level + 1)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, VdError> {
        match self.peek() {
            Some(Tok::Op("!")) => {
                self.at += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Op("-")) => {
                self.at += 1;
                Ok(match self.unary()? {
                    Expr::Int(i) => Expr::Int(-i),
                    Expr::Float(x) => Expr::Float(-x),
                    other => Expr::Neg(Box::new(other)),
                })
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, VdError> {
        let column = self.column();
        match self.peek().cloned() {
            Some(Tok::Dollar) => {
                self.at += 1;
                Ok(Expr::This)
            }
            Some(Tok::Int(i)) => {
                self.at += 1;
                Ok(Expr::Int(i))
            }
            Some(Tok::Float(x)) => {
                self.at += 1;
                Ok(Expr::Float(x))
            }
            Some(Tok::Str(s)) => {
                self.at += 1;
                Ok(Expr::Str(s))
            }
            Some(Tok::LParen) => {
                // `(Name)$` refers to another field; anything else is a parenthesized expression.
                if let (Some(Tok::Ident(name)), Some(Tok::RParen), Some(Tok::Dollar)) =
                    (self.peek_at(1), self.peek_at(2), self.peek_at(3))
                {
                    let name = name.clone();
                    self.at += 4;
                    return Ok(Expr::Field(name, column));
                }
                self.at += 1;
                let inner = self.expr()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(inner)
            }
            Some(Tok::Ident(name)) => {
                self.at += 1;
                match name.as_str() {
                    "true" => return Ok(Expr::Bool(true)),
                    "false" => return Ok(Expr::Bool(false)),
                    "nil" => return Ok(Expr::Nil),
                    _ => {}
                }
                if self.peek() != Some(&Tok::LParen) {
                    self.at -= 1;
                    return Err(self.error(format!(
                        "unknown name `{name}`: write `$` for this field, `({name})$` for \
                         another field, or call a function ({FUNCTIONS})"
                    )));
                }
                self.at += 1;
                let args = self.arguments()?;
                self.call(&name, args, column)
            }
            _ => Err(self.unexpected("a value, `$`, `(Field)$` or a function call")),
        }
    }

    /// Arguments after `(`, through the closing `)`.
    fn arguments(&mut self) -> Result<Vec<Expr>, VdError> {
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::RParen) {
            self.at += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            match self.next() {
                Some(Tok::Comma) => {}
                Some(Tok::RParen) => return Ok(args),
                _ => {
                    self.at -= 1;
                    return Err(self.unexpected("`,` or `)`"));
                }
            }
        }
    }

    fn call(&self, name: &str, mut args: Vec<Expr>, column: usize) -> Result<Expr, VdError> {
        let err = |message: String| VdError { column, message };
        let arity = |n: usize, args: &[Expr]| {
            if args.len() == n {
                Ok(())
            } else {
                Err(err(format!(
                    "`{name}` takes {n} argument{}, got {}",
                    if n == 1 { "" } else { "s" },
                    args.len()
                )))
            }
        };
        match name {
            "len" | "mblen" => {
                arity(1, &args)?;
                let arg = Box::new(args.remove(0));
                Ok(if name == "len" {
                    Expr::Len(arg)
                } else {
                    Expr::MbLen(arg)
                })
            }
            "regexp" => {
                if args.is_empty() || args.len() > 2 {
                    return Err(err(format!(
                        "`regexp` takes a pattern and optionally a value: regexp('^[a-z]+$') or \
                         regexp('^[a-z]+$', (Other)$); got {} arguments",
                        args.len()
                    )));
                }
                let target = if args.len() == 2 {
                    args.remove(1)
                } else {
                    Expr::This
                };
                let Expr::Str(pattern) = args.remove(0) else {
                    return Err(err(
                        "the pattern of `regexp` must be a string literal: regexp('^[a-z]+$')"
                            .to_owned(),
                    ));
                };
                if let Err(e) = regex_syntax::Parser::new().parse(&pattern) {
                    return Err(err(format!("invalid regular expression: {}", one_line(&e))));
                }
                Ok(Expr::Regexp(pattern, Box::new(target)))
            }
            "in" => {
                if args.len() < 2 {
                    return Err(err(
                        "`in` takes a value and at least one candidate: in($, 'a', 'b')".to_owned(),
                    ));
                }
                let first = args.remove(0);
                Ok(Expr::In(Box::new(first), args))
            }
            "email" => {
                if args.len() > 1 {
                    return Err(err(format!(
                        "`email` takes at most 1 argument, got {}",
                        args.len()
                    )));
                }
                Ok(Expr::Email(Box::new(args.pop().unwrap_or(Expr::This))))
            }
            _ => Err(err(format!(
                "unknown function `{name}`; the functions are {FUNCTIONS}"
            ))),
        }
    }
}

/// A `regex-syntax` error in one line: its kind, and the position within the pattern.
fn one_line(e: &regex_syntax::Error) -> String {
    match e {
        regex_syntax::Error::Parse(p) => {
            format!("{} at offset {}", p.kind(), p.span().start.offset)
        }
        regex_syntax::Error::Translate(t) => {
            format!("{} at offset {}", t.kind(), t.span().start.offset)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(op: BinOp, l: Expr, r: Expr) -> Expr {
        Expr::Binary(op, Box::new(l), Box::new(r))
    }

    #[test]
    fn precedence() {
        assert_eq!(
            parse("len($) > 0 && len($) < 100").unwrap(),
            b(
                BinOp::And,
                b(BinOp::Gt, Expr::Len(Box::new(Expr::This)), Expr::Int(0)),
                b(BinOp::Lt, Expr::Len(Box::new(Expr::This)), Expr::Int(100)),
            )
        );
        assert_eq!(
            parse("1 + 2 * 3 == 7 || !$").unwrap(),
            b(
                BinOp::Or,
                b(
                    BinOp::Eq,
                    b(
                        BinOp::Add,
                        Expr::Int(1),
                        b(BinOp::Mul, Expr::Int(2), Expr::Int(3))
                    ),
                    Expr::Int(7)
                ),
                Expr::Not(Box::new(Expr::This)),
            )
        );
        assert_eq!(
            parse("(1 + 2) * -3").unwrap(),
            b(
                BinOp::Mul,
                b(BinOp::Add, Expr::Int(1), Expr::Int(2)),
                Expr::Int(-3)
            )
        );
    }

    #[test]
    fn fields_and_functions() {
        assert_eq!(
            parse("$ < (Max)$").unwrap(),
            b(BinOp::Lt, Expr::This, Expr::Field("Max".into(), 5))
        );
        assert_eq!(
            parse("regexp('^a+$')").unwrap(),
            Expr::Regexp("^a+$".into(), Box::new(Expr::This))
        );
        assert_eq!(parse("email()").unwrap(), Expr::Email(Box::new(Expr::This)));
        assert_eq!(
            parse("in($, 'a', nil)").unwrap(),
            Expr::In(Box::new(Expr::This), vec![Expr::Str("a".into()), Expr::Nil])
        );
    }

    #[test]
    fn errors() {
        let msg = |t: &str| parse(t).unwrap_err().to_string();
        assert_eq!(
            msg("len($) >"),
            "expected a value, `$`, `(Field)$` or a function call, found the end of the \
             expression (at column 9)"
        );
        assert!(msg("size($)").contains("unknown function `size`"));
        assert!(msg("len($, 1)").contains("`len` takes 1 argument, got 2"));
        assert!(msg("regexp('(')").contains("invalid regular expression"));
        assert!(msg("regexp($)").contains("string literal"));
        assert!(msg("in($)").contains("at least one candidate"));
        assert!(msg("$ $").contains("unexpected `$` after a complete expression"));
        assert!(msg("foo").contains("unknown name `foo`"));
        assert!(msg("(1").contains("expected `)`"));
        assert!(msg("").contains("empty"));
    }
}
