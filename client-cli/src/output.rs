//! What goes to stdout and stderr.
//!
//! Commands build a report and return it; nothing is printed to stdout until
//! the command has succeeded. That is what makes the `--json` promise hold:
//! stdout carries exactly one JSON document on success and nothing at all on
//! failure, and errors and warnings only ever go to stderr.
//!
//! Human text, on either stream, passes through
//! [`terminal::for_terminal`] on its way out: whatever a packet, the
//! directory or the broker put in it, no control or formatting character
//! but a newline or a tab reaches the terminal.

use std::io::{self, Write};

use serde::Serialize;

use crate::terminal;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text for people.
    Human,
    /// One JSON document, for scripts (`--json`).
    Json,
}

/// A command's result, printable either way.
pub trait Report: Serialize {
    /// Writes the text for people.
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()>;
}

/// Prints `report` on stdout in `format`.
pub fn emit<R: Report>(format: Format, report: &R) -> io::Result<()> {
    let mut out = io::stdout().lock();
    write_report(&mut out, format, report)?;
    out.flush()
}

fn write_report<R: Report>(out: &mut dyn Write, format: Format, report: &R) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, report)?;
            out.write_all(b"\n")
        }
        Format::Human => {
            let mut text = Vec::new();
            report.write_human(&mut text)?;
            out.write_all(terminal::for_terminal(&String::from_utf8_lossy(&text)).as_bytes())
        }
    }
}

/// Prints a warning on stderr, each line prefixed with `warning: ` so that it
/// stands out in a terminal and can be grepped in a log. Printed in both
/// output formats: a `--json` caller is still a person's script, and stderr
/// is where its warnings belong.
pub fn warn(text: &str) {
    let mut err = io::stderr().lock();
    for line in text.lines() {
        // Nothing useful can be done if stderr itself is gone.
        let _ = writeln!(err, "warning: {}", terminal::for_terminal(line));
    }
}

/// Prints a command's failure on stderr as `error: ` and the whole cause
/// chain. A message that spans lines (a broker's, say) has its later lines
/// indented, so that it cannot print a line of its own that looks like
/// another message.
pub fn error(e: &anyhow::Error) {
    // `{:#}` prints the whole cause chain on one line.
    let text = format!("{e:#}");
    // Nothing useful can be done if stderr itself is gone.
    let _ = writeln!(io::stderr().lock(), "error: {}", terminal::block(&text, 2));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Sample {
        name: &'static str,
    }

    impl Report for Sample {
        fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
            writeln!(out, "name: {}", self.name)
        }
    }

    #[test]
    fn json_is_one_document_and_a_newline() {
        let mut buf = Vec::new();
        write_report(&mut buf, Format::Json, &Sample { name: "x" }).unwrap();
        assert_eq!(buf, b"{\"name\":\"x\"}\n");
    }

    #[derive(Serialize)]
    struct Hostile {
        text: &'static str,
    }

    impl Report for Hostile {
        fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
            writeln!(out, "text: {}", self.text)
        }
    }

    #[test]
    fn human_text_never_carries_a_raw_control_and_json_is_unchanged() {
        let report = Hostile {
            text: "a\u{1b}[1A\u{9b}2K\u{202E}b\tc",
        };
        let mut human = Vec::new();
        write_report(&mut human, Format::Human, &report).unwrap();
        assert_eq!(
            String::from_utf8(human).unwrap(),
            "text: a<U+001B>[1A<U+009B>2K<U+202E>b\tc\n"
        );
        let mut json = Vec::new();
        write_report(&mut json, Format::Json, &report).unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&json).unwrap()["text"],
            report.text
        );
    }

    #[test]
    fn human_uses_the_report_text() {
        let mut buf = Vec::new();
        write_report(&mut buf, Format::Human, &Sample { name: "x" }).unwrap();
        assert_eq!(buf, b"name: x\n");
    }
}
