//! The times the broker reports: packet arrivals, thread events and request
//! arrivals, each truncated to the hour (SPEC §2.2), written as RFC 3339 in
//! UTC (`2026-11-21T20:00:00Z`).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::reported::Reported;

/// Seconds in an hour.
const HOUR: i64 = 3600;

/// A Unix time standing for the hour that starts there.
///
/// The broker makes one with [`Hour::containing`], which truncates, so what
/// it writes is always on the hour. JSON holds an `Hour` only in the one
/// form the broker writes, so that it is written back byte for byte; any
/// other text stays [`Reported::Unreadable`], and [`Reported::unix`] still
/// reads it as RFC 3339 (to the second, in any offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hour(i64);

impl Hour {
    /// The hour that contains `unix`.
    pub fn containing(unix: i64) -> Self {
        Self(unix - unix.rem_euclid(HOUR))
    }

    /// Its start, as Unix time.
    pub fn unix(self) -> i64 {
        self.0
    }
}

/// A Unix time as RFC 3339 in UTC (`2026-11-21T20:00:00Z`), or as its
/// decimal seconds where RFC 3339 cannot say it (a year outside 0–9999).
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

impl fmt::Display for Hour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&rfc3339(self.0))
    }
}

/// The text was not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 time: {0:?}")]
pub struct NotATime(pub String);

impl std::str::FromStr for Hour {
    type Err = NotATime;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OffsetDateTime::parse(s, &Rfc3339)
            .map(|t| Self(t.unix_timestamp()))
            .map_err(|_| NotATime(s.chars().take(32).collect()))
    }
}

impl Serialize for Hour {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for Hour {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        let hour: Self = text.parse().map_err(serde::de::Error::custom)?;
        if rfc3339(hour.0) != text {
            return Err(serde::de::Error::custom(
                "not in the broker's form (2026-11-21T20:00:00Z)",
            ));
        }
        Ok(hour)
    }
}

impl Reported<Hour> {
    /// The time as Unix time: an hour's, or that of text in another RFC 3339
    /// form; `None` for text that is no time at all.
    pub fn unix(&self) -> Option<i64> {
        match self {
            Reported::Known(hour) => Some(hour.unix()),
            Reported::Unreadable(text) => text.parse::<Hour>().ok().map(Hour::unix),
        }
    }
}

impl schemars::JsonSchema for Hour {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Hour".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "An hour, as RFC 3339 in UTC (2026-11-21T20:00:00Z)."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_is_written_as_the_broker_always_wrote_it() {
        // 2026-11-21T20:34:56Z
        let hour = Hour::containing(1_795_293_296);
        assert_eq!(hour.unix() % HOUR, 0);
        let json = serde_json::to_string(&hour).unwrap();
        assert_eq!(json, "\"2026-11-21T20:00:00Z\"");
        assert_eq!(serde_json::from_str::<Hour>(&json).unwrap(), hour);
        assert_eq!(Hour::containing(-1).unix(), -HOUR, "truncated downwards");
    }

    #[test]
    fn a_time_rfc3339_cannot_say_is_written_as_seconds() {
        let far = 400_000_000_000;
        assert_eq!(rfc3339(far), far.to_string());
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn other_rfc3339_text_is_read_to_the_second_in_any_offset() {
        let read: Hour = "2026-11-21T21:30:00+01:00".parse().unwrap();
        assert_eq!(read.unix(), 1_795_293_000);
        assert!("yesterday".parse::<Hour>().is_err());
    }

    #[test]
    fn json_holds_an_hour_only_in_the_brokers_form() {
        assert!(serde_json::from_str::<Hour>("1795293000").is_err());
        let other = "\"2026-11-21T21:30:00+01:00\"";
        assert!(serde_json::from_str::<Hour>(other).is_err());
        // Kept as written, and still a time.
        let reported: Reported<Hour> = serde_json::from_str(other).unwrap();
        assert_eq!(serde_json::to_string(&reported).unwrap(), other);
        assert_eq!(reported.unix(), Some(1_795_293_000));
        let broker: Reported<Hour> = serde_json::from_str("\"2026-11-21T20:00:00Z\"").unwrap();
        assert_eq!(broker, Reported::Known(Hour::containing(1_795_293_296)));
        assert_eq!(broker.unix(), Some(1_795_291_200));
        let nonsense: Reported<Hour> = serde_json::from_str("\"soon\"").unwrap();
        assert_eq!(nonsense.unix(), None);
    }
}
