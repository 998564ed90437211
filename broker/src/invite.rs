//! One-time invite codes (ADR 0004): 20 symbols of Crockford's base32
//! (100 random bits), shown in groups of five for reading aloud or typing,
//! stored only as a domain-separated SHA-256.
//!
//! The alphabet has no I, L, O or U, so nothing looks like a digit or spells
//! a word; typing is forgiving in the Crockford way (any case, `O` for 0,
//! `I`/`L` for 1, any hyphens or spaces), and every spelling of one code has
//! one hash.

use ring::rand::{SecureRandom, SystemRandom};

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols in a code.
pub const CODE_SYMBOLS: usize = 20;
/// Symbols between hyphens when shown.
const GROUP: usize = 5;

/// A fresh code, grouped for reading: `XXXXX-XXXXX-XXXXX-XXXXX`.
pub fn generate() -> Result<String, ring::error::Unspecified> {
    let mut raw = [0u8; CODE_SYMBOLS];
    SystemRandom::new().fill(&mut raw)?;
    let mut code = String::with_capacity(CODE_SYMBOLS + CODE_SYMBOLS / GROUP);
    for (i, byte) in raw.iter().enumerate() {
        if i > 0 && i % GROUP == 0 {
            code.push('-');
        }
        // 32 divides 256, so this is uniform.
        code.push(char::from(ALPHABET[usize::from(byte % 32)]));
    }
    Ok(code)
}

/// The code's canonical symbols, or `None` if it cannot be a code. The
/// bootstrap code uses the same format and spelling rules.
pub(crate) fn normalise(code: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_SYMBOLS);
    for c in code.chars() {
        let symbol = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(symbol);
        if out.len() > CODE_SYMBOLS {
            return None;
        }
    }
    (out.len() == CODE_SYMBOLS).then_some(out)
}

/// The hash the store keeps and looks codes up by; `None` for text that is
/// no code at all (it cannot match any invite).
pub fn code_hash(code: &str) -> Option<[u8; 32]> {
    let symbols = normalise(code)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"referral-broker invite code v1\0");
    ctx.update(symbols.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_from_the_alphabet() {
        let code = generate().unwrap();
        assert_eq!(code.len(), 23);
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| g.len() == 5));
        assert!(
            code.bytes()
                .filter(|b| *b != b'-')
                .all(|b| ALPHABET.contains(&b))
        );
        assert_ne!(generate().unwrap(), code, "random");
    }

    #[test]
    fn every_spelling_of_a_code_has_one_hash() {
        let code = "0123A-BCDEF-GH1JK-MNPQR";
        let hash = code_hash(code).unwrap();
        for spelling in [
            "0123ABCDEFGH1JKMNPQR",
            "0123a-bcdef-gh1jk-mnpqr",
            "o123A BCDEF GHIJK MNPQR",
            "0123A-BCDEF-GHlJK-MNPQR",
        ] {
            assert_eq!(code_hash(spelling), Some(hash), "{spelling}");
        }
        assert_ne!(code_hash("0123A-BCDEF-GH1JK-MNPQS"), Some(hash));
    }

    #[test]
    fn text_that_cannot_be_a_code_has_no_hash() {
        for bad in [
            "",
            "0123A-BCDEF-GH1JK-MNPQ",
            "0123A-BCDEF-GH1JK-MNPQRS",
            "0123A-BCDEF-GH1JK-MNPQU",
            "0123A-BCDEF-GH1JK-MNPQ!",
            "０123A-BCDEF-GH1JK-MNPQR",
        ] {
            assert_eq!(code_hash(bad), None, "{bad:?}");
        }
    }
}
