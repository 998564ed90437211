//! Connection caps and the header timeout: slow or idle clients cannot hold
//! the broker (issue 14, item 1; ADR 0008).
//!
//! The rule, in one place:
//! - a connection whose request head is not complete within
//!   `header_read_timeout_secs` of its opening, or of its previous
//!   response, is closed (hyper's HTTP/1 header timer; HTTP/1.1 only,
//!   because HTTP/2 connections have no such timer);
//! - at most `max_connections_per_address` connections are open from one
//!   client address, and at most [`Caps::total`] from everyone, a number kept
//!   below the process's file limit; a connection over either cap is closed
//!   as soon as it is accepted, and counted in `/metrics`;
//! - a trusted proxy's connections carry many clients, so they count only
//!   towards the total; instead, requests in flight for one forwarded
//!   address are capped at `max_connections_per_address` ([`forwarded`]).
//!
//! Addresses are counted by their keyed hash ([`crate::abuse::ClientAddress`]),
//! never kept or logged.

mod acceptor;
mod caps;
pub mod forwarded;
mod gate;
mod key_exchange;

pub use acceptor::{GatedAcceptor, GatedStream};
pub use caps::{Caps, CapsError, soft_file_limit};
pub use gate::{Gate, Permit, Refusal};
pub use key_exchange::{KeyExchangeCounter, group_word};
