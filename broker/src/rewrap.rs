//! The broker's rule for a rewrap (ADR 0004): the new ciphertext may differ
//! from the stored one only in its age header. The payload (the nonce and
//! every encrypted chunk after the header's MAC line) must be byte-identical,
//! so the packet is still exactly what its sender signed and sealed; only
//! which keys can unwrap its file key has changed. Within the header, the
//! protocol crate's `rewrap_rule` allows exactly one X25519 stanza to be
//! replaced (and so the MAC line), so no device cuts its colleagues off.
//!
//! The protocol crate's header check reports where a header ends
//! (`header_check::header_len`, the boundary `referral rewrap` keeps); the
//! comparison then
//! walks the stored chunks and the received body side by side, one store
//! chunk at a time, so at most two chunks are in memory whatever the size.

use std::io::SeekFrom;

use referral_protocol::header_check::header_len;
use referral_protocol::{HeaderLimits, PacketId};
use referral_store::{PacketBody, Store, StoreError};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Why a rewrap's payload could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The store failed, or a stored packet ended early.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the spooled upload failed.
    #[error("reading the spooled rewrap: {0}")]
    Spool(#[from] std::io::Error),
    /// The stored ciphertext's header does not pass the check it passed at
    /// intake (the limits were lowered since, or the row is damaged).
    #[error("the stored packet's age header does not parse: {0}")]
    StoredHeader(#[from] referral_protocol::HeaderError),
}

/// The age header of the stored ciphertext of `id`: the header is inside
/// its first chunk (64 KiB at most, a chunk is 1 MiB).
pub async fn stored_header(
    store: &dyn Store,
    id: &PacketId,
    limits: &HeaderLimits,
) -> Result<Vec<u8>, CompareError> {
    let first = store
        .packet_chunk(id, 0)
        .await?
        .ok_or_else(|| StoreError::Corrupt("a pending packet has no ciphertext".into()))?;
    let len = header_len(&first, limits)?;
    Ok(first[..len].to_vec())
}

/// Whether `body` (the received rewrap, as long as the stored ciphertext)
/// is byte-identical to the stored ciphertext of `id` from `from` on. A
/// spooled body is rewound afterwards, ready to be stored.
pub async fn same_from(
    store: &dyn Store,
    id: &PacketId,
    body: &mut PacketBody,
    from: u64,
) -> Result<bool, CompareError> {
    let total = body.len();
    let mut reader = Reader::new(body);
    let mut offset = 0u64;
    let mut seq = 0u32;
    let mut same = true;
    while let Some(stored) = store.packet_chunk(id, seq).await? {
        let len = stored.len() as u64;
        if offset + len > total {
            same = false;
            break;
        }
        let received = reader.take(stored.len()).await?;
        // Only the part of this chunk at or after `from` must agree.
        let start = usize::try_from(from.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(stored.len());
        if stored[start..] != received[start..] {
            same = false;
            break;
        }
        offset += len;
        seq += 1;
    }
    reader.rewind().await?;
    Ok(same && offset == total)
}

/// Reads a body in pieces: slices of a memory body, reads of a spool file.
enum Reader<'a> {
    Memory {
        bytes: &'a bytes::Bytes,
        at: usize,
    },
    Spooled {
        file: &'a mut tokio::fs::File,
        buf: Vec<u8>,
    },
}

impl<'a> Reader<'a> {
    fn new(body: &'a mut PacketBody) -> Self {
        match body {
            PacketBody::Memory(bytes) => Reader::Memory { bytes, at: 0 },
            PacketBody::Spooled { file, .. } => Reader::Spooled {
                file,
                buf: Vec::new(),
            },
        }
    }

    /// The next `n` bytes (the caller checked that many remain).
    async fn take(&mut self, n: usize) -> std::io::Result<&[u8]> {
        match self {
            Reader::Memory { bytes, at } => {
                let piece = &bytes[*at..*at + n];
                *at += n;
                Ok(piece)
            }
            Reader::Spooled { file, buf } => {
                buf.resize(n, 0);
                file.read_exact(buf).await?;
                Ok(buf)
            }
        }
    }

    async fn rewind(self) -> std::io::Result<()> {
        if let Reader::Spooled { file, .. } = self {
            file.seek(SeekFrom::Start(0)).await?;
        }
        Ok(())
    }
}
