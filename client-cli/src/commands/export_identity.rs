//! `referral export-identity`: break-glass export of the device's private age
//! keys (SPEC §2.6 allows it only as an explicit act), as an identity file
//! that `age -d -i FILE` (Go age or rage) accepts. With it, packets for this
//! device can be read without this program, for instance after losing it.
//!
//! Only the age identities are exported: they are what decrypting needs. The
//! signing keys stay in the keystore, since nothing outside this program has
//! any business signing as this device.

use std::fmt;
use std::io::{self, Write};

use referral_protocol::{DeviceId, RecipientKey};
use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::{KeyStatus, Keystore, UnlockedKeys};
use crate::output::{self, Report};
use crate::passphrase::Purpose;
use crate::tr;

/// One exported key.
pub struct ExportedIdentity {
    /// The public key, `age1…`.
    pub age_recipient: RecipientKey,
    /// The private key, `AGE-SECRET-KEY-1…`.
    pub secret_key: SecretString,
    /// Current or retired.
    pub status: KeyStatus,
    /// When the key was made.
    pub created_at: OffsetDateTime,
}

impl fmt::Debug for ExportedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportedIdentity")
            .field("age_recipient", &self.age_recipient)
            .field("secret_key", &"[REDACTED]")
            .field("status", &self.status)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// JSON form: `{"age_recipient", "secret_key", "status", "created_at"}`.
impl Serialize for ExportedIdentity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let created_at = self
            .created_at
            .format(&Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        let mut st = s.serialize_struct("ExportedIdentity", 4)?;
        st.serialize_field("age_recipient", &self.age_recipient)?;
        st.serialize_field("secret_key", self.secret_key.expose_secret())?;
        st.serialize_field("status", &self.status)?;
        st.serialize_field("created_at", &created_at)?;
        st.end()
    }
}

/// The export: every key, current first.
#[derive(Debug, Serialize)]
pub struct ExportReport {
    /// The device the keys belong to.
    pub device_id: DeviceId,
    /// Current key first, then retired keys, newest first.
    pub identities: Vec<ExportedIdentity>,
}

impl ExportReport {
    fn of(keys: &UnlockedKeys) -> Self {
        Self {
            device_id: keys.device_id(),
            identities: keys
                .keys()
                .map(|key| ExportedIdentity {
                    age_recipient: RecipientKey::of(key.identity),
                    secret_key: key.identity.to_string(),
                    status: key.status,
                    created_at: key.created_at,
                })
                .collect(),
        }
    }
}

/// The identity file format of age: `#` comments, one secret key a line.
impl Report for ExportReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        for identity in &self.identities {
            let created = identity
                .created_at
                .format(&Rfc3339)
                .map_err(io::Error::other)?;
            writeln!(out, "# created: {created}")?;
            writeln!(out, "# public key: {}", identity.age_recipient)?;
            writeln!(out, "{}", identity.secret_key.expose_secret())?;
        }
        Ok(())
    }
}

/// Runs `export-identity`.
pub fn run(ctx: &Context) -> Result<ExportReport, Failure> {
    // Fail on a wrong --home before prompting for a passphrase.
    Keystore::device(&ctx.home)?;
    let passphrase = ctx.passphrase(Purpose::Unlock)?;
    let keys = Keystore::unlock(&ctx.home, &passphrase)?;
    output::warn(&tr!("export-identity-warning"));
    Ok(ExportReport::of(&keys))
}
