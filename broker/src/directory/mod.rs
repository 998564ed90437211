//! The broker's side of the signed directory log (ADR 0003, 0004).
//!
//! - [`cache`]: the broker's own verified copy of the log, loaded and checked
//!   at start, refreshed from the store before it is used (other brokers may
//!   append to a shared PostgreSQL database);
//! - [`effect`]: what an entry an administrator appends changes in the
//!   broker's tables, and the checks that tie it to a pending request;
//! - [`errors`]: how a refused entry is answered;
//! - [`reader`]: who may read the log (ADR 0019 §3).

pub mod cache;
pub mod effect;
pub mod errors;
pub mod reader;

pub use cache::{DirectoryCache, LoadError};

/// How far ahead of the broker's clock an entry's time may be. The log
/// refuses entries whose time goes backwards, so one entry signed on a
/// machine whose clock runs days ahead would block every later entry until
/// real time caught up.
pub const MAX_CLOCK_SKEW_SECS: i64 = 600;
