//! The signed header's encoding is canonical: every valid header encodes and
//! decodes to itself, decoding arbitrary bytes never panics, and nothing but
//! the exact encoding (no extra byte, no missing byte) decodes.

use std::sync::OnceLock;

use proptest::prelude::*;
use referral_protocol::envelope::{self, MAX_CONTENT_LEN, PacketHeader};
use referral_protocol::{
    AgeIdentity, AttachmentMeta, ContentType, DeskId, DeviceId, PacketId, RecipientDigest,
    ThreadId, VerifyingKey,
};

/// Digests of real recipients of both kinds: an envelope v2 lists digests,
/// so the kind does not show in the header.
fn recipient_pool() -> &'static [RecipientDigest] {
    static POOL: OnceLock<Vec<RecipientDigest>> = OnceLock::new();
    POOL.get_or_init(|| {
        (0..24)
            .map(|i| {
                let id = if i % 2 == 0 {
                    AgeIdentity::generate_classic()
                } else {
                    AgeIdentity::generate_post_quantum()
                };
                id.recipient().digest()
            })
            .collect()
    })
}

/// 16 random bytes made into a version-4, RFC 4122 UUID.
fn uuid_bytes() -> impl Strategy<Value = [u8; 16]> {
    any::<[u8; 16]>().prop_map(|b| *uuid::Builder::from_random_bytes(b).as_uuid().as_bytes())
}

fn desk() -> impl Strategy<Value = DeskId> {
    "[a-z][a-z0-9]{1,7}(-[a-z0-9]{1,6}){0,5}".prop_map(|s| s.parse().expect("desk strategy"))
}

fn content_type() -> impl Strategy<Value = ContentType> {
    "[a-z0-9._-]{1,32}".prop_map(|s| s.parse().expect("content type strategy"))
}

fn attachment_meta() -> impl Strategy<Value = AttachmentMeta> {
    (
        // Any printable text but path separators; then the crate's own rule.
        "[^/\\\\\\p{Cc}]{1,60}".prop_filter("a plain file name", |n| {
            envelope::check_attachment_name(n).is_ok()
        }),
        "[a-z]{1,12}/[a-z0-9.+-]{1,24}",
        any::<u64>(),
        any::<[u8; 32]>(),
    )
        .prop_map(|(name, media_type, bytes, sha256)| AttachmentMeta {
            name,
            media_type,
            bytes,
            sha256,
        })
}

fn header() -> impl Strategy<Value = PacketHeader> {
    (
        (uuid_bytes(), uuid_bytes(), any::<i64>(), uuid_bytes()),
        (desk(), any::<[u8; 32]>(), desk(), content_type()),
        (0..=MAX_CONTENT_LEN, any::<[u8; 32]>()),
        proptest::collection::vec(attachment_meta(), 0..5),
        proptest::sample::subsequence(recipient_pool().to_vec(), 1..=8),
    )
        .prop_map(
            |(
                (packet, thread, created_at, device),
                (sender_desk, key, recipient_desk, content_type),
                (content_len, content_sha256),
                attachments,
                mut recipients,
            )| {
                recipients.sort();
                PacketHeader {
                    packet_id: PacketId::from_bytes(packet).unwrap(),
                    thread_id: ThreadId::from_bytes(thread).unwrap(),
                    created_at,
                    sender_device: DeviceId::from_bytes(device).unwrap(),
                    sender_desk,
                    sender_key: VerifyingKey(key),
                    recipient_desk,
                    content_type,
                    content_len,
                    content_sha256,
                    attachments,
                    recipients,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn encode_then_decode_is_identity(h in header()) {
        prop_assert!(h.validate().is_ok());
        let bytes = h.encode();
        let back = PacketHeader::decode(envelope::VERSION, &bytes).unwrap();
        prop_assert_eq!(&back, &h);
        prop_assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn any_appended_byte_is_refused(h in header(), extra in proptest::collection::vec(any::<u8>(), 1..8)) {
        let mut bytes = h.encode();
        bytes.extend_from_slice(&extra);
        prop_assert!(PacketHeader::decode(envelope::VERSION, &bytes).is_err());
    }

    #[test]
    fn every_strict_prefix_is_refused(h in header()) {
        let bytes = h.encode();
        for len in 0..bytes.len() {
            prop_assert!(PacketHeader::decode(envelope::VERSION, &bytes[..len]).is_err(), "prefix of {} bytes decoded", len);
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        // Whatever it returns, it returns; and what decodes re-encodes to itself.
        if let Ok(h) = PacketHeader::decode(envelope::VERSION, &bytes) {
            prop_assert_eq!(h.encode(), bytes);
        }
    }

    /// Random bytes rarely get past the first fields; mutating a valid
    /// encoding reaches every field. Anything that still decodes must be
    /// canonical: one header, one encoding.
    #[test]
    fn decoding_mutated_headers_never_panics_and_is_canonical(
        h in header(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut bytes = h.encode();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        if let Ok(d) = PacketHeader::decode(envelope::VERSION, &bytes) {
            prop_assert!(d.validate().is_ok());
            prop_assert_eq!(d.encode(), bytes);
        }
    }
}

#[test]
fn decode_refuses_what_validate_refuses() {
    let pool = recipient_pool();
    let base = PacketHeader {
        packet_id: PacketId::random(),
        thread_id: ThreadId::random(),
        created_at: 0,
        sender_device: DeviceId::random(),
        sender_desk: "shinjuku-iea".parse().unwrap(),
        sender_key: VerifyingKey([7; 32]),
        recipient_desk: "covic-intake".parse().unwrap(),
        content_type: ContentType::referral_v1(),
        content_len: 0,
        content_sha256: [0; 32],
        attachments: Vec::new(),
        recipients: {
            let mut r = pool[..2].to_vec();
            r.sort();
            r
        },
    };
    assert!(PacketHeader::decode(envelope::VERSION, &base.encode()).is_ok());
    let bad: Vec<(&str, PacketHeader)> = vec![
        ("unsorted recipients", {
            let mut h = base.clone();
            h.recipients.reverse();
            h
        }),
        ("repeated recipient", {
            let mut h = base.clone();
            h.recipients = vec![pool[0], pool[0]];
            h
        }),
        ("no recipients", {
            let mut h = base.clone();
            h.recipients.clear();
            h
        }),
        ("content too long", {
            let mut h = base.clone();
            h.content_len = MAX_CONTENT_LEN + 1;
            h
        }),
        ("path as attachment name", {
            let mut h = base.clone();
            h.attachments.push(AttachmentMeta {
                name: "../etc/passwd".into(),
                media_type: "text/plain".into(),
                bytes: 1,
                sha256: [0; 32],
            });
            h
        }),
        ("media type without subtype", {
            let mut h = base.clone();
            h.attachments.push(AttachmentMeta {
                name: "a.txt".into(),
                media_type: "text".into(),
                bytes: 1,
                sha256: [0; 32],
            });
            h
        }),
    ];
    for (what, h) in bad {
        assert!(h.validate().is_err(), "{what}: validate");
        assert!(
            PacketHeader::decode(envelope::VERSION, &h.encode()).is_err(),
            "{what}: decode"
        );
    }
}
