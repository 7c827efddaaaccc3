//! The tokenizer of `vd` expressions.

use super::VdError;

/// A token with the 1-based column (in characters) where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Dollar,
    LParen,
    RParen,
    Comma,
    Ident(String),
    Int(i128),
    Float(f64),
    Str(String),
    /// An operator: `! * / % + - < <= > >= == != && ||`.
    Op(&'static str),
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Dollar => "`$`".to_owned(),
            Tok::LParen => "`(`".to_owned(),
            Tok::RParen => "`)`".to_owned(),
            Tok::Comma => "`,`".to_owned(),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(i) => format!("`{i}`"),
            Tok::Float(x) => format!("`{x}`"),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Op(op) => format!("`{op}`"),
        }
    }
}

const OPS: [&str; 14] = [
    "<=", ">=", "==", "!=", "&&", "||", "!", "*", "/", "%", "+", "-", "<", ">",
];

/// Cuts `text` into tokens.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, VdError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let err = |message: String| VdError { column, message };
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let simple = match c {
            '$' => Some(Tok::Dollar),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(kind) = simple {
            out.push(Token { kind, column });
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(err("unterminated string literal".to_owned())),
                    Some('\'') => break,
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some('\'') => s.push('\''),
                            Some('\\') => s.push('\\'),
                            // Keep other escapes as written: regexps need `\d`, `\.` ...
                            Some(&other) => {
                                s.push('\\');
                                s.push(other);
                            }
                            None => return Err(err("unterminated string literal".to_owned())),
                        }
                        i += 2;
                    }
                    Some(&other) => {
                        s.push(other);
                        i += 1;
                    }
                }
            }
            i += 1;
            out.push(Token {
                kind: Tok::Str(s),
                column,
            });
        } else if c.is_ascii_digit() {
            let start = i;
            while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            let float =
                chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit());
            if float {
                i += 1;
                while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
            }
            let lit: String = chars[start..i].iter().collect();
            let kind = if float {
                Tok::Float(
                    lit.parse()
                        .map_err(|_| err(format!("invalid number `{lit}`")))?,
                )
            } else {
                Tok::Int(
                    lit.parse()
                        .map_err(|_| err(format!("number `{lit}` is too large")))?,
                )
            };
            out.push(Token { kind, column });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            out.push(Token {
                kind: Tok::Ident(chars[start..i].iter().collect()),
                column,
            });
        } else if let Some(op) = OPS.iter().find(|op| {
            op.chars()
                .enumerate()
                .all(|(k, oc)| chars.get(i + k) == Some(&oc))
        }) {
            i += op.len();
            out.push(Token {
                kind: Tok::Op(op),
                column,
            });
        } else if c == '"' {
            return Err(err(
                "strings are written in single quotes: 'text'".to_owned()
            ));
        } else if c == '=' || c == '&' || c == '|' {
            return Err(err(format!("unexpected `{c}`; did you mean `{c}{c}`?")));
        } else {
            return Err(err(format!("unexpected character `{c}`")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Tok> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("len($)>=1.5&&'a\\'b'!=(X)$"),
            vec![
                Tok::Ident("len".into()),
                Tok::LParen,
                Tok::Dollar,
                Tok::RParen,
                Tok::Op(">="),
                Tok::Float(1.5),
                Tok::Op("&&"),
                Tok::Str("a'b".into()),
                Tok::Op("!="),
                Tok::LParen,
                Tok::Ident("X".into()),
                Tok::RParen,
                Tok::Dollar,
            ]
        );
        assert_eq!(kinds("'\\d+'"), vec![Tok::Str("\\d+".into())]);
    }

    #[test]
    fn errors_name_the_column() {
        let e = tokenize("$ = 1").unwrap_err();
        assert_eq!(e.column, 3);
        assert!(e.message.contains("`==`"), "{}", e.message);
        assert_eq!(tokenize("'abc").unwrap_err().column, 1);
        assert!(tokenize("\"x\"")
            .unwrap_err()
            .message
            .contains("single quotes"));
        assert_eq!(tokenize("$ # 1").unwrap_err().column, 3);
    }
}
