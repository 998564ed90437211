//! The flows that feed the directory (ADR 0004) and what follows from its
//! entries: invite codes, enrollment requests and their approval, key
//! rotation, revocation, the token key's rotation with tokens in flight, and
//! the administrators' aggregate counts.

mod common;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Db, TestApp, TestDevice, Upload, assert_error, get_json, post_packet, try_token};
use referral_broker::config::ConfigLayer;
use referral_broker::invite;
use referral_broker::state::now;
use referral_protocol::api::RequestReceipt;
use referral_protocol::directory::{Statement, rotation_message};
use referral_protocol::{
    AgeIdentity, DeskId, PacketId, RecipientKey, RequestId, Role, SigningKey, ThreadId,
};
use referral_store::{Invite, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn desk(id: &str) -> DeskId {
    id.parse().unwrap()
}

async fn post(app: &TestApp, token: Option<&str>, path: &str, body: Value) -> (StatusCode, Value) {
    let mut req = app.http.post(app.url(path)).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn store_of(app: &TestApp) -> Arc<dyn Store> {
    referral_broker::app::open_store(&app.config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_codes_work_once_for_their_desk_and_role() {
    let app = TestApp::spawn().await;
    let (admin, cw, _desk) = app.with_two_desks().await;
    let token = admin.token(&app).await;
    let store = store_of(&app).await;

    // Invites name an existing desk and a lifetime of 1 to 720 hours.
    let (status, body) = post(
        &app,
        Some(&token),
        "/v1/admin/invites",
        json!({"desk": "no-such-desk", "role": "desk"}),
    )
    .await;
    assert_error(status, &body, 404, "unknown_desk");
    for ttl in [0, 721] {
        let (status, body) = post(
            &app,
            Some(&token),
            "/v1/admin/invites",
            json!({"desk": "shinjuku-iea", "role": "desk", "ttl_hours": ttl}),
        )
        .await;
        assert_error(status, &body, 422, "invalid_ttl");
    }
    let (status, body) = post(
        &app,
        Some(&token),
        "/v1/admin/invites",
        json!({"desk": "shinjuku-iea", "role": "desk", "ttl_hours": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let expires = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp();
    assert!((now() + 3000..=now() + 3600).contains(&expires), "{body}");
    let code = body["code"].as_str().unwrap().to_owned();
    // The broker keeps the hash, never the code.
    let hash = invite::code_hash(&code).unwrap();
    assert!(store.invite(hash, now()).await.unwrap().is_some());

    // A device learns the desk and role it will sign its proof over; the
    // lookup does not use the code up.
    for _ in 0..2 {
        let (status, looked) = post(&app, None, "/v1/invites/lookup", json!({"code": code})).await;
        assert_eq!(status, StatusCode::OK, "{looked}");
        assert_eq!(looked["desk"], "shinjuku-iea");
        assert_eq!(looked["role"], "desk");
        assert_eq!(looked["expires_at"], body["expires_at"]);
    }

    let device = TestDevice::new(Some(desk("shinjuku-iea")));
    // A code that was never made, text that is no code at all.
    for wrong in ["00000-00000-00000-00000", "not a code", ""] {
        let (status, body) = app
            .request_enrollment(&device, wrong, "shinjuku-iea", Role::Desk)
            .await;
        assert_error(status, &body, 403, "invalid_invite_code");
    }
    // A proof made for another desk or role than the invite's is not a
    // proof for this enrollment; the code survives the attempt.
    for (desk_id, role) in [("covic-intake", Role::Desk), ("shinjuku-iea", Role::Admin)] {
        let (status, body) = app.request_enrollment(&device, &code, desk_id, role).await;
        assert_error(status, &body, 422, "bad_proof");
    }
    // A device or key that is already enrolled.
    let (status, body) = app
        .request_enrollment(&cw, &code, "shinjuku-iea", Role::Desk)
        .await;
    assert_error(status, &body, 409, "device_exists");
    let mut thief = TestDevice::new(Some(desk("shinjuku-iea")));
    // The caseworker's signing key, under another device id.
    thief.key =
        SigningKey::from_pkcs8(secrecy::ExposeSecret::expose_secret(cw.key.pkcs8())).unwrap();
    let (status, body) = app
        .request_enrollment(&thief, &code, "shinjuku-iea", Role::Desk)
        .await;
    assert_error(status, &body, 409, "key_in_use");
    assert!(store.pending_requests().await.unwrap().is_empty());

    // Typed loosely (lower case, no hyphens), the code still works, once.
    let loose = code.replace('-', "").to_lowercase();
    let (status, body) = app
        .request_enrollment(&device, &loose, "shinjuku-iea", Role::Desk)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let other = TestDevice::new(Some(desk("shinjuku-iea")));
    let (status, body) = app
        .request_enrollment(&other, &code, "shinjuku-iea", Role::Desk)
        .await;
    assert_error(status, &body, 403, "invalid_invite_code");
    assert_eq!(store.pending_requests().await.unwrap().len(), 1);
    let (status, body) = post(&app, None, "/v1/invites/lookup", json!({"code": code})).await;
    assert_error(status, &body, 403, "invalid_invite_code");

    // An expired code, with a value known to the test.
    let expired_code = "7RCPD-KXGN4-2QZ9M-HW3TB";
    store
        .create_invite(&Invite {
            code_hash: invite::code_hash(expired_code).unwrap(),
            desk: desk("shinjuku-iea"),
            role: Role::Desk,
            created_at: now() - 7200,
            expires_at: now() - 1,
        })
        .await
        .unwrap();
    let (status, body) = app
        .request_enrollment(&other, expired_code, "shinjuku-iea", Role::Desk)
        .await;
    assert_error(status, &body, 403, "invalid_invite_code");
    for text in [expired_code, "no code", "00000-00000-00000-00000"] {
        let (status, body) = post(&app, None, "/v1/invites/lookup", json!({"code": text})).await;
        assert_error(status, &body, 403, "invalid_invite_code");
    }
    assert_eq!(store.pending_requests().await.unwrap().len(), 1);
}

/// An approval must say exactly what the request asked for; anything else
/// is refused and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_must_match_its_request() {
    let app = TestApp::spawn().await;
    let (admin, _cw, _desk) = app.with_two_desks().await;
    let token = admin.token(&app).await;
    let device = TestDevice::new(Some(desk("shinjuku-iea")));
    let code = app.invite(&token, "shinjuku-iea", Role::Desk).await;
    let (status, body) = app
        .request_enrollment(&device, &code, "shinjuku-iea", Role::Desk)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let receipt: RequestReceipt = serde_json::from_value(body).unwrap();
    let asked = app
        .approval_of(&token, receipt.request_id, &receipt.fingerprint)
        .await;
    let head = app.directory().await.head();

    // Valid entries the log would accept, each with its own correct proof,
    // that differ from the request: another role, another key.
    let Statement::DeviceEnrolled {
        device: id,
        desk: d,
        age_recipient,
        pq_recipient,
        ..
    } = asked.clone()
    else {
        panic!("an enrollment");
    };
    let enrolled =
        |role: Role, key: &SigningKey, pq: Option<&RecipientKey>| Statement::DeviceEnrolled {
            device: id,
            desk: d.clone(),
            role,
            signing_key: key.verifying_key(),
            age_recipient: age_recipient.clone(),
            pq_recipient: pq.cloned(),
            device_signature: referral_protocol::directory::enrollment_proof(
                &id,
                d.as_ref(),
                role,
                &key.verifying_key(),
                &age_recipient,
                pq,
                key,
            ),
        };
    let substituted = SigningKey::generate().unwrap();
    let other_hybrid = AgeIdentity::generate_post_quantum().recipient();
    for (statement, request) in [
        (
            enrolled(Role::Caseworker, &device.key, pq_recipient.as_ref()),
            Some(receipt.request_id),
        ),
        (
            enrolled(Role::Desk, &substituted, pq_recipient.as_ref()),
            Some(receipt.request_id),
        ),
        // The hybrid key left out, or another one: not what was asked.
        (
            enrolled(Role::Desk, &device.key, None),
            Some(receipt.request_id),
        ),
        (
            enrolled(Role::Desk, &device.key, Some(&other_hybrid)),
            Some(receipt.request_id),
        ),
    ] {
        let entry = app.next_entry(&admin.key, statement).await;
        let (status, body) = app.post_entry(&token, &entry, request).await;
        assert_error(status, &body, 422, "request_mismatch");
    }
    let entry = app.next_entry(&admin.key, asked.clone()).await;
    let (status, body) = app.post_entry(&token, &entry, None).await;
    assert_error(status, &body, 422, "request_required");
    let (status, body) = app
        .post_entry(&token, &entry, Some(RequestId::random()))
        .await;
    assert_error(status, &body, 404, "unknown_request");
    assert_eq!(app.directory().await.head(), head, "nothing appended");
    app.pending_request(&token, receipt.request_id).await;
    let (status, _) = try_token(&app, &device).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "not enrolled");

    // The exact request, approved once.
    let (status, body) = app
        .post_entry(&token, &entry, Some(receipt.request_id))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    device.token(&app).await;
    let (status, body) = get_json(
        &app,
        &token,
        &format!("/v1/admin/requests/{}", receipt.request_id),
    )
    .await;
    assert_error(status, &body, 404, "unknown_request");
    let again = app.next_entry(&admin.key, asked).await;
    let (status, body) = app
        .post_entry(&token, &again, Some(receipt.request_id))
        .await;
    assert_error(status, &body, 422, "entry_refused");
}

/// A device's rotation request, signed by its old and new key, approved by
/// an administrator: from then on the device authenticates with the new key
/// and not the old one, and the directory lists only the new keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_moves_a_device_to_its_new_keys() {
    let app = TestApp::spawn().await;
    let (admin, cw, member) = app.with_two_desks().await;
    let admin_token = admin.token(&app).await;
    let member_token = member.token(&app).await;
    let rotated = TestDevice {
        id: member.id,
        desk: member.desk.clone(),
        ..TestDevice::new(None)
    };
    let message = rotation_message(
        &member.id,
        &member.key.verifying_key(),
        &rotated.key.verifying_key(),
        &rotated.recipient(),
        Some(&rotated.pq_recipient()),
    );
    let body = |old: &SigningKey, new: &SigningKey| {
        json!({
            "signing_key": rotated.key.verifying_key(),
            "age_recipient": rotated.recipient(),
            "pq_recipient": rotated.pq_recipient(),
            "old_key_signature": STANDARD.encode(old.sign(&message)),
            "new_key_signature": STANDARD.encode(new.sign(&message)),
        })
    };
    // Each key in its own slot (ADR 0020): a hybrid key as the X25519 one,
    // or an X25519 key as the hybrid one, is refused before anything is
    // stored, whatever the signatures.
    for (age_recipient, pq_recipient) in [
        (rotated.pq_recipient(), rotated.pq_recipient()),
        (rotated.recipient(), rotated.recipient()),
    ] {
        let mut wrong = body(&member.key, &rotated.key);
        wrong["age_recipient"] = json!(age_recipient);
        wrong["pq_recipient"] = json!(pq_recipient);
        let (status, reply) = post(&app, Some(&member_token), "/v1/rotations", wrong).await;
        assert_error(status, &reply, 422, "wrong_recipient_kind");
    }

    // Both signatures must verify: the old key (the device asks) and the
    // new one (it holds it).
    let stranger = SigningKey::generate().unwrap();
    for (old, new) in [(&stranger, &rotated.key), (&member.key, &stranger)] {
        let (status, reply) =
            post(&app, Some(&member_token), "/v1/rotations", body(old, new)).await;
        assert_error(status, &reply, 422, "bad_proof");
    }
    let (status, reply) = post(&app, None, "/v1/rotations", body(&member.key, &rotated.key)).await;
    assert_error(status, &reply, 401, "unauthorized");
    // A key the directory already holds cannot be anyone's new key.
    let cw_key = cw.key.verifying_key();
    let taken = rotation_message(
        &member.id,
        &member.key.verifying_key(),
        &cw_key,
        &rotated.recipient(),
        None,
    );
    let (status, reply) = post(
        &app,
        Some(&member_token),
        "/v1/rotations",
        json!({
            "signing_key": cw_key,
            "age_recipient": rotated.recipient(),
            "old_key_signature": STANDARD.encode(member.key.sign(&taken)),
            "new_key_signature": STANDARD.encode(cw.key.sign(&taken)),
        }),
    )
    .await;
    assert_error(status, &reply, 409, "key_in_use");
    // The root device's key is the root: it moves with a RootRotated entry.
    let root_message = rotation_message(
        &admin.id,
        &admin.key.verifying_key(),
        &rotated.key.verifying_key(),
        &rotated.recipient(),
        None,
    );
    let (status, reply) = post(
        &app,
        Some(&admin_token),
        "/v1/rotations",
        json!({
            "signing_key": rotated.key.verifying_key(),
            "age_recipient": rotated.recipient(),
            "old_key_signature": STANDARD.encode(admin.key.sign(&root_message)),
            "new_key_signature": STANDARD.encode(rotated.key.sign(&root_message)),
        }),
    )
    .await;
    assert_error(status, &reply, 422, "not_in_directory");

    let (status, reply) = post(
        &app,
        Some(&member_token),
        "/v1/rotations",
        body(&member.key, &rotated.key),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let receipt: RequestReceipt = serde_json::from_value(reply).unwrap();
    assert_eq!(receipt.fingerprint, rotated.fingerprint());
    let pending = app.pending_request(&admin_token, receipt.request_id).await;
    assert_eq!(pending.desk, member.desk);
    assert_eq!(pending.role, Role::Desk);
    // Until it is approved, the old key is the device's key.
    member.token(&app).await;
    let (status, _) = try_token(&app, &rotated).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    app.approve(
        &admin,
        &admin_token,
        receipt.request_id,
        &receipt.fingerprint,
    )
    .await;
    let (status, body) = try_token(&app, &member).await;
    assert_error(status, &body, 401, "invalid_credentials");
    let fresh = rotated.token(&app).await;
    assert_eq!(common::inbox(&app, &fresh).await.len(), 0);
    let log = app.directory().await;
    let record = log.state().device(&member.id).unwrap();
    assert_eq!(record.signing_key, rotated.key.verifying_key());
    assert!(
        record.has_signing_key(&member.key.verifying_key()),
        "kept as a past key"
    );
    assert_eq!(
        log.state()
            .encryption_keys(&desk("shinjuku-iea"), now(), None),
        [rotated.recipient()]
    );
}

/// A revocation entry: the device's unexpired token is refused from its next
/// request on, and it can neither get a token, send, nor read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_can_do_nothing() {
    let app = TestApp::spawn().await;
    let (admin, cw, member) = app.with_two_desks().await;
    let cw_token = cw.token(&app).await;
    let member_token = member.token(&app).await;
    let (id, thread) = (PacketId::random(), ThreadId::random());
    let sealed = cw.seal_to(&member, id, thread, b"{\"case\":\"before revocation\"}");
    let (status, body) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(id, thread, "shinjuku-iea"),
        sealed.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    app.revoke(&admin, cw.id).await;

    let (status, body) = get_json(&app, &cw_token, &format!("/v1/packets/{id}")).await;
    assert_error(status, &body, 401, "unauthorized");
    let (status, body) = get_json(&app, &cw_token, &format!("/v1/threads/{thread}")).await;
    assert_error(status, &body, 401, "unauthorized");
    let (id2, thread2) = (PacketId::random(), ThreadId::random());
    let again = cw.seal_to(&member, id2, thread2, b"{}");
    let (status, body) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(id2, thread2, "shinjuku-iea"),
        again,
    )
    .await;
    assert_error(status, &body, 401, "unauthorized");
    let (status, body) = try_token(&app, &cw).await;
    assert_error(status, &body, 401, "invalid_credentials");
    let (status, body) = post(
        &app,
        Some(&cw_token),
        "/v1/rotations",
        json!({
            "signing_key": SigningKey::generate().unwrap().verifying_key(),
            "age_recipient": cw.recipient(),
            "old_key_signature": STANDARD.encode([0u8; 64]),
            "new_key_signature": STANDARD.encode([0u8; 64]),
        }),
    )
    .await;
    assert_error(status, &body, 401, "unauthorized");
    // The desk it wrote to is unaffected; the log says revoked, for good.
    let inbox = common::inbox(&app, &member_token).await;
    assert_eq!(inbox.len(), 1);
    let log = app.directory().await;
    assert!(!log.state().device(&cw.id).unwrap().is_active());
    assert!(
        log.state()
            .encryption_keys(&desk("covic-intake"), now(), None)
            .is_empty()
    );
    let token = admin.token(&app).await;
    let twice = app
        .next_entry(&admin.key, Statement::DeviceRevoked { device: cw.id })
        .await;
    let (status, body) = app.post_entry(&token, &twice, None).await;
    assert_error(status, &body, 422, "entry_refused");
}

/// Staging a token key and appending its `TokenKeyRotated` entry while
/// requests are in flight: every request succeeds, tokens of the old kid
/// stay valid in the overlap window, new tokens carry the new kid. An entry
/// naming a key the broker did not stage changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn token_key_rotation_keeps_requests_in_flight_working() {
    // Workers fetch tokens as fast as they can, all from one address: lift
    // the auth rate limits, which are not what this test is about.
    let settings = ConfigLayer {
        auth_per_minute: Some(1_000_000),
        unauthenticated_per_minute_per_address: Some(1_000_000),
        ..ConfigLayer::default()
    };
    let app = Arc::new(TestApp::spawn_on(Db::Sqlite, settings).await.unwrap());
    let (admin, cw, member) = app.with_two_desks().await;
    let admin_token = admin.token(&app).await;
    let store = store_of(&app).await;
    let kid_of = |token: &str| -> String {
        let header = token.split('.').next().unwrap();
        let header: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .unwrap(),
        )
        .unwrap();
        header["kid"].as_str().unwrap().to_owned()
    };
    let old_token = member.token(&app).await;
    let old_kid = kid_of(&old_token);

    // Not staged, or staged with another public key: refused, nothing moves.
    let head = app.directory().await.head();
    let (status, staged) = post(&app, Some(&admin_token), "/v1/admin/token-keys", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{staged}");
    let staged_kid = staged["kid"].as_str().unwrap().to_owned();
    for (kid, public_key) in [
        ("0123456789abcdef".to_owned(), staged["public_key"].clone()),
        (
            staged_kid.clone(),
            json!(SigningKey::generate().unwrap().verifying_key()),
        ),
    ] {
        let statement = Statement::TokenKeyRotated {
            kid,
            public_key: serde_json::from_value(public_key).unwrap(),
        };
        let entry = app.next_entry(&admin.key, statement).await;
        let (status, body) = app.post_entry(&admin_token, &entry, None).await;
        assert_error(status, &body, 422, "unknown_token_key");
    }
    assert_eq!(app.directory().await.head(), head);
    assert_eq!(store.token_keys().await.unwrap().len(), 1);
    assert_eq!(
        kid_of(&member.token(&app).await),
        old_kid,
        "staging signs nothing"
    );

    // Requests in flight across the rotation, with the old token and with
    // tokens fetched as it happens.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (app, stop, old) = (app.clone(), stop.clone(), old_token.clone());
        let device = TestDevice {
            id: if w % 2 == 0 { member.id } else { cw.id },
            desk: None,
            key: SigningKey::from_pkcs8(secrecy::ExposeSecret::expose_secret(if w % 2 == 0 {
                member.key.pkcs8()
            } else {
                cw.key.pkcs8()
            }))
            .unwrap(),
            ..TestDevice::new(None)
        };
        workers.push(tokio::spawn(async move {
            let mut done = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || done < 5 {
                let token = if done.is_multiple_of(2) {
                    old.clone()
                } else {
                    device.token(&app).await
                };
                let (status, body) = get_json(&app, &token, "/v1/inbox").await;
                assert_eq!(status, StatusCode::OK, "worker {w}, request {done}: {body}");
                done += 1;
            }
            done
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let new_kid = app.rotate_token_key(&admin).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for worker in workers {
        assert!(worker.await.unwrap() >= 5);
    }

    assert_ne!(new_kid, old_kid);
    let fresh = member.token(&app).await;
    assert_eq!(kid_of(&fresh), new_kid, "new tokens carry the new kid");
    for token in [&old_token, &fresh] {
        let (status, body) = get_json(&app, token, "/v1/inbox").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let keys = store.token_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (keys[0].kid.as_str(), keys[0].retired_at),
        (new_kid.as_str(), None)
    );
    assert!(keys[1].retired_at.is_some());
    // The staged key that was never activated is still only staged: its kid
    // signs nothing and the log never named it.
    assert!(
        app.directory()
            .await
            .state()
            .token_key(&staged_kid)
            .is_none()
    );
}

/// `admin stats`: threads by recipient desk, status and ISO week, and
/// packets by delivery state; no id of anything or anyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_without_naming_anyone() {
    let app = TestApp::spawn().await;
    let (admin, cw, member) = app.with_two_desks().await;
    let (cw_token, member_token) = (cw.token(&app).await, member.token(&app).await);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (id, thread) = (PacketId::random(), ThreadId::random());
        let sealed = cw.seal_to(&member, id, thread, b"{\"case\":\"stats\"}");
        let (status, body) = post_packet(
            &app,
            &cw_token,
            &Upload::referral(id, thread, "shinjuku-iea"),
            sealed,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push((id, thread));
    }
    let res = app
        .http
        .post(app.url(&format!("/v1/packets/{}/ack", ids[0].0)))
        .bearer_auth(&member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let (status, body) = get_json(&app, &member_token, "/v1/admin/stats").await;
    assert_error(status, &body, 403, "admin_only");
    let token = admin.token(&app).await;
    let (status, stats) = get_json(&app, &token, "/v1/admin/stats").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let (year, week, _) = time::OffsetDateTime::now_utc().to_iso_week_date();
    let this_week = format!("{year}-W{week:02}");
    assert_eq!(
        stats,
        json!({
            "rows": [
                {"desk": "shinjuku-iea", "status": "sent", "week": this_week, "threads": 2},
                {"desk": "shinjuku-iea", "status": "received", "week": this_week, "threads": 1},
            ],
            "packets_pending": 2,
            "packets_acknowledged": 1,
            "packets_expired": 0,
        })
    );
    let text = stats.to_string();
    for (id, thread) in &ids {
        for id in [id.to_string(), thread.to_string()] {
            assert!(
                !text.contains(&id) && !text.contains(&id.replace('-', "")),
                "{text}"
            );
        }
    }
    for device in [&admin.id, &cw.id, &member.id] {
        assert!(!text.contains(&device.to_string()), "{text}");
    }
}
