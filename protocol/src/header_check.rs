//! The broker's key-less check of an uploaded packet's age header.
//!
//! The broker cannot decrypt, but it can refuse anything that is not a
//! well-formed binary age v1 file addressed only to X25519 recipients, before
//! a byte is stored. This parses the header exactly as age's grammar says
//! (age-encryption.org/v1) and enforces this deployment's policy on top:
//!
//! - binary only (no ASCII armor): sizes must be the padded bucket sizes;
//! - at most `max_header_bytes` (16 KiB) and `max_stanzas` (256) stanzas;
//! - every stanza is `X25519` with one canonical base64 argument of 32 bytes
//!   that is not a low-order point and a body of exactly 32 bytes, except at
//!   most one `*-grease` stanza (age adds one to every file it writes);
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
const X25519_STANZA_PREFIX: &[u8] = b"-> X25519 ";
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
            max_header_bytes: 16 * 1024,
            max_stanzas: 256,
        }
    }
}

/// What a header that passed the check contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSummary {
    /// Bytes from the version line through the MAC line's newline.
    pub header_len: usize,
    /// Number of X25519 recipient stanzas.
    pub x25519_stanzas: usize,
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
    #[error("stanza type {tag:?} is not accepted: packets are encrypted to X25519 recipients only")]
    ForbiddenStanza {
        /// The stanza's tag (printable ASCII by construction, at most 32 characters).
        tag: String,
    },
    /// A share that would make the shared secret all zeros.
    #[error("an X25519 stanza carries a low-order share")]
    LowOrderShare,
    /// No X25519 stanza at all.
    #[error("the age header has no X25519 recipient")]
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
            Self::LowOrderShare => RefusalCode::LowOrderShare,
            Self::NoRecipients => RefusalCode::NoRecipients,
            Self::Malformed(_) => RefusalCode::MalformedAgeHeader,
            Self::Truncated(_) => RefusalCode::TruncatedAgeFile,
        }
    }

    /// A stable machine-readable code, used in the broker's JSON errors
    /// (the wire word of [`HeaderError::refusal_code`]).
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
    /// The stanza at `index`, as an X25519 stanza or not.
    pub fn is_x25519(&self, header: &[u8], index: usize) -> bool {
        self.stanzas
            .get(index)
            .is_some_and(|r| header[r.clone()].starts_with(X25519_STANZA_PREFIX))
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
    let mut x25519 = 0usize;
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
        if tag == b"X25519" {
            check_x25519(&args[1..], &body)?;
            x25519 += 1;
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
    if x25519 == 0 {
        return Err(HeaderError::NoRecipients);
    }
    Ok(HeaderSummary {
        header_len: lines.pos,
        x25519_stanzas: x25519,
    })
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
    let mut share: [u8; 32] = share
        .try_into()
        .map_err(|_| HeaderError::Malformed("X25519 share is not 32 bytes"))?;
    share[31] &= 0x7f;
    if LOW_ORDER_POINTS.contains(&share) {
        return Err(HeaderError::LowOrderShare);
    }
    if body.len() != 32 {
        return Err(HeaderError::Malformed("X25519 stanza body is not 32 bytes"));
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
    }
}
