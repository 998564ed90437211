//! Ids read aloud or typed by hand: a unique prefix of at least
//! [`MIN_PREFIX`] characters stands for the whole id (SPEC §13), wherever a
//! packet, thread, device, request or outbox id is taken.
//!
//! The rule lives here alone; each command supplies the ids it could mean
//! (its inbox, its case store, the directory, the pending requests).

use crate::tr;

/// The shortest prefix taken. Six hex characters leave about one chance in
/// 16 million that two random ids share it.
pub const MIN_PREFIX: usize = 6;

/// Why a typed id does not name exactly one id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixError {
    /// Shorter than [`MIN_PREFIX`] and not a whole id.
    TooShort(String),
    /// No candidate starts with it.
    NoMatch(String),
    /// Several candidates start with it; all of them, so the user can pick.
    Ambiguous {
        /// What was typed.
        typed: String,
        /// The ids it could mean, sorted.
        matches: Vec<String>,
    },
}

impl std::fmt::Display for PrefixError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            PrefixError::TooShort(typed) => {
                tr!("id-prefix-too-short", typed = typed, min = MIN_PREFIX)
            }
            PrefixError::NoMatch(typed) => tr!("id-prefix-no-match", typed = typed),
            PrefixError::Ambiguous { typed, matches } => {
                tr!(
                    "id-prefix-ambiguous",
                    typed = typed,
                    matches = matches.join("\n")
                )
            }
        };
        f.write_str(&text)
    }
}

impl std::error::Error for PrefixError {}

/// The one candidate `typed` names: the candidate equal to it, else the one
/// it is a prefix of. Case and surrounding spaces are ignored; ids are
/// lower-case hex and UUIDs, so a hyphen typed or left out both work.
pub fn resolve<T>(
    typed: &str,
    candidates: impl IntoIterator<Item = (String, T)>,
) -> Result<T, PrefixError> {
    let wanted = normalise(typed);
    let mut starting: Vec<(String, T)> = Vec::new();
    for (id, value) in candidates {
        let id_normal = normalise(&id);
        if id_normal == wanted {
            return Ok(value);
        }
        if id_normal.starts_with(&wanted) {
            starting.push((id, value));
        }
    }
    if wanted.chars().count() < MIN_PREFIX {
        return Err(PrefixError::TooShort(typed.trim().to_owned()));
    }
    match starting.len() {
        0 => Err(PrefixError::NoMatch(typed.trim().to_owned())),
        1 => Ok(starting.pop().expect("one candidate").1),
        _ => {
            let mut matches: Vec<String> = starting.into_iter().map(|(id, _)| id).collect();
            matches.sort();
            Err(PrefixError::Ambiguous {
                typed: typed.trim().to_owned(),
                matches,
            })
        }
    }
}

fn normalise(id: &str) -> String {
    id.trim()
        .chars()
        .filter(|c| *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<(String, u8)> {
        vec![
            ("3f2a9c1e-0000-4000-8000-000000000001".to_owned(), 1),
            ("3f2a9c7b-0000-4000-8000-000000000002".to_owned(), 2),
            ("a1b2c3d4-0000-4000-8000-000000000003".to_owned(), 3),
        ]
    }

    #[test]
    fn ok_whole_id_and_unique_prefix() {
        assert_eq!(
            resolve("3f2a9c1e-0000-4000-8000-000000000001", ids()),
            Ok(1)
        );
        assert_eq!(resolve("a1b2c3", ids()), Ok(3));
        assert_eq!(resolve(" A1B2C3D4 ", ids()), Ok(3));
        assert_eq!(resolve("3f2a9c7", ids()), Ok(2));
    }

    #[test]
    fn fail_short_prefix_even_if_unique() {
        assert_eq!(
            resolve("a1b2c", ids()),
            Err(PrefixError::TooShort("a1b2c".into()))
        );
    }

    #[test]
    fn fail_ambiguous_lists_every_match() {
        let Err(PrefixError::Ambiguous { matches, .. }) = resolve("3f2a9c", ids()) else {
            panic!("expected an ambiguous prefix");
        };
        assert_eq!(matches.len(), 2);
        let message = resolve("3f2a9c", ids()).unwrap_err().to_string();
        assert!(
            message.contains("3f2a9c1e-0000-4000-8000-000000000001"),
            "{message}"
        );
        assert!(
            message.contains("3f2a9c7b-0000-4000-8000-000000000002"),
            "{message}"
        );
    }

    #[test]
    fn fail_no_match() {
        assert_eq!(
            resolve("ffffff", ids()),
            Err(PrefixError::NoMatch("ffffff".into()))
        );
    }
}
