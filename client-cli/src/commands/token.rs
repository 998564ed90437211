//! `referral token`: a fresh bearer token for this device, so that scripts
//! and `curl` can call the broker API (SPEC §9).

use std::io::{self, Write};

use serde::Serialize;

use crate::context::Context;
use crate::exit::Failure;
use crate::output::Report;
use crate::session::Online;

/// `token` (SPEC §9: `token`).
#[derive(Serialize)]
pub struct TokenReport {
    /// The bearer token.
    pub token: String,
    /// When it expires (Unix time).
    pub expires_at: i64,
}

/// The token is a credential: never in a debug dump.
impl std::fmt::Debug for TokenReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenReport")
            .field("token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Report for TokenReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        // The token alone on stdout, so that `$(referral token)` works.
        writeln!(out, "{}", self.token)
    }
}

/// Runs `token`.
pub fn run(ctx: &Context) -> Result<TokenReport, Failure> {
    let online = Online::connect(ctx)?;
    let keys = online.unlock(ctx)?;
    let token = online.token(&keys)?;
    Ok(TokenReport {
        token: token.token,
        expires_at: token.expires_at,
    })
}
