//! The scripted month (issue 20): day 0 sets the broker up (bootstrap
//! claim, desks, enrollments through invites, an invite left to expire, a
//! key rotation, a revocation, a token-key rotation and a key left staged);
//! days 0 to 29 carry referrals along every path of their lifecycle
//! (`traffic.rs`); every day ends with the purge the broker runs.
//! Then the broker only purges, once a day, until a last day of traffic
//! leaves open threads, pending packets and requests, an unused invite, a
//! staged key and a login in progress, as a seizure would find them.
//!
//! Every time is explicit, from a fixed, hour-aligned `T0`.

use std::collections::HashSet;

use referral_protocol::{AgeIdentity, DeskId, DeviceId, PacketId, RequestId, SigningKey};
use secrecy::{ExposeSecret, SecretSlice};

use super::traffic;
use crate::conformance::append;
use crate::{
    AppendOutcome, ChallengeKey, Desk, Device, DeviceState, DirectoryEffect, EnrollOutcome, Invite,
    NewEntry, PurgeCutoffs, Request, RequestSignatures, Role, RotationOutcome, Store, TokenKey,
    UnixTime,
};

/// Monday 2026-11-16 00:00 UTC: hour- and week-aligned.
pub const T0: UnixTime = 1_794_787_200;
pub(super) const HOUR: UnixTime = 3600;
pub(super) const DAY: UnixTime = 24 * HOUR;
/// Days of traffic.
pub const MONTH_DAYS: i64 = 30;
/// The day of the last traffic: about 130 days of purges after the month.
pub const LAST_DAY: i64 = 160;
/// The broker's default grace period after an acknowledgement.
pub const ACKED_GRACE: UnixTime = 7 * DAY;
/// The broker's default thread retention (ADR 0019 §1).
pub const THREAD_RETENTION: UnixTime = 90 * DAY;
/// How long the broker lets an unread packet wait (its default TTL).
pub(super) const PACKET_TTL: UnixTime = 30 * DAY;
/// How long a challenge stays answerable (the broker's 60 s).
const CHALLENGE_TTL: UnixTime = 60;
/// How long an invite code works.
const INVITE_TTL: UnixTime = 72 * HOUR;

/// The example recipient from age's README: the store never decrypts.
const RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

/// The desks of the script.
const DESKS: [&str; 4] = [
    "covic-intake",
    "shinjuku-iea",
    "minato-ngo",
    "setagaya-clinic",
];

/// Where the script stopped: what the retention bounds are measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptEnd {
    /// The time of the last purge (and of the seizure).
    pub now: UnixTime,
    /// The grace period every purge used.
    pub acked_grace: UnixTime,
    /// The thread retention every purge used (the broker's default).
    pub thread_retention: UnixTime,
}

// --- the calls ADR 0019 changes, one place each ------------------------------

/// The purge as the broker runs it.
pub(super) async fn purge(store: &dyn Store, now: UnixTime) {
    store
        .purge(PurgeCutoffs {
            now,
            acked_before: now - ACKED_GRACE,
            closed_before: now - THREAD_RETENTION,
        })
        .await
        .expect("purge");
}

/// A login's first half: the broker stores the challenge it issued.
pub(super) async fn put_challenge(
    store: &dyn Store,
    hash: [u8; 32],
    device: &DeviceId,
    now: UnixTime,
) {
    store
        .put_challenge(ChallengeKey::new(device, &hash), now, now + CHALLENGE_TTL)
        .await
        .expect("put_challenge");
}

/// A login's second half: the device answers the challenge.
pub(super) async fn take_challenge(
    store: &dyn Store,
    hash: [u8; 32],
    device: &DeviceId,
    now: UnixTime,
) -> bool {
    store
        .take_challenge(ChallengeKey::new(device, &hash), now)
        .await
        .expect("take_challenge")
}

// -----------------------------------------------------------------------------

/// The broker's state as the script knows it.
pub(super) struct World<'a> {
    pub(super) store: &'a dyn Store,
    /// The desks, in [`DESKS`] order.
    pub(super) desks: Vec<DeskId>,
    /// Every active device (the administrator and one per desk): they log in.
    pub(super) devices: Vec<DeviceId>,
    /// Packets their desk never reads: they expire.
    pub(super) never_read: HashSet<PacketId>,
    /// Makes every code, challenge and body distinct.
    counter: u64,
}

impl World<'_> {
    /// A fresh 32-byte value (a code or challenge hash), deterministic.
    pub(super) fn fresh(&mut self, what: &str) -> [u8; 32] {
        self.counter += 1;
        referral_protocol::envelope::sha256(format!("{what} {}", self.counter).as_bytes())
    }

    pub(super) fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }
}

/// Runs the whole script against a fresh, empty store.
pub async fn run(store: &dyn Store) -> ScriptEnd {
    let mut world = setup(store).await;
    for day in 0..MONTH_DAYS {
        let start = T0 + day * DAY;
        traffic::day(&mut world, day, start).await;
        purge(store, start + 23 * HOUR).await;
    }
    for day in MONTH_DAYS..LAST_DAY {
        purge(store, T0 + day * DAY + 23 * HOUR).await;
    }
    let start = T0 + LAST_DAY * DAY;
    traffic::day(&mut world, LAST_DAY, start).await;
    waiting_at_the_end(&mut world, start).await;
    let now = start + 23 * HOUR;
    purge(store, now).await;
    // A login in progress at the moment of the seizure.
    let hash = world.fresh("challenge");
    put_challenge(store, hash, &world.devices[1], now).await;
    ScriptEnd {
        now,
        acked_grace: ACKED_GRACE,
        thread_retention: THREAD_RETENTION,
    }
}

/// Day 0: the claim, the desks, their devices, and the key changes.
async fn setup(store: &dyn Store) -> World<'_> {
    let mut w = World {
        store,
        desks: DESKS.iter().map(|d| d.parse().expect("desk id")).collect(),
        devices: Vec::new(),
        never_read: HashSet::new(),
        counter: 0,
    };
    let code = w.fresh("bootstrap");
    store
        .set_bootstrap_code(code, T0 + HOUR)
        .await
        .expect("bootstrap code");
    let admin = device(None, Role::Admin, T0);
    let bytes = b"stand-in genesis".to_vec();
    let genesis = NewEntry {
        seq: 0,
        hash: referral_protocol::envelope::sha256(&bytes),
        bytes,
        effect: DirectoryEffect::None,
    };
    assert!(
        store
            .claim_bootstrap(code, T0 + 10, &admin, &genesis)
            .await
            .expect("claim")
    );
    w.devices.push(admin.id);
    store
        .rotate_token_key(&token_key("k1", T0))
        .await
        .expect("first token key");

    for (i, id) in w.desks.clone().iter().enumerate() {
        let desk = Desk {
            id: id.clone(),
            name: format!("{id} office"),
            prefecture: (i % 2 == 0).then(|| "JP-13".to_owned()),
            languages: Some("ja,en,vi".into()),
            created_at: T0 + HOUR,
        };
        applied(store, DirectoryEffect::CreateDesk(desk)).await;
    }
    for (i, id) in w.desks.clone().iter().enumerate() {
        let d = enroll(&mut w, id, Role::Desk, T0 + 2 * HOUR + i as i64 * 600).await;
        w.devices.push(d.id);
    }
    // A caseworker enrolled and, a few hours later, revoked (a lost laptop).
    let intake = w.desks[0].clone();
    let lost = enroll(&mut w, &intake, Role::Caseworker, T0 + 3 * HOUR).await;
    applied(store, DirectoryEffect::RevokeDevice(lost.id)).await;
    // An invite nobody uses: it expires.
    let unused = w.fresh("invite");
    create_invite(&mut w, unused, &intake, Role::Caseworker, T0 + 4 * HOUR).await;
    // A desk device rotates its keys.
    rotate(&mut w, 1, T0 + 5 * HOUR, true).await;
    // The token key rotates; a second staged key is left over (a command
    // that failed half-way) for the purge to drop.
    let k2 = token_key("k2", T0 + 6 * HOUR);
    store.stage_token_key(&k2).await.expect("stage k2");
    applied(
        store,
        DirectoryEffect::ActivateTokenKey {
            kid: "k2".into(),
            public_key: k2.public,
            at: T0 + 6 * HOUR,
        },
    )
    .await;
    store
        .stage_token_key(&token_key("k3", T0 + 7 * HOUR))
        .await
        .expect("stage k3");
    w
}

/// What the last day leaves waiting besides its traffic: an enrollment and
/// a rotation for an administrator to approve, an invite not yet used, a
/// token key retired in the last hour (the purge keeps it an hour, while
/// tokens it signed may still be alive), and a staged key whose
/// activation has not been appended yet.
async fn waiting_at_the_end(w: &mut World<'_>, start: UnixTime) {
    let desk = w.desks[2].clone();
    let newcomer = device(Some(&desk), Role::Caseworker, start + 9 * HOUR);
    let code = w.fresh("invite");
    create_invite(w, code, &desk, Role::Caseworker, start + 9 * HOUR).await;
    let request = enrollment(&newcomer, start + 10 * HOUR);
    let outcome = w
        .store
        .submit_enrollment(code, start + 10 * HOUR, &request)
        .await
        .expect("submit_enrollment");
    assert_eq!(outcome, EnrollOutcome::Created);
    rotate(w, 3, start + 11 * HOUR, false).await;
    let unused = w.fresh("invite");
    create_invite(w, unused, &desk, Role::Desk, start + 12 * HOUR).await;
    let k4 = token_key("k4", start + 22 * HOUR);
    w.store.stage_token_key(&k4).await.expect("stage k4");
    applied(
        w.store,
        DirectoryEffect::ActivateTokenKey {
            kid: "k4".into(),
            public_key: k4.public,
            at: start + 22 * HOUR + 30 * 60,
        },
    )
    .await;
    w.store
        .stage_token_key(&token_key("k5", start + 22 * HOUR))
        .await
        .expect("stage k5");
}

async fn applied(store: &dyn Store, effect: DirectoryEffect) {
    assert_eq!(append(store, effect).await, AppendOutcome::Appended);
}

fn device(desk: Option<&DeskId>, role: Role, at: UnixTime) -> Device {
    let key = SigningKey::generate().expect("key");
    Device {
        id: DeviceId::random(),
        desk: desk.cloned(),
        role,
        signing_key: key.verifying_key(),
        age_recipient: RECIPIENT.parse().expect("age recipient"),
        state: DeviceState::Active,
        created_at: at,
    }
}

fn token_key(kid: &str, at: UnixTime) -> TokenKey {
    let k = SigningKey::generate().expect("key");
    TokenKey {
        kid: kid.into(),
        pkcs8: SecretSlice::from(k.pkcs8().expose_secret().to_vec()),
        public: k.verifying_key(),
        created_at: at,
        retired_at: None,
    }
}

async fn create_invite(w: &mut World<'_>, code: [u8; 32], desk: &DeskId, role: Role, at: UnixTime) {
    let invite = Invite {
        code_hash: code,
        desk: desk.clone(),
        role,
        created_at: at,
        expires_at: at + INVITE_TTL,
    };
    w.store.create_invite(&invite).await.expect("create_invite");
}

fn enrollment(d: &Device, at: UnixTime) -> Request {
    Request {
        id: RequestId::random(),
        device: d.id,
        desk: d.desk.clone(),
        role: d.role,
        signing_key: d.signing_key,
        age_recipient: d.age_recipient.clone(),
        // Enrolled as devices made before ADR 0020 were: classic only.
        pq_recipient: None,
        signatures: RequestSignatures::Enrollment {
            device_signature: [0x5e; 64],
        },
        created_at: at,
    }
}

/// Enrolls a device as the broker does: an invite, its use, the approval.
async fn enroll(w: &mut World<'_>, desk: &DeskId, role: Role, at: UnixTime) -> Device {
    let d = device(Some(desk), role, at + 20 * 60);
    let code = w.fresh("invite");
    create_invite(w, code, desk, role, at).await;
    let request = enrollment(&d, at + 5 * 60);
    let outcome = w
        .store
        .submit_enrollment(code, at + 5 * 60, &request)
        .await
        .expect("submit_enrollment");
    assert_eq!(outcome, EnrollOutcome::Created);
    applied(
        w.store,
        DirectoryEffect::EnrollDevice {
            device: d.clone(),
            pq_recipient: None,
            request: request.id,
        },
    )
    .await;
    d
}

/// The desk device of desk `index` asks for new keys; `approve` appends the
/// approval at once, otherwise the request waits.
async fn rotate(w: &mut World<'_>, index: usize, at: UnixTime, approve: bool) {
    let id = w.devices[index + 1];
    let key = SigningKey::generate().expect("key").verifying_key();
    let request = Request {
        id: RequestId::random(),
        device: id,
        desk: Some(w.desks[index].clone()),
        role: Role::Desk,
        signing_key: key,
        age_recipient: RECIPIENT.parse().expect("age recipient"),
        // A rotation gives the device its hybrid key (ADR 0020).
        pq_recipient: Some(AgeIdentity::generate_post_quantum().recipient()),
        signatures: RequestSignatures::Rotation {
            old_key_signature: [1; 64],
            new_key_signature: [2; 64],
        },
        created_at: at,
    };
    let outcome = w.store.submit_rotation(&request).await.expect("rotation");
    assert_eq!(outcome, RotationOutcome::Created);
    if approve {
        applied(
            w.store,
            DirectoryEffect::RotateDevice {
                device: id,
                signing_key: key,
                age_recipient: request.age_recipient.clone(),
                pq_recipient: request.pq_recipient.clone(),
                request: request.id,
            },
        )
        .await;
    }
}
