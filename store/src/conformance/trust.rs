//! The trust flows (ADR 0003, 0004): the bootstrap claim with its genesis
//! entry, appends and their effects, invites, enrollment and rotation
//! requests, revocation, root rotation and staged token keys. Every refusal
//! is checked to change nothing: neither the log nor the tables.

use referral_protocol::{AgeIdentity, DeviceId, RequestId, SigningKey, VerifyingKey};
use secrecy::{ExposeSecret, SecretSlice};

use super::{HOUR, T0, append, desk, desk_id, device, next_seq};
use crate::{
    AppendOutcome, Device, DeviceState, DirectoryEffect, EnrollOutcome, Invite, NewEntry, Request,
    RequestKind, RequestSignatures, Role, RotationOutcome, STAGED_TOKEN_KEY_TTL, Store, StoreError,
    TokenKey, to_hour,
};

/// The admin the suite bootstraps with: a fixed id, so later steps find it.
const ADMIN: &str = "6f0d1d52-8f2e-4b7e-9a51-0c2a7c3e9b10";

fn admin_id() -> DeviceId {
    ADMIN.parse().expect("test device id")
}

fn genesis(seq: u64) -> NewEntry {
    let bytes = b"stand-in genesis".to_vec();
    NewEntry {
        seq,
        hash: referral_protocol::envelope::sha256(&bytes),
        bytes,
        effect: DirectoryEffect::None,
    }
}

/// The log, as (seq, bytes) pairs, and the pending requests: what every
/// refusal must leave as it was.
async fn snapshot(store: &dyn Store) -> (Vec<(u64, Vec<u8>)>, Vec<Request>) {
    let log = store
        .directory_since(0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.seq, e.bytes))
        .collect();
    (log, store.pending_requests().await.unwrap())
}

pub(super) async fn bootstrap(store: &dyn Store) {
    let code = [7u8; 32];
    assert_eq!(store.root_key().await.unwrap(), None);
    assert!(store.directory_since(0).await.unwrap().is_empty());
    store.set_bootstrap_code(code, T0 + HOUR).await.unwrap();
    assert!(store.has_bootstrap_code(T0).await.unwrap());
    assert!(
        !store.has_bootstrap_code(T0 + 2 * HOUR).await.unwrap(),
        "expired"
    );

    let mut admin = device(None, Role::Admin);
    admin.id = admin_id();
    let claim = |code, now, admin: Device, genesis: NewEntry| async move {
        store.claim_bootstrap(code, now, &admin, &genesis).await
    };
    assert!(
        !claim([8u8; 32], T0, admin.clone(), genesis(0))
            .await
            .unwrap(),
        "wrong code"
    );
    assert!(
        !claim(code, T0 + 2 * HOUR, admin.clone(), genesis(0))
            .await
            .unwrap(),
        "expired code"
    );
    assert!(matches!(
        claim(code, T0, admin.clone(), genesis(1)).await,
        Err(StoreError::Invalid(_))
    ));
    let mut with_effect = genesis(0);
    with_effect.effect = DirectoryEffect::CreateDesk(desk("covic-intake"));
    assert!(matches!(
        claim(code, T0, admin.clone(), with_effect).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.device(&admin.id).await.unwrap(),
        None,
        "a failed claim changes nothing"
    );
    assert_eq!(store.root_key().await.unwrap(), None);
    assert!(store.directory_since(0).await.unwrap().is_empty());

    assert!(claim(code, T0, admin.clone(), genesis(0)).await.unwrap());
    assert_eq!(store.root_key().await.unwrap(), Some(admin.signing_key));
    assert_eq!(store.device(&admin.id).await.unwrap(), Some(admin.clone()));
    let log = store.directory_since(0).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].seq, log[0].bytes.as_slice()),
        (0, &b"stand-in genesis"[..])
    );

    let other = device(None, Role::Admin);
    assert!(
        !claim(code, T0, other.clone(), genesis(0)).await.unwrap(),
        "one use only"
    );
    assert!(!store.has_bootstrap_code(T0).await.unwrap());
    assert!(matches!(
        store.set_bootstrap_code([9u8; 32], T0 + HOUR).await,
        Err(StoreError::AlreadyClaimed)
    ));
    assert_eq!(store.device(&other.id).await.unwrap(), None);
    assert_eq!(
        store.root_key().await.unwrap(),
        Some(admin.signing_key),
        "root unchanged"
    );
}

pub(super) async fn directory(store: &dyn Store) {
    // Positions: an existing seq is taken, a gap is refused; neither lands.
    let before = snapshot(store).await;
    let at = |seq| NewEntry {
        seq,
        hash: [seq as u8; 32],
        bytes: vec![seq as u8; 8],
        effect: DirectoryEffect::CreateDesk(desk("shinjuku-iea")),
    };
    assert_eq!(
        store.append_directory(at(0)).await.unwrap(),
        AppendOutcome::SeqTaken
    );
    assert_eq!(
        store.append_directory(at(2)).await.unwrap(),
        AppendOutcome::NotNext
    );
    assert_eq!(snapshot(store).await, before);
    assert!(store.desks().await.unwrap().is_empty());

    // Desks appear with their entries, and only once.
    for id in ["shinjuku-iea", "covic-intake"] {
        assert_eq!(
            append(store, DirectoryEffect::CreateDesk(desk(id))).await,
            AppendOutcome::Appended
        );
    }
    let listed: Vec<String> = store
        .desks()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id.to_string())
        .collect();
    assert_eq!(listed, ["covic-intake", "shinjuku-iea"], "desks by id");
    assert_eq!(
        store.desk(&desk_id("shinjuku-iea")).await.unwrap(),
        Some(desk("shinjuku-iea"))
    );
    assert_eq!(store.desk(&desk_id("nowhere")).await.unwrap(), None);
    let before = snapshot(store).await;
    assert!(matches!(
        append(store, DirectoryEffect::CreateDesk(desk("covic-intake"))).await,
        AppendOutcome::Inconsistent(_)
    ));
    assert!(matches!(
        append(store, DirectoryEffect::RevokeDevice(DeviceId::random())).await,
        AppendOutcome::Inconsistent(_)
    ));
    assert_eq!(
        snapshot(store).await,
        before,
        "refused effects leave no entry"
    );

    // An entry without an effect on the tables (a key-age policy).
    assert_eq!(
        append(store, DirectoryEffect::None).await,
        AppendOutcome::Appended
    );
    let log = store.directory_since(0).await.unwrap();
    let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [0, 1, 2, 3]);
    assert_eq!(log[3].bytes, b"stand-in entry 3");
    let tail: Vec<u64> = store
        .directory_since(2)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(tail, [2, 3]);
    assert!(store.directory_since(4).await.unwrap().is_empty());
    assert!(store.directory_since(u64::MAX).await.unwrap().is_empty());
}

fn invite(code: u8, desk: &str, role: Role, expires_at: i64) -> Invite {
    Invite {
        code_hash: [code; 32],
        desk: desk_id(desk),
        role,
        created_at: T0,
        expires_at,
    }
}

fn enrollment(of: &Device) -> Request {
    Request {
        id: RequestId::random(),
        device: of.id,
        desk: of.desk.clone(),
        role: of.role,
        signing_key: of.signing_key,
        age_recipient: of.age_recipient.clone(),
        pq_recipient: Some(super::example_pq_recipient()),
        signatures: RequestSignatures::Enrollment {
            device_signature: [0x5e; 64],
        },
        created_at: T0 + 1234,
    }
}

fn enroll_effect(of: &Device, request: RequestId) -> DirectoryEffect {
    DirectoryEffect::EnrollDevice {
        device: of.clone(),
        pq_recipient: Some(super::example_pq_recipient()),
        request,
    }
}

pub(super) async fn invites_and_enrollment(store: &dyn Store) {
    let desk_member = device(Some("shinjuku-iea"), Role::Desk);
    assert!(matches!(
        store
            .create_invite(&invite(1, "nowhere", Role::Desk, T0 + HOUR))
            .await,
        Err(StoreError::UnknownDesk)
    ));
    let good = invite(2, "shinjuku-iea", Role::Desk, T0 + 72 * HOUR);
    store.create_invite(&good).await.unwrap();
    assert_eq!(store.invite([2; 32], T0).await.unwrap(), Some(good.clone()));
    assert_eq!(store.invite([2; 32], T0 + 72 * HOUR).await.unwrap(), None);
    assert_eq!(store.invite([1; 32], T0).await.unwrap(), None);

    // Refusals keep the invite and store no request.
    let request = enrollment(&desk_member);
    let submit = |code: u8, now: i64, r: Request| async move {
        store.submit_enrollment([code; 32], now, &r).await.unwrap()
    };
    assert_eq!(submit(9, T0, request.clone()).await, EnrollOutcome::BadCode);
    assert_eq!(
        submit(2, T0 + 72 * HOUR, request.clone()).await,
        EnrollOutcome::BadCode,
        "expired"
    );
    let mut other_role = request.clone();
    other_role.role = Role::Caseworker;
    assert_eq!(submit(2, T0, other_role).await, EnrollOutcome::BadCode);
    let mut other_desk = request.clone();
    other_desk.desk = Some(desk_id("covic-intake"));
    assert_eq!(submit(2, T0, other_desk).await, EnrollOutcome::BadCode);
    let mut as_admin = request.clone();
    as_admin.device = admin_id();
    assert_eq!(submit(2, T0, as_admin).await, EnrollOutcome::DeviceExists);
    let root = store.root_key().await.unwrap().unwrap();
    let mut root_key = request.clone();
    root_key.signing_key = root;
    assert_eq!(submit(2, T0, root_key).await, EnrollOutcome::DeviceExists);
    assert!(store.pending_requests().await.unwrap().is_empty());
    assert!(store.invite([2; 32], T0).await.unwrap().is_some());

    // The request is stored (hour-truncated), the invite spent.
    assert_eq!(submit(2, T0, request.clone()).await, EnrollOutcome::Created);
    let stored = Request {
        created_at: to_hour(request.created_at),
        ..request.clone()
    };
    assert_eq!(stored.kind(), RequestKind::Enrollment);
    assert_eq!(
        store.pending_requests().await.unwrap(),
        std::slice::from_ref(&stored)
    );
    assert_eq!(store.request(&request.id).await.unwrap(), Some(stored));
    assert_eq!(store.request(&RequestId::random()).await.unwrap(), None);
    assert_eq!(store.invite([2; 32], T0).await.unwrap(), None, "spent");
    assert_eq!(
        submit(2, T0, enrollment(&device(Some("shinjuku-iea"), Role::Desk))).await,
        EnrollOutcome::BadCode,
        "one use"
    );
    // The same device or key asked for twice, with a fresh invite.
    store
        .create_invite(&invite(3, "shinjuku-iea", Role::Desk, T0 + HOUR))
        .await
        .unwrap();
    let mut same_device = enrollment(&device(Some("shinjuku-iea"), Role::Desk));
    same_device.device = desk_member.id;
    assert_eq!(
        submit(3, T0, same_device).await,
        EnrollOutcome::DeviceExists
    );
    let mut same_key = enrollment(&device(Some("shinjuku-iea"), Role::Desk));
    same_key.signing_key = desk_member.signing_key;
    assert_eq!(submit(3, T0, same_key).await, EnrollOutcome::DeviceExists);

    // Approval must name the pending request and match it exactly.
    let before = snapshot(store).await;
    let mut wrong_role = desk_member.clone();
    wrong_role.role = Role::Caseworker;
    let mut wrong_key = desk_member.clone();
    wrong_key.signing_key = SigningKey::generate().unwrap().verifying_key();
    // The hybrid key counts as much as the others (ADR 0020): left out,
    // or another one, the approval matches nothing.
    let without_hybrid = DirectoryEffect::EnrollDevice {
        device: desk_member.clone(),
        pq_recipient: None,
        request: request.id,
    };
    let other_hybrid = DirectoryEffect::EnrollDevice {
        device: desk_member.clone(),
        pq_recipient: Some(AgeIdentity::generate_post_quantum().recipient()),
        request: request.id,
    };
    for effect in [
        enroll_effect(&desk_member, RequestId::random()),
        enroll_effect(&wrong_role, request.id),
        enroll_effect(&wrong_key, request.id),
        without_hybrid,
        other_hybrid,
    ] {
        assert_eq!(append(store, effect).await, AppendOutcome::RequestGone);
    }
    assert_eq!(snapshot(store).await, before);
    assert_eq!(store.device(&desk_member.id).await.unwrap(), None);

    assert_eq!(
        append(store, enroll_effect(&desk_member, request.id)).await,
        AppendOutcome::Appended
    );
    assert_eq!(
        store.device(&desk_member.id).await.unwrap(),
        Some(desk_member.clone())
    );
    assert!(store.pending_requests().await.unwrap().is_empty(), "closed");
    assert_eq!(
        append(store, enroll_effect(&desk_member, request.id)).await,
        AppendOutcome::RequestGone,
        "approved once"
    );
}

fn rotation(of: DeviceId, key: VerifyingKey) -> Request {
    Request {
        id: RequestId::random(),
        device: of,
        desk: Some(desk_id("covic-intake")),
        role: Role::Caseworker,
        signing_key: key,
        age_recipient: super::EXAMPLE_RECIPIENT.parse().unwrap(),
        pq_recipient: Some(super::example_pq_recipient()),
        signatures: RequestSignatures::Rotation {
            old_key_signature: [1; 64],
            new_key_signature: [2; 64],
        },
        created_at: T0,
    }
}

fn rotate_effect(r: &Request) -> DirectoryEffect {
    DirectoryEffect::RotateDevice {
        device: r.device,
        signing_key: r.signing_key,
        age_recipient: r.age_recipient.clone(),
        pq_recipient: r.pq_recipient.clone(),
        request: r.id,
    }
}

/// Enrolls `d` through an invite and a request, as the broker does.
async fn enroll(store: &dyn Store, d: &Device, code: u8) {
    let desk = d.desk.as_ref().expect("a desk device").as_str();
    store
        .create_invite(&invite(code, desk, d.role, T0 + HOUR))
        .await
        .unwrap();
    let r = enrollment(d);
    assert_eq!(
        store.submit_enrollment([code; 32], T0, &r).await.unwrap(),
        EnrollOutcome::Created
    );
    assert_eq!(
        append(store, enroll_effect(d, r.id)).await,
        AppendOutcome::Appended
    );
}

pub(super) async fn rotation_and_revocation(store: &dyn Store) {
    let cw = device(Some("covic-intake"), Role::Caseworker);
    enroll(store, &cw, 10).await;
    let fresh = || SigningKey::generate().unwrap().verifying_key();
    let submit = |r: Request| async move { store.submit_rotation(&r).await.unwrap() };

    assert_eq!(
        submit(rotation(DeviceId::random(), fresh())).await,
        RotationOutcome::UnknownDevice
    );
    let root = store.root_key().await.unwrap().unwrap();
    assert_eq!(
        submit(rotation(cw.id, root)).await,
        RotationOutcome::KeyInUse
    );
    assert!(store.pending_requests().await.unwrap().is_empty());

    // A newer rotation replaces the older one.
    let first = rotation(cw.id, fresh());
    assert_eq!(submit(first.clone()).await, RotationOutcome::Created);
    let second = rotation(cw.id, fresh());
    assert_eq!(submit(second.clone()).await, RotationOutcome::Created);
    let pending = store.pending_requests().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].id, pending[0].kind()),
        (second.id, RequestKind::Rotation)
    );
    // Resubmitting the same new key replaces it too (a retry).
    let retry = rotation(cw.id, second.signing_key);
    assert_eq!(submit(retry.clone()).await, RotationOutcome::Created);
    assert_eq!(store.pending_requests().await.unwrap()[0].id, retry.id);

    let before = snapshot(store).await;
    for stale in [&first, &second] {
        assert_eq!(
            append(store, rotate_effect(stale)).await,
            AppendOutcome::RequestGone
        );
    }
    let mut other_key = retry.clone();
    other_key.signing_key = fresh();
    let mut classic_only = retry.clone();
    classic_only.pq_recipient = None;
    for wrong in [&other_key, &classic_only] {
        assert_eq!(
            append(store, rotate_effect(wrong)).await,
            AppendOutcome::RequestGone
        );
    }
    assert_eq!(snapshot(store).await, before);
    assert_eq!(store.device(&cw.id).await.unwrap(), Some(cw.clone()));

    assert_eq!(
        append(store, rotate_effect(&retry)).await,
        AppendOutcome::Appended
    );
    let rotated = store.device(&cw.id).await.unwrap().unwrap();
    assert_eq!(rotated.signing_key, retry.signing_key);
    assert!(store.pending_requests().await.unwrap().is_empty());

    // Revocation is for good, and takes the device's pending requests along.
    assert_eq!(
        submit(rotation(cw.id, fresh())).await,
        RotationOutcome::Created
    );
    assert_eq!(
        append(store, DirectoryEffect::RevokeDevice(cw.id)).await,
        AppendOutcome::Appended
    );
    assert_eq!(
        store.device(&cw.id).await.unwrap().unwrap().state,
        DeviceState::Revoked
    );
    assert!(store.pending_requests().await.unwrap().is_empty());
    assert_eq!(
        submit(rotation(cw.id, fresh())).await,
        RotationOutcome::UnknownDevice
    );
    assert!(matches!(
        append(store, DirectoryEffect::RevokeDevice(cw.id)).await,
        AppendOutcome::Inconsistent(_)
    ));
    // A revoked device's keys and id stay taken.
    store
        .create_invite(&invite(11, "covic-intake", Role::Caseworker, T0 + HOUR))
        .await
        .unwrap();
    let mut again = enrollment(&device(Some("covic-intake"), Role::Caseworker));
    again.signing_key = rotated.signing_key;
    assert_eq!(
        store.submit_enrollment([11; 32], T0, &again).await.unwrap(),
        EnrollOutcome::DeviceExists
    );
    again.signing_key = fresh();
    again.device = cw.id;
    assert_eq!(
        store.submit_enrollment([11; 32], T0, &again).await.unwrap(),
        EnrollOutcome::DeviceExists
    );
}

pub(super) async fn root_rotation(store: &dyn Store) {
    let old = store.root_key().await.unwrap().unwrap();
    // Another device's key cannot become the root: the broker would then
    // let two devices authenticate with one key.
    let member = device(Some("shinjuku-iea"), Role::Desk);
    enroll(store, &member, 20).await;
    let before = snapshot(store).await;
    assert!(matches!(
        append(
            store,
            DirectoryEffect::RotateRoot {
                new_root: member.signing_key
            }
        )
        .await,
        AppendOutcome::Inconsistent(_)
    ));
    assert_eq!(snapshot(store).await, before);
    assert_eq!(store.root_key().await.unwrap(), Some(old));

    let new_root = SigningKey::generate().unwrap().verifying_key();
    assert_eq!(
        append(store, DirectoryEffect::RotateRoot { new_root }).await,
        AppendOutcome::Appended
    );
    assert_eq!(store.root_key().await.unwrap(), Some(new_root));
    let admin = store.device(&admin_id()).await.unwrap().unwrap();
    assert_eq!(
        admin.signing_key, new_root,
        "the root device follows the root"
    );
    assert_eq!(
        store.device(&member.id).await.unwrap().unwrap().signing_key,
        member.signing_key,
        "other devices keep their keys"
    );
}

fn token_key(kid: &str, created_at: i64) -> (TokenKey, SigningKey) {
    let k = SigningKey::generate().unwrap();
    let key = TokenKey {
        kid: kid.into(),
        pkcs8: SecretSlice::from(k.pkcs8().expose_secret().to_vec()),
        public: k.verifying_key(),
        created_at,
        retired_at: None,
    };
    (key, k)
}

/// Runs after `token_keys` (k1 retired, k2 current).
pub(super) async fn staged_token_keys(store: &dyn Store) {
    let current = store.token_keys().await.unwrap();
    assert_eq!(current[0].kid, "k2");
    let (k3, signing) = token_key("k3", T0 + 2 * HOUR);
    store.stage_token_key(&k3).await.unwrap();
    assert_eq!(
        store.token_keys().await.unwrap().len(),
        2,
        "a staged key signs nothing yet"
    );

    let activate = |kid: &str, public_key, at| DirectoryEffect::ActivateTokenKey {
        kid: kid.into(),
        public_key,
        at,
    };
    let before = snapshot(store).await;
    let other = SigningKey::generate().unwrap().verifying_key();
    for effect in [
        activate("k3", other, T0 + 3 * HOUR),
        activate("k9", k3.public, T0 + 3 * HOUR),
    ] {
        assert_eq!(append(store, effect).await, AppendOutcome::UnknownTokenKey);
    }
    assert_eq!(snapshot(store).await, before);
    assert_eq!(store.token_keys().await.unwrap().len(), 2);

    assert_eq!(
        append(store, activate("k3", k3.public, T0 + 3 * HOUR)).await,
        AppendOutcome::Appended
    );
    let keys = store.token_keys().await.unwrap();
    let summary: Vec<(&str, Option<i64>)> = keys
        .iter()
        .map(|k| (k.kid.as_str(), k.retired_at))
        .collect();
    assert_eq!(
        summary,
        [
            ("k3", None),
            ("k2", Some(T0 + 3 * HOUR)),
            ("k1", Some(T0 + HOUR))
        ],
        "newest first; the others retired when k3 took over"
    );
    let loaded = SigningKey::from_pkcs8(keys[0].pkcs8.expose_secret()).unwrap();
    assert_eq!(loaded.verifying_key(), signing.verifying_key());
    assert_eq!(
        append(store, activate("k3", k3.public, T0 + 4 * HOUR)).await,
        AppendOutcome::UnknownTokenKey,
        "activated once"
    );

    // A staged key nobody activated is dropped by the purge.
    let (k4, _) = token_key("k4", T0);
    store.stage_token_key(&k4).await.unwrap();
    store
        .purge(crate::conformance::packets_only(
            T0 + STAGED_TOKEN_KEY_TTL + 1,
            T0 - 100 * HOUR,
        ))
        .await
        .unwrap();
    assert_eq!(
        append(store, activate("k4", k4.public, T0 + 5 * HOUR)).await,
        AppendOutcome::UnknownTokenKey
    );
    // So are keys retired long enough that no token they signed is alive.
    let kept: Vec<String> = store
        .token_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kept, ["k3"], "k1 and k2 retired more than an hour ago");
    assert_eq!(next_seq(store).await, before.0.len() as u64 + 1);
}
