//! `referral new --interactive`: asks for each field of a v1 referral in
//! turn and writes the finished document (SPEC §6, §9).
//!
//! The questions go to stderr and the answers come line by line from stdin,
//! a terminal or a pipe alike, so that `referral new --interactive > r.json`
//! works and a script can feed the answers. Choices are listed as numbered
//! lists in the user's words (from [`words`]); an answer is a number or the
//! code. Every answer is judged by the validator's own rule for its field
//! ([`rules`]), and the whole document by the validator at the end, so this
//! module adds no rule of its own.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use serde::Serialize;
use serde_json::{Value, json};

use crate::atomic_file::{self, Existing};
use crate::exit::Failure;
use crate::output::Report;
use crate::referral::model::{ConsentScope, Document, Need, ResidenceCategory, Urgency};
use crate::referral::{Referral, ReferralError, reference_data, rules, validate, words};
use crate::terminal;
use crate::tr;

/// Why the questions stopped before a referral was finished.
#[derive(Debug)]
pub enum Stopped {
    /// The input ended (Ctrl-D, or a pipe ran out of answers).
    EndOfInput,
    /// The caller's consent was not recorded, and the user chose to stop.
    NoConsent,
    /// Reading or writing the prompts failed.
    Io(io::Error),
    /// Every answer passed its field's rule, yet the document did not: a
    /// disagreement between this module and the validator.
    Invalid(ReferralError),
}

impl From<io::Error> for Stopped {
    fn from(e: io::Error) -> Self {
        Stopped::Io(e)
    }
}

/// A rule on one answer: the validator's message if it is refused.
type Rule = fn(&str) -> Result<(), String>;

/// One item of a numbered list (or of the web app's pickers): the code
/// written in the referral, and the words a person reads.
#[derive(Debug)]
pub struct Choice {
    /// The code, as the referral writes it.
    pub code: String,
    /// The code in the user's words.
    pub words: String,
}

/// The choices of a closed list of codes, worded through `word`, which
/// reads each code back as its enum so that the words stay those of
/// [`words`].
pub fn choices<T: serde::de::DeserializeOwned>(
    names: &[&str],
    word: impl Fn(T) -> String,
) -> Vec<Choice> {
    names
        .iter()
        .map(|name| {
            let value: T = serde_json::from_value(Value::from(*name))
                .expect("every NAME deserializes to its enum");
            Choice {
                code: (*name).to_owned(),
                words: word(value),
            }
        })
        .collect()
}

/// The languages of the reference data, in words.
pub fn language_choices() -> Vec<Choice> {
    reference_data::languages()
        .iter()
        .map(|l| Choice {
            code: l.code.clone(),
            words: words::language(&l.code).unwrap_or_else(|| l.code.clone()),
        })
        .collect()
}

/// The prefectures of the reference data, in words.
pub fn prefecture_choices() -> Vec<Choice> {
    reference_data::prefectures()
        .iter()
        .map(|p| Choice {
            code: p.code.clone(),
            words: words::prefecture(&p.code).unwrap_or_else(|| p.code.clone()),
        })
        .collect()
}

/// The questions, reading answers from `input` and asking on `prompts`.
pub struct Interview<'a> {
    input: &'a mut dyn BufRead,
    prompts: &'a mut dyn Write,
    /// Whether a person types the answers: when they come from a pipe, no
    /// Enter key ends the prompt's line, so the questions end it themselves.
    typed: bool,
}

impl std::fmt::Debug for Interview<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interview").finish_non_exhaustive()
    }
}

impl<'a> Interview<'a> {
    /// Questions read from `input` and asked on `prompts`; `typed` when
    /// `input` is a terminal.
    pub fn new(input: &'a mut dyn BufRead, prompts: &'a mut dyn Write, typed: bool) -> Self {
        Interview {
            input,
            prompts,
            typed,
        }
    }

    /// Asks for every field in the order of SPEC §6 and returns the
    /// referral, checked as a whole. `now` is the default for the time
    /// consent was obtained.
    pub fn referral(&mut self, now_unix: i64) -> Result<Referral, Stopped> {
        let reference = self.text(tr!("new-ask-case-reference"), None, true)?;
        let need = self.choose(
            tr!("new-ask-need"),
            &choices(Need::NAMES, words::need),
            |s| rules::choice(s, Need::NAMES),
        )?;
        let urgency = self.choose(
            tr!("new-ask-urgency"),
            &choices(Urgency::NAMES, words::urgency),
            |s| rules::choice(s, Urgency::NAMES),
        )?;
        let summary = self.text(tr!("new-ask-summary"), Some(rules::filled), false)?;

        let name = self.text(tr!("new-ask-person-name"), None, true)?;
        let preferred_language = self.choose(
            tr!("new-ask-preferred-language"),
            &language_choices(),
            rules::language,
        )?;
        let interpreter_needed = self.yes_no(tr!("new-ask-interpreter-needed"))?;
        let phone = self.text(tr!("new-ask-phone"), None, true)?;
        let other = self.text(tr!("new-ask-other-contact"), None, true)?;
        let best_times = self.text(tr!("new-ask-best-times"), None, true)?;
        let desk_may_call = self.yes_no(tr!("new-ask-desk-may-call"))?;
        let prefecture = self.choose(
            tr!("new-ask-prefecture"),
            &prefecture_choices(),
            rules::prefecture,
        )?;
        let municipality = self.text(tr!("new-ask-municipality"), None, true)?;

        let residence_category = self.choose(
            tr!("new-ask-residence-category"),
            &choices(ResidenceCategory::NAMES, words::residence),
            |s| rules::choice(s, ResidenceCategory::NAMES),
        )?;
        let documents_held = self.documents()?;

        self.consent()?;
        let scope = self.choose(
            tr!("new-ask-consent-scope"),
            &choices(ConsentScope::NAMES, words::consent_scope),
            |s| rules::choice(s, ConsentScope::NAMES),
        )?;
        let now = referral_i18n::time::rfc3339(&referral_i18n::time::local_zone(), now_unix);
        let obtained_at = self.text_or(
            tr!("new-ask-obtained-at", default = now.clone()),
            rules::timestamp,
            &now,
        )?;
        let method = self.text(tr!("new-ask-consent-method"), Some(rules::filled), false)?;
        let consent_language = self.choose(
            tr!("new-ask-consent-language"),
            &language_choices(),
            rules::language,
        )?;

        let referral = json!({
            "schema": "referral.v1",
            "case": {
                "reference": reference,
                "need": need,
                "urgency": urgency,
                "summary": summary,
            },
            "person": {
                "name": if name.is_empty() { Value::Null } else { Value::from(name) },
                "preferred_language": preferred_language,
                "interpreter_needed": interpreter_needed,
                "contact": {
                    "phone": phone,
                    "other": if other.is_empty() { Value::Null } else { Value::from(other) },
                    "best_times": best_times,
                    "desk_may_call": desk_may_call,
                },
                "prefecture": prefecture,
                "municipality": municipality,
            },
            "status": {
                "residence_category": residence_category,
                "documents_held": documents_held,
            },
            "consent": {
                "recorded": true,
                "scope": scope,
                "obtained_at": obtained_at,
                "method": method,
                "language": consent_language,
            },
        });
        // Each answer passed its field's rule; the validator still has the
        // last word on the document as a whole.
        validate::from_value(referral).map_err(Stopped::Invalid)
    }

    /// One line of input, without its line ending.
    fn line(&mut self) -> Result<String, Stopped> {
        let mut line = String::new();
        let read = self.input.read_line(&mut line)?;
        if !self.typed {
            writeln!(self.prompts)?;
        }
        if read == 0 {
            return Err(Stopped::EndOfInput);
        }
        Ok(line.trim_end_matches(['\n', '\r']).to_owned())
    }

    fn say(&mut self, text: &str) -> Result<(), Stopped> {
        writeln!(self.prompts, "{}", terminal::for_terminal(text))?;
        Ok(())
    }

    fn prompt(&mut self, text: &str) -> Result<(), Stopped> {
        write!(self.prompts, "{} ", terminal::for_terminal(text))?;
        self.prompts.flush()?;
        Ok(())
    }

    fn refused(&mut self, reason: &str) -> Result<(), Stopped> {
        self.say(&tr!("new-answer-refused", reason = reason))
    }

    /// A free text answer; `optional` ones may be left empty.
    fn text(
        &mut self,
        question: String,
        rule: Option<Rule>,
        optional: bool,
    ) -> Result<String, Stopped> {
        let question = if optional {
            tr!("new-optional", question = question)
        } else {
            question
        };
        loop {
            self.prompt(&question)?;
            let answer = self.line()?.trim().to_owned();
            if answer.is_empty() && optional {
                return Ok(answer);
            }
            match rule.map_or(Ok(()), |rule| rule(&answer)) {
                Ok(()) => return Ok(answer),
                // The rule refused an empty answer to a required field.
                Err(_) if answer.is_empty() => self.refused(&tr!("new-required"))?,
                Err(reason) => self.refused(&reason)?,
            }
        }
    }

    /// A text answer that is `default` when left empty.
    fn text_or(&mut self, question: String, rule: Rule, default: &str) -> Result<String, Stopped> {
        loop {
            self.prompt(&question)?;
            let answer = self.line()?.trim().to_owned();
            let answer = if answer.is_empty() {
                default.to_owned()
            } else {
                answer
            };
            match rule(&answer) {
                Ok(()) => return Ok(answer),
                // The rule judges; the words are the user's language's.
                Err(_) => self.refused(&tr!(
                    "new-not-a-time",
                    answer = rules::quoted(&answer),
                    example = default
                ))?,
            }
        }
    }

    fn list(&mut self, question: &str, choices: &[Choice]) -> Result<(), Stopped> {
        self.say(question)?;
        for (i, choice) in choices.iter().enumerate() {
            self.say(&tr!(
                "new-choice",
                number = i + 1,
                words = choice.words.as_str(),
                code = choice.code.as_str()
            ))?;
        }
        Ok(())
    }

    /// One answer of a numbered list: its number, or the code, judged by
    /// `rule`; refused in the user's words, since the list is on screen.
    fn pick(choices: &[Choice], answer: &str, rule: Rule) -> Result<String, String> {
        if let Ok(number) = answer.parse::<usize>() {
            return match number.checked_sub(1).and_then(|i| choices.get(i)) {
                Some(choice) => Ok(choice.code.clone()),
                None => Err(tr!("new-no-such-number", count = choices.len())),
            };
        }
        rule(answer).map(|()| answer.to_owned()).map_err(|_| {
            tr!(
                "new-not-a-choice",
                answer = rules::quoted(answer),
                count = choices.len()
            )
        })
    }

    fn choose(
        &mut self,
        question: String,
        choices: &[Choice],
        rule: Rule,
    ) -> Result<String, Stopped> {
        self.list(&question, choices)?;
        loop {
            self.prompt(&tr!("new-choose-one"))?;
            let answer = self.line()?.trim().to_owned();
            match Self::pick(choices, &answer, rule) {
                Ok(code) => return Ok(code),
                Err(reason) => self.refused(&reason)?,
            }
        }
    }

    fn yes_no(&mut self, question: String) -> Result<bool, Stopped> {
        let choices = [
            Choice {
                code: "yes".to_owned(),
                words: tr!("new-yes"),
            },
            Choice {
                code: "no".to_owned(),
                words: tr!("new-no"),
            },
        ];
        let answer = self.choose(question, &choices, |s| rules::choice(s, &["yes", "no"]))?;
        Ok(answer == "yes")
    }

    /// `status.documents_held`: several numbers or codes on one line.
    fn documents(&mut self) -> Result<Vec<String>, Stopped> {
        let choices = choices(Document::NAMES, words::document);
        self.list(&tr!("new-ask-documents-held"), &choices)?;
        'ask: loop {
            self.prompt(&tr!("new-choose-several"))?;
            let answer = self.line()?;
            let mut codes = Vec::new();
            for part in answer.split([',', ' ', '、']).filter(|p| !p.is_empty()) {
                match Self::pick(&choices, part, |s| rules::choice(s, Document::NAMES)) {
                    Ok(code) => codes.push(code),
                    Err(reason) => {
                        self.refused(&reason)?;
                        continue 'ask;
                    }
                }
            }
            let names: Vec<&str> = codes.iter().map(String::as_str).collect();
            let problems = rules::documents(&names);
            if problems.is_empty() {
                return Ok(codes);
            }
            for (_, reason) in problems {
                self.refused(&reason)?;
            }
        }
    }

    /// `consent.recorded`, which must be true: without it, nothing can be
    /// sent, so the user records it and says so, or stops.
    fn consent(&mut self) -> Result<(), Stopped> {
        loop {
            if self.yes_no(tr!("new-ask-consent-recorded"))? {
                return Ok(());
            }
            self.say(&tr!("new-consent-needed"))?;
            if !self.yes_no(tr!("new-ask-consent-again"))? {
                return Err(Stopped::NoConsent);
            }
        }
    }
}

/// Where `new --interactive` writes.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum InteractiveReport {
    /// On stdout: the referral itself.
    Printed(Referral),
    /// Written to a file: the referral itself with `--json`, a line for
    /// people otherwise.
    Written {
        /// The referral.
        #[serde(flatten)]
        referral: Referral,
        /// The file it went to.
        #[serde(skip)]
        path: PathBuf,
    },
}

impl Report for InteractiveReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        match self {
            InteractiveReport::Printed(referral) => {
                serde_json::to_writer_pretty(&mut *out, referral)?;
                writeln!(out)
            }
            InteractiveReport::Written { path, .. } => writeln!(
                out,
                "{}",
                tr!("new-written", path = path.display().to_string())
            ),
        }
    }
}

/// Runs `new --interactive`: asks on stderr, reads stdin, writes to `out`
/// (created, never overwritten) or returns the referral for stdout.
pub fn run(out: Option<&Path>) -> Result<InteractiveReport, Failure> {
    // Said before the questions rather than after them; the exclusive
    // link at the end still decides, should the file appear meanwhile.
    if let Some(path) = out
        && path.symlink_metadata().is_ok()
    {
        return Err(Failure::User(anyhow!(tr!(
            "new-cannot-write",
            path = path.display().to_string()
        ))));
    }
    let stdin = io::stdin();
    let typed = stdin.is_terminal();
    let mut input = stdin.lock();
    let mut prompts = io::stderr();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let referral = match Interview::new(&mut input, &mut prompts, typed).referral(now) {
        Ok(referral) => referral,
        Err(Stopped::EndOfInput) => {
            let _ = writeln!(prompts);
            return Err(Failure::User(anyhow!(tr!("new-stopped-at-end"))));
        }
        Err(Stopped::NoConsent) => {
            return Err(Failure::User(anyhow!(tr!("new-stopped-no-consent"))));
        }
        Err(Stopped::Io(e)) => {
            return Err(Failure::User(anyhow!(e).context(tr!("new-stopped-io"))));
        }
        Err(Stopped::Invalid(e)) => {
            return Err(Failure::User(
                anyhow!(e).context(tr!("new-stopped-invalid")),
            ));
        }
    };
    let Some(path) = out else {
        return Ok(InteractiveReport::Printed(referral));
    };
    let mut text = serde_json::to_string_pretty(&referral).expect("a referral is plain JSON");
    text.push('\n');
    let (dir, name) = split(path).map_err(Failure::User)?;
    atomic_file::write(dir, name, text.as_bytes(), Existing::Keep)
        .with_context(|| tr!("new-cannot-write", path = path.display().to_string()))
        .map_err(Failure::User)?;
    Ok(InteractiveReport::Written {
        referral,
        path: path.to_owned(),
    })
}

fn split(path: &Path) -> anyhow::Result<(&Path, &str)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!(tr!("new-cannot-write", path = path.display().to_string())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((dir, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answers of a whole referral, one per line, in the order asked.
    const ANSWERS: &[&str] = &[
        "C-2026-118",       // case reference
        "1",                // need: by number
        "high",             // urgency: by code
        "Lost the voucher", // summary
        "",                 // name: skipped
        "vi",               // preferred language
        "1",                // interpreter needed: yes
        "090-0000-0000",    // phone
        "",                 // other contact: skipped
        "weekday mornings", // best times
        "no",               // desk may call
        "13",               // prefecture: Tokyo, by number
        "Shinjuku",         // municipality
        "provisional_release",
        "passport 1", // documents: a code and a number
        "1",          // consent recorded: yes
        "this_desk",
        "",                 // obtained at: now
        "verbal, by phone", // method
        "vi",               // consent language
    ];

    /// The referral as JSON, or why the questions stopped, and what was
    /// asked.
    fn interview(answers: &[&str]) -> (Result<Value, Stopped>, String) {
        let text = answers.iter().map(|a| format!("{a}\n")).collect::<String>();
        let mut input = text.as_bytes();
        let mut prompts = Vec::new();
        let result = Interview::new(&mut input, &mut prompts, false)
            .referral(1_796_000_000)
            .map(|r| serde_json::to_value(r).expect("a referral is plain JSON"));
        (result, String::from_utf8(prompts).unwrap())
    }

    #[test]
    fn numbers_and_codes_both_make_a_valid_referral() {
        let (result, _) = interview(ANSWERS);
        let referral = result.expect("a finished referral");
        let parsed = validate::from_value(referral.clone()).expect("valid");
        assert_eq!(parsed.case.need, Need::VaccinationVoucher);
        assert_eq!(referral["case"]["urgency"], "high");
        assert_eq!(referral["person"]["name"], Value::Null);
        assert_eq!(referral["person"]["prefecture"], "JP-13");
        assert_eq!(referral["person"]["interpreter_needed"], true);
        assert_eq!(referral["person"]["contact"]["desk_may_call"], false);
        assert_eq!(
            referral["status"]["documents_held"],
            json!(["passport", "immigration_postcard"])
        );
        assert_eq!(referral["consent"]["recorded"], true);
        assert!(rules::timestamp(referral["consent"]["obtained_at"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn a_bad_answer_is_asked_again_with_the_reason() {
        let mut answers = ANSWERS.to_vec();
        // Documents naming the passport twice, then "none" with another,
        // then a good answer.
        answers.splice(14..15, ["passport 2", "none 1", "2"]);
        // A need that is no code, a number past the list, then a good one.
        answers.splice(1..2, ["housing-ish", "99", "housing"]);
        // An empty summary, then a real one.
        answers.splice(5..6, ["  ", "Needs a room"]);
        let (result, prompts) = interview(&answers);
        let referral = result.expect("a finished referral");
        assert_eq!(referral["case"]["need"], "housing");
        assert_eq!(referral["case"]["summary"], "Needs a room");
        assert!(prompts.contains("\"housing-ish\" is not in the list"));
        assert!(prompts.contains("choose 1 to 9"));
        assert!(prompts.contains("an answer is needed here"));
        assert!(prompts.contains("\"passport\" is listed more than once"));
        assert!(prompts.contains("\"none\" cannot be listed with other documents"));
        assert_eq!(referral["status"]["documents_held"], json!(["passport"]));
    }

    #[test]
    fn a_consent_time_must_be_a_time_with_its_offset() {
        let mut answers = ANSWERS.to_vec();
        answers.splice(17..18, ["yesterday", "2026-12-07T10:20:00+09:00"]);
        let (result, prompts) = interview(&answers);
        let referral = result.expect("a finished referral");
        assert!(prompts.contains("\"yesterday\" is not a date and time"));
        assert_eq!(
            referral["consent"]["obtained_at"],
            "2026-12-07T10:20:00+09:00"
        );
    }

    #[test]
    fn choices_are_listed_in_words_with_numbers() {
        let (_, prompts) = interview(&ANSWERS[..2]);
        assert!(
            prompts.contains("1. vaccination voucher (vaccination_voucher)"),
            "{prompts}"
        );
    }

    #[test]
    fn no_consent_explains_and_may_stop() {
        let mut answers = ANSWERS[..15].to_vec();
        answers.extend(["no", "yes", "no", "no"]);
        let (result, prompts) = interview(&answers);
        assert!(matches!(result, Err(Stopped::NoConsent)));
        assert_eq!(prompts.matches("cannot be sent without").count(), 2);
    }

    #[test]
    fn the_end_of_input_stops_the_questions() {
        let (result, _) = interview(&ANSWERS[..5]);
        assert!(matches!(result, Err(Stopped::EndOfInput)));
    }
}
