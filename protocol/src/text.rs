//! Text that came from someone else, and the characters in it that must
//! never reach a person's screen, or a file name, as they are.
//!
//! The one place that says which characters are unsafe to show. The client's
//! terminal output escapes them ([`is_unsafe_to_show`]), and attachment names
//! ([`crate::attachment_name`]) may not carry them: a packet's text and names
//! are written by another desk, and a control sequence or a bidirectional
//! override in them can make a terminal or a file browser show something
//! other than what the packet says.

/// C0 controls, DEL and C1 controls (Unicode category Cc). ESC starts
/// terminal sequences that move the cursor, erase lines or set the window
/// title; CR and backspace overwrite what was shown; U+009B is a one-byte
/// CSI for terminals that read C1.
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// Characters a terminal or file browser does not show, or that reorder or
/// break what is around them: the Arabic letter mark (U+061C), zero-width
/// spaces, joiners and directional marks (U+200B–U+200F), the line and
/// paragraph separators (U+2028, U+2029: some terminals and pagers break the
/// line there, which forges a new line as well as a newline does),
/// directional embeddings and overrides (U+202A–U+202E), the word joiner,
/// invisible operators and directional isolates (U+2060–U+2069), and the
/// zero-width no-break space (U+FEFF).
pub fn is_invisible_formatting(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Whether `c` must be escaped before it is shown, or kept out of a file
/// name: a control or an invisible formatting character.
pub fn is_unsafe_to_show(c: char) -> bool {
    is_control(c) || is_invisible_formatting(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listed_characters_are_unsafe_and_ordinary_text_is_not() {
        for c in [
            '\0', '\u{7}', '\u{8}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}',
            '\u{9f}', '\u{061C}', '\u{200B}', '\u{200E}', '\u{200F}', '\u{2028}', '\u{2029}',
            '\u{202A}', '\u{202E}', '\u{2060}', '\u{2066}', '\u{2069}', '\u{FEFF}',
        ] {
            assert!(is_unsafe_to_show(c), "{:?}", c);
        }
        for c in "Nguyen Thi 阮氏 東京都 مرحبا ü é ñ -_.,;:'\"() 080-4417".chars() {
            assert!(!is_unsafe_to_show(c), "{:?}", c);
        }
        // Neighbours of the listed ranges are ordinary.
        for c in [
            '\u{061B}', '\u{200A}', '\u{2027}', '\u{202F}', '\u{205F}', '\u{206A}',
        ] {
            assert!(!is_unsafe_to_show(c), "{:?}", c);
        }
    }
}
