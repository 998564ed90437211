//! Our post-quantum packets are standard age (ADR 0020): TypeScript age (npm
//! `age-encryption`, an implementation by age's authors, independent of the
//! Rust crate) decrypts a packet the protocol crate sealed to a device's
//! hybrid key, with the identity `referral export-identity` prints; and our
//! reader decrypts a file TypeScript age made to that hybrid key. Go age 1.1
//! has no post-quantum keys: `interop_age` checks classic packets with it.

use referral_e2e::{Device, TypeScriptAge};
use referral_protocol::{
    AgeIdentity, ContentType, DeskId, DeviceId, PacketId, RecipientKey, RecipientKind, SealRequest,
    Sender, SigningKey, ThreadId, envelope, padding, seal,
};

#[test]
fn typescript_age_decrypts_our_hybrid_packet_with_the_exported_identity() {
    let ts_age = TypeScriptAge::new();
    let desk = Device::new("correct horse battery staple");
    let who = desk.json(&["init", "--broker", "http://127.0.0.1:8080"]);
    let recipient: RecipientKey = who["age_recipient"].as_str().unwrap().parse().unwrap();
    assert_eq!(recipient.kind(), RecipientKind::PostQuantum, "{who}");

    let sender_key = SigningKey::generate().unwrap();
    let content = br#"{"schema":"referral.v1","case":{"summary":"post-quantum canary 4b1d"}}"#;
    let mut packet = Vec::new();
    let sealed = seal(
        &SealRequest {
            packet_id: PacketId::random(),
            thread_id: ThreadId::random(),
            created_at: 1_767_225_600,
            sender: Sender {
                device: DeviceId::random(),
                desk: "covic-intake".parse::<DeskId>().unwrap(),
                key: &sender_key,
            },
            recipient_desk: "shinjuku-iea".parse().unwrap(),
            recipients: vec![recipient, AgeIdentity::generate_post_quantum().recipient()],
            content_type: ContentType::referral_v1(),
            content,
            attachments: &[],
        },
        &mut packet,
    )
    .unwrap();
    assert_eq!(sealed.kind, RecipientKind::PostQuantum);
    assert!(padding::is_bucket(sealed.bytes));

    let work = tempfile::tempdir().unwrap();
    let packet_path = work.path().join("packet.age");
    std::fs::write(&packet_path, &packet).unwrap();
    let identity_path = work.path().join("identity.txt");
    let exported = desk.cmd().arg("export-identity").output().unwrap();
    assert!(exported.status.success());
    std::fs::write(&identity_path, &exported.stdout).unwrap();

    let plain = ts_age
        .decrypt(&identity_path, &packet_path)
        .unwrap_or_else(|e| panic!("TypeScript age could not decrypt our packet: {e}"));
    // Our envelope v2: magic, version, then the content after the signed
    // header and the signature, then zero padding.
    assert_eq!(&plain[..4], &envelope::MAGIC);
    assert_eq!(plain[4], envelope::VERSION);
    let header_len = u32::from_be_bytes(plain[5..9].try_into().unwrap()) as usize;
    let body = envelope::PRELUDE_LEN + header_len + envelope::SIGNATURE_LEN;
    assert_eq!(&plain[body..body + content.len()], content);
    assert!(plain[body + content.len()..].iter().all(|b| *b == 0));

    // Another device's identity does not open it.
    let stranger = Device::new("another passphrase");
    stranger.json(&["init", "--broker", "http://127.0.0.1:8080"]);
    let theirs = work.path().join("stranger.txt");
    std::fs::write(
        &theirs,
        stranger
            .cmd()
            .arg("export-identity")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(ts_age.decrypt(&theirs, &packet_path).is_err());
}

#[test]
fn our_reader_decrypts_what_typescript_age_encrypts_to_our_hybrid_key() {
    let ts_age = TypeScriptAge::new();
    let desk = Device::new("correct horse battery staple");
    let who = desk.json(&["init", "--broker", "http://127.0.0.1:8080"]);
    let recipient = who["age_recipient"].as_str().unwrap();
    assert!(recipient.starts_with("age1pq1"), "{who}");

    let work = tempfile::tempdir().unwrap();
    let plain_path = work.path().join("plain.txt");
    let message = "made by TypeScript age for a hybrid key 9e07";
    std::fs::write(&plain_path, message).unwrap();
    let file = ts_age.encrypt(recipient, &plain_path);
    assert!(
        file.windows(18).any(|w| w == b"-> mlkem768x25519 "),
        "TypeScript age wrote a hybrid stanza"
    );

    let keys = desk.unlock();
    let identities: Vec<&dyn age::Identity> = keys
        .age_identities()
        .iter()
        .map(AgeIdentity::as_age)
        .collect();
    let (mut reader, index) = referral_protocol::decrypt(file.as_slice(), &identities).unwrap();
    assert_eq!(
        keys.age_identities()[index].kind(),
        RecipientKind::PostQuantum
    );
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut reader, &mut plain).unwrap();
    assert_eq!(plain, message);
}
