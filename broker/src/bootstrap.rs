//! First start: the bootstrap code that lets the first administrator claim
//! the broker (SPEC §4, "Root").
//!
//! While no root exists and no unexpired code is pending, the broker makes a
//! fresh random code, stores only its hash, prints it to stderr and writes it
//! to `<data-dir>/bootstrap-code` (mode 0600). The code works once and
//! expires after [`CODE_TTL_SECS`]; the file is removed once it is claimed.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use referral_store::{Store, StoreError, UnixTime};

/// How long a bootstrap code is valid.
pub const CODE_TTL_SECS: i64 = 24 * 3600;

/// The file the code is written to.
pub fn code_path(data_dir: &Path) -> PathBuf {
    data_dir.join("bootstrap-code")
}

/// The hash the store keeps instead of the code. The code has the invite
/// codes' format (`XXXXX-XXXXX-XXXXX-XXXXX`, Crockford base32: read off a
/// console and typed by a person, never starting with `-`), and any
/// spelling of it that the invite rules accept hashes alike. Text that is no
/// code at all hashes as itself and so matches nothing.
pub fn code_hash(code: &str) -> [u8; 32] {
    let canonical = crate::invite::normalise(code);
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"referral-broker bootstrap code v2\0");
    ctx.update(canonical.as_deref().unwrap_or(code).as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// What start-up did about bootstrapping.
#[derive(Debug, PartialEq, Eq)]
pub enum BootstrapState {
    /// The broker has a root; no code exists.
    Claimed,
    /// An earlier code is still valid (its file holds it).
    Pending,
    /// A new code was made.
    NewCode(String),
}

/// Makes a bootstrap code if the broker is unclaimed and has none pending.
pub async fn ensure_code(
    store: &dyn Store,
    data_dir: &Path,
    now: UnixTime,
) -> Result<BootstrapState, anyhow::Error> {
    if store.root_key().await?.is_some() {
        // Claimed: the code file, if any, is useless now.
        remove_code_file(data_dir);
        return Ok(BootstrapState::Claimed);
    }
    if store.has_bootstrap_code(now).await? && code_path(data_dir).exists() {
        return Ok(BootstrapState::Pending);
    }
    let code = crate::invite::generate().map_err(|_| anyhow::anyhow!("system RNG failed"))?;
    match store
        .set_bootstrap_code(code_hash(&code), now + CODE_TTL_SECS)
        .await
    {
        Ok(()) => {}
        Err(StoreError::AlreadyClaimed) => return Ok(BootstrapState::Claimed),
        Err(e) => return Err(e.into()),
    }
    write_code_file(data_dir, &code)?;
    Ok(BootstrapState::NewCode(code))
}

/// Removes the code file once the broker is claimed (at the claim, and at
/// every start after it). A failure is logged, never fatal: the code in it
/// no longer works.
pub fn remove_code_file(data_dir: &Path) {
    match std::fs::remove_file(code_path(data_dir)) {
        Ok(()) => tracing::info!("removed the spent bootstrap-code file"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "could not remove the spent bootstrap-code file"),
    }
}

fn write_code_file(data_dir: &Path, code: &str) -> std::io::Result<()> {
    let path = code_path(data_dir);
    let _ = std::fs::remove_file(&path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    writeln!(f, "{code}")?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_typeable_and_its_spellings_hash_alike() {
        let code = crate::invite::generate().unwrap();
        assert!(!code.starts_with('-'), "clap would read it as a flag");
        let hash = code_hash(&code);
        assert_eq!(code_hash(&code.to_lowercase()), hash);
        assert_eq!(code_hash(&format!("  {}  ", code.replace('-', " "))), hash);
        assert_ne!(code_hash(&crate::invite::generate().unwrap()), hash);
        // Not a code at all: hashes as itself, matching no code.
        assert_ne!(code_hash("not a code"), hash);
        // Bootstrap and invite hashes never coincide (separate domains).
        assert_ne!(Some(hash), crate::invite::code_hash(&code));
    }
}
