//! Rewrap: move one stanza of a pending packet from a device's retired age
//! key to its current one (ADR 0004, point 5).
//!
//! A packet is a binary age v1 file whose header holds one recipient stanza
//! per recipient key, all `X25519` or all `mlkem768x25519` (ADR 0020), and at
//! most one `*-grease` stanza, each wrapping the same
//! 16-byte file key. When a device rotates its keys, packets still waiting at
//! the broker hold a stanza for its retired key. [`rewrap_header`] unwraps the
//! file key with the retired identity, wraps it to the current recipient, puts
//! the new stanza where the old one was, and recomputes the header MAC. Every
//! other stanza, the payload nonce and the STREAM payload stay byte for byte
//! as the sender wrote them.
//!
//! Why that is enough, and why it needs no sender:
//!
//! - the payload key is `HKDF-SHA-256(salt = payload nonce, ikm = file key,
//!   info = "payload")`; neither input changes, so the payload still decrypts;
//! - the header MAC is `HMAC-SHA-256` under `HKDF-SHA-256(salt = empty,
//!   ikm = file key, info = "header")`, so any holder of the file key (every
//!   recipient) can make it; it is recomputed here over the new header;
//! - the packet's authenticity is the sender's Ed25519 signature *inside* the
//!   payload. Its signed recipient set still names the retired key; readers
//!   accept that because the retired key belongs to the same device
//!   ([`open()`](crate::open())).
//!
//! Why the length cannot change: an X25519 stanza always encodes to 98 bytes
//! (`-> X25519 `, 43 base64 characters of ephemeral share, LF, 43 base64
//! characters of wrapped key, LF), an `mlkem768x25519` stanza to 1,557 (its
//! argument is always 1,494 base64 characters, its body 43), and the MAC line
//! to 48. A stanza is replaced only by one of its own kind. The padded size, and
//! so the size bucket, stays the same; [`RewrapError::LengthChanged`] guards it.
//!
//! Key material: age's [`FileKey`] is a `SecretBox`, wiped when dropped. The
//! header MAC key is derived inside `ring` and only ever held in `ring`'s HKDF
//! and HMAC key types, which `ring` does not wipe (CRATE-NOTES). What they
//! hold is good for this one file's header MAC only: the payload key is
//! derived from the file key with another salt, and HKDF does not run
//! backwards to the file key.

use std::io::{self, Read, Write};
use std::ops::Range;

use age_core::format::{FileKey, Stanza};
use age_core::secrecy::ExposeSecret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ring::{hkdf, hmac};

use crate::header_check::{self, HeaderError, HeaderLimits};
use crate::keys::{AgeIdentity, RecipientKind};

/// The first line of every age v1 header.
const VERSION_LINE: &[u8] = b"age-encryption.org/v1\n";
/// Starts the MAC line. The MAC covers the header up to and including these
/// three bytes, not the space and MAC after them.
const MAC_TAG: &[u8] = b"---";
/// Stanza bodies are base64 wrapped at this many columns.
const BODY_COLUMNS: usize = 64;
/// HKDF `info` for the header MAC key (age-encryption.org/v1, "header MAC").
const HEADER_KEY_INFO: &[u8] = b"header";
/// The payload nonce and one chunk tag: what [`header_check::check_header`]
/// requires after the header.
const MIN_PAYLOAD: usize = 32;
/// The classic recipient stanza type.
const X25519_TAG: &str = "X25519";
const HYBRID_TAG: &str = "mlkem768x25519";

/// Why a packet could not be rewrapped.
#[derive(Debug, thiserror::Error)]
pub enum RewrapError {
    /// The input is not a packet header the broker would accept: bad grammar,
    /// a forbidden stanza, non-canonical encoding, trailing bytes after a
    /// header passed on its own, or a file that ends inside its header.
    #[error("not a well-formed packet header: {0}")]
    Malformed(#[from] HeaderError),
    /// No stanza unwraps with the retired identity: the packet was not
    /// addressed to that key (or it was rewrapped already and the current
    /// identity was not the one given).
    #[error("no stanza of this packet is addressed to the retired key")]
    NotAddressedToThisKey,
    /// A stanza already unwraps with the current identity, so there is
    /// nothing to do; callers skip the packet.
    #[error("the packet already has a stanza for the current key")]
    AlreadyCurrent,
    /// More than one stanza unwraps with the same identity. The sealer never
    /// writes that; replacing only one would leave the retired key able to
    /// decrypt, so the packet is refused instead.
    #[error("more than one stanza of this packet unwraps with the same key")]
    DuplicateStanza,
    /// The header MAC does not verify under the file key the stanza gave: the
    /// header was altered after it was written (or the stanza wraps a key
    /// other than the file's). Rewrapping it would launder the change into a
    /// header with a valid MAC.
    #[error("the age header MAC does not verify")]
    BadMac,
    /// The rewrapped header would not be the same length as the original,
    /// which would move the packet out of its size bucket.
    #[error("rewrapping would change the header from {before} to {after} bytes")]
    LengthChanged {
        /// Length of the original header.
        before: usize,
        /// Length the new header would have had.
        after: usize,
    },
    /// age failed to wrap the file key to the current recipient, or did not
    /// produce exactly one X25519 stanza.
    #[error("wrapping the file key to the current key failed: {0}")]
    Wrap(String),
    /// Reading the input or writing the output failed.
    #[error("I/O error while rewrapping: {0}")]
    Io(#[from] io::Error),
}

/// What [`rewrap()`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrapped {
    /// Length of the age header, the same in the input and the output.
    /// Everything from this offset on (the payload nonce, then the STREAM
    /// chunks) was copied unchanged.
    pub header_len: usize,
    /// Bytes written: the whole file, equal to the bytes read.
    pub bytes: u64,
}

/// The length of the age header at the start of `prefix`, from the version
/// line through the MAC line's newline; the payload nonce starts at this
/// offset.
///
/// `prefix` must hold at least the whole header; it may hold the header alone
/// or any part of the file after it. The header must pass the broker's
/// key-less check ([`header_check::check_header`], default limits), so two
/// packets' lengths are only ever compared at a boundary both sides parse the
/// same way. A prefix that ends inside the header is
/// [`HeaderError::Truncated`].
pub fn age_header_len(prefix: &[u8]) -> Result<usize, RewrapError> {
    Ok(header_check::header_len(prefix, &HeaderLimits::default())?)
}

/// Rewraps an age header: replaces the one stanza that `retired` unwraps with
/// a stanza wrapping the same file key to `current`, in the same position,
/// and recomputes the MAC. Returns the new header, the same length as
/// `header`.
///
/// `header` is exactly the header (see [`age_header_len`]), nothing after it.
/// The original MAC is verified with the unwrapped file key before anything
/// is produced. `current` is an identity rather than a recipient because
/// X25519 stanzas do not name their recipient: only trying to unwrap them
/// tells whether the packet is already rewrapped
/// ([`RewrapError::AlreadyCurrent`]).
pub fn rewrap_header(
    header: &[u8],
    retired: &AgeIdentity,
    current: &AgeIdentity,
) -> Result<Vec<u8>, RewrapError> {
    // A stanza is only ever replaced by one of its own kind: the broker
    // refuses any other change (`rewrap_rule`), and a classic stanza put in
    // a hybrid header would undo what the hybrid encryption is for.
    if retired.kind() != current.kind() {
        return Err(RewrapError::Wrap(
            "a stanza can only be rewrapped to a key of the same kind".into(),
        ));
    }
    let parsed = Parsed::new(header)?;

    // Checked first so that a retry after a lost response, or a second pass
    // over the inbox, is a cheap refusal rather than a second rewrap. The MAC
    // is still checked, so a tampered header is reported as such.
    if let Some((_, file_key)) = unwrap_one(&parsed, current)? {
        parsed.verify_mac(&header_mac_key(&file_key))?;
        return Err(RewrapError::AlreadyCurrent);
    }

    let (index, file_key) =
        unwrap_one(&parsed, retired)?.ok_or(RewrapError::NotAddressedToThisKey)?;
    // A stanza that unwraps shows only that someone wrapped *a* key to the
    // retired recipient. The MAC shows that it is this header's file key and
    // that the header is as it was written.
    let mac_key = header_mac_key(&file_key);
    parsed.verify_mac(&mac_key)?;
    let replacement = wrap_to(&file_key, current)?;
    parsed.splice(index, &replacement, &mac_key)
}

/// Rewraps a whole packet from `input` to `output` (see [`rewrap_header`]).
///
/// Reads at most 64 KiB + 32 bytes before the header is checked (the header
/// limit, the payload nonce and one chunk tag), then copies the rest in
/// constant memory. Nothing is written unless the header rewraps; if the
/// input or output fails during the copy, `output` holds a partial file, so
/// write to a temporary file and keep it only on success.
pub fn rewrap<R: Read, W: Write>(
    mut input: R,
    mut output: W,
    retired: &AgeIdentity,
    current: &AgeIdentity,
) -> Result<Rewrapped, RewrapError> {
    let limits = HeaderLimits::default();
    let want = limits.max_header_bytes + MIN_PAYLOAD;
    let mut prefix = Vec::with_capacity(want);
    input.by_ref().take(want as u64).read_to_end(&mut prefix)?;
    // `prefix.len()` stands in for the file's length. If the file is longer,
    // the prefix already spans the header limit and the payload bytes the
    // check wants after the header, so the check reaches the verdict it would
    // reach with the true length.
    let header_len = header_check::check_header(&prefix, prefix.len() as u64, &limits)?.header_len;
    let header = rewrap_header(&prefix[..header_len], retired, current)?;
    output.write_all(&header)?;
    output.write_all(&prefix[header_len..])?;
    let rest = io::copy(&mut input, &mut output)?;
    output.flush()?;
    Ok(Rewrapped {
        header_len,
        bytes: prefix.len() as u64 + rest,
    })
}

/// A header that passed the broker's check, split into its stanzas.
struct Parsed<'a> {
    /// The whole header, version line through the MAC line's newline.
    bytes: &'a [u8],
    /// Each stanza, with the bytes it occupies in `bytes`.
    stanzas: Vec<(Range<usize>, Stanza)>,
    /// Offset of the MAC line.
    mac_line: usize,
    /// The MAC the header carries.
    mac: [u8; 32],
}

impl<'a> Parsed<'a> {
    /// Checks `header` with the broker's key-less check, then splits it with
    /// age's own stanza parser. The two must agree on every stanza boundary,
    /// and every stanza must re-encode to exactly the bytes it came from, so
    /// copying the untouched stanzas is the canonical serialisation.
    fn new(header: &'a [u8]) -> Result<Self, RewrapError> {
        let len = header_check::header_len(header, &HeaderLimits::default())?;
        if len != header.len() {
            return Err(malformed("bytes follow the age header"));
        }
        // The check above has read the version line, stanzas and MAC line;
        // what follows re-walks them to keep the pieces.
        let mut pos = VERSION_LINE.len();
        let mut stanzas = Vec::new();
        while !header[pos..].starts_with(MAC_TAG) {
            let Ok((rest, stanza)) = age_core::format::read::age_stanza(&header[pos..]) else {
                return Err(malformed("age's stanza parser refused the header"));
            };
            let end = header.len() - rest.len();
            let stanza = Stanza::from(stanza);
            if encode_stanza(&stanza) != header[pos..end] {
                return Err(malformed("stanza is not in canonical encoding"));
            }
            stanzas.push((pos..end, stanza));
            pos = end;
        }
        // The MAC line is `--- `, 43 base64 characters and LF.
        let mac = header
            .get(pos + MAC_TAG.len() + 1..header.len() - 1)
            .and_then(|text| STANDARD_NO_PAD.decode(text).ok())
            .and_then(|mac| <[u8; 32]>::try_from(mac).ok())
            .ok_or_else(|| malformed("MAC line is not 32 bytes of base64"))?;
        Ok(Self {
            bytes: header,
            stanzas,
            mac_line: pos,
            mac,
        })
    }

    /// The bytes the MAC covers: the header through `---`.
    fn authenticated(&self) -> &[u8] {
        &self.bytes[..self.mac_line + MAC_TAG.len()]
    }

    /// Checks the header's MAC in constant time.
    fn verify_mac(&self, key: &hmac::Key) -> Result<(), RewrapError> {
        hmac::verify(key, self.authenticated(), &self.mac).map_err(|_| RewrapError::BadMac)
    }

    /// The header with stanza `index` replaced by `replacement` and a new MAC
    /// under `mac_key`. Every other byte before the MAC line is copied.
    fn splice(
        &self,
        index: usize,
        replacement: &Stanza,
        mac_key: &hmac::Key,
    ) -> Result<Vec<u8>, RewrapError> {
        let range = &self.stanzas[index].0;
        let mut out = Vec::with_capacity(self.bytes.len());
        out.extend_from_slice(&self.bytes[..range.start]);
        out.extend_from_slice(&encode_stanza(replacement));
        out.extend_from_slice(&self.bytes[range.end..self.mac_line]);
        out.extend_from_slice(MAC_TAG);
        let mac = hmac::sign(mac_key, &out);
        out.push(b' ');
        out.extend_from_slice(STANDARD_NO_PAD.encode(mac.as_ref()).as_bytes());
        out.push(b'\n');
        if out.len() != self.bytes.len() {
            return Err(RewrapError::LengthChanged {
                before: self.bytes.len(),
                after: out.len(),
            });
        }
        Ok(out)
    }
}

/// The one stanza `identity` unwraps, as its index and the file key; `None`
/// if no stanza does.
///
/// Every stanza is tried, not just until the first hit, so that a second
/// stanza for the same key is found ([`RewrapError::DuplicateStanza`]).
fn unwrap_one(
    parsed: &Parsed<'_>,
    identity: &AgeIdentity,
) -> Result<Option<(usize, FileKey)>, RewrapError> {
    let mut found = None;
    for (index, (_, stanza)) in parsed.stanzas.iter().enumerate() {
        match identity.as_age().unwrap_stanza(stanza) {
            // Another recipient's stanza, or the grease stanza.
            None => {}
            Some(Ok(file_key)) => {
                if found.is_some() {
                    return Err(RewrapError::DuplicateStanza);
                }
                found = Some((index, file_key));
            }
            // age refuses a malformed stanza of the identity's own kind, or
            // an X25519 share that makes an all-zero secret; the header check
            // refuses both first.
            Some(Err(_)) => return Err(malformed("age refused a recipient stanza")),
        }
    }
    Ok(found)
}

/// Wraps `file_key` to `current`'s recipient: one new stanza of its kind,
/// with a fresh ephemeral share (and, for a hybrid key, a fresh ML-KEM
/// encapsulation).
fn wrap_to(file_key: &FileKey, current: &AgeIdentity) -> Result<Stanza, RewrapError> {
    let (mut stanzas, labels) = current
        .recipient()
        .to_age()
        .wrap_file_key(file_key)
        .map_err(|e| RewrapError::Wrap(e.to_string()))?;
    // A recipient of either kind makes exactly one stanza of its tag, and a
    // hybrid one labels it `postquantum`; anything else would not be a
    // like-for-like replacement.
    let expected_tag = match current.kind() {
        RecipientKind::Classic => X25519_TAG,
        RecipientKind::PostQuantum => HYBRID_TAG,
    };
    let labels_fit = match current.kind() {
        RecipientKind::Classic => labels.is_empty(),
        RecipientKind::PostQuantum => labels.len() == 1 && labels.contains("postquantum"),
    };
    match stanzas.pop() {
        Some(stanza) if stanzas.is_empty() && labels_fit && stanza.tag == expected_tag => {
            Ok(stanza)
        }
        _ => Err(RewrapError::Wrap(
            "the recipient did not produce exactly one stanza of its kind".into(),
        )),
    }
}

/// age's header MAC key: `HKDF-SHA-256(salt = empty, ikm = file key,
/// info = "header")`, 32 bytes, as an HMAC-SHA-256 key. (An empty HKDF salt
/// and RFC 5869's default of 32 zero bytes give the same HMAC key, so this
/// matches every age implementation.)
fn header_mac_key(file_key: &FileKey) -> hmac::Key {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(file_key.expose_secret());
    let okm = prk
        .expand(&[HEADER_KEY_INFO], hmac::HMAC_SHA256)
        .expect("32 bytes is far below HKDF-SHA-256's 8160-byte output limit");
    hmac::Key::from(okm)
}

/// Encodes a stanza as age does: `-> tag args…` and LF, then the body in
/// unpadded standard base64 as 64-column lines, ending with one shorter line
/// (empty when the encoding fills its last line).
fn encode_stanza(stanza: &Stanza) -> Vec<u8> {
    let mut out = b"-> ".to_vec();
    out.extend_from_slice(stanza.tag.as_bytes());
    for arg in &stanza.args {
        out.push(b' ');
        out.extend_from_slice(arg.as_bytes());
    }
    out.push(b'\n');
    let body = STANDARD_NO_PAD.encode(&stanza.body);
    for line in body.as_bytes().chunks(BODY_COLUMNS) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    if body.len().is_multiple_of(BODY_COLUMNS) {
        out.push(b'\n');
    }
    out
}

fn malformed(why: &'static str) -> RewrapError {
    RewrapError::Malformed(HeaderError::Malformed(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stanza(tag: &str, args: &[&str], body: Vec<u8>) -> Stanza {
        Stanza {
            tag: tag.into(),
            args: args.iter().map(|a| (*a).into()).collect(),
            body,
        }
    }

    /// The cases of age's own stanza encoding tests (age-core
    /// `format::tests`): one short line, an empty body, and a body that fills
    /// a line exactly and so needs an empty last line.
    #[test]
    fn stanza_encoding_matches_age() {
        let x25519 = stanza(
            "X25519",
            &["CJM36AHmTbdHSuOQL+NESqyVQE75f2e610iRdLPEN20"],
            STANDARD_NO_PAD
                .decode("C3ZAeY64NXS4QFrksLm3EGz+uPRyI0eQsWw7LWbbYig")
                .unwrap(),
        );
        assert_eq!(
            encode_stanza(&x25519),
            b"-> X25519 CJM36AHmTbdHSuOQL+NESqyVQE75f2e610iRdLPEN20\n\
              C3ZAeY64NXS4QFrksLm3EGz+uPRyI0eQsWw7LWbbYig\n"
        );
        assert_eq!(encode_stanza(&x25519).len(), 98);
        assert_eq!(
            encode_stanza(&stanza("empty-body", &["some", "arguments"], vec![])),
            b"-> empty-body some arguments\n\n"
        );
        let full = STANDARD_NO_PAD
            .decode("xD7o4VEOu1t7KZQ1gDgq2FPzBEeSRqbnqvQEXdLRYy143BxR6oFxsUUJCRB0ErXA")
            .unwrap();
        assert_eq!(
            encode_stanza(&stanza("full-body", &["some", "arguments"], full)),
            b"-> full-body some arguments\n\
              xD7o4VEOu1t7KZQ1gDgq2FPzBEeSRqbnqvQEXdLRYy143BxR6oFxsUUJCRB0ErXA\n\n"
        );
    }

    /// The length guard, reached here with a replacement that an X25519
    /// recipient never produces.
    #[test]
    fn splice_refuses_a_replacement_of_another_length() {
        for identity in [
            AgeIdentity::generate_classic(),
            AgeIdentity::generate_post_quantum(),
        ] {
            splice_guard_holds_for(&identity);
        }
    }

    fn splice_guard_holds_for(identity: &AgeIdentity) {
        let recipient = identity.recipient().to_age();
        let mut header = Vec::new();
        age::Encryptor::with_recipients(std::iter::once(recipient.as_ref() as &dyn age::Recipient))
            .unwrap()
            .wrap_output(&mut header)
            .unwrap()
            .finish()
            .unwrap();
        let len = age_header_len(&header).unwrap();
        let parsed = Parsed::new(&header[..len]).unwrap();
        let (index, file_key) = unwrap_one(&parsed, identity).unwrap().unwrap();
        let mac_key = header_mac_key(&file_key);
        parsed.verify_mac(&mac_key).unwrap();

        // One more body byte is one more base64 character.
        let mut longer = wrap_to(&file_key, identity).unwrap();
        longer.body.push(0);
        assert!(matches!(
            parsed.splice(index, &longer, &mac_key),
            Err(RewrapError::LengthChanged { before, after }) if before == len && after == len + 1
        ));
        let same = wrap_to(&file_key, identity).unwrap();
        assert_eq!(parsed.splice(index, &same, &mac_key).unwrap().len(), len);
    }
}
