//! One serde `Deserializer` over the string values of one key — a query parameter repeated or
//! not, a header, a cookie, a path parameter, a form field — so every field kind goes through
//! one path: the first value for a scalar, every value for a sequence (`?tag=a&tag=b` →
//! `Vec`), `None`/`Some` for an `Option`, a unit variant for an enum. Parsing one string into
//! a number, a `char` or an enum variant is `serde_plain`'s job; booleans also accept Go's
//! spellings (`1`, `t`, `T`, `TRUE`, `0`, `f`, …) as Hertz does.
//!
//! [`PairsDeserializer`] deserializes a whole struct from `(key, values)` pairs (for
//! `ctx.bind_query::<T>()` and friends), naming the key in every error.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};

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
    fn in_field(self, key: &str) -> Self {
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
    values: &'v Values<'a>,
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

/// Groups `(key, value)` pairs by key, keys in order of first appearance.
pub(crate) fn group<'a>(
    pairs: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
) -> Vec<(Cow<'a, str>, Values<'a>)> {
    let mut out: Vec<(Cow<'a, str>, Values<'a>)> = Vec::new();
    for (k, v) in pairs {
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some((_, values)) => values.push(v),
            None => out.push((k, Values::one(v))),
        }
    }
    out
}

/// A struct (or map) from grouped `(key, values)` pairs; errors name the key.
pub(crate) struct PairsDeserializer<'v, 'a> {
    pub(crate) entries: &'v [(Cow<'a, str>, Values<'a>)],
}

struct Entries<'v, 'a> {
    iter: std::slice::Iter<'v, (Cow<'a, str>, Values<'a>)>,
    value: Option<&'v (Cow<'a, str>, Values<'a>)>,
}

impl<'de> MapAccess<'de> for Entries<'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.iter.next() else {
            return Ok(None);
        };
        self.value = Some(entry);
        seed.deserialize(BorrowedStrDeserializer::new(entry.0.as_ref()))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, values)) = self.value.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        seed.deserialize(ValuesDeserializer { values })
            .map_err(|e| e.in_field(key))
    }
}

impl<'de> de::Deserializer<'de> for PairsDeserializer<'de, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(Entries {
            iter: self.entries.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
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

    #[derive(Debug, Deserialize, PartialEq)]
    struct Q {
        page: u32,
        tag: Vec<String>,
        q: Option<String>,
    }

    #[test]
    fn structs_from_pairs_name_the_key() {
        let pairs = group(
            [("tag", "a"), ("page", "2"), ("tag", "b")]
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))),
        );
        let q = Q::deserialize(PairsDeserializer { entries: &pairs }).unwrap();
        assert_eq!(
            q,
            Q {
                page: 2,
                tag: vec!["a".into(), "b".into()],
                q: None
            }
        );
        let pairs = group(
            [("page", "x"), ("tag", "a")]
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))),
        );
        match Q::deserialize(PairsDeserializer { entries: &pairs }) {
            Err(DeError::Invalid { field, .. }) => assert_eq!(field.as_deref(), Some("page")),
            other => panic!("{other:?}"),
        }
        let pairs = group(std::iter::once((Cow::Borrowed("tag"), Cow::Borrowed("a"))));
        assert_eq!(
            Q::deserialize(PairsDeserializer { entries: &pairs }),
            Err(DeError::Missing {
                field: Some("page".into())
            })
        );
    }
}
