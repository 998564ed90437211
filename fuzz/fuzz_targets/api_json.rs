//! `cargo fuzz run api_json`: the body, and what it checks, is
//! `referral_fuzz_harness::api_json`, which the stable replay test also runs.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| referral_fuzz_harness::api_json(data));
