//! `admin rotate-broker-key` and `admin rotate-root`.

use std::io::{self, Write};
use std::sync::Arc;

use anyhow::anyhow;
use referral_protocol::Fingerprint;
use referral_protocol::api::StagedTokenKey;
use referral_protocol::directory::Statement;
use referral_protocol::paths;
use serde::Serialize;

use crate::admin_log::{self, Admin};
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::{Keystore, WorkFactor};
use crate::output::Report;
use crate::passphrase::Purpose;
use crate::session::Online;
use crate::tr;

/// What `admin rotate-broker-key` did.
#[derive(Debug, Serialize)]
pub struct BrokerKeyReport {
    /// The new key's id: tokens from now on carry it as `kid`.
    pub kid: String,
    /// The directory entry that activated it.
    pub seq: u64,
}

impl Report for BrokerKeyReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{}",
            tr!(
                "admin-broker-key-rotated",
                kid = self.kid.to_string(),
                seq = self.seq
            )
        )?;
        writeln!(out, "{}", tr!("admin-broker-key-old-tokens"))
    }
}

/// Runs `admin rotate-broker-key`: the broker stages a fresh key, this
/// device signs the entry that activates it.
pub fn rotate_broker_key(ctx: &Context) -> Result<BrokerKeyReport, Failure> {
    let mut admin = Admin::connect(ctx)?;
    let staged: StagedTokenKey = admin
        .online
        .client
        .post_empty(paths::ADMIN_TOKEN_KEYS, &admin.token)?;
    let statement = Statement::TokenKeyRotated {
        kid: staged.kid.clone(),
        public_key: staged.public_key,
    };
    let answer = admin.append(ctx, &statement, None)?;
    Ok(BrokerKeyReport {
        kid: staged.kid,
        seq: answer.seq,
    })
}

/// What `admin rotate-root` did.
#[derive(Debug, Serialize)]
pub struct RootReport {
    /// The new root.
    pub root_fingerprint: Fingerprint,
    /// The root it replaced.
    pub previous_root_fingerprint: Fingerprint,
    /// The directory entry.
    pub seq: u64,
}

impl Report for RootReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{}", tr!("admin-root-rotated", seq = self.seq))?;
        writeln!(
            out,
            "{}",
            tr!(
                "admin-root-new",
                fingerprint = self.root_fingerprint.to_string()
            )
        )?;
        writeln!(
            out,
            "{}",
            tr!(
                "admin-root-previous",
                fingerprint = self.previous_root_fingerprint.to_string()
            )
        )?;
        writeln!(out)?;
        writeln!(out, "{}", tr!("admin-root-rotated-next"))
    }
}

/// Runs `admin rotate-root` on the root device: a fresh key pair becomes the
/// device's current keys (the old ones stay, retired), and the entry
/// handing the root over is signed by the old root and co-signed by the new.
pub fn rotate_root(ctx: &Context) -> Result<RootReport, Failure> {
    // The passphrase is asked once: connecting signs in with the keys it
    // unlocks, and the rotation below re-encrypts the keystore with it (so
    // it takes a second copy of the keys, unlocked by the same passphrase).
    let passphrase = ctx.passphrase(Purpose::Unlock)?;
    let unlocked = Arc::new(Keystore::unlock(&ctx.home, &passphrase)?);
    let mut online = Online::connect_unlocked(ctx, unlocked, None)?;
    let previous = Fingerprint::of_root(online.log.state().root());
    let work_factor = WorkFactor::from_env()?;
    let keys = Keystore::unlock(&ctx.home, &passphrase)?;
    // Any key of the keystore, not only the current one: a hand-over cut
    // short after the local rotation leaves the root key retired here.
    if keys.signing_key_for(online.log.state().root()).is_none() {
        return Err(Failure::User(anyhow!(tr!("admin-root-not-held"))));
    }
    // Token first, with the current root key (the broker knows this device
    // by it until the hand-over lands).
    let token = online.token(&keys)?;
    // The new key is on disk before anything names it: a crash after the
    // broker appended the entry must not lose the new root's private key.
    let (keys, device) = Keystore::rotate(&ctx.home, &passphrase, keys, work_factor)?;
    online.device = device;
    let new_root = keys.signing_key();
    let old_root = keys
        .signing_key_for(online.log.state().root())
        .ok_or_else(|| Failure::User(anyhow!(tr!("admin-root-key-lost"))))?;
    let statement = Statement::RootRotated {
        new_root: new_root.verifying_key(),
    };
    // Signed by the old root (admin_key finds it by the directory's root).
    let answer = admin_log::append(
        ctx,
        &mut online,
        &keys,
        &token.token,
        &statement,
        None,
        Some(new_root),
    )?;
    debug_assert!(old_root.verifying_key() != new_root.verifying_key());
    Ok(RootReport {
        root_fingerprint: Fingerprint::of_root(&new_root.verifying_key()),
        previous_root_fingerprint: previous,
        seq: answer.seq,
    })
}
