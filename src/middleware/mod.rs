//! Ready-made middleware, built only on the public API of [`crate::app`] — exactly what a
//! third-party crate could write. [`recovery`] is always available (and part of
//! `Server::default()`); the others are behind cargo features:
//!
//! - `requestid` (feature `requestid`): an ID per request, propagated or generated, echoed.
//! - `secure` (feature `secure`): `nosniff`, frame options, referrer policy, HSTS, CSP.
//!
//! More (jwt, compression, pprof, access log, cors, …) arrive behind their own features.

mod recovery;
#[cfg(feature = "requestid")]
pub mod requestid;
#[cfg(feature = "secure")]
pub mod secure;

pub use recovery::recovery;
