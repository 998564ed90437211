//! Authentication: challenge → signature → token, and the [`AuthUser`]
//! extractor every protected route takes.

pub mod extractor;
pub mod routes;
pub mod tokens;

pub use extractor::{AdminUser, AuthUser};
