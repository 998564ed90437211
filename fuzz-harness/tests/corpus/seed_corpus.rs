//! Writes the seed corpus into `fuzz/corpus/<target>/seed-*`. Ignored: it
//! runs only when asked, because sealing is randomised (age's file key and
//! grease) and rerunning rewrites the sealed seeds:
//!
//! ```text
//! cargo test -p referral-fuzz-harness --test corpus seed_corpus:: -- --ignored
//! ```
//!
//! The seeds are small and meaningful: real packets sealed with the
//! protocol crate to the harness's fixture keys, age's own test vectors
//! (C2SP CCTV, 0BSD) for the header check, every API body in a valid and a
//! few invalid forms, and sizes at the bucket and chunk boundaries. Each
//! seed is also run through its target here, so a seed that fails is never
//! written.

use std::io::Read;
use std::path::{Path, PathBuf};

use referral_fuzz_harness::padding::SEAL;
use referral_fuzz_harness::{TARGETS, api, fixtures};
use referral_protocol::envelope::{PRELUDE_LEN, SIGNATURE_LEN};
use referral_protocol::{
    Attachment, AttachmentSource, ContentType, SealRequest, Sealed, Sender, decrypt, seal,
};
use serde_json::json;

/// The CCTV age vectors, vendored in `testdata/` (see its README).
const CCTV: &str = "../testdata/cctv-age";

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// Checks `data` against its target, then writes it as `seed-<name>`.
fn write(target: &str, name: &str, data: &[u8]) {
    let (_, run) = TARGETS.iter().find(|(n, _)| *n == target).expect("target");
    run(data);
    let dir = corpus(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    std::fs::write(dir.join(format!("seed-{name}")), data).expect("seed written");
}

struct Packet {
    ciphertext: Vec<u8>,
    sealed: Sealed,
}

fn seal_packet(content: &[u8], extra_recipients: usize, attachments: &[Attachment]) -> Packet {
    let mut recipients = vec![fixtures::recipient()];
    recipients.extend(
        fixtures::other_identities()[..extra_recipients]
            .iter()
            .map(referral_protocol::AgeIdentity::recipient),
    );
    let request = SealRequest {
        packet_id: "6d1f3c2b-9a8e-4f70-b1c2-d3e4f5061728".parse().expect("id"),
        thread_id: "0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3".parse().expect("id"),
        created_at: 1_763_000_000,
        sender: Sender {
            device: fixtures::sender_device(),
            desk: fixtures::sender_desk(),
            key: fixtures::signing_key(),
        },
        recipient_desk: fixtures::recipient_desk(),
        recipients,
        content_type: ContentType::referral_v1(),
        content,
        attachments,
    };
    let mut ciphertext = Vec::new();
    let sealed = seal(&request, &mut ciphertext).expect("seals");
    Packet { ciphertext, sealed }
}

/// The plaintext of a packet, without its zero padding (the envelope
/// target pads again, and short seeds mutate faster).
fn unpadded_plaintext(packet: &Packet) -> Vec<u8> {
    let identity: &dyn age::Identity = fixtures::identity().as_age();
    let (mut reader, _) = decrypt(packet.ciphertext.as_slice(), &[identity]).expect("decrypts");
    let mut plain = Vec::new();
    reader.read_to_end(&mut plain).expect("reads");
    let encoded = packet.sealed.header.encode();
    plain.truncate(packet.sealed.header.unpadded_len(encoded.len()) as usize);
    plain
}

fn referral_json() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schema": "referral.v1",
        "person": {"name": "Fuzz Seed", "contact": {"phone": "+81 3 0000 0000"}},
        "needs": ["housing", "interpretation"],
        "notes": "Synthetic seed for the fuzz corpus; no real person."
    }))
    .expect("json")
}

#[test]
#[ignore = "rewrites fuzz/corpus/*/seed-*; run on purpose"]
fn regenerate_seed_corpus() {
    let referral = referral_json();
    let scan = Attachment {
        name: "scan.pdf".to_owned(),
        media_type: "application/pdf".to_owned(),
        source: AttachmentSource::Bytes(b"%PDF-1.7 synthetic seed".to_vec()),
    };
    let packets = [
        ("one-recipient", seal_packet(&referral, 0, &[])),
        ("three-recipients", seal_packet(&referral, 2, &[])),
        ("attachment", seal_packet(&referral, 1, &[scan])),
        ("empty-content", seal_packet(b"", 0, &[])),
    ];

    header_check_seeds(&packets);
    envelope_seeds(&packets);
    padding_seeds();
    api_json_seeds();
}

fn header_check_seeds(packets: &[(&str, Packet)]) {
    for (name, packet) in packets {
        write(
            "header_check",
            &format!("sealed-{name}"),
            &packet.ciphertext,
        );
    }
    // age's own vectors: the file follows the first blank line. Those for
    // X25519 files, for the header grammar, and one of each other kind.
    let cctv = Path::new(env!("CARGO_MANIFEST_DIR")).join(CCTV);
    let wanted = |name: &str| {
        name.starts_with("x25519")
            || name.starts_with("stanza_")
            || name.starts_with("hmac_")
            || [
                "header_crlf",
                "version_unsupported",
                "empty",
                "scrypt",
                "scrypt_and_x25519",
                "armor_x25519",
                "hybrid",
                "stream_no_nonce",
                "stream_short_nonce",
                "stream_empty_payload",
            ]
            .contains(&name)
    };
    let mut found = 0;
    for entry in std::fs::read_dir(&cctv).expect("the CCTV vectors in testdata/cctv-age") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if !wanted(&name) {
            continue;
        }
        let vector = std::fs::read(&path).expect("vector");
        let Some(split) = vector.windows(2).position(|w| w == b"\n\n") else {
            continue;
        };
        let headers = String::from_utf8_lossy(&vector[..split]);
        if headers.lines().any(|l| l.starts_with("compressed:")) {
            continue;
        }
        write(
            "header_check",
            &format!("cctv-{name}"),
            &vector[split + 2..],
        );
        found += 1;
    }
    assert!(
        found > 30,
        "only {found} CCTV vectors found in {}",
        cctv.display()
    );
}

fn envelope_seeds(packets: &[(&str, Packet)]) {
    for (name, packet) in packets {
        let plain = unpadded_plaintext(packet);
        write("envelope", &format!("plaintext-{name}"), &plain);
        // The header alone: the decoder's direct route.
        write(
            "envelope",
            &format!("header-{name}"),
            &packet.sealed.header.encode(),
        );
    }
    let (_, packet) = &packets[0];
    let plain = unpadded_plaintext(packet);
    let header_len = packet.sealed.header.encode().len();
    let body = PRELUDE_LEN + header_len + SIGNATURE_LEN;
    // The opener's refusals, one of each.
    let mut bad_magic = plain.clone();
    bad_magic[0] = b'X';
    write("envelope", "bad-magic", &bad_magic);
    let mut bad_version = plain.clone();
    bad_version[4] = 2;
    write("envelope", "bad-version", &bad_version);
    let mut oversized = plain.clone();
    oversized[5..9].copy_from_slice(&u32::MAX.to_be_bytes());
    write("envelope", "header-too-long", &oversized);
    let mut wrong_content = plain.clone();
    wrong_content[body] ^= 1;
    write("envelope", "content-hash", &wrong_content);
    let mut short = plain.clone();
    short.truncate(body + 3);
    write("envelope", "content-short", &short);
    let mut dirty_padding = plain.clone();
    dirty_padding.extend_from_slice(&[0, 0, 1]);
    write("envelope", "padding-not-zero", &dirty_padding);
}

fn padding_seeds() {
    // [shift, n (8, LE), q (8, LE), h (2, LE), flags, content length (3, LE), fill…]
    let layout = |n: u64, q: u64, h: u16, flags: u8, content: u32| {
        let mut v = vec![0u8];
        v.extend_from_slice(&n.to_le_bytes());
        v.extend_from_slice(&q.to_le_bytes());
        v.extend_from_slice(&h.to_le_bytes());
        v.push(flags);
        v.extend_from_slice(&content.to_le_bytes()[..3]);
        v.extend_from_slice(b"seed");
        v
    };
    let chunk = 64 * 1024;
    let seeds: [(&str, Vec<u8>); 12] = [
        ("zero", layout(0, 0, 0, 0, 0)),
        ("min-bucket", layout(4096, 4096, 300, 0, 0)),
        ("just-past-min", layout(4097, 4097, 300, 0, 0)),
        ("one-mebibyte", layout(1 << 20, 1 << 20, 300, 0, 0)),
        (
            "first-padme",
            layout((1 << 20) + 1, (1 << 20) + 1, 300, 0, 0),
        ),
        (
            "chunk-gap",
            layout(1 << 21, 16 + chunk + 16 + 1, 16_000, 0, 0),
        ),
        ("large", layout(1 << 40, 1 << 40, 16_384, 0, 0)),
        ("seal-small", layout(5000, 100, 300, SEAL, 500)),
        (
            "seal-3-recipients",
            layout(5000, 100, 300, SEAL | 0x20, 3_000),
        ),
        (
            "seal-attachment",
            layout(5000, 100, 300, SEAL | 0x40, 2_000),
        ),
        (
            "seal-one-chunk",
            layout(5000, 100, 300, SEAL, (chunk - 400) as u32),
        ),
        (
            "seal-two-chunks",
            layout(5000, 100, 300, SEAL | 0x10, (chunk + 100) as u32),
        ),
    ];
    for (name, data) in seeds {
        write("padding", name, &data);
    }
}

fn api_json_seeds() {
    let device = fixtures::SENDER_DEVICE;
    let key = fixtures::signing_key().verifying_key().to_string();
    let recipient = fixtures::recipient().to_string();
    let signature = format!("{}==", "A".repeat(86));
    let fingerprint = "ab".repeat(32);
    let id = "6d1f3c2b-9a8e-4f70-b1c2-d3e4f5061728";
    let hour = "2025-11-13T02:00:00Z";
    let valid = [
        json!({"device_id": device}),
        json!({"device_id": device, "challenge": "c2VlZA==", "signature": signature}),
        json!({"code": "ABCD-EFGH", "device_id": device, "age_recipient": recipient,
               "genesis": "Z2VuZXNpcw=="}),
        json!({"entry": "ZW50cnk=", "request_id": id}),
        json!({"desk": "fuzz-recipient", "role": "caseworker", "ttl_hours": 72}),
        json!({"code": "ABCD-EFGH"}),
        json!({"code": "ABCD-EFGH", "device_id": device, "signing_key": key,
               "age_recipient": recipient, "device_signature": signature}),
        json!({"signing_key": key, "age_recipient": recipient,
               "old_key_signature": signature, "new_key_signature": signature}),
        json!({"challenge": "c2VlZA==", "expires_at": 1_763_000_000}),
        json!({"token": "e30.e30.sig", "expires_at": 1_763_000_000}),
        json!({"packet_id": id, "thread_id": id, "recipient_desk": "fuzz-recipient",
               "bytes": 8192, "delivery": "pending", "received_hour": hour}),
        json!({"packets": [{"packet_id": id, "thread_id": id, "from_desk": "fuzz-sender",
               "kind": "referral", "bytes": 4096, "status": "pending", "received_hour": hour}]}),
        json!({"packet_id": id, "delivery": "acknowledged"}),
        json!({"thread_id": id, "status": "open", "sender_desk": "fuzz-sender",
               "recipient_desk": "fuzz-recipient", "events": [{"status": "open", "at": hour}]}),
        json!({"device_id": device, "desk": null, "role": "admin", "signing_key": key,
               "age_recipient": recipient, "state": "active"}),
        json!({"error": "invalid_json", "message": "missing field `code`"}),
        json!({"root_fingerprint": fingerprint}),
        json!({"entries": ["ZW50cnk="], "head_seq": 0}),
        json!({"seq": 1, "hash": fingerprint}),
        json!({"code": "ABCD-EFGH", "desk": "fuzz-recipient", "role": "desk",
               "expires_at": hour}),
        json!({"desk": "fuzz-recipient", "role": "desk", "expires_at": hour}),
        json!({"request_id": id, "fingerprint": fingerprint}),
        pending(id, device, &key, &recipient, &signature, &fingerprint, hour),
        json!({"requests": [pending(id, device, &key, &recipient, &signature, &fingerprint, hour)]}),
        json!({"kid": "k1", "public_key": key}),
        json!({"rows": [{"desk": "fuzz-recipient", "status": "open", "week": "2025-W46",
               "threads": 3}], "packets_pending": 1, "packets_acknowledged": 2,
               "packets_expired": 0}),
    ];
    assert_eq!(valid.len(), api::ROUTES.len());
    for (index, body) in valid.iter().enumerate() {
        let slug = slug(api::ROUTES[index].0);
        let with = |bytes: &[u8]| [&[api::selector(index)][..], bytes].concat();
        write(
            "api_json",
            &format!("{slug}-valid"),
            &with(&serde_json::to_vec(body).expect("json")),
        );
        if index >= 8 {
            continue;
        }
        // Requests: the ways a body is refused.
        let mut unknown = body.clone();
        unknown["extra"] = json!(true);
        write(
            "api_json",
            &format!("{slug}-unknown-field"),
            &with(&serde_json::to_vec(&unknown).expect("json")),
        );
        let text = serde_json::to_string(body).expect("json");
        write(
            "api_json",
            &format!("{slug}-truncated"),
            &with(&text.as_bytes()[..text.len() / 2]),
        );
        write(
            "api_json",
            &format!("{slug}-uppercase"),
            &with(text.to_uppercase().as_bytes()),
        );
        write("api_json", &format!("{slug}-empty-object"), &with(b"{}"));
    }
}

fn pending(
    id: &str,
    device: &str,
    key: &str,
    recipient: &str,
    signature: &str,
    fingerprint: &str,
    hour: &str,
) -> serde_json::Value {
    json!({"request_id": id, "kind": "enrollment", "device_id": device,
           "desk": "fuzz-recipient", "role": "caseworker", "signing_key": key,
           "age_recipient": recipient, "device_signature": signature,
           "old_key_signature": null, "new_key_signature": null,
           "fingerprint": fingerprint, "created_hour": hour})
}

fn slug(route: &str) -> String {
    route
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

#[test]
fn slugs_are_distinct() {
    let slugs: std::collections::BTreeSet<String> =
        api::ROUTES.iter().map(|(route, _)| slug(route)).collect();
    assert_eq!(slugs.len(), api::ROUTES.len());
}
