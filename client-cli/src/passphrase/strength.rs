//! The rule a new passphrase must meet: the keystore is only as strong as
//! its passphrase once someone has a copy of `keystore.age` (a backup, a
//! stolen laptop), because scrypt only slows guessing down, it cannot stop it.
//!
//! Two tests, both required:
//!
//! - at least [`MIN_CHARS`] characters: a floor that needs no explaining;
//! - a zxcvbn score of at least [`MIN_SCORE`] (about 10^10 guesses or more):
//!   length alone lets `passwordpassword` through, and zxcvbn knows common
//!   passwords, names, keyboard walks, dates and repeats.
//!
//! It applies only when a passphrase is *set* (`init`); unlocking takes any
//! passphrase that decrypts, so a keystore made before the rule still opens.

use secrecy::{ExposeSecret, SecretString};
use zxcvbn::Score;

use crate::i18n::{self, Lang};
use crate::tr;

/// The shortest passphrase accepted, in characters.
pub const MIN_CHARS: usize = 12;

/// The lowest zxcvbn score accepted: 3 means at least 10^10 guesses, which
/// with the default scrypt factor (about 0.1 s a guess) is centuries on one
/// machine.
pub const MIN_SCORE: Score = Score::Three;

/// What every refusal ends with: how to choose one that passes.
fn advice() -> String {
    tr!("passphrase-advice", min = MIN_CHARS)
}

/// Why a passphrase was refused, and what would help, in the user's
/// language. It never contains the passphrase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}")]
pub struct WeakPassphrase {
    /// Where the passphrase came from, what is wrong with it, zxcvbn's
    /// suggestions (in English only: they are zxcvbn's own English text),
    /// then [`advice`].
    what: String,
}

/// Checks a passphrase about to protect a keystore. `what` names its source
/// in the message.
pub fn check(passphrase: &SecretString, what: &str) -> Result<(), WeakPassphrase> {
    let text = passphrase.expose_secret();
    let chars = text.chars().count();
    let refuse = |problem: String, hints: Vec<String>| {
        let mut lines = vec![tr!("passphrase-too-weak", source = what, problem = problem)];
        if i18n::lang() == Lang::En {
            lines.extend(hints);
        }
        lines.push(advice());
        Err(WeakPassphrase {
            what: lines.join("\n"),
        })
    };
    if chars < MIN_CHARS {
        return refuse(
            tr!("passphrase-too-short", chars = chars, min = MIN_CHARS),
            Vec::new(),
        );
    }
    // No user inputs: the device id and desk are not known yet at `init`.
    let estimate = zxcvbn::zxcvbn(text, &[]);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    let (warning, hints) = match estimate.feedback() {
        Some(feedback) => (
            feedback.warning().map(|w| w.to_string()),
            feedback
                .suggestions()
                .iter()
                .map(ToString::to_string)
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    let problem = match warning.filter(|_| i18n::lang() == Lang::En) {
        Some(warning) => format!("{} ({warning})", tr!("passphrase-guessable")),
        None => tr!("passphrase-guessable"),
    };
    refuse(problem, hints)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> WeakPassphrase {
        check(&SecretString::from(text), "the passphrase").unwrap_err()
    }

    #[test]
    fn short_passphrases_are_refused_with_advice() {
        let err = refused("abc").to_string();
        assert!(err.contains("3 characters"), "{err}");
        assert!(err.contains("at least 12"), "{err}");
        assert!(err.contains(&advice()), "{err}");
    }

    #[test]
    fn long_but_guessable_passphrases_are_refused_with_zxcvbn_feedback() {
        for weak in ["password1password1", "qwertyuiopasdf", "aaaaaaaaaaaaaaaa"] {
            let err = refused(weak).to_string();
            assert!(err.contains("guessed quickly"), "{weak}: {err}");
            assert!(err.contains(&advice()), "{weak}: {err}");
            assert!(
                !err.contains(weak),
                "the message quotes the passphrase: {err}"
            );
        }
    }

    #[test]
    fn strong_passphrases_pass() {
        for strong in [
            "correct horse battery staple",
            "violet anchor gravel sixteen",
            "the kettle sang of Kyoto rain",
        ] {
            check(&SecretString::from(strong), "the passphrase").unwrap();
        }
    }
}
