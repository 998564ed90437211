//! Progress bars for long work (a big attachment, a rewrap): shown on a
//! terminal, never with `--json` or when stderr is not a terminal, so that
//! scripts and logs see none of it.

use std::io::{self, IsTerminal, Read, Write};

use indicatif::{ProgressBar, ProgressStyle};

use crate::output::Format;

/// A bar of `len` units labelled `label`, or a hidden one.
pub fn bar(format: Format, len: u64, template: &str) -> ProgressBar {
    if format == Format::Json || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// A byte-counting bar: `label [=====     ] 1.2 MiB/3.0 MiB`.
pub fn bytes(format: Format, len: u64, label: &str) -> ProgressBar {
    bar(
        format,
        len,
        // Labels differ in width between languages; padded, the bars line up.
        &format!(
            "{} {{bar:30}} {{bytes}}/{{total_bytes}}",
            crate::columns::pad(label, 6)
        ),
    )
}

/// Advances `bar` by what passes through a reader.
#[derive(Debug)]
pub struct ReadProgress<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R> ReadProgress<R> {
    /// Wraps `inner`.
    pub fn new(inner: R, bar: ProgressBar) -> Self {
        Self { inner, bar }
    }
}

impl<R: Read> Read for ReadProgress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// Advances `bar` by what passes through a writer.
#[derive(Debug)]
pub struct WriteProgress<W> {
    inner: W,
    bar: ProgressBar,
}

impl<W> WriteProgress<W> {
    /// Wraps `inner`.
    pub fn new(inner: W, bar: ProgressBar) -> Self {
        Self { inner, bar }
    }
}

impl<W: Write> Write for WriteProgress<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
