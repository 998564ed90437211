//! `referral export-identity`: break-glass export of the device's private age
//! keys (SPEC §2.6 allows it only as an explicit act), as an identity file
//! that `age -d -i FILE` (Go age or rage) accepts. With it, packets for this
//! device can be read without this program, for instance after losing it.
//!
//! Each generation of keys has a hybrid identity (`AGE-SECRET-KEY-PQ-1…`,
//! for post-quantum packets: TypeScript age and rage read it) and an X25519
//! one (`AGE-SECRET-KEY-1…`, for classic packets: every age reads it).
//! Go age 1.1 does not know the hybrid kind and refuses a file that holds
//! one, so `--classic-only` leaves them out for it.
//!
//! Only the age identities are exported: they are what decrypting needs. The
//! signing keys stay in the keystore, since nothing outside this program has
//! any business signing as this device.

use std::fmt;
use std::io::{self, Write};

use referral_protocol::{AgeIdentity, DeviceId, RecipientKey, RecipientKind};
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
    /// The public key, `age1…` or `age1pq1…`.
    pub age_recipient: RecipientKey,
    /// Classic or post-quantum.
    pub kind: RecipientKind,
    /// The private key, `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…`.
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
            .field("kind", &self.kind)
            .field("secret_key", &"[REDACTED]")
            .field("status", &self.status)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// JSON form: `{"age_recipient", "kind", "secret_key", "status",
/// "created_at"}`, `kind` being `classic` or `post_quantum`.
impl Serialize for ExportedIdentity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let created_at = self
            .created_at
            .format(&Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        let mut st = s.serialize_struct("ExportedIdentity", 5)?;
        st.serialize_field("age_recipient", &self.age_recipient)?;
        st.serialize_field("kind", self.kind.as_str())?;
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
    /// Current keys first, then retired keys, newest first; in each
    /// generation the hybrid identity before the X25519 one.
    pub identities: Vec<ExportedIdentity>,
}

impl ExportReport {
    fn of(keys: &UnlockedKeys, classic_only: bool) -> Self {
        let mut identities = Vec::new();
        for key in keys.keys() {
            let hybrid = key.pq_identity.filter(|_| !classic_only);
            for identity in hybrid.into_iter().chain([key.identity]) {
                identities.push(ExportedIdentity {
                    age_recipient: identity.recipient(),
                    kind: identity.kind(),
                    secret_key: AgeIdentity::to_secret_string(identity),
                    status: key.status,
                    created_at: key.created_at,
                });
            }
        }
        Self {
            device_id: keys.device_id(),
            identities,
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

/// Runs `export-identity`; `classic_only` leaves out the hybrid identities
/// (for Go age 1.1, which refuses a file that holds one).
pub fn run(ctx: &Context, classic_only: bool) -> Result<ExportReport, Failure> {
    // Fail on a wrong --home before prompting for a passphrase.
    Keystore::device(&ctx.home)?;
    let passphrase = ctx.passphrase(Purpose::Unlock)?;
    let keys = Keystore::unlock(&ctx.home, &passphrase)?;
    output::warn(&tr!("export-identity-warning"));
    Ok(ExportReport::of(&keys, classic_only))
}
