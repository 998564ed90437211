//! The `padding` target: the published ciphertext sizes, age's payload
//! arithmetic, and padding and unpadding real packets.
//!
//! The library's functions are checked against oracles written from the
//! module's documentation (`protocol/src/padding.rs`), not from its code:
//! [`published`] says which sizes are buckets, [`reachable`] which age
//! payload sizes exist. A disagreement is a bug in one or the other, and
//! either is worth knowing.
//!
//! Input layout (missing bytes read as zero):
//! - byte 0: a right shift applied to the two numbers below, so that small
//!   sizes (where the powers of two and the 1 MiB switch are) are as easy for
//!   the fuzzer to reach as large ones;
//! - bytes 1..9: `n`, a ciphertext size (little-endian);
//! - bytes 9..17: `q`, an age payload size or a plaintext size;
//! - bytes 17..19: `h`, an age header length (0 to 65,535: the 64 KiB limit);
//! - byte 19: if its low four bits are [`SEAL`], a real packet is sealed
//!   and opened; bits 4-5 are then the number of extra recipients, and bit
//!   6 adds an attachment. Sealing costs milliseconds in an instrumented
//!   build, a thousand times the arithmetic, so it is one input in sixteen
//!   rather than one in two;
//! - bytes 20..23: the packet's content length (mod 70 000: one or two age
//!   chunks, buckets up to 128 KiB);
//! - the rest: the content's bytes, repeated.

use std::io::Read;

use referral_protocol::envelope::{self, PRELUDE_LEN, SIGNATURE_LEN};
use referral_protocol::padding::{
    AGE_CHUNK, MIN_BUCKET, POWER_OF_TWO_LIMIT, age_payload_len, bucket_for, is_bucket, next_bucket,
    plaintext_len_for_payload,
};
use referral_protocol::{
    Attachment, AttachmentSource, ContentType, MemoryAttachments, PacketId, SealRequest, Sender,
    ThreadId, age_header_len, decrypt, open, seal,
};

use crate::fixtures;

/// The sizes the rounding checks reason about: 4 EiB. Above the largest
/// bucket a u64 holds (`padding::MAX_BUCKET`, 2^64 - 2^57) `bucket_for`
/// and `next_bucket` have no answer and panic by contract, and no file that
/// large can exist. [`is_bucket`] (which the broker applies to a length a
/// client declares) and `plaintext_len_for_payload` (which returns an
/// `Option`) are checked over the whole u64 range regardless.
pub const DOMAIN: u64 = 1 << 62;

/// The low four bits of input byte 19 that ask for a real packet.
pub const SEAL: u8 = 0x5;

/// age's per-chunk overhead and nonce, from the age spec (not the crate).
const TAG: u64 = 16;
const NONCE: u64 = 16;

/// The `padding` target's body.
pub fn padding(data: &[u8]) {
    let mut input = [0u8; 23];
    let n_in = data.len().min(input.len());
    input[..n_in].copy_from_slice(&data[..n_in]);
    let shift = u32::from(input[0] % 64);
    let n = u64::from_le_bytes(input[1..9].try_into().expect("8 bytes")) >> shift;
    let q = u64::from_le_bytes(input[9..17].try_into().expect("8 bytes")) >> shift;
    let h = u64::from(u16::from_le_bytes([input[17], input[18]]));

    // The two functions that answer yes or no (`is_bucket`, which the
    // broker applies to a declared Content-Length, and unpadding, which
    // returns an `Option`) must answer for every u64, the unshifted values
    // included.
    let raw_n = u64::from_le_bytes(input[1..9].try_into().expect("8 bytes"));
    let raw_q = u64::from_le_bytes(input[9..17].try_into().expect("8 bytes"));
    for x in [raw_n, n] {
        assert_eq!(is_bucket(x), published(x), "is_bucket({x})");
    }
    for x in [raw_q, q] {
        unpad(x);
    }

    if n <= DOMAIN {
        buckets(n);
    }
    if q <= DOMAIN {
        pad(q);
        sealer_choice(h, q);
    }

    let flags = input[19];
    if flags & 0x0f == SEAL {
        let content_len =
            (u32::from_le_bytes([input[20], input[21], input[22], 0]) % 70_000) as usize;
        let fill = data
            .get(23..)
            .filter(|rest| !rest.is_empty())
            .unwrap_or(&[0]);
        let content: Vec<u8> = fill.iter().copied().cycle().take(content_len).collect();
        let extra = usize::from((flags >> 4) & 3);
        let attachment = flags & 0x40 != 0;
        seal_and_open(&content, extra, attachment);
    }
}

/// Whether `n` is a published ciphertext size, as the module documentation
/// defines it: a power of two from 4 KiB to 1 MiB, or above 1 MiB a number
/// whose binary form ends in `E - (⌊log2 E⌋ + 1)` zero bits, `E` being the
/// position of its top bit.
pub fn published(n: u64) -> bool {
    if n < MIN_BUCKET {
        return false;
    }
    if n <= POWER_OF_TWO_LIMIT {
        return n.is_power_of_two();
    }
    n.trailing_zeros() >= padme_zero_bits(n)
}

/// `E - (⌊log2 E⌋ + 1)` for `n`'s top bit `E`.
fn padme_zero_bits(n: u64) -> u32 {
    let e = n.ilog2();
    e - (e.ilog2() + 1)
}

/// The published size just below the published size `b` (`b` > 4 KiB).
fn previous(b: u64) -> u64 {
    if b <= POWER_OF_TWO_LIMIT {
        b / 2
    } else {
        // `b` is a multiple of the spacing just below it: either it is in
        // the same binade as `b - 1`, or it is the next power of two.
        b - (1u64 << padme_zero_bits(b - 1))
    }
}

/// Whether some plaintext length has an age payload of exactly `q` bytes,
/// from age's framing: a 16-byte nonce, then chunks of up to 64 KiB each
/// followed by a 16-byte tag, with at least one (possibly empty) chunk and
/// only the last one short. The payload after the nonce is `p + 16·c`; with
/// `c` chunks it spans `65552·(c-1) + 17 ..= 65552·c` (and 16 ..= 65552 for
/// one chunk, the empty plaintext included).
pub fn reachable(q: u64) -> bool {
    let Some(body) = q.checked_sub(NONCE) else {
        return false;
    };
    let full = AGE_CHUNK + TAG;
    body == TAG || (body > TAG && (body % full == 0 || body % full > TAG))
}

fn buckets(n: u64) {
    let b = bucket_for(n);
    assert!(b >= n, "bucket_for({n}) = {b} does not hold it");
    assert!(
        published(b),
        "bucket_for({n}) = {b} is not a published size"
    );
    assert!(is_bucket(b), "is_bucket(bucket_for({n}) = {b}) is false");
    assert_eq!(bucket_for(b), b, "bucket_for is not idempotent at {b}");
    if b > MIN_BUCKET {
        // The smallest: the published size before `b` is too small.
        assert!(
            previous(b) < n,
            "bucket_for({n}) = {b}, but {} also holds it",
            previous(b)
        );
    }
    if n > POWER_OF_TWO_LIMIT {
        // Padmé's promise: the overhead is below 2^-(⌊log2 E⌋+1), at most
        // 1/32 at these sizes.
        assert!(
            u128::from(b - n) * 32 < u128::from(n),
            "bucket_for({n}) = {b} wastes more than 1/32"
        );
    }
    if b < DOMAIN {
        let next = next_bucket(b);
        assert!(next > b && published(next), "next_bucket({b}) = {next}");
        assert_eq!(previous(next), b, "next_bucket({b}) skipped a size");
    }
}

/// `q` as an age payload: unpadding finds a plaintext length exactly when
/// age's framing can produce `q`, and re-padding it gives `q` back.
fn unpad(q: u64) {
    match plaintext_len_for_payload(q) {
        Some(p) => {
            assert!(reachable(q), "payload {q} cannot exist, yet maps to {p}");
            assert_eq!(age_payload_len(p), q, "payload {q} maps to {p}");
        }
        None => assert!(!reachable(q), "payload {q} exists but is refused"),
    }
}

/// `q` as a plaintext length: padding then unpadding is the identity, and
/// the payload grows with the plaintext.
fn pad(q: u64) {
    let payload = age_payload_len(q);
    assert!(reachable(payload));
    assert_eq!(plaintext_len_for_payload(payload), Some(q));
    assert!(payload >= q + NONCE + TAG);
    assert!(age_payload_len(q + 1) > payload);
}

/// The sealer's rule (seal.rs `choose_bucket`, docs/protocol.md): the
/// smallest bucket that holds the header and the payload and whose payload
/// size age can produce exactly. Returns the bucket and the padded
/// plaintext length.
pub fn sealer_bucket(header: u64, unpadded: u64) -> (u64, u64) {
    let mut bucket = bucket_for(header + age_payload_len(unpadded));
    // A payload in one of age's 16-byte gaps moves to the next bucket, and
    // the next bucket is always at least 4 KiB further: once is enough,
    // twice is a bug.
    for _ in 0..2 {
        if let Some(p) = plaintext_len_for_payload(bucket - header)
            && p >= unpadded
        {
            return (bucket, p);
        }
        bucket = next_bucket(bucket);
    }
    panic!("no bucket within two steps for header {header} and plaintext {unpadded}");
}

fn sealer_choice(header: u64, unpadded: u64) {
    if unpadded > DOMAIN / 2 {
        return;
    }
    let (bucket, p) = sealer_bucket(header, unpadded);
    assert!(published(bucket));
    assert!(p >= unpadded);
    assert_eq!(header + age_payload_len(p), bucket);
    // Nothing smaller would do: the published size before it is either too
    // small or falls in a gap.
    if bucket > MIN_BUCKET {
        let before = previous(bucket);
        let fits = before
            .checked_sub(header)
            .and_then(plaintext_len_for_payload)
            .is_some_and(|p| p >= unpadded);
        assert!(
            !fits,
            "bucket {before} would hold header {header} + {unpadded}"
        );
    }
}

/// Seals a real packet, then unpads it by hand and opens it: the ciphertext
/// is the bucket the rule above picks, the plaintext is exactly the padded
/// length, the padding is zeros, and what comes out is what went in.
fn seal_and_open(content: &[u8], extra_recipients: usize, with_attachment: bool) {
    let key = fixtures::signing_key();
    let mut recipients = vec![fixtures::recipient()];
    recipients.extend(
        fixtures::other_identities()[..extra_recipients]
            .iter()
            .map(referral_protocol::AgeIdentity::recipient),
    );
    let attachments: Vec<Attachment> = if with_attachment {
        vec![Attachment {
            name: "scan.pdf".to_owned(),
            media_type: "application/pdf".to_owned(),
            source: AttachmentSource::Bytes(content.iter().rev().copied().collect()),
        }]
    } else {
        Vec::new()
    };
    let request = SealRequest {
        packet_id: PacketId::random(),
        thread_id: ThreadId::random(),
        created_at: 1_700_000_000,
        sender: Sender {
            device: fixtures::sender_device(),
            desk: fixtures::sender_desk(),
            key,
        },
        recipient_desk: fixtures::recipient_desk(),
        recipients,
        content_type: ContentType::referral_v1(),
        content,
        attachments: &attachments,
    };
    let mut ciphertext = Vec::new();
    let sealed = seal(&request, &mut ciphertext).expect("a well-formed request seals");

    let len = ciphertext.len() as u64;
    assert_eq!(sealed.bytes, len);
    assert!(published(len), "sealed {len} bytes, not a published size");
    let header_len = age_header_len(&ciphertext).expect("the sealer's age header passes the check");
    let encoded = sealed.header.encode();
    let unpadded = sealed.header.unpadded_len(encoded.len());
    let (bucket, padded) = sealer_bucket(header_len as u64, unpadded);
    assert_eq!(len, bucket, "not the smallest usable bucket");

    // Unpad by hand: decrypt, and the plaintext is the frame, then zeros.
    let identity: &dyn age::Identity = fixtures::identity().as_age();
    let (mut reader, index) = decrypt(ciphertext.as_slice(), &[identity]).expect("decrypts");
    assert_eq!(index, 0);
    let mut plain = Vec::new();
    reader
        .read_to_end(&mut plain)
        .expect("the payload is intact");
    assert_eq!(plain.len() as u64, padded);
    let (frame, zeros) = plain.split_at(unpadded as usize);
    assert!(zeros.iter().all(|b| *b == 0), "padding is not zeros");
    assert_eq!(frame[..PRELUDE_LEN], envelope::prelude(encoded.len()));
    assert_eq!(frame[PRELUDE_LEN..PRELUDE_LEN + encoded.len()], encoded[..]);
    let body = &frame[PRELUDE_LEN + encoded.len() + SIGNATURE_LEN..];
    assert_eq!(&body[..content.len()], content);

    let mut sink = MemoryAttachments::default();
    let opened = open(
        ciphertext.as_slice(),
        std::slice::from_ref(fixtures::identity()),
        &fixtures::known_senders(),
        &mut sink,
    )
    .expect("a sealed packet opens");
    assert_eq!(opened.header, sealed.header);
    assert_eq!(opened.content.as_slice(), content);
    assert_eq!(opened.ciphertext_bytes, len);
    assert!(sink.committed);
    let expected: Vec<Vec<u8>> = attachments
        .iter()
        .map(|a| match &a.source {
            AttachmentSource::Bytes(b) => b.clone(),
            AttachmentSource::Path(_) => unreachable!("only in-memory attachments here"),
        })
        .collect();
    assert_eq!(sink.files, expected);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oracles_match_the_documented_examples() {
        assert!(published(4096) && published(1 << 20) && published(64 << 20));
        assert!(!published(4095) && !published(5000) && !published((64 << 20) + 1));
        assert!(published((1 << 20) + (1 << 15)));
        assert_eq!(previous((1 << 20) + (1 << 15)), 1 << 20);
        assert_eq!(previous(8192), 4096);
        assert!(reachable(32) && reachable(33) && !reachable(31));
        for gap in 1..=16 {
            assert!(!reachable(NONCE + AGE_CHUNK + TAG + gap));
        }
        assert!(reachable(NONCE + AGE_CHUNK + TAG + 17));
    }
}
