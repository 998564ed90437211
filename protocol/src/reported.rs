//! A value in a broker's answer that the client reads leniently.
//!
//! Our broker writes only values of the field's type. A broker of another
//! version may write one this client does not know (a new packet kind, say);
//! the client then shows the word as it was written, or refuses just the
//! command that needs it, instead of refusing the whole answer. The text is
//! kept, and written back unchanged, so a report that passes it on (`--json`)
//! says what the broker said.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A value as a broker reported it: one of `T`, or text that is not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reported<T> {
    /// A value this side knows.
    Known(T),
    /// Text that does not read as a `T`, as it was written.
    Unreadable(String),
}

impl<T> Reported<T> {
    /// The value, if it was one this side knows.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(value) => Some(value),
            Self::Unreadable(_) => None,
        }
    }
}

impl<T: FromStr> Reported<T> {
    /// The value, or the error reading its text gives (the same error the
    /// text would give to `str::parse`).
    pub fn parsed(&self) -> Result<T, T::Err>
    where
        T: Clone,
    {
        match self {
            Self::Known(value) => Ok(value.clone()),
            Self::Unreadable(text) => text.parse(),
        }
    }
}

impl<T> From<T> for Reported<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}

impl<T: fmt::Display> fmt::Display for Reported<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that a table's width and alignment apply.
        match self {
            Self::Known(value) => f.pad(&value.to_string()),
            Self::Unreadable(text) => f.pad(text),
        }
    }
}

/// Described as `T` alone: that is all a broker of this version writes.
impl<T: schemars::JsonSchema> schemars::JsonSchema for Reported<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::ThreadStatus;

    #[test]
    fn a_known_value_reads_and_writes_as_itself() {
        let read: Reported<ThreadStatus> = serde_json::from_str("\"in_progress\"").unwrap();
        assert_eq!(read, Reported::Known(ThreadStatus::InProgress));
        assert_eq!(serde_json::to_string(&read).unwrap(), "\"in_progress\"");
        assert_eq!(read.to_string(), "in_progress");
        assert_eq!(read.parsed(), Ok(ThreadStatus::InProgress));
    }

    #[test]
    fn an_unknown_word_is_kept_as_written() {
        let read: Reported<ThreadStatus> = serde_json::from_str("\"on_hold\"").unwrap();
        assert_eq!(read, Reported::Unreadable("on_hold".into()));
        assert_eq!(read.known(), None);
        assert_eq!(serde_json::to_string(&read).unwrap(), "\"on_hold\"");
        assert_eq!(read.to_string(), "on_hold");
        assert_eq!(read.parsed(), "on_hold".parse::<ThreadStatus>());
    }

    #[test]
    fn both_kinds_line_up_in_a_table() {
        let known = Reported::Known(ThreadStatus::Sent);
        let unknown = Reported::<ThreadStatus>::Unreadable("odd".into());
        assert_eq!(format!("[{known:<6}][{unknown:>5}]"), "[sent  ][  odd]");
    }

    #[test]
    fn what_is_not_text_is_still_refused() {
        assert!(serde_json::from_str::<Reported<ThreadStatus>>("7").is_err());
        assert!(serde_json::from_str::<Reported<ThreadStatus>>("null").is_err());
    }
}
