//! The broker's refusals in plain words (ADR 0015): one `match` from each
//! error code of the broker's catalogue (`broker/src/error.rs` and the
//! routes' codes) to a message that says what happened and what to do.
//! The code itself stays in the error chain; an unknown code shows the
//! broker's own message, escaped on the way out like all its text.

use crate::tr;

/// What a refusal with `code` means for the user, in their language,
/// followed by the broker's own message on a line of its own (it often
/// names the detail: which field, which status). That message is unsigned
/// text from the broker: it is only ever shown after our words, and it is
/// escaped on the way out like all the broker's text (ADR 0011).
pub fn plain_words(code: &str, broker_message: &str) -> String {
    let ours = our_words(code);
    match ours {
        Some(words) if !broker_message.trim().is_empty() => format!(
            "{words}\n{}",
            tr!("refused-broker-said", message = broker_message)
        ),
        Some(words) => words,
        None => tr!("refused-other", message = broker_message),
    }
}

/// Our words for a code we know; `None` for one from a newer broker.
fn our_words(code: &str) -> Option<String> {
    let words = match code {
        "packet_too_large" | "body_too_large" => tr!("refused-too-large"),
        "pending_bytes_cap" => tr!("refused-pending-cap"),
        "unknown_desk" | "no_desk" => tr!("refused-unknown-desk"),
        "unauthorized"
        | "invalid_credentials"
        | "not_in_directory"
        | "unknown_token_key"
        | "bad_signature" => tr!("refused-not-signed-in"),
        "admin_only" | "entry_not_authorised" => tr!("refused-admin-only"),
        "unknown_packet" | "unknown_thread" | "not_recipient" | "unknown_request" => {
            tr!("refused-unknown-id")
        }
        "packet_expired" | "packet_id_purged" | "request_gone" => tr!("refused-gone"),
        "illegal_transition" => tr!("refused-illegal-transition"),
        "id_reused" | "packet_id_conflict" | "thread_exists" | "payload_changed" => {
            tr!("refused-id-reused")
        }
        "stale_ciphertext" | "stale_head" | "directory_conflict" => {
            tr!("refused-changed-meanwhile")
        }
        "invalid_invite_code" => tr!("refused-invite-code"),
        "invalid_bootstrap_code" => tr!("refused-bootstrap-code"),
        "already_claimed" => tr!("refused-already-claimed"),
        "not_bootstrapped" => tr!("refused-not-bootstrapped"),
        "wrong_broker" => tr!("refused-wrong-broker"),
        "device_exists" | "key_in_use" => tr!("refused-already-registered"),
        "not_pending"
        | "request_mismatch"
        | "unexpected_request"
        | "request_required"
        | "missing_co_signature"
        | "bad_proof"
        | "bad_entry"
        | "entry_refused"
        | "entry_in_future"
        | "directory_inconsistent" => tr!("refused-directory-change"),
        "body_timeout" | "request_timeout" => tr!("refused-too-slow"),
        "bad_header"
        | "bad_path"
        | "bad_query"
        | "bad_request"
        | "body_error"
        | "invalid_json"
        | "malformed_json"
        | "unsupported_media_type"
        | "missing_header"
        | "method_not_allowed"
        | "not_found"
        | "not_age"
        | "not_padded"
        | "invalid_ttl" => tr!("refused-malformed"),
        _ => return None,
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
