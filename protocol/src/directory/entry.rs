//! One directory log entry: its canonical encoding, its hash, and how an
//! administrator signs it.
//!
//! ```text
//! seq u64 | prev_hash [32] | time i64 | statement | signer [32]     <- signed body
//!   | signature [64] | co_signature flag u8 (0/1) | [co_signature [64]]
//! ```
//!
//! The signature covers `ENTRY_DOMAIN || body`, the co-signature
//! `CO_SIGNATURE_DOMAIN || body`, and the entry's hash is
//! `SHA-256(HASH_DOMAIN || whole encoding)`: it covers the signatures too, so
//! two entries with the same body but different signatures are different
//! links in the chain.

use std::fmt;

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keys::{SigningKey, VerifyingKey};

use super::error::DirectoryError;
use super::statement::Statement;
use super::wire::{Cursor, malformed};

/// Prefixed to what an entry's signer signs.
pub const ENTRY_DOMAIN: &[u8] = b"referral-broker directory entry v1\0";
/// Prefixed to what an entry's co-signer signs. Different from
/// [`ENTRY_DOMAIN`] so that a co-signature (made by a device key or a new
/// root) can never stand in for the administrator's signature.
pub const CO_SIGNATURE_DOMAIN: &[u8] = b"referral-broker directory co-signature v1\0";
/// Prefixed to an entry's encoding before hashing it for the chain.
pub const HASH_DOMAIN: &[u8] = b"referral-broker directory hash v1\0";

/// A SHA-256 entry hash.
pub type EntryHash = [u8; 32];

/// One signed link of the directory log.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log, from 0.
    pub seq: u64,
    /// [`Entry::hash`] of the entry before; all zeros for entry 0.
    pub prev_hash: EntryHash,
    /// Seconds since the Unix epoch, by the signer's clock; never decreases
    /// along the log.
    pub time: i64,
    /// What changes.
    pub statement: Statement,
    /// The key that made `signature`: the root or an admin device's key.
    pub signer: VerifyingKey,
    /// Ed25519 over [`Entry::signed_message`].
    pub signature: [u8; 64],
    /// Ed25519 over [`Entry::co_signed_message`], for the one statement
    /// that needs it: by the new root for `RootRotated`. Absent otherwise
    /// (a `DeviceRotated` carries the device's signatures in the statement;
    /// ADR 0004).
    pub co_signature: Option<[u8; 64]>,
}

impl Entry {
    /// Builds and signs an entry (an administrator's tool). `co_signer` is
    /// the new root for `RootRotated`; pass `None` for other statements.
    ///
    /// Refuses a statement whose values do not validate (a desk name too long
    /// to encode, say) rather than panicking on user input.
    pub fn sign(
        seq: u64,
        prev_hash: EntryHash,
        time: i64,
        statement: Statement,
        signer: &SigningKey,
        co_signer: Option<&SigningKey>,
    ) -> Result<Entry, DirectoryError> {
        statement.validate()?;
        let mut entry = Entry {
            seq,
            prev_hash,
            time,
            statement,
            signer: signer.verifying_key(),
            signature: [0; 64],
            co_signature: None,
        };
        let body = entry.encode_body();
        entry.signature = signer.sign(&prefixed(ENTRY_DOMAIN, &body));
        entry.co_signature = co_signer.map(|k| k.sign(&prefixed(CO_SIGNATURE_DOMAIN, &body)));
        Ok(entry)
    }

    /// The signed part of the encoding: seq, prev_hash, time, statement,
    /// signer.
    pub fn encode_body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.prev_hash);
        out.extend_from_slice(&self.time.to_be_bytes());
        self.statement.encode_into(&mut out);
        out.extend_from_slice(self.signer.as_bytes());
        out
    }

    /// The whole canonical encoding: the body, the signature, then the
    /// optional co-signature. These are the bytes stored and served.
    ///
    /// The statement must validate (it does for every entry made by
    /// [`Entry::sign`] or [`Entry::decode`]); a hand-built entry with, say,
    /// a 300-byte desk name panics here.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.encode_body();
        out.extend_from_slice(&self.signature);
        match &self.co_signature {
            None => out.push(0),
            Some(sig) => {
                out.push(1);
                out.extend_from_slice(sig);
            }
        }
        out
    }

    /// Parses an entry, refusing trailing bytes and non-canonical values, so
    /// that `decode(b).encode() == b` for every `b` it accepts. Signatures
    /// are not checked here: that needs the log (see `VerifiedLog`).
    pub fn decode(bytes: &[u8]) -> Result<Entry, DirectoryError> {
        let mut r = Cursor::new(bytes);
        let seq = r.u64()?;
        let prev_hash = r.array()?;
        let time = r.i64()?;
        let statement = Statement::decode_from(&mut r)?;
        let signer = VerifyingKey(r.array()?);
        let signature = r.array()?;
        let co_signature = if r.flag()? { Some(r.array()?) } else { None };
        r.finish()?;
        Ok(Entry {
            seq,
            prev_hash,
            time,
            statement,
            signer,
            signature,
            co_signature,
        })
    }

    /// `ENTRY_DOMAIN || body`: what [`Entry::signature`] covers.
    pub fn signed_message(&self) -> Vec<u8> {
        prefixed(ENTRY_DOMAIN, &self.encode_body())
    }

    /// `CO_SIGNATURE_DOMAIN || body`: what [`Entry::co_signature`] covers.
    pub fn co_signed_message(&self) -> Vec<u8> {
        prefixed(CO_SIGNATURE_DOMAIN, &self.encode_body())
    }

    /// `SHA-256(HASH_DOMAIN || encode())`: the next entry's `prev_hash`.
    pub fn hash(&self) -> EntryHash {
        crate::envelope::sha256(&prefixed(HASH_DOMAIN, &self.encode()))
    }

    /// The base64 (standard, padded) text form used in JSON.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.encode())
    }

    /// Parses the base64 text form.
    pub fn from_base64(text: &str) -> Result<Entry, DirectoryError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| malformed("entry is not standard base64"))?;
        Entry::decode(&bytes)
    }

    /// Whether `signature` verifies under `signer` (authority is a separate
    /// question, answered by the log).
    pub fn signature_valid(&self) -> bool {
        self.signer.verify(&self.signed_message(), &self.signature)
    }
}

fn prefixed(domain: &[u8], body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(domain.len() + body.len());
    m.extend_from_slice(domain);
    m.extend_from_slice(body);
    m
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("seq", &self.seq)
            .field("prev_hash", &hex::encode(self.prev_hash))
            .field("time", &self.time)
            .field("statement", &self.statement)
            .field("signer", &self.signer)
            .field("signature", &hex::encode(self.signature))
            .field("co_signature", &self.co_signature.map(hex::encode))
            .finish()
    }
}

/// JSON carries an entry as one base64 string of its canonical encoding, so
/// no JSON re-serialisation can ever change what was signed.
impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Entry::from_base64(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Entry {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DirectoryEntry".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "contentEncoding": "base64",
            "description": "One signed directory log entry: standard base64 of its canonical binary encoding (docs/adr/0003-signed-directory-log.md)."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(co: bool) -> (Entry, SigningKey) {
        let key = SigningKey::generate().unwrap();
        let co_key = SigningKey::generate().unwrap();
        let statement = Statement::RootRotated {
            new_root: co_key.verifying_key(),
        };
        let e = Entry::sign(
            3,
            [9; 32],
            1_767_225_600,
            statement,
            &key,
            co.then_some(&co_key),
        )
        .unwrap();
        (e, key)
    }

    #[test]
    fn encode_decode_round_trip_with_and_without_co_signature() {
        for co in [false, true] {
            let (e, _) = sample(co);
            let bytes = e.encode();
            assert_eq!(Entry::decode(&bytes).unwrap(), e);
            assert_eq!(Entry::from_base64(&e.to_base64()).unwrap(), e);
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<Entry>(&json).unwrap(), e);
        }
    }

    #[test]
    fn trailing_truncated_and_bad_flag_bytes_are_refused() {
        let (e, _) = sample(false);
        let bytes = e.encode();
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            Entry::decode(&long),
            Err(DirectoryError::Malformed(_))
        ));
        for cut in 0..bytes.len() {
            assert!(Entry::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flag = bytes.clone();
        *flag.last_mut().unwrap() = 2;
        assert!(Entry::decode(&flag).is_err());
    }

    #[test]
    fn signatures_are_domain_separated() {
        let (e, key) = sample(true);
        assert!(e.signature_valid());
        // The co-signature is over another domain: it cannot stand in for the
        // signature, and the signer's signature is not a co-signature.
        let swapped = Entry {
            signature: e.co_signature.unwrap(),
            co_signature: Some(e.signature),
            signer: match e.statement {
                Statement::RootRotated { new_root } => new_root,
                _ => unreachable!(),
            },
            ..e.clone()
        };
        assert!(!swapped.signature_valid());
        assert!(
            !key.verifying_key()
                .verify(&e.co_signed_message(), &e.signature)
        );
    }

    #[test]
    fn hash_covers_the_signatures() {
        let (e, _) = sample(true);
        let mut other = e.clone();
        other.co_signature = None;
        assert_ne!(e.hash(), other.hash());
        assert_eq!(e.signed_message(), other.signed_message());
    }
}
