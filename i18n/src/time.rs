//! Times for people: in the local zone (`TZ`, else the system's), with the
//! zone named, in each language's usual order.
//!
//! The broker records a packet's arrival truncated to the hour (SPEC §2.2).
//! Shown as a bare time, "received 10:00" would seem to come before "sent
//! 10:08"; [`hour_span`] gives the hour as a span for the catalogs to word
//! as rounded.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::Lang;

/// The zone times are shown in: `TZ` if set, else the system's, else UTC.
pub fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

/// The zone's name for a header line: its IANA name where known
/// (`Asia/Tokyo`), else its abbreviation now.
pub fn zone_name(zone: &TimeZone) -> String {
    match zone.iana_name() {
        Some(name) => name.to_owned(),
        None => Timestamp::now()
            .to_zoned_datetime(zone.clone())
            .strftime("%Z")
            .to_string(),
    }
}

/// A date and time to the minute, with the zone's abbreviation:
/// `2026-12-07 22:51 JST`, `2026/12/07 22:51 JST`, `07/12/2026 22:51 +07`.
pub fn moment(lang: Lang, zone: &TimeZone, unix_seconds: i64) -> String {
    let zoned = timestamp(unix_seconds).to_zoned_datetime(zone.clone());
    let pattern = match lang {
        Lang::En => "%Y-%m-%d %H:%M %Z",
        Lang::Ja => "%Y/%m/%d %H:%M %Z",
        Lang::Vi => "%d/%m/%Y %H:%M %Z",
    };
    zoned.strftime(pattern).to_string()
}

/// A date alone, in the zone: `2026-12-07`, `2026/12/07`, `07/12/2026`.
pub fn date(lang: Lang, zone: &TimeZone, unix_seconds: i64) -> String {
    let zoned = timestamp(unix_seconds).to_zoned_datetime(zone.clone());
    let pattern = match lang {
        Lang::En => "%Y-%m-%d",
        Lang::Ja => "%Y/%m/%d",
        Lang::Vi => "%d/%m/%Y",
    };
    zoned.strftime(pattern).to_string()
}

/// The hour an hour-rounded time stands for, as `(from, to)`: the start
/// with its date, the end as a time and zone (`2026/12/07 10:00`,
/// `11:00 JST`). In a zone with a half-hour offset the span is still the
/// broker's hour (`10:30`–`11:30`).
pub fn hour_span(lang: Lang, zone: &TimeZone, unix_seconds: i64) -> (String, String) {
    let start = unix_seconds - unix_seconds.rem_euclid(3600);
    let from = timestamp(start).to_zoned_datetime(zone.clone());
    let to = timestamp(start + 3600).to_zoned_datetime(zone.clone());
    let from_pattern = match lang {
        Lang::En => "%Y-%m-%d %H:%M",
        Lang::Ja => "%Y/%m/%d %H:%M",
        Lang::Vi => "%d/%m/%Y %H:%M",
    };
    (
        from.strftime(from_pattern).to_string(),
        to.strftime("%H:%M %Z").to_string(),
    )
}

/// A moment as RFC 3339 with the zone's offset (`2026-12-07T22:51:00+09:00`):
/// the form a referral's `consent.obtained_at` takes, in the writer's zone.
pub fn rfc3339(zone: &TimeZone, unix_seconds: i64) -> String {
    let zoned = timestamp(unix_seconds).to_zoned_datetime(zone.clone());
    zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn timestamp(unix_seconds: i64) -> Timestamp {
    // Every time shown comes from a signed packet or the broker, both of
    // which are range-checked before they get here; the clamp keeps a
    // hostile value from panicking all the same.
    Timestamp::from_second(unix_seconds).unwrap_or(if unix_seconds < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-07T13:51:00Z
    const T: i64 = 1_796_651_460;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    #[test]
    fn ok_moment_in_the_zone_with_its_name() {
        assert_eq!(moment(Lang::Ja, &tokyo(), T), "2026/12/07 22:51 JST");
        assert_eq!(moment(Lang::En, &tokyo(), T), "2026-12-07 22:51 JST");
        let saigon = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        assert_eq!(moment(Lang::Vi, &saigon, T), "07/12/2026 20:51 +07");
        assert_eq!(moment(Lang::En, &TimeZone::UTC, T), "2026-12-07 13:51 UTC");
    }

    #[test]
    fn ok_rfc3339_carries_the_zone_offset() {
        assert_eq!(rfc3339(&tokyo(), T), "2026-12-07T22:51:00+09:00");
        assert_eq!(rfc3339(&TimeZone::UTC, T), "2026-12-07T13:51:00+00:00");
    }

    #[test]
    fn ok_hour_span_contains_the_time() {
        assert_eq!(
            hour_span(Lang::Ja, &tokyo(), T),
            ("2026/12/07 22:00".to_owned(), "23:00 JST".to_owned())
        );
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        assert_eq!(
            hour_span(Lang::En, &kolkata, T),
            ("2026-12-07 18:30".to_owned(), "19:30 IST".to_owned())
        );
    }

    #[test]
    fn ok_zone_name_is_iana_where_known() {
        assert_eq!(zone_name(&tokyo()), "Asia/Tokyo");
    }

    #[test]
    fn fail_out_of_range_time_does_not_panic() {
        assert!(!moment(Lang::En, &TimeZone::UTC, i64::MAX).is_empty());
        assert!(
            !hour_span(Lang::En, &TimeZone::UTC, i64::MIN / 2)
                .0
                .is_empty()
        );
    }
}
