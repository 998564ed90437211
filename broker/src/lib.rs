//! The referral broker: store-and-forward of end-to-end encrypted packets
//! (SPEC §8). It holds ciphertext and desk-level routing metadata only.
//!
//! - [`app`]: building and running the server (`Application`);
//! - [`config`]: defaults, file, environment, flags;
//! - [`routes`]: the HTTP API; [`auth`]: challenge, token, `AuthUser`;
//! - [`directory`]: the verified copy of the signed directory log and what
//!   appended entries change; [`invite`]: one-time enrollment codes;
//! - [`intake`]: the key-less checks an upload passes before it is stored;
//!   [`spool`]: where large uploads wait, cleaned of crash leftovers;
//!   [`quota`]: the cap on pending bytes per sending desk;
//!   [`rewrap`]: the check that a rewrap changed only the age header;
//! - [`refusal`]: every refusal the broker answers, once; [`error`]: the
//!   single `ApiError` that answers them; [`metrics`], [`telemetry`]: counts
//!   and logs without identities; [`bootstrap`], [`retention`];
//! - [`startup`]: the settings logged at start and the start-up failures an
//!   operator can fix; [`operations`]: `backup` and `check` (ADR 0013).

#![forbid(unsafe_code)]

pub mod abuse;
pub mod ack_before_commit;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod connections;
pub mod directory;
pub mod error;
pub mod i18n;
pub mod intake;
pub mod invite;
pub mod metrics;
pub mod openapi;
pub mod operations;
pub mod purge_clock;
pub mod quota;
pub mod refusal;
pub mod retention;
pub mod rewrap;
pub mod routes;
pub mod spool;
pub mod startup;
pub mod state;
pub mod telemetry;
