//! Message catalogs, the choice of language and local time, shared by the
//! `referral` and `referral-broker` binaries (ADR 0012).
//!
//! Each binary keeps its own catalogs in `locales/<lang>/*.ftl` (Project
//! Fluent), embeds them with [`build_support`] at build time, and installs
//! one [`Catalog`] at start. Human text is looked up by a literal key; the
//! [`check`] module holds the rules CI applies to the catalogs: every key in
//! every language, the same placeables, no key unused, CLDR plural forms.
//!
//! `--json` output never passes through here: scripts see the same fields
//! whatever the language.

#![forbid(unsafe_code)]

pub mod build_support;
#[cfg(feature = "runtime")]
mod catalog;
#[cfg(feature = "runtime")]
pub mod check;
#[cfg(feature = "runtime")]
mod lang;
#[cfg(feature = "runtime")]
pub mod time;

#[cfg(feature = "runtime")]
pub use catalog::{Arg, Catalog, ProcessCatalog, Sources};
#[cfg(feature = "runtime")]
pub use lang::{Lang, UnsupportedLang, negotiate};
