//! Runs one op on the writer's connection and holds its answer until the
//! batch's COMMIT: the one place that maps an [`Op`] to the function that
//! does it. The answer's type is the op's reply type, so they cannot differ.

use sqlx::SqliteConnection;

use super::super::{auth, directory, packets, purge, requests};
use super::{Op, Reply, fail};
use crate::{
    AckOutcome, AppendOutcome, EnrollOutcome, PurgeReport, PutOutcome, RewrapOutcome,
    RotationOutcome, StoreError,
};

/// Whether an op's writes are kept. Every refusal is rolled back: some (a
/// put) have written nothing by construction, others (an append whose
/// effect is refused after the entry went in) rely on this to make "a
/// refusal changes nothing" hold.
pub(super) trait Keep {
    /// `true` to release the op's savepoint, `false` to roll back to it.
    fn keep(&self) -> bool;
}

/// Answers that are never refusals: their writes always stay.
macro_rules! always_kept {
    ($($t:ty),+) => {
        $(impl Keep for $t {
            fn keep(&self) -> bool {
                true
            }
        })+
    };
}

always_kept!((), bool, AckOutcome, PurgeReport);

impl Keep for PutOutcome {
    fn keep(&self) -> bool {
        matches!(self, PutOutcome::Stored(_))
    }
}

impl Keep for AppendOutcome {
    fn keep(&self) -> bool {
        *self == AppendOutcome::Appended
    }
}

impl Keep for EnrollOutcome {
    fn keep(&self) -> bool {
        *self == EnrollOutcome::Created
    }
}

impl Keep for RotationOutcome {
    fn keep(&self) -> bool {
        *self == RotationOutcome::Created
    }
}

impl Keep for RewrapOutcome {
    fn keep(&self) -> bool {
        matches!(self, RewrapOutcome::Rewrapped(_))
    }
}

/// Answers a caller: `None` once the batch committed, or the batch's error.
type Deliver = Box<dyn FnOnce(Option<&str>) + Send>;

/// An op that ran, waiting for its batch's COMMIT before it is answered.
pub(super) struct Ran {
    /// Whether its writes stay (an error or a refusal: no).
    pub(super) keep: bool,
    /// Its own error, if it failed.
    pub(super) error: Option<String>,
    deliver: Deliver,
}

impl Ran {
    /// The outcome of an op, for its caller.
    pub(super) fn new<T: Keep + Send + 'static>(
        result: Result<T, StoreError>,
        reply: Reply<T>,
    ) -> Self {
        let keep = matches!(&result, Ok(answer) if answer.keep());
        let error = result.as_ref().err().map(ToString::to_string);
        let deliver: Deliver = Box::new(move |failure| match failure {
            // A caller that stopped waiting still had its write committed;
            // a retry with the same packet id gets the same answer.
            None => drop(reply.send(result)),
            Some(msg) => fail(reply, msg),
        });
        Self {
            keep,
            error,
            deliver,
        }
    }

    /// The batch committed: the caller gets the op's own result.
    pub(super) fn committed(self) {
        (self.deliver)(None);
    }

    /// The batch did not commit: the caller gets `msg`.
    pub(super) fn fail(self, msg: &str) {
        (self.deliver)(Some(msg));
    }
}

/// Runs `op` on the writer's connection (inside the savepoint the caller
/// opened).
pub(super) async fn run(conn: &mut SqliteConnection, op: Op) -> Ran {
    match op {
        Op::SetBootstrapCode {
            code_hash,
            expires_at,
            reply,
        } => Ran::new(
            auth::set_bootstrap_code(conn, &code_hash, expires_at).await,
            reply,
        ),
        Op::ClaimBootstrap {
            code_hash,
            now,
            admin,
            genesis,
            reply,
        } => Ran::new(
            auth::claim_bootstrap(conn, &code_hash, now, &admin, &genesis).await,
            reply,
        ),
        Op::AppendDirectory(entry, reply) => Ran::new(directory::append(conn, entry).await, reply),
        Op::CreateInvite(invite, reply) => {
            Ran::new(requests::create_invite(conn, &invite).await, reply)
        }
        Op::SubmitEnrollment {
            code_hash,
            now,
            request,
            reply,
        } => Ran::new(
            requests::submit_enrollment(conn, &code_hash, now, &request).await,
            reply,
        ),
        Op::SubmitRotation(request, reply) => {
            Ran::new(requests::submit_rotation(conn, &request).await, reply)
        }
        Op::StageTokenKey(key, reply) => Ran::new(auth::stage_token_key(conn, &key).await, reply),
        Op::Rewrap(rewrap, body, reply) => {
            Ran::new(packets::rewrap(conn, &rewrap, body).await, reply)
        }
        Op::PutChallenge {
            key,
            now,
            expires_at,
            reply,
        } => Ran::new(
            auth::put_challenge(conn, &key, now, expires_at).await,
            reply,
        ),
        Op::TakeChallenge { key, now, reply } => {
            Ran::new(auth::take_challenge(conn, &key, now).await, reply)
        }
        Op::DropExpiredChallenges { now, reply } => {
            Ran::new(auth::delete_expired_challenges(conn, now).await, reply)
        }
        Op::RotateTokenKey(key, reply) => Ran::new(auth::rotate_token_key(conn, &key).await, reply),
        Op::PutPacket(packet, body, reply) => {
            Ran::new(packets::put(conn, packet, body).await, reply)
        }
        Op::Ack {
            id,
            desk,
            now,
            reply,
        } => Ran::new(packets::ack(conn, &id, &desk, now).await, reply),
        Op::Purge { cutoffs, reply } => Ran::new(purge::purge(conn, cutoffs).await, reply),
    }
}
