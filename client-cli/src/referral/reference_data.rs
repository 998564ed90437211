//! The languages and prefectures a referral may name, read from the CSV files
//! in `client-cli/data/` (copied from the spec's `data/`). They are embedded
//! in the binary and parsed once: the validator and the generated JSON Schema
//! must agree on the codes, and a file read at run time could differ between
//! the two.

use std::sync::LazyLock;

/// A language a referral may name (`data/languages.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    /// Its BCP 47 tag, exactly as written in the file (`vi`, `zh-Hans`).
    pub code: String,
    /// Its name in English.
    pub english_name: String,
}

/// A prefecture of Japan (`data/prefectures.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefecture {
    /// Its ISO 3166-2:JP code (`JP-13`).
    pub code: String,
    /// Its name in English.
    pub name: String,
    /// Its name in Japanese (`data/prefectures_ja.csv`).
    pub name_ja: String,
}

const LANGUAGES_CSV: &str = include_str!("../../data/languages.csv");
const PREFECTURES_CSV: &str = include_str!("../../data/prefectures.csv");
const PREFECTURES_JA_CSV: &str = include_str!("../../data/prefectures_ja.csv");

static LANGUAGES: LazyLock<Vec<Language>> = LazyLock::new(|| {
    rows(LANGUAGES_CSV, "bcp47")
        .map(|row| Language {
            code: row[0].clone(),
            english_name: row[1].clone(),
        })
        .collect()
});

static PREFECTURES: LazyLock<Vec<Prefecture>> = LazyLock::new(|| {
    let japanese: Vec<Vec<String>> = rows(PREFECTURES_JA_CSV, "iso_code").collect();
    rows(PREFECTURES_CSV, "iso_code")
        .map(|row| Prefecture {
            name_ja: japanese
                .iter()
                .find(|ja| ja[0] == row[0])
                .map(|ja| ja[1].clone())
                .unwrap_or_default(),
            code: row[0].clone(),
            name: row[1].clone(),
        })
        .collect()
});

/// Every known language, in the file's order.
pub fn languages() -> &'static [Language] {
    &LANGUAGES
}

/// Every prefecture, in the file's order (JP-01 to JP-47).
pub fn prefectures() -> &'static [Prefecture] {
    &PREFECTURES
}

/// The language with exactly this tag. Tags are compared as written: the
/// files hold each tag in its canonical case, and accepting `VI` or
/// `zh-hans` would let two spellings of one language into the figures that
/// `report` counts.
pub fn language(code: &str) -> Option<&'static Language> {
    languages().iter().find(|l| l.code == code)
}

/// The prefecture with exactly this code.
pub fn prefecture(code: &str) -> Option<&'static Prefecture> {
    prefectures().iter().find(|p| p.code == code)
}

/// The data rows of an embedded CSV file whose header starts with
/// `first_column`, each with at least two fields. The files are part of the
/// source tree and the tests below read every row, so a malformed file fails
/// the build's tests rather than a user's command.
fn rows(csv: &'static str, first_column: &str) -> impl Iterator<Item = Vec<String>> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().map(split_csv_line).unwrap_or_default();
    assert_eq!(
        header.first().map(String::as_str),
        Some(first_column),
        "embedded CSV has an unexpected header"
    );
    lines.map(|line| {
        let row = split_csv_line(line);
        assert!(
            row.len() >= 2,
            "embedded CSV row has too few fields: {line}"
        );
        row
    })
}

/// Splits one CSV line (RFC 4180: fields may be quoted, and `""` inside
/// quotes is a quote). languages.csv quotes its notes, which contain commas.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_row_is_read() {
        assert_eq!(languages().len(), 23);
        assert_eq!(language("vi").unwrap().english_name, "Vietnamese");
        assert_eq!(
            language("ja").unwrap().english_name,
            "Japanese (easy Japanese)"
        );
        assert!(language("zh-Hans").is_some());
        assert!(language("ru").is_some(), "the last row is read");
    }

    #[test]
    fn every_prefecture_is_read_in_order() {
        let codes: Vec<_> = prefectures().iter().map(|p| p.code.clone()).collect();
        let expected: Vec<_> = (1..=47).map(|n| format!("JP-{n:02}")).collect();
        assert_eq!(codes, expected);
        assert_eq!(prefecture("JP-13").unwrap().name, "Tokyo");
    }

    #[test]
    fn every_prefecture_has_its_japanese_name() {
        assert!(prefectures().iter().all(|p| !p.name_ja.is_empty()));
        assert_eq!(prefecture("JP-01").unwrap().name_ja, "北海道");
        assert_eq!(prefecture("JP-13").unwrap().name_ja, "東京都");
        assert_eq!(prefecture("JP-47").unwrap().name_ja, "沖縄県");
    }

    #[test]
    fn codes_are_compared_exactly() {
        assert!(language("VI").is_none());
        assert!(language("zh-hans").is_none());
        assert!(language("").is_none());
        assert!(prefecture("jp-13").is_none());
        assert!(prefecture("JP-48").is_none());
        assert!(prefecture("13").is_none());
    }

    #[test]
    fn codes_are_unique() {
        let mut langs: Vec<_> = languages().iter().map(|l| &l.code).collect();
        langs.sort();
        langs.dedup();
        assert_eq!(langs.len(), languages().len());
    }

    #[test]
    fn quoted_fields_keep_their_commas_and_quotes() {
        assert_eq!(
            split_csv_line(r#"ja,"a, b","say ""hi""",x"#),
            ["ja", "a, b", r#"say "hi""#, "x"]
        );
        assert_eq!(split_csv_line("en,English,"), ["en", "English", ""]);
    }
}
