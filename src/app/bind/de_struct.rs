//! A whole struct (or map) from `(key, values)` pairs — what `ctx.bind_query::<T>()`,
//! `bind_header`, `bind_path` and `bind_form` deserialize — with every error naming its key.
//! Each key's values go through the one-key deserializer of `de.rs`.

use std::borrow::Cow;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};

use super::de::{DeError, Values, ValuesDeserializer};

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
