//! Shared foundations every layer may use: the crate-wide [`Error`] type and the cached HTTP
//! `Date` value. Nothing here knows about sockets, HTTP parsing, routes or handlers; it sits under
//! all four layers of the map in `docs/ARCHITECTURE.md`.

pub mod date;
pub mod error;

pub use error::{Error, ErrorKind, Result};
