//! `referral new`: prints a blank v1 referral to fill in (SPEC §6, §9).
//!
//! It needs no keystore and no broker: a caseworker can draft a referral on
//! any machine, and `send` checks it when it is sealed. The output is the
//! document itself, one JSON document in either output format (pretty for
//! people, compact with `--json`), so that `referral new > r.json` works.
//!
//! The blank fails validation on exactly the fields a person must fill in:
//! `case.need`, `case.urgency`, `case.summary`, `person.preferred_language`,
//! `person.prefecture`, `status.residence_category`, `status.documents_held`,
//! `consent.recorded`, `consent.scope`, `consent.obtained_at`,
//! `consent.method` and `consent.language`. The rest may stay empty:
//! `case.reference`, `person.name`, `person.municipality`, the contact
//! details, and the yes/no fields, whose `false` is an answer.

use std::io::{self, Write};

use serde::Serialize;

use crate::output::Report;
use crate::referral::Blank;

/// The blank referral.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct NewReport(Blank);

impl Report for NewReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.0)?;
        writeln!(out)
    }
}

/// Runs `new`.
pub fn run() -> NewReport {
    NewReport(Blank)
}
