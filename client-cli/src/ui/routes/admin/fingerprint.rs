//! A device's fingerprint for people: in groups of four digits to read
//! aloud, and the check of one typed back.

use maud::{Markup, html};
use referral_protocol::Fingerprint;

use crate::tr;

/// The fingerprint's groups, as its `Display` writes them (four hex digits
/// each, sixteen groups).
pub fn groups(fingerprint: &Fingerprint) -> Vec<String> {
    fingerprint
        .to_string()
        .split(' ')
        .map(str::to_owned)
        .collect()
}

/// What a screen reader says: each group's digits one by one, the groups
/// apart (`3 f 2 a, 9 1 b c, …`), so that it is read as it is compared.
pub fn spoken(fingerprint: &Fingerprint) -> String {
    groups(fingerprint)
        .iter()
        .map(|group| {
            group
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `typed` is `fingerprint`, ignoring spaces (and the `:` or `-`
/// some people type between groups) and case. The text is read as the
/// CLI's `--fingerprint` is, by the protocol's own parser, once full-width
/// letters and digits (what a Japanese input method left in full-width
/// mode types) are taken as the ASCII ones they stand for.
pub fn typed_matches(typed: &str, fingerprint: &Fingerprint) -> bool {
    half_width(typed)
        .parse::<Fingerprint>()
        .is_ok_and(|typed| typed == *fingerprint)
}

/// `text` with full-width ASCII forms (U+FF01 to U+FF5E) as ASCII, as
/// Unicode's compatibility mapping (NFKC) has them.
pub fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            other => other,
        })
        .collect()
}

/// The fingerprint on a page: monospace groups, read aloud group by group.
pub fn show(fingerprint: &Fingerprint) -> Markup {
    html! {
        span.fingerprint role="img" aria-label=(tr!("ui-admin-fingerprint-spoken", digits = spoken(fingerprint))) {
            @for (i, group) in groups(fingerprint).iter().enumerate() {
                @if i > 0 { " " }
                span.fp-group { (group) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Fingerprint {
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
            .parse()
            .expect("64 hex digits")
    }

    #[test]
    fn a_fingerprint_shows_in_sixteen_groups_of_four() {
        let groups = groups(&sample());
        assert_eq!(groups.len(), 16);
        assert!(groups.iter().all(|g| g.len() == 4));
        assert_eq!(groups[0], "0011");
        assert_eq!(groups[5], "aabb");
        assert_eq!(groups.concat(), sample().hex());
    }

    #[test]
    fn a_fingerprint_is_spoken_digit_by_digit_group_by_group() {
        let spoken = spoken(&sample());
        assert!(spoken.starts_with("0 0 1 1, 2 2 3 3, 4 4 5 5"), "{spoken}");
        assert_eq!(spoken.matches(", ").count(), 15);
    }

    #[test]
    fn a_typed_fingerprint_matches_ignoring_spaces_and_case() {
        let fp = sample();
        assert!(typed_matches(&fp.hex(), &fp));
        assert!(typed_matches(&fp.to_string(), &fp));
        assert!(typed_matches(&fp.to_string().to_uppercase(), &fp));
        assert!(typed_matches(
            &format!("  {}  ", fp.to_string().replace(' ', "\u{3000}  ")),
            &fp
        ));
    }

    #[test]
    fn full_width_digits_and_letters_from_an_input_method_match() {
        let fp = sample();
        let full: String = fp
            .to_string()
            .chars()
            .map(|c| match c {
                ' ' => '\u{3000}',
                c => char::from_u32(c as u32 + 0xFEE0).expect("a full-width form"),
            })
            .collect();
        assert_ne!(full, fp.to_string());
        assert!(typed_matches(&full, &fp));
        assert_eq!(half_width("ａＢ０９－"), "aB09-");
    }

    #[test]
    fn a_wrong_short_or_empty_fingerprint_does_not_match() {
        let fp = sample();
        let mut wrong = fp.hex();
        wrong.replace_range(63.., "0");
        assert!(!typed_matches(&wrong, &fp));
        assert!(!typed_matches(&fp.hex()[..60], &fp));
        assert!(!typed_matches(&format!("{}00", fp.hex()), &fp));
        assert!(!typed_matches("", &fp));
        assert!(!typed_matches("zz", &fp));
    }
}
