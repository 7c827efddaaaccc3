//! How fields become `vd` operands: [`VdOperand`] for every supported field type, and the
//! narrower [`VdLen`] (what `len`/`mblen` measure) and [`VdText`] (what `regexp`/`email`
//! match). The generated code goes through [`operand`], [`sized`] and [`text`], so a field of
//! another type is a compile error with the message of the missing trait.

use std::borrow::Cow;

use super::Value;

/// A field type usable in a `vd` expression.
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot be used in a `vd` expression",
    label = "this expression uses a `{Self}` field",
    note = "vd operands are integers, floats, bool, char, String/&str, and Option, Vec or slices of those; check other types with `#[vd(func = path)]`"
)]
pub trait VdOperand {
    /// The field as an operand.
    fn vd_value(&self) -> Value<'_>;
}

/// A field type `len` and `mblen` can measure.
#[diagnostic::on_unimplemented(
    message = "`len`/`mblen` need a string or a list, not `{Self}`",
    label = "`len`/`mblen` of a `{Self}` field",
    note = "strings (String, &str, char), Vec and slices have a length; an Option of one is 0 when None"
)]
pub trait VdLen: VdOperand {}

/// A field type `regexp` and `email` can match.
#[diagnostic::on_unimplemented(
    message = "`regexp`/`email` need a string field, not `{Self}`",
    label = "`regexp`/`email` of a `{Self}` field",
    note = "use String or &str (or an Option of one: None does not match)"
)]
pub trait VdText: VdOperand {}

macro_rules! int_operand {
    ($($t:ty)*) => {$(
        impl VdOperand for $t {
            fn vd_value(&self) -> Value<'_> {
                Value::Int(*self as i128)
            }
        }
    )*};
}
int_operand!(i8 i16 i32 i64 isize u8 u16 u32 u64 usize);

impl VdOperand for f32 {
    fn vd_value(&self) -> Value<'_> {
        Value::Float(f64::from(*self))
    }
}

impl VdOperand for f64 {
    fn vd_value(&self) -> Value<'_> {
        Value::Float(*self)
    }
}

impl VdOperand for bool {
    fn vd_value(&self) -> Value<'_> {
        Value::Bool(*self)
    }
}

impl VdOperand for char {
    fn vd_value(&self) -> Value<'_> {
        Value::Str(Cow::Owned(self.to_string()))
    }
}

impl VdOperand for str {
    fn vd_value(&self) -> Value<'_> {
        Value::Str(Cow::Borrowed(self))
    }
}

impl VdOperand for String {
    fn vd_value(&self) -> Value<'_> {
        Value::Str(Cow::Borrowed(self))
    }
}

impl VdOperand for Cow<'_, str> {
    fn vd_value(&self) -> Value<'_> {
        Value::Str(Cow::Borrowed(self))
    }
}

impl<T: VdOperand> VdOperand for Option<T> {
    fn vd_value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Nil, T::vd_value)
    }
}

impl<T: VdOperand> VdOperand for [T] {
    fn vd_value(&self) -> Value<'_> {
        Value::List(self.iter().map(T::vd_value).collect())
    }
}

impl<T: VdOperand> VdOperand for Vec<T> {
    fn vd_value(&self) -> Value<'_> {
        self.as_slice().vd_value()
    }
}

impl<T: VdOperand + ?Sized> VdOperand for &T {
    fn vd_value(&self) -> Value<'_> {
        (**self).vd_value()
    }
}

impl<T: VdOperand + ?Sized> VdOperand for Box<T> {
    fn vd_value(&self) -> Value<'_> {
        (**self).vd_value()
    }
}

impl VdLen for str {}
impl VdLen for String {}
impl VdLen for char {}
impl VdLen for Cow<'_, str> {}
impl<T: VdOperand> VdLen for [T] {}
impl<T: VdOperand> VdLen for Vec<T> {}
impl<T: VdLen> VdLen for Option<T> {}
impl<T: VdLen + ?Sized> VdLen for &T {}
impl<T: VdLen + ?Sized> VdLen for Box<T> {}

impl VdText for str {}
impl VdText for String {}
impl VdText for Cow<'_, str> {}
impl<T: VdText> VdText for Option<T> {}
impl<T: VdText + ?Sized> VdText for &T {}
impl<T: VdText + ?Sized> VdText for Box<T> {}

/// A field as an operand.
pub fn operand<T: VdOperand + ?Sized>(v: &T) -> Value<'_> {
    v.vd_value()
}

/// A field as the argument of `len`/`mblen`.
pub fn sized<T: VdLen + ?Sized>(v: &T) -> Value<'_> {
    v.vd_value()
}

/// A field as the argument of `regexp`/`email`.
pub fn text<T: VdText + ?Sized>(v: &T) -> Value<'_> {
    v.vd_value()
}
