//! The caps in force: the configured limits, bounded by the file limit the
//! process was started with.

use std::time::Duration;

use crate::config::Limits;

/// File descriptors always left for everything but client sockets: the
/// listener, the database files and pool, spool files, the runtime's own.
const MIN_RESERVED_FILES: u64 = 64;

/// No deployment needs more connections than this; an unlimited file limit
/// must not make the cap meaningless.
const MAX_TOTAL: u64 = 1 << 20;

/// A file limit the broker cannot serve under.
#[derive(Debug, thiserror::Error)]
pub enum CapsError {
    /// Too few files to keep the reserve and serve anyone.
    #[error(
        "the open-file limit ({limit}) is too low to serve: raise it (ulimit -n, \
         LimitNOFILE=) to at least {needed}"
    )]
    FileLimitTooLow {
        /// The soft limit read at start.
        limit: u64,
        /// The least that works.
        needed: u64,
    },
}

/// The caps and timeout in force for this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Connections open at once, all clients together.
    pub total: usize,
    /// Connections open at once from one client address; requests in flight
    /// for one forwarded address.
    pub per_address: usize,
    /// Longest wait for a complete request head.
    pub header_read_timeout: Duration,
    /// The soft open-file limit the total was derived from.
    pub file_limit: u64,
}

impl Caps {
    /// The caps for `limits` under the soft open-file limit `file_limit`.
    /// A quarter of the file table (at least `MIN_RESERVED_FILES`) is
    /// reserved; the rest may hold client sockets. A configured
    /// `max_connections` above that is lowered to it: a broker out of file
    /// descriptors cannot accept even its own health check.
    pub fn new(limits: &Limits, file_limit: u64) -> Result<Self, CapsError> {
        let reserved = (file_limit / 4).max(MIN_RESERVED_FILES);
        let needed = 2 * MIN_RESERVED_FILES;
        if file_limit < needed {
            return Err(CapsError::FileLimitTooLow {
                limit: file_limit,
                needed,
            });
        }
        let by_files = (file_limit - reserved).min(MAX_TOTAL);
        let total = limits
            .max_connections
            .map_or(by_files, |configured| u64::from(configured).min(by_files));
        let per_address = u64::from(limits.max_connections_per_address).min(total);
        Ok(Self {
            total: usize::try_from(total).unwrap_or(usize::MAX),
            per_address: usize::try_from(per_address).unwrap_or(usize::MAX),
            header_read_timeout: Duration::from_secs(limits.header_read_timeout_secs),
            file_limit,
        })
    }
}

/// The process's soft open-file limit (`RLIMIT_NOFILE`), read at start.
pub fn soft_file_limit() -> std::io::Result<u64> {
    let (soft, _hard) = rlimit::Resource::NOFILE.get()?;
    Ok(soft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_stays_below_the_file_limit() {
        let limits = Limits::default();
        let caps = Caps::new(&limits, 1024).unwrap();
        assert_eq!(caps.total, 768);
        assert_eq!(caps.per_address, 64);
        assert_eq!(caps.header_read_timeout, Duration::from_secs(10));
        let low = Caps::new(&limits, 256).unwrap();
        assert_eq!(low.total, 192, "64 files are always reserved");
        assert_eq!(Caps::new(&limits, 128).unwrap().total, 64);
        assert!(Caps::new(&limits, 127).is_err());
        assert_eq!(Caps::new(&limits, u64::MAX).unwrap().total, 1 << 20);
    }

    #[test]
    fn configured_caps_are_lowered_to_what_the_files_allow() {
        let limits = Limits {
            max_connections: Some(10_000),
            max_connections_per_address: 50_000,
            ..Limits::default()
        };
        let caps = Caps::new(&limits, 1024).unwrap();
        assert_eq!((caps.total, caps.per_address), (768, 768));
        let limits = Limits {
            max_connections: Some(100),
            ..Limits::default()
        };
        assert_eq!(Caps::new(&limits, 1024).unwrap().total, 100);
    }
}
