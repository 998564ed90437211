//! Sealing: sign, then encrypt to many age recipients, padded to a bucket.
//!
//! Attachments are read twice, in constant memory: once to hash them (the
//! hashes are signed, and the signature precedes them in the envelope), and
//! once to encrypt them. The second pass re-hashes and refuses a file that
//! changed in between, so a packet never carries bytes its signature does not
//! cover. For a large attachment that re-hash runs on a second thread, fed the
//! buffers the encrypting thread has just written, so the second pass costs
//! about as much as encryption alone (SPEC §11 asks sealing to keep up with
//! `rage`).

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc;

use ring::digest::{Context, SHA256};

use crate::envelope::{
    self, AttachmentMeta, EnvelopeError, PacketHeader, check_attachment_name, check_media_type,
    digest_bytes, sha256,
};
use crate::ids::{ContentType, DeskId, DeviceId, PacketId, ThreadId};
use crate::keys::{RecipientKey, RecipientKind, SigningKey};
use crate::padding;

/// Zeros written at a time for the padding.
const COPY_BUF: usize = 64 * 1024;

/// Read size for attachments. Larger than age's 64 KiB chunks, so that a
/// 256 MiB attachment costs a thousand reads per pass rather than four
/// thousand, and each buffer handed to the hashing thread is worth the
/// hand-over.
const READ_BUF: usize = 256 * 1024;

/// Buffers in flight between the encrypting and the hashing thread. Memory
/// stays at `PIPELINE_BUFFERS × READ_BUF` (1 MiB) whatever the attachment's
/// size; more buffers only help when one thread stalls briefly.
const PIPELINE_BUFFERS: usize = 4;

/// Attachments smaller than this are re-hashed on the sealing thread: for
/// them, starting a thread costs more than it saves.
const PIPELINE_MIN_BYTES: u64 = 1024 * 1024;

/// Why a packet could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// No recipients, or more than the format allows for their kind.
    #[error("a packet needs between 1 and {max} recipients, got {got}")]
    RecipientCount {
        /// How many were given.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// Classic and hybrid recipients together: age refuses to mix them,
    /// because the classic stanza would hand a future quantum attacker the
    /// same file key (ADR 0020 §5). The caller chooses one kind for all.
    #[error("a packet's recipients must be all classic or all post-quantum")]
    MixedRecipientKinds,
    /// The content, an attachment name or a media type broke a format rule.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// An attachment's bytes differ between the hashing and encrypting passes.
    #[error("attachment {name:?} changed while it was being sealed")]
    AttachmentChanged {
        /// The attachment's name.
        name: String,
    },
    /// Reading an attachment or writing the output failed.
    #[error("I/O error while sealing: {0}")]
    Io(#[from] io::Error),
    /// age refused to encrypt.
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

/// Where an attachment's bytes come from.
#[derive(Debug, Clone)]
pub enum AttachmentSource {
    /// A file, opened once per pass.
    Path(PathBuf),
    /// Bytes already in memory (tests, small generated files).
    Bytes(Vec<u8>),
}

impl AttachmentSource {
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(match self {
            Self::Path(p) => Box::new(File::open(p)?),
            Self::Bytes(b) => Box::new(b.as_slice()),
        })
    }
}

/// An attachment to seal.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// File name shown to the reader (no directories).
    pub name: String,
    /// Media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Where the bytes are.
    pub source: AttachmentSource,
}

/// The device that signs.
#[derive(Debug)]
pub struct Sender<'a> {
    /// The device's id.
    pub device: DeviceId,
    /// The device's desk.
    pub desk: DeskId,
    /// The device's current signing key.
    pub key: &'a SigningKey,
}

/// Everything that goes into one packet.
#[derive(Debug)]
pub struct SealRequest<'a> {
    /// Random id, made by the client so that retries are idempotent.
    pub packet_id: PacketId,
    /// The thread this packet belongs to.
    pub thread_id: ThreadId,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    /// Who signs.
    pub sender: Sender<'a>,
    /// The desk addressed.
    pub recipient_desk: DeskId,
    /// Every key to encrypt to (order and repeats do not matter), all of one
    /// [`RecipientKind`].
    pub recipients: Vec<RecipientKey>,
    /// What the content is.
    pub content_type: ContentType,
    /// The content (the referral JSON).
    pub content: &'a [u8],
    /// Attachments, in order.
    pub attachments: &'a [Attachment],
}

/// What was sealed.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The signed header, as a reader will see it.
    pub header: PacketHeader,
    /// The keys it was encrypted to, sorted, without repeats.
    pub recipients: Vec<RecipientKey>,
    /// Their kind.
    pub kind: RecipientKind,
    /// Ciphertext length: always a published bucket.
    pub bytes: u64,
}

/// Seals a packet into `out`. Memory use does not depend on attachment sizes.
pub fn seal<W: Write>(req: &SealRequest<'_>, out: W) -> Result<Sealed, SealError> {
    seal_with_progress(req, out, &mut |_| {})
}

/// As [`seal`], calling `progress` with the number of plaintext bytes written
/// so far (for a progress bar).
pub fn seal_with_progress<W: Write>(
    req: &SealRequest<'_>,
    out: W,
    progress: &mut dyn FnMut(u64),
) -> Result<Sealed, SealError> {
    let mut recipients = req.recipients.clone();
    recipients.sort();
    recipients.dedup();
    let kind = recipients
        .first()
        .map_or(RecipientKind::PostQuantum, RecipientKey::kind);
    if recipients.iter().any(|r| r.kind() != kind) {
        return Err(SealError::MixedRecipientKinds);
    }
    let max = match kind {
        RecipientKind::Classic => envelope::MAX_CLASSIC_RECIPIENTS,
        RecipientKind::PostQuantum => envelope::MAX_POST_QUANTUM_RECIPIENTS,
    };
    if recipients.is_empty() || recipients.len() > max {
        return Err(SealError::RecipientCount {
            got: recipients.len(),
            max,
        });
    }
    let content_len = u32::try_from(req.content.len())
        .ok()
        .filter(|n| *n <= envelope::MAX_CONTENT_LEN)
        .ok_or(EnvelopeError::Malformed("content too long"))?;

    // Pass 1: hash every attachment.
    let mut attachments = Vec::with_capacity(req.attachments.len());
    for a in req.attachments {
        check_attachment_name(&a.name)?;
        check_media_type(&a.media_type)?;
        let (bytes, sha256) = hash_stream(&mut a.source.open()?, &mut io::sink())?;
        attachments.push(AttachmentMeta {
            name: a.name.clone(),
            media_type: a.media_type.clone(),
            bytes,
            sha256,
        });
    }

    let header = PacketHeader {
        packet_id: req.packet_id,
        thread_id: req.thread_id,
        created_at: req.created_at,
        sender_device: req.sender.device,
        sender_desk: req.sender.desk.clone(),
        sender_key: req.sender.key.verifying_key(),
        recipient_desk: req.recipient_desk.clone(),
        content_type: req.content_type.clone(),
        content_len,
        content_sha256: sha256(req.content),
        attachments,
        recipients: PacketHeader::recipient_list(&recipients),
    };
    header.validate()?;
    let encoded = header.encode();
    if encoded.len() > envelope::MAX_HEADER_LEN {
        return Err(EnvelopeError::Malformed("header too long").into());
    }
    let signature = envelope::sign_header(req.sender.key, &encoded);

    let age_recipients: Vec<Box<dyn age::Recipient + Send>> =
        recipients.iter().map(RecipientKey::to_age).collect();
    let encryptor = age::Encryptor::with_recipients(
        age_recipients
            .iter()
            .map(|r| r.as_ref() as &dyn age::Recipient),
    )
    .map_err(|e| SealError::Encrypt(e.to_string()))?;
    let count = Rc::new(Cell::new(0u64));
    let counted = CountingWriter {
        inner: out,
        count: Rc::clone(&count),
    };
    let mut stream = encryptor.wrap_output(counted)?;
    // `wrap_output` has already written the age header and the 16-byte
    // payload nonce; the nonce is counted in `age_payload_len`, so take it off.
    let age_header_len = count.get() - 16;

    let unpadded = header.unpadded_len(encoded.len());
    let (bucket, plaintext_len) = choose_bucket(age_header_len, unpadded);

    let mut written = 0u64;
    let mut emit = |stream: &mut dyn Write, bytes: &[u8]| -> io::Result<()> {
        stream.write_all(bytes)?;
        written += bytes.len() as u64;
        progress(written);
        Ok(())
    };
    emit(&mut stream, &envelope::prelude(encoded.len()))?;
    emit(&mut stream, &encoded)?;
    emit(&mut stream, &signature)?;
    emit(&mut stream, req.content)?;

    // Pass 2: encrypt every attachment, checking it still hashes the same.
    for (a, meta) in req.attachments.iter().zip(&header.attachments) {
        let mut tee = ProgressWriter {
            inner: &mut stream,
            emit: &mut emit,
        };
        let mut source = a.source.open()?;
        let (bytes, digest) = if meta.bytes >= PIPELINE_MIN_BYTES {
            copy_hashing_alongside(&mut source, &mut tee)?
        } else {
            hash_stream(&mut source, &mut tee)?
        };
        if bytes != meta.bytes || digest != meta.sha256 {
            return Err(SealError::AttachmentChanged {
                name: a.name.clone(),
            });
        }
    }

    let zeros = [0u8; COPY_BUF];
    let mut padding = plaintext_len - unpadded;
    while padding > 0 {
        let n = padding.min(COPY_BUF as u64) as usize;
        emit(&mut stream, &zeros[..n])?;
        padding -= n as u64;
    }
    let mut out = stream.finish()?;
    out.flush()?;
    if count.get() != bucket {
        // Unreachable unless age changes its framing; refuse rather than
        // publish a size outside the buckets.
        return Err(SealError::Encrypt(format!(
            "internal: sealed {} bytes, expected bucket {bucket}",
            count.get()
        )));
    }
    Ok(Sealed {
        header,
        recipients,
        kind,
        bytes: bucket,
    })
}

/// Picks the smallest bucket that fits, skipping any bucket whose payload
/// size falls in one of age's unreachable gaps. Returns the bucket and the
/// padded plaintext length.
fn choose_bucket(age_header_len: u64, unpadded: u64) -> (u64, u64) {
    let mut bucket = padding::bucket_for(age_header_len + padding::age_payload_len(unpadded));
    loop {
        if let Some(p) = padding::plaintext_len_for_payload(bucket - age_header_len)
            && p >= unpadded
        {
            return (bucket, p);
        }
        bucket = padding::next_bucket(bucket);
    }
}

/// Copies `r` into `w`, returning its length and SHA-256.
fn hash_stream(r: &mut dyn Read, w: &mut dyn Write) -> io::Result<(u64, [u8; 32])> {
    let mut ctx = Context::new(&SHA256);
    let mut buf = vec![0u8; READ_BUF];
    let mut total = 0u64;
    loop {
        let n = read_some(r, &mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
        w.write_all(&buf[..n])?;
        total += n as u64;
    }
    Ok((total, digest_bytes(ctx)))
}

/// As [`hash_stream`], with the hashing on a second thread: this thread reads
/// a buffer and writes it to `w` (age encrypts it), then passes it to the
/// hasher, which hands it back once hashed. Both threads see every byte in
/// the same order, so the digest is the one a single pass would compute, and
/// memory is bounded by the fixed set of buffers that circulate.
fn copy_hashing_alongside(r: &mut dyn Read, w: &mut dyn Write) -> io::Result<(u64, [u8; 32])> {
    // Both channels can hold every buffer at once, so neither send ever
    // blocks: the only wait is this thread's for a buffer to come back.
    let (to_hasher, filled) = mpsc::sync_channel::<Vec<u8>>(PIPELINE_BUFFERS);
    let (to_reader, hashed) = mpsc::sync_channel::<Vec<u8>>(PIPELINE_BUFFERS);
    std::thread::scope(|scope| {
        let hasher = scope.spawn(move || {
            let mut ctx = Context::new(&SHA256);
            let mut total = 0u64;
            for buf in filled {
                ctx.update(&buf);
                total += buf.len() as u64;
                // Fails only once the reading side has given up (an I/O
                // error), when the buffer is no longer wanted anyway.
                let _ = to_reader.send(buf);
            }
            (total, digest_bytes(ctx))
        });
        let mut fresh = PIPELINE_BUFFERS;
        let copied = (|| -> io::Result<()> {
            loop {
                let mut buf = if fresh > 0 {
                    fresh -= 1;
                    vec![0u8; READ_BUF]
                } else {
                    let mut buf = hashed
                        .recv()
                        .map_err(|_| io::Error::other("the hashing thread stopped"))?;
                    buf.resize(READ_BUF, 0);
                    buf
                };
                let n = read_some(r, &mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                buf.truncate(n);
                w.write_all(&buf)?;
                to_hasher
                    .send(buf)
                    .map_err(|_| io::Error::other("the hashing thread stopped"))?;
            }
        })();
        // Closing the channel ends the hasher's loop, on success or error.
        drop(to_hasher);
        let digest = hasher
            .join()
            .map_err(|_| io::Error::other("the hashing thread panicked"))?;
        copied.map(|()| digest)
    })
}

/// One `read`, retried on `Interrupted`; 0 at the end of the input.
fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Counts what reaches the output, shared so the count can be read while
/// age's stream writer owns the writer.
struct CountingWriter<W> {
    inner: W,
    count: Rc<Cell<u64>>,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes bytes to the stream and reports progress.
type Emit<'b> = dyn FnMut(&mut dyn Write, &[u8]) -> io::Result<()> + 'b;

struct ProgressWriter<'a, 'b> {
    inner: &'a mut dyn Write,
    emit: &'b mut Emit<'b>,
}

impl Write for ProgressWriter<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (self.emit)(self.inner, buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per read, with an
    /// `Interrupted` before every other read, as a pipe or a slow disk might.
    struct Choppy<'a> {
        data: &'a [u8],
        step: usize,
        interrupt: bool,
    }

    impl Read for Choppy<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn hashing_on_a_second_thread_matches_one_pass() {
        for len in [
            0,
            1,
            READ_BUF - 1,
            READ_BUF,
            READ_BUF + 1,
            PIPELINE_BUFFERS * READ_BUF + 7,
            3 * 1024 * 1024 + 5,
        ] {
            let data = pattern(len);
            for step in [READ_BUF, 10_000] {
                let mut one = Vec::new();
                let single = hash_stream(
                    &mut Choppy {
                        data: &data,
                        step,
                        interrupt: false,
                    },
                    &mut one,
                )
                .unwrap();
                let mut two = Vec::new();
                let piped = copy_hashing_alongside(
                    &mut Choppy {
                        data: &data,
                        step,
                        interrupt: false,
                    },
                    &mut two,
                )
                .unwrap();
                assert_eq!(single, piped, "len {len}, step {step}");
                assert_eq!(single, (len as u64, sha256(&data)));
                assert!(
                    one == data && two == data,
                    "len {len}: the bytes pass through"
                );
            }
        }
    }

    /// A writer that fails after `left` bytes (a full disk).
    struct FailsAfter {
        left: usize,
    }

    impl Write for FailsAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::other("disk full"));
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_output_error_stops_both_threads_and_is_reported() {
        let data = pattern(20 * READ_BUF);
        for left in [0, READ_BUF / 2, 9 * READ_BUF] {
            let err =
                copy_hashing_alongside(&mut data.as_slice(), &mut FailsAfter { left }).unwrap_err();
            assert_eq!(err.to_string(), "disk full");
        }
    }

    /// A reader that fails part-way (a file on a disk that went away).
    struct ReadFails<'a> {
        data: &'a [u8],
    }

    impl Read for ReadFails<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.data.is_empty() {
                return Err(io::Error::other("device gone"));
            }
            let n = buf.len().min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn an_input_error_stops_both_threads_and_is_reported() {
        let data = pattern(7 * READ_BUF + 3);
        let err =
            copy_hashing_alongside(&mut ReadFails { data: &data }, &mut io::sink()).unwrap_err();
        assert_eq!(err.to_string(), "device gone");
    }
}
