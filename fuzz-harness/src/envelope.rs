//! The `envelope` target: the signed plaintext inside a packet's age
//! encryption (`referral_protocol::envelope`), parsed directly and opened
//! for real.
//!
//! The input is a candidate decrypted plaintext: prelude, header,
//! signature, content, attachments, padding. Two things are done with it.
//!
//! 1. The parsers. `PacketHeader::decode` runs on the whole input (the
//!    fuzzer's shortest path into it) and on the framed header if the
//!    prelude parses. A header it accepts is valid, re-encodes to exactly
//!    the input bytes (the format promises one encoding per value: the
//!    bytes signed are the bytes parsed), and no cut or extension of those
//!    bytes also parses. `parse_prelude` accepts exactly what `prelude`
//!    writes, and each refusal names what is wrong.
//! 2. The opener. When the framed header decodes, the harness signs it with
//!    the fixture key (the fuzzer cannot forge a signature, and without this
//!    nothing after the signature check would ever run), encrypts the
//!    plaintext to the fixture identity, pads it to a bucket exactly as the
//!    sealer does, and calls `open`. A small model of the checks `open`
//!    promises, made in the same order (sender, signature, recipients,
//!    content hash, each attachment, zero padding), predicts the outcome;
//!    `open` must agree, and when it succeeds hand back exactly the bytes
//!    the model read.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use referral_protocol::envelope::{
    self, MAGIC, MAX_ATTACHMENTS, MAX_CONTENT_LEN, MAX_HEADER_LEN, MAX_RECIPIENTS, PRELUDE_LEN,
    SIGNATURE_LEN, VERSION, VERSION_1, check_attachment_name, check_media_type, parse_prelude,
};
use referral_protocol::{EnvelopeError, MemoryAttachments, OpenError, PacketHeader, open};

use crate::fixtures;
use crate::padding::sealer_bucket;

/// The `envelope` target's body.
pub fn envelope(data: &[u8]) {
    decode(data);

    let Some(prelude) = data.first_chunk::<PRELUDE_LEN>() else {
        return;
    };
    let declared = u32::from_be_bytes([prelude[5], prelude[6], prelude[7], prelude[8]]);
    let (version, header_len) = match parse_prelude(prelude) {
        Ok((version, len)) => {
            assert_eq!(len as u64, u64::from(declared));
            assert!(len <= MAX_HEADER_LEN);
            assert_eq!(version, prelude[4]);
            if version == VERSION {
                assert_eq!(
                    &envelope::prelude(len),
                    prelude,
                    "a prelude it would not write"
                );
            } else {
                assert_eq!(version, VERSION_1, "a version it does not read");
            }
            (version, len)
        }
        Err(EnvelopeError::BadMagic) => {
            assert_ne!(prelude[..4], MAGIC);
            return;
        }
        Err(EnvelopeError::UnsupportedVersion(v)) => {
            assert_eq!(prelude[..4], MAGIC);
            assert_eq!(v, prelude[4]);
            assert_ne!(v, VERSION);
            assert_ne!(v, VERSION_1);
            return;
        }
        Err(EnvelopeError::Malformed(_)) => {
            assert_eq!(prelude[..4], MAGIC);
            assert!(prelude[4] == VERSION || prelude[4] == VERSION_1);
            assert!(declared as usize > MAX_HEADER_LEN);
            return;
        }
    };
    let rest = &data[PRELUDE_LEN..];
    if rest.len() < header_len + SIGNATURE_LEN {
        return;
    }
    let header_bytes = &rest[..header_len];
    if version == VERSION_1 {
        // A v1 header is read, never written: no canonical form to compare
        // with, but whatever decodes must validate.
        if let Ok(header) = PacketHeader::decode(VERSION_1, header_bytes) {
            header.validate().expect("a decoded v1 header validates");
        }
        return;
    }
    if let Some(header) = decode(header_bytes) {
        open_for_real(header_bytes, &header, &rest[header_len + SIGNATURE_LEN..]);
    }
}

/// Decodes `bytes` as a v2 packet header and checks what a success promises.
fn decode(bytes: &[u8]) -> Option<PacketHeader> {
    let header = match PacketHeader::decode(VERSION, bytes) {
        Ok(header) => header,
        // The prelude's errors belong to `parse_prelude`; the header has
        // only the one kind of refusal.
        Err(EnvelopeError::Malformed(_)) => return None,
        Err(other) => panic!("decode refused a header with {other:?}"),
    };
    header
        .validate()
        .expect("decode returned a header validate refuses");
    assert!(header.content_len <= MAX_CONTENT_LEN);
    assert!(header.attachments.len() <= MAX_ATTACHMENTS);
    for a in &header.attachments {
        check_attachment_name(&a.name).expect("decoded attachment name");
        check_media_type(&a.media_type).expect("decoded media type");
    }
    assert!((1..=MAX_RECIPIENTS).contains(&header.recipients.len()));
    assert!(header.recipients.windows(2).all(|w| w[0] < w[1]));

    // One encoding per value: what was parsed is what would be written.
    assert_eq!(
        header.encode(),
        bytes,
        "decode accepted a non-canonical encoding"
    );
    // So no strict prefix and no extension is also a header.
    for cut in [0, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            PacketHeader::decode(VERSION, &bytes[..cut]).is_err(),
            "prefix {cut} decodes"
        );
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(
        PacketHeader::decode(VERSION, &longer).is_err(),
        "trailing byte accepted"
    );
    Some(header)
}

/// Signs the header with the fixture key, encrypts and pads the plaintext
/// as the sealer would, opens it, and compares with the model.
fn open_for_real(header_bytes: &[u8], header: &PacketHeader, body: &[u8]) {
    let signature = envelope::sign_header(fixtures::signing_key(), header_bytes);
    let mut plain = Vec::with_capacity(PRELUDE_LEN + header_bytes.len() + 64 + body.len());
    plain.extend_from_slice(&envelope::prelude(header_bytes.len()));
    plain.extend_from_slice(header_bytes);
    plain.extend_from_slice(&signature);
    plain.extend_from_slice(body);
    let (ciphertext, padded_body) = encrypt_padded(&plain, PRELUDE_LEN + header_bytes.len() + 64);
    let expected = model(header, &padded_body);

    let mut sink = MemoryAttachments::default();
    let result = open(
        ciphertext.as_slice(),
        std::slice::from_ref(fixtures::identity()),
        &fixtures::known_senders(),
        &mut sink,
    );
    match (result, expected) {
        (Ok(opened), Ok((content, attachments))) => {
            assert_eq!(&opened.header, header);
            assert_eq!(opened.content.as_slice(), content);
            assert_eq!(opened.identity_index, 0);
            assert_eq!(opened.ciphertext_bytes, ciphertext.len() as u64);
            assert!(
                sink.committed,
                "a verified packet's attachments were not kept"
            );
            assert_eq!(sink.files, attachments);
        }
        (Err(actual), Err(predicted)) => {
            assert!(!sink.committed, "attachments kept from a refused packet");
            assert!(
                actual.is_verification_failure(),
                "an in-memory packet failed with {actual:?}"
            );
            assert!(
                predicted.matches(&actual),
                "open said {actual:?}, the model {predicted:?}"
            );
        }
        (actual, predicted) => panic!("open said {actual:?}, the model {predicted:?}"),
    }
}

/// What `open` should refuse, as far as the model can tell.
#[derive(Debug)]
enum Refusal {
    UnknownSender,
    RecipientSetMismatch,
    TooShort,
    ContentHashMismatch,
    AttachmentHashMismatch(usize),
    BadPadding,
}

impl Refusal {
    fn matches(&self, actual: &OpenError) -> bool {
        match (self, actual) {
            (Self::UnknownSender, OpenError::UnknownSender { .. })
            | (Self::RecipientSetMismatch, OpenError::RecipientSetMismatch)
            | (Self::TooShort, OpenError::Envelope(EnvelopeError::Malformed(_)))
            | (Self::ContentHashMismatch, OpenError::ContentHashMismatch)
            | (Self::BadPadding, OpenError::BadPadding(_)) => true,
            (Self::AttachmentHashMismatch(i), OpenError::AttachmentHashMismatch { index }) => {
                i == index
            }
            _ => false,
        }
    }
}

type Contents<'a> = (&'a [u8], Vec<Vec<u8>>);

/// The checks `open` makes after decoding the header, in its order, over
/// the padded bytes that follow the signature.
fn model<'a>(header: &PacketHeader, after_signature: &'a [u8]) -> Result<Contents<'a>, Refusal> {
    let key = fixtures::signing_key().verifying_key();
    if header.sender_device != fixtures::sender_device()
        || header.sender_desk != fixtures::sender_desk()
        || header.sender_key != key
    {
        return Err(Refusal::UnknownSender);
    }
    // The signature is the fixture key's over these very bytes: it verifies.
    if header
        .recipients
        .binary_search(&fixtures::recipient().digest())
        .is_err()
    {
        return Err(Refusal::RecipientSetMismatch);
    }
    let mut rest = after_signature;
    let mut take = |n: u64| -> Result<&'a [u8], Refusal> {
        let n = usize::try_from(n).map_err(|_| Refusal::TooShort)?;
        if rest.len() < n {
            return Err(Refusal::TooShort);
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let content = take(u64::from(header.content_len))?;
    if envelope::sha256(content) != header.content_sha256 {
        return Err(Refusal::ContentHashMismatch);
    }
    let mut attachments = Vec::with_capacity(header.attachments.len());
    for (index, meta) in header.attachments.iter().enumerate() {
        let bytes = take(meta.bytes)?;
        if envelope::sha256(bytes) != meta.sha256 {
            return Err(Refusal::AttachmentHashMismatch(index));
        }
        attachments.push(bytes.to_vec());
    }
    if rest.iter().any(|b| *b != 0) {
        return Err(Refusal::BadPadding);
    }
    Ok((content, attachments))
}

/// Encrypts `plain` to the fixture identity, padded with zeros so that the
/// ciphertext is a bucket, by the sealer's rule. Returns the ciphertext and
/// the padded plaintext from `body_start` on.
fn encrypt_padded(plain: &[u8], body_start: usize) -> (Vec<u8>, Vec<u8>) {
    let recipient = fixtures::recipient().to_age();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient.as_ref() as &dyn age::Recipient))
            .expect("one recipient");
    let out = SharedBuffer::default();
    let mut stream = encryptor
        .wrap_output(out.clone())
        .expect("writing to memory");
    // age has written its header and the 16-byte payload nonce; the nonce is
    // part of the payload.
    let age_header = out.0.borrow().len() as u64 - 16;
    let (bucket, padded_len) = sealer_bucket(age_header, plain.len() as u64);
    let mut padded = plain.to_vec();
    padded.resize(usize::try_from(padded_len).expect("a small packet"), 0);
    stream.write_all(&padded).expect("writing to memory");
    stream.finish().expect("writing to memory");
    let ciphertext = out.0.take();
    assert_eq!(ciphertext.len() as u64, bucket, "age framing changed");
    (ciphertext, padded.split_off(body_start))
}

/// A writer whose bytes can be read while age's stream writer owns it.
#[derive(Clone, Default)]
struct SharedBuffer(Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
