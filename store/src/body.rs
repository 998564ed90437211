//! A packet's ciphertext on its way into the store: in memory when small,
//! spooled to a temporary file when large, read back in chunks either way so
//! that no backend ever holds a whole large packet in memory.

use std::io;

use bytes::Bytes;
use tokio::io::AsyncReadExt;

/// Largest chunk stored in one row.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The ciphertext of a packet being stored.
#[derive(Debug)]
pub enum PacketBody {
    /// Small bodies (at most [`CHUNK_BYTES`]).
    Memory(Bytes),
    /// Large bodies, spooled to a temporary file that is deleted when dropped.
    Spooled {
        /// The spool file, positioned at its start.
        file: tokio::fs::File,
        /// Its length.
        len: u64,
    },
}

impl PacketBody {
    /// Total length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Self::Memory(b) => b.len() as u64,
            Self::Spooled { len, .. } => *len,
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads the body as chunks of at most [`CHUNK_BYTES`], in order.
    pub fn into_chunks(self) -> Chunks {
        Chunks {
            body: self,
            seq: 0,
            read: 0,
        }
    }
}

/// A body being read chunk by chunk.
#[derive(Debug)]
pub struct Chunks {
    body: PacketBody,
    seq: u32,
    read: u64,
}

impl Chunks {
    /// The next chunk and its sequence number, or `None` at the end.
    pub async fn next_chunk(&mut self) -> io::Result<Option<(u32, Bytes)>> {
        let chunk = match &mut self.body {
            PacketBody::Memory(rest) => {
                if rest.is_empty() {
                    return Ok(None);
                }
                rest.split_to(rest.len().min(CHUNK_BYTES))
            }
            PacketBody::Spooled { file, len } => {
                let left = *len - self.read;
                if left == 0 {
                    return Ok(None);
                }
                let mut buf = vec![0u8; left.min(CHUNK_BYTES as u64) as usize];
                file.read_exact(&mut buf).await?;
                Bytes::from(buf)
            }
        };
        self.read += chunk.len() as u64;
        let seq = self.seq;
        self.seq += 1;
        Ok(Some((seq, chunk)))
    }
}
