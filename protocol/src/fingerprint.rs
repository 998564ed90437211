//! Fingerprints: what people compare out of band.
//!
//! A device fingerprint binds *every* public key of a device (signing, age
//! X25519 and, since ADR 0020, its hybrid age key), so an administrator who
//! approves a fingerprint approves exactly those keys. A root fingerprint covers the admin root's signing key alone. The
//! two are domain-separated so one can never be passed off as the other.

use std::fmt;
use std::str::FromStr;

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keys::{RecipientKey, VerifyingKey};

const DEVICE_DOMAIN: &[u8] = b"referral-broker device fingerprint v1\0";
/// For a device with a hybrid key: a v1 fingerprint can never be the
/// fingerprint of the same keys plus a hybrid key someone else chose.
const DEVICE_DOMAIN_V2: &[u8] = b"referral-broker device fingerprint v2\0";
const ROOT_DOMAIN: &[u8] = b"referral-broker root fingerprint v1\0";

/// A SHA-256 fingerprint. Wire form (JSON, [`Fingerprint::hex`]): 64
/// lowercase hex digits. For people ([`Display`](fmt::Display)) the same
/// digits in groups of four (`ab12 cd34 …`), so that they can be read aloud
/// and compared group by group. Parsing takes either, and also upper case
/// and `:` or `-` separators, as people type them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

/// The text was not a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a fingerprint is 64 hex digits (separators ':', '-' and spaces allowed)")]
pub struct FingerprintError;

impl Fingerprint {
    /// The fingerprint of a device: its signing key, its X25519 recipient
    /// and its hybrid recipient if it has one.
    pub fn of_device(
        signing: &VerifyingKey,
        recipient: &RecipientKey,
        pq_recipient: Option<&RecipientKey>,
    ) -> Self {
        let mut ctx = Context::new(&SHA256);
        match pq_recipient {
            None => {
                ctx.update(DEVICE_DOMAIN);
                ctx.update(signing.as_bytes());
                ctx.update(recipient.as_str().as_bytes());
            }
            Some(pq) => {
                // The X25519 text has a fixed length (62), so the two
                // recipients cannot slide into each other.
                ctx.update(DEVICE_DOMAIN_V2);
                ctx.update(signing.as_bytes());
                ctx.update(recipient.as_str().as_bytes());
                ctx.update(pq.as_str().as_bytes());
            }
        }
        Self::from_digest(ctx)
    }

    /// The fingerprint of an admin root signing key.
    pub fn of_root(signing: &VerifyingKey) -> Self {
        let mut ctx = Context::new(&SHA256);
        ctx.update(ROOT_DOMAIN);
        ctx.update(signing.as_bytes());
        Self::from_digest(ctx)
    }

    fn from_digest(ctx: Context) -> Self {
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        Self(out)
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The wire form: 64 lowercase hex digits, no separators.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Digits per group in the form for people.
const GROUP: usize = 4;

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.hex();
        for (i, group) in digits.as_bytes().chunks(GROUP).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            // Hex digits are ASCII, so every chunk is valid UTF-8.
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.hex())
    }
}

impl FromStr for Fingerprint {
    type Err = FingerprintError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, ':' | '-') && !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let bytes = hex::decode(digits).map_err(|_| FingerprintError)?;
        Ok(Self(bytes.try_into().map_err(|_| FingerprintError)?))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Fingerprint {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Fingerprint".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "A SHA-256 fingerprint, 64 lowercase hex digits."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{AgeIdentity, SigningKey};

    #[test]
    fn device_and_root_fingerprints_differ_and_parse() {
        let key = SigningKey::generate().unwrap().verifying_key();
        let rcpt = AgeIdentity::generate_classic().recipient();
        let dev = Fingerprint::of_device(&key, &rcpt, None);
        let root = Fingerprint::of_root(&key);
        assert_ne!(dev, root);
        let text = dev.hex();
        assert_eq!(text.len(), 64);
        let for_people = dev.to_string();
        assert_eq!(for_people.len(), 64 + 15, "{for_people}");
        assert!(for_people.split(' ').all(|g| g.len() == 4), "{for_people}");
        assert_eq!(for_people.parse::<Fingerprint>().unwrap(), dev);
        assert_eq!(
            serde_json::to_value(dev).unwrap(),
            serde_json::Value::String(text.clone())
        );
        assert_eq!(text.parse::<Fingerprint>().unwrap(), dev);
        let spaced: String = text
            .to_uppercase()
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(spaced.parse::<Fingerprint>().unwrap(), dev);
        assert!(text[..62].parse::<Fingerprint>().is_err());
        assert!("zz".repeat(32).parse::<Fingerprint>().is_err());
    }

    #[test]
    fn a_different_age_key_changes_the_device_fingerprint() {
        let key = SigningKey::generate().unwrap().verifying_key();
        let a = AgeIdentity::generate_classic().recipient();
        let b = AgeIdentity::generate_classic().recipient();
        assert_ne!(
            Fingerprint::of_device(&key, &a, None),
            Fingerprint::of_device(&key, &b, None)
        );
    }

    #[test]
    fn the_hybrid_key_is_part_of_the_device_fingerprint() {
        let key = SigningKey::generate().unwrap().verifying_key();
        let classic = AgeIdentity::generate_classic().recipient();
        let pq = AgeIdentity::generate_post_quantum().recipient();
        let other_pq = AgeIdentity::generate_post_quantum().recipient();
        let with = Fingerprint::of_device(&key, &classic, Some(&pq));
        assert_ne!(with, Fingerprint::of_device(&key, &classic, None));
        assert_ne!(
            with,
            Fingerprint::of_device(&key, &classic, Some(&other_pq))
        );
    }
}
