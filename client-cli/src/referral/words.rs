//! The words people read for the enumerations: a referral's code lists, a
//! case's status, a device's role and status, language and prefecture
//! names, in the
//! language `referral` speaks (ADR 0012, glossary in `docs/i18n.md`).
//!
//! One function per enumeration, each a `match` to literal keys, so that the
//! catalog check sees every key used and a new variant fails to compile
//! until it has words. `--json`, CSV and the referral document keep the
//! codes; these words are for the tables and views people read.

use referral_protocol::directory::DeviceStatus;
use referral_protocol::{Role, ThreadStatus};

use super::model::{ConsentScope, Document, Need, ResidenceCategory, Urgency};
use crate::tr;

/// What the person needs help with.
pub fn need(need: Need) -> String {
    match need {
        Need::VaccinationVoucher => tr!("need-vaccination-voucher"),
        Need::VaccinationBooking => tr!("need-vaccination-booking"),
        Need::Interpretation => tr!("need-interpretation"),
        Need::Medical => tr!("need-medical"),
        Need::Legal => tr!("need-legal"),
        Need::Housing => tr!("need-housing"),
        Need::Labour => tr!("need-labour"),
        Need::Livelihood => tr!("need-livelihood"),
        Need::Other => tr!("need-other"),
    }
}

/// How soon the desk should act.
pub fn urgency(urgency: Urgency) -> String {
    match urgency {
        Urgency::Low => tr!("urgency-low"),
        Urgency::Normal => tr!("urgency-normal"),
        Urgency::High => tr!("urgency-high"),
        Urgency::Urgent => tr!("urgency-urgent"),
    }
}

/// The person's residence status, as they told it.
pub fn residence(category: ResidenceCategory) -> String {
    match category {
        ResidenceCategory::ResidentRegistered => tr!("residence-resident-registered"),
        ResidenceCategory::ShortTerm3MonthsOrLess => {
            tr!("residence-short-term-3-months-or-less")
        }
        ResidenceCategory::ProvisionalRelease => tr!("residence-provisional-release"),
        ResidenceCategory::ApplyingProvisionalRelease => {
            tr!("residence-applying-provisional-release")
        }
        ResidenceCategory::Undocumented => tr!("residence-undocumented"),
        ResidenceCategory::Unknown => tr!("residence-unknown"),
    }
}

/// A document the person holds.
pub fn document(document: Document) -> String {
    match document {
        Document::ImmigrationPostcard => tr!("document-immigration-postcard"),
        Document::Passport => tr!("document-passport"),
        Document::ProofOfResidency => tr!("document-proof-of-residency"),
        Document::ProvisionalReleasePermit => tr!("document-provisional-release-permit"),
        Document::None => tr!("document-none"),
    }
}

/// Whom the person agreed may receive the referral.
pub fn consent_scope(scope: ConsentScope) -> String {
    match scope {
        ConsentScope::ThisDesk => tr!("consent-this-desk"),
        ConsentScope::OnwardReferralAllowed => tr!("consent-onward-referral-allowed"),
    }
}

/// A case's status, in the glossary's words.
pub fn status(status: ThreadStatus) -> String {
    match status {
        ThreadStatus::Sent => tr!("status-sent"),
        ThreadStatus::Received => tr!("status-received"),
        ThreadStatus::Accepted => tr!("status-accepted"),
        ThreadStatus::Rejected => tr!("status-rejected"),
        ThreadStatus::InProgress => tr!("status-in-progress"),
        ThreadStatus::Completed => tr!("status-completed"),
        ThreadStatus::Cancelled => tr!("status-cancelled"),
        ThreadStatus::Forwarded => tr!("status-forwarded"),
        ThreadStatus::Expired => tr!("status-expired"),
    }
}

/// What a device may do.
pub fn role(role: Role) -> String {
    match role {
        Role::Caseworker => tr!("role-caseworker"),
        Role::Desk => tr!("role-desk"),
        Role::Admin => tr!("role-admin"),
    }
}

/// Whether a device may still take part.
pub fn device_status(status: DeviceStatus) -> String {
    match status {
        DeviceStatus::Active => tr!("device-status-active"),
        DeviceStatus::Revoked => tr!("device-status-revoked"),
    }
}

/// The name of a language of `client-cli/data/languages.csv` by its BCP 47
/// code; `None` for a code outside that table, which the caller shows as
/// the code itself (escaped: it may come from a packet).
pub fn language(code: &str) -> Option<String> {
    let name = match code {
        "ja" => tr!("language-ja"),
        "en" => tr!("language-en"),
        "zh-Hans" => tr!("language-zh-hans"),
        "zh-Hant" => tr!("language-zh-hant"),
        "ko" => tr!("language-ko"),
        "es" => tr!("language-es"),
        "pt" => tr!("language-pt"),
        "vi" => tr!("language-vi"),
        "ne" => tr!("language-ne"),
        "th" => tr!("language-th"),
        "id" => tr!("language-id"),
        "tl" => tr!("language-tl"),
        "my" => tr!("language-my"),
        "km" => tr!("language-km"),
        "mn" => tr!("language-mn"),
        "fr" => tr!("language-fr"),
        "si" => tr!("language-si"),
        "ur" => tr!("language-ur"),
        "bn" => tr!("language-bn"),
        "ar" => tr!("language-ar"),
        "fa" => tr!("language-fa"),
        "ms" => tr!("language-ms"),
        "ru" => tr!("language-ru"),
        _ => return None,
    };
    Some(name)
}

/// The name of a prefecture by its ISO 3166-2:JP code (`JP-13`); `None`
/// for a code outside `client-cli/data/prefectures.csv`.
pub fn prefecture(code: &str) -> Option<String> {
    let name = match code {
        "JP-01" => tr!("prefecture-jp-01"),
        "JP-02" => tr!("prefecture-jp-02"),
        "JP-03" => tr!("prefecture-jp-03"),
        "JP-04" => tr!("prefecture-jp-04"),
        "JP-05" => tr!("prefecture-jp-05"),
        "JP-06" => tr!("prefecture-jp-06"),
        "JP-07" => tr!("prefecture-jp-07"),
        "JP-08" => tr!("prefecture-jp-08"),
        "JP-09" => tr!("prefecture-jp-09"),
        "JP-10" => tr!("prefecture-jp-10"),
        "JP-11" => tr!("prefecture-jp-11"),
        "JP-12" => tr!("prefecture-jp-12"),
        "JP-13" => tr!("prefecture-jp-13"),
        "JP-14" => tr!("prefecture-jp-14"),
        "JP-15" => tr!("prefecture-jp-15"),
        "JP-16" => tr!("prefecture-jp-16"),
        "JP-17" => tr!("prefecture-jp-17"),
        "JP-18" => tr!("prefecture-jp-18"),
        "JP-19" => tr!("prefecture-jp-19"),
        "JP-20" => tr!("prefecture-jp-20"),
        "JP-21" => tr!("prefecture-jp-21"),
        "JP-22" => tr!("prefecture-jp-22"),
        "JP-23" => tr!("prefecture-jp-23"),
        "JP-24" => tr!("prefecture-jp-24"),
        "JP-25" => tr!("prefecture-jp-25"),
        "JP-26" => tr!("prefecture-jp-26"),
        "JP-27" => tr!("prefecture-jp-27"),
        "JP-28" => tr!("prefecture-jp-28"),
        "JP-29" => tr!("prefecture-jp-29"),
        "JP-30" => tr!("prefecture-jp-30"),
        "JP-31" => tr!("prefecture-jp-31"),
        "JP-32" => tr!("prefecture-jp-32"),
        "JP-33" => tr!("prefecture-jp-33"),
        "JP-34" => tr!("prefecture-jp-34"),
        "JP-35" => tr!("prefecture-jp-35"),
        "JP-36" => tr!("prefecture-jp-36"),
        "JP-37" => tr!("prefecture-jp-37"),
        "JP-38" => tr!("prefecture-jp-38"),
        "JP-39" => tr!("prefecture-jp-39"),
        "JP-40" => tr!("prefecture-jp-40"),
        "JP-41" => tr!("prefecture-jp-41"),
        "JP-42" => tr!("prefecture-jp-42"),
        "JP-43" => tr!("prefecture-jp-43"),
        "JP-44" => tr!("prefecture-jp-44"),
        "JP-45" => tr!("prefecture-jp-45"),
        "JP-46" => tr!("prefecture-jp-46"),
        "JP-47" => tr!("prefecture-jp-47"),
        _ => return None,
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use referral_i18n::{Catalog, Lang};

    use super::*;
    use crate::referral::reference_data;

    #[test]
    fn ok_every_language_of_the_table_has_a_name() {
        for known in reference_data::languages() {
            assert!(
                language(&known.code).is_some(),
                "no name for {}",
                known.code
            );
        }
        assert_eq!(language("xx"), None);
        for known in reference_data::prefectures() {
            assert!(
                prefecture(&known.code).is_some(),
                "no name for {}",
                known.code
            );
        }
        assert_eq!(prefecture("JP-48"), None);
    }

    #[test]
    fn ok_statuses_use_the_glossary() {
        // The catalog installed in library tests is English; the Japanese
        // words are checked on a catalog of their own.
        assert_eq!(status(ThreadStatus::Rejected), "declined");
        let ja = Catalog::new(Lang::Ja, crate::i18n::catalog_sources);
        assert_eq!(ja.message("status-accepted", &[]), "受付");
        assert_eq!(ja.message("status-completed", &[]), "完了");
    }
}
