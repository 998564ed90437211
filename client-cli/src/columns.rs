//! Lining text up in a terminal when labels are in Japanese as well as in
//! English or Vietnamese: a CJK character takes two columns, so padding by
//! `char` count (what `{:<14}` does) would push every Japanese value out of
//! line.
//!
//! The widths here are for our own labels and headings (catalog text); a
//! value from someone else is escaped first and only ever placed after
//! them, so an odd width in it can misalign nothing but itself.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use crate::terminal;

/// Where a labelled value starts: two spaces, a 14-column label, a space.
pub const LABEL_COLUMNS: usize = 14;

/// The column a labelled value starts in, for continuation lines.
pub const VALUE_COLUMN: usize = 2 + LABEL_COLUMNS + 1;

/// How many terminal columns `text` takes: two for East Asian wide and
/// full-width characters (Unicode's UAX #11, through `unicode-width`, the
/// table terminals and `indicatif` use), one for the rest.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
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

/// The width of each column of a table: its widest cell or heading.
pub fn widths<const N: usize>(header: &[String; N], rows: &[[String; N]]) -> [usize; N] {
    std::array::from_fn(|i| {
        rows.iter()
            .map(|row| width(&row[i]))
            .chain([width(&header[i])])
            .max()
            .unwrap_or(0)
    })
}

/// One line of a table: each cell padded to its column and two spaces
/// apart; the last cell is not padded, so no line ends in spaces.
pub fn row<const N: usize>(cells: &[String; N], widths: &[usize; N]) -> String {
    let mut text = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i + 1 == N {
            text.push_str(cell);
        } else {
            text.push_str(&pad(cell, widths[i]));
            text.push_str("  ");
        }
    }
    text.trim_end().to_owned()
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
