//! The check an uploaded packet passes before a byte of it is stored: its
//! size is within the limit and is one of the published buckets, and its age
//! header passes the protocol crate's key-less check. The broker never
//! decrypts; this is all it can know, and all it needs.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use referral_protocol::{HeaderLimits, HeaderSummary, check_header, padding};

use crate::error::{ApiError, Refusal};

/// Limits on uploads (SPEC §5: 64 MiB, 64 KiB header, 256 stanzas by default).
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

/// The `Content-Length` an upload declares, if it declares one that reads
/// as a number: an extractor, so that send and rewrap judge it before a
/// byte of the body is read. A length that does not parse is left to the
/// body itself, which is counted as it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeclaredLength(pub Option<u64>);

impl DeclaredLength {
    /// Whether the declared length is over `limit`.
    pub fn exceeds(self, limit: u64) -> bool {
        self.0.is_some_and(|n| n > limit)
    }

    /// Whether a length is declared and is not `len`.
    pub fn differs_from(self, len: u64) -> bool {
        self.0.is_some_and(|n| n != len)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DeclaredLength {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok()),
        ))
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
        return Err(too_large(limits));
    }
    if !padding::is_bucket(total_len) {
        return Err(Refusal::NotPadded { len: total_len }.into());
    }
    check_header(prefix, total_len, &limits.header).map_err(|e| Refusal::AgeHeader(e).into())
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use referral_protocol::RefusalCode;

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
        assert_eq!(err.code(), RefusalCode::NotPadded);
    }

    #[test]
    fn malformed_header_is_422_with_the_header_code() {
        let err = check_upload(&[0u8; 4096], 4096, &IntakeLimits::default()).unwrap_err();
        assert_eq!(err.code(), RefusalCode::NotAge);
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// An uploaded packet body, received and checked, ready for the store.
#[derive(Debug)]
pub struct Upload {
    /// The ciphertext, in memory or spooled.
    pub body: referral_store::PacketBody,
    /// Its length.
    pub len: u64,
    /// Its SHA-256 (the idempotency check compares it).
    pub sha256: [u8; 32],
    /// What its age header holds, and where it ends.
    pub header: HeaderSummary,
    /// The age header's bytes (`header.header_len` of them), which a rewrap
    /// compares with the stored one.
    pub head: Vec<u8>,
}

/// Streams a request body into memory (up to one store chunk) or a 0600
/// spool file in `spool_dir`, enforcing the size limit as bytes arrive and
/// the idle timeout between pieces, then runs [`check_upload`]. Memory use is
/// bounded by the chunk size whatever the body's size.
pub async fn receive(
    body: axum::body::Body,
    limits: &IntakeLimits,
    spool_dir: &std::path::Path,
    idle_timeout: std::time::Duration,
) -> Result<Upload, ApiError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;

    let mut stream = body.into_data_stream();
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut prefix: Vec<u8> = Vec::new();
    let mut memory: Vec<u8> = Vec::new();
    let mut spool: Option<(tempfile::NamedTempFile, tokio::fs::File)> = None;
    let mut len = 0u64;
    let prefix_len = limits.prefix_len();
    loop {
        let next = tokio::time::timeout(idle_timeout, stream.next())
            .await
            .map_err(|_| Refusal::BodyTimeout)?;
        let Some(piece) = next else { break };
        let piece = piece.map_err(|e| body_error(&e, limits))?;
        len += piece.len() as u64;
        if len > limits.max_packet_bytes {
            return Err(too_large(limits));
        }
        ctx.update(&piece);
        if prefix.len() < prefix_len {
            let take = (prefix_len - prefix.len()).min(piece.len());
            prefix.extend_from_slice(&piece[..take]);
        }
        match &mut spool {
            Some((_, file)) => file.write_all(&piece).await.map_err(internal)?,
            None if memory.len() + piece.len() <= referral_store::body::CHUNK_BYTES => {
                memory.extend_from_slice(&piece);
            }
            None => {
                // Too big for memory: move what we have to a spool file.
                let named = tempfile::Builder::new()
                    .prefix(crate::spool::PREFIX)
                    .tempfile_in(spool_dir)
                    .map_err(internal)?;
                let mut file = tokio::fs::File::from_std(named.reopen().map_err(internal)?);
                file.write_all(&memory).await.map_err(internal)?;
                file.write_all(&piece).await.map_err(internal)?;
                memory = Vec::new();
                spool = Some((named, file));
            }
        }
    }
    let header = check_upload(&prefix, len, limits)?;
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(ctx.finish().as_ref());
    let body = match spool {
        None => referral_store::PacketBody::Memory(bytes::Bytes::from(memory)),
        Some((named, mut file)) => {
            use tokio::io::AsyncSeekExt;
            file.flush().await.map_err(internal)?;
            file.seek(std::io::SeekFrom::Start(0))
                .await
                .map_err(internal)?;
            // Unlink now: the open handle keeps the data until it is read,
            // and nothing is left behind if the broker dies.
            named.close().map_err(internal)?;
            referral_store::PacketBody::Spooled { file, len }
        }
    };
    prefix.truncate(header.header_len);
    Ok(Upload {
        body,
        len,
        sha256,
        header,
        head: prefix,
    })
}

/// Over the packet limit: declared, counted while streaming, or stopped by
/// the router's body limit (which is set to the same number).
pub fn too_large(limits: &IntakeLimits) -> ApiError {
    Refusal::PacketTooLarge {
        limit: limits.max_packet_bytes,
    }
    .into()
}

fn body_error(e: &axum::Error, limits: &IntakeLimits) -> ApiError {
    // A length-limit layer or a dropped connection: neither is our fault.
    let text = e.to_string();
    if text.contains("length limit") {
        too_large(limits)
    } else {
        Refusal::BodyError.into()
    }
}

fn internal(e: std::io::Error) -> ApiError {
    ApiError::Internal(anyhow::Error::new(e).context("spooling an upload"))
}
