//! The bodies of the fuzz targets, in one place.
//!
//! `fuzz/` (cargo-fuzz, nightly, libFuzzer) calls these functions from its
//! one-line targets; `tests/replay_corpus.rs` calls the same functions on
//! every file of the checked-in corpus, on stable, in the ordinary
//! `cargo test --workspace`. So CI replays exactly what was fuzzed, without
//! nightly or libFuzzer.
//!
//! Each function takes arbitrary bytes and panics only when an invariant
//! fails: a panic is a finding. The invariants are more than "does not
//! crash"; each module says what it checks.
//!
//! - [`header_check()`]: the broker's key-less age header check;
//! - [`envelope()`]: the signed plaintext envelope's parser, and `open`;
//! - [`padding()`]: the bucket sizes, age's payload arithmetic, and
//!   padding and unpadding real packets;
//! - [`api_json()`]: every JSON body of the API, through the broker's own
//!   extractor (requests) and the client's parser (responses).

#![forbid(unsafe_code)]

pub mod api;
mod envelope;
pub mod fixtures;
mod header;
pub mod padding;

pub use api::api_json;
pub use envelope::envelope;
pub use header::header_check;
pub use padding::padding;

/// A target's body: arbitrary bytes in, a panic on a broken invariant.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/fuzz_targets/<name>.rs` and
/// `fuzz/corpus/<name>/` name them.
pub const TARGETS: &[(&str, Target)] = &[
    ("header_check", header_check),
    ("envelope", envelope),
    ("padding", padding),
    ("api_json", api_json),
];
