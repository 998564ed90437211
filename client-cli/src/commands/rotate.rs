//! `referral rotate`: new device keys, approved by an administrator
//! (SPEC §4, rotation; ADR 0004).
//!
//! The new keys become current in the keystore at once and the old ones
//! stay, retired, so that every packet ever sent to this device still
//! opens. Until an administrator approves the rotation, the directory (and
//! so the broker and every sender) still knows the old keys: the device
//! keeps authenticating and signing with the key the directory lists, and
//! decrypts with whichever key a packet was sealed to.

use std::io::{self, Write};
use std::sync::Arc;

use anyhow::anyhow;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_protocol::api::{RequestReceipt, RotationRequest};
use referral_protocol::directory::Statement;
use referral_protocol::directory::rotation_request;
use referral_protocol::paths;
use referral_protocol::{DeviceId, Fingerprint, RequestId};
use serde::Serialize;

use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::{Keystore, WorkFactor};
use crate::output::Report;
use crate::passphrase::Purpose;
use crate::session::Online;
use crate::tr;

/// What `rotate` did.
#[derive(Debug, Serialize)]
pub struct RotateReport {
    /// This device.
    pub device_id: DeviceId,
    /// What the administrator approves.
    pub request_id: RequestId,
    /// The fingerprint of the new keys: read it out to the administrator.
    pub fingerprint: Fingerprint,
    /// The fingerprint of the keys the directory lists until approval.
    pub previous_fingerprint: Fingerprint,
}

impl Report for RotateReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let fingerprint = self.fingerprint.to_string();
        writeln!(
            out,
            "{}",
            tr!("rotate-done", device = self.device_id.to_string())
        )?;
        writeln!(
            out,
            "{}",
            tr!("rotate-new-fingerprint", fingerprint = fingerprint.as_str())
        )?;
        writeln!(
            out,
            "{}",
            tr!(
                "rotate-previous-fingerprint",
                fingerprint = self.previous_fingerprint.to_string()
            )
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            tr!(
                "rotate-next",
                request = self.request_id.to_string(),
                fingerprint = fingerprint
            )
        )
    }
}

/// Runs `rotate`.
pub fn run(ctx: &Context) -> Result<RotateReport, Failure> {
    // The passphrase is asked once: connecting signs in with the keys it
    // unlocks, and the rotation below re-encrypts the keystore with it.
    let passphrase = ctx.passphrase(Purpose::Unlock)?;
    let unlocked = Arc::new(Keystore::unlock(&ctx.home, &passphrase)?);
    let online = Online::connect_unlocked(ctx, unlocked, None)?;
    let device_id = online.device.device_id;
    let listed = match online.log.state().device(&device_id) {
        Some(d) if d.is_active() => d.clone(),
        Some(_) => {
            return Err(Failure::User(anyhow!(tr!("rotate-revoked"))));
        }
        None if crate::trust::is_root_device(online.log.state(), &online.device) => {
            return Err(Failure::User(anyhow!(tr!("rotate-root-device"))));
        }
        None => {
            return Err(Failure::User(anyhow!(tr!("rotate-not-enrolled"))));
        }
    };
    let work_factor = WorkFactor::from_env()?;
    // The token is taken with the listed (old) key before the keystore
    // changes, so a failure here changes nothing.
    let held = online.unlock(ctx)?;
    let token = online.token(&held)?;
    // The rotation takes the keys by value: a second copy, from the same
    // passphrase (no second prompt).
    let keys = Keystore::unlock(&ctx.home, &passphrase)?;
    let (keys, device) = Keystore::rotate(&ctx.home, &passphrase, keys, work_factor)?;
    let old = keys
        .signing_key_for(&listed.signing_key)
        .ok_or_else(|| Failure::Verification(anyhow!(tr!("session-key-not-held"))))?;
    let statement = rotation_request(
        &device_id,
        old,
        keys.signing_key(),
        &device.current_keys.age_recipient,
        device.current_keys.pq_recipient.as_ref(),
    );
    let Statement::DeviceRotated {
        signing_key,
        age_recipient,
        pq_recipient,
        old_key_signature,
        new_key_signature,
        ..
    } = statement
    else {
        unreachable!("rotation_request makes a DeviceRotated statement")
    };
    let receipt: RequestReceipt = online.client.post(
        paths::ROTATIONS,
        &RotationRequest {
            signing_key,
            age_recipient,
            pq_recipient,
            old_key_signature: STANDARD.encode(old_key_signature),
            new_key_signature: STANDARD.encode(new_key_signature),
        },
        Some(&token.token),
    )?;
    let fingerprint = device.fingerprint();
    if receipt.fingerprint != fingerprint {
        return Err(Failure::Verification(anyhow!(tr!(
            "enroll-fingerprint-differs",
            recorded = receipt.fingerprint.to_string(),
            fingerprint = fingerprint.to_string()
        ))));
    }
    Ok(RotateReport {
        device_id,
        request_id: receipt.request_id,
        fingerprint,
        previous_fingerprint: Fingerprint::of_device(
            &listed.signing_key,
            &listed.age_recipient,
            listed.pq_recipient.as_ref(),
        ),
    })
}
