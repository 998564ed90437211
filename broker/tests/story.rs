//! The broker's story, end to end over HTTP: send → inbox → fetch → ack →
//! purge, on a fresh SQLite file and on a fresh PostgreSQL database.

mod common;

use common::{Db, TestApp, Upload, post_packet};
use referral_broker::config::ConfigLayer;
use referral_protocol::{DiscardAttachments, KnownSenders, PacketId, ThreadId, open};
use reqwest::StatusCode;
use serde_json::Value;

async fn story(db: Db) {
    // A zero grace period, so that purge deletes what was acknowledged.
    let settings = ConfigLayer {
        ack_grace_secs: Some(0),
        ..ConfigLayer::default()
    };
    let Some(app) = TestApp::spawn_on(db, settings).await else {
        return;
    };
    let (_admin, caseworker, desk) = app.with_two_desks().await;
    let cw_token = caseworker.token(&app).await;
    let desk_token = desk.token(&app).await;

    // Send.
    let (id, thread) = (PacketId::random(), ThreadId::random());
    let content =
        br#"{"schema":"referral.v1","case":{"summary":"Nguyen Thi Canary-7f3a, 080-1234-5678"}}"#;
    let packet = caseworker.seal_to(&desk, id, thread, content);
    let (status, receipt) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(id, thread, "shinjuku-iea"),
        packet.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    assert_eq!(receipt["packet_id"], id.to_string());
    assert_eq!(receipt["bytes"], packet.len() as u64);
    assert_eq!(receipt["delivery"], "pending");
    assert!(
        receipt["received_hour"]
            .as_str()
            .unwrap()
            .ends_with(":00:00Z")
    );

    // The expiry is kept no finer than the receipt time: counted from the
    // hour, so that with the TTL known it gives away nothing more.
    let meta = app_store(&app).await.packet(&id).await.unwrap().unwrap();
    assert_eq!(meta.received_hour % 3600, 0);
    assert_eq!(
        meta.expires_at,
        meta.received_hour + app.config.limits.ttl_secs
    );

    // Inbox.
    let entries = common::inbox(&app, &desk_token).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["packet_id"], id.to_string());
    assert_eq!(entries[0]["from_desk"], "covic-intake");
    assert_eq!(entries[0]["kind"], "referral");

    // Fetch: the exact bytes, which the desk member opens and verifies.
    let res = app
        .http
        .get(app.url(&format!("/v1/packets/{id}")))
        .bearer_auth(&desk_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let fetched = res.bytes().await.unwrap().to_vec();
    assert_eq!(fetched, packet);
    let mut senders = KnownSenders::new();
    senders.add(
        caseworker.id,
        "covic-intake".parse().unwrap(),
        caseworker.key.verifying_key(),
    );
    let opened = open(
        fetched.as_slice(),
        std::slice::from_ref(&desk.identity),
        &senders,
        &mut DiscardAttachments,
    )
    .expect("the desk opens what the broker returned");
    assert_eq!(opened.content.as_slice(), content);

    // Ack: gone from the inbox; the thread is received.
    let res = app
        .http
        .post(app.url(&format!("/v1/packets/{id}/ack")))
        .bearer_auth(&desk_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(common::inbox(&app, &desk_token).await.is_empty());
    let thread_view: Value = app
        .http
        .get(app.url(&format!("/v1/threads/{thread}")))
        .bearer_auth(&cw_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(thread_view["status"], "received");
    let statuses: Vec<&str> = thread_view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["sent", "received"]);

    // The broker holds ciphertext only: no word of the referral, in any
    // common encoding, is anywhere in its data directory (database, WAL,
    // spool, bootstrap file). PostgreSQL's files are the server's; the
    // hardening issue scans those.
    if db == Db::Sqlite {
        assert_no_plaintext(
            &app.data_dir,
            &["Canary-7f3a", "080-1234-5678", "Nguyen Thi"],
        );
    }

    // Purge: the ciphertext is gone, and the id can never be reused. The
    // store keeps acknowledgement times rounded up to the hour, so "after
    // the grace period" is at most two hours from now.
    let report = referral_broker::retention::purge_once(
        app_store(&app).await.as_ref(),
        &app.config.limits,
        referral_broker::state::now() + 2 * 3600,
    )
    .await
    .unwrap();
    assert_eq!(report.purged, 1);
    let res = app
        .http
        .get(app.url(&format!("/v1/packets/{id}")))
        .bearer_auth(&desk_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, body) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(id, thread, "shinjuku-iea"),
        packet,
    )
    .await;
    common::assert_error(status, &body, 410, "packet_id_purged");
}

/// Scans every file under `dir` for each canary, raw and in base64 (at all
/// three alignments), hex and UTF-16LE.
fn assert_no_plaintext(dir: &std::path::Path, canaries: &[&str]) {
    use base64::Engine;
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(
        files.iter().any(|f| f.ends_with("broker.db")),
        "scan must cover broker.db"
    );
    for canary in canaries {
        let mut forms: Vec<Vec<u8>> = vec![
            canary.as_bytes().to_vec(),
            hex::encode(canary).into_bytes(),
            canary
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes())
                .collect(),
        ];
        for shift in 0..3 {
            // base64 of the canary preceded by 0-2 bytes, minus the edges
            // that depend on the neighbours.
            let padded: Vec<u8> = std::iter::repeat_n(b' ', shift)
                .chain(canary.bytes())
                .collect();
            let b64 = base64::engine::general_purpose::STANDARD.encode(&padded);
            let stable = &b64[4..b64.len().saturating_sub(4)];
            forms.push(stable.as_bytes().to_vec());
        }
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            for form in &forms {
                assert!(
                    !bytes.windows(form.len()).any(|w| w == form.as_slice()),
                    "{} contains a form of {canary:?}",
                    file.display()
                );
            }
        }
    }
}

/// A second handle on the same database (what `referral-broker purge` does).
async fn app_store(app: &TestApp) -> std::sync::Arc<dyn referral_store::Store> {
    referral_broker::app::open_store(&app.config).await.unwrap()
}

/// The scan finds what it looks for (a negative control), in each form.
#[test]
fn the_plaintext_scan_catches_every_form() {
    use base64::Engine;
    let canary = "Canary-7f3a";
    let forms = [
        format!("xx{canary}yy").into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(format!("a{canary}bc"))
            .into_bytes(),
        hex::encode(canary).into_bytes(),
        canary
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect(),
    ];
    for form in forms {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("broker.db"), &form).unwrap();
        let caught = std::panic::catch_unwind(|| assert_no_plaintext(dir.path(), &[canary]));
        assert!(
            caught.is_err(),
            "missed {:?}",
            String::from_utf8_lossy(&form)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_on_sqlite() {
    story(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_on_postgres() {
    story(Db::Postgres).await;
}
