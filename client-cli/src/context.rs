//! The global options, resolved once for the command that runs.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

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
    /// Keys already unlocked by the web app (ADR 0017): [`Context::unlock`]
    /// hands these out instead of asking for the passphrase.
    pub held_keys: Option<Arc<UnlockedKeys>>,
}

/// The unlocked keys a command works with: its own, unlocked for this
/// command and wiped when it ends, or shared ones (the web app's until it
/// locks, or a session's for the rest of the command).
pub enum Keys {
    /// Unlocked for this command.
    Own(UnlockedKeys),
    /// Shared: held by the web app (wiped when the app locks and the last
    /// request using them has finished), or by the command's session.
    Held(Arc<UnlockedKeys>),
}

impl Deref for Keys {
    type Target = UnlockedKeys;

    fn deref(&self) -> &UnlockedKeys {
        match self {
            Keys::Own(keys) => keys,
            Keys::Held(keys) => keys,
        }
    }
}

impl Keys {
    /// The keys as one shared handle, for a session that keeps them for the
    /// rest of the command (`session::Online`): wiped when its last holder
    /// drops them.
    pub fn shared(self) -> Arc<UnlockedKeys> {
        match self {
            Keys::Own(keys) => Arc::new(keys),
            Keys::Held(keys) => keys,
        }
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([REDACTED])")
    }
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
            held_keys: None,
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
    pub fn unlock(&self) -> Result<Keys, Failure> {
        if let Some(held) = &self.held_keys {
            return Ok(Keys::Held(Arc::clone(held)));
        }
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
                unlocked => return Ok(Keys::Own(unlocked?)),
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
