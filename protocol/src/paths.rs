//! Where each route of the broker's API lives: the templates the broker's
//! router is built from (axum's `{id}` syntax), and the functions the client
//! fills them with. One list, so the two sides cannot drift apart.

use crate::ids::{PacketId, RequestId, ThreadId};

/// `POST`: a device asks for a challenge to sign.
pub const AUTH_CHALLENGE: &str = "/v1/auth/challenge";
/// `POST`: a signed challenge, for a token.
pub const AUTH_TOKEN: &str = "/v1/auth/token";
/// `GET`: the packets waiting for the caller's desk.
pub const INBOX: &str = "/v1/inbox";
/// `POST`: a sealed packet ([`crate::PacketRouting`] in its headers).
pub const PACKETS: &str = "/v1/packets";
/// `GET`: one packet's ciphertext ([`packet`]).
pub const PACKET: &str = "/v1/packets/{id}";
/// `POST`: the addressed desk has the packet ([`packet_ack`]).
pub const PACKET_ACK: &str = "/v1/packets/{id}/ack";
/// `POST`: the packet's age header moved to a device's current key
/// ([`packet_rewrap`]).
pub const PACKET_REWRAP: &str = "/v1/packets/{id}/rewrap";
/// `GET`: the caller's desk's threads changed since a cursor ([`threads`]).
pub const THREADS: &str = "/v1/threads";
/// `GET`: one thread's coarse status and events ([`thread`]).
pub const THREAD: &str = "/v1/threads/{id}";
/// `GET` ([`directory_since`]): the directory log, for an active device's
/// token or a live invite code in [`INVITE_HEADER`]; `POST`: an
/// administrator appends an entry.
pub const DIRECTORY: &str = "/v1/directory";
/// The header a device not enrolled yet reads [`DIRECTORY`] with: its
/// invite code (ADR 0019 §3).
pub const INVITE_HEADER: &str = "referral-invite";
/// `GET` (no token): the upload limits.
pub const LIMITS: &str = "/v1/limits";
/// `POST`: which desk and role an invite code is for.
pub const INVITE_LOOKUP: &str = "/v1/invites/lookup";
/// `POST`: a new device asks to join.
pub const ENROLLMENTS: &str = "/v1/enrollments";
/// `POST`: an enrolled device asks for new keys.
pub const ROTATIONS: &str = "/v1/rotations";
/// `POST`: the first administrator claims a fresh broker.
pub const ADMIN_BOOTSTRAP: &str = "/v1/admin/bootstrap";
/// `POST`: an administrator makes an invite code.
pub const ADMIN_INVITES: &str = "/v1/admin/invites";
/// `GET`: the requests waiting for an administrator.
pub const ADMIN_REQUESTS: &str = "/v1/admin/requests";
/// `GET`: one waiting request ([`admin_request`]).
pub const ADMIN_REQUEST: &str = "/v1/admin/requests/{id}";
/// `POST`: the broker stages a new token-signing key.
pub const ADMIN_TOKEN_KEYS: &str = "/v1/admin/token-keys";
/// `GET`: aggregate counts.
pub const ADMIN_STATS: &str = "/v1/admin/stats";
/// `GET`: the process answers.
pub const HEALTHZ: &str = "/healthz";
/// `GET`: the process and its database answer.
pub const READYZ: &str = "/readyz";
/// `GET`: Prometheus metrics.
pub const METRICS: &str = "/metrics";

/// [`PACKET`] for `id`.
pub fn packet(id: &PacketId) -> String {
    PACKET.replace("{id}", &id.to_string())
}

/// [`PACKET_ACK`] for `id`.
pub fn packet_ack(id: &PacketId) -> String {
    PACKET_ACK.replace("{id}", &id.to_string())
}

/// [`PACKET_REWRAP`] for `id`.
pub fn packet_rewrap(id: &PacketId) -> String {
    PACKET_REWRAP.replace("{id}", &id.to_string())
}

/// [`THREAD`] for `id`.
pub fn thread(id: &ThreadId) -> String {
    THREAD.replace("{id}", &id.to_string())
}

/// [`ADMIN_REQUEST`] for `id`.
pub fn admin_request(id: &RequestId) -> String {
    ADMIN_REQUEST.replace("{id}", &id.to_string())
}

/// [`THREADS`], changed after `cursor` (from the start without one). The
/// cursor is opaque: whatever it holds goes into the query escaped.
pub fn threads(changed_since: Option<&str>) -> String {
    match changed_since {
        Some(cursor) => format!("{THREADS}?changed_since={}", query_value(cursor)),
        None => THREADS.to_owned(),
    }
}

/// [`DIRECTORY`] from entry `since` on.
pub fn directory_since(since: u64) -> String {
    format!("{DIRECTORY}?since={since}")
}

/// `text` percent-encoded for a query, every byte but RFC 3986's
/// unreserved ones escaped.
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `path` (without its query) is `template` with every `{id}`
    /// segment replaced by `id`.
    fn fills(template: &str, path: &str, id: &str) -> bool {
        let path = path.split('?').next().unwrap_or_default();
        let wanted: Vec<&str> = template.split('/').collect();
        let got: Vec<&str> = path.split('/').collect();
        wanted.len() == got.len()
            && wanted
                .iter()
                .zip(&got)
                .all(|(w, g)| if *w == "{id}" { *g == id } else { w == g })
    }

    #[test]
    fn every_builder_fills_its_own_template() {
        let packet_id = PacketId::random();
        let thread_id = ThreadId::random();
        let request_id = RequestId::random();
        let p = packet_id.to_string();
        let built = [
            (PACKET, packet(&packet_id), p.as_str()),
            (PACKET_ACK, packet_ack(&packet_id), p.as_str()),
            (PACKET_REWRAP, packet_rewrap(&packet_id), p.as_str()),
            (THREAD, thread(&thread_id), &thread_id.to_string()),
            (
                ADMIN_REQUEST,
                admin_request(&request_id),
                &request_id.to_string(),
            ),
            (THREADS, threads(None), ""),
            (THREADS, threads(Some("12")), ""),
            (DIRECTORY, directory_since(7), ""),
        ];
        for (template, path, id) in &built {
            assert!(fills(template, path, id), "{path} from {template}");
        }
        // Each id lands in its own route, not in a look-alike.
        assert!(!fills(PACKET_ACK, &packet_rewrap(&packet_id), &p));
        assert!(!fills(PACKET, &packet_ack(&packet_id), &p));
    }

    #[test]
    fn queries_carry_their_values() {
        assert_eq!(threads(None), "/v1/threads");
        assert_eq!(threads(Some("12345")), "/v1/threads?changed_since=12345");
        assert_eq!(directory_since(0), "/v1/directory?since=0");
    }

    #[test]
    fn an_opaque_cursor_is_escaped_in_the_query() {
        assert_eq!(query_value("12345"), "12345");
        assert_eq!(query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
