//! What goes to stdout and stderr.
//!
//! Commands build a report and return it; nothing is printed to stdout until
//! the command has succeeded. That is what makes the `--json` promise hold:
//! stdout carries exactly one JSON document on success and nothing at all on
//! failure, and errors and warnings only ever go to stderr.

use std::io::{self, Write};

use serde::Serialize;

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
        Format::Human => report.write_human(out),
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
        let _ = writeln!(err, "warning: {line}");
    }
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

    #[test]
    fn human_uses_the_report_text() {
        let mut buf = Vec::new();
        write_report(&mut buf, Format::Human, &Sample { name: "x" }).unwrap();
        assert_eq!(buf, b"name: x\n");
    }
}
