//! Where the keystore passphrase comes from.
//!
//! In order: `--passphrase-file FILE` (its first line), then the environment
//! variable `REFERRAL_PASSPHRASE`, then a prompt on the terminal. The first
//! source that is *present* is used, and a present but unusable source (an
//! unreadable file, an empty variable) is an error rather than a reason to
//! try the next one: silently falling through would hide a broken script.
//!
//! The prompt is offered only when stdin is a terminal, so a script or a
//! cron job without a passphrase fails at once with a message naming the
//! three options, instead of hanging on a prompt nobody will answer.
//!
//! A passphrase that protects a new keystore ([`Purpose::Create`]) must also
//! pass [`strength::check`], whichever source it came from.

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::Path;

use anyhow::{Context as _, bail};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::tr;

pub mod strength;

/// The environment variable holding the passphrase.
pub const ENV: &str = "REFERRAL_PASSPHRASE";

/// Passphrase files are read up to this many bytes: a passphrase is a line,
/// and a bound keeps `--passphrase-file /dev/zero` from eating memory.
const MAX_FILE_LEN: usize = 4096;

/// What the passphrase is for, which decides how the prompt behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Protecting a new keystore: the prompt asks twice, to catch typos that
    /// would otherwise lock the user out for good.
    Create,
    /// Unlocking an existing keystore.
    Unlock,
}

/// Gets the passphrase from the first available source (see the module
/// documentation). `home` only appears in the prompt, so that users with
/// several homes know which keystore is meant.
pub fn obtain(file: Option<&Path>, purpose: Purpose, home: &Path) -> anyhow::Result<SecretString> {
    let strong_enough = |passphrase: SecretString, what: &str| match purpose {
        Purpose::Create => {
            strength::check(&passphrase, what)?;
            Ok(passphrase)
        }
        Purpose::Unlock => Ok(passphrase),
    };
    if let Some(path) = file {
        return strong_enough(
            from_file(path)?,
            &tr!("passphrase-source-file", path = path.display().to_string()),
        );
    }
    if let Some(value) = std::env::var_os(ENV) {
        let value = Zeroizing::new(
            value
                .into_string()
                .map_err(|_| anyhow::anyhow!(tr!("passphrase-env-not-utf8", name = ENV)))?,
        );
        return strong_enough(non_empty(SecretString::from(value.as_str()), ENV)?, ENV);
    }
    if io::stdin().is_terminal() {
        return prompt(purpose, home);
    }
    bail!(tr!("passphrase-none-available", name = ENV))
}

/// Whether [`obtain`] will prompt on the terminal: no file, no variable,
/// and stdin a terminal. Only a typed passphrase is worth asking again.
pub fn will_prompt(file: Option<&Path>) -> bool {
    file.is_none() && std::env::var_os(ENV).is_none() && io::stdin().is_terminal()
}

fn from_file(path: &Path) -> anyhow::Result<SecretString> {
    let what = || {
        tr!(
            "passphrase-file-unreadable",
            path = path.display().to_string()
        )
    };
    let file = File::open(path).with_context(what)?;
    // Sized up front so that reading never reallocates and leaves copies.
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_FILE_LEN + 1));
    file.take(MAX_FILE_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(what)?;
    let line = first_line(&bytes);
    if line.len() > MAX_FILE_LEN - 1 {
        bail!(tr!(
            "passphrase-file-line-too-long",
            path = path.display().to_string(),
            max = MAX_FILE_LEN - 1
        ));
    }
    let text = std::str::from_utf8(line).map_err(|_| {
        anyhow::anyhow!(tr!(
            "passphrase-file-not-utf8",
            path = path.display().to_string()
        ))
    })?;
    non_empty(
        SecretString::from(text),
        &tr!("passphrase-source-file", path = path.display().to_string()),
    )
}

/// The first line, without its line ending (`\n` or `\r\n`).
fn first_line(bytes: &[u8]) -> &[u8] {
    let line = match bytes.iter().position(|&b| b == b'\n') {
        Some(end) => &bytes[..end],
        None => bytes,
    };
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn prompt(purpose: Purpose, home: &Path) -> anyhow::Result<SecretString> {
    let read = |text: &str| -> anyhow::Result<SecretString> {
        let typed = Zeroizing::new(
            rpassword::prompt_password(text)
                .with_context(|| tr!("passphrase-terminal-unreadable"))?,
        );
        Ok(SecretString::from(typed.as_str()))
    };
    match purpose {
        Purpose::Unlock => non_empty(
            read(&tr!(
                "passphrase-prompt-unlock",
                home = home.display().to_string()
            ))?,
            &tr!("passphrase-source-prompt"),
        ),
        Purpose::Create => {
            let first = non_empty(
                read(&tr!(
                    "passphrase-prompt-create",
                    home = home.display().to_string()
                ))?,
                &tr!("passphrase-source-prompt"),
            )?;
            // Before asking again: a refused passphrase need not be typed twice.
            strength::check(&first, &tr!("passphrase-source-prompt"))?;
            let again = read(&tr!("passphrase-prompt-again"))?;
            if first.expose_secret() != again.expose_secret() {
                bail!(tr!("passphrase-mismatch"));
            }
            Ok(first)
        }
    }
}

fn non_empty(passphrase: SecretString, source: &str) -> anyhow::Result<SecretString> {
    if passphrase.expose_secret().is_empty() {
        bail!(tr!("passphrase-empty", source = source));
    }
    Ok(passphrase)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn first_line_strips_the_line_ending_only() {
        assert_eq!(first_line(b"pass word\n"), b"pass word");
        assert_eq!(first_line(b"pass word\r\nsecond"), b"pass word");
        assert_eq!(first_line(b"no newline"), b"no newline");
        assert_eq!(first_line(b" spaced \n"), b" spaced ");
        assert_eq!(first_line(b"\nsecond"), b"");
        assert_eq!(first_line(b""), b"");
    }

    #[test]
    fn files_give_their_first_line_and_empty_ones_are_refused() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"correct horse\nignored\n").unwrap();
        let got = from_file(file.path()).unwrap();
        assert_eq!(got.expose_secret(), "correct horse");

        let empty = tempfile::NamedTempFile::new().unwrap();
        let err = from_file(empty.path()).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");

        let mut blank = tempfile::NamedTempFile::new().unwrap();
        blank.write_all(b"\nsecond line\n").unwrap();
        assert!(from_file(blank.path()).is_err());
    }

    #[test]
    fn overlong_and_non_utf8_files_are_refused() {
        let mut long = tempfile::NamedTempFile::new().unwrap();
        long.write_all(&vec![b'a'; MAX_FILE_LEN + 10]).unwrap();
        assert!(from_file(long.path()).is_err());

        let mut latin1 = tempfile::NamedTempFile::new().unwrap();
        latin1.write_all(b"caf\xe9\n").unwrap();
        assert!(from_file(latin1.path()).is_err());
    }

    #[test]
    fn a_missing_file_is_an_error_not_a_fallthrough() {
        let err = obtain(
            Some(Path::new("/nonexistent/passphrase")),
            Purpose::Unlock,
            Path::new("/home"),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("/nonexistent/passphrase"),
            "{err:#}"
        );
    }
}
