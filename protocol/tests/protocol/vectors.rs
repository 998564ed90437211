//! Checked-in packet vectors (`tests/vectors/`), in the style of the CCTV age
//! vectors: a text header of `key: value` lines, an empty line, then the
//! binary packet. `tests/vectors/` holds envelope v2 (ADR 0020), written by
//! this generator; `tests/vectors/v1/` holds the envelope v1 vectors as the
//! first release wrote them, kept byte for byte so that packets sealed
//! before v2 are proven to still open.
//!
//! | key | meaning |
//! |---|---|
//! | `expect` | `success`, or the `OpenError` variant open must return (`Envelope(…)` for envelope errors) |
//! | `identity` | an age identity to open with; one `open` per line, each alone, each must give `expect` |
//! | `sender_device`, `sender_desk`, `sender_key` | the one entry of the verified directory (key in base64) |
//! | `content_sha256` | SHA-256 of the content (`success` only) |
//! | `attachment_sha256` | SHA-256 of each attachment, in order (`success` only) |
//! | `comment` | free text |
//!
//! The identities are throwaway test keys. To rewrite the files:
//! `REFERRAL_REGENERATE_VECTORS=1 cargo test -p referral-protocol --test protocol vectors::generated`
//! (the filter keeps the checking test from reading the directory mid-write).

use crate::common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use common::*;
use referral_protocol::envelope;
use referral_protocol::{
    AgeIdentity, DeskId, DeviceId, KnownSenders, Sender, VerifyingKey, padding,
};

const REQUIRED: &[&str] = &[
    "ok_referral_small",
    "ok_post_quantum",
    "ok_with_attachments",
    "ok_two_recipients",
    "fail_no_matching_key",
    "fail_bad_signature",
    "fail_unknown_sender",
    "fail_recipient_set_mismatch",
    "fail_truncated",
    "fail_flipped_payload",
    "fail_bad_padding",
    "fail_content_hash",
    "fail_unsupported_version",
];

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// The envelope v1 vectors, never regenerated.
fn v1_vectors_dir() -> PathBuf {
    vectors_dir().join("v1")
}

#[derive(Debug, Clone, Default)]
struct Vector {
    name: String,
    expect: String,
    identities: Vec<String>,
    sender_device: String,
    sender_desk: String,
    sender_key: String,
    content_sha256: Option<String>,
    attachment_sha256: Vec<String>,
    comments: Vec<String>,
    packet: Vec<u8>,
}

impl Vector {
    fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::new();
        writeln!(s, "expect: {}", self.expect).unwrap();
        for id in &self.identities {
            writeln!(s, "identity: {id}").unwrap();
        }
        writeln!(s, "sender_device: {}", self.sender_device).unwrap();
        writeln!(s, "sender_desk: {}", self.sender_desk).unwrap();
        writeln!(s, "sender_key: {}", self.sender_key).unwrap();
        if let Some(h) = &self.content_sha256 {
            writeln!(s, "content_sha256: {h}").unwrap();
        }
        for h in &self.attachment_sha256 {
            writeln!(s, "attachment_sha256: {h}").unwrap();
        }
        for c in &self.comments {
            writeln!(s, "comment: {c}").unwrap();
        }
        s.push('\n');
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.packet);
        out
    }

    fn parse(name: &str, bytes: &[u8]) -> Self {
        let split = bytes
            .windows(2)
            .position(|w| w == b"\n\n")
            .unwrap_or_else(|| panic!("{name}: no empty line after the text header"));
        let text = std::str::from_utf8(&bytes[..split + 1])
            .unwrap_or_else(|_| panic!("{name}: text header is not UTF-8"));
        let mut v = Vector {
            name: name.to_owned(),
            packet: bytes[split + 2..].to_vec(),
            ..Default::default()
        };
        for line in text.lines() {
            let (key, value) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("{name}: not a `key: value` line: {line:?}"));
            let value = value.to_owned();
            match key {
                "expect" => v.expect = value,
                "identity" => v.identities.push(value),
                "sender_device" => v.sender_device = value,
                "sender_desk" => v.sender_desk = value,
                "sender_key" => v.sender_key = value,
                "content_sha256" => v.content_sha256 = Some(value),
                "attachment_sha256" => v.attachment_sha256.push(value),
                "comment" => v.comments.push(value),
                other => panic!("{name}: unknown header key {other:?}"),
            }
        }
        assert!(!v.expect.is_empty(), "{name}: no expect line");
        assert!(!v.identities.is_empty(), "{name}: no identity line");
        v
    }

    /// Opens the packet with each identity and checks the result is exactly
    /// `expect`.
    fn check(&self) {
        let name = &self.name;
        let success = self.expect == "success";
        assert_eq!(
            name.starts_with("ok_"),
            success,
            "{name}: ok_ vectors succeed, fail_ vectors fail"
        );
        assert!(
            name.starts_with("ok_") || name.starts_with("fail_"),
            "{name}: bad file name"
        );
        let device: DeviceId = self.sender_device.parse().unwrap();
        let desk: DeskId = self.sender_desk.parse().unwrap();
        let key: VerifyingKey = self.sender_key.parse().unwrap();
        let mut dir = KnownSenders::new();
        dir.add(device, desk.clone(), key);
        for id_text in &self.identities {
            let id: AgeIdentity = id_text
                .parse()
                .unwrap_or_else(|e| panic!("{name}: bad identity: {e}"));
            let result = open_bytes(&self.packet, std::slice::from_ref(&id), &dir);
            assert_eq!(
                outcome_name(&result),
                self.expect,
                "{name}: {:?}",
                result.as_ref().err()
            );
            if let Ok((opened, files)) = result {
                let want = self
                    .content_sha256
                    .as_ref()
                    .expect("success vectors give content_sha256");
                assert_eq!(
                    &hex::encode(envelope::sha256(&opened.content)),
                    want,
                    "{name}: content"
                );
                let got: Vec<String> = files
                    .files
                    .iter()
                    .map(|f| hex::encode(envelope::sha256(f)))
                    .collect();
                assert_eq!(got, self.attachment_sha256, "{name}: attachments");
                assert_eq!(opened.header.sender_device, device);
                assert_eq!(opened.header.sender_desk, desk);
                assert_eq!(opened.header.sender_key, key);
                assert!(padding::is_bucket(opened.ciphertext_bytes));
            }
        }
    }
}

fn secret(id: &AgeIdentity) -> String {
    id.to_secret_string().expose_secret().to_owned()
}

/// Builds every vector from fresh keys.
fn generate() -> Vec<Vector> {
    let sender = Device::new("shinjuku-iea");
    let mallory = Device::new("mallory-desk");
    let readers = identities(2);
    let third = identities(1);
    let r1 = recipients_of(&readers[..1]);
    let content = small_referral();
    let base =
        |name: &str, expect: &str, ids: &[AgeIdentity], packet: Vec<u8>, comment: &str| Vector {
            name: name.into(),
            expect: expect.into(),
            identities: ids.iter().map(secret).collect(),
            sender_device: sender.id.to_string(),
            sender_desk: sender.desk.to_string(),
            sender_key: sender.key.verifying_key().to_string(),
            comments: vec![comment.into()],
            packet,
            ..Default::default()
        };
    let ok = |mut v: Vector, content: &[u8], atts: &[Vec<u8>]| {
        v.content_sha256 = Some(hex::encode(envelope::sha256(content)));
        v.attachment_sha256 = atts
            .iter()
            .map(|a| hex::encode(envelope::sha256(a)))
            .collect();
        v
    };
    let encrypt = |parts: &EnvelopeParts| age_encrypt_padded(&parts.to_plaintext(), &r1, |_| {});
    let mut out = Vec::new();

    // --- successes
    let hybrid_readers = hybrid_identities(2);
    let (hybrid, _) = seal_simple(&sender, recipients_of(&hybrid_readers), &content, &[]);
    out.push(ok(
        base(
            "ok_post_quantum",
            "success",
            &hybrid_readers,
            hybrid,
            "a small referral to two hybrid (ML-KEM-768 + X25519) recipients; each identity opens it alone",
        ),
        &content,
        &[],
    ));

    let (small, _) = seal_simple(&sender, r1.clone(), &content, &[]);
    out.push(ok(
        base(
            "ok_referral_small",
            "success",
            &readers[..1],
            small.clone(),
            "a small referral, one recipient, no attachments",
        ),
        &content,
        &[],
    ));

    let att_bytes = vec![
        b"consent given by phone, 2026-01-01".to_vec(),
        (0..3000u32).map(|i| (i * 7 % 251) as u8).collect(),
    ];
    let atts = [
        attachment("consent.txt", "text/plain", att_bytes[0].clone()),
        attachment("photo.jpg", "image/jpeg", att_bytes[1].clone()),
    ];
    let (with_atts, _) = seal_simple(&sender, r1.clone(), &content, &atts);
    out.push(ok(
        base(
            "ok_with_attachments",
            "success",
            &readers[..1],
            with_atts,
            "content and two attachments",
        ),
        &content,
        &att_bytes,
    ));

    let (two, _) = seal_simple(&sender, recipients_of(&readers), &content, &[]);
    out.push(ok(
        base(
            "ok_two_recipients",
            "success",
            &readers,
            two,
            "two recipients; each identity opens it alone",
        ),
        &content,
        &[],
    ));

    // --- failures
    let (to_r1, _) = seal_simple(&sender, r1.clone(), &content, &[]);
    out.push(base(
        "fail_no_matching_key",
        "NoMatchingKey",
        &readers[1..],
        to_r1,
        "sealed to another key",
    ));

    let header = header_for(&sender, &r1, &content, &[]);
    let mut forged = EnvelopeParts::signed(&header, &sender.key, &content, &[]);
    forged.signature = envelope::sign_header(&mallory.key, &forged.header);
    out.push(base(
        "fail_bad_signature",
        "BadSignature",
        &readers[..1],
        encrypt(&forged),
        "header names the sender's listed key but was signed by another key",
    ));

    let mut req = request(&sender, "covic-intake", r1.clone(), &content, &[]);
    req.sender = Sender {
        device: sender.id,
        desk: sender.desk.clone(),
        key: &mallory.key,
    };
    let (unknown, _) = seal_to_vec(&req);
    out.push(base(
        "fail_unknown_sender",
        "UnknownSender",
        &readers[..1],
        unknown,
        "claims the sender's device but carries and is signed by a key the directory does not list",
    ));

    let plaintext = {
        use std::io::Read;
        let ids: Vec<&dyn age::Identity> = vec![readers[0].as_age()];
        let (mut r, _) = referral_protocol::decrypt(small.as_slice(), &ids).unwrap();
        let mut p = Vec::new();
        r.read_to_end(&mut p).unwrap();
        p
    };
    out.push(base(
        "fail_recipient_set_mismatch",
        "RecipientSetMismatch",
        &third,
        age_encrypt_padded(&plaintext, &recipients_of(&third), |_| {}),
        "ok_referral_small's plaintext, decrypted by its recipient and re-encrypted (padded) to a third party",
    ));

    let mut truncated = small.clone();
    truncated.truncate(small.len() - 1000);
    out.push(base(
        "fail_truncated",
        "Decrypt",
        &readers[..1],
        truncated,
        "ok_referral_small without its last 1000 bytes",
    ));

    let mut flipped = small.clone();
    let mid = (age_header_len(&small) + small.len()) / 2;
    flipped[mid] ^= 0x01;
    out.push(base(
        "fail_flipped_payload",
        "Decrypt",
        &readers[..1],
        flipped,
        "ok_referral_small with one payload bit flipped",
    ));

    let good = EnvelopeParts::signed(&header, &sender.key, &content, &[]);
    out.push(base(
        "fail_bad_padding",
        "BadPadding",
        &readers[..1],
        age_encrypt_padded(&good.to_plaintext(), &r1, |pad| {
            let mid = pad.len() / 2;
            pad[mid] = 0x80;
        }),
        "correctly signed; one padding byte is not zero",
    ));

    out.push(base(
        "fail_not_a_bucket",
        "BadPadding",
        &readers[..1],
        age_encrypt(&good.to_plaintext(), &r1),
        "correctly signed, not padded: the size is not a published bucket",
    ));

    let mut other = content.clone();
    other[0] = b' ';
    let lying = header_for(&sender, &r1, &other, &[]);
    out.push(base(
        "fail_content_hash",
        "ContentHashMismatch",
        &readers[..1],
        encrypt(&EnvelopeParts::signed(&lying, &sender.key, &content, &[])),
        "correctly signed header whose content hash is of other content",
    ));

    let att = b"scan".to_vec();
    let lying = header_for(&sender, &r1, &content, &[b"scam".to_vec()]);
    out.push(base(
        "fail_attachment_hash",
        "AttachmentHashMismatch",
        &readers[..1],
        encrypt(&EnvelopeParts::signed(
            &lying,
            &sender.key,
            &content,
            &[att],
        )),
        "correctly signed header whose attachment hash is of other bytes",
    ));

    let mut v3 = good.clone();
    v3.version = 3;
    out.push(base(
        "fail_unsupported_version",
        "Envelope(UnsupportedVersion)",
        &readers[..1],
        encrypt(&v3),
        "envelope version byte 3",
    ));

    let mut magic = good;
    magic.magic = *b"RFPX";
    out.push(base(
        "fail_bad_magic",
        "Envelope(BadMagic)",
        &readers[..1],
        encrypt(&magic),
        "envelope magic RFPX",
    ));
    out
}

#[test]
fn generated_vectors_have_their_expected_outcomes_and_regenerate_on_request() {
    let vectors = generate();
    let names: BTreeSet<&str> = vectors.iter().map(|v| v.name.as_str()).collect();
    for required in REQUIRED {
        assert!(names.contains(required), "generator lacks {required}");
    }
    for v in &vectors {
        // Through the file format, so writing and reading agree.
        Vector::parse(&v.name, &v.to_bytes()).check();
    }
    if std::env::var("REFERRAL_REGENERATE_VECTORS").as_deref() == Ok("1") {
        let dir = vectors_dir();
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("ok_") || name.starts_with("fail_") {
                std::fs::remove_file(&path).unwrap();
            }
        }
        for v in &vectors {
            std::fs::write(dir.join(&v.name), v.to_bytes()).unwrap();
        }
        println!("wrote {} vectors to {}", vectors.len(), dir.display());
    }
}

#[test]
fn envelope_v1_vectors_still_open_exactly_as_expected() {
    let dir = v1_vectors_dir();
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let v = Vector::parse(&name, &std::fs::read(&path).unwrap());
        v.check();
        names.insert(name);
    }
    assert!(
        names.contains("ok_referral_small") && names.contains("ok_with_attachments"),
        "the v1 successes are missing from {}",
        dir.display()
    );
}

#[test]
fn checked_in_vectors_open_exactly_as_expected() {
    let dir = vectors_dir();
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') || path.is_dir() {
            continue;
        }
        let v = Vector::parse(&name, &std::fs::read(&path).unwrap());
        v.check();
        names.insert(name);
    }
    println!("{} vectors checked: {names:?}", names.len());
    assert!(
        names.iter().any(|n| n.starts_with("ok_")),
        "no ok_ vectors in {}",
        dir.display()
    );
    for required in REQUIRED {
        assert!(
            names.contains(*required),
            "vector {required} missing from {}",
            dir.display()
        );
    }
}
