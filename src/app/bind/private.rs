//! What `#[derive(khz::Bind)]` expands to calls, re-exported (hidden) as `khz::__private`:
//! serde (for the JSON companion struct), the field helpers below, and the `vd` run time.
//! Not a stable API.

#[doc(hidden)]
pub use serde;

/// Field helpers of the generated `Bind::bind`.
pub mod bind {
    use serde::de::DeserializeOwned;

    use crate::app::bind::de::{from_values, Values};
    use crate::app::bind::error::{BindError, Source};
    pub use crate::app::bind::source::Sources;
    use crate::app::bind::{context::de_error, from_default, json, value_in};
    use crate::app::RequestContext;

    /// A field type a path, query, header, cookie or form value converts to: anything that
    /// deserializes from a string (the bound exists for its error message).
    #[diagnostic::on_unimplemented(
        message = "a field of type `{Self}` cannot be bound from a path, query, header, cookie or form value",
        label = "`{Self}` does not implement `serde::Deserialize`",
        note = "these fields are numbers, bool, char, String, enums, Option or Vec of those, or any type that deserializes from a string"
    )]
    pub trait FromValues: DeserializeOwned {}

    impl<T: DeserializeOwned> FromValues for T {}

    /// The value of `name` in `source`, or `default` when the key is absent.
    pub fn named<T: FromValues>(
        sources: &Sources<'_>,
        source: Source,
        name: &'static str,
        default: Option<&'static str>,
    ) -> Result<T, BindError> {
        value_in(sources, source, name, default)
    }

    /// The JSON companion struct, parsed once from the body.
    pub fn json_fields<T: DeserializeOwned>(ctx: &RequestContext) -> Result<T, BindError> {
        json::parse_body(ctx, true)
    }

    /// A JSON field from the companion: present (and not `null`) → the value; absent → the
    /// default, else what an absent value means for `T` (`None`, an empty `Vec`, or missing).
    pub fn json_field<T: DeserializeOwned>(
        parsed: Option<T>,
        name: &'static str,
        default: Option<&'static str>,
    ) -> Result<T, BindError> {
        match (parsed, default) {
            (Some(v), _) => Ok(v),
            (None, Some(d)) => from_default(d, Source::Json, name),
            (None, None) => {
                from_values(&Values::new()).map_err(|e| de_error(e, Source::Json, Some(name)))
            }
        }
    }
}

#[cfg(feature = "macros")]
#[doc(hidden)]
pub use super::vd;
