//! The device summary printed by `init` and `whoami` (SPEC §9: `device_id`,
//! `fingerprint`, `age_recipient`, `broker`, `desk`, `role`).

use std::io::{self, Write};
use std::path::PathBuf;

use referral_protocol::{DeskId, DeviceId, Fingerprint, RecipientKey, VerifyingKey};
use serde::Serialize;
use time::OffsetDateTime;

use crate::broker_url::BrokerUrl;
use crate::keystore::{DeviceRecord, Role};
use crate::output::Report;

/// Which command is reporting, for the human heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Occasion {
    /// `init` just made this device.
    Created,
    /// `whoami` is describing it.
    Existing,
}

/// The public facts about this device.
#[derive(Debug, Serialize)]
pub struct DeviceReport {
    /// The device's random id.
    pub device_id: DeviceId,
    /// The fingerprint the administrator checks when approving enrollment.
    pub fingerprint: Fingerprint,
    /// Where packets for this device are encrypted to.
    pub age_recipient: RecipientKey,
    /// The broker.
    pub broker: BrokerUrl,
    /// The desk, or `null` before enrollment.
    pub desk: Option<DeskId>,
    /// The role at the desk, or `null` before enrollment.
    pub role: Option<Role>,
    /// The pinned admin root, or `null` when trusting on first use.
    pub root_fingerprint: Option<Fingerprint>,
    /// The current Ed25519 public key (base64).
    pub signing_key: VerifyingKey,
    /// When the device was initialised (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    // Human output only: a path need not be UTF-8, and JSON strings must be.
    #[serde(skip)]
    home: PathBuf,
    #[serde(skip)]
    occasion: Occasion,
}

impl DeviceReport {
    pub(crate) fn new(record: &DeviceRecord, home: PathBuf, occasion: Occasion) -> Self {
        Self {
            device_id: record.device_id,
            fingerprint: record.fingerprint(),
            age_recipient: record.current_keys.age_recipient.clone(),
            broker: record.broker.clone(),
            desk: record.desk.clone(),
            role: record.role,
            root_fingerprint: record.root_fingerprint,
            signing_key: record.current_keys.signing_key,
            created_at: record.created_at,
            home,
            occasion,
        }
    }
}

impl Report for DeviceReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.occasion == Occasion::Created {
            writeln!(
                out,
                "Created a new device keystore in {}",
                self.home.display()
            )?;
            writeln!(out)?;
        }
        let not_enrolled = "(not enrolled yet)";
        writeln!(out, "  device id      {}", self.device_id)?;
        writeln!(out, "  fingerprint    {}", self.fingerprint)?;
        writeln!(out, "  age recipient  {}", self.age_recipient)?;
        writeln!(out, "  signing key    {}", self.signing_key)?;
        writeln!(out, "  broker         {}", self.broker)?;
        match &self.root_fingerprint {
            Some(fp) => writeln!(out, "  admin root     {fp} (pinned)")?,
            None => writeln!(out, "  admin root     not pinned (trust on first use)")?,
        }
        match &self.desk {
            Some(desk) => writeln!(out, "  desk           {desk}")?,
            None => writeln!(out, "  desk           {not_enrolled}")?,
        }
        match &self.role {
            Some(role) => writeln!(out, "  role           {role}")?,
            None => writeln!(out, "  role           {not_enrolled}")?,
        }
        if self.occasion == Occasion::Existing {
            writeln!(out, "  home           {}", self.home.display())?;
        }
        if self.desk.is_none() {
            writeln!(out)?;
            writeln!(
                out,
                "Next step: get an invite code from your administrator, then run"
            )?;
            writeln!(out, "  referral enroll --code CODE")?;
            writeln!(
                out,
                "Your administrator will ask you for the fingerprint above before approving."
            )?;
        }
        Ok(())
    }
}
