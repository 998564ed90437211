//! The inventory written in `docs/threat-model.md` §3.2, between the
//! markers `<!-- inventory:begin -->` and `<!-- inventory:end -->`: one
//! markdown table, `| table | column | backends | what it reveals | kept
//! until |`, and the comparison of it with what the lister found.
//!
//! A row whose column is `—` names a table that exists but holds nothing
//! after the script. Names may be written in backticks.

use std::collections::BTreeSet;
use std::path::Path;

use super::list::Holdings;
use crate::Backend;

const BEGIN: &str = "<!-- inventory:begin -->";
const END: &str = "<!-- inventory:end -->";

/// One documented column (or, with `column: None`, an empty table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryRow {
    /// The table.
    pub table: String,
    /// The column holding values, or `None` for a table that holds nothing.
    pub column: Option<String>,
    /// The backends it exists on.
    pub backends: Vec<Backend>,
    /// What a reader of the seized disk learns from it.
    pub reveals: String,
    /// How long the store keeps it.
    pub kept_until: String,
}

/// The whole documented inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documented {
    /// Its rows, in document order.
    pub rows: Vec<InventoryRow>,
}

impl Documented {
    /// Tables documented for `backend`.
    pub fn tables(&self, backend: Backend) -> BTreeSet<String> {
        self.for_backend(backend).map(|r| r.table.clone()).collect()
    }

    /// `table.column` documented as holding values on `backend`.
    pub fn holding_columns(&self, backend: Backend) -> BTreeSet<String> {
        self.for_backend(backend)
            .filter_map(|r| r.column.as_ref().map(|c| format!("{}.{c}", r.table)))
            .collect()
    }

    /// The inventory that would describe `found` exactly: for the
    /// negative control, which changes a database after describing it.
    pub fn describing(found: &Holdings) -> Self {
        let mut rows = Vec::new();
        for (table, h) in &found.tables {
            let held: Vec<&String> = h
                .columns
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(c, _)| c)
                .collect();
            let columns = if held.is_empty() {
                vec![None]
            } else {
                held.into_iter().map(|c| Some(c.clone())).collect()
            };
            for column in columns {
                rows.push(InventoryRow {
                    table: table.clone(),
                    column,
                    backends: vec![found.backend],
                    reveals: "as found".into(),
                    kept_until: "as found".into(),
                });
            }
        }
        Self { rows }
    }

    fn for_backend(&self, backend: Backend) -> impl Iterator<Item = &InventoryRow> {
        self.rows
            .iter()
            .filter(move |r| r.backends.contains(&backend))
    }
}

/// Reads and parses the inventory in this repository's threat model.
///
/// # Panics
///
/// If the file cannot be read or its inventory does not parse.
pub fn documented() -> Documented {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/threat-model.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    parse(&text).unwrap_or_else(|e| panic!("the inventory in {}: {e}", path.display()))
}

/// Parses the inventory table between the markers in `text`.
pub fn parse(text: &str) -> Result<Documented, String> {
    let start = text
        .find(BEGIN)
        .ok_or_else(|| format!("no {BEGIN} marker"))?;
    let end = text[start..]
        .find(END)
        .ok_or_else(|| format!("no {END} after {BEGIN}"))?;
    let lines = text[start + BEGIN.len()..start + end]
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('|'));
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells = cells(line);
        // The header and the separator row.
        if i < 2 {
            continue;
        }
        rows.push(row(&cells).map_err(|e| format!("{e} in `{line}`"))?);
    }
    if rows.is_empty() {
        return Err("the inventory table has no rows".into());
    }
    Ok(Documented { rows })
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

/// A table or column name, without the backticks the doc may put round it.
fn name(s: &str) -> String {
    s.trim_matches('`').to_owned()
}

fn row(cells: &[String]) -> Result<InventoryRow, String> {
    let [table, column, backends, reveals, kept_until] = cells else {
        return Err(format!("{} cells where 5 belong", cells.len()));
    };
    let column = match column.as_str() {
        "—" | "-" => None,
        c => Some(name(c)),
    };
    let backends = match backends.as_str() {
        "both" => vec![Backend::Sqlite, Backend::Postgres],
        "SQLite" => vec![Backend::Sqlite],
        "PostgreSQL" => vec![Backend::Postgres],
        other => {
            return Err(format!(
                "backends `{other}` is not both, SQLite or PostgreSQL"
            ));
        }
    };
    if reveals.is_empty() || kept_until.is_empty() {
        return Err("every row says what it reveals and how long it is kept".into());
    }
    Ok(InventoryRow {
        table: name(table),
        column,
        backends,
        reveals: reveals.clone(),
        kept_until: kept_until.clone(),
    })
}

/// Compares what the lister found with the documented inventory for its
/// backend. `Err` lists every difference, each naming its table or column.
pub fn compare(found: &Holdings, doc: &Documented) -> Result<(), String> {
    let backend = found.backend;
    let mut problems = Vec::new();
    let (tables, documented_tables) = (found.table_names(), doc.tables(backend));
    for t in tables.difference(&documented_tables) {
        problems.push(format!("table {t} exists but is not in the inventory"));
    }
    for t in documented_tables.difference(&tables) {
        problems.push(format!("table {t} is in the inventory but does not exist"));
    }
    let (columns, documented_columns) = (found.holding_columns(), doc.holding_columns(backend));
    for c in columns.difference(&documented_columns) {
        problems.push(format!(
            "column {c} holds values but is not in the inventory"
        ));
    }
    for c in documented_columns.difference(&columns) {
        problems.push(format!(
            "column {c} is in the inventory but holds no value after the script"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the {backend:?} database differs from docs/threat-model.md §3.2:\n  {}",
            problems.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "intro\n<!-- inventory:begin -->\n\
        | table | column | backends | what it reveals | kept until |\n\
        |---|---|---|---|---|\n\
        | `packets` | `arrival` | SQLite | order | purge |\n\
        | `root` | — | both | nothing | — after claim |\n\
        <!-- inventory:end -->\nafter | not | a | row | here |\n";

    #[test]
    fn parses_rows_between_the_markers() {
        let doc = parse(SAMPLE).unwrap();
        assert_eq!(doc.rows.len(), 2);
        assert_eq!(doc.rows[0].column.as_deref(), Some("arrival"));
        assert_eq!(doc.rows[1].column, None);
        assert_eq!(
            doc.holding_columns(Backend::Sqlite),
            BTreeSet::from(["packets.arrival".to_owned()])
        );
        assert!(doc.holding_columns(Backend::Postgres).is_empty());
        assert_eq!(
            doc.tables(Backend::Postgres),
            BTreeSet::from(["root".to_owned()])
        );
    }

    #[test]
    fn refuses_a_malformed_row() {
        let bad = SAMPLE.replace("| SQLite |", "| sqlite |");
        assert!(parse(&bad).unwrap_err().contains("sqlite"));
        let short = SAMPLE.replace("| order | purge |", "| order |");
        assert!(parse(&short).unwrap_err().contains("4 cells"));
        assert!(parse("no markers").is_err());
    }
}
