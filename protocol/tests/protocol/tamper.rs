//! Anything that is not exactly what the sender sealed, to exactly these
//! recipients, is refused: flipped bits, truncation, the wrong key,
//! forwarding, forged or mismatched signatures, bad padding, wrong hashes and
//! unknown versions. Hand-built envelopes come with a control that opens, so
//! each refusal is due to the one thing that was changed.

use crate::common;

use std::collections::BTreeMap;
use std::io::Read;

use common::*;
use referral_protocol::envelope::{self, EnvelopeError};
use referral_protocol::{
    AgeIdentity, ContentType, DeskId, KnownSenders, OpenError, PacketHeader, RecipientKey, Sender,
    decrypt,
};

/// A sender, one reader, and a directory listing the sender.
struct Fixture {
    sender: Device,
    reader: Vec<AgeIdentity>,
    dir: KnownSenders,
}

impl Fixture {
    fn new() -> Self {
        let sender = Device::new("shinjuku-iea");
        let dir = directory(&[&sender]);
        Self {
            sender,
            reader: identities(1),
            dir,
        }
    }

    fn recipients(&self) -> Vec<RecipientKey> {
        recipients_of(&self.reader)
    }

    fn open(&self, packet: &[u8]) -> Result<(), OpenError> {
        open_bytes(packet, &self.reader, &self.dir).map(|_| ())
    }

    /// A correctly signed envelope addressed to the reader.
    fn parts(&self, content: &[u8], attachments: &[Vec<u8>]) -> (PacketHeader, EnvelopeParts) {
        let header = header_for(&self.sender, &self.recipients(), content, attachments);
        let parts = EnvelopeParts::signed(&header, &self.sender.key, content, attachments);
        (header, parts)
    }

    /// Encrypts `parts` to the reader, padded to a bucket with zeros.
    fn build(&self, parts: &EnvelopeParts) -> Vec<u8> {
        age_encrypt_padded(&parts.to_plaintext(), &self.recipients(), |_| {})
    }
}

fn assert_err(r: Result<(), OpenError>, want: &str, what: &str) {
    match r {
        Ok(()) => panic!("{what}: opened, expected {want}"),
        Err(e) => assert_eq!(error_name(&e), want, "{what}: {e}"),
    }
}

#[test]
fn every_flipped_bit_is_refused() {
    let f = Fixture::new();
    // Two recipients, so the header holds a stanza the reader cannot unwrap
    // (covered only by the MAC), plus the grease stanza.
    let other = identities(1);
    let mut recipients = f.recipients();
    recipients.extend(recipients_of(&other));
    let atts = [attachment(
        "a.txt",
        "text/plain",
        b"attachment bytes".to_vec(),
    )];
    let (packet, sealed) = seal_simple(&f.sender, recipients, &small_referral(), &atts);
    assert_eq!(sealed.bytes, 4096);
    f.open(&packet)
        .expect("control: the untouched packet opens");
    let header_len = age_header_len(&packet);

    let mut outcomes: BTreeMap<(bool, String), usize> = BTreeMap::new();
    let mut tampered = packet.clone();
    for pos in 0..packet.len() {
        // Two different bits per byte: the low bit and one that rotates.
        for bit in [0u8, (pos % 7) as u8 + 1] {
            tampered[pos] ^= 1 << bit;
            match f.open(&tampered) {
                Ok(()) => panic!("bit {bit} of byte {pos} flipped and the packet still opened"),
                Err(OpenError::Io(e)) => {
                    panic!("byte {pos}: integrity failure reported as I/O: {e}")
                }
                Err(e) => {
                    *outcomes
                        .entry((pos < header_len, error_name(&e)))
                        .or_default() += 1
                }
            }
            tampered[pos] ^= 1 << bit;
        }
    }
    assert_eq!(tampered, packet);
    let total: usize = outcomes.values().sum();
    assert_eq!(total, 2 * packet.len());
    println!(
        "{} flips over {} bytes (age header {header_len} B), all refused:",
        total,
        packet.len()
    );
    for ((in_header, kind), n) in &outcomes {
        println!(
            "  {:<7} {kind}: {n}",
            if *in_header { "header" } else { "payload" }
        );
    }
    // A damaged payload can only fail its AEAD tag.
    for (in_header, kind) in outcomes.keys() {
        if !in_header {
            assert_eq!(kind, "Decrypt");
        }
    }
}

#[test]
fn wrong_key_is_no_matching_key() {
    let f = Fixture::new();
    let (packet, _) = seal_simple(&f.sender, f.recipients(), &small_referral(), &[]);
    let strangers = identities(3);
    let err = open_bytes(&packet, &strangers, &f.dir).unwrap_err();
    assert!(matches!(err, OpenError::NoMatchingKey), "{err}");
    assert!(!err.is_verification_failure());
    let err = open_bytes(&packet, &[], &f.dir).unwrap_err();
    assert!(
        matches!(err, OpenError::NoMatchingKey),
        "no identities at all: {err}"
    );
}

#[test]
fn surreptitious_forwarding_is_refused() {
    let f = Fixture::new();
    let b = &f.reader; // the legitimate recipient, turned forwarder
    let c = identities(1); // the third party
    let content = small_referral();
    let (packet, sealed) = seal_simple(&f.sender, f.recipients(), &content, &[]);

    // B decrypts with the age layer alone and keeps the whole plaintext,
    // signature and padding included.
    let b_ids: Vec<&dyn age::Identity> = b.iter().map(AgeIdentity::as_age).collect();
    let (mut reader, index) = decrypt(packet.as_slice(), &b_ids).unwrap();
    assert_eq!(index, 0);
    let mut plaintext = Vec::new();
    reader.read_to_end(&mut plaintext).unwrap();
    drop(reader);
    assert!(plaintext.starts_with(&envelope::MAGIC));

    let to_c = recipients_of(&c);
    let mut to_c_and_b = to_c.clone();
    to_c_and_b.extend(f.recipients());
    let forwarded = [
        ("re-encrypted as is", age_encrypt(&plaintext, &to_c)),
        (
            "re-encrypted and padded to a bucket",
            age_encrypt_padded(&plaintext, &to_c, |_| {}),
        ),
        (
            "unpadded plaintext re-encrypted and padded",
            age_encrypt_padded(
                &plaintext[..sealed.header.unpadded_len(sealed.header.encode().len()) as usize],
                &to_c,
                |_| {},
            ),
        ),
        (
            "re-encrypted to C and B",
            age_encrypt_padded(&plaintext, &to_c_and_b, |_| {}),
        ),
    ];
    for (how, file) in &forwarded {
        // C's age layer decrypts it: the plaintext really is the original.
        let c_ids: Vec<&dyn age::Identity> = c.iter().map(AgeIdentity::as_age).collect();
        let (mut r, _) = decrypt(file.as_slice(), &c_ids).unwrap();
        let mut seen = Vec::new();
        r.read_to_end(&mut seen).unwrap();
        assert!(seen.starts_with(&plaintext[..plaintext.len().min(seen.len())]));
        // But opening refuses it.
        let err = open_bytes(file, &c, &f.dir).unwrap_err();
        assert!(
            matches!(err, OpenError::RecipientSetMismatch),
            "{how}: {err}"
        );
    }
    // B, who was addressed, can still open the original.
    f.open(&packet).unwrap();
}

#[test]
fn header_signed_by_a_key_the_directory_does_not_list_is_unknown_sender() {
    let f = Fixture::new();
    let mallory = Device::new("mallory-desk");
    let content = small_referral();
    let claim = |device: &Device, desk: &DeskId, key_of: &Device| {
        let atts = [];
        let mut req = request(&f.sender, "covic-intake", f.recipients(), &content, &atts);
        req.sender = Sender {
            device: device.id,
            desk: desk.clone(),
            key: &key_of.key,
        };
        seal_to_vec(&req).0
    };
    // Mallory claims to be the sender's device, signing with her own key.
    let forged = claim(&f.sender, &f.sender.desk, &mallory);
    assert_err(
        f.open(&forged),
        "UnknownSender",
        "mallory's key, sender's device",
    );
    // Still refused when Mallory's device is listed: her key is not the sender's.
    let both = directory(&[&f.sender, &mallory]);
    let err = open_bytes(&forged, &f.reader, &both).unwrap_err();
    assert!(matches!(err, OpenError::UnknownSender { .. }), "{err}");
    // A listed device's real key, but the header claims another desk.
    let wrong_desk = claim(&f.sender, &desk_id("covic-intake"), &f.sender);
    assert_err(
        f.open(&wrong_desk),
        "UnknownSender",
        "sender's key, wrong desk",
    );
    // Control: the honest claim opens.
    let honest = claim(&f.sender, &f.sender.desk, &f.sender);
    f.open(&honest).expect("control");
    // And Mallory's honest packet opens only where she is listed.
    let hers = claim(&mallory, &mallory.desk, &mallory);
    assert_err(f.open(&hers), "UnknownSender", "mallory, unlisted");
    open_bytes(&hers, &f.reader, &both).expect("mallory, listed");
}

#[test]
fn listed_key_with_a_signature_by_another_key_is_bad_signature() {
    let f = Fixture::new();
    let mallory = Device::new("mallory-desk");
    let content = small_referral();
    let (header, good) = f.parts(&content, &[]);
    f.open(&f.build(&good))
        .expect("control: the hand-built envelope opens");

    // The header names the sender's listed key; Mallory signed it.
    let mut forged = good.clone();
    forged.signature = envelope::sign_header(&mallory.key, &forged.header);
    assert_err(
        f.open(&f.build(&forged)),
        "BadSignature",
        "signed by another key",
    );

    // The sender's real signature, but over a different header (replayed
    // from another packet).
    let mut other = header.clone();
    other.packet_id = referral_protocol::PacketId::random();
    let mut replayed = good.clone();
    replayed.header = other.encode();
    assert_err(
        f.open(&f.build(&replayed)),
        "BadSignature",
        "signature of another header",
    );

    // A header changed after signing: re-addressed to another desk.
    let mut readdressed_header = header.clone();
    readdressed_header.recipient_desk = desk_id("other-desk");
    let mut readdressed = good.clone();
    readdressed.header = readdressed_header.encode();
    assert_err(
        f.open(&f.build(&readdressed)),
        "BadSignature",
        "header changed after signing",
    );

    // One bit of the signature.
    let mut flipped = good.clone();
    flipped.signature[17] ^= 0x04;
    assert_err(
        f.open(&f.build(&flipped)),
        "BadSignature",
        "flipped signature bit",
    );

    // A signature without the domain prefix (over the bare header).
    let mut undomained = good.clone();
    undomained.signature = f.sender.key.sign(&undomained.header);
    assert_err(
        f.open(&f.build(&undomained)),
        "BadSignature",
        "signature without domain",
    );

    // Content type swapped after signing (a reply passed off as a referral).
    let mut retyped_header = header;
    retyped_header.content_type = ContentType::reply_v1();
    let mut retyped = good;
    retyped.header = retyped_header.encode();
    assert_err(
        f.open(&f.build(&retyped)),
        "BadSignature",
        "content type changed",
    );
}

#[test]
fn every_truncation_and_extension_is_refused() {
    let f = Fixture::new();
    let (packet, _) = seal_simple(&f.sender, f.recipients(), &small_referral(), &[]);
    for len in 0..packet.len() {
        let r = f.open(&packet[..len]);
        assert!(
            r.is_err(),
            "truncated to {len} of {} bytes and still opened",
            packet.len()
        );
        if let Err(OpenError::Io(e)) = r {
            panic!("truncation to {len} reported as I/O: {e}");
        }
    }
    for extra in [1usize, 16, 17, 4096] {
        let mut longer = packet.clone();
        longer.resize(packet.len() + extra, 0);
        assert!(
            f.open(&longer).is_err(),
            "{extra} zero bytes appended and still opened"
        );
    }
    f.open(&packet).expect("control");
}

#[test]
fn non_zero_padding_is_bad_padding() {
    let f = Fixture::new();
    let (_, parts) = f.parts(&small_referral(), &[]);
    let plaintext = parts.to_plaintext();
    let control = age_encrypt_padded(&plaintext, &f.recipients(), |pad| assert!(!pad.is_empty()));
    f.open(&control).expect("control: zero padding opens");
    for (where_, pick) in [("first", 0usize), ("middle", 1), ("last", 2)] {
        let packet = age_encrypt_padded(&plaintext, &f.recipients(), |pad| {
            let i = [0, pad.len() / 2, pad.len() - 1][pick];
            pad[i] = 0x01;
        });
        assert_err(
            f.open(&packet),
            "BadPadding",
            &format!("{where_} padding byte non-zero"),
        );
    }
    // All-0xff padding too.
    let packet = age_encrypt_padded(&plaintext, &f.recipients(), |pad| pad.fill(0xff));
    assert_err(f.open(&packet), "BadPadding", "0xff padding");
}

#[test]
fn a_packet_that_is_not_a_bucket_is_bad_padding() {
    let f = Fixture::new();
    let (_, parts) = f.parts(&small_referral(), &[]);
    let packet = age_encrypt(&parts.to_plaintext(), &f.recipients());
    assert!(!referral_protocol::padding::is_bucket(packet.len() as u64));
    assert_err(f.open(&packet), "BadPadding", "unpadded");
    // Zero-padded, but one byte short of the bucket, or one byte over.
    for (what, delta) in [
        ("one byte short of the bucket", -1i64),
        ("one byte over", 1),
    ] {
        let packet = age_encrypt_with(
            &parts.to_plaintext(),
            &f.recipients(),
            |h, u| (bucket_plaintext_len(h, u) as i64 + delta) as u64,
            |_| {},
        );
        assert!(!referral_protocol::padding::is_bucket(packet.len() as u64));
        assert_err(f.open(&packet), "BadPadding", what);
    }
    // Control: the same construction without the offset opens.
    let packet = age_encrypt_with(
        &parts.to_plaintext(),
        &f.recipients(),
        bucket_plaintext_len,
        |_| {},
    );
    f.open(&packet).expect("control");
}

#[test]
fn content_or_attachment_not_matching_its_signed_hash_is_refused() {
    let f = Fixture::new();
    let content = small_referral();
    let mut other = content.clone();
    other[10] ^= 0x20;
    // Correctly signed header whose hash is of other content of the same length.
    let header = header_for(&f.sender, &f.recipients(), &other, &[]);
    let parts = EnvelopeParts::signed(&header, &f.sender.key, &content, &[]);
    assert_err(
        f.open(&f.build(&parts)),
        "ContentHashMismatch",
        "content hash",
    );
    let control = EnvelopeParts::signed(&header, &f.sender.key, &other, &[]);
    f.open(&f.build(&control)).expect("control");

    let att = b"scanned passport page".to_vec();
    let mut att_other = att.clone();
    att_other[0] ^= 1;
    let header = header_for(&f.sender, &f.recipients(), &content, &[att_other.clone()]);
    let parts = EnvelopeParts::signed(&header, &f.sender.key, &content, &[att]);
    match f.open(&f.build(&parts)) {
        Err(OpenError::AttachmentHashMismatch { index: 0 }) => {}
        other => panic!("attachment hash: {other:?}"),
    }
    let control = EnvelopeParts::signed(&header, &f.sender.key, &content, &[att_other]);
    f.open(&f.build(&control)).expect("control");
}

#[test]
fn unsupported_version_and_bad_magic_are_refused() {
    let f = Fixture::new();
    let (_, parts) = f.parts(&small_referral(), &[]);
    for v in [0u8, 3, 0x7f, 0xff] {
        let mut p = parts.clone();
        p.version = v;
        match f.open(&f.build(&p)) {
            Err(OpenError::Envelope(EnvelopeError::UnsupportedVersion(got))) => assert_eq!(got, v),
            other => panic!("version {v}: {other:?}"),
        }
    }
    let mut p = parts.clone();
    p.magic = *b"RFPL";
    assert_err(f.open(&f.build(&p)), "Envelope(BadMagic)", "magic");
    f.open(&f.build(&parts)).expect("control");
}

#[test]
fn signed_but_non_canonical_header_is_malformed() {
    let f = Fixture::new();
    let (header, _) = f.parts(&small_referral(), &[]);
    // The sender signs a header with a trailing byte: the signature verifies
    // over what was received, but the header must still decode canonically.
    let mut encoded = header.encode();
    encoded.push(0);
    let parts = EnvelopeParts {
        magic: envelope::MAGIC,
        version: envelope::VERSION,
        signature: envelope::sign_header(&f.sender.key, &encoded),
        header: encoded,
        content: small_referral(),
        attachments: Vec::new(),
    };
    assert_err(
        f.open(&f.build(&parts)),
        "Envelope(Malformed)",
        "trailing header byte",
    );
    // Unsorted recipients, signed.
    let mut two = identities(1);
    two.extend(f.reader.iter().cloned());
    let mut h = header_for(&f.sender, &recipients_of(&two), &small_referral(), &[]);
    h.recipients.reverse();
    let encoded = h.encode();
    let parts = EnvelopeParts {
        magic: envelope::MAGIC,
        version: envelope::VERSION,
        signature: envelope::sign_header(&f.sender.key, &encoded),
        header: encoded,
        content: small_referral(),
        attachments: Vec::new(),
    };
    let packet = age_encrypt_padded(&parts.to_plaintext(), &recipients_of(&two), |_| {});
    assert_err(
        f.open(&packet),
        "Envelope(Malformed)",
        "unsorted recipients",
    );
}

#[test]
fn attachment_that_changes_while_sealing_is_refused() {
    // Every read of this file gives a fresh random UUID, so the bytes the
    // sealer hashes (and signs) differ from the bytes it would encrypt.
    let changing = std::path::PathBuf::from("/proc/sys/kernel/random/uuid");
    assert!(
        changing.exists(),
        "{} is needed for this test (Linux)",
        changing.display()
    );
    let f = Fixture::new();
    let atts = [referral_protocol::Attachment {
        name: "uuid.txt".into(),
        media_type: "text/plain".into(),
        source: referral_protocol::AttachmentSource::Path(changing),
    }];
    let content = small_referral();
    let req = request(&f.sender, "covic-intake", f.recipients(), &content, &atts);
    let mut out = Vec::new();
    match referral_protocol::seal(&req, &mut out) {
        Err(referral_protocol::SealError::AttachmentChanged { name }) => {
            assert_eq!(name, "uuid.txt")
        }
        other => panic!("expected AttachmentChanged, got {other:?}"),
    }
}
