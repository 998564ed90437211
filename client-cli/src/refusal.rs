//! The broker's refusals in plain words (ADR 0015): one exhaustive `match`
//! from each [`RefusalCode`] of the broker's catalogue (the `protocol`
//! crate's) to a message that says what happened and what to do, so a new
//! code does not build until it is given words here. The code itself stays
//! in the error chain; a code this build does not know (a newer broker)
//! shows the broker's own message, escaped on the way out like all its text.

use referral_protocol::RefusalCode;

use crate::tr;

/// What a refusal with `code` means for the user, in their language,
/// followed by the broker's own message on a line of its own (it often
/// names the detail: which field, which status). That message is unsigned
/// text from the broker: it is only ever shown after our words, and it is
/// escaped on the way out like all the broker's text (ADR 0011).
pub fn plain_words(code: &str, broker_message: &str) -> String {
    let ours = code.parse().ok().and_then(our_words);
    match ours {
        Some(words) if !broker_message.trim().is_empty() => format!(
            "{words}\n{}",
            tr!("refused-broker-said", message = broker_message)
        ),
        Some(words) => words,
        None => tr!("refused-other", message = broker_message),
    }
}

/// Our words for a code; `None` where the broker's own message says it
/// best (it names the detail our words could only repeat).
fn our_words(code: RefusalCode) -> Option<String> {
    use RefusalCode as C;
    let words = match code {
        C::PacketTooLarge | C::BodyTooLarge => tr!("refused-too-large"),
        C::PendingBytesCap => tr!("refused-pending-cap"),
        C::UnknownDesk | C::NoDesk => tr!("refused-unknown-desk"),
        C::Unauthorized
        | C::InvalidCredentials
        | C::NotInDirectory
        | C::UnknownTokenKey
        | C::BadSignature => tr!("refused-not-signed-in"),
        C::AdminOnly | C::EntryNotAuthorised => tr!("refused-admin-only"),
        C::UnknownPacket | C::UnknownThread | C::NotRecipient | C::UnknownRequest => {
            tr!("refused-unknown-id")
        }
        C::PacketExpired | C::PacketIdPurged | C::RequestGone => tr!("refused-gone"),
        C::IllegalTransition => tr!("refused-illegal-transition"),
        C::PacketIdConflict | C::ThreadExists | C::PayloadChanged => tr!("refused-id-reused"),
        C::StaleCiphertext | C::StaleHead | C::DirectoryConflict => {
            tr!("refused-changed-meanwhile")
        }
        C::InvalidInviteCode => tr!("refused-invite-code"),
        C::DirectoryPrivate => tr!("refused-directory-private"),
        C::InvalidBootstrapCode => tr!("refused-bootstrap-code"),
        C::AlreadyClaimed => tr!("refused-already-claimed"),
        C::NotBootstrapped => tr!("refused-not-bootstrapped"),
        C::WrongBroker => tr!("refused-wrong-broker"),
        C::DeviceExists | C::KeyInUse => tr!("refused-already-registered"),
        C::NotPending
        | C::RequestMismatch
        | C::UnexpectedRequest
        | C::RequestRequired
        | C::MissingCoSignature
        | C::BadProof
        | C::WrongRecipientKind
        | C::BadEntry
        | C::EntryRefused
        | C::EntryInFuture
        | C::DirectoryInconsistent => tr!("refused-directory-change"),
        C::BodyTimeout | C::RequestTimeout => tr!("refused-too-slow"),
        C::BadHeader
        | C::BadPath
        | C::BadQuery
        | C::BadRequest
        | C::BodyError
        | C::InvalidJson
        | C::MalformedJson
        | C::UnsupportedMediaType
        | C::MissingHeader
        | C::MethodNotAllowed
        | C::NotFound
        | C::NotAge
        | C::NotPadded
        | C::InvalidTtl => tr!("refused-malformed"),
        // The broker's message names what our words could only guess at:
        // which age header rule, which rewrap rule, which limit or cursor,
        // when to retry (the client retries rate limits itself), or that
        // the broker failed.
        C::ArmoredAge
        | C::UnsupportedAgeVersion
        | C::AgeHeaderTooLarge
        | C::TooManyStanzas
        | C::ForbiddenStanza
        | C::LowOrderShare
        | C::NoRecipients
        | C::MalformedAgeHeader
        | C::TruncatedAgeFile
        | C::RewrapStanzaCount
        | C::RewrapMoreThanOneStanza
        | C::RewrapNoStanzaReplaced
        | C::RewrapNotX25519
        | C::RewrapMacUnchanged
        | C::BadCursor
        | C::BadLimit
        | C::RateLimited
        | C::TooManyConnections
        | C::Internal
        | C::NotReady => return None,
    };
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_get_their_own_words_and_unknown_ones_the_brokers() {
        let too_large = plain_words("packet_too_large", "limit 1048576");
        let (ours, theirs) = too_large.split_once('\n').expect("two lines");
        assert!(ours.contains("attachment"), "{too_large}");
        assert!(
            !ours.contains("1048576") && theirs.contains("1048576"),
            "{too_large}"
        );
        assert_ne!(
            plain_words("unknown_desk", ""),
            plain_words("unknown_thread", "")
        );
        let other = plain_words("a_code_from_the_future", "the broker's own words");
        assert!(other.contains("the broker's own words"), "{other}");
    }
}
