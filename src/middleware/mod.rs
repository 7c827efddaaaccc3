//! Ready-made middleware, built only on the public API of [`crate::app`] — exactly what a
//! third-party crate could write. [`recovery`] is always available (and part of
//! `Server::default()`); heavier middleware (jwt, gzip, pprof, …) arrive behind cargo features.

mod recovery;

pub use recovery::recovery;
