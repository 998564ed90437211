//! The `header_check` target: the broker's key-less check of an uploaded
//! age file (`referral_protocol::header_check`), as the broker runs it.
//!
//! The input is a whole uploaded file. Each input is checked under the
//! broker's default limits and under tight ones, so the size and stanza
//! limits are reached by inputs far shorter than the default 64 KiB.
//!
//! What must hold:
//! - `check_header` (on the prefix the broker reads) and `header_len` (on
//!   the whole file) agree: same header length or same error, the only
//!   difference being the payload-length check;
//! - an accepted header really is what the policy allows, recounted here
//!   line by line: binary v1, recipient stanzas all of one kind, either
//!   X25519 with one 43-character share or mlkem768x25519 with one
//!   1,494-character encapsulated key, each with a 32-byte body (one
//!   43-character line), at most one grease stanza, within both limits, no
//!   CR, a canonical MAC line; the summary's kind and count are the recount's;
//! - age itself parses an accepted file, and unrelated keys (a classic and a
//!   hybrid one) find nothing in it (rather than a malformed stanza): the
//!   broker never stores a packet its readers' age would refuse;
//! - the limits are exact: the same header passes with limits equal to its
//!   size and stanza count and fails, with the matching error, one below;
//! - every cut of an accepted header is `Truncated`; its header alone has
//!   the same length;
//! - each refusal is consistent with the bytes (armor really is armor,
//!   `NotAge` really lacks the magic, a size error only on a long file);
//! - the broker's `check_upload`, on the file padded with zeros to a bucket,
//!   answers 422 with the header check's code.

use std::sync::OnceLock;

use referral_broker::intake::{IntakeLimits, check_upload};
use referral_protocol::header_check::header_len;
use referral_protocol::padding::bucket_for;
use referral_protocol::{
    HeaderError, HeaderLimits, HeaderSummary, RecipientStanzaKind, check_header,
};

use crate::fixtures;

const VERSION_LINE: &[u8] = b"age-encryption.org/v1\n";
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
/// 32 bytes in unpadded base64.
const B64_32: usize = 43;
/// 1,120 bytes (a hybrid stanza's encapsulated key) in unpadded base64.
const B64_1120: usize = 1494;
/// Decrypting tries one X25519 agreement (or one hybrid decapsulation) per
/// stanza and key (about 50 µs each, more for hybrid);
/// past this many stanzas the age cross-check is skipped to keep the
/// fuzzer fast. The grammar checks still run.
const AGE_CROSS_CHECK_STANZAS: usize = 8;

/// A hybrid key no packet is ever encrypted to: decrypting with it makes age
/// parse and decapsulate every `mlkem768x25519` stanza, as a reader would.
fn hybrid_stranger() -> &'static age::pq::Identity {
    static ID: OnceLock<age::pq::Identity> = OnceLock::new();
    ID.get_or_init(age::pq::Identity::generate)
}

/// The `header_check` target's body.
pub fn header_check(data: &[u8]) {
    let tight = HeaderLimits {
        max_header_bytes: 700,
        max_stanzas: 3,
    };
    for limits in [HeaderLimits::default(), tight] {
        check_with(data, &limits);
    }
    upload(data);
}

fn check_with(data: &[u8], limits: &HeaderLimits) {
    // What the broker's intake passes: the first `prefix_len` bytes and the
    // length of the whole upload.
    let intake = IntakeLimits {
        max_packet_bytes: u64::MAX,
        header: *limits,
    };
    let prefix = &data[..data.len().min(intake.prefix_len())];
    let total = data.len() as u64;
    let checked = check_header(prefix, total, limits);

    match header_len(data, limits) {
        Ok(n) if n as u64 + 32 <= total => {
            let summary = checked.unwrap_or_else(|e| {
                panic!("header_len accepts a {n}-byte header that check_header refuses: {e:?}")
            });
            assert_eq!(summary.header_len, n);
            accepted(data, &summary, limits);
        }
        Ok(n) => assert!(
            matches!(checked, Err(HeaderError::Truncated(_))),
            "a {n}-byte header with {} bytes after it: {checked:?}",
            total - n as u64
        ),
        Err(e) => {
            assert_eq!(
                checked.as_ref().err(),
                Some(&e),
                "check_header and header_len differ"
            );
            refused(data, &e, limits);
        }
    }
}

fn accepted(data: &[u8], summary: &HeaderSummary, limits: &HeaderLimits) {
    let n = summary.header_len;
    assert!(n <= limits.max_header_bytes, "{n}-byte header accepted");
    let header = &data[..n];
    assert!(
        header.starts_with(VERSION_LINE),
        "accepted without the v1 line"
    );
    assert!(header.ends_with(b"\n"));
    assert!(!header.contains(&b'\r'), "accepted a CR");

    // Recount, independently of the checker's own parser.
    let lines: Vec<&[u8]> = header[..n - 1].split(|b| *b == b'\n').collect();
    let (mac, stanza_lines) = lines[1..].split_last().expect("at least the MAC line");
    let mac = mac
        .strip_prefix(b"--- ")
        .expect("the last line is the MAC line");
    assert!(
        mac.len() == B64_32 && mac.iter().all(is_b64),
        "MAC line {mac:?}"
    );
    let mut kinds = Vec::new();
    let mut grease = 0;
    for (i, line) in stanza_lines.iter().enumerate() {
        if let Some(args) = line.strip_prefix(b"-> ") {
            let args: Vec<&[u8]> = args.split(|b| *b == b' ').collect();
            assert!(
                args.iter()
                    .all(|a| !a.is_empty() && a.iter().all(|b| (33..=126).contains(b))),
                "stanza arguments {args:?}"
            );
            let kind = match args[0] {
                b"X25519" => Some((RecipientStanzaKind::X25519, B64_32)),
                b"mlkem768x25519" => Some((RecipientStanzaKind::MlKem768X25519, B64_1120)),
                _ => None,
            };
            if let Some((kind, arg_chars)) = kind {
                assert_eq!(
                    args.len(),
                    2,
                    "{kind:?} stanza with {} arguments",
                    args.len() - 1
                );
                assert_eq!(
                    args[1].len(),
                    arg_chars,
                    "{kind:?} argument of {} chars",
                    args[1].len()
                );
                let body = stanza_lines.get(i + 1).copied().unwrap_or_default();
                assert_eq!(
                    body.len(),
                    B64_32,
                    "{kind:?} body line of {} chars",
                    body.len()
                );
                kinds.push(kind);
            } else {
                assert!(
                    args[0].ends_with(b"-grease"),
                    "stanza {:?} accepted",
                    args[0]
                );
                grease += 1;
            }
        } else {
            assert!(
                line.len() <= 64 && line.iter().all(is_b64),
                "body line {line:?}"
            );
        }
    }
    assert_eq!(kinds.len(), summary.recipient_stanzas);
    assert!(!kinds.is_empty(), "accepted without a recipient");
    assert!(
        kinds.iter().all(|k| *k == summary.recipient_kind),
        "accepted {kinds:?} as {:?}",
        summary.recipient_kind
    );
    assert!(grease <= 1, "accepted {grease} grease stanzas");
    let stanzas = kinds.len() + grease;
    assert!(stanzas <= limits.max_stanzas, "{stanzas} stanzas accepted");

    // age agrees that this is an age file for recipients of that kind.
    match age::Decryptor::new_buffered(data) {
        Ok(decryptor) if stanzas <= AGE_CROSS_CHECK_STANZAS => {
            let strangers: [&dyn age::Identity; 2] = [fixtures::stranger(), hybrid_stranger()];
            match decryptor.decrypt(strangers.into_iter()) {
                Err(age::DecryptError::NoMatchingKeys) => {}
                Err(e) => panic!("age finds fault with an accepted header: {e:?}"),
                Ok(_) => panic!("an unrelated key decrypted a fuzzed header"),
            }
        }
        Ok(_) => {}
        Err(e) => panic!("age cannot parse an accepted header: {e:?}"),
    }

    // The limits are exact.
    let at = |max_header_bytes, max_stanzas| {
        header_len(
            data,
            &HeaderLimits {
                max_header_bytes,
                max_stanzas,
            },
        )
    };
    assert_eq!(at(n, limits.max_stanzas), Ok(n));
    assert_eq!(
        at(n - 1, limits.max_stanzas),
        Err(HeaderError::TooLarge { limit: n - 1 })
    );
    assert_eq!(at(limits.max_header_bytes, stanzas), Ok(n));
    assert_eq!(
        at(limits.max_header_bytes, stanzas - 1),
        Err(HeaderError::TooManyStanzas { limit: stanzas - 1 })
    );

    // The header alone, and every cut of it.
    assert_eq!(header_len(header, limits), Ok(n));
    let mut cuts: Vec<usize> = vec![0, 1, n / 2, n - 1];
    cuts.extend(
        header
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .filter(|end| *end < n),
    );
    for cut in cuts {
        let result = header_len(&header[..cut], limits);
        assert!(
            matches!(result, Err(HeaderError::Truncated(_))),
            "header cut at {cut} of {n}: {result:?}"
        );
    }
    // And the payload: 32 bytes after the header are required, and enough.
    let with_payload = |extra: usize| {
        let file = &data[..n + extra];
        check_header(file, file.len() as u64, limits)
    };
    assert!(matches!(with_payload(31), Err(HeaderError::Truncated(_))));
    assert_eq!(with_payload(32).map(|s| s.header_len), Ok(n));
}

fn refused(data: &[u8], error: &HeaderError, limits: &HeaderLimits) {
    let code = error.code();
    assert!(!code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    let armored = data.starts_with(ARMOR_BEGIN) || data.trim_ascii_start().starts_with(ARMOR_BEGIN);
    assert_eq!(
        matches!(error, HeaderError::Armored),
        armored,
        "armor verdict {error:?}"
    );
    match error {
        HeaderError::NotAge => assert!(!data.starts_with(b"age-encryption.org/")),
        HeaderError::UnsupportedVersion => {
            assert!(data.starts_with(b"age-encryption.org/") && !data.starts_with(VERSION_LINE));
        }
        HeaderError::TooLarge { limit } => {
            assert_eq!(*limit, limits.max_header_bytes);
            // Only a file that reaches the limit can be too large: a short
            // one must be reported as truncated instead.
            assert!(data.len() >= *limit, "{}-byte file too large", data.len());
        }
        HeaderError::TooManyStanzas { limit } => {
            assert_eq!(*limit, limits.max_stanzas);
            let seen = &data[..data.len().min(limits.max_header_bytes)];
            let stanzas = seen.windows(4).filter(|w| *w == b"\n-> ").count();
            assert!(stanzas > *limit, "{stanzas} stanzas reported as too many");
        }
        HeaderError::ForbiddenStanza { tag } => {
            assert!(tag.chars().count() <= 32);
            assert!(tag.bytes().all(|b| (33..=126).contains(&b)), "tag {tag:?}");
            assert_ne!(tag, "X25519");
            assert_ne!(tag, "mlkem768x25519");
            let line = [b"\n-> ".as_slice(), tag.as_bytes()].concat();
            assert!(data.windows(line.len()).any(|w| w == line));
        }
        HeaderError::Truncated(_) => {
            // The checker saw the whole file and it ended inside the header
            // (a short payload is the `Ok(n)` case above, not this one).
            assert!(data.len() < limits.max_header_bytes);
        }
        HeaderError::MixedRecipientKinds => {
            let has = |tag: &[u8]| {
                let line = [b"\n-> ", tag, b" "].concat();
                data.windows(line.len()).any(|w| w == line)
            };
            assert!(has(b"X25519") && has(b"mlkem768x25519"), "mixing verdict");
        }
        HeaderError::Armored
        | HeaderError::LowOrderShare
        | HeaderError::NoRecipients
        | HeaderError::Malformed(_) => {}
    }
}

/// The broker's own intake check on the same bytes, as a bucket-sized
/// upload: the input followed by zeros.
fn upload(data: &[u8]) {
    let limits = IntakeLimits::default();
    let total = bucket_for(data.len() as u64);
    let mut file = data.to_vec();
    file.resize(file.len().max(limits.prefix_len()).min(total as usize), 0);
    let expected = check_header(&file, total, &limits.header);
    match (check_upload(&file, total, &limits), expected) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(api), Err(header)) => {
            assert_eq!(api.status(), 422);
            assert_eq!(api.code(), header.refusal_code());
        }
        (api, header) => panic!("intake said {api:?}, the header check {header:?}"),
    }
}

fn is_b64(b: &u8) -> bool {
    b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/'
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use referral_protocol::header_check::header_layout;

    use super::*;

    fn encrypt_to<'a>(recipients: impl Iterator<Item = &'a dyn age::Recipient>) -> Vec<u8> {
        let mut file = Vec::new();
        let mut writer = age::Encryptor::with_recipients(recipients)
            .unwrap()
            .wrap_output(&mut file)
            .unwrap();
        writer.write_all(b"fuzz seed").unwrap();
        writer.finish().unwrap();
        file
    }

    fn hybrid_file(n: usize) -> Vec<u8> {
        let recipients: Vec<_> = (0..n)
            .map(|_| age::pq::Identity::generate().to_public())
            .collect();
        encrypt_to(recipients.iter().map(|r| r as &dyn age::Recipient))
    }

    #[allow(deprecated)] // age 0.13 deprecates X25519; the mixed header needs a classic stanza.
    fn classic_file() -> Vec<u8> {
        let recipient = age::x25519::Identity::generate().to_public();
        encrypt_to(std::iter::once(&recipient as &dyn age::Recipient))
    }

    /// The first stanza of `file` whose line starts with `prefix`.
    fn stanza(file: &[u8], prefix: &[u8]) -> std::ops::Range<usize> {
        let layout = header_layout(file, &HeaderLimits::default()).unwrap();
        layout
            .stanzas
            .into_iter()
            .find(|r| file[r.clone()].starts_with(prefix))
            .unwrap()
    }

    #[test]
    fn real_hybrid_files_keep_every_invariant() {
        // Within and past the age cross-check's stanza count.
        for n in [1, 3, AGE_CROSS_CHECK_STANZAS + 1] {
            let file = hybrid_file(n);
            let summary = check_header(&file, file.len() as u64, &HeaderLimits::default());
            assert_eq!(summary.map(|s| s.recipient_stanzas), Ok(n));
            header_check(&file);
        }
    }

    #[test]
    fn a_mixed_header_keeps_every_invariant() {
        let hybrid = hybrid_file(2);
        let classic = classic_file();
        let at = stanza(&hybrid, b"-> mlkem768x25519 ");
        let x25519 = &classic[stanza(&classic, b"-> X25519 ")];
        let mixed = [&hybrid[..at.start], x25519, &hybrid[at.end..]].concat();
        assert_eq!(
            check_header(&mixed, mixed.len() as u64, &HeaderLimits::default()),
            Err(HeaderError::MixedRecipientKinds)
        );
        header_check(&mixed);
    }
}
