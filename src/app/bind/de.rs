//! One serde `Deserializer` over the string values of one key — a query parameter repeated or
//! not, a header, a cookie, a path parameter, a form field — so every field kind goes through
//! one path: the first value for a scalar, every value for a sequence (`?tag=a&tag=b` →
//! `Vec`), `None`/`Some` for an `Option`, a unit variant for an enum. Parsing one string into
//! a number, a `char` or an enum variant is `serde_plain`'s job; booleans also accept Go's
//! spellings (`1`, `t`, `T`, `TRUE`, `0`, `f`, …) as Hertz does.
//!
//! `de_struct.rs` builds whole structs from `(key, values)` pairs on top of it.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::SeqDeserializer;
use serde::de::{self, IntoDeserializer, Visitor};

/// The string values of one key, in order (no allocation for zero or one value).
#[derive(Debug, Clone, Default)]
pub struct Values<'a> {
    first: Option<Cow<'a, str>>,
    rest: Vec<Cow<'a, str>>,
}

impl<'a> Values<'a> {
    /// No values.
    pub fn new() -> Self {
        Values::default()
    }

    /// One value.
    pub fn one(v: impl Into<Cow<'a, str>>) -> Self {
        Values {
            first: Some(v.into()),
            rest: Vec::new(),
        }
    }

    /// Appends a value.
    pub fn push(&mut self, v: impl Into<Cow<'a, str>>) {
        if self.first.is_none() {
            self.first = Some(v.into());
        } else {
            self.rest.push(v.into());
        }
    }

    /// Whether there is no value.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The values in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.first.iter().chain(&self.rest).map(|v| v.as_ref())
    }
}

impl<'a, V: Into<Cow<'a, str>>> FromIterator<V> for Values<'a> {
    fn from_iter<I: IntoIterator<Item = V>>(iter: I) -> Self {
        let mut out = Values::new();
        for v in iter {
            out.push(v);
        }
        out
    }
}

/// A deserialization failure, before it is tied to a source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DeError {
    /// No value where one is required (`field` set when serde names it).
    Missing { field: Option<String> },
    /// A value that does not convert.
    Invalid {
        field: Option<String>,
        reason: String,
    },
}

impl DeError {
    /// Names the key the error happened in, unless a deeper one is named already.
    pub(crate) fn in_field(self, key: &str) -> Self {
        match self {
            DeError::Missing { field: None } => DeError::Missing {
                field: Some(key.to_owned()),
            },
            DeError::Invalid {
                field: None,
                reason,
            } => DeError::Invalid {
                field: Some(key.to_owned()),
                reason,
            },
            named => named,
        }
    }

    fn plain(e: serde_plain::Error) -> Self {
        DeError::Invalid {
            field: None,
            reason: e.to_string(),
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Missing { .. } => f.write_str("missing value"),
            DeError::Invalid { reason, .. } => f.write_str(reason),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Invalid {
            field: None,
            reason: msg.to_string(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::Missing {
            field: Some(field.to_owned()),
        }
    }
}

/// Deserializes `T` from the values of one key.
pub(crate) fn from_values<T: de::DeserializeOwned>(values: &Values<'_>) -> Result<T, DeError> {
    T::deserialize(ValuesDeserializer { values })
}

/// Go's `strconv.ParseBool` spellings, which Hertz accepts.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// One string value.
struct Scalar<'de>(&'de str);

impl<'de> IntoDeserializer<'de, DeError> for Scalar<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! plain {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            serde_plain::Deserializer::new(self.0).$method(visitor).map_err(DeError::plain)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Scalar<'de> {
    type Error = DeError;

    plain!(deserialize_any deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_option
        deserialize_unit deserialize_seq deserialize_map deserialize_identifier
        deserialize_ignored_any);

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match parse_bool(self.0) {
            Some(b) => visitor.visit_bool(b),
            None => Err(DeError::Invalid {
                field: None,
                reason: format!("cannot parse boolean: `{}` is not true/false/1/0", self.0),
            }),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        serde_plain::Deserializer::new(self.0)
            .deserialize_unit_struct(name, visitor)
            .map_err(DeError::plain)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        serde_plain::Deserializer::new(self.0)
            .deserialize_tuple(len, visitor)
            .map_err(DeError::plain)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        serde_plain::Deserializer::new(self.0)
            .deserialize_tuple_struct(name, len, visitor)
            .map_err(DeError::plain)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        serde_plain::Deserializer::new(self.0)
            .deserialize_struct(name, fields, visitor)
            .map_err(DeError::plain)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        serde_plain::Deserializer::new(self.0)
            .deserialize_enum(name, variants, visitor)
            .map_err(DeError::plain)
    }
}

/// All values of one key.
pub(crate) struct ValuesDeserializer<'v, 'a> {
    pub(crate) values: &'v Values<'a>,
}

impl<'v> ValuesDeserializer<'v, '_> {
    fn first(&self) -> Result<Scalar<'v>, DeError> {
        self.values
            .first
            .as_deref()
            .map(Scalar)
            .ok_or(DeError::Missing { field: None })
    }
}

macro_rules! first {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.first()?.$method(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValuesDeserializer<'de, '_> {
    type Error = DeError;

    first!(deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_map deserialize_identifier deserialize_ignored_any);

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.values.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let mut seq = SeqDeserializer::new(self.values.iter().map(Scalar));
        let out = visitor.visit_seq(&mut seq)?;
        seq.end()?;
        Ok(out)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.first()?.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.first()?.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.first()?.deserialize_enum(name, variants, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn vals(v: &[&'static str]) -> Values<'static> {
        v.iter().copied().collect()
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Color {
        Red,
        Green,
    }

    #[test]
    fn scalars_options_sequences() {
        assert_eq!(from_values::<u32>(&vals(&["7", "8"])), Ok(7));
        assert_eq!(from_values::<Vec<u32>>(&vals(&["7", "8"])), Ok(vec![7, 8]));
        assert_eq!(from_values::<Vec<u32>>(&vals(&[])), Ok(vec![]));
        assert_eq!(from_values::<Option<u32>>(&vals(&[])), Ok(None));
        assert_eq!(from_values::<Option<f64>>(&vals(&["1.5"])), Ok(Some(1.5)));
        assert_eq!(from_values::<bool>(&vals(&["T"])), Ok(true));
        assert_eq!(from_values::<char>(&vals(&["x"])), Ok('x'));
        assert_eq!(from_values::<Color>(&vals(&["green"])), Ok(Color::Green));
        assert_eq!(
            from_values::<Vec<Color>>(&vals(&["red", "green"])),
            Ok(vec![Color::Red, Color::Green])
        );
        assert_eq!(
            from_values::<u8>(&vals(&[])),
            Err(DeError::Missing { field: None })
        );
        let e = from_values::<u8>(&vals(&["300"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot parse u8: number too large to fit in target type"
        );
        let e = from_values::<Color>(&vals(&["blue"])).unwrap_err();
        assert!(e.to_string().contains("unknown variant `blue`"), "{e}");
        let e = from_values::<bool>(&vals(&["yes"])).unwrap_err();
        assert!(e.to_string().contains("`yes`"), "{e}");
    }
}
