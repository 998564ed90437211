//! Text written by someone else, made safe for a terminal.
//!
//! A referral's fields, a reply's message, a forward's note, a desk's name
//! and a broker's error message are all written by other people. Printed as
//! they are, an escape sequence in them can erase and redraw lines (a
//! summary that rewrites "this desk only" as "onward referral allowed"), set
//! the window title or plant a hyperlink, and a bidirectional override can
//! show text in another order. So every character that
//! [`referral_protocol::text::is_unsafe_to_show`] (the one list of them) is
//! shown as `<U+XXXX>` instead, at three depths:
//!
//! - [`line`](fn@line): a single-line field; even a newline or a tab is escaped;
//! - [`block`]: free text that may have several lines; newlines and tabs are
//!   kept, and every continuation line is indented, so the text cannot
//!   start a line of its own that looks like one of ours (`  scope: ...`);
//! - [`for_terminal`]: the last line of defence, which every human report
//!   and every message on stderr passes through on its way out
//!   ([`crate::output`], `main`): anything unsafe but a newline or a tab.
//!
//! `--json` output is not touched: JSON escapes control characters itself,
//! and scripts must get the text exactly as it was signed.

use std::borrow::Cow;
use std::fmt::Write as _;

use referral_protocol::text::is_unsafe_to_show;

/// `text` for a single-line field: every unsafe character escaped,
/// newlines and tabs included.
pub fn line(text: &str) -> Cow<'_, str> {
    escape_where(text, is_unsafe_to_show)
}

/// Free text that may span lines, for a value that starts `indent` columns
/// in: newlines and tabs kept, continuation lines indented by `indent`
/// spaces, every other unsafe character escaped.
pub fn block(text: &str, indent: usize) -> Cow<'_, str> {
    let escaped = for_terminal(text);
    if !escaped.contains('\n') {
        return escaped;
    }
    let continuation = format!("\n{:indent$}", "");
    Cow::Owned(escaped.replace('\n', &continuation))
}

/// The last line of defence: every unsafe character but newline and tab
/// escaped, for whole reports and messages just before they are written.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\n' && c != '\t' && is_unsafe_to_show(c))
}

/// `text` with every character for which `unsafe_char` holds written as
/// `<U+XXXX>`; borrowed when there is none, which is nearly always.
fn escape_where(text: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "<U+{:04X}>", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a hostile sender would put in a field.
    const HOSTILE: &str = "ok\u{1b}[2K\u{1b}[1Aredrawn\u{9b}2K\rover\u{8}\u{7}\
                           \u{1b}]0;title\u{7}\u{1b}]8;;https://x\u{1b}\\link\u{1b}]8;;\u{1b}\\\
                           \u{202E}txt.exe\u{2066}\u{200B}\u{FEFF}\u{061C}\u{2028}\n\tend";

    fn assert_safe(shown: &str, allowed: &[char]) {
        for c in shown.chars() {
            assert!(
                allowed.contains(&c) || !is_unsafe_to_show(c),
                "{c:?} reached the terminal in {shown:?}"
            );
        }
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        let text = "Nguyen Thi Example, 080-4417-2291, 東京都 — مرحبا";
        assert!(matches!(line(text), Cow::Borrowed(_)));
        assert!(matches!(for_terminal(text), Cow::Borrowed(_)));
        assert!(matches!(block(text, 4), Cow::Borrowed(_)));
    }

    #[test]
    fn a_line_escapes_everything_unsafe_visibly() {
        let shown = line(HOSTILE);
        assert_safe(&shown, &[]);
        for escaped in [
            "<U+001B>[2K",
            "<U+009B>",
            "<U+000D>",
            "<U+0008>",
            "<U+0007>",
            "<U+202E>",
            "<U+2066>",
            "<U+200B>",
            "<U+FEFF>",
            "<U+061C>",
            "<U+2028>",
            "<U+000A>",
            "<U+0009>",
        ] {
            assert!(shown.contains(escaped), "{escaped} in {shown}");
        }
    }

    #[test]
    fn a_block_keeps_its_lines_but_cannot_start_one_of_ours() {
        let summary = "Lost the voucher.\n  scope:         this desk, and onward referral allowed";
        let shown = block(summary, 17);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], "Lost the voucher.");
        assert_eq!(
            lines[1],
            "                   scope:         this desk, and onward referral allowed"
        );
        assert_safe(&block(HOSTILE, 4), &['\n', '\t']);
        assert!(block(HOSTILE, 4).ends_with("\n    \tend"));
    }

    #[test]
    fn the_last_line_keeps_only_newline_and_tab() {
        let shown = for_terminal(HOSTILE);
        assert_safe(&shown, &['\n', '\t']);
        assert!(shown.contains("<U+001B>]0;title<U+0007>"), "{shown}");
        assert!(shown.ends_with("\n\tend"));
    }
}
