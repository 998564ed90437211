//! The signed directory log over HTTP (ADR 0003, 0004): what the broker
//! serves verifies from the root a client pins and extends what the client
//! held; only administrators' entries, at the head, are appended; two
//! brokers on one PostgreSQL database append one entry per position; and a
//! broker whose stored log does not verify refuses to start.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Db, TestApp, TestDevice, assert_error, get_json, sign_after};
use referral_broker::app::Application;
use referral_broker::config::ConfigLayer;
use referral_broker::state::now;
use referral_protocol::api::{PendingRequests, RequestReceipt};
use referral_protocol::directory::{DirectoryError, Entry, Statement, VerifiedLog};
use referral_protocol::{Fingerprint, RequestId, Role, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `GET /v1/directory?since=…` as the device that claimed the broker
/// (anonymously before the claim).
async fn page(app: &TestApp, query: &str) -> (StatusCode, Value) {
    app.get_directory(query).await
}

fn entries_of(page: &Value) -> Vec<Entry> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Entry::from_base64(e.as_str().unwrap()).unwrap())
        .collect()
}

fn desk_created(desk: &str) -> Statement {
    Statement::DeskCreated {
        desk: desk.parse().unwrap(),
        name: format!("{desk} office"),
        prefecture: Some("JP-13".into()),
        languages: Some("ja,en,vi".into()),
    }
}

async fn directory_story(db: Db) {
    let Some(app) = TestApp::spawn_on(db, ConfigLayer::default()).await else {
        return;
    };
    // Before the claim there is nothing to verify.
    let (status, before) = page(&app, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(before, json!({"entries": [], "head_seq": null}));

    let admin = app.bootstrap_admin().await;
    let pinned = Fingerprint::of_root(&admin.key.verifying_key());
    let (_, first) = page(&app, "?since=0").await;
    assert_eq!(first["head_seq"], 0);
    let mut client = VerifiedLog::from_genesis(entries_of(&first), Some(pinned))
        .expect("the genesis verifies from the pinned root");

    app.create_desk(&admin, "shinjuku-iea").await;
    let token = admin.token(&app).await;
    let code = app.invite(&token, "shinjuku-iea", Role::Desk).await;
    let groups: Vec<&str> = code.split('-').collect();
    assert_eq!(groups.len(), 4, "{code}");
    assert!(groups.iter().all(|g| g.len() == 5), "{code}");

    let device = TestDevice::new(Some("shinjuku-iea".parse().unwrap()));
    let (status, body) = app
        .request_enrollment(&device, &code, "shinjuku-iea", Role::Desk)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let receipt: RequestReceipt = serde_json::from_value(body).unwrap();
    assert_eq!(receipt.fingerprint, device.fingerprint());
    let (status, listed) = get_json(&app, &token, "/v1/admin/requests").await;
    assert_eq!(status, StatusCode::OK);
    let listed: PendingRequests = serde_json::from_value(listed).unwrap();
    assert_eq!(listed.requests.len(), 1);
    let pending = &listed.requests[0];
    assert_eq!(pending.request_id, receipt.request_id);
    assert_eq!(pending.device_id, device.id);
    assert_eq!(pending.desk.as_ref().unwrap().as_str(), "shinjuku-iea");
    assert_eq!(pending.role, Role::Desk);
    assert_eq!(pending.fingerprint, receipt.fingerprint);
    assert!(pending.created_hour.to_string().ends_with(":00:00Z"));
    // The device cannot authenticate until an administrator approves it.
    let (status, _) = common::try_token(&app, &device).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    app.approve(&admin, &token, receipt.request_id, &receipt.fingerprint)
        .await;
    let (_, listed) = get_json(&app, &token, "/v1/admin/requests").await;
    assert_eq!(listed["requests"], json!([]), "approval closed the request");

    // A client extends what it held from its head: the answer starts with
    // the entry it has, then the new ones.
    let (_, update) = page(&app, &format!("?since={}", client.head().seq)).await;
    assert_eq!(update["head_seq"], 2);
    let fetched = entries_of(&update);
    assert_eq!(fetched.len(), 3);
    client.extend(&fetched).expect("a valid extension");
    // A new client pinned to the root verifies the whole log to the same state.
    let (_, all) = page(&app, "").await;
    let fresh = VerifiedLog::from_genesis(entries_of(&all), Some(pinned)).unwrap();
    assert_eq!(fresh, client);
    let record = fresh.state().device(&device.id).expect("enrolled");
    assert_eq!(record.signing_key, device.key.verifying_key());
    assert_eq!(record.age_recipient, device.recipient());
    assert_eq!(record.role, Role::Desk);
    // Pinned to another root, the same log is refused.
    let other = Fingerprint::of_root(&SigningKey::generate().unwrap().verifying_key());
    assert!(matches!(
        VerifiedLog::from_genesis(entries_of(&all), Some(other)),
        Err(DirectoryError::RootMismatch { .. })
    ));
    // Past the head: nothing, but the head.
    let (_, past) = page(&app, "?since=9").await;
    assert_eq!(past, json!({"entries": [], "head_seq": 2}));
    for bad in ["?since=abc", "?since=-1", "?since=1&extra=2"] {
        let (status, body) = page(&app, bad).await;
        assert_error(status, &body, 400, "bad_query");
    }

    // The approved device works.
    let device_token = device.token(&app).await;
    assert_eq!(common::inbox(&app, &device_token).await.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_story_on_sqlite() {
    directory_story(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_story_on_postgres() {
    directory_story(Db::Postgres).await;
}

/// Appends are an administrator's, signed by an administrator's key, at the
/// head. Each refusal is a 4xx and leaves the log and the desks as they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_administrators_append_and_only_at_the_head() {
    let app = TestApp::spawn().await;
    let (admin, _cw, desk) = app.with_two_desks().await;
    let (admin_token, desk_token) = (admin.token(&app).await, desk.token(&app).await);
    let log = app.directory().await;
    let head = log.head();
    let good = sign_after(&log, &admin.key, desk_created("minato-npo"));

    // A desk member's token, whoever signed the entry.
    let (status, body) = app.post_entry(&desk_token, &good, None).await;
    assert_error(status, &body, 403, "admin_only");
    let (status, body) = app
        .http
        .post(app.url("/v1/directory"))
        .json(&json!({"entry": good.to_base64()}))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    assert_error(status, &body.json().await.unwrap(), 401, "unauthorized");

    // Validly signed, but not by an administrator: a desk member's key, a
    // stranger's key.
    for signer in [&desk.key, &SigningKey::generate().unwrap()] {
        let entry = sign_after(&log, signer, desk_created("minato-npo"));
        let (status, body) = app.post_entry(&admin_token, &entry, None).await;
        assert_error(status, &body, 422, "entry_not_authorised");
    }
    // An administrator's entry whose signature was altered.
    let mut tampered = good.clone();
    tampered.signature[7] ^= 1;
    let (status, body) = app.post_entry(&admin_token, &tampered, None).await;
    assert_error(status, &body, 422, "bad_signature");
    // Not at the head: ahead of it, at it (a replay of the last entry's
    // position), or chained to another entry.
    let statement = || desk_created("minato-npo");
    let sign = |seq, prev, time| Entry::sign(seq, prev, time, statement(), &admin.key, None);
    for entry in [
        sign(head.seq + 2, head.hash, now()).unwrap(),
        sign(head.seq, head.hash, now()).unwrap(),
        sign(head.seq + 1, [7; 32], now()).unwrap(),
    ] {
        let (status, body) = app.post_entry(&admin_token, &entry, None).await;
        assert_error(status, &body, 409, "stale_head");
    }
    // Not an entry; a second genesis; a time far ahead of the broker's.
    for text in [
        "!!!",
        "AAAA",
        &STANDARD.encode([good.encode(), vec![0]].concat()),
    ] {
        let (status, body) = app
            .http
            .post(app.url("/v1/directory"))
            .bearer_auth(&admin_token)
            .json(&json!({"entry": text}))
            .send()
            .await
            .map(|r| (r.status(), r))
            .unwrap();
        assert_error(status, &body.json().await.unwrap(), 422, "bad_entry");
    }
    let genesis = sign_after(
        &log,
        &admin.key,
        Statement::Genesis {
            root: admin.key.verifying_key(),
        },
    );
    let (status, body) = app.post_entry(&admin_token, &genesis, None).await;
    assert_error(status, &body, 422, "entry_refused");
    let future = sign(head.seq + 1, head.hash, now() + 24 * 3600).unwrap();
    let (status, body) = app.post_entry(&admin_token, &future, None).await;
    assert_error(status, &body, 422, "entry_in_future");
    // A statement the log refuses (the desk exists), and a request id on an
    // entry that approves nothing.
    let again = sign_after(&log, &admin.key, desk_created("shinjuku-iea"));
    let (status, body) = app.post_entry(&admin_token, &again, None).await;
    assert_error(status, &body, 422, "entry_refused");
    let (status, body) = app
        .post_entry(&admin_token, &good, Some(RequestId::random()))
        .await;
    assert_error(status, &body, 422, "unexpected_request");

    let store = referral_broker::app::open_store(&app.config).await.unwrap();
    assert_eq!(app.directory().await.head(), head, "nothing appended");
    assert_eq!(store.desks().await.unwrap().len(), 2, "no desk added");

    // Positive control: the same entry, properly posted.
    let (status, body) = app.post_entry(&admin_token, &good, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["seq"], head.seq + 1);
    assert_eq!(body["hash"], hex::encode(good.hash()));
    assert!(
        store
            .desk(&"minato-npo".parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    // Posting it again is a stale head, not a second desk.
    let (status, body) = app.post_entry(&admin_token, &good, None).await;
    assert_error(status, &body, 409, "stale_head");
}

/// Two brokers over one PostgreSQL database (SPEC §8): administrators
/// appending at the same head through both get one entry at that position;
/// the others are told to fetch and sign again, and both brokers then serve
/// the same verified log.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_brokers_append_one_entry_per_position() {
    let Some(one) = TestApp::spawn_on(Db::Postgres, ConfigLayer::default()).await else {
        return;
    };
    let admin = one.bootstrap_admin().await;
    one.create_desk(&admin, "shinjuku-iea").await;
    let two = one.beside().await;
    let token = admin.token(&one).await;
    let log = two.directory().await;
    let head = log.head();

    let mut tasks = Vec::new();
    for i in 0..8 {
        let entry = sign_after(&log, &admin.key, desk_created(&format!("race-{i}")));
        let app = if i % 2 == 0 { &one } else { &two };
        let (url, http, token) = (app.url("/v1/directory"), app.http.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let res = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"entry": entry.to_base64()}))
                .send()
                .await
                .unwrap();
            (i, res.status(), res.json::<Value>().await.unwrap())
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (i, status, body) = task.await.unwrap();
        if status == StatusCode::CREATED {
            winners.push(i);
        } else {
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
            let code = body["error"].as_str().unwrap();
            assert!(
                code == "stale_head" || code == "directory_conflict",
                "{body}"
            );
        }
    }
    assert_eq!(winners.len(), 1, "one entry per position: {winners:?}");
    let winner = format!("race-{}", winners[0]);

    // Both brokers serve the same log, one entry past the old head, and
    // each appends after the other's entries.
    let (a, b) = (one.directory().await, two.directory().await);
    assert_eq!(a, b);
    assert_eq!(a.head().seq, head.seq + 1);
    assert!(a.state().desk(&winner.parse().unwrap()).is_some());
    let loser = format!("race-{}", (winners[0] + 1) % 8);
    let retry = sign_after(&a, &admin.key, desk_created(&loser));
    let (status, body) = two.post_entry(&token, &retry, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let next = sign_after(
        &two.directory().await,
        &admin.key,
        desk_created("after-both"),
    );
    let (status, body) = one.post_entry(&token, &next, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(two.directory().await.head().seq, head.seq + 3);
    drop(two);
}

/// A row changed in the database: the broker will not serve or extend a log
/// its clients would refuse, so it does not start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_log_stops_the_broker_on_sqlite() {
    use sqlx::{ConnectOptions, Connection};
    let mut app = TestApp::spawn().await;
    app.with_two_desks().await;
    app.stop().await;
    let db = app.data_dir.join("broker.db");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db)
        .connect()
        .await
        .unwrap();
    let (desk_entry,): (Vec<u8>,) =
        sqlx::query_as("SELECT entry FROM directory_entries WHERE seq = 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let (root,): (Vec<u8>,) = sqlx::query_as("SELECT signing_key FROM root")
        .fetch_one(&mut conn)
        .await
        .unwrap();

    // One byte of a desk's name (entry 1 is `covic-intake`'s; its name
    // starts after seq, prev_hash, time, the tag and the desk id); the entry
    // moved to another position; an entry removed from the middle; the root
    // swapped for another key.
    let name_at = 8 + 32 + 8 + 1 + (1 + "covic-intake".len()) + 1;
    assert_eq!(desk_entry[name_at], b'c', "the name's first byte");
    let mut renamed = desk_entry.clone();
    renamed[name_at] = b'b';
    let other_root = SigningKey::generate().unwrap().verifying_key().0.to_vec();
    let tamperings: [(&str, Option<Vec<u8>>, &str); 4] = [
        (
            "UPDATE directory_entries SET entry = ? WHERE seq = 1",
            Some(renamed),
            "does not verify",
        ),
        (
            "UPDATE directory_entries SET seq = 100 WHERE seq = 1",
            None,
            "damaged",
        ),
        (
            "DELETE FROM directory_entries WHERE seq = 2",
            None,
            "does not verify",
        ),
        (
            "UPDATE root SET signing_key = ?",
            Some(other_root),
            "root key",
        ),
    ];
    for (tamper, value, why) in &tamperings {
        let backup = sqlx::query_as::<_, (i64, Vec<u8>, Vec<u8>)>(
            "SELECT seq, hash, entry FROM directory_entries",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(tamper.to_string()));
        if let Some(value) = value {
            query = query.bind(value);
        }
        query.execute(&mut conn).await.unwrap();
        let err = Application::build(&app.config)
            .await
            .expect_err("a tampered log must stop the broker");
        let text = format!("{err:#}");
        assert!(text.contains("refusing to start"), "{text}");
        assert!(text.contains(why), "{why}: {text}");
        // Put everything back for the next case.
        sqlx::query("DELETE FROM directory_entries")
            .execute(&mut conn)
            .await
            .unwrap();
        for (seq, hash, entry) in backup {
            sqlx::query("INSERT INTO directory_entries (seq, hash, entry) VALUES (?, ?, ?)")
                .bind(seq)
                .bind(hash)
                .bind(entry)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        sqlx::query("UPDATE root SET signing_key = ?")
            .bind(&root)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
    // Untouched again, it starts.
    let mut config = app.config.clone();
    config.listen = "127.0.0.1:0".parse().unwrap();
    Application::build(&config)
        .await
        .expect("the restored log verifies");
}

/// The same on PostgreSQL, where several brokers would all refuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_log_stops_the_broker_on_postgres() {
    use sqlx::Connection;
    let Some(mut app) = TestApp::spawn_on(Db::Postgres, ConfigLayer::default()).await else {
        return;
    };
    app.with_two_desks().await;
    app.stop().await;
    let url = app.config.postgres_url().unwrap().to_owned();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    // The enrollment entry, re-signed by a key that is not an
    // administrator's: well-formed, chained, but not authorised.
    let (bytes,): (Vec<u8>,) = sqlx::query_as("SELECT entry FROM directory_entries WHERE seq = 3")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let original = Entry::decode(&bytes).unwrap();
    let forged = Entry::sign(
        original.seq,
        original.prev_hash,
        original.time,
        original.statement.clone(),
        &SigningKey::generate().unwrap(),
        None,
    )
    .unwrap();
    sqlx::query("UPDATE directory_entries SET entry = $1 WHERE seq = 3")
        .bind(forged.encode())
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let mut config = app.config.clone();
    config.listen = "127.0.0.1:0".parse().unwrap();
    let err = Application::build(&config).await.expect_err("refuses");
    let text = format!("{err:#}");
    assert!(text.contains("refusing to start"), "{text}");
    assert!(text.contains("not an administrator"), "{text}");
}

/// `GET /v1/directory` with `header` (name, value) if any; status and body.
async fn read_with(app: &TestApp, header: Option<(&str, &str)>) -> (StatusCode, Value) {
    let mut request = app.http.get(app.url("/v1/directory?since=0"));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let res = request.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// ADR 0019 §3: the log is for active devices and invite holders; everyone
/// else gets one 401, and nothing about which devices or codes exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_for_devices_and_invite_holders() {
    use referral_protocol::paths::INVITE_HEADER;
    let app = TestApp::spawn().await;

    // Before the claim: anyone gets the empty log.
    let (status, body) = read_with(&app, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"entries": [], "head_seq": null}));
    let (status, _) = read_with(&app, Some(("authorization", "Bearer garbage"))).await;
    assert_eq!(status, StatusCode::OK, "nothing to hide before the claim");

    let admin = app.bootstrap_admin().await;
    app.create_desk(&admin, "desk-a").await;
    let admin_token = admin.token(&app).await;
    let clerk = app.enroll(&admin, "desk-a", "desk").await;
    let caseworker = app.enroll(&admin, "desk-a", "caseworker").await;
    let clerk_token = clerk.token(&app).await;
    let caseworker_token = caseworker.token(&app).await;
    let head = app.directory().await.head().seq;

    // Any active device's token, of any role.
    for token in [&admin_token, &clerk_token, &caseworker_token] {
        let (status, body) = read_with(&app, Some(("authorization", &bearer(token)))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["head_seq"], head);
    }

    // A live invite code, in any spelling the code accepts.
    let code = app.invite(&admin_token, "desk-a", Role::Desk).await;
    for spelling in [code.clone(), code.to_lowercase().replace('-', " ")] {
        let (status, body) = read_with(&app, Some((INVITE_HEADER, &spelling))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["head_seq"], head);
    }

    // Nothing, a garbage token, a garbage or unknown code.
    let unknown = "ABCDE-FGHJK-MNPQR-STVWX";
    for header in [
        None,
        Some(("authorization", "Bearer garbage")),
        Some(("authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l")),
        Some((INVITE_HEADER, "not a code")),
        Some((INVITE_HEADER, unknown)),
    ] {
        let (status, body) = read_with(&app, header).await;
        assert_error(status, &body, 401, "directory_private");
    }

    // An expired code: the same answer as one that never existed.
    let store = referral_broker::app::open_store(&app.config).await.unwrap();
    let expired = "0123Z-4567Y-89ABX-CDEFW";
    store
        .create_invite(&referral_store::Invite {
            code_hash: referral_broker::invite::code_hash(expired).unwrap(),
            desk: "desk-a".parse().unwrap(),
            role: Role::Desk,
            created_at: now() - 7200,
            expires_at: now() - 3600,
        })
        .await
        .unwrap();
    let (status, body) = read_with(&app, Some((INVITE_HEADER, expired))).await;
    assert_error(status, &body, 401, "directory_private");

    // A used code: the enrollment request spent it; the pending device
    // cannot read the log with it any more, nor with a token (it has none).
    let pending = TestDevice::new(Some("desk-a".parse().unwrap()));
    let (status, body) = app
        .request_enrollment(&pending, &code, "desk-a", Role::Desk)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = read_with(&app, Some((INVITE_HEADER, &code))).await;
    assert_error(status, &body, 401, "directory_private");
    let (status, _) = common::try_token(&app, &pending).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A revoked device's token, issued while it was active.
    app.revoke(&admin, clerk.id).await;
    let (status, body) = read_with(&app, Some(("authorization", &bearer(&clerk_token)))).await;
    assert_error(status, &body, 401, "directory_private");
    // The others still read it.
    let (status, _) = read_with(&app, Some(("authorization", &bearer(&caseworker_token)))).await;
    assert_eq!(status, StatusCode::OK);
}
