//! The fuzz harness's integration tests, as one test binary: the corpus
//! replay and the seed corpus's writer are modules of it, so the crate
//! links one test binary instead of two.

mod replay_corpus;
mod seed_corpus;
