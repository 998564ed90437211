//! Shared helpers for the protocol integration tests: devices (sender id,
//! desk and signing key, plus an age identity), sealing and opening, and
//! hand-built envelopes encrypted with age directly (for forgeries the sealer
//! refuses to make).

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::OnceLock;

use referral_protocol::envelope::{self, EnvelopeError, PacketHeader};
use referral_protocol::padding;
use referral_protocol::{
    AgeIdentity, Attachment, AttachmentMeta, AttachmentSource, ContentType, DeskId, DeviceId,
    KnownSenders, MemoryAttachments, OpenError, Opened, PacketId, RecipientKey, SealRequest,
    Sealed, Sender, SenderDirectory, SigningKey, ThreadId, open, seal,
};
use ring::rand::{SecureRandom, SystemRandom};

/// The `created_at` every helper-made packet carries.
pub const CREATED_AT: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// An enrolled device: what it signs with and what it decrypts with.
pub struct Device {
    pub id: DeviceId,
    pub desk: DeskId,
    pub key: SigningKey,
    pub identity: AgeIdentity,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.id)
            .field("desk", &self.desk)
            .field("key", &self.key)
            .field("recipient", &self.recipient())
            .finish()
    }
}

impl Device {
    /// A fresh device of `desk` with a classic (X25519) age key: the size
    /// arithmetic of most tests is per X25519 stanza.
    pub fn new(desk: &str) -> Self {
        Self {
            id: DeviceId::random(),
            desk: desk_id(desk),
            key: SigningKey::generate().expect("system RNG"),
            identity: AgeIdentity::generate_classic(),
        }
    }

    /// The device as a signer.
    pub fn sender(&self) -> Sender<'_> {
        Sender {
            device: self.id,
            desk: self.desk.clone(),
            key: &self.key,
        }
    }

    /// The device's age recipient.
    pub fn recipient(&self) -> RecipientKey {
        self.identity.recipient()
    }
}

/// Parses a desk id (panics on a bad literal).
pub fn desk_id(s: &str) -> DeskId {
    s.parse().expect("valid desk id literal")
}

/// `n` fresh classic (X25519) age identities.
pub fn identities(n: usize) -> Vec<AgeIdentity> {
    (0..n).map(|_| AgeIdentity::generate_classic()).collect()
}

/// `n` fresh hybrid age identities.
pub fn hybrid_identities(n: usize) -> Vec<AgeIdentity> {
    (0..n)
        .map(|_| AgeIdentity::generate_post_quantum())
        .collect()
}

/// The recipients of `ids`.
pub fn recipients_of(ids: &[AgeIdentity]) -> Vec<RecipientKey> {
    ids.iter().map(AgeIdentity::recipient).collect()
}

/// A directory that lists exactly these devices' current keys.
pub fn directory(devices: &[&Device]) -> KnownSenders {
    let mut d = KnownSenders::new();
    for dev in devices {
        d.add(dev.id, dev.desk.clone(), dev.key.verifying_key());
    }
    d
}

/// Referral-like JSON content of exactly `len` bytes (deterministic).
pub fn content_of_len(len: usize) -> Vec<u8> {
    let head = br#"{"schema":"referral.v1","note":""#;
    let tail = br#""}"#;
    if len < head.len() + tail.len() {
        return vec![b' '; len];
    }
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(head);
    let filler = b"lorem ipsum dolor sit amet ";
    while out.len() < len - tail.len() {
        out.push(filler[out.len() % filler.len()]);
    }
    out.extend_from_slice(tail);
    assert_eq!(out.len(), len);
    out
}

/// A small referral.
pub fn small_referral() -> Vec<u8> {
    br#"{"schema":"referral.v1","language":"tl","needs":["interpreter","shelter"],"note":"call back after 18:00"}"#
        .to_vec()
}

/// `len` random bytes.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    SystemRandom::new().fill(&mut v).expect("system RNG");
    v
}

/// A shared 4 MiB random buffer to slice attachments from (made once).
pub fn random_pool() -> &'static [u8] {
    static POOL: OnceLock<Vec<u8>> = OnceLock::new();
    POOL.get_or_init(|| random_bytes(4 << 20))
}

/// An in-memory attachment.
pub fn attachment(name: &str, media_type: &str, bytes: Vec<u8>) -> Attachment {
    Attachment {
        name: name.to_owned(),
        media_type: media_type.to_owned(),
        source: AttachmentSource::Bytes(bytes),
    }
}

/// A seal request from `sender` to `recipient_desk` with fresh ids.
pub fn request<'a>(
    sender: &'a Device,
    recipient_desk: &str,
    recipients: Vec<RecipientKey>,
    content: &'a [u8],
    attachments: &'a [Attachment],
) -> SealRequest<'a> {
    SealRequest {
        packet_id: PacketId::random(),
        thread_id: ThreadId::random(),
        created_at: CREATED_AT,
        sender: sender.sender(),
        recipient_desk: desk_id(recipient_desk),
        recipients,
        content_type: ContentType::referral_v1(),
        content,
        attachments,
    }
}

/// Seals into memory; checks the reported size against the bytes written.
pub fn seal_to_vec(req: &SealRequest<'_>) -> (Vec<u8>, Sealed) {
    let mut out = Vec::new();
    let sealed = seal(req, &mut out).expect("seal");
    assert_eq!(
        sealed.bytes,
        out.len() as u64,
        "Sealed.bytes must equal the bytes written"
    );
    (out, sealed)
}

/// Seals `content` and `attachments` from `sender` to `recipients`.
pub fn seal_simple(
    sender: &Device,
    recipients: Vec<RecipientKey>,
    content: &[u8],
    attachments: &[Attachment],
) -> (Vec<u8>, Sealed) {
    seal_to_vec(&request(
        sender,
        "covic-intake",
        recipients,
        content,
        attachments,
    ))
}

/// Opens from memory, keeping attachments in memory.
pub fn open_bytes(
    packet: &[u8],
    ids: &[AgeIdentity],
    senders: &dyn SenderDirectory,
) -> Result<(Opened, MemoryAttachments), OpenError> {
    let mut sink = MemoryAttachments::default();
    let opened = open(packet, ids, senders, &mut sink)?;
    assert!(
        sink.committed,
        "a successful open must commit its attachments"
    );
    Ok((opened, sink))
}

/// A stable name for an error variant (what the vector files use).
pub fn error_name(e: &OpenError) -> String {
    match e {
        OpenError::NoMatchingKey => "NoMatchingKey".into(),
        OpenError::Decrypt(_) => "Decrypt".into(),
        OpenError::Envelope(EnvelopeError::BadMagic) => "Envelope(BadMagic)".into(),
        OpenError::Envelope(EnvelopeError::UnsupportedVersion(_)) => {
            "Envelope(UnsupportedVersion)".into()
        }
        OpenError::Envelope(EnvelopeError::Malformed(_)) => "Envelope(Malformed)".into(),
        OpenError::UnknownSender { .. } => "UnknownSender".into(),
        OpenError::RetiredSenderKey { .. } => "RetiredSenderKey".into(),
        OpenError::BadSignature => "BadSignature".into(),
        OpenError::Downgrade { .. } => "Downgrade".into(),
        OpenError::PostQuantumRequired { .. } => "PostQuantumRequired".into(),
        OpenError::RecipientSetMismatch => "RecipientSetMismatch".into(),
        OpenError::ContentHashMismatch => "ContentHashMismatch".into(),
        OpenError::AttachmentHashMismatch { .. } => "AttachmentHashMismatch".into(),
        OpenError::BadPadding(_) => "BadPadding".into(),
        OpenError::Io(_) => "Io".into(),
    }
}

/// The name of an open result: `success` or the error variant.
pub fn outcome_name<T>(r: &Result<T, OpenError>) -> String {
    match r {
        Ok(_) => "success".into(),
        Err(e) => error_name(e),
    }
}

// ---------------------------------------------------------------------------
// Hand-built envelopes.

/// The signed header `seal` would make for these inputs (attachments given as
/// their bytes, named `att-N.bin`).
pub fn header_for(
    sender_device: &Device,
    recipients: &[RecipientKey],
    content: &[u8],
    attachments: &[Vec<u8>],
) -> PacketHeader {
    PacketHeader {
        packet_id: PacketId::random(),
        thread_id: ThreadId::random(),
        created_at: CREATED_AT,
        sender_device: sender_device.id,
        sender_desk: sender_device.desk.clone(),
        sender_key: sender_device.key.verifying_key(),
        recipient_desk: desk_id("covic-intake"),
        content_type: ContentType::referral_v1(),
        content_len: content.len() as u32,
        content_sha256: envelope::sha256(content),
        attachments: attachments
            .iter()
            .enumerate()
            .map(|(i, a)| AttachmentMeta {
                name: format!("att-{i}.bin"),
                media_type: "application/octet-stream".into(),
                bytes: a.len() as u64,
                sha256: envelope::sha256(a),
            })
            .collect(),
        recipients: PacketHeader::recipient_list(recipients),
    }
}

/// The parts of a plaintext envelope, before padding. Fields are public so a
/// test can corrupt exactly one of them.
#[derive(Debug, Clone)]
pub struct EnvelopeParts {
    pub magic: [u8; 4],
    pub version: u8,
    pub header: Vec<u8>,
    pub signature: [u8; 64],
    pub content: Vec<u8>,
    pub attachments: Vec<Vec<u8>>,
}

impl EnvelopeParts {
    /// A correctly signed envelope for `header` (signed by `signer`).
    pub fn signed(
        header: &PacketHeader,
        signer: &SigningKey,
        content: &[u8],
        attachments: &[Vec<u8>],
    ) -> Self {
        let encoded = header.encode();
        Self {
            magic: envelope::MAGIC,
            version: envelope::VERSION,
            signature: envelope::sign_header(signer, &encoded),
            header: encoded,
            content: content.to_vec(),
            attachments: attachments.to_vec(),
        }
    }

    /// The unpadded plaintext: prelude, header, signature, content, attachments.
    pub fn to_plaintext(&self) -> Vec<u8> {
        let mut p = envelope::prelude(self.header.len()).to_vec();
        p[..4].copy_from_slice(&self.magic);
        p[4] = self.version;
        p.extend_from_slice(&self.header);
        p.extend_from_slice(&self.signature);
        p.extend_from_slice(&self.content);
        for a in &self.attachments {
            p.extend_from_slice(a);
        }
        p
    }
}

/// A writer into a shared buffer, so the length can be read while age's
/// stream writer owns it.
struct SharedVec(Rc<RefCell<Vec<u8>>>);

impl Write for SharedVec {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn age_encryptor(recipients: &[RecipientKey]) -> age::Encryptor {
    let rs: Vec<Box<dyn age::Recipient + Send>> =
        recipients.iter().map(RecipientKey::to_age).collect();
    age::Encryptor::with_recipients(rs.iter().map(|r| r.as_ref() as &dyn age::Recipient))
        .expect("age encryptor")
}

/// Encrypts `plaintext` with age to `recipients`, exactly as given (no padding).
pub fn age_encrypt(plaintext: &[u8], recipients: &[RecipientKey]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = age_encryptor(recipients)
        .wrap_output(&mut out)
        .expect("age header");
    w.write_all(plaintext).expect("write");
    w.finish().expect("finish");
    out
}

/// The padded plaintext length the sealer would choose for `unpadded` bytes
/// behind an age header of `age_header_len` bytes: the smallest bucket whose
/// payload age can produce exactly.
pub fn bucket_plaintext_len(age_header_len: u64, unpadded: u64) -> u64 {
    let mut bucket = padding::bucket_for(age_header_len + padding::age_payload_len(unpadded));
    loop {
        match padding::plaintext_len_for_payload(bucket - age_header_len) {
            Some(p) if p >= unpadded => return p,
            _ => bucket = padding::next_bucket(bucket),
        }
    }
}

/// Encrypts `plaintext` with age to `recipients`, followed by padding up to
/// `padded_len(age_header_len, plaintext_len)` bytes of plaintext. The padding
/// is zeros unless `fill` changes it (it may be empty).
pub fn age_encrypt_with(
    plaintext: &[u8],
    recipients: &[RecipientKey],
    padded_len: impl FnOnce(u64, u64) -> u64,
    fill: impl FnOnce(&mut [u8]),
) -> Vec<u8> {
    let shared = Rc::new(RefCell::new(Vec::new()));
    let mut w = age_encryptor(recipients)
        .wrap_output(SharedVec(Rc::clone(&shared)))
        .expect("age header");
    // `wrap_output` has written the header and the 16-byte payload nonce.
    let age_header_len = shared.borrow().len() as u64 - 16;
    let unpadded = plaintext.len() as u64;
    let padded = padded_len(age_header_len, unpadded);
    assert!(padded >= unpadded);
    let mut pad = vec![0u8; (padded - unpadded) as usize];
    fill(&mut pad);
    w.write_all(plaintext).expect("write");
    w.write_all(&pad).expect("write");
    w.finish().expect("finish");
    let out = shared.borrow().clone();
    assert_eq!(
        out.len() as u64,
        age_header_len + padding::age_payload_len(padded)
    );
    out
}

/// Encrypts `plaintext` with age to `recipients`, padding it so the whole
/// file is a published bucket, the way the sealer does. `fill` may change
/// the padding bytes (all zeros otherwise).
pub fn age_encrypt_padded(
    plaintext: &[u8],
    recipients: &[RecipientKey],
    fill: impl FnOnce(&mut [u8]),
) -> Vec<u8> {
    let out = age_encrypt_with(plaintext, recipients, bucket_plaintext_len, fill);
    assert!(
        padding::is_bucket(out.len() as u64),
        "hand-padded packet must land on a bucket"
    );
    out
}

/// Length of the age header (version line through the MAC line) of `file`.
pub fn age_header_len(file: &[u8]) -> usize {
    let mac = file
        .windows(5)
        .position(|w| w == b"\n--- ")
        .expect("age file has a MAC line");
    mac + 1
        + file[mac + 1..]
            .iter()
            .position(|b| *b == b'\n')
            .expect("MAC line ends")
        + 1
}
