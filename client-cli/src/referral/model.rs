//! The referral content, schema v1 (SPEC §6): the document a caseworker
//! fills in and the recipient desk reads. Field names and enumerations are
//! normative; `schemas/referral.v1.schema.json` is generated from these
//! types.
//!
//! A value of [`Referral`] is a valid referral: the code lists, the
//! non-blank fields and `consent.recorded` are checked while deserializing,
//! not afterwards. [`super::validate::parse`] is the way in for documents
//! from people, since it reports every problem at once with its path;
//! deserializing directly stops at the first.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

use super::reference_data;
use super::rules;

/// Defines a closed set of strings as a Rust enum, with the list of its
/// JSON names as `NAMES`, so that the validator and the blank document use
/// the very names serde accepts.
macro_rules! choice {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, as written in JSON, in the order of SPEC §6.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// This value as written in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

choice! {
    /// Which version of the referral content this is. A reader refuses a
    /// version it does not know rather than guessing at its fields.
    pub enum SchemaVersion {
        /// Schema v1 (this one).
        V1 = "referral.v1",
    }
}

choice! {
    /// What the person needs help with (`case.need`).
    pub enum Need {
        /// A (replacement) vaccination voucher.
        VaccinationVoucher = "vaccination_voucher",
        /// Booking a vaccination.
        VaccinationBooking = "vaccination_booking",
        /// An interpreter.
        Interpretation = "interpretation",
        /// Medical care.
        Medical = "medical",
        /// Legal advice.
        Legal = "legal",
        /// Housing.
        Housing = "housing",
        /// Work and employment.
        Labour = "labour",
        /// Money, food and daily living.
        Livelihood = "livelihood",
        /// Anything else (say what in `case.summary`).
        Other = "other",
    }
}

choice! {
    /// How soon the desk should act (`case.urgency`).
    pub enum Urgency {
        /// When convenient.
        Low = "low",
        /// In the usual course.
        Normal = "normal",
        /// Soon.
        High = "high",
        /// Now.
        Urgent = "urgent",
    }
}

choice! {
    /// The person's residence status as they told it (`status.residence_category`).
    pub enum ResidenceCategory {
        /// Has a residence card and is on the resident register.
        ResidentRegistered = "resident_registered",
        /// A short-term stay of three months or less.
        ShortTerm3MonthsOrLess = "short_term_3_months_or_less",
        /// On provisional release (karihomen).
        ProvisionalRelease = "provisional_release",
        /// Applying for provisional release.
        ApplyingProvisionalRelease = "applying_provisional_release",
        /// Without a status of residence.
        Undocumented = "undocumented",
        /// Not known, or the person chose not to say.
        Unknown = "unknown",
    }
}

choice! {
    /// A document the person holds (`status.documents_held`).
    pub enum Document {
        /// The postcard immigration services send.
        ImmigrationPostcard = "immigration_postcard",
        /// A passport.
        Passport = "passport",
        /// Any proof of residency (lease, utility bill, residence card).
        ProofOfResidency = "proof_of_residency",
        /// A provisional release permit.
        ProvisionalReleasePermit = "provisional_release_permit",
        /// None of these; listed alone.
        None = "none",
    }
}

choice! {
    /// Whom the person agreed may receive this referral (`consent.scope`).
    pub enum ConsentScope {
        /// The addressed desk only.
        ThisDesk = "this_desk",
        /// The addressed desk, which may refer the case onward.
        OnwardReferralAllowed = "onward_referral_allowed",
    }
}

/// A referral, schema v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Referral content, schema v1",
    description = "What a caseworker sends a partner desk, inside an encrypted packet \
                   (SPEC §6). The broker never sees it."
)]
pub struct Referral {
    /// Always `referral.v1`.
    pub schema: SchemaVersion,
    /// The case: what is needed, and how soon.
    pub case: Case,
    /// The person referred.
    pub person: Person,
    /// The person's residence status and documents, as they told it.
    pub status: Status,
    /// The person's consent to this referral.
    pub consent: Consent,
}

/// `case`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The caseworker's own reference for the case (may be empty).
    pub reference: String,
    /// What the person needs help with.
    pub need: Need,
    /// How soon the desk should act.
    pub urgency: Urgency,
    /// What the desk needs to know, in a sentence or two.
    pub summary: FilledText,
}

/// `person`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// A name or pseudonym; optional, since some callers will not give one.
    #[serde(default)]
    pub name: Option<String>,
    /// The language to reach the person in.
    pub preferred_language: LanguageCode,
    /// Whether the desk needs an interpreter to talk with the person.
    pub interpreter_needed: bool,
    /// How the desk may reach the person.
    pub contact: Contact,
    /// Where the person lives.
    pub prefecture: PrefectureCode,
    /// City, ward, town or village (may be empty).
    pub municipality: String,
}

/// `person.contact`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// A phone number (may be empty: not everyone has one).
    pub phone: String,
    /// Another way to reach the person, or null. Present even when null, so
    /// that a caseworker sees the question in the blank referral.
    #[serde(deserialize_with = "present_but_nullable")]
    #[schemars(schema_with = "nullable_text")]
    pub other: Option<String>,
    /// When the person can take a call (may be empty).
    pub best_times: String,
    /// Whether the desk may call the person directly.
    pub desk_may_call: bool,
}

/// `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Status {
    /// The person's residence status as they told it.
    pub residence_category: ResidenceCategory,
    /// Documents the person holds.
    pub documents_held: Documents,
}

/// `consent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Must be `true`: the CLI refuses to send a referral without the
    /// person's recorded consent.
    #[serde(deserialize_with = "must_be_true")]
    #[schemars(extend("const" = true))]
    pub recorded: bool,
    /// Whom the person agreed may receive the referral.
    pub scope: ConsentScope,
    /// When the consent was given.
    pub obtained_at: Timestamp,
    /// How it was given (`verbal, by phone`).
    pub method: FilledText,
    /// The language in which it was asked and given.
    pub language: LanguageCode,
}

/// `present_but_nullable`: a missing `Option` field is an error, as for any
/// other field, where serde's default would quietly read it as null.
fn present_but_nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// The schema of `present_but_nullable`: schemars' own `required` would
/// also drop the `null`.
fn nullable_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": ["string", "null"]})
}

fn must_be_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    if bool::deserialize(d)? {
        Ok(true)
    } else {
        Err(serde::de::Error::custom(rules::CONSENT_NOT_RECORDED))
    }
}

/// Declares a string newtype that only holds values passing `$check`
/// (a `fn(&str) -> Result<(), String>` from [`rules`]), so that the
/// check happens during deserialization and a value of the type is known
/// good.
macro_rules! checked_string {
    ($(#[$meta:meta])* $name:ident, $check:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $check(&s)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_string!(
    /// Text that must contain something other than spaces.
    FilledText,
    rules::filled
);
checked_string!(
    /// A BCP 47 tag listed in `data/languages.csv`.
    LanguageCode,
    rules::language
);
checked_string!(
    /// An ISO 3166-2:JP code listed in `data/prefectures.csv`.
    PrefectureCode,
    rules::prefecture
);
checked_string!(
    /// An RFC 3339 date and time with an offset, kept as written: the offset
    /// says which clock the caseworker read, and the desk should see it.
    Timestamp,
    rules::timestamp
);

impl JsonSchema for FilledText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FilledText".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "Text with at least one character that is not white space.",
            "pattern": "\\S"
        })
    }
}

/// The language list is short enough (23 codes) to give as an `enum`, which
/// lets schema-aware editors offer the codes.
impl JsonSchema for LanguageCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LanguageCode".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let codes: Vec<&str> = reference_data::languages()
            .iter()
            .map(|l| l.code.as_str())
            .collect();
        json_schema!({
            "type": "string",
            "description": "A BCP 47 language tag from data/languages.csv.",
            "enum": codes
        })
    }
}

impl JsonSchema for PrefectureCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PrefectureCode".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let codes: Vec<&str> = reference_data::prefectures()
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        json_schema!({
            "type": "string",
            "description": "An ISO 3166-2:JP prefecture code from data/prefectures.csv.",
            "enum": codes
        })
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An RFC 3339 date and time with an offset (2021-09-17T10:20:00+09:00).",
            "format": "date-time"
        })
    }
}

/// `status.documents_held`: at least one document, each at most once, and
/// `none` only alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Document>", into = "Vec<Document>")]
pub struct Documents(Vec<Document>);

impl Documents {
    /// The documents, in the order given.
    pub fn as_slice(&self) -> &[Document] {
        &self.0
    }
}

impl TryFrom<Vec<Document>> for Documents {
    type Error = String;
    fn try_from(docs: Vec<Document>) -> Result<Self, String> {
        let names: Vec<&str> = docs.iter().map(|d| d.as_str()).collect();
        if let Some((_, problem)) = rules::documents(&names).into_iter().next() {
            return Err(problem);
        }
        Ok(Self(docs))
    }
}

impl From<Documents> for Vec<Document> {
    fn from(d: Documents) -> Self {
        d.0
    }
}

impl JsonSchema for Documents {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Documents".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "description": "At least one document, each at most once; `none` only alone.",
            "items": g.subschema_for::<Document>(),
            "minItems": 1,
            "uniqueItems": true,
            "not": {"contains": {"const": "none"}, "minItems": 2}
        })
    }
}
