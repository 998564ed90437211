//! The rules CI holds the catalogs to (run by each binary's tests):
//!
//! - every file parses, and no key is defined twice in one language;
//! - every key exists in every language, with the same placeables;
//! - every key is used: its literal `"key"` appears in the binary's source,
//!   or another message refers to it; every `tr!("key"…)` names a key;
//! - plural variants use only the language's CLDR categories (English
//!   `one`/`other`; Japanese and Vietnamese `other` alone).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use fluent_syntax::ast;

use crate::Lang;

/// One thing wrong with a binary's catalogs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A file is not valid Fluent, or could not be read.
    Parse {
        /// The catalog file.
        file: PathBuf,
        /// The parser's or the file system's complaint.
        detail: String,
    },
    /// A key is defined twice in one language.
    Duplicate {
        /// The language whose catalog defines it twice.
        lang: Lang,
        /// The message key.
        key: String,
    },
    /// A key of some language is missing from `lang`.
    Missing {
        /// The language that lacks the key.
        lang: Lang,
        /// The message key another language defines.
        key: String,
    },
    /// `lang` uses other placeables in `key` than English does.
    Placeables {
        /// The language whose message differs from English.
        lang: Lang,
        /// The message key.
        key: String,
        /// The placeables (`{ $name }`) English uses, the reference.
        english: Vec<String>,
        /// The placeables `lang` uses instead.
        found: Vec<String>,
    },
    /// No source file names the key and no message refers to it.
    Unused {
        /// The message key nothing uses.
        key: String,
    },
    /// A source file looks up a key no catalog defines.
    Undefined {
        /// The source file with the lookup.
        file: PathBuf,
        /// The key it looks up.
        key: String,
    },
    /// A plural variant the language's CLDR rules never select.
    PluralCategory {
        /// The language whose rules never select it.
        lang: Lang,
        /// The message key with the variant.
        key: String,
        /// The variant's category name (such as `one`).
        category: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Parse { file, detail } => write!(f, "{}: {detail}", file.display()),
            Problem::Duplicate { lang, key } => write!(f, "{lang}: `{key}` is defined twice"),
            Problem::Missing { lang, key } => write!(f, "{lang}: `{key}` is missing"),
            Problem::Placeables {
                lang,
                key,
                english,
                found,
            } => write!(
                f,
                "{lang}: `{key}` uses {found:?}, English uses {english:?}"
            ),
            Problem::Unused { key } => write!(f, "`{key}` is never used"),
            Problem::Undefined { file, key } => {
                write!(f, "{}: `{key}` is not in the catalogs", file.display())
            }
            Problem::PluralCategory {
                lang,
                key,
                category,
            } => {
                write!(
                    f,
                    "{lang}: `{key}` has a `[{category}]` variant, not a CLDR form"
                )
            }
        }
    }
}

/// A message's shape: the variables it uses and the messages it refers to.
#[derive(Debug, Default)]
struct Shape {
    variables: BTreeSet<String>,
    references: BTreeSet<String>,
    plural_categories: BTreeSet<String>,
}

const CLDR_CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// The plural categories CLDR gives each language's cardinal numbers.
fn cldr_categories(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &["one", "other"],
        Lang::Ja | Lang::Vi => &["other"],
    }
}

/// Checks the catalogs in `locales_dir` against the Rust sources under
/// `source_dirs`; `lookup_macro` is how the binary looks a key up (`tr!`).
pub fn check_catalogs(
    locales_dir: &Path,
    source_dirs: &[&Path],
    lookup_macro: &str,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut catalogs: BTreeMap<&str, BTreeMap<String, Shape>> = BTreeMap::new();
    for lang in Lang::ALL {
        let shapes = catalogs.entry(lang.code()).or_default();
        for file in files_with(&locales_dir.join(lang.code()), "ftl") {
            read_catalog_file(lang, &file, shapes, &mut problems);
        }
    }
    let english = &catalogs["en"];
    let mut all_keys: BTreeSet<&String> = BTreeSet::new();
    for shapes in catalogs.values() {
        all_keys.extend(shapes.keys());
    }
    for lang in Lang::ALL {
        let shapes = &catalogs[lang.code()];
        for key in &all_keys {
            let Some(shape) = shapes.get(*key) else {
                problems.push(Problem::Missing {
                    lang,
                    key: (*key).clone(),
                });
                continue;
            };
            if let Some(reference) = english.get(*key)
                && reference.variables != shape.variables
            {
                problems.push(Problem::Placeables {
                    lang,
                    key: (*key).clone(),
                    english: reference.variables.iter().cloned().collect(),
                    found: shape.variables.iter().cloned().collect(),
                });
            }
            for category in &shape.plural_categories {
                if !cldr_categories(lang).contains(&category.as_str()) {
                    problems.push(Problem::PluralCategory {
                        lang,
                        key: (*key).clone(),
                        category: category.clone(),
                    });
                }
            }
        }
    }
    let sources: Vec<(PathBuf, String)> = source_dirs
        .iter()
        .flat_map(|dir| files_with(dir, "rs"))
        .filter_map(|file| fs::read_to_string(&file).ok().map(|text| (file, text)))
        .collect();
    let referenced: BTreeSet<&String> = catalogs
        .values()
        .flat_map(|shapes| shapes.values())
        .flat_map(|shape| &shape.references)
        .collect();
    for key in &all_keys {
        let literal = format!("\"{key}\"");
        let named = sources.iter().any(|(_, text)| text.contains(&literal));
        if !named && !referenced.contains(key) {
            problems.push(Problem::Unused {
                key: (*key).clone(),
            });
        }
    }
    for (file, text) in &sources {
        for key in looked_up_keys(text, lookup_macro) {
            if !all_keys.contains(&key) {
                problems.push(Problem::Undefined {
                    file: file.clone(),
                    key,
                });
            }
        }
    }
    problems
}

fn read_catalog_file(
    lang: Lang,
    file: &Path,
    shapes: &mut BTreeMap<String, Shape>,
    problems: &mut Vec<Problem>,
) {
    let text = match fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            problems.push(Problem::Parse {
                file: file.to_owned(),
                detail: e.to_string(),
            });
            return;
        }
    };
    let resource = match fluent_syntax::parser::parse(text.as_str()) {
        Ok(resource) => resource,
        Err((_, errors)) => {
            problems.push(Problem::Parse {
                file: file.to_owned(),
                detail: format!("{errors:?}"),
            });
            return;
        }
    };
    for entry in resource.body {
        let (key, value, attributes) = match entry {
            ast::Entry::Message(m) => (m.id.name.to_owned(), m.value, m.attributes),
            ast::Entry::Term(t) => (format!("-{}", t.id.name), Some(t.value), t.attributes),
            _ => continue,
        };
        let mut shape = Shape::default();
        for pattern in value.iter().chain(attributes.iter().map(|a| &a.value)) {
            walk_pattern(pattern, &mut shape);
        }
        if shapes.insert(key.clone(), shape).is_some() {
            problems.push(Problem::Duplicate { lang, key });
        }
    }
}

fn walk_pattern(pattern: &ast::Pattern<&str>, shape: &mut Shape) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            walk_expression(expression, shape);
        }
    }
}

fn walk_expression(expression: &ast::Expression<&str>, shape: &mut Shape) {
    match expression {
        ast::Expression::Inline(inline) => walk_inline(inline, shape),
        ast::Expression::Select { selector, variants } => {
            walk_inline(selector, shape);
            let names: BTreeSet<&str> = variants
                .iter()
                .filter_map(|v| match &v.key {
                    ast::VariantKey::Identifier { name } => Some(*name),
                    ast::VariantKey::NumberLiteral { .. } => None,
                })
                .collect();
            // A select on a number has only CLDR category names (and maybe
            // exact numbers); a select on a string has its own names.
            let plural = !names.is_empty()
                && names != BTreeSet::from(["other"])
                && names.iter().all(|n| CLDR_CATEGORIES.contains(n));
            if plural {
                shape
                    .plural_categories
                    .extend(names.iter().map(|n| n.to_string()));
            }
            for variant in variants {
                walk_pattern(&variant.value, shape);
            }
        }
    }
}

fn walk_inline(inline: &ast::InlineExpression<&str>, shape: &mut Shape) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            shape.variables.insert(id.name.to_owned());
        }
        ast::InlineExpression::MessageReference { id, .. } => {
            shape.references.insert(id.name.to_owned());
        }
        ast::InlineExpression::TermReference { id, arguments, .. } => {
            shape.references.insert(format!("-{}", id.name));
            if let Some(arguments) = arguments {
                walk_arguments(arguments, shape);
            }
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            walk_arguments(arguments, shape)
        }
        ast::InlineExpression::Placeable { expression } => walk_expression(expression, shape),
        ast::InlineExpression::StringLiteral { .. }
        | ast::InlineExpression::NumberLiteral { .. } => {}
    }
}

fn walk_arguments(arguments: &ast::CallArguments<&str>, shape: &mut Shape) {
    for argument in &arguments.positional {
        walk_inline(argument, shape);
    }
    for argument in &arguments.named {
        walk_inline(&argument.value, shape);
    }
}

/// The keys in `text` looked up as `lookup_macro("key"`, outside comments
/// (a doc comment may show the macro with a made-up key).
fn looked_up_keys(text: &str, lookup_macro: &str) -> Vec<String> {
    let opening = format!("{lookup_macro}(\"");
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .flat_map(|line| {
            line.match_indices(&opening).filter_map(|(at, _)| {
                // `include_str!(` ends in `tr!(` too: a lookup starts a word.
                let before = line[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    return None;
                }
                let rest = &line[at + opening.len()..];
                rest.find('"').map(|end| rest[..end].to_owned())
            })
        })
        .collect()
}

fn files_with(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_with(&path, extension));
        } else if path.extension().is_some_and(|ext| ext == extension) {
            found.push(path);
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalog tree and a source file in a scratch directory.
    fn fixture(en: &str, ja: &str, vi: &str, source: &str) -> tempfile::TempDir {
        let scratch = tempfile::tempdir().unwrap();
        for (lang, text) in [("en", en), ("ja", ja), ("vi", vi)] {
            fs::create_dir_all(scratch.path().join("locales").join(lang)).unwrap();
            fs::write(
                scratch.path().join("locales").join(lang).join("main.ftl"),
                text,
            )
            .unwrap();
        }
        fs::create_dir_all(scratch.path().join("src")).unwrap();
        fs::write(scratch.path().join("src/main.rs"), source).unwrap();
        scratch
    }

    fn run(scratch: &tempfile::TempDir) -> Vec<Problem> {
        check_catalogs(
            &scratch.path().join("locales"),
            &[&scratch.path().join("src")],
            "tr!",
        )
    }

    const SOURCE: &str = r#"fn f() { tr!("sent", count = 2); }"#;

    #[test]
    fn ok_complete_catalogs() {
        let en = "sent = { $count ->\n    [one] one packet sent\n   *[other] { $count } packets sent\n}\n";
        let ja = "sent = { $count }件を送りました。\n";
        let vi = "sent = Đã gửi { $count } gói.\n";
        assert_eq!(run(&fixture(en, ja, vi, SOURCE)), vec![]);
    }

    #[test]
    fn fail_missing_key_and_placeable() {
        let en = "sent = { $count } sent\n";
        let ja = "sent = 送りました。\n";
        let problems = run(&fixture(en, ja, "", SOURCE));
        assert!(problems.contains(&Problem::Missing {
            lang: Lang::Vi,
            key: "sent".into()
        }));
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, Problem::Placeables { lang: Lang::Ja, .. }))
        );
    }

    #[test]
    fn fail_unused_and_undefined_keys() {
        let text = "sent = { $count }\nspare = x\n";
        let source = "/// `tr!(\"example\")` in a comment is not a lookup\ntr!(\"sent\", count = 1); tr!(\"gone\"); include_str!(\"data.csv\");";
        let problems = run(&fixture(text, text, text, source));
        assert!(!problems.iter().any(
            |p| matches!(p, Problem::Undefined { key, .. } if key == "example" || key == "data.csv")
        ));
        assert!(problems.contains(&Problem::Unused {
            key: "spare".into()
        }));
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, Problem::Undefined { key, .. } if key == "gone"))
        );
    }

    #[test]
    fn fail_english_plural_forms_in_japanese() {
        let en = "sent = { $count ->\n    [one] one\n   *[other] many\n}\n";
        let problems = run(&fixture(en, en, "sent = { $count }\n", SOURCE));
        assert_eq!(
            problems,
            vec![Problem::PluralCategory {
                lang: Lang::Ja,
                key: "sent".into(),
                category: "one".into()
            }]
        );
    }

    #[test]
    fn fail_syntax_error_and_duplicate() {
        let good = "sent = { $count }\n";
        let problems = run(&fixture(
            good,
            "sent = { $count\n",
            "sent = { $count }\nsent = { $count }\n",
            SOURCE,
        ));
        assert!(problems.iter().any(|p| matches!(p, Problem::Parse { .. })));
        assert!(problems.contains(&Problem::Duplicate {
            lang: Lang::Vi,
            key: "sent".into()
        }));
    }
}
