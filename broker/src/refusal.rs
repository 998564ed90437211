//! Every refusal the broker answers, once: each variant carries the data its
//! message needs, and gives its [`RefusalCode`] (the wire contract, from
//! `protocol`) and its one message. Handlers, extractors and the intake
//! return these; [`crate::error::ApiError`] turns them into the
//! `{"error": CODE, "message": TEXT}` body. A message is for people, and
//! never holds request data that could identify a person.

use axum::http::StatusCode;
use referral_protocol::directory::DirectoryError;
use referral_protocol::{HeaderError, RefusalCode, RewrapRuleError};

/// One refusal: a 4xx (or 503 for `/readyz`), never a failure of ours.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    // --- the request itself, as axum reads it -------------------------------
    /// No route has this path.
    #[error("no such route")]
    NotFound,
    /// The route exists, but not with this method.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// A JSON route without a JSON content type; `detail` is axum's text.
    #[error("{detail}")]
    UnsupportedMediaType {
        /// What axum says.
        detail: String,
    },
    /// A JSON body that is not JSON; `detail` is serde's text.
    #[error("{detail}")]
    MalformedJson {
        /// What serde says (where the syntax breaks).
        detail: String,
    },
    /// A JSON body of the wrong shape; `detail` is serde's text. It may
    /// quote the rejected text back to the client that sent it; 4xx
    /// messages are never logged, so it goes nowhere else.
    #[error("{detail}")]
    InvalidJson {
        /// What serde says (which field, what is wrong).
        detail: String,
    },
    /// A JSON body over the JSON limit; `detail` is axum's text.
    #[error("{detail}")]
    BodyTooLarge {
        /// What axum says.
        detail: String,
    },
    /// Another malformed request axum names; `detail` is its text.
    #[error("{detail}")]
    BadRequest {
        /// What axum says.
        detail: String,
    },
    /// A path parameter that does not parse; `detail` is axum's text.
    #[error("{detail}")]
    BadPath {
        /// What axum says.
        detail: String,
    },
    /// A query string that does not parse; `detail` is axum's text.
    #[error("{detail}")]
    BadQuery {
        /// What axum says.
        detail: String,
    },
    /// The body could not be read. axum's own text for this names hyper
    /// internals, so the message is ours.
    #[error("the request body could not be read")]
    BodyError,
    /// The body arrived too slowly between pieces.
    #[error("the request body arrived too slowly")]
    BodyTimeout,
    /// The whole request took too long.
    #[error("the request took too long")]
    RequestTimeout,
    /// A required header is absent.
    #[error("{header} is required")]
    MissingHeader {
        /// The header's name.
        header: &'static str,
    },
    /// A header does not parse; `rule` says what it must be.
    #[error("{rule}")]
    BadHeader {
        /// What the header must be (from the header's one reader).
        rule: String,
    },

    // --- limits and state -----------------------------------------------------
    /// Too many requests; answered with `Retry-After`.
    #[error("too many requests; retry later")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// Too many requests from this address at once (behind a trusted proxy).
    #[error("too many requests from this address are in progress; retry when one has finished")]
    TooManyConnections,
    /// The database does not answer (`/readyz`).
    #[error("the database does not answer")]
    NotReady,

    // --- who is asking ----------------------------------------------------------
    /// No valid token, or its device is not active. One wording for every
    /// reason: the client's answer is the same (sign in again), and a guesser
    /// learns nothing about which part was wrong.
    #[error(
        "not signed in: the token is missing, malformed or expired, or its device is unknown or no longer active"
    )]
    Unauthorized,
    /// A token request whose challenge, signature or device is not valid.
    #[error("the challenge, the signature or the device is not valid")]
    InvalidCredentials,
    /// A challenge signed for another broker.
    #[error("the challenge was signed for another broker; ask this broker for a challenge")]
    WrongBroker,
    /// A desk route called by a device of no desk.
    #[error("this device belongs to no desk")]
    NoDesk,
    /// An administrator route called by another device.
    #[error("this route is for administrator devices")]
    AdminOnly,
    /// A directory read with neither an active device's token nor a live
    /// invite code. One wording for every reason, like [`Refusal::Unauthorized`]:
    /// it says nothing of whether a code exists.
    #[error(
        "the directory is shown only to enrolled devices (a bearer token) or with a live invite code (the referral-invite header)"
    )]
    DirectoryPrivate,

    // --- packets -------------------------------------------------------------------
    /// Over the packet size limit (declared, streamed, or by the body limit).
    #[error("packets are limited to {limit} bytes")]
    PacketTooLarge {
        /// The limit in force.
        limit: u64,
    },
    /// Not one of the published sizes.
    #[error("{len} bytes is not one of the published packet sizes (docs/protocol.md)")]
    NotPadded {
        /// The upload's size.
        len: u64,
    },
    /// The age header fails the key-less check; the code names the reason.
    #[error("{0}")]
    AgeHeader(HeaderError),
    /// A desk named by a packet or an entry does not exist.
    #[error("no such desk")]
    UnknownDesk,
    /// An invite names a desk that does not exist. The same code as
    /// [`Refusal::UnknownDesk`], answered 404: the desk is what the invite
    /// route addresses (clients tell the two apart by the route).
    #[error("no such desk")]
    InviteForUnknownDesk,
    /// The sending desk's unread packets would exceed the cap. 409 rather
    /// than 413 (this packet is not too large on its own), 429 (it is not a
    /// rate: waiting helps only once the recipients read) or 507 (a 5xx
    /// says the broker failed; here the desk's own state is in the way).
    #[error(
        "this desk's unread packets would exceed the cap of {cap} bytes (max_pending_bytes_per_desk); send again once the recipients have read some"
    )]
    PendingBytesCap {
        /// The cap in force.
        cap: u64,
    },
    /// A packet id reused for other bytes.
    #[error("this packet id was already used for different bytes")]
    PacketIdConflict,
    /// A packet id delivered and purged.
    #[error("this packet id was delivered and purged; it cannot be sent again")]
    PacketIdPurged,
    /// A reply or forward on a thread these desks do not share, or a thread
    /// this desk may not see, or one the retention deleted: the broker keeps
    /// no trace of deleted threads (ADR 0019 §1), so the answer is the same.
    #[error(
        "no such thread at this broker for this desk: it never existed here, or it was closed \
         and deleted after the retention period"
    )]
    UnknownThread,
    /// A referral on a thread that exists.
    #[error("a referral must start a new thread")]
    ThreadExists,
    /// A status change the lifecycle forbids from this desk.
    #[error("the thread is {from}; this desk cannot make it {to}")]
    IllegalTransition {
        /// The thread's status.
        from: String,
        /// The status asked for.
        to: String,
    },
    /// A packet the desk may not see, or that does not exist: alike.
    #[error("no such packet for this desk")]
    UnknownPacket,
    /// Nobody read the packet in time.
    #[error("nobody read this packet in time")]
    PacketExpired,
    /// A `changed_since` the broker did not give.
    #[error("changed_since is not a cursor this broker gave; ask again without it")]
    BadCursor,
    /// A page size out of range.
    #[error("limit must be 1 to {max}")]
    BadLimit {
        /// The largest page.
        max: u32,
    },

    // --- rewraps ---------------------------------------------------------------------
    /// The sending desk tried to rewrap.
    #[error("only the desk a packet is addressed to may rewrap it")]
    NotRecipient,
    /// The packet is no longer pending.
    #[error("only a pending packet can be rewrapped")]
    NotPending,
    /// The stored ciphertext is not the one `referral-replaces` names.
    #[error("the packet no longer holds the ciphertext referral-replaces names; fetch it again")]
    StaleCiphertext,
    /// More than the age header changed.
    #[error(
        "a rewrap may change only the age header: the size and everything after the header must stay the same"
    )]
    PayloadChanged,
    /// The new header breaks the one-stanza rule; the code names how.
    #[error("{0}")]
    RewrapRule(RewrapRuleError),

    // --- invites, enrollments, rotations -------------------------------------------
    /// An invite lifetime out of range.
    #[error("ttl_hours must be 1-{max}")]
    InvalidTtl {
        /// The longest lifetime.
        max: u32,
    },
    /// An invite code wrong, used or expired.
    #[error("the invite code is wrong, used or expired")]
    InvalidInviteCode,
    /// A proof-of-possession signature that does not decode or verify.
    #[error("{field} is not 64 bytes of base64, or does not verify over this request")]
    BadProof {
        /// The request's field holding it.
        field: &'static str,
    },
    /// A request's recipient of the wrong kind.
    #[error(
        "age_recipient must be an X25519 key (age1…) and pq_recipient, if given, a hybrid key (age1pq1…)"
    )]
    WrongRecipientKind,
    /// The device id (or key) is already enrolled or asked for.
    #[error("this device id or signing key is already enrolled or asked for")]
    DeviceExists,
    /// The signing key is a device's or another request's.
    #[error("this signing key belongs to a device or another request")]
    KeyInUse,
    /// A rotation asked by a device the log did not enroll (the root).
    #[error(
        "this device was not enrolled through the directory; the root device's key changes with a RootRotated entry (admin rotate-root)"
    )]
    NotInDirectory,
    /// No such pending request.
    #[error("no such pending request (approved, replaced or never made)")]
    UnknownRequest,

    // --- the directory log -------------------------------------------------------------
    /// A bootstrap code wrong, used or expired.
    #[error("the bootstrap code is wrong, used or expired")]
    InvalidBootstrapCode,
    /// The broker already has a root.
    #[error("this broker already has a root")]
    AlreadyClaimed,
    /// The broker has no directory log yet.
    #[error("the broker has no directory log yet: an administrator claims it first")]
    NotBootstrapped,
    /// An entry that does not decode or can never be appended.
    #[error("{reason}")]
    BadEntry {
        /// Why.
        reason: String,
    },
    /// An entry that does not follow the broker's head. The client fetches
    /// the directory again, and re-signs on the new head.
    #[error("the entry does not follow the directory's head; fetch the directory and sign again")]
    StaleHead,
    /// An entry the log's verifier refused (other than for its position,
    /// [`Refusal::StaleHead`], or its shape, [`Refusal::BadEntry`]).
    #[error("{0}")]
    EntryRefused(DirectoryError),
    /// An entry dated ahead of the broker's clock.
    #[error("the entry's time is ahead of the broker's clock; check the signing machine's clock")]
    EntryInFuture,
    /// An enrollment or rotation entry that names no request.
    #[error("an enrollment or rotation entry must name the request it approves (request_id)")]
    RequestRequired,
    /// An entry that approves nothing but names a request.
    #[error("only enrollment and rotation entries approve a request")]
    UnexpectedRequest,
    /// An entry that does not say what its request asked.
    #[error("the entry does not match the request it approves")]
    RequestMismatch,
    /// The request was approved or replaced meanwhile.
    #[error("the request was approved or replaced meanwhile")]
    RequestGone,
    /// Another entry took this position meanwhile.
    #[error("another entry was appended at this position; fetch the directory and sign again")]
    DirectoryConflict,
    /// The broker's records disagree with the entry.
    #[error("the broker's records disagree with the entry: {why}")]
    DirectoryInconsistent {
        /// Where they disagree.
        why: String,
    },
    /// A token-key entry naming no staged key.
    #[error("no staged token key has this kid and public key (POST /v1/admin/token-keys first)")]
    UnknownTokenKey,
}

impl Refusal {
    /// Its code on the wire.
    pub fn code(&self) -> RefusalCode {
        use RefusalCode as C;
        match self {
            Self::NotFound => C::NotFound,
            Self::MethodNotAllowed => C::MethodNotAllowed,
            Self::UnsupportedMediaType { .. } => C::UnsupportedMediaType,
            Self::MalformedJson { .. } => C::MalformedJson,
            Self::InvalidJson { .. } => C::InvalidJson,
            Self::BodyTooLarge { .. } => C::BodyTooLarge,
            Self::BadRequest { .. } => C::BadRequest,
            Self::BadPath { .. } => C::BadPath,
            Self::BadQuery { .. } => C::BadQuery,
            Self::BodyError => C::BodyError,
            Self::BodyTimeout => C::BodyTimeout,
            Self::RequestTimeout => C::RequestTimeout,
            Self::MissingHeader { .. } => C::MissingHeader,
            Self::BadHeader { .. } => C::BadHeader,
            Self::RateLimited { .. } => C::RateLimited,
            Self::TooManyConnections => C::TooManyConnections,
            Self::NotReady => C::NotReady,
            Self::Unauthorized => C::Unauthorized,
            Self::InvalidCredentials => C::InvalidCredentials,
            Self::WrongBroker => C::WrongBroker,
            Self::NoDesk => C::NoDesk,
            Self::AdminOnly => C::AdminOnly,
            Self::DirectoryPrivate => C::DirectoryPrivate,
            Self::PacketTooLarge { .. } => C::PacketTooLarge,
            Self::NotPadded { .. } => C::NotPadded,
            Self::AgeHeader(e) => e.refusal_code(),
            Self::UnknownDesk | Self::InviteForUnknownDesk => C::UnknownDesk,
            Self::PendingBytesCap { .. } => C::PendingBytesCap,
            Self::PacketIdConflict => C::PacketIdConflict,
            Self::PacketIdPurged => C::PacketIdPurged,
            Self::UnknownThread => C::UnknownThread,
            Self::ThreadExists => C::ThreadExists,
            Self::IllegalTransition { .. } => C::IllegalTransition,
            Self::UnknownPacket => C::UnknownPacket,
            Self::PacketExpired => C::PacketExpired,
            Self::BadCursor => C::BadCursor,
            Self::BadLimit { .. } => C::BadLimit,
            Self::NotRecipient => C::NotRecipient,
            Self::NotPending => C::NotPending,
            Self::StaleCiphertext => C::StaleCiphertext,
            Self::PayloadChanged => C::PayloadChanged,
            Self::RewrapRule(e) => e.refusal_code(),
            Self::InvalidTtl { .. } => C::InvalidTtl,
            Self::InvalidInviteCode => C::InvalidInviteCode,
            Self::BadProof { .. } => C::BadProof,
            Self::WrongRecipientKind => C::WrongRecipientKind,
            Self::DeviceExists => C::DeviceExists,
            Self::KeyInUse => C::KeyInUse,
            Self::NotInDirectory => C::NotInDirectory,
            Self::UnknownRequest => C::UnknownRequest,
            Self::InvalidBootstrapCode => C::InvalidBootstrapCode,
            Self::AlreadyClaimed => C::AlreadyClaimed,
            Self::NotBootstrapped => C::NotBootstrapped,
            Self::BadEntry { .. } => C::BadEntry,
            Self::StaleHead => C::StaleHead,
            Self::EntryRefused(e) => entry_refusal_code(e),
            Self::EntryInFuture => C::EntryInFuture,
            Self::RequestRequired => C::RequestRequired,
            Self::UnexpectedRequest => C::UnexpectedRequest,
            Self::RequestMismatch => C::RequestMismatch,
            Self::RequestGone => C::RequestGone,
            Self::DirectoryConflict => C::DirectoryConflict,
            Self::DirectoryInconsistent { .. } => C::DirectoryInconsistent,
            Self::UnknownTokenKey => C::UnknownTokenKey,
        }
    }

    /// Its status: its code's, but for the one refusal answered otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InviteForUnknownDesk => INVITE_FOR_UNKNOWN_DESK_STATUS,
            other => other.code().status(),
        }
    }
}

/// The status of [`Refusal::InviteForUnknownDesk`], which is not its code's
/// (the API document names it from here too).
pub const INVITE_FOR_UNKNOWN_DESK_STATUS: StatusCode = StatusCode::NOT_FOUND;

impl From<DirectoryError> for Refusal {
    /// An entry the log's verifier refused: out of position is
    /// [`Refusal::StaleHead`] (the client fetches again and re-signs), a
    /// shape that can never be appended is [`Refusal::BadEntry`], and the
    /// rest keep the verifier's reason.
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::BadSequence { .. } | DirectoryError::BrokenChain { .. } => {
                Self::StaleHead
            }
            DirectoryError::Malformed(_)
            | DirectoryError::RootMismatch { .. }
            | DirectoryError::Rollback { .. }
            | DirectoryError::Fork { .. } => Self::BadEntry {
                reason: e.to_string(),
            },
            other => Self::EntryRefused(other),
        }
    }
}

/// The code of an entry the verifier refused. Its position (a sequence or
/// chain that does not follow the head) is [`RefusalCode::StaleHead`], so
/// the client fetches again; a shape that can never be appended is
/// [`RefusalCode::BadEntry`].
fn entry_refusal_code(e: &DirectoryError) -> RefusalCode {
    match e {
        DirectoryError::BadSequence { .. } | DirectoryError::BrokenChain { .. } => {
            RefusalCode::StaleHead
        }
        DirectoryError::BadSignature { .. } => RefusalCode::BadSignature,
        DirectoryError::Unauthorised { .. } => RefusalCode::EntryNotAuthorised,
        DirectoryError::MissingCoSignature { .. } => RefusalCode::MissingCoSignature,
        DirectoryError::Precondition { .. } => RefusalCode::EntryRefused,
        DirectoryError::Malformed(_)
        | DirectoryError::RootMismatch { .. }
        | DirectoryError::Rollback { .. }
        | DirectoryError::Fork { .. } => RefusalCode::BadEntry,
    }
}
