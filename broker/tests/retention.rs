//! Thread retention through the real broker (ADR 0019 §1): a case completed
//! and drained, then purged past the grace period and the retention period,
//! is gone; a reply on it is refused like any unknown thread and changes
//! nothing; `admin stats` says the same before and after. On a fresh SQLite
//! file and on a fresh PostgreSQL database.

mod common;

use common::{Db, TestApp, TestDevice, Upload, get_json, post_packet};
use referral_broker::config::ConfigLayer;
use referral_protocol::{PacketId, ThreadId};
use reqwest::StatusCode;
use serde_json::Value;

/// Sends a reply with `status` on `thread` from `from` to `to`; the JSON
/// answer.
async fn reply(
    app: &TestApp,
    token: &str,
    (from, to): (&TestDevice, &TestDevice),
    thread: ThreadId,
    status: Option<&str>,
) -> (StatusCode, Value) {
    let id = PacketId::random();
    let up = Upload {
        id,
        thread,
        to: to.desk.as_ref().unwrap().as_str(),
        kind: "reply",
        status,
        forwards: None,
    };
    post_packet(app, token, &up, from.seal_to(to, id, thread, b"{}")).await
}

async fn ack_all(app: &TestApp, token: &str) {
    for entry in common::inbox(app, token).await {
        let id = entry["packet_id"].as_str().unwrap();
        let res = app
            .http
            .post(app.url(&format!("/v1/packets/{id}/ack")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

async fn retention(db: Db) {
    // No grace and no retention: the purge below may take everything that
    // is closed and read.
    let settings = ConfigLayer {
        ack_grace_secs: Some(0),
        thread_retention_days: Some(0),
        ..ConfigLayer::default()
    };
    let Some(app) = TestApp::spawn_on(db, settings).await else {
        return;
    };
    let (admin, caseworker, desk) = app.with_two_desks().await;
    let admin_token = admin.token(&app).await;
    let cw_token = caseworker.token(&app).await;
    let desk_token = desk.token(&app).await;

    // A case: sent, read, accepted, completed, every packet read.
    let (id, thread) = (PacketId::random(), ThreadId::random());
    let packet = caseworker.seal_to(&desk, id, thread, b"{}");
    let (status, body) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(id, thread, "shinjuku-iea"),
        packet,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    ack_all(&app, &desk_token).await;
    for step in ["accepted", "completed"] {
        let (status, body) =
            reply(&app, &desk_token, (&desk, &caseworker), thread, Some(step)).await;
        assert_eq!(status, StatusCode::CREATED, "{step}: {body}");
    }
    ack_all(&app, &cw_token).await;
    // A second case, still open: it stays.
    let (open_id, open_thread) = (PacketId::random(), ThreadId::random());
    let (status, _) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(open_id, open_thread, "shinjuku-iea"),
        caseworker.seal_to(&desk, open_id, open_thread, b"{}"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, stats_before) = get_json(&app, &admin_token, "/v1/admin/stats").await;
    assert_eq!(status, StatusCode::OK, "{stats_before}");
    let path = format!("/v1/threads/{thread}");
    assert_eq!(get_json(&app, &cw_token, &path).await.0, StatusCode::OK);

    // The purge, as `referral-broker purge` runs it, two hours from now:
    // acknowledgement times are rounded up to the hour.
    let store = referral_broker::app::open_store(&app.config).await.unwrap();
    let report = referral_broker::retention::purge_once(
        store.as_ref(),
        &app.config.limits,
        referral_broker::state::now() + 2 * 3600,
    )
    .await
    .unwrap();
    assert_eq!(report.threads_deleted, 1, "{report:?}");

    let (status, body) = get_json(&app, &cw_token, &path).await;
    common::assert_error(status, &body, 404, "unknown_thread");
    let (status, stats_after) = get_json(&app, &admin_token, "/v1/admin/stats").await;
    assert_eq!(status, StatusCode::OK);
    // The thread rows; the packet counts rightly drop, as the purge
    // deleted the packets read.
    assert_eq!(
        stats_after["rows"], stats_before["rows"],
        "admin stats keep the deleted case"
    );
    assert_eq!(stats_after["packets_acknowledged"], 0);
    let open_path = format!("/v1/threads/{open_thread}");
    assert_eq!(
        get_json(&app, &cw_token, &open_path).await.0,
        StatusCode::OK
    );

    // A reply on the deleted case: refused as an unknown thread, and the
    // broker is as it was (no packet for the desk, no thread, same stats).
    let (status, body) = reply(&app, &cw_token, (&caseworker, &desk), thread, None).await;
    common::assert_error(status, &body, 404, "unknown_thread");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("retention period"), "{message}");
    let (status, body) = reply(
        &app,
        &desk_token,
        (&desk, &caseworker),
        thread,
        Some("in_progress"),
    )
    .await;
    common::assert_error(status, &body, 404, "unknown_thread");
    let inbox = common::inbox(&app, &desk_token).await;
    assert_eq!(inbox.len(), 1, "only the open case's referral");
    assert_eq!(inbox[0]["packet_id"], open_id.to_string());
    assert!(common::inbox(&app, &cw_token).await.is_empty());
    let (status, body) = get_json(&app, &cw_token, &path).await;
    common::assert_error(status, &body, 404, "unknown_thread");
    let (_, stats_last) = get_json(&app, &admin_token, "/v1/admin/stats").await;
    assert_eq!(stats_last, stats_after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_thread_is_unknown_on_sqlite() {
    retention(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_thread_is_unknown_on_postgres() {
    retention(Db::Postgres).await;
}
