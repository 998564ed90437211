//! The broker's key-less check of an uploaded packet's age header.
//!
//! The broker cannot decrypt, but it can refuse anything that is not a
//! well-formed binary age v1 file addressed only to X25519 recipients or only
//! to hybrid post-quantum (`mlkem768x25519`) recipients, before a byte is
//! stored. This parses the header exactly as age's grammar says
//! (age-encryption.org/v1) and enforces this deployment's policy on top:
//!
//! - binary only (no ASCII armor): sizes must be the padded bucket sizes;
//! - at most `max_header_bytes` (64 KiB, [`DEFAULT_MAX_HEADER_BYTES`]) and
//!   `max_stanzas` (256) stanzas. 64 KiB holds 40 hybrid recipients (ADR 0020
//!   §7): each hybrid stanza is 1,557 bytes, so 40 of them, the version line,
//!   a grease stanza with age's longest first line (66 characters) and the
//!   largest body this check admits (128 bytes), and the MAC line come to
//!   62,591 bytes (a unit test below builds that header);
//! - every recipient stanza is one of two kinds, and all recipient stanzas of
//!   a header are of the same kind ([`HeaderError::MixedRecipientKinds`]
//!   otherwise, as age itself never writes such a file):
//!   - `X25519`: one canonical base64 argument of 32 bytes that is not a
//!     low-order point, and a body of exactly 32 bytes;
//!   - `mlkem768x25519` (C2SP age, hybrid ML-KEM-768 + X25519): one canonical
//!     base64 argument of 1,120 bytes (1,494 characters), the encapsulated
//!     key, whose last 32 bytes (the X25519 part) are not a low-order point,
//!     and a body of exactly 32 bytes (the 16-byte file key and its tag);
//! - besides those, at most one `*-grease` stanza with a body of at most 128
//!   bytes (age adds one to every file it writes);
//! - canonical base64 everywhere, LF line endings, 64-column body lines
//!   ending in a short line;
//! - the MAC line is present and canonical, and the payload has at least its
//!   16-byte nonce and one 16-byte tag after it.
//!
//! It never decrypts and holds no key.

use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use crate::refusal::RefusalCode;

const VERSION_LINE: &[u8] = b"age-encryption.org/v1\n";
const VERSION_PREFIX: &[u8] = b"age-encryption.org/";
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
const STANZA_PREFIX: &[u8] = b"-> ";
const X25519_TAG: &[u8] = b"X25519";
const MLKEM768X25519_TAG: &[u8] = b"mlkem768x25519";
/// The X25519 share, and the hybrid stanza's file key (16 bytes) with its tag.
const X25519_SHARE_BYTES: usize = 32;
const WRAPPED_FILE_KEY_BYTES: usize = 32;
/// An ML-KEM-768 ciphertext (1,088 bytes) followed by an X25519 share.
const MLKEM768X25519_ENC_BYTES: usize = 1120;
const MAC_PREFIX: &[u8] = b"--- ";
const BODY_COLUMNS: usize = 64;
/// Smallest payload: the 16-byte nonce and one (empty) chunk's 16-byte tag.
const MIN_PAYLOAD: u64 = 32;
/// age's grease bodies are at most 100 bytes; allow a little slack.
const MAX_GREASE_BODY: usize = 128;

/// X25519 u-coordinates of low order (after clearing bit 255, as X25519
/// does): a share from this list makes the shared secret all zeros.
const LOW_ORDER_POINTS: [[u8; 32]; 7] = [
    [0; 32],
    {
        let mut p = [0u8; 32];
        p[0] = 1;
        p
    },
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ],
    field_element_near_p(0xec),
    field_element_near_p(0xed),
    field_element_near_p(0xee),
];

/// p - 1, p and p + 1 for p = 2^255 - 19, little-endian.
const fn field_element_near_p(low: u8) -> [u8; 32] {
    let mut p = [0xffu8; 32];
    p[0] = low;
    p[31] = 0x7f;
    p
}

/// The default header limit: 64 KiB, room for 40 hybrid recipients (ADR 0020 §7).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;

/// Limits for [`check_header`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLimits {
    /// Largest header, from the version line through the MAC line.
    pub max_header_bytes: usize,
    /// Most stanzas.
    pub max_stanzas: usize,
}

impl Default for HeaderLimits {
    fn default() -> Self {
        Self {
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_stanzas: 256,
        }
    }
}

/// The kind of a recipient stanza the broker accepts. A header's recipient
/// stanzas are all of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecipientStanzaKind {
    /// Classic `X25519` stanza.
    X25519,
    /// Hybrid post-quantum `mlkem768x25519` stanza (ML-KEM-768 + X25519).
    MlKem768X25519,
}

impl RecipientStanzaKind {
    /// The stanza's tag, as age writes it.
    pub const fn tag(self) -> &'static str {
        match self {
            Self::X25519 => "X25519",
            Self::MlKem768X25519 => "mlkem768x25519",
        }
    }

    /// The kind a stanza tag names, if it is a recipient stanza we accept.
    fn from_tag(tag: &[u8]) -> Option<Self> {
        match tag {
            X25519_TAG => Some(Self::X25519),
            MLKEM768X25519_TAG => Some(Self::MlKem768X25519),
            _ => None,
        }
    }
}

/// What a header that passed the check contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSummary {
    /// Bytes from the version line through the MAC line's newline.
    pub header_len: usize,
    /// The kind of every recipient stanza in the header.
    pub recipient_kind: RecipientStanzaKind,
    /// Number of recipient stanzas (the grease stanza not counted).
    pub recipient_stanzas: usize,
}

/// Why a header was refused. Each variant has a stable [`HeaderError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Does not start like an age file.
    #[error("not an age file")]
    NotAge,
    /// ASCII-armored; packets must be binary.
    #[error("ASCII-armored age files are not accepted; send the binary form")]
    Armored,
    /// An age version other than v1.
    #[error("unsupported age format version")]
    UnsupportedVersion,
    /// Larger than the header limit.
    #[error("age header larger than {limit} bytes")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// More stanzas than the limit.
    #[error("age header has more than {limit} stanzas")]
    TooManyStanzas {
        /// The limit in force.
        limit: usize,
    },
    /// A stanza type this broker does not accept.
    #[error(
        "stanza type {tag:?} is not accepted: packets are encrypted to X25519 or mlkem768x25519 recipients only"
    )]
    ForbiddenStanza {
        /// The stanza's tag (printable ASCII by construction, at most 32 characters).
        tag: String,
    },
    /// Recipient stanzas of both kinds in one header; age never writes that
    /// (a hybrid file mixed with a classic recipient loses its post-quantum
    /// protection).
    #[error(
        "the age header mixes X25519 and mlkem768x25519 recipient stanzas; a packet is encrypted to one kind only"
    )]
    MixedRecipientKinds,
    /// A share (an X25519 stanza's, or the X25519 part of a hybrid stanza's
    /// encapsulated key) that would make the shared secret all zeros.
    #[error("a recipient stanza carries a low-order X25519 share")]
    LowOrderShare,
    /// No recipient stanza at all.
    #[error("the age header has no X25519 or mlkem768x25519 recipient")]
    NoRecipients,
    /// Breaks the age header grammar.
    #[error("malformed age header: {0}")]
    Malformed(&'static str),
    /// The file ends inside the header or before the payload's nonce and first tag.
    #[error("age file truncated: {0}")]
    Truncated(&'static str),
}

impl HeaderError {
    /// The refusal the broker answers this with.
    pub fn refusal_code(&self) -> RefusalCode {
        match self {
            Self::NotAge => RefusalCode::NotAge,
            Self::Armored => RefusalCode::ArmoredAge,
            Self::UnsupportedVersion => RefusalCode::UnsupportedAgeVersion,
            Self::TooLarge { .. } => RefusalCode::AgeHeaderTooLarge,
            Self::TooManyStanzas { .. } => RefusalCode::TooManyStanzas,
            Self::ForbiddenStanza { .. } => RefusalCode::ForbiddenStanza,
            // A mixed header is a stanza this file may not have; a new wire
            // code would have to be taught to every client first.
            Self::MixedRecipientKinds => RefusalCode::ForbiddenStanza,
            Self::LowOrderShare => RefusalCode::LowOrderShare,
            Self::NoRecipients => RefusalCode::NoRecipients,
            Self::Malformed(_) => RefusalCode::MalformedAgeHeader,
            Self::Truncated(_) => RefusalCode::TruncatedAgeFile,
        }
    }

    /// A stable machine-readable code, used in the broker's JSON errors
    /// (the wire word of [`HeaderError::refusal_code`]). Distinct per variant,
    /// except [`HeaderError::MixedRecipientKinds`], which the wire reports as
    /// a forbidden stanza.
    pub fn code(&self) -> &'static str {
        self.refusal_code().as_str()
    }
}

/// Checks the age header at the start of `prefix`, the first bytes of a file
/// of `total_len` bytes. Give at least `max_header_bytes + 32` bytes (or the
/// whole file if shorter) so the header's end and the nonce can be seen.
pub fn check_header(
    prefix: &[u8],
    total_len: u64,
    limits: &HeaderLimits,
) -> Result<HeaderSummary, HeaderError> {
    let summary = check_grammar(prefix, total_len, limits, None)?;
    if total_len < (summary.header_len as u64) + MIN_PAYLOAD {
        return Err(HeaderError::Truncated(
            "payload nonce or first chunk missing",
        ));
    }
    Ok(summary)
}

/// The length of the age header at the start of `prefix`, from the version
/// line through the MAC line's newline, after every check [`check_header`]
/// makes on the header itself. Unlike [`check_header`] it does not look past
/// the header, so `prefix` may be the header alone (a rewrapped header, say)
/// or the header followed by any part of the payload. A prefix that ends
/// inside the header is [`HeaderError::Truncated`].
pub fn header_len(prefix: &[u8], limits: &HeaderLimits) -> Result<usize, HeaderError> {
    // With `total_len` equal to the prefix length, a prefix that stops inside
    // a header is reported as truncated; a header that runs past the limit
    // without its MAC line is still too large.
    check_grammar(prefix, prefix.len() as u64, limits, None).map(|s| s.header_len)
}

/// Where each part of a checked header lies, for comparing two headers
/// without a key (`crate::rewrap_rule`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLayout {
    /// Each stanza's bytes, from its `-> ` through its last body line's LF,
    /// in order. The version line is everything before the first.
    pub stanzas: Vec<Range<usize>>,
    /// The MAC line, from `---` through its LF: the header's last bytes.
    pub mac_line: Range<usize>,
}

impl HeaderLayout {
    /// The kind of the recipient stanza at `index` of `header` (the header
    /// this layout was made from), or `None` for the grease stanza or an
    /// index past the last stanza.
    pub fn recipient_kind(&self, header: &[u8], index: usize) -> Option<RecipientStanzaKind> {
        let stanza = &header[self.stanzas.get(index)?.clone()];
        let tag = stanza[STANZA_PREFIX.len()..].split(|b| *b == b' ').next()?;
        RecipientStanzaKind::from_tag(tag)
    }
}

/// The layout of the age header at the start of `prefix`, after every check
/// [`header_len`] makes (the same rules, the same errors).
pub fn header_layout(prefix: &[u8], limits: &HeaderLimits) -> Result<HeaderLayout, HeaderError> {
    let mut stanzas = Vec::new();
    let summary = check_grammar(prefix, prefix.len() as u64, limits, Some(&mut stanzas))?;
    let mac_start = stanzas.last().map_or(VERSION_LINE.len(), |r| r.end);
    Ok(HeaderLayout {
        stanzas,
        mac_line: mac_start..summary.header_len,
    })
}

/// The header grammar and this deployment's stanza policy, without the
/// payload-length check. Each stanza's byte range goes to `layout` if given.
fn check_grammar(
    prefix: &[u8],
    total_len: u64,
    limits: &HeaderLimits,
    mut layout: Option<&mut Vec<Range<usize>>>,
) -> Result<HeaderSummary, HeaderError> {
    if prefix.starts_with(ARMOR_BEGIN) || trimmed_start(prefix).starts_with(ARMOR_BEGIN) {
        return Err(HeaderError::Armored);
    }
    if !prefix.starts_with(VERSION_PREFIX) {
        if prefix.len() < VERSION_PREFIX.len() && VERSION_PREFIX.starts_with(prefix) {
            return Err(HeaderError::Truncated("inside the version line"));
        }
        return Err(HeaderError::NotAge);
    }
    let mut lines = Lines {
        buf: prefix,
        pos: 0,
        limit: limits.max_header_bytes,
    };
    let version = lines.next_line(total_len)?;
    if [version, b"\n"].concat() != VERSION_LINE {
        return Err(HeaderError::UnsupportedVersion);
    }

    let mut stanzas = 0usize;
    let mut recipients = 0usize;
    let mut kind = None;
    let mut grease = 0usize;
    loop {
        let start = lines.pos;
        let line = lines.next_line(total_len)?;
        if let Some(mac) = line.strip_prefix(MAC_PREFIX) {
            let mac = decode_canonical(mac)
                .ok_or(HeaderError::Malformed("MAC is not canonical base64"))?;
            if mac.len() != 32 {
                return Err(HeaderError::Malformed("MAC is not 32 bytes"));
            }
            break;
        }
        let Some(args) = line.strip_prefix(STANZA_PREFIX) else {
            return Err(HeaderError::Malformed("expected a stanza or the MAC line"));
        };
        stanzas += 1;
        if stanzas > limits.max_stanzas {
            return Err(HeaderError::TooManyStanzas {
                limit: limits.max_stanzas,
            });
        }
        let args: Vec<&[u8]> = args.split(|b| *b == b' ').collect();
        if args
            .iter()
            .any(|a| a.is_empty() || !a.iter().all(|b| (33..=126).contains(b)))
        {
            return Err(HeaderError::Malformed(
                "stanza argument empty or not printable ASCII",
            ));
        }
        let body = read_body(&mut lines, total_len)?;
        let tag = args[0];
        if let Some(this) = RecipientStanzaKind::from_tag(tag) {
            check_recipient(this, &args[1..], &body)?;
            if kind.is_some_and(|k| k != this) {
                return Err(HeaderError::MixedRecipientKinds);
            }
            kind = Some(this);
            recipients += 1;
        } else if tag.ends_with(b"-grease") && grease == 0 && body.len() <= MAX_GREASE_BODY {
            grease += 1;
        } else {
            let shown: String = String::from_utf8_lossy(tag).chars().take(32).collect();
            return Err(HeaderError::ForbiddenStanza { tag: shown });
        }
        if let Some(layout) = layout.as_deref_mut() {
            layout.push(start..lines.pos);
        }
    }
    let Some(recipient_kind) = kind else {
        return Err(HeaderError::NoRecipients);
    };
    Ok(HeaderSummary {
        header_len: lines.pos,
        recipient_kind,
        recipient_stanzas: recipients,
    })
}

/// The rules for one recipient stanza of `kind`: its arguments (after the
/// tag) and its decoded body.
fn check_recipient(
    kind: RecipientStanzaKind,
    args: &[&[u8]],
    body: &[u8],
) -> Result<(), HeaderError> {
    match kind {
        RecipientStanzaKind::X25519 => check_x25519(args, body),
        RecipientStanzaKind::MlKem768X25519 => check_mlkem768x25519(args, body),
    }
}

fn check_x25519(args: &[&[u8]], body: &[u8]) -> Result<(), HeaderError> {
    let [share] = args else {
        return Err(HeaderError::Malformed(
            "X25519 stanza must have exactly one argument",
        ));
    };
    let share = decode_canonical(share).ok_or(HeaderError::Malformed(
        "X25519 share is not canonical base64",
    ))?;
    if share.len() != X25519_SHARE_BYTES {
        return Err(HeaderError::Malformed("X25519 share is not 32 bytes"));
    }
    refuse_low_order(&share)?;
    if body.len() != WRAPPED_FILE_KEY_BYTES {
        return Err(HeaderError::Malformed("X25519 stanza body is not 32 bytes"));
    }
    Ok(())
}

/// C2SP age's `mlkem768x25519` stanza: the encapsulated key is an ML-KEM-768
/// ciphertext followed by an X25519 share, which must not be of low order
/// (age's X-Wing decapsulation refuses a non-contributory share, and the
/// CCTV vectors expect a header failure).
fn check_mlkem768x25519(args: &[&[u8]], body: &[u8]) -> Result<(), HeaderError> {
    let [enc] = args else {
        return Err(HeaderError::Malformed(
            "mlkem768x25519 stanza must have exactly one argument",
        ));
    };
    let enc = decode_canonical(enc).ok_or(HeaderError::Malformed(
        "mlkem768x25519 encapsulated key is not canonical base64",
    ))?;
    if enc.len() != MLKEM768X25519_ENC_BYTES {
        return Err(HeaderError::Malformed(
            "mlkem768x25519 encapsulated key is not 1,120 bytes",
        ));
    }
    refuse_low_order(&enc[MLKEM768X25519_ENC_BYTES - X25519_SHARE_BYTES..])?;
    if body.len() != WRAPPED_FILE_KEY_BYTES {
        return Err(HeaderError::Malformed(
            "mlkem768x25519 stanza body is not 32 bytes",
        ));
    }
    Ok(())
}

/// Refuses a 32-byte X25519 share of low order, after clearing bit 255 as
/// X25519 does.
fn refuse_low_order(share: &[u8]) -> Result<(), HeaderError> {
    let mut share: [u8; X25519_SHARE_BYTES] = share
        .try_into()
        .map_err(|_| HeaderError::Malformed("X25519 share is not 32 bytes"))?;
    share[31] &= 0x7f;
    if LOW_ORDER_POINTS.contains(&share) {
        return Err(HeaderError::LowOrderShare);
    }
    Ok(())
}

/// Reads a stanza body: full 64-column lines, then one shorter (maybe empty)
/// line. Returns the decoded bytes.
fn read_body(lines: &mut Lines<'_>, total_len: u64) -> Result<Vec<u8>, HeaderError> {
    let mut encoded = Vec::new();
    loop {
        let line = lines.next_line(total_len)?;
        if line.len() > BODY_COLUMNS {
            return Err(HeaderError::Malformed(
                "stanza body line longer than 64 columns",
            ));
        }
        if line.starts_with(STANZA_PREFIX) || line.starts_with(MAC_PREFIX) {
            return Err(HeaderError::Malformed(
                "stanza body missing its final short line",
            ));
        }
        encoded.extend_from_slice(line);
        if line.len() < BODY_COLUMNS {
            break;
        }
    }
    decode_canonical(&encoded).ok_or(HeaderError::Malformed(
        "stanza body is not canonical base64",
    ))
}

/// Strict base64: standard alphabet, no padding, no non-zero trailing bits.
fn decode_canonical(s: &[u8]) -> Option<Vec<u8>> {
    if s.iter()
        .any(|b| !(b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/'))
    {
        return None;
    }
    let decoded = STANDARD_NO_PAD.decode(s).ok()?;
    // Belt and braces: canonical means it re-encodes to the same text.
    (STANDARD_NO_PAD.encode(&decoded).as_bytes() == s).then_some(decoded)
}

fn trimmed_start(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
    limit: usize,
}

impl<'a> Lines<'a> {
    /// The next LF-terminated line, without its LF. CR is never allowed.
    fn next_line(&mut self, total_len: u64) -> Result<&'a [u8], HeaderError> {
        let rest = &self.buf[self.pos..];
        let window = &rest[..rest.len().min(self.limit.saturating_sub(self.pos))];
        match window.iter().position(|b| *b == b'\n') {
            Some(n) => {
                let line = &window[..n];
                if line.contains(&b'\r') {
                    return Err(HeaderError::Malformed("carriage return in header"));
                }
                self.pos += n + 1;
                Ok(line)
            }
            None if self.pos + window.len() >= self.limit => {
                Err(HeaderError::TooLarge { limit: self.limit })
            }
            None if (self.buf.len() as u64) < total_len => {
                // The caller passed too short a prefix; treat as too large
                // rather than guess.
                Err(HeaderError::TooLarge { limit: self.limit })
            }
            None => Err(HeaderError::Truncated("inside the header")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_order_list_has_seven_distinct_points() {
        let set: std::collections::BTreeSet<_> = LOW_ORDER_POINTS.iter().collect();
        assert_eq!(set.len(), 7);
    }

    #[test]
    fn canonical_base64() {
        assert_eq!(decode_canonical(b"AA").as_deref(), Some(&[0u8][..]));
        assert_eq!(decode_canonical(b"AB"), None); // non-zero trailing bits
        assert_eq!(decode_canonical(b"AA=="), None); // padding
        assert_eq!(decode_canonical(b""), Some(vec![]));
    }

    #[test]
    fn error_codes_are_distinct() {
        let all = [
            HeaderError::NotAge,
            HeaderError::Armored,
            HeaderError::UnsupportedVersion,
            HeaderError::TooLarge { limit: 1 },
            HeaderError::TooManyStanzas { limit: 1 },
            HeaderError::ForbiddenStanza { tag: "x".into() },
            HeaderError::LowOrderShare,
            HeaderError::NoRecipients,
            HeaderError::Malformed("x"),
            HeaderError::Truncated("x"),
        ];
        let codes: std::collections::BTreeSet<_> = all.iter().map(HeaderError::code).collect();
        assert_eq!(codes.len(), all.len());
        // The one deliberate alias: mixing is answered as a forbidden stanza,
        // with its own message.
        assert_eq!(
            HeaderError::MixedRecipientKinds.code(),
            HeaderError::ForbiddenStanza { tag: "x".into() }.code()
        );
        assert_ne!(
            HeaderError::MixedRecipientKinds.to_string(),
            HeaderError::ForbiddenStanza { tag: "x".into() }.to_string()
        );
    }

    /// Unpadded base64 of `n` bytes of `byte`.
    fn b64(byte: u8, n: usize) -> String {
        STANDARD_NO_PAD.encode(vec![byte; n])
    }

    /// A body of `n` bytes, in 64-column lines ending in a short one.
    fn body_lines(n: usize) -> String {
        let encoded = b64(0x5a, n);
        let mut out = String::new();
        let mut rest = encoded.as_str();
        while rest.len() >= BODY_COLUMNS {
            out.push_str(&rest[..BODY_COLUMNS]);
            out.push('\n');
            rest = &rest[BODY_COLUMNS..];
        }
        out.push_str(rest);
        out.push('\n');
        out
    }

    fn hybrid_stanza() -> String {
        format!(
            "-> mlkem768x25519 {}\n{}",
            b64(0x42, MLKEM768X25519_ENC_BYTES),
            body_lines(WRAPPED_FILE_KEY_BYTES)
        )
    }

    /// The largest grease stanza the check admits, with age's longest first
    /// line (66 characters, as age-core's `grease_the_joint` documents).
    fn largest_grease() -> String {
        let line = format!("-> abcdefgh-grease {}", ["zzzzzzzzzzz"; 4].join(" "));
        assert_eq!(line.len(), 66);
        format!("{line}\n{}", body_lines(MAX_GREASE_BODY))
    }

    #[test]
    fn a_hybrid_stanza_is_1557_bytes() {
        let stanza = hybrid_stanza();
        assert_eq!(b64(0, MLKEM768X25519_ENC_BYTES).len(), 1494);
        assert_eq!(stanza.lines().next().unwrap().len() + 1, 1513);
        assert_eq!(stanza.len(), 1557);
    }

    #[test]
    fn forty_hybrid_recipients_and_the_largest_grease_fit_the_default_limit() {
        let mut header = String::from_utf8(VERSION_LINE.to_vec()).unwrap();
        for _ in 0..40 {
            header.push_str(&hybrid_stanza());
        }
        header.push_str(&largest_grease());
        header.push_str(&format!("--- {}\n", b64(7, 32)));
        assert_eq!(largest_grease().len(), 241);
        assert_eq!(header.len(), 22 + 40 * 1557 + 241 + 48);
        assert_eq!(header.len(), 62_591);
        assert!(header.len() <= HeaderLimits::default().max_header_bytes);
        assert_eq!(HeaderLimits::default().max_header_bytes, 65_536);
        let file = [header.as_bytes(), &[0; 32]].concat();
        assert_eq!(
            check_header(&file, file.len() as u64, &HeaderLimits::default()),
            Ok(HeaderSummary {
                header_len: 62_591,
                recipient_kind: RecipientStanzaKind::MlKem768X25519,
                recipient_stanzas: 40,
            })
        );
    }

    #[test]
    fn a_hybrid_share_of_low_order_is_refused() {
        let mut enc = vec![0x42; MLKEM768X25519_ENC_BYTES];
        enc[MLKEM768X25519_ENC_BYTES - 32..].copy_from_slice(&LOW_ORDER_POINTS[3]);
        let arg = STANDARD_NO_PAD.encode(&enc);
        assert_eq!(
            check_mlkem768x25519(&[arg.as_bytes()], &[0; 32]),
            Err(HeaderError::LowOrderShare)
        );
    }
}
