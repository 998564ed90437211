//! Lining text up in a terminal when labels are in Japanese as well as in
//! English or Vietnamese: a CJK character takes two columns, so padding by
//! `char` count (what `{:<14}` does) would push every Japanese value out of
//! line.
//!
//! The widths here are for our own labels and headings (catalog text); a
//! value from someone else is escaped first and only ever placed after
//! them, so an odd width in it can misalign nothing but itself.

use std::io::{self, Write};

use crate::terminal;

/// Where a labelled value starts: two spaces, a 14-column label, a space.
pub const LABEL_COLUMNS: usize = 14;

/// The column a labelled value starts in, for continuation lines.
pub const VALUE_COLUMN: usize = 2 + LABEL_COLUMNS + 1;

/// How many terminal columns `text` takes: two for East Asian wide and
/// full-width characters (Unicode's UAX #11 `W` and `F` blocks that our
/// languages use), one for the rest.
pub fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let wide = matches!(u32::from(c),
        0x1100..=0x115F        // Hangul Jamo
        | 0x2E80..=0x303E      // CJK radicals, punctuation
        | 0x3041..=0x33FF      // kana, CJK symbols
        | 0x3400..=0x4DBF      // CJK extension A
        | 0x4E00..=0x9FFF      // CJK ideographs
        | 0xA000..=0xA4CF      // Yi
        | 0xAC00..=0xD7A3      // Hangul syllables
        | 0xF900..=0xFAFF      // CJK compatibility ideographs
        | 0xFE30..=0xFE4F      // CJK compatibility forms
        | 0xFF00..=0xFF60      // full-width forms
        | 0xFFE0..=0xFFE6);
    if wide { 2 } else { 1 }
}

/// `text` followed by spaces up to `columns` (nothing added if it is
/// already that wide).
pub fn pad(text: &str, columns: usize) -> String {
    let mut padded = text.to_owned();
    padded.extend(std::iter::repeat_n(
        ' ',
        columns.saturating_sub(width(text)),
    ));
    padded
}

/// `  label  value`: a labelled single-line value, the value escaped as one
/// line (it is someone else's text).
pub fn line(out: &mut dyn Write, label: &str, value: &str) -> io::Result<()> {
    writeln!(
        out,
        "  {} {}",
        pad(label, LABEL_COLUMNS),
        terminal::line(value)
    )
}

/// A labelled value that may span lines, its later lines under its first,
/// so that it cannot start a line that looks like one of ours.
pub fn paragraph(out: &mut dyn Write, label: &str, value: &str) -> io::Result<()> {
    let column = 2 + LABEL_COLUMNS.max(width(label)) + 1;
    writeln!(
        out,
        "  {} {}",
        pad(label, LABEL_COLUMNS),
        terminal::block(value, column)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_japanese_takes_two_columns_a_character() {
        assert_eq!(width("need:"), 5);
        assert_eq!(width("緊急度："), 8);
        assert_eq!(width("Tiếng Việt"), 10);
        assert_eq!(pad("在留資格：", 12), "在留資格：  ");
        assert_eq!(pad("a long label here", 4), "a long label here");
    }
}
