//! The device summary printed by `init` and `whoami` (SPEC §9: `device_id`,
//! `fingerprint`, `age_recipient`, `broker`, `desk`, `role`).

use std::io::{self, Write};
use std::path::PathBuf;

use referral_protocol::{DeskId, DeviceId, Fingerprint, RecipientKey, RecipientKind, VerifyingKey};
use serde::Serialize;
use time::OffsetDateTime;

use crate::broker_url::BrokerUrl;
use crate::keystore::{DeviceRecord, Role};
use crate::output::Report;
use crate::referral::words;
use crate::{columns, tr};

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
    /// Where packets for this device are encrypted to: its hybrid
    /// (`age1pq1…`) recipient, or for a device made before ADR 0020 and not
    /// rotated since, its X25519 one.
    pub age_recipient: RecipientKey,
    /// Its X25519 recipient, for classic packets while some device they are
    /// for has no hybrid key.
    pub classic_recipient: RecipientKey,
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
            age_recipient: record
                .current_keys
                .pq_recipient
                .clone()
                .unwrap_or_else(|| record.current_keys.age_recipient.clone()),
            classic_recipient: record.current_keys.age_recipient.clone(),
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
            let home = self.home.display().to_string();
            writeln!(out, "{}", tr!("device-created", home = home))?;
            writeln!(out)?;
        }
        let field = |out: &mut dyn Write, label: String, value: &str| {
            writeln!(out, "  {} {value}", columns::pad(&label, 14))
        };
        let not_enrolled = tr!("device-not-enrolled");
        field(out, tr!("device-label-id"), &self.device_id.to_string())?;
        field(
            out,
            tr!("device-label-fingerprint"),
            &self.fingerprint.to_string(),
        )?;
        field(
            out,
            tr!("device-label-age-recipient"),
            &abbreviated(&self.age_recipient),
        )?;
        if self.classic_recipient != self.age_recipient {
            field(
                out,
                tr!("device-label-classic-recipient"),
                self.classic_recipient.as_str(),
            )?;
        }
        field(
            out,
            tr!("device-label-signing-key"),
            &self.signing_key.to_string(),
        )?;
        field(out, tr!("device-label-broker"), &self.broker.to_string())?;
        let root = match &self.root_fingerprint {
            Some(fp) => tr!("device-root-pinned", fingerprint = fp.to_string()),
            None => tr!("device-root-not-pinned"),
        };
        field(out, tr!("device-label-root"), &root)?;
        let desk = self
            .desk
            .as_ref()
            .map_or_else(|| not_enrolled.clone(), |d| d.as_str().to_owned());
        field(out, tr!("device-label-desk"), &desk)?;
        let role = self.role.map_or_else(|| not_enrolled.clone(), words::role);
        field(out, tr!("device-label-role"), &role)?;
        if self.occasion == Occasion::Existing {
            field(
                out,
                tr!("device-label-home"),
                &self.home.display().to_string(),
            )?;
        }
        if self.desk.is_none() {
            writeln!(out)?;
            writeln!(out, "{}", tr!("device-next-enroll"))?;
        }
        Ok(())
    }
}

/// A hybrid recipient is 1,959 characters: a terminal shows its ends, and
/// `--json` the whole key.
fn abbreviated(recipient: &RecipientKey) -> String {
    match recipient.kind() {
        RecipientKind::Classic => recipient.to_string(),
        RecipientKind::PostQuantum => {
            let text = recipient.as_str();
            tr!(
                "device-post-quantum-recipient",
                start = &text[..16],
                end = &text[text.len() - 8..]
            )
        }
    }
}
