//! Authenticating case records (ADR 0010): a record is encrypted to the
//! device's *public* key, so anyone who can write the home could encrypt a
//! record of their own making, or move one record over another's file.
//! Each record therefore carries an HMAC-SHA256 under a key that only the
//! unlocked keystore holds, over the record and the thread its file is
//! named after.
//!
//! The plaintext inside the age file is framed as
//! `referral-case-record/2 <64 hex digits of tag>\n<record JSON>`; the tag
//! covers `DOMAIN`, the thread id and the JSON bytes exactly as written.

use std::fmt;

use referral_protocol::ThreadId;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// The bytes of a record key.
pub const KEY_LEN: usize = 32;

/// What starts an authenticated record's plaintext. A record written before
/// records were authenticated starts with `{` instead.
const MAGIC: &[u8] = b"referral-case-record/2 ";

/// Separates record tags from any other use of the key.
const DOMAIN: &[u8] = b"referral case record tag v1\0";

/// The key that authenticates this device's case records. Random, kept only
/// inside `keystore.age`, and wiped from memory when dropped.
pub struct RecordKey(Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordKey([REDACTED])")
    }
}

/// Why a record did not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The record carries no tag: it was planted, or written before records
    /// were authenticated and missed the one-time migration.
    #[error("it carries no authentication tag")]
    Untagged,
    /// The tag does not match: the record was edited, or belongs to another
    /// thread's file.
    #[error("its authentication tag does not match its contents and file name")]
    BadTag,
}

impl RecordKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, ring::error::Unspecified> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new().fill(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// The key with these bytes, if there are [`KEY_LEN`] of them.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return None;
        }
        key.copy_from_slice(bytes);
        Some(Self(key))
    }

    /// The secret bytes, for the keystore to write.
    pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn tag(&self, name: &str, json: &[u8]) -> hmac::Tag {
        // ring's key is built for the moment of use, like the signing keys.
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.0.as_ref());
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(DOMAIN);
        ctx.update(name.as_bytes());
        ctx.update(b"\0");
        ctx.update(json);
        ctx.sign()
    }

    /// The plaintext to encrypt for `thread`'s record `json`.
    pub fn frame(&self, thread: &ThreadId, json: &[u8]) -> Zeroizing<Vec<u8>> {
        self.frame_named(&thread.to_string(), json)
    }

    /// The record JSON inside `plain`, if its tag is right for `thread`.
    pub fn unframe<'a>(&self, thread: &ThreadId, plain: &'a [u8]) -> Result<&'a [u8], AuthError> {
        self.unframe_named(&thread.to_string(), plain)
    }

    /// Like [`Self::frame`], for a record of the store that is not a case
    /// (the sync state): `name` never has a thread id's form, so no such
    /// record can pass for a case or a case for it.
    pub fn frame_named(&self, name: &str, json: &[u8]) -> Zeroizing<Vec<u8>> {
        let tag = hex::encode(self.tag(name, json).as_ref());
        let mut out = Zeroizing::new(Vec::with_capacity(MAGIC.len() + tag.len() + 1 + json.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(tag.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(json);
        out
    }

    /// The record JSON inside `plain`, if its tag is right for `name`.
    pub fn unframe_named<'a>(&self, name: &str, plain: &'a [u8]) -> Result<&'a [u8], AuthError> {
        let rest = plain.strip_prefix(MAGIC).ok_or(AuthError::Untagged)?;
        let newline = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(AuthError::BadTag)?;
        let tag = hex::decode(&rest[..newline]).map_err(|_| AuthError::BadTag)?;
        let json = &rest[newline + 1..];
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.0.as_ref());
        let mut message = Vec::with_capacity(DOMAIN.len() + 40 + json.len());
        message.extend_from_slice(DOMAIN);
        message.extend_from_slice(name.as_bytes());
        message.push(b'\0');
        message.extend_from_slice(json);
        // Constant time.
        hmac::verify(&key, &message, &tag).map_err(|_| AuthError::BadTag)?;
        Ok(json)
    }

    /// The record JSON of a plaintext written before records were
    /// authenticated (migration only), or of an authenticated one whose tag
    /// is not checked: what the one-time migration re-tags.
    pub fn strip_any_frame(plain: &[u8]) -> &[u8] {
        match plain.strip_prefix(MAGIC) {
            Some(rest) => rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest, |n| &rest[n + 1..]),
            None => plain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_binds_the_record_to_its_thread_and_key() {
        let key = RecordKey::generate().unwrap();
        let (thread, other) = (ThreadId::random(), ThreadId::random());
        let framed = key.frame(&thread, br#"{"status":"sent"}"#);
        assert_eq!(
            key.unframe(&thread, &framed).unwrap(),
            br#"{"status":"sent"}"#
        );
        assert_eq!(key.unframe(&other, &framed), Err(AuthError::BadTag));
        let stranger = RecordKey::generate().unwrap();
        assert_eq!(stranger.unframe(&thread, &framed), Err(AuthError::BadTag));
        let mut edited = framed.to_vec();
        *edited.last_mut().unwrap() ^= 1;
        assert_eq!(key.unframe(&thread, &edited), Err(AuthError::BadTag));
        assert_eq!(key.unframe(&thread, b"{}"), Err(AuthError::Untagged));
        assert_eq!(RecordKey::strip_any_frame(&framed), br#"{"status":"sent"}"#);
        assert_eq!(RecordKey::strip_any_frame(b"{}"), b"{}");
    }
}
