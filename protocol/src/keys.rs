//! Device key material: the Ed25519 signing key (authentication to the broker
//! and packet signatures) and the age recipient keys packets are encrypted
//! to, of either kind: classic X25519 (`age1…`) or hybrid ML-KEM-768 + X25519
//! (`age1pq1…`, ADR 0020).
//!
//! Secret bytes live only in `secrecy` containers, which zeroize on drop.
//! `ring` itself does not zeroize its key pairs (CRATE-NOTES), so a
//! [`SigningKey`] keeps only the PKCS#8 document and builds the `ring` key pair
//! for the few microseconds a signature takes.

use std::fmt;
use std::str::FromStr;

use ring::rand::SystemRandom;
use ring::signature::{self, Ed25519KeyPair, KeyPair};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why key material was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The PKCS#8 document is not an Ed25519 key `ring` accepts.
    #[error("not a valid Ed25519 PKCS#8 key")]
    BadSigningKey,
    /// A public key was not 32 bytes of base64.
    #[error("not a valid Ed25519 public key (expected 32 bytes, base64)")]
    BadVerifyingKey,
    /// Not a canonical `age1…` or `age1pq1…` recipient.
    #[error("not a canonical age recipient (age1… or age1pq1…): {0:?}")]
    BadRecipient(String),
    /// Not an `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` identity. The
    /// text is never echoed: it may be most of a private key.
    #[error("not an age identity (AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…)")]
    BadIdentity,
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Rng,
}

/// An Ed25519 private key. `Debug` never shows the key.
pub struct SigningKey {
    pkcs8: SecretSlice<u8>,
    public: VerifyingKey,
}

impl SigningKey {
    /// A fresh key from the system RNG.
    pub fn generate() -> Result<Self, KeyError> {
        let doc =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| KeyError::Rng)?;
        Self::from_pkcs8(doc.as_ref())
    }

    /// Loads a PKCS#8 v2 document (as made by [`SigningKey::generate`]).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, KeyError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| KeyError::BadSigningKey)?;
        let public = VerifyingKey(
            pair.public_key()
                .as_ref()
                .try_into()
                .map_err(|_| KeyError::BadSigningKey)?,
        );
        Ok(Self {
            pkcs8: SecretSlice::from(pkcs8.to_vec()),
            public,
        })
    }

    /// The PKCS#8 document, for the keystore (and for JWT signing later).
    pub fn pkcs8(&self) -> &SecretSlice<u8> {
        &self.pkcs8
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.public
    }

    /// Signs `message` (callers add their own domain separation).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        // The document was validated in `from_pkcs8`, so this cannot fail.
        let pair = Ed25519KeyPair::from_pkcs8(self.pkcs8.expose_secret())
            .expect("PKCS#8 document validated at construction");
        let sig = pair.sign(message);
        let mut out = [0u8; 64];
        out.copy_from_slice(sig.as_ref());
        out
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public)
            .field("pkcs8", &"[REDACTED]")
            .finish()
    }
}

/// An Ed25519 public key (32 raw bytes). Text form: standard base64.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerifyingKey(pub [u8; 32]);

impl VerifyingKey {
    /// Checks an Ed25519 signature over `message`.
    pub fn verify(&self, message: &[u8], sig: &[u8; 64]) -> bool {
        signature::UnparsedPublicKey::new(&signature::ED25519, &self.0)
            .verify(message, sig)
            .is_ok()
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use base64::Engine;
        f.write_str(&base64::engine::general_purpose::STANDARD.encode(self.0))
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({self})")
    }
}

impl FromStr for VerifyingKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| KeyError::BadVerifyingKey)?;
        Ok(Self(
            bytes.try_into().map_err(|_| KeyError::BadVerifyingKey)?,
        ))
    }
}

impl Serialize for VerifyingKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VerifyingKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The prefix of a hybrid recipient's text. X25519 recipients start `age1`
/// followed by Bech32 data, which never contains `1`, so the two cannot be
/// confused.
const POST_QUANTUM_PREFIX: &str = "age1pq1";

/// The two kinds of age recipient a device can hold (ADR 0020).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecipientKind {
    /// X25519 (`age1…`, stanza `X25519`): a quantum computer could one day
    /// recover the file key from a stored packet.
    Classic,
    /// ML-KEM-768 + X25519 (`age1pq1…`, stanza `mlkem768x25519`): safe unless
    /// both halves are broken.
    PostQuantum,
}

impl RecipientKind {
    /// The word for listings and JSON: `classic` or `post_quantum`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Classic => "classic",
            Self::PostQuantum => "post_quantum",
        }
    }
}

/// An age recipient of either kind, kept in its canonical text form so that
/// recipient lists sort and compare the same way on every machine.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecipientKey(String);

/// SHA-256 of a recipient's canonical text: how an envelope v2 lists its
/// recipients, 32 bytes whatever the kind (a hybrid recipient is 1,959
/// characters).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecipientDigest(pub [u8; 32]);

impl fmt::Debug for RecipientDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecipientDigest({})", hex::encode(self.0))
    }
}

impl RecipientKey {
    /// The recipient of a classic identity.
    pub fn of(identity: &age::x25519::Identity) -> Self {
        Self(identity.to_public().to_string())
    }

    /// The recipient of a hybrid identity.
    pub fn of_post_quantum(identity: &age::pq::Identity) -> Self {
        Self(identity.to_public().to_string())
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Which kind of key this is.
    pub fn kind(&self) -> RecipientKind {
        if self.0.starts_with(POST_QUANTUM_PREFIX) {
            RecipientKind::PostQuantum
        } else {
            RecipientKind::Classic
        }
    }

    /// What an envelope v2 lists for this recipient.
    pub fn digest(&self) -> RecipientDigest {
        RecipientDigest(crate::envelope::sha256(self.0.as_bytes()))
    }

    /// The `age` recipient, for encryption.
    pub fn to_age(&self) -> Box<dyn age::Recipient + Send> {
        match self.kind() {
            RecipientKind::PostQuantum => Box::new(
                self.0
                    .parse::<age::pq::Recipient>()
                    .expect("RecipientKey holds a recipient parsed at construction"),
            ),
            RecipientKind::Classic => Box::new(
                classic_recipient(&self.0)
                    .expect("RecipientKey holds a recipient parsed at construction"),
            ),
        }
    }
}

/// Parses an X25519 recipient. age 0.13 deprecates X25519 *encryption* to
/// push callers towards hybrid keys; this product still needs it for the
/// devices that have not rotated yet (ADR 0020 §5), so the one use is here.
#[allow(deprecated)]
fn classic_recipient(s: &str) -> Option<age::x25519::Recipient> {
    s.parse().ok()
}

/// One of a device's age identities (private keys), of either kind.
/// `Debug` never shows the key; the secret text is a `SecretString`.
#[derive(Clone)]
pub enum AgeIdentity {
    /// An X25519 identity (`AGE-SECRET-KEY-1…`).
    Classic(age::x25519::Identity),
    /// A hybrid identity (`AGE-SECRET-KEY-PQ-1…`).
    PostQuantum(age::pq::Identity),
}

impl AgeIdentity {
    /// A fresh hybrid identity: what every new device and every rotation
    /// makes (ADR 0020 §2).
    pub fn generate_post_quantum() -> Self {
        Self::PostQuantum(age::pq::Identity::generate())
    }

    /// A fresh X25519 identity: a device also keeps one, so that it can
    /// still read packets from desks that hold classic devices.
    #[allow(deprecated)] // see `classic_recipient`
    pub fn generate_classic() -> Self {
        Self::Classic(age::x25519::Identity::generate())
    }

    /// The public half.
    pub fn recipient(&self) -> RecipientKey {
        match self {
            Self::Classic(id) => RecipientKey::of(id),
            Self::PostQuantum(id) => RecipientKey::of_post_quantum(id),
        }
    }

    /// Which kind of key this is.
    pub fn kind(&self) -> RecipientKind {
        match self {
            Self::Classic(_) => RecipientKind::Classic,
            Self::PostQuantum(_) => RecipientKind::PostQuantum,
        }
    }

    /// The identity for age's decryptor.
    pub fn as_age(&self) -> &dyn age::Identity {
        match self {
            Self::Classic(id) => id,
            Self::PostQuantum(id) => id,
        }
    }

    /// The secret text (`AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…`), for
    /// the keystore and `export-identity` only.
    pub fn to_secret_string(&self) -> secrecy::SecretString {
        match self {
            Self::Classic(id) => id.to_string(),
            Self::PostQuantum(id) => id.to_string(),
        }
    }
}

impl FromStr for AgeIdentity {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("AGE-SECRET-KEY-PQ-1") {
            s.parse()
                .map(Self::PostQuantum)
                .map_err(|_| KeyError::BadIdentity)
        } else {
            s.parse()
                .map(Self::Classic)
                .map_err(|_| KeyError::BadIdentity)
        }
    }
}

impl fmt::Debug for AgeIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgeIdentity")
            .field("recipient", &self.recipient())
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

impl FromStr for RecipientKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || KeyError::BadRecipient(s.chars().take(80).collect());
        let canonical = if s.starts_with(POST_QUANTUM_PREFIX) {
            s.parse::<age::pq::Recipient>()
                .map_err(|_| bad())?
                .to_string()
        } else {
            classic_recipient(s).ok_or_else(bad)?.to_string()
        };
        if canonical != s {
            return Err(KeyError::BadRecipient(s.chars().take(80).collect()));
        }
        Ok(Self(canonical))
    }
}

impl fmt::Display for RecipientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RecipientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecipientKey({})", self.0)
    }
}

impl Serialize for RecipientKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RecipientKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

mod schema {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::{RecipientKey, VerifyingKey};

    impl JsonSchema for VerifyingKey {
        fn schema_name() -> Cow<'static, str> {
            "VerifyingKey".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "contentEncoding": "base64",
                "description": "An Ed25519 public key: 32 bytes, standard base64."
            })
        }
    }

    impl JsonSchema for RecipientKey {
        fn schema_name() -> Cow<'static, str> {
            "RecipientKey".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "pattern": "^(age1[02-9ac-hj-np-z]{58}|age1pq1[02-9ac-hj-np-z]{1952})$",
                "description": "An age recipient (Bech32, lowercase): X25519 (`age1…`) or hybrid ML-KEM-768 + X25519 (`age1pq1…`)."
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = SigningKey::generate().unwrap();
        let sig = key.sign(b"hello");
        assert!(key.verifying_key().verify(b"hello", &sig));
        assert!(!key.verifying_key().verify(b"hellp", &sig));
        let other = SigningKey::generate().unwrap();
        assert!(!other.verifying_key().verify(b"hello", &sig));
    }

    #[test]
    fn debug_redacts_the_private_key() {
        let key = SigningKey::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("REDACTED"));
        use base64::Engine;
        let secret = base64::engine::general_purpose::STANDARD.encode(key.pkcs8().expose_secret());
        assert!(!shown.contains(&secret));
    }

    #[test]
    fn verifying_key_text_round_trip() {
        let vk = SigningKey::generate().unwrap().verifying_key();
        assert_eq!(vk.to_string().parse::<VerifyingKey>().unwrap(), vk);
        assert!("AAAA".parse::<VerifyingKey>().is_err());
    }

    #[test]
    fn hybrid_recipient_keys_are_canonical_and_typed() {
        let id = AgeIdentity::generate_post_quantum();
        let r = id.recipient();
        assert_eq!(r.kind(), RecipientKind::PostQuantum);
        assert_eq!(r.as_str().len(), 1959);
        assert_eq!(r.as_str().parse::<RecipientKey>().unwrap(), r);
        assert!(r.as_str().to_uppercase().parse::<RecipientKey>().is_err());
        let text = id.to_secret_string();
        let back: AgeIdentity = text.expose_secret().parse().unwrap();
        assert_eq!(back.recipient(), r);
        assert!(!format!("{id:?}").contains(&text.expose_secret()[20..40]));
        let classic = AgeIdentity::generate_classic();
        assert_eq!(classic.recipient().kind(), RecipientKind::Classic);
        assert_ne!(classic.recipient().digest(), r.digest());
    }

    #[test]
    #[allow(deprecated)] // a classic identity, made the way old devices made them
    fn recipient_keys_are_canonical() {
        let id = age::x25519::Identity::generate();
        let r = RecipientKey::of(&id);
        assert_eq!(r.as_str().parse::<RecipientKey>().unwrap(), r);
        assert!(r.as_str().to_uppercase().parse::<RecipientKey>().is_err());
        assert!("age1notakey".parse::<RecipientKey>().is_err());
    }
}
