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

/// The shortest passphrase accepted, in characters.
pub const MIN_CHARS: usize = 12;

/// The lowest zxcvbn score accepted: 3 means at least 10^10 guesses, which
/// with the default scrypt factor (about 0.1 s a guess) is centuries on one
/// machine.
pub const MIN_SCORE: Score = Score::Three;

/// What every refusal ends with: how to choose one that passes.
pub const ADVICE: &str = "Choose a passphrase of four or more unrelated words, or a \
     sentence only you would write (at least 12 characters); avoid names, dates and \
     well-known phrases.";

/// Why a passphrase was refused, and what would help. It never contains the
/// passphrase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is too weak: {problem}\n{advice}")]
pub struct WeakPassphrase {
    /// Where the passphrase came from ("the passphrase", "REFERRAL_PASSPHRASE", ...).
    what: String,
    /// What is wrong with it.
    problem: String,
    /// zxcvbn's suggestions, then [`ADVICE`].
    advice: String,
}

/// Checks a passphrase about to protect a keystore. `what` names its source
/// in the message.
pub fn check(passphrase: &SecretString, what: &str) -> Result<(), WeakPassphrase> {
    let text = passphrase.expose_secret();
    let chars = text.chars().count();
    let refuse = |problem: String, hints: Vec<String>| {
        let mut advice: Vec<String> = hints;
        advice.push(ADVICE.to_owned());
        Err(WeakPassphrase {
            what: what.to_owned(),
            problem,
            advice: advice.join("\n"),
        })
    };
    if chars < MIN_CHARS {
        return refuse(
            format!("it has {chars} characters, and at least {MIN_CHARS} are required"),
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
    let problem = match warning {
        Some(warning) => format!("it would be guessed quickly ({warning})"),
        None => "it would be guessed quickly".to_owned(),
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
        assert!(err.contains(ADVICE), "{err}");
    }

    #[test]
    fn long_but_guessable_passphrases_are_refused_with_zxcvbn_feedback() {
        for weak in ["password1password1", "qwertyuiopasdf", "aaaaaaaaaaaaaaaa"] {
            let err = refused(weak).to_string();
            assert!(err.contains("guessed quickly"), "{weak}: {err}");
            assert!(err.contains(ADVICE), "{weak}: {err}");
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
