//! Length hiding. Every sealed packet's *ciphertext* (the whole age file, not
//! just the plaintext) is exactly one of a published set of sizes:
//!
//! - every power of two from 4 KiB to 1 MiB (4096, 8192, …, 1048576), and
//! - above 1 MiB, every Padmé value: a number whose binary form, with `E` the
//!   position of its top bit, ends in `E - (⌊log2 E⌋ + 1)` zero bits.
//!   Padmé wastes at most about 3 % at these sizes and leaks O(log log n) bits
//!   (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
//!   Communication with PURBs", PETS 2019).
//!
//! Powers of two below 1 MiB are deliberately coarser than Padmé: a referral
//! is a few kilobytes of JSON, and its length should not betray how much free
//! text a caseworker wrote.
//!
//! The sealer pads the plaintext so that `age header + payload` lands exactly
//! on a bucket. age's payload is `16 (nonce) + p + 16 × chunks`, with 64 KiB
//! chunks and at least one (possibly empty) chunk, so a few payload sizes just
//! past a chunk boundary cannot be hit exactly; [`plaintext_len_for_payload`]
//! says so, and the sealer then moves up to the next bucket.

/// The smallest ciphertext size.
pub const MIN_BUCKET: u64 = 4096;
/// Up to here, buckets are powers of two; above it, Padmé values.
pub const POWER_OF_TWO_LIMIT: u64 = 1 << 20;

/// age's STREAM chunk size.
pub const AGE_CHUNK: u64 = 64 * 1024;
const AGE_NONCE: u64 = 16;
const AGE_TAG: u64 = 16;

/// The largest published size a u64 holds, 2^64 - 2^57: from 2^63 up,
/// Padmé keeps only the top 7 bits.
pub const MAX_BUCKET: u64 = u64::MAX << 57;

/// The smallest bucket that holds `n` bytes.
///
/// # Panics
///
/// If `n` is above [`MAX_BUCKET`]: no published size is that large (and no
/// file is either).
pub fn bucket_for(n: u64) -> u64 {
    if n <= MIN_BUCKET {
        MIN_BUCKET
    } else if n <= POWER_OF_TWO_LIMIT {
        n.next_power_of_two()
    } else {
        padme(n)
    }
}

/// Whether `n` is one of the published ciphertext sizes.
///
/// Answers for every u64, without going through [`bucket_for`]: the broker
/// applies it to the length a client declares. (It used to round `n` up and
/// compare, and rounding a length above [`MAX_BUCKET`] overflowed: a panic
/// in debug builds. Found by the `padding` fuzz target.)
pub fn is_bucket(n: u64) -> bool {
    if n < MIN_BUCKET {
        false
    } else if n <= POWER_OF_TWO_LIMIT {
        n.is_power_of_two()
    } else {
        n & padme_mask(n) == 0
    }
}

/// The bucket after `bucket` (the smallest one strictly larger).
///
/// # Panics
///
/// If `bucket` is [`MAX_BUCKET`] or above: there is none.
pub fn next_bucket(bucket: u64) -> u64 {
    bucket_for(bucket + 1)
}

/// The low bits Padmé clears in a number of `n`'s size (n ≥ 2): with `E` the
/// position of the top bit, `E - (⌊log2 E⌋ + 1)` of them.
fn padme_mask(n: u64) -> u64 {
    let e = 63 - u64::from(n.leading_zeros()); // ⌊log2 n⌋
    let s = 64 - u64::from(e.leading_zeros()); // ⌊log2 e⌋ + 1
    let low_bits = e - s;
    (1u64 << low_bits) - 1
}

/// Padmé rounding of `n` (n ≥ 2).
fn padme(n: u64) -> u64 {
    let mask = padme_mask(n);
    // Checked: release builds would otherwise wrap above MAX_BUCKET and
    // answer 0, a "bucket" smaller than `n`.
    n.checked_add(mask)
        .expect("no published size above MAX_BUCKET")
        & !mask
}

/// The size of age's payload (nonce, chunks and tags) for `p` plaintext bytes.
///
/// # Panics
///
/// If that size does not fit a u64 (`p` within about 2^52 of `u64::MAX`).
pub fn age_payload_len(p: u64) -> u64 {
    checked_age_payload_len(p).expect("age payload length overflows u64")
}

fn checked_age_payload_len(p: u64) -> Option<u64> {
    let chunks = p.div_ceil(AGE_CHUNK).max(1);
    (AGE_NONCE + AGE_TAG * chunks).checked_add(p)
}

/// The plaintext length whose age payload is exactly `payload` bytes, if any.
pub fn plaintext_len_for_payload(payload: u64) -> Option<u64> {
    if payload < AGE_NONCE + AGE_TAG {
        return None;
    }
    let body = payload - AGE_NONCE; // plaintext plus tags
    // Each chunk carries up to AGE_CHUNK bytes and one tag, so the chunk count
    // is ⌈body / (AGE_CHUNK + AGE_TAG)⌉ (at least one). Check the neighbours
    // too, then confirm by recomputing.
    let guess = body.div_ceil(AGE_CHUNK + AGE_TAG).max(1);
    [guess.saturating_sub(1), guess, guess + 1]
        .into_iter()
        .filter(|&chunks| chunks >= 1 && body >= AGE_TAG * chunks)
        .map(|chunks| body - AGE_TAG * chunks)
        // Checked: near u64::MAX a wrong neighbour's payload overflows (a
        // panic in debug builds, found by the `padding` fuzz target); it is
        // simply not the answer.
        .find(|&p| checked_age_payload_len(p) == Some(payload))
}

/// The least size a sealed packet carrying `plaintext` bytes (content and
/// attachments) can have: the bucket of their age payload alone. The real
/// packet adds the signed envelope header and the age header, so it is at
/// least this large; a sender can refuse a packet over a broker's limit
/// before sealing it without ever refusing one that would fit (ADR 0015).
///
/// Saturates at [`MAX_BUCKET`] for sizes no file has.
pub fn least_sealed_len(plaintext: u64) -> u64 {
    match checked_age_payload_len(plaintext) {
        Some(payload) if payload <= MAX_BUCKET => bucket_for(payload),
        _ => MAX_BUCKET,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_least_sealed_len_is_a_bucket_no_larger_than_a_real_packet() {
        assert_eq!(least_sealed_len(0), MIN_BUCKET);
        assert_eq!(
            least_sealed_len(3 * 1024 * 1024),
            bucket_for(age_payload_len(3 * 1024 * 1024))
        );
        assert!(least_sealed_len(3 * 1024 * 1024) > 3 * 1024 * 1024);
        assert!(is_bucket(least_sealed_len(100 << 20)));
        assert_eq!(least_sealed_len(u64::MAX), MAX_BUCKET);
        // Whatever header is added, the packet's bucket is at least this one.
        for p in [0, 5000, 1 << 20, 70 << 20] {
            assert!(bucket_for(200 + age_payload_len(p + 300)) >= least_sealed_len(p));
        }
    }

    #[test]
    fn published_buckets_below_one_mebibyte() {
        let small: Vec<u64> = (0..=POWER_OF_TWO_LIMIT)
            .step_by(512)
            .map(bucket_for)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(
            small,
            vec![
                4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576
            ]
        );
    }

    #[test]
    fn padme_above_one_mebibyte() {
        // 2^20 + 1: E = 20, S = 5, so multiples of 2^15.
        assert_eq!(bucket_for((1 << 20) + 1), (1 << 20) + (1 << 15));
        assert_eq!(bucket_for(64 << 20), 64 << 20);
        assert!(is_bucket(64 << 20));
        assert!(!is_bucket((64 << 20) + 1));
        assert!(!is_bucket(4095));
        assert!(!is_bucket(5000));
    }

    #[test]
    fn is_bucket_answers_for_every_length() {
        // The `padding` fuzz target's first finding: above MAX_BUCKET,
        // `is_bucket` overflowed while rounding (fuzz/corpus/padding/
        // regression-is-bucket-overflow).
        assert!(is_bucket(MAX_BUCKET));
        assert_eq!(bucket_for(MAX_BUCKET), MAX_BUCKET);
        assert!(!is_bucket(MAX_BUCKET + 1));
        assert!(!is_bucket(0xffff_28ff_ff10_0001));
        assert!(!is_bucket(u64::MAX));
    }

    #[test]
    fn unpadding_answers_for_every_length() {
        // The `padding` fuzz target's second finding (fuzz/corpus/padding/
        // regression-unpad-overflow): checking a neighbouring chunk count
        // overflowed near u64::MAX.
        for payload in [u64::MAX, u64::MAX - 1, u64::MAX - 16, u64::MAX - 65_552] {
            if let Some(p) = plaintext_len_for_payload(payload) {
                assert_eq!(age_payload_len(p), payload);
            }
        }
    }

    #[test]
    #[should_panic(expected = "no published size above MAX_BUCKET")]
    fn no_bucket_above_the_largest() {
        bucket_for(MAX_BUCKET + 1);
    }

    #[test]
    fn payload_length_matches_age_chunking() {
        assert_eq!(age_payload_len(0), 32);
        assert_eq!(age_payload_len(1), 33);
        assert_eq!(age_payload_len(AGE_CHUNK), 16 + AGE_CHUNK + 16);
        assert_eq!(age_payload_len(AGE_CHUNK + 1), 16 + AGE_CHUNK + 1 + 32);
        // The gap just past a chunk boundary cannot be reached.
        for gap in 1..=16 {
            assert_eq!(plaintext_len_for_payload(16 + AGE_CHUNK + 16 + gap), None);
        }
    }

    proptest! {
        #[test]
        fn bucket_is_smallest_and_idempotent(n in 0u64..(1u64 << 34)) {
            let b = bucket_for(n);
            prop_assert!(b >= n);
            prop_assert!(is_bucket(b));
            prop_assert_eq!(bucket_for(b), b);
            // Nothing published lies between n and b.
            if b > MIN_BUCKET && n < b {
                prop_assert!(bucket_for(b - 1) == b || b - 1 < n);
            }
            // Overhead: at most 2x below 1 MiB, under 12 % above.
            if n > POWER_OF_TWO_LIMIT {
                prop_assert!((b - n) * 100 < n * 12);
            }
        }

        #[test]
        fn pad_unpad_inverse(p in 0u64..(1u64 << 30)) {
            prop_assert_eq!(plaintext_len_for_payload(age_payload_len(p)), Some(p));
        }

        #[test]
        fn unpad_never_lies(payload in 0u64..(1u64 << 30)) {
            if let Some(p) = plaintext_len_for_payload(payload) {
                prop_assert_eq!(age_payload_len(p), payload);
            }
        }
    }
}
