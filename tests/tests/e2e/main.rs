//! The end-to-end tests that share one test binary (zero2prod's
//! `tests/api/main.rs`): each module drives the real `referral` and
//! `referral-broker` binaries, on its own temporary homes and its own broker
//! on `127.0.0.1:0`, so the modules are independent of one another. One
//! binary links once instead of two dozen times, which is most of what this
//! crate costs to build on two cores.
//!
//! Four suites keep binaries of their own because they measure time or load
//! the machine, and would disturb (or be disturbed by) tests running beside
//! them: `slow_clients`, `crash_safety`, `canary_thousand` and
//! `broker_operations`.

mod address_privacy;
mod admin_ui;
mod attachment_names;
mod broker_binary;
mod broker_name_cli;
mod case_sync;
mod case_view_cli;
mod client_transport;
mod deploy_files;
mod errors_cli;
mod find_cli;
mod hostile_text;
mod interop_age;
mod interop_typescript_age;
mod languages_cli;
mod new_interactive_cli;
mod post_quantum_cli;
mod rate_limits_cli;
mod retention_cli;
mod self_contained;
mod tls_key_exchange;
mod trust_cli;
mod ui_browser;
mod ui_caseworker;
mod ui_clerk;
mod ui_security;
mod ui_walkthrough;
mod workflow_cli;
