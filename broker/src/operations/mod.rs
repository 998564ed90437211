//! The operator's commands beside `serve` (ADR 0013): [`backup`] makes a
//! consistent copy of a running SQLite broker, [`check`] verifies a
//! database and its directory log. Each returns what to tell the operator,
//! already in their language; `main` prints it.

pub mod backup;
pub mod check;

/// What a command tells the operator, and whether it succeeded.
#[derive(Debug, Default)]
pub struct Report {
    /// Lines for the operator, in order.
    pub lines: Vec<String>,
    /// Problems found (0: success).
    pub problems: usize,
}

impl Report {
    fn ok(&mut self, line: String) {
        self.lines.push(line);
    }

    fn problem(&mut self, line: String) {
        self.lines.push(line);
        self.problems += 1;
    }
}
