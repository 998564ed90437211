//! The global options, resolved once for the command that runs.

use std::path::PathBuf;

use anyhow::anyhow;
use directories::ProjectDirs;
use secrecy::SecretString;

use crate::cli::GlobalArgs;
use crate::exit::Failure;
use crate::keystore::{Keystore, KeystoreError, UnlockedKeys};
use crate::output::Format;
use crate::passphrase::{self, Purpose};

/// How many times a passphrase may be typed at the prompt.
pub const PROMPT_TRIES: u32 = 3;

/// What every command needs to know about how it was invoked.
#[derive(Debug, Clone)]
pub struct Context {
    /// The home directory: `--home`, `REFERRAL_HOME`, or the OS data dir.
    pub home: PathBuf,
    /// Text or JSON on stdout.
    pub format: Format,
    /// `--passphrase-file`, if given.
    pub passphrase_file: Option<PathBuf>,
}

impl Context {
    /// Resolves the global options. Fails only if no home was given and the
    /// OS data directory cannot be determined (no `$HOME`).
    pub fn from_args(args: &GlobalArgs) -> anyhow::Result<Self> {
        let home = match &args.home {
            Some(home) => home.clone(),
            None => default_home()?,
        };
        Ok(Self {
            home,
            format: if args.json {
                Format::Json
            } else {
                Format::Human
            },
            passphrase_file: args.passphrase_file.clone(),
        })
    }

    /// The keystore passphrase, from the first available source.
    pub fn passphrase(&self, purpose: Purpose) -> anyhow::Result<SecretString> {
        passphrase::obtain(self.passphrase_file.as_deref(), purpose, &self.home)
    }

    /// The keystore, unlocked. A passphrase typed at the prompt may be typed
    /// again after a mistake, up to [`PROMPT_TRIES`] times; one from a file
    /// or the environment is tried once, since trying it again would give
    /// the same answer.
    pub fn unlock(&self) -> Result<UnlockedKeys, Failure> {
        let tries = if passphrase::will_prompt(self.passphrase_file.as_deref()) {
            PROMPT_TRIES
        } else {
            1
        };
        let mut attempt = 1;
        loop {
            let passphrase = self.passphrase(Purpose::Unlock)?;
            match Keystore::unlock(&self.home, &passphrase) {
                Err(KeystoreError::WrongPassphrase) if attempt < tries => {
                    crate::output::warn(&crate::tr!(
                        "errors-passphrase-again",
                        left = tries - attempt
                    ));
                    attempt += 1;
                }
                unlocked => return Ok(unlocked?),
            }
        }
    }
}

/// The per-user data directory, e.g. `~/.local/share/referral` on Linux:
/// private keys belong with the user's data, not in config (which people
/// sync and publish) or cache (which gets deleted).
fn default_home() -> anyhow::Result<PathBuf> {
    ProjectDirs::from("org", "referral", "referral")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| {
            anyhow!(
                "cannot determine the default home directory (is $HOME set?): \
                 pass --home DIR or set REFERRAL_HOME"
            )
        })
}
