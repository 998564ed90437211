//! The check an uploaded packet passes before a byte of it is stored: its
//! size is within the limit and is one of the published buckets, and its age
//! header passes the protocol crate's key-less check. The broker never
//! decrypts; this is all it can know, and all it needs.

use axum::http::StatusCode;
use referral_protocol::{HeaderLimits, HeaderSummary, check_header, padding};

use crate::error::ApiError;

/// Limits on uploads (SPEC §5: 64 MiB, 16 KiB header, 256 stanzas by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeLimits {
    /// Largest packet accepted, in bytes.
    pub max_packet_bytes: u64,
    /// Header limits.
    pub header: HeaderLimits,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_packet_bytes: 64 << 20,
            header: HeaderLimits::default(),
        }
    }
}

impl IntakeLimits {
    /// How many leading bytes [`check_upload`] needs to see.
    pub fn prefix_len(&self) -> usize {
        self.header.max_header_bytes + 64
    }
}

/// Checks an upload of `total_len` bytes whose first bytes are `prefix`
/// (at least [`IntakeLimits::prefix_len`] of them, or the whole body).
pub fn check_upload(
    prefix: &[u8],
    total_len: u64,
    limits: &IntakeLimits,
) -> Result<HeaderSummary, ApiError> {
    if total_len > limits.max_packet_bytes {
        return Err(ApiError::client(
            StatusCode::PAYLOAD_TOO_LARGE,
            "packet_too_large",
            format!("packets are limited to {} bytes", limits.max_packet_bytes),
        ));
    }
    if !padding::is_bucket(total_len) {
        return Err(ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_padded",
            format!(
                "{total_len} bytes is not one of the published packet sizes (docs/protocol.md)"
            ),
        ));
    }
    check_header(prefix, total_len, &limits.header)
        .map_err(|e| ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_is_413_before_anything_else() {
        let limits = IntakeLimits {
            max_packet_bytes: 8192,
            ..Default::default()
        };
        let err = check_upload(b"junk", 16384, &limits).unwrap_err();
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn unpadded_sizes_are_refused() {
        let err =
            check_upload(b"age-encryption.org/v1\n", 5000, &IntakeLimits::default()).unwrap_err();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(matches!(
            err,
            ApiError::Client {
                code: "not_padded",
                ..
            }
        ));
    }

    #[test]
    fn malformed_header_is_422_with_the_header_code() {
        let err = check_upload(&[0u8; 4096], 4096, &IntakeLimits::default()).unwrap_err();
        assert!(matches!(
            err,
            ApiError::Client {
                code: "not_age",
                ..
            }
        ));
    }
}
