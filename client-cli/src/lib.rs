//! The `referral` command line client.
//!
//! The binary (`src/main.rs`) only parses, dispatches and turns failures into
//! exit statuses; everything else lives here so that each piece can be tested
//! on its own and reused by later commands (enroll, send, open):
//!
//! - [`cli`]: the command line grammar (clap);
//! - [`context`]: the global options, resolved once (home directory, output
//!   format, passphrase file);
//! - [`keystore`]: the device's keys on disk: public `device.json` and the
//!   passphrase-encrypted `keystore.age`;
//! - [`passphrase`]: where the keystore passphrase comes from;
//! - [`broker_url`]: which broker addresses the client agrees to talk to;
//! - [`output`]: human text or exactly one JSON document on stdout;
//! - [`columns`]: labels and tables lined up in Japanese as in English;
//! - [`terminal`]: text from packets, the directory or the broker, made
//!   safe to show;
//! - [`exit`]: the exit statuses of SPEC §9 and the error type that maps to them;
//! - [`api_client`]: the broker's HTTP API (blocking), with its refusals
//!   sorted by exit status;
//! - [`retry`]: when a request to the broker is tried again, and how soon;
//! - [`trust`]: the verified directory log, cached in the home directory;
//! - [`session`]: a device online: its broker, its verified directory, its
//!   keys and a token;
//! - [`admin_log`]: signing and appending directory entries;
//! - [`referral`]: referral content, schema v1: types, validation and the
//!   blank document;
//! - [`cases`]: the local case store, encrypted to the device's own key;
//! - [`workflow`]: what sending, opening and replying share: recipients,
//!   the outbox, fetching, and the reply and forward contents;
//! - [`report`]: the program figures, computed from the case store alone;
//! - [`commands`]: one module per subcommand;
//! - [`ui`]: the local web app (`referral ui`), which calls the commands.

#![forbid(unsafe_code)]

pub mod admin_log;
pub mod api_client;
pub mod atomic_file;
pub mod broker_name;
pub mod broker_url;
pub mod cases;
pub mod cli;
pub mod columns;
pub mod commands;
pub mod context;
pub mod desk_choice;
pub mod desk_name;
pub mod exit;
pub mod i18n;
pub mod id_prefix;
pub mod interrupt;
pub mod keystore;
pub mod output;
pub mod passphrase;
pub mod referral;
pub mod refusal;
pub mod report;
pub mod retry;
pub mod session;
pub mod terminal;
pub mod trust;
pub mod typed_id;
pub mod ui;
pub mod workflow;
