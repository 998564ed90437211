//! The broker's refusals as the wire carries them: a stable code per kind of
//! refusal, each with the HTTP status it is answered with, and the
//! `{"error": CODE, "message": TEXT}` body ([`ErrorBody`]) both sides use.
//!
//! The codes are wire contract: the broker answers only these, and a client
//! matches on them exhaustively, so a new code forces a decision on both
//! sides. A client meeting a word it does not know (a newer broker) gets an
//! [`UnknownRefusalCode`] and falls back to the broker's own message.

use std::fmt;
use std::str::FromStr;

use http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::api::ErrorBody;

/// Declares [`RefusalCode`] once: each variant with its wire word and its
/// status, so that the enum, [`RefusalCode::as_str`], [`RefusalCode::status`],
/// [`FromStr`] and [`RefusalCode::ALL`] cannot disagree.
macro_rules! refusal_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = ($word:literal, $status:ident),)+) => {
        /// One kind of refusal the broker can answer, by its stable code.
        ///
        /// Deliberately not `#[non_exhaustive]`: a client's `match` on it is
        /// exhaustive, so a new code does not build until each side decides
        /// what it means there.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RefusalCode {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl RefusalCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [RefusalCode] = &[$(Self::$variant,)+];

            /// The wire word (`packet_too_large`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }

            /// The HTTP status the broker answers this code with.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(Self::$variant => StatusCode::$status,)+
                }
            }
        }

        impl FromStr for RefusalCode {
            type Err = UnknownRefusalCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok(Self::$variant),)+
                    _ => Err(UnknownRefusalCode),
                }
            }
        }
    };
}

refusal_codes! {
    // --- the request itself, as axum reads it ---------------------------
    /// No route has this path.
    NotFound = ("not_found", NOT_FOUND),
    /// The route exists, but not with this method.
    MethodNotAllowed = ("method_not_allowed", METHOD_NOT_ALLOWED),
    /// A JSON route was sent a body without `Content-Type: application/json`.
    UnsupportedMediaType = ("unsupported_media_type", UNSUPPORTED_MEDIA_TYPE),
    /// A JSON body is not JSON.
    MalformedJson = ("malformed_json", BAD_REQUEST),
    /// A JSON body is JSON, but not the object the route takes.
    InvalidJson = ("invalid_json", UNPROCESSABLE_ENTITY),
    /// A JSON body is over the broker's JSON limit.
    BodyTooLarge = ("body_too_large", PAYLOAD_TOO_LARGE),
    /// The request body could not be read (the client cut it short).
    BodyError = ("body_error", BAD_REQUEST),
    /// The request is malformed in a way axum names but no other code covers.
    BadRequest = ("bad_request", BAD_REQUEST),
    /// A path parameter does not parse.
    BadPath = ("bad_path", BAD_REQUEST),
    /// The query string does not parse.
    BadQuery = ("bad_query", BAD_REQUEST),
    /// A required header (routing, `referral-replaces`) is absent.
    MissingHeader = ("missing_header", BAD_REQUEST),
    /// A header (routing, `referral-replaces`) does not parse.
    BadHeader = ("bad_header", BAD_REQUEST),
    /// The request body arrived too slowly between pieces.
    BodyTimeout = ("body_timeout", REQUEST_TIMEOUT),
    /// The whole request took longer than the broker's request timeout.
    RequestTimeout = ("request_timeout", REQUEST_TIMEOUT),

    // --- the broker's own state and limits --------------------------------
    /// Too many requests from this device or address; `Retry-After` says when.
    RateLimited = ("rate_limited", TOO_MANY_REQUESTS),
    /// Too many requests from this address are in progress at once.
    TooManyConnections = ("too_many_connections", TOO_MANY_REQUESTS),
    /// Something failed on the broker's side; the details are only in its log.
    Internal = ("internal", INTERNAL_SERVER_ERROR),
    /// The broker's database does not answer (`/readyz`).
    NotReady = ("not_ready", SERVICE_UNAVAILABLE),

    // --- who is asking ----------------------------------------------------
    /// No valid token: missing, malformed or expired, or the device is
    /// unknown or no longer active.
    Unauthorized = ("unauthorized", UNAUTHORIZED),
    /// The signed challenge, its signature or its device is not valid.
    InvalidCredentials = ("invalid_credentials", UNAUTHORIZED),
    /// The challenge was signed for another broker.
    WrongBroker = ("wrong_broker", UNAUTHORIZED),
    /// The device belongs to no desk (an administrator) and the route needs one.
    NoDesk = ("no_desk", FORBIDDEN),
    /// The route is for administrator devices.
    AdminOnly = ("admin_only", FORBIDDEN),
    /// The directory is shown only to an active device's token or with a
    /// live invite code (ADR 0019 §3).
    DirectoryPrivate = ("directory_private", UNAUTHORIZED),

    // --- packets ------------------------------------------------------------
    /// The packet is over the broker's packet size limit.
    PacketTooLarge = ("packet_too_large", PAYLOAD_TOO_LARGE),
    /// The packet's size is not one of the published buckets.
    NotPadded = ("not_padded", UNPROCESSABLE_ENTITY),
    /// The body is not an age file.
    NotAge = ("not_age", UNPROCESSABLE_ENTITY),
    /// The age file is ASCII-armored; the broker takes the binary form.
    ArmoredAge = ("armored_age", UNPROCESSABLE_ENTITY),
    /// The age file is of a version the broker does not know.
    UnsupportedAgeVersion = ("unsupported_age_version", UNPROCESSABLE_ENTITY),
    /// The age header is over the header size limit.
    AgeHeaderTooLarge = ("age_header_too_large", UNPROCESSABLE_ENTITY),
    /// The age header has more stanzas than the limit.
    TooManyStanzas = ("too_many_stanzas", UNPROCESSABLE_ENTITY),
    /// The age header has a stanza of a type the broker refuses.
    ForbiddenStanza = ("forbidden_stanza", UNPROCESSABLE_ENTITY),
    /// An X25519 stanza carries a low-order share.
    LowOrderShare = ("low_order_share", UNPROCESSABLE_ENTITY),
    /// The age header has no recipient stanza.
    NoRecipients = ("no_recipients", UNPROCESSABLE_ENTITY),
    /// The age header does not parse.
    MalformedAgeHeader = ("malformed_age_header", UNPROCESSABLE_ENTITY),
    /// The age file ends inside its header or before its payload's first chunk.
    TruncatedAgeFile = ("truncated_age_file", UNPROCESSABLE_ENTITY),
    /// The recipient desk does not exist.
    UnknownDesk = ("unknown_desk", UNPROCESSABLE_ENTITY),
    /// The desk's unread packets would exceed its cap.
    PendingBytesCap = ("pending_bytes_cap", CONFLICT),
    /// The packet id was already used for different bytes.
    PacketIdConflict = ("packet_id_conflict", CONFLICT),
    /// The packet id was delivered and purged; it cannot be sent again.
    PacketIdPurged = ("packet_id_purged", GONE),
    /// The thread named does not exist between these desks.
    UnknownThread = ("unknown_thread", NOT_FOUND),
    /// A referral names a thread that already exists.
    ThreadExists = ("thread_exists", CONFLICT),
    /// The thread's status cannot change that way from this desk.
    IllegalTransition = ("illegal_transition", CONFLICT),
    /// No such packet for this desk (or it is not this desk's to see).
    UnknownPacket = ("unknown_packet", NOT_FOUND),
    /// Nobody read the packet in time.
    PacketExpired = ("packet_expired", GONE),
    /// Only the cursor's own answers are cursors (`GET /v1/threads`).
    BadCursor = ("bad_cursor", BAD_REQUEST),
    /// The page size is out of range (`GET /v1/threads`).
    BadLimit = ("bad_limit", BAD_REQUEST),

    // --- rewraps (ADR 0004) ---------------------------------------------------
    /// Only the desk a packet is addressed to may rewrap it.
    NotRecipient = ("not_recipient", FORBIDDEN),
    /// Only a pending packet can be rewrapped.
    NotPending = ("not_pending", CONFLICT),
    /// The packet no longer holds the ciphertext `referral-replaces` names.
    StaleCiphertext = ("stale_ciphertext", CONFLICT),
    /// A rewrap changed more than the age header.
    PayloadChanged = ("payload_changed", UNPROCESSABLE_ENTITY),
    /// A rewrap changed the number of stanzas.
    RewrapStanzaCount = ("rewrap_stanza_count", UNPROCESSABLE_ENTITY),
    /// A rewrap replaced more than one stanza.
    RewrapMoreThanOneStanza = ("rewrap_more_than_one_stanza", UNPROCESSABLE_ENTITY),
    /// A rewrap replaced no stanza.
    RewrapNoStanzaReplaced = ("rewrap_no_stanza_replaced", UNPROCESSABLE_ENTITY),
    /// A rewrap replaced a stanza with one of another kind, or replaced a
    /// stanza that is not a recipient stanza (the wire code keeps its first name).
    RewrapNotX25519 = ("rewrap_not_x25519", UNPROCESSABLE_ENTITY),
    /// A rewrap changed a stanza but not the header's MAC.
    RewrapMacUnchanged = ("rewrap_mac_unchanged", UNPROCESSABLE_ENTITY),

    // --- invites, enrollments, rotations ---------------------------------------
    /// An invite's lifetime is out of range.
    InvalidTtl = ("invalid_ttl", UNPROCESSABLE_ENTITY),
    /// The invite code is wrong, used or expired.
    InvalidInviteCode = ("invalid_invite_code", FORBIDDEN),
    /// A proof of possession does not decode or does not verify.
    BadProof = ("bad_proof", UNPROCESSABLE_ENTITY),
    /// A request's `age_recipient` is not an X25519 key, or its
    /// `pq_recipient` not a hybrid one (ADR 0020).
    WrongRecipientKind = ("wrong_recipient_kind", UNPROCESSABLE_ENTITY),
    /// The device id is already enrolled or asked for.
    DeviceExists = ("device_exists", CONFLICT),
    /// The signing key is already a device's or another request's.
    KeyInUse = ("key_in_use", CONFLICT),
    /// The device was not enrolled through the directory (the root device).
    NotInDirectory = ("not_in_directory", UNPROCESSABLE_ENTITY),
    /// No such pending request (approved, replaced or never made).
    UnknownRequest = ("unknown_request", NOT_FOUND),

    // --- the directory log (ADR 0003) -------------------------------------------
    /// The bootstrap code is wrong, used or expired.
    InvalidBootstrapCode = ("invalid_bootstrap_code", FORBIDDEN),
    /// The broker already has a root.
    AlreadyClaimed = ("already_claimed", CONFLICT),
    /// The broker has no directory log yet.
    NotBootstrapped = ("not_bootstrapped", CONFLICT),
    /// The entry does not decode, or can never be appended.
    BadEntry = ("bad_entry", UNPROCESSABLE_ENTITY),
    /// The entry does not follow the broker's head.
    StaleHead = ("stale_head", CONFLICT),
    /// The entry's signature does not verify.
    BadSignature = ("bad_signature", UNPROCESSABLE_ENTITY),
    /// The entry's signer may not make it.
    EntryNotAuthorised = ("entry_not_authorised", UNPROCESSABLE_ENTITY),
    /// The entry needs a co-signature it does not carry.
    MissingCoSignature = ("missing_co_signature", UNPROCESSABLE_ENTITY),
    /// The entry's precondition does not hold on the log.
    EntryRefused = ("entry_refused", UNPROCESSABLE_ENTITY),
    /// The entry's time is ahead of the broker's clock.
    EntryInFuture = ("entry_in_future", UNPROCESSABLE_ENTITY),
    /// An enrollment or rotation entry names no request.
    RequestRequired = ("request_required", UNPROCESSABLE_ENTITY),
    /// An entry that approves no request names one.
    UnexpectedRequest = ("unexpected_request", UNPROCESSABLE_ENTITY),
    /// The entry does not match the request it approves.
    RequestMismatch = ("request_mismatch", UNPROCESSABLE_ENTITY),
    /// The request was approved or replaced meanwhile.
    RequestGone = ("request_gone", CONFLICT),
    /// Another entry was appended at this position meanwhile.
    DirectoryConflict = ("directory_conflict", CONFLICT),
    /// The broker's records disagree with the entry.
    DirectoryInconsistent = ("directory_inconsistent", CONFLICT),
    /// A token-key entry names no staged token key.
    UnknownTokenKey = ("unknown_token_key", UNPROCESSABLE_ENTITY),
}

/// A code this build does not know (from a newer broker, or not a code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a known refusal code")]
pub struct UnknownRefusalCode;

impl fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RefusalCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RefusalCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        word.parse()
            .map_err(|_| serde::de::Error::custom(format_args!("unknown refusal code {word:?}")))
    }
}

impl ErrorBody {
    /// The body's code, if this build knows it.
    pub fn code(&self) -> Result<RefusalCode, UnknownRefusalCode> {
        self.error.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_its_code() {
        for &code in RefusalCode::ALL {
            assert_eq!(code.as_str().parse::<RefusalCode>(), Ok(code));
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<RefusalCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn words_are_snake_case_and_distinct() {
        let mut seen = std::collections::BTreeSet::new();
        for code in RefusalCode::ALL {
            let word = code.as_str();
            assert!(
                word.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{word}"
            );
            assert!(seen.insert(word), "{word} twice");
        }
    }

    #[test]
    fn only_internal_is_a_server_error_but_not_ready() {
        for code in RefusalCode::ALL {
            let status = code.status();
            assert!(
                status.is_client_error()
                    || matches!(code, RefusalCode::Internal | RefusalCode::NotReady),
                "{code}: {status}"
            );
        }
    }

    #[test]
    fn unknown_words_are_unknown() {
        assert_eq!(
            "a_code_from_the_future".parse::<RefusalCode>(),
            Err(UnknownRefusalCode)
        );
        assert!(serde_json::from_str::<RefusalCode>("\"nope\"").is_err());
        let body = ErrorBody {
            error: "stale_head".into(),
            message: String::new(),
        };
        assert_eq!(body.code(), Ok(RefusalCode::StaleHead));
    }
}
