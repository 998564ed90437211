//! The plaintext inside a packet's age encryption (docs/protocol.md §2):
//!
//! ```text
//! magic "RFPK" | version 0x02 | header_len u32 | header | signature (64)
//!   | content | attachment 0 | … | attachment n-1 | zero padding
//! ```
//!
//! The header is a canonical binary encoding (no JSON, no optional fields, one
//! encoding per value), so the bytes that were signed are exactly the bytes
//! that are parsed: a reader verifies the signature over the bytes it received
//! and then decodes them, refusing anything non-canonical.
//!
//! Version 2 (ADR 0020 §4) lists each recipient as the SHA-256 of its
//! canonical text, so a hybrid recipient (1,959 characters) costs 32 bytes
//! like any other. Version 1 listed the `age1…` strings themselves; such
//! packets still open, and their list is read into the same digests.

use ring::digest::{Context, SHA256};

pub use crate::attachment_name::check_attachment_name;
use crate::ids::{ContentType, DeskId, DeviceId, PacketId, ThreadId};
use crate::keys::{RecipientDigest, RecipientKey, SigningKey, VerifyingKey};

/// First bytes of every envelope.
pub const MAGIC: [u8; 4] = *b"RFPK";
/// The envelope version this crate writes.
pub const VERSION: u8 = 2;
/// The first envelope version, which listed recipients as text: still read.
pub const VERSION_1: u8 = 1;
/// Prefixed to what is signed, so a packet signature can never be confused
/// with a broker-auth signature or a directory-log signature.
pub const SIGNATURE_DOMAIN: &[u8] = b"referral-broker packet signature v1\0";
/// Bytes before the header: magic, version, header length.
pub const PRELUDE_LEN: usize = 4 + 1 + 4;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// Largest encoded header accepted.
pub const MAX_HEADER_LEN: usize = 64 * 1024;
/// Largest content (the referral JSON) accepted.
pub const MAX_CONTENT_LEN: u32 = 1 << 20;
/// Most attachments in one packet.
pub const MAX_ATTACHMENTS: usize = 64;
/// Most recipients in one packet, of either kind: the length the header's
/// list may have.
pub const MAX_RECIPIENTS: usize = MAX_CLASSIC_RECIPIENTS;
/// Most X25519 recipients. Each X25519 stanza adds 98 bytes to the age
/// header; 160 of them (15.9 KB) stay far under the broker's 64 KiB header
/// limit, and the cap is kept from envelope v1.
pub const MAX_CLASSIC_RECIPIENTS: usize = 160;
/// Most hybrid recipients. Each `mlkem768x25519` stanza adds 1,557 bytes to
/// the age header; with the fixed lines and the largest grease stanza, 40 of
/// them keep the header under the broker's 64 KiB limit, so a packet the
/// sealer accepts is never one the broker refuses for its header size
/// (docs/protocol.md §6).
pub const MAX_POST_QUANTUM_RECIPIENTS: usize = 40;
/// Longest attachment name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 255;
/// Longest media type.
pub const MAX_MEDIA_TYPE_LEN: usize = 127;

/// What was wrong with an envelope's structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The first bytes are not `RFPK`.
    #[error("not a referral packet (bad magic)")]
    BadMagic,
    /// A version this build does not read.
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u8),
    /// The header ended early, ran long, or broke a canonical-form rule.
    #[error("malformed packet header: {0}")]
    Malformed(&'static str),
}

/// One attachment as listed (and signed) in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// File name as the sender gave it (never a path).
    pub name: String,
    /// Media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Length in bytes.
    pub bytes: u64,
    /// SHA-256 of the attachment's bytes.
    pub sha256: [u8; 32],
}

/// The signed header of a packet: everything SPEC §2.4 says the sender's
/// signature covers, plus what a reader needs to parse the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketHeader {
    /// Random packet id (the broker's idempotency key).
    pub packet_id: PacketId,
    /// Random thread id.
    pub thread_id: ThreadId,
    /// Seconds since the Unix epoch, by the sender's clock.
    pub created_at: i64,
    /// The signing device.
    pub sender_device: DeviceId,
    /// The signing device's desk.
    pub sender_desk: DeskId,
    /// The key that made the signature; the reader checks that it belongs to
    /// `sender_device` in the verified directory.
    pub sender_key: VerifyingKey,
    /// The desk this packet is addressed to.
    pub recipient_desk: DeskId,
    /// What `content` is.
    pub content_type: ContentType,
    /// Length of `content`.
    pub content_len: u32,
    /// SHA-256 of `content`.
    pub content_sha256: [u8; 32],
    /// The attachments that follow the content, in order.
    pub attachments: Vec<AttachmentMeta>,
    /// The digest of every age recipient the packet was encrypted to,
    /// sorted, no repeats. Signing this list is what stops surreptitious
    /// forwarding.
    pub recipients: Vec<RecipientDigest>,
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut ctx = Context::new(&SHA256);
    ctx.update(bytes);
    digest_bytes(ctx)
}

pub(crate) fn digest_bytes(ctx: Context) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

impl PacketHeader {
    /// The canonical encoding of envelope v2 (docs/protocol.md §3).
    ///
    /// Panics only on values the constructors make impossible (a name longer
    /// than its length prefix); [`PacketHeader::validate`] is run first by the
    /// sealer.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.recipients.len() * 32);
        out.extend_from_slice(self.packet_id.as_bytes());
        out.extend_from_slice(self.thread_id.as_bytes());
        out.extend_from_slice(&self.created_at.to_be_bytes());
        out.extend_from_slice(self.sender_device.as_bytes());
        put_str8(&mut out, self.sender_desk.as_str());
        out.extend_from_slice(self.sender_key.as_bytes());
        put_str8(&mut out, self.recipient_desk.as_str());
        put_str8(&mut out, self.content_type.as_str());
        out.extend_from_slice(&self.content_len.to_be_bytes());
        out.extend_from_slice(&self.content_sha256);
        out.extend_from_slice(&(self.attachments.len() as u16).to_be_bytes());
        for a in &self.attachments {
            put_str16(&mut out, &a.name);
            put_str8(&mut out, &a.media_type);
            out.extend_from_slice(&a.bytes.to_be_bytes());
            out.extend_from_slice(&a.sha256);
        }
        out.extend_from_slice(&(self.recipients.len() as u16).to_be_bytes());
        for r in &self.recipients {
            out.extend_from_slice(&r.0);
        }
        out
    }

    /// The digests of `keys`, sorted and without repeats, as the header
    /// lists them.
    pub fn recipient_list(keys: &[RecipientKey]) -> Vec<RecipientDigest> {
        let mut list: Vec<RecipientDigest> = keys.iter().map(RecipientKey::digest).collect();
        list.sort();
        list.dedup();
        list
    }

    /// Checks the rules the encoding relies on: limits, names, sorted unique
    /// recipients.
    pub fn validate(&self) -> Result<(), EnvelopeError> {
        if self.content_len > MAX_CONTENT_LEN {
            return Err(EnvelopeError::Malformed("content too long"));
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(EnvelopeError::Malformed("too many attachments"));
        }
        for a in &self.attachments {
            check_attachment_name(&a.name)?;
            check_media_type(&a.media_type)?;
        }
        if self.recipients.is_empty() || self.recipients.len() > MAX_RECIPIENTS {
            return Err(EnvelopeError::Malformed("recipient count out of range"));
        }
        if !self.recipients.windows(2).all(|w| w[0] < w[1]) {
            return Err(EnvelopeError::Malformed("recipients not sorted and unique"));
        }
        Ok(())
    }

    /// Parses a header of envelope `version` (from the prelude), refusing
    /// trailing bytes and non-canonical values.
    pub fn decode(version: u8, bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let mut r = Cursor { rest: bytes };
        let packet_id = PacketId::from_bytes(r.array()?).map_err(|_| bad("packet id"))?;
        let thread_id = ThreadId::from_bytes(r.array()?).map_err(|_| bad("thread id"))?;
        let created_at = i64::from_be_bytes(r.array()?);
        let sender_device = DeviceId::from_bytes(r.array()?).map_err(|_| bad("sender device"))?;
        let sender_desk = r.str8()?.parse().map_err(|_| bad("sender desk"))?;
        let sender_key = VerifyingKey(r.array()?);
        let recipient_desk = r.str8()?.parse().map_err(|_| bad("recipient desk"))?;
        let content_type = r.str8()?.parse().map_err(|_| bad("content type"))?;
        let content_len = u32::from_be_bytes(r.array()?);
        let content_sha256 = r.array()?;
        let n_att = u16::from_be_bytes(r.array()?) as usize;
        if n_att > MAX_ATTACHMENTS {
            return Err(bad("too many attachments"));
        }
        let mut attachments = Vec::with_capacity(n_att);
        for _ in 0..n_att {
            attachments.push(AttachmentMeta {
                name: r.str16()?.to_owned(),
                media_type: r.str8()?.to_owned(),
                bytes: u64::from_be_bytes(r.array()?),
                sha256: r.array()?,
            });
        }
        let n_rcpt = u16::from_be_bytes(r.array()?) as usize;
        if n_rcpt > MAX_RECIPIENTS {
            return Err(bad("too many recipients"));
        }
        let recipients = match version {
            VERSION_1 => {
                let mut keys: Vec<RecipientKey> = Vec::with_capacity(n_rcpt);
                for _ in 0..n_rcpt {
                    keys.push(r.str8()?.parse().map_err(|_| bad("recipient key"))?);
                }
                if !keys.windows(2).all(|w| w[0] < w[1]) {
                    return Err(bad("recipients not sorted and unique"));
                }
                Self::recipient_list(&keys)
            }
            _ => (0..n_rcpt)
                .map(|_| r.array().map(RecipientDigest))
                .collect::<Result<_, _>>()?,
        };
        if !r.rest.is_empty() {
            return Err(bad("trailing bytes after header"));
        }
        let header = Self {
            packet_id,
            thread_id,
            created_at,
            sender_device,
            sender_desk,
            sender_key,
            recipient_desk,
            content_type,
            content_len,
            content_sha256,
            attachments,
            recipients,
        };
        header.validate()?;
        Ok(header)
    }

    /// Total plaintext bytes before padding: prelude, header, signature,
    /// content and attachments.
    pub fn unpadded_len(&self, encoded_header_len: usize) -> u64 {
        (PRELUDE_LEN + encoded_header_len + SIGNATURE_LEN) as u64
            + u64::from(self.content_len)
            + self.attachments.iter().map(|a| a.bytes).sum::<u64>()
    }
}

/// The exact bytes an Ed25519 packet signature covers:
/// `SIGNATURE_DOMAIN || MAGIC || version || encoded header`. The version is
/// signed, so a v2 header cannot be passed off as v1 or the reverse.
pub fn signed_message(version: u8, encoded_header: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNATURE_DOMAIN.len() + 5 + encoded_header.len());
    m.extend_from_slice(SIGNATURE_DOMAIN);
    m.extend_from_slice(&MAGIC);
    m.push(version);
    m.extend_from_slice(encoded_header);
    m
}

/// Signs an encoded v2 header.
pub fn sign_header(key: &SigningKey, encoded_header: &[u8]) -> [u8; 64] {
    key.sign(&signed_message(VERSION, encoded_header))
}

/// The prelude for a header of `header_len` bytes.
pub fn prelude(header_len: usize) -> [u8; PRELUDE_LEN] {
    let mut p = [0u8; PRELUDE_LEN];
    p[..4].copy_from_slice(&MAGIC);
    p[4] = VERSION;
    p[5..].copy_from_slice(&(header_len as u32).to_be_bytes());
    p
}

/// Reads a prelude: checks magic and version, returns the version and the
/// header length.
pub fn parse_prelude(p: &[u8; PRELUDE_LEN]) -> Result<(u8, usize), EnvelopeError> {
    if p[..4] != MAGIC {
        return Err(EnvelopeError::BadMagic);
    }
    if p[4] != VERSION && p[4] != VERSION_1 {
        return Err(EnvelopeError::UnsupportedVersion(p[4]));
    }
    let len = u32::from_be_bytes([p[5], p[6], p[7], p[8]]) as usize;
    if len > MAX_HEADER_LEN {
        return Err(bad("header too long"));
    }
    Ok((p[4], len))
}

/// Media types are `type/subtype` in printable ASCII without spaces.
pub fn check_media_type(mt: &str) -> Result<(), EnvelopeError> {
    let ok = mt.len() <= MAX_MEDIA_TYPE_LEN
        && mt.bytes().filter(|b| *b == b'/').count() == 1
        && !mt.starts_with('/')
        && !mt.ends_with('/')
        && mt.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(bad("media type is not type/subtype"))
    }
}

fn bad(what: &'static str) -> EnvelopeError {
    EnvelopeError::Malformed(what)
}

fn put_str8(out: &mut Vec<u8>, s: &str) {
    let len = u8::try_from(s.len()).expect("validated: fits a u8 length");
    out.push(len);
    out.extend_from_slice(s.as_bytes());
}

fn put_str16(out: &mut Vec<u8>, s: &str) {
    let len = u16::try_from(s.len()).expect("validated: fits a u16 length");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EnvelopeError> {
        if self.rest.len() < n {
            return Err(bad("header ends early"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EnvelopeError> {
        Ok(self.take(N)?.try_into().expect("took exactly N bytes"))
    }

    fn str8(&mut self) -> Result<&'a str, EnvelopeError> {
        let len = self.take(1)?[0] as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| bad("text is not UTF-8"))
    }

    fn str16(&mut self) -> Result<&'a str, EnvelopeError> {
        let len = u16::from_be_bytes(self.array()?) as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| bad("text is not UTF-8"))
    }
}
