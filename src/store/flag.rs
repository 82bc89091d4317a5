//! 0/1 flag columns, read as `bool`.
//!
//! The portable schema keeps booleans as `BIGINT` 0/1 (see the [`super`] docs), and
//! sqlx's `Any` driver decodes a `bool` only from a value its backend reports as a
//! boolean: a SQLite `INTEGER` and a PostgreSQL `BIGINT` are both refused. So a row
//! struct keeps a plain `bool` field and reads it through [`Flag`], which decodes the
//! integer the same way on both backends:
//!
//! ```ignore
//! #[sqlx(try_from = "Flag")]
//! pub closed: bool,
//! ```
//!
//! Any value but 0 or 1 is a decode error rather than a guess, so corrupt data does not
//! read as "set" in one caller and "unset" in another. Writes bind `i64::from(flag)`: a
//! bound `bool` is a type error against a PostgreSQL `BIGINT` column.

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::decode::Decode;
use sqlx::error::BoxDynError;
use sqlx::types::Type;

/// A 0/1 column on its way to a `bool` field (only ever named in `try_from`).
pub struct Flag(bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> Self {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        match <i64 as Decode<'r, Any>>::decode(value)? {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            other => Err(format!("a 0/1 flag holds {other}").into()),
        }
    }
}
