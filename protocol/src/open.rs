//! Opening: decrypt (age, `Decryptor::new_buffered`), then verify the signed
//! header, then stream the content and attachments out while checking their
//! hashes, then check the padding.
//!
//! Nothing is handed to the caller as trusted before it is verified: the
//! content is returned only when the whole packet has checked out, and
//! attachment bytes go to an [`AttachmentSink`] that is told at the end whether
//! to keep them (a file sink writes to a temporary file and renames it only on
//! success).

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};

use age_core::format::{FileKey, Stanza};
use ring::digest::{Context, SHA256};
use zeroize::Zeroizing;

use crate::envelope::{
    self, AttachmentMeta, EnvelopeError, PRELUDE_LEN, PacketHeader, SIGNATURE_LEN, digest_bytes,
};
use crate::ids::{DeskId, DeviceId};
use crate::keys::{AgeIdentity, RecipientKind, VerifyingKey};
use crate::padding;

const COPY_BUF: usize = 64 * 1024;

/// Why a packet could not be opened. Every variant but [`OpenError::Io`]
/// means the packet must not be trusted.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// None of this device's keys can decrypt the packet.
    #[error("no key on this device can decrypt this packet")]
    NoMatchingKey,
    /// The age layer failed: a bad header, a bad MAC, or a damaged or
    /// truncated payload.
    #[error("the packet failed to decrypt: {0}")]
    Decrypt(String),
    /// The decrypted envelope is not a well-formed packet.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The signing device or key is not in the verified directory.
    #[error(
        "packet signed by {device} of desk {desk}, which the verified directory does not list with that key"
    )]
    UnknownSender {
        /// The device the header names.
        device: DeviceId,
        /// The desk the header names.
        desk: DeskId,
    },
    /// The packet is signed with a key a rotation retired, and its signed
    /// time is after the rotation (ADR 0010).
    #[error(
        "packet signed by {device} with a key retired by a rotation at {retired_at} (Unix time), \
         but dated {signed_at}, after the rotation"
    )]
    RetiredSenderKey {
        /// The device the header names.
        device: DeviceId,
        /// The rotation entry's time.
        retired_at: i64,
        /// The packet's signed time.
        signed_at: i64,
    },
    /// A packet sealed to classic keys although every device it was for had
    /// a hybrid key at its signed time: someone (a sender's compromised
    /// client, or a forger holding a leaked classic key) chose the weaker
    /// encryption (ADR 0020 §5).
    #[error(
        "packet sealed to classic keys at {signed_at} (Unix time), when every device it was for \
         had a post-quantum key: refused as a downgrade"
    )]
    Downgrade {
        /// The packet's signed time.
        signed_at: i64,
    },
    /// A packet sealed to classic keys after the directory's post-quantum
    /// policy took effect.
    #[error(
        "packet sealed to classic keys at {signed_at} (Unix time), after the directory began \
         to require post-quantum encryption at {since}"
    )]
    PostQuantumRequired {
        /// The policy entry's time.
        since: i64,
        /// The packet's signed time.
        signed_at: i64,
    },
    /// The Ed25519 signature does not verify.
    #[error("the packet's signature does not verify")]
    BadSignature,
    /// The key that decrypted the packet is not among the signed recipients:
    /// someone re-encrypted a packet that was not addressed to this device.
    #[error(
        "this device is not among the packet's signed recipients (re-encrypted or forwarded packet)"
    )]
    RecipientSetMismatch,
    /// The content does not match its signed hash.
    #[error("the packet content does not match its signed hash")]
    ContentHashMismatch,
    /// An attachment does not match its signed length or hash.
    #[error("attachment {index} does not match its signed hash")]
    AttachmentHashMismatch {
        /// Position in the header's list.
        index: usize,
    },
    /// The ciphertext is not one of the published bucket sizes, or the
    /// padding is not all zeros.
    #[error("the packet is not padded as the protocol requires ({0})")]
    BadPadding(String),
    /// Reading the input or writing an attachment failed.
    #[error("I/O error while opening: {0}")]
    Io(#[source] io::Error),
}

impl OpenError {
    /// Whether this is an integrity or authenticity failure (CLI exit 4), as
    /// opposed to "not for this device" or an I/O problem.
    pub fn is_verification_failure(&self) -> bool {
        !matches!(self, Self::NoMatchingKey | Self::Io(_))
    }
}

/// What the directory says of a packet's signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderKey {
    /// The key may have signed for that device and desk at that time.
    Valid,
    /// Not a key of that device and desk (or the device is revoked).
    Unknown,
    /// A key of that device, retired by a rotation before the packet's
    /// signed time.
    Retired {
        /// The rotation entry's time.
        retired_at: i64,
    },
}

/// What the directory says of a packet sealed to classic keys (ADR 0020 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassicPacket {
    /// Some device it was for had no hybrid key then: classic was the only
    /// way to reach every device.
    Allowed,
    /// Every device it was for had a hybrid key at its signed time.
    Downgrade,
    /// The post-quantum policy was in force at its signed time.
    PostQuantumRequired {
        /// The policy entry's time.
        since: i64,
    },
}

/// The verified directory, as far as opening needs it: which signing keys
/// belong to which device and desk, and until when, and whether a classic
/// packet was the sender's only choice. Implementations answer only from
/// keys whose signatures chain to the pinned root (SPEC §2.5).
pub trait SenderDirectory {
    /// Whether `key` may have signed, at `signed_at` (the packet's signed
    /// time), for `device` of `desk`.
    fn sender_key(
        &self,
        device: &DeviceId,
        desk: &DeskId,
        key: &VerifyingKey,
        signed_at: i64,
    ) -> SenderKey;

    /// Whether a packet from `sender_desk` to `recipient_desk`, signed at
    /// `signed_at` and sealed to classic (X25519) keys, may be read.
    fn classic_packet(
        &self,
        sender_desk: &DeskId,
        recipient_desk: &DeskId,
        signed_at: i64,
    ) -> ClassicPacket;
}

/// A fixed list of known senders (tests, offline use).
#[derive(Debug, Default, Clone)]
pub struct KnownSenders(Vec<(DeviceId, DeskId, VerifyingKey)>);

impl KnownSenders {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a device's key.
    pub fn add(&mut self, device: DeviceId, desk: DeskId, key: VerifyingKey) -> &mut Self {
        self.0.push((device, desk, key));
        self
    }
}

/// Every key listed is current: no time is refused. A fixed list knows
/// nothing of other devices' keys, so a classic packet is allowed: offline
/// use has no directory to judge a downgrade by.
impl SenderDirectory for KnownSenders {
    fn classic_packet(&self, _: &DeskId, _: &DeskId, _: i64) -> ClassicPacket {
        ClassicPacket::Allowed
    }

    fn sender_key(
        &self,
        device: &DeviceId,
        desk: &DeskId,
        key: &VerifyingKey,
        _signed_at: i64,
    ) -> SenderKey {
        let known = self
            .0
            .iter()
            .any(|(d, k_desk, k)| d == device && k_desk == desk && k == key);
        if known {
            SenderKey::Valid
        } else {
            SenderKey::Unknown
        }
    }
}

/// Receives attachment bytes as they are decrypted.
pub trait AttachmentSink {
    /// Attachment `index` starts.
    fn begin(&mut self, index: usize, meta: &AttachmentMeta) -> io::Result<()>;
    /// The next bytes of the current attachment.
    fn write(&mut self, chunk: &[u8]) -> io::Result<()>;
    /// The whole packet verified: keep what was written.
    fn commit(&mut self) -> io::Result<()>;
}

/// Throws attachments away (they are still hashed and checked).
#[derive(Debug, Default)]
pub struct DiscardAttachments;

impl AttachmentSink for DiscardAttachments {
    fn begin(&mut self, _: usize, _: &AttachmentMeta) -> io::Result<()> {
        Ok(())
    }
    fn write(&mut self, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn commit(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Keeps attachments in memory (tests and small files only).
#[derive(Debug, Default)]
pub struct MemoryAttachments {
    /// One buffer per attachment, filled as they stream.
    pub files: Vec<Vec<u8>>,
    /// Set by `commit`.
    pub committed: bool,
}

impl AttachmentSink for MemoryAttachments {
    fn begin(&mut self, _: usize, _: &AttachmentMeta) -> io::Result<()> {
        self.files.push(Vec::new());
        Ok(())
    }
    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.files
            .last_mut()
            .expect("begin precedes write")
            .extend_from_slice(chunk);
        Ok(())
    }
    fn commit(&mut self) -> io::Result<()> {
        self.committed = true;
        Ok(())
    }
}

/// A verified packet.
#[derive(Debug)]
pub struct Opened {
    /// The signed header.
    pub header: PacketHeader,
    /// The content (the referral JSON); wiped when dropped.
    pub content: Zeroizing<Vec<u8>>,
    /// Which of the given identities decrypted it.
    pub identity_index: usize,
    /// Ciphertext length.
    pub ciphertext_bytes: u64,
}

/// Decrypts an age file with the given identities, returning a reader of the
/// plaintext and the index of the identity that matched. This is the age
/// layer alone: no envelope, no signature.
pub fn decrypt<'a, R: BufRead + 'a>(
    input: R,
    identities: &[&dyn age::Identity],
) -> Result<(Box<dyn Read + 'a>, usize), OpenError> {
    let hit = Cell::new(None);
    let tracked: Vec<Tracked<'_>> = identities
        .iter()
        .enumerate()
        .map(|(index, inner)| Tracked {
            inner: *inner,
            index,
            hit: &hit,
        })
        .collect();
    let decryptor = age::Decryptor::new_buffered(input).map_err(map_age_error)?;
    let reader = decryptor
        .decrypt(tracked.iter().map(|t| t as &dyn age::Identity))
        .map_err(map_age_error)?;
    let index = hit.get().ok_or(OpenError::NoMatchingKey)?;
    Ok((Box::new(reader), index))
}

/// Opens a sealed packet: decrypts it with one of `identities` (this one
/// device's current and retired keys, and no other device's), verifies the sender against `senders`, streams attachments
/// to `sink`, and returns the verified header and content.
pub fn open<R: Read>(
    input: R,
    identities: &[AgeIdentity],
    senders: &dyn SenderDirectory,
    sink: &mut dyn AttachmentSink,
) -> Result<Opened, OpenError> {
    let count = Cell::new(0u64);
    let counted = CountingReader {
        inner: input,
        count: &count,
    };
    let dyn_ids: Vec<&dyn age::Identity> = identities.iter().map(AgeIdentity::as_age).collect();
    let (mut plain, identity_index) = decrypt(BufReader::new(counted), &dyn_ids)?;

    let mut prelude = [0u8; PRELUDE_LEN];
    read_exact(&mut plain, &mut prelude)?;
    let (version, header_len) = envelope::parse_prelude(&prelude)?;
    let mut header_bytes = vec![0u8; header_len];
    read_exact(&mut plain, &mut header_bytes)?;
    let mut signature = [0u8; SIGNATURE_LEN];
    read_exact(&mut plain, &mut signature)?;
    let header = PacketHeader::decode(version, &header_bytes)?;

    match senders.sender_key(
        &header.sender_device,
        &header.sender_desk,
        &header.sender_key,
        header.created_at,
    ) {
        SenderKey::Valid => {}
        SenderKey::Unknown => {
            return Err(OpenError::UnknownSender {
                device: header.sender_device,
                desk: header.sender_desk.clone(),
            });
        }
        SenderKey::Retired { retired_at } => {
            return Err(OpenError::RetiredSenderKey {
                device: header.sender_device,
                retired_at,
                signed_at: header.created_at,
            });
        }
    }
    if !header.sender_key.verify(
        &envelope::signed_message(version, &header_bytes),
        &signature,
    ) {
        return Err(OpenError::BadSignature);
    }
    // The sender must have addressed *this device*: the key that decrypted
    // the packet, or another key of the same device (`identities` holds only
    // this device's current and retired keys). The second case is a packet
    // rewrapped from a retired key to the current one (ADR 0004), whose
    // signed recipient set still names the retired key. A reader that was
    // never addressed has no key in the set, so surreptitious forwarding is
    // still refused.
    let addressed = |id: &AgeIdentity| {
        header
            .recipients
            .binary_search(&id.recipient().digest())
            .is_ok()
    };
    if !addressed(&identities[identity_index]) && !identities.iter().any(addressed) {
        return Err(OpenError::RecipientSetMismatch);
    }
    // The key that opened it tells its kind: a classic key can only have
    // unwrapped a classic stanza.
    if identities[identity_index].kind() == RecipientKind::Classic {
        let signed_at = header.created_at;
        match senders.classic_packet(&header.sender_desk, &header.recipient_desk, signed_at) {
            ClassicPacket::Allowed => {}
            ClassicPacket::Downgrade => return Err(OpenError::Downgrade { signed_at }),
            ClassicPacket::PostQuantumRequired { since } => {
                return Err(OpenError::PostQuantumRequired { since, signed_at });
            }
        }
    }

    let mut content = Zeroizing::new(vec![0u8; header.content_len as usize]);
    read_exact(&mut plain, &mut content)?;
    if envelope::sha256(&content) != header.content_sha256 {
        return Err(OpenError::ContentHashMismatch);
    }

    let mut buf = Zeroizing::new(vec![0u8; COPY_BUF]);
    for (index, meta) in header.attachments.iter().enumerate() {
        sink.begin(index, meta).map_err(OpenError::Io)?;
        let mut ctx = Context::new(&SHA256);
        let mut left = meta.bytes;
        while left > 0 {
            let n = left.min(COPY_BUF as u64) as usize;
            read_exact(&mut plain, &mut buf[..n])?;
            ctx.update(&buf[..n]);
            sink.write(&buf[..n]).map_err(OpenError::Io)?;
            left -= n as u64;
        }
        if digest_bytes(ctx) != meta.sha256 {
            return Err(OpenError::AttachmentHashMismatch { index });
        }
    }

    // Padding: zeros to the end of the stream.
    loop {
        let n = read_some(&mut plain, &mut buf)?;
        if n == 0 {
            break;
        }
        if buf[..n].iter().any(|b| *b != 0) {
            return Err(OpenError::BadPadding("non-zero padding byte".into()));
        }
    }
    drop(plain);
    let ciphertext_bytes = count.get();
    if !padding::is_bucket(ciphertext_bytes) {
        return Err(OpenError::BadPadding(format!(
            "{ciphertext_bytes} bytes is not a published bucket size"
        )));
    }
    sink.commit().map_err(OpenError::Io)?;
    Ok(Opened {
        header,
        content,
        identity_index,
        ciphertext_bytes,
    })
}

fn map_age_error(e: age::DecryptError) -> OpenError {
    match e {
        age::DecryptError::NoMatchingKeys => OpenError::NoMatchingKey,
        age::DecryptError::Io(io) => classify_read_error(io),
        other => OpenError::Decrypt(other.to_string()),
    }
}

/// age reports a damaged payload as `InvalidData` and a truncated one as
/// `UnexpectedEof`; both are integrity failures, not I/O trouble.
fn classify_read_error(e: io::Error) -> OpenError {
    match e.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidInput => {
            OpenError::Decrypt(e.to_string())
        }
        _ => OpenError::Io(e),
    }
}

fn read_exact(r: &mut dyn Read, buf: &mut [u8]) -> Result<(), OpenError> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => OpenError::Envelope(EnvelopeError::Malformed(
            "packet ends before its declared contents",
        )),
        _ => classify_read_error(e),
    })
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> Result<usize, OpenError> {
    loop {
        match r.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(classify_read_error(e)),
        }
    }
}

/// Records which identity unwrapped the file key, so the reader can check
/// that *that* key is among the signed recipients.
struct Tracked<'a> {
    inner: &'a dyn age::Identity,
    index: usize,
    hit: &'a Cell<Option<usize>>,
}

impl age::Identity for Tracked<'_> {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        let result = self.inner.unwrap_stanza(stanza);
        if matches!(result, Some(Ok(_))) && self.hit.get().is_none() {
            self.hit.set(Some(self.index));
        }
        result
    }

    fn unwrap_stanzas(&self, stanzas: &[Stanza]) -> Option<Result<FileKey, age::DecryptError>> {
        let result = self.inner.unwrap_stanzas(stanzas);
        if matches!(result, Some(Ok(_))) && self.hit.get().is_none() {
            self.hit.set(Some(self.index));
        }
        result
    }
}

struct CountingReader<'a, R> {
    inner: R,
    count: &'a Cell<u64>,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}
