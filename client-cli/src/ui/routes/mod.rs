//! The app's pages, one module per area.

pub mod admin;
pub mod caseworker;
pub mod clerk;
pub mod inbox;
pub mod poll;
pub mod session;
