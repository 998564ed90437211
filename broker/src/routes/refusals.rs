//! What each route can refuse, declared from the catalogue: the API
//! document (`crate::openapi`) derives every route's error statuses and
//! codes from these lists, so it names no status by hand. A list is the
//! route's extractors' shared lists (who may call, what body it reads) and
//! the refusals its handler returns itself.

use axum::http::StatusCode;
use referral_protocol::RefusalCode as C;

use crate::refusal::INVITE_FOR_UNKNOWN_DESK_STATUS;

/// A refusal a route declares: its code and the status it is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    /// The code.
    pub code: C,
    /// The status it is answered with on this route.
    pub status: StatusCode,
}

/// `code` at its code's status.
const fn at(code: C) -> Declared {
    Declared {
        code,
        status: code.status(),
    }
}

/// What a route can refuse: the lists its parts contribute.
pub type RouteRefusals = &'static [&'static [Declared]];

/// Routes without a token: the per-address limit (ADR 0006).
pub const UNAUTHENTICATED: &[Declared] = &[at(C::RateLimited)];

/// Routes with a token (`AuthUser`): no valid token, and the per-device and
/// failed-sign-in limits.
pub const AUTHENTICATED: &[Declared] = &[at(C::Unauthorized), at(C::RateLimited)];

/// Routes for a desk's devices (`require_desk`).
pub const DESK: &[Declared] = &[at(C::NoDesk)];

/// Routes for administrators (`AdminUser`).
pub const ADMIN: &[Declared] = &[at(C::AdminOnly)];

/// A path parameter (`ApiPath`).
pub const PATH: &[Declared] = &[at(C::BadPath)];

/// A JSON body (`ApiJson`).
pub const JSON_BODY: &[Declared] = &[
    at(C::UnsupportedMediaType),
    at(C::MalformedJson),
    at(C::InvalidJson),
    at(C::BodyTooLarge),
    at(C::BodyError),
    at(C::BadRequest),
];

/// An uploaded packet (`intake::receive`): its size, its age header, its
/// pace.
pub const UPLOAD: &[Declared] = &[
    at(C::PacketTooLarge),
    at(C::NotPadded),
    at(C::NotAge),
    at(C::ArmoredAge),
    at(C::UnsupportedAgeVersion),
    at(C::AgeHeaderTooLarge),
    at(C::TooManyStanzas),
    at(C::ForbiddenStanza),
    at(C::LowOrderShare),
    at(C::NoRecipients),
    at(C::MalformedAgeHeader),
    at(C::TruncatedAgeFile),
    at(C::BodyTimeout),
    at(C::BodyError),
];

/// A directory entry the log's verifier checks.
pub const ENTRY: &[Declared] = &[
    at(C::BadEntry),
    at(C::StaleHead),
    at(C::BadSignature),
    at(C::EntryNotAuthorised),
    at(C::MissingCoSignature),
    at(C::EntryRefused),
    at(C::EntryInFuture),
];

/// `POST /v1/auth/challenge`.
pub const CHALLENGE: RouteRefusals = &[UNAUTHENTICATED, JSON_BODY];

/// `POST /v1/auth/token`.
pub const TOKEN: RouteRefusals = &[
    UNAUTHENTICATED,
    JSON_BODY,
    &[at(C::InvalidCredentials), at(C::WrongBroker)],
];

/// `POST /v1/packets`.
pub const SEND: RouteRefusals = &[
    AUTHENTICATED,
    DESK,
    &[at(C::MissingHeader), at(C::BadHeader)],
    UPLOAD,
    &[
        at(C::PendingBytesCap),
        at(C::PacketIdConflict),
        at(C::PacketIdPurged),
        at(C::UnknownDesk),
        at(C::UnknownThread),
        at(C::ThreadExists),
        at(C::IllegalTransition),
    ],
];

/// `GET /v1/inbox`.
pub const INBOX: RouteRefusals = &[AUTHENTICATED, DESK];

/// `GET /v1/packets/{id}` and `POST /v1/packets/{id}/ack`.
pub const PACKET: RouteRefusals = &[
    AUTHENTICATED,
    DESK,
    PATH,
    &[at(C::UnknownPacket), at(C::PacketExpired)],
];

/// `GET /v1/threads/{id}`.
pub const THREAD: RouteRefusals = &[AUTHENTICATED, DESK, PATH, &[at(C::UnknownThread)]];

/// `GET /v1/threads`.
pub const THREAD_CHANGES: RouteRefusals = &[
    AUTHENTICATED,
    DESK,
    &[at(C::BadQuery), at(C::BadCursor), at(C::BadLimit)],
];

/// `POST /v1/packets/{id}/rewrap`.
pub const REWRAP: RouteRefusals = &[
    AUTHENTICATED,
    DESK,
    PATH,
    &[
        at(C::MissingHeader),
        at(C::BadHeader),
        at(C::UnknownPacket),
        at(C::NotRecipient),
        at(C::NotPending),
        at(C::PacketExpired),
        at(C::StaleCiphertext),
        at(C::PayloadChanged),
    ],
    UPLOAD,
    &[
        at(C::RewrapStanzaCount),
        at(C::RewrapMoreThanOneStanza),
        at(C::RewrapNoStanzaReplaced),
        at(C::RewrapNotX25519),
        at(C::RewrapMacUnchanged),
    ],
];

/// `GET /v1/directory`: a token or an invite code, and every failure of
/// either answered alike (`DirectoryReader`).
pub const DIRECTORY: RouteRefusals =
    &[UNAUTHENTICATED, &[at(C::DirectoryPrivate), at(C::BadQuery)]];

/// `POST /v1/directory`.
pub const APPEND_ENTRY: RouteRefusals = &[
    AUTHENTICATED,
    ADMIN,
    JSON_BODY,
    ENTRY,
    &[
        at(C::NotBootstrapped),
        at(C::RequestRequired),
        at(C::UnexpectedRequest),
        at(C::RequestMismatch),
        at(C::UnknownRequest),
        at(C::UnknownDesk),
        at(C::DirectoryConflict),
        at(C::RequestGone),
        at(C::UnknownTokenKey),
        at(C::DirectoryInconsistent),
    ],
];

/// `GET /v1/limits`.
pub const LIMITS: RouteRefusals = &[UNAUTHENTICATED];

/// `POST /v1/invites/lookup`.
pub const INVITE_LOOKUP: RouteRefusals = &[UNAUTHENTICATED, JSON_BODY, &[at(C::InvalidInviteCode)]];

/// `POST /v1/enrollments`.
pub const ENROLL: RouteRefusals = &[
    UNAUTHENTICATED,
    JSON_BODY,
    &[
        at(C::InvalidInviteCode),
        at(C::BadProof),
        at(C::WrongRecipientKind),
        at(C::DeviceExists),
        at(C::KeyInUse),
    ],
];

/// `POST /v1/rotations`.
pub const ROTATE: RouteRefusals = &[
    AUTHENTICATED,
    JSON_BODY,
    &[
        at(C::BadProof),
        at(C::WrongRecipientKind),
        at(C::NotBootstrapped),
        at(C::NotInDirectory),
        at(C::KeyInUse),
    ],
];

/// `POST /v1/admin/bootstrap`.
pub const BOOTSTRAP: RouteRefusals = &[
    UNAUTHENTICATED,
    JSON_BODY,
    ENTRY,
    &[at(C::InvalidBootstrapCode), at(C::AlreadyClaimed)],
];

/// `POST /v1/admin/invites`.
pub const CREATE_INVITE: RouteRefusals = &[
    AUTHENTICATED,
    ADMIN,
    JSON_BODY,
    &[
        at(C::InvalidTtl),
        // `Refusal::InviteForUnknownDesk`.
        Declared {
            code: C::UnknownDesk,
            status: INVITE_FOR_UNKNOWN_DESK_STATUS,
        },
    ],
];

/// `GET /v1/admin/requests`, `POST /v1/admin/token-keys`,
/// `GET /v1/admin/stats`.
pub const ADMIN_ONLY: RouteRefusals = &[AUTHENTICATED, ADMIN];

/// `GET /v1/admin/requests/{id}`.
pub const PENDING_REQUEST: RouteRefusals = &[AUTHENTICATED, ADMIN, PATH, &[at(C::UnknownRequest)]];

/// `GET /readyz`.
pub const READY: RouteRefusals = &[&[at(C::NotReady)]];

/// Routes that refuse nothing of their own (`/healthz`, `/metrics`).
pub const NONE: RouteRefusals = &[];

/// The statuses of `refusals`, in order, each with its codes in order and
/// without repeats.
pub fn by_status(refusals: RouteRefusals) -> Vec<(StatusCode, Vec<C>)> {
    let mut out: Vec<(StatusCode, Vec<C>)> = Vec::new();
    for declared in refusals.iter().flat_map(|list| list.iter()) {
        match out
            .iter_mut()
            .find(|(status, _)| *status == declared.status)
        {
            Some((_, codes)) if codes.contains(&declared.code) => {}
            Some((_, codes)) => codes.push(declared.code),
            None => out.push((declared.status, vec![declared.code])),
        }
    }
    out.sort_by_key(|(status, _)| *status);
    for (_, codes) in &mut out {
        codes.sort();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_come_sorted_with_their_codes_once() {
        const ROUTE: RouteRefusals = &[AUTHENTICATED, DESK, &[at(C::Unauthorized)]];
        let got = by_status(ROUTE);
        assert_eq!(
            got,
            vec![
                (StatusCode::UNAUTHORIZED, vec![C::Unauthorized]),
                (StatusCode::FORBIDDEN, vec![C::NoDesk]),
                (StatusCode::TOO_MANY_REQUESTS, vec![C::RateLimited]),
            ]
        );
    }

    #[test]
    fn the_invite_route_declares_unknown_desk_at_404() {
        let got = by_status(CREATE_INVITE);
        assert!(got.contains(&(StatusCode::NOT_FOUND, vec![C::UnknownDesk])));
    }
}
