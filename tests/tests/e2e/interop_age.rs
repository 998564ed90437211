//! Our classic packets are standard age: Debian's `age` (the Go
//! implementation, 1.1, which has no post-quantum support) decrypts a packet
//! sealed by the protocol crate to a device's X25519 key, using the identity
//! that `referral export-identity --classic-only` prints. Post-quantum
//! packets are checked against TypeScript age (`interop_typescript_age`).

use std::process::Command;

use referral_e2e::{Device, debian_age};
use referral_protocol::{
    AgeIdentity, Attachment, AttachmentSource, ContentType, DeskId, DeviceId, PacketId,
    RecipientKey, SealRequest, Sender, SigningKey, ThreadId, envelope, padding, seal,
};

#[test]
fn debian_age_decrypts_our_packet_with_the_exported_identity() {
    let age_bin = debian_age();
    let desk = Device::new("correct horse battery staple");
    let who = desk.json(&["init", "--broker", "http://127.0.0.1:8080"]);
    let recipient: RecipientKey = who["classic_recipient"].as_str().unwrap().parse().unwrap();

    // A sender elsewhere seals a referral with an attachment to that device.
    let sender_key = SigningKey::generate().unwrap();
    let content = br#"{"schema":"referral.v1","case":{"summary":"interop canary 7f3a"}}"#;
    let attachment = b"%PDF-1.4 scanned voucher".repeat(100);
    let attachments = [Attachment {
        name: "scan.pdf".into(),
        media_type: "application/pdf".into(),
        source: AttachmentSource::Bytes(attachment.clone()),
    }];
    let mut packet = Vec::new();
    let sealed = seal(
        &SealRequest {
            packet_id: PacketId::random(),
            thread_id: ThreadId::random(),
            created_at: 1_700_000_000,
            sender: Sender {
                device: DeviceId::random(),
                desk: "covic-intake".parse::<DeskId>().unwrap(),
                key: &sender_key,
            },
            recipient_desk: "shinjuku-iea".parse().unwrap(),
            recipients: vec![recipient, AgeIdentity::generate_classic().recipient()],
            content_type: ContentType::referral_v1(),
            content,
            attachments: &attachments,
        },
        &mut packet,
    )
    .unwrap();
    assert!(padding::is_bucket(sealed.bytes));

    let work = tempfile::tempdir().unwrap();
    let packet_path = work.path().join("packet.age");
    std::fs::write(&packet_path, &packet).unwrap();
    let identity_path = work.path().join("identity.txt");
    let exported = desk
        .cmd()
        .args(["export-identity", "--classic-only"])
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    assert!(
        !exported.stderr.is_empty(),
        "export-identity must warn on stderr that it exposes the private key"
    );
    std::fs::write(&identity_path, &exported.stdout).unwrap();

    let out = Command::new(&age_bin)
        .arg("-d")
        .arg("-i")
        .arg(&identity_path)
        .arg(&packet_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "age -d failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain = out.stdout;

    // The plaintext is our envelope: magic, version, and the signed content
    // and attachment in the clear, followed by zero padding.
    assert_eq!(&plain[..4], &envelope::MAGIC);
    assert_eq!(plain[4], envelope::VERSION);
    let header_len = u32::from_be_bytes(plain[5..9].try_into().unwrap()) as usize;
    let body = envelope::PRELUDE_LEN + header_len + envelope::SIGNATURE_LEN;
    assert_eq!(&plain[body..body + content.len()], content);
    let att_start = body + content.len();
    assert_eq!(
        &plain[att_start..att_start + attachment.len()],
        attachment.as_slice()
    );
    assert!(
        plain[att_start + attachment.len()..]
            .iter()
            .all(|b| *b == 0)
    );
}

#[test]
fn debian_age_refuses_our_packet_with_another_identity() {
    let age_bin = debian_age();
    let stranger = Device::new("another passphrase");
    stranger.json(&["init", "--broker", "http://127.0.0.1:8080"]);
    let sender_key = SigningKey::generate().unwrap();
    let mut packet = Vec::new();
    seal(
        &SealRequest {
            packet_id: PacketId::random(),
            thread_id: ThreadId::random(),
            created_at: 1_700_000_000,
            sender: Sender {
                device: DeviceId::random(),
                desk: "covic-intake".parse().unwrap(),
                key: &sender_key,
            },
            recipient_desk: "shinjuku-iea".parse().unwrap(),
            recipients: vec![AgeIdentity::generate_classic().recipient()],
            content_type: ContentType::referral_v1(),
            content: b"{}",
            attachments: &[],
        },
        &mut packet,
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("p.age"), &packet).unwrap();
    let exported = stranger
        .cmd()
        .args(["export-identity", "--classic-only"])
        .output()
        .unwrap();
    assert!(exported.status.success());
    std::fs::write(work.path().join("id.txt"), &exported.stdout).unwrap();
    let out = Command::new(&age_bin)
        .args(["-d", "-i"])
        .arg(work.path().join("id.txt"))
        .arg(work.path().join("p.age"))
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "age must not decrypt a packet for someone else"
    );
}
