//! The protocol crate's integration tests, as one test binary: each former
//! `tests/*.rs` file is a module here, so the crate links one binary
//! instead of nine. `memory_wipe` stays a binary of its own: it reads freed
//! heap memory through `/proc/self/mem`, and tests allocating on other
//! threads of the same process could reuse the very chunk it inspects.

mod buckets;
mod cctv;
mod common;
mod directory;
mod envelope_props;
mod hybrid_stanzas;
mod post_quantum;
mod rewrap;
mod round_trip;
mod tamper;
mod vectors;
