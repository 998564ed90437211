//! The `referral` CLI's integration tests, as one test binary: each former
//! `tests/*.rs` file is a module here, so the crate links one test binary
//! instead of five. The referral corpus stays in `tests/referrals/`.

mod keystore_cli;
mod new_cli;
mod referral_corpus;
mod referral_schema;
mod report;
