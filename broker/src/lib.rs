//! The referral broker: store-and-forward of end-to-end encrypted packets.
//!
//! This crate is thin for now: the error shape every route answers with
//! ([`error::ApiError`]), the key-less intake check an uploaded packet must
//! pass before anything is stored ([`intake`]), and an HTTP app with health
//! routes. Storage, auth and the packet routes are built on these (SPEC §8).

#![forbid(unsafe_code)]

pub mod app;
pub mod error;
pub mod intake;
