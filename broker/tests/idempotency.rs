//! Idempotency and replay (SPEC §2.7, §5): a packet id is the client's, so
//! a retry of the same bytes gets the same answer and never a duplicate;
//! other bytes, another desk, a purged id or a reused thread are refused and
//! change nothing. An acknowledged send survives a restart. Every test runs
//! on SQLite and on PostgreSQL.

mod common;

use std::sync::Arc;

use common::{Db, TestApp, TestDevice, Upload, assert_error, post_packet};
use futures_util::future::join_all;
use referral_broker::config::ConfigLayer;
use referral_protocol::{PacketId, ThreadId};
use referral_store::Store;
use reqwest::StatusCode;
use serde_json::Value;

struct Setup {
    app: TestApp,
    store: Arc<dyn Store>,
    /// Caseworker at covic-intake.
    cw: TestDevice,
    /// Desk member at shinjuku-iea.
    desk: TestDevice,
    /// Caseworker at a third desk, minato-npo.
    other: TestDevice,
    cw_token: String,
    desk_token: String,
    other_token: String,
}

async fn setup(db: Db, settings: ConfigLayer) -> Option<Setup> {
    let app = TestApp::spawn_on(db, settings).await?;
    let (admin, cw, desk) = app.with_two_desks().await;
    app.create_desk(&admin, "minato-npo").await;
    let other = app.enroll(&admin, "minato-npo", "caseworker").await;
    let (cw_token, desk_token, other_token) = (
        cw.token(&app).await,
        desk.token(&app).await,
        other.token(&app).await,
    );
    let store = referral_broker::app::open_store(&app.config).await.unwrap();
    Some(Setup {
        app,
        store,
        cw,
        desk,
        other,
        cw_token,
        desk_token,
        other_token,
    })
}

impl Setup {
    /// A fresh sealed referral from the caseworker to the desk.
    fn referral(&self) -> (PacketId, ThreadId, Vec<u8>) {
        let (id, thread) = (PacketId::random(), ThreadId::random());
        let bytes = self
            .cw
            .seal_to(&self.desk, id, thread, b"{\"case\":\"idempotency canary\"}");
        (id, thread, bytes)
    }

    async fn send(
        &self,
        token: &str,
        id: PacketId,
        thread: ThreadId,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        post_packet(
            &self.app,
            token,
            &Upload::referral(id, thread, "shinjuku-iea"),
            bytes,
        )
        .await
    }

    async fn inbox(&self) -> Vec<String> {
        common::inbox(&self.app, &self.desk_token)
            .await
            .iter()
            .map(|p| p["packet_id"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn fetch(&self, id: PacketId) -> (StatusCode, Vec<u8>) {
        let res = self
            .app
            .http
            .get(self.app.url(&format!("/v1/packets/{id}")))
            .bearer_auth(&self.desk_token)
            .send()
            .await
            .unwrap();
        (res.status(), res.bytes().await.unwrap().to_vec())
    }

    async fn ack(&self, id: PacketId) {
        let res = self
            .app
            .http
            .post(self.app.url(&format!("/v1/packets/{id}/ack")))
            .bearer_auth(&self.desk_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
    }

    async fn thread_statuses(&self, thread: ThreadId) -> Vec<String> {
        let stored = self.store.thread(&thread).await.unwrap().expect("thread");
        stored
            .events
            .iter()
            .map(|e| e.status.as_str().to_owned())
            .collect()
    }
}

async fn same_id_same_bytes(db: Db) {
    let Some(s) = setup(db, ConfigLayer::default()).await else {
        return;
    };
    let (id, thread, bytes) = s.referral();
    let (status, first) = s.send(&s.cw_token, id, thread, bytes.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    for _ in 0..3 {
        let (status, again) = s.send(&s.cw_token, id, thread, bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_eq!(again, first, "a retry gets the identical answer");
    }
    assert_eq!(s.inbox().await, [id.to_string()]);
    assert_eq!(
        s.thread_statuses(thread).await,
        ["sent"],
        "a retry adds no thread event"
    );
    assert_eq!(s.store.counts().await.unwrap().pending_packets, 1);
    assert_eq!(s.fetch(id).await, (StatusCode::OK, bytes.clone()));

    // The same bytes under other routing headers cannot re-route the packet:
    // the answer is the stored receipt (or a conflict), and no thread opens.
    let elsewhere = ThreadId::random();
    let (status, body) = s.send(&s.cw_token, id, elsewhere, bytes.clone()).await;
    match status {
        StatusCode::CREATED => {
            assert_eq!(body, first, "the stored receipt, naming the stored thread")
        }
        _ => assert_error(status, &body, 409, "packet_id_conflict"),
    }
    assert!(s.store.thread(&elsewhere).await.unwrap().is_none());
    assert_eq!(s.inbox().await, [id.to_string()]);

    // A retry after the desk acknowledged it stores nothing again and does
    // not put it back in the inbox.
    s.ack(id).await;
    let (status, late) = s.send(&s.cw_token, id, thread, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{late}");
    assert_eq!(late["packet_id"], first["packet_id"]);
    assert_eq!(late["bytes"], first["bytes"]);
    assert!(s.inbox().await.is_empty());
    assert_eq!(s.thread_statuses(thread).await, ["sent", "received"]);
}

async fn same_id_other_bytes(db: Db) {
    let Some(s) = setup(db, ConfigLayer::default()).await else {
        return;
    };
    let (id, thread, bytes) = s.referral();
    let (status, body) = s.send(&s.cw_token, id, thread, bytes.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Sealing again gives other ciphertext of the same size.
    let other_bytes =
        s.cw.seal_to(&s.desk, id, thread, b"{\"case\":\"something else\"}");
    assert_eq!(other_bytes.len(), bytes.len());
    assert_ne!(other_bytes, bytes);
    let (status, body) = s.send(&s.cw_token, id, thread, other_bytes.clone()).await;
    assert_error(status, &body, 409, "packet_id_conflict");
    // The same other bytes on another thread: still the same id, still refused.
    let (status, body) = s
        .send(&s.cw_token, id, ThreadId::random(), other_bytes)
        .await;
    assert_error(status, &body, 409, "packet_id_conflict");

    assert_eq!(
        s.fetch(id).await,
        (StatusCode::OK, bytes),
        "the first bytes are kept"
    );
    assert_eq!(s.inbox().await, [id.to_string()]);
    assert_eq!(s.thread_statuses(thread).await, ["sent"]);
    assert_eq!(s.store.counts().await.unwrap().pending_packets, 1);
}

async fn same_id_from_another_desk(db: Db) {
    let Some(s) = setup(db, ConfigLayer::default()).await else {
        return;
    };
    let (id, thread, bytes) = s.referral();
    let (status, body) = s.send(&s.cw_token, id, thread, bytes.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Another desk replaying the identical upload must not get the receipt
    // (that would confirm someone else's packet) …
    let (status, body) = s.send(&s.other_token, id, thread, bytes.clone()).await;
    assert_error(status, &body, 409, "packet_id_conflict");
    // … nor store its own packet under that id, on a new thread.
    let own = s.other.seal_to(&s.desk, id, ThreadId::random(), b"{}");
    let (status, body) = s.send(&s.other_token, id, ThreadId::random(), own).await;
    assert_error(status, &body, 409, "packet_id_conflict");

    assert_eq!(s.fetch(id).await, (StatusCode::OK, bytes));
    assert_eq!(s.inbox().await, [id.to_string()]);
    let meta = s.store.packet(&id).await.unwrap().unwrap();
    assert_eq!(meta.sender_desk.to_string(), "covic-intake");
    assert_eq!(s.store.counts().await.unwrap().pending_packets, 1);
}

async fn purged_id_is_gone(db: Db) {
    let Some(s) = setup(
        db,
        ConfigLayer {
            ack_grace_secs: Some(0),
            ..ConfigLayer::default()
        },
    )
    .await
    else {
        return;
    };
    let (id, thread, bytes) = s.referral();
    let (status, body) = s.send(&s.cw_token, id, thread, bytes.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    s.ack(id).await;
    // acked_at is rounded up to the next hour: two hours on is past it.
    let later = referral_broker::state::now() + 2 * 3600;
    let report =
        referral_broker::retention::purge_once(s.store.as_ref(), &s.app.config.limits, later)
            .await
            .unwrap();
    assert_eq!(report.purged, 1);
    let (status, _) = s.fetch(id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Whatever bytes, thread or desk: the id is spent.
    let (status, body) = s.send(&s.cw_token, id, thread, bytes.clone()).await;
    assert_error(status, &body, 410, "packet_id_purged");
    let other_bytes = s.cw.seal_to(&s.desk, id, thread, b"{\"case\":\"again\"}");
    let (status, body) = s
        .send(&s.cw_token, id, ThreadId::random(), other_bytes)
        .await;
    assert_error(status, &body, 410, "packet_id_purged");
    let (status, body) = s.send(&s.other_token, id, ThreadId::random(), bytes).await;
    assert_error(status, &body, 410, "packet_id_purged");

    assert!(s.inbox().await.is_empty());
    assert!(s.store.packet(&id).await.unwrap().is_none());
    let counts = s.store.counts().await.unwrap();
    assert_eq!(
        (
            counts.pending_packets,
            counts.acknowledged_packets,
            counts.stored_bytes
        ),
        (0, 0, 0)
    );
    assert_eq!(s.thread_statuses(thread).await, ["sent", "received"]);
}

async fn referral_reusing_a_thread(db: Db) {
    let Some(s) = setup(db, ConfigLayer::default()).await else {
        return;
    };
    let (id, thread, bytes) = s.referral();
    let (status, body) = s.send(&s.cw_token, id, thread, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let second = PacketId::random();
    let sealed = s.cw.seal_to(&s.desk, second, thread, b"{}");
    let (status, body) = s.send(&s.cw_token, second, thread, sealed).await;
    assert_error(status, &body, 409, "thread_exists");
    // Another desk cannot open a referral on someone else's thread either.
    let third = PacketId::random();
    let sealed = s.other.seal_to(&s.desk, third, thread, b"{}");
    let (status, body) = s.send(&s.other_token, third, thread, sealed).await;
    assert_error(status, &body, 409, "thread_exists");

    for refused in [second, third] {
        assert!(s.store.packet(&refused).await.unwrap().is_none());
        // Neither id was burnt: each can still be sent on a fresh thread.
    }
    assert_eq!(s.inbox().await, [id.to_string()]);
    let stored = s.store.thread(&thread).await.unwrap().unwrap();
    assert_eq!(stored.sender_desk.to_string(), "covic-intake");
    assert_eq!(s.thread_statuses(thread).await, ["sent"]);
    let fresh = ThreadId::random();
    let sealed = s.cw.seal_to(&s.desk, second, fresh, b"{}");
    let (status, body) = s.send(&s.cw_token, second, fresh, sealed).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a refused id stays usable: {body}"
    );
}

async fn concurrent_identical_uploads(db: Db) {
    let Some(s) = setup(db, ConfigLayer::default()).await else {
        return;
    };
    let (id, thread, bytes) = s.referral();
    let answers = join_all((0..20).map(|_| s.send(&s.cw_token, id, thread, bytes.clone()))).await;
    let first = &answers[0].1;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
        assert_eq!(body, first, "every concurrent retry gets the same answer");
    }
    assert_eq!(s.inbox().await, [id.to_string()]);
    assert_eq!(s.thread_statuses(thread).await, ["sent"]);
    let counts = s.store.counts().await.unwrap();
    assert_eq!(counts.pending_packets, 1);
    assert_eq!(counts.stored_bytes, bytes.len() as u64);
    assert_eq!(s.fetch(id).await, (StatusCode::OK, bytes));
}

async fn restart_keeps_acknowledged_sends(db: Db) {
    let Some(s) = setup(db, ConfigLayer::default()).await else {
        return;
    };
    let mut sent = Vec::new();
    for _ in 0..10 {
        let (id, thread, bytes) = s.referral();
        let (status, body) = s.send(&s.cw_token, id, thread, bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        sent.push((id, bytes));
    }
    for (id, _) in &sent[..5] {
        s.ack(*id).await;
    }
    let Setup {
        app,
        store,
        desk_token,
        ..
    } = s;
    drop(store);
    let app = app.restart().await;

    // The tokens survive too: the signing keys live in the store.
    for (id, bytes) in &sent {
        let res = app
            .http
            .get(app.url(&format!("/v1/packets/{id}")))
            .bearer_auth(&desk_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.bytes().await.unwrap().as_ref(),
            bytes.as_slice(),
            "packet {id} byte-identical"
        );
    }
    let mut pending: Vec<String> = common::inbox(&app, &desk_token)
        .await
        .iter()
        .map(|p| p["packet_id"].as_str().unwrap().to_owned())
        .collect();
    let mut want: Vec<String> = sent[5..].iter().map(|(id, _)| id.to_string()).collect();
    pending.sort();
    want.sort();
    assert_eq!(pending, want);
}

macro_rules! on_both {
    ($body:ident: $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $body(Db::Sqlite).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $body(Db::Postgres).await;
        }
    };
}

on_both!(same_id_same_bytes: same_id_same_bytes_same_answer_on_sqlite, same_id_same_bytes_same_answer_on_postgres);
on_both!(same_id_other_bytes: same_id_other_bytes_conflict_on_sqlite, same_id_other_bytes_conflict_on_postgres);
on_both!(same_id_from_another_desk: same_id_other_desk_conflict_on_sqlite, same_id_other_desk_conflict_on_postgres);
on_both!(purged_id_is_gone: purged_id_is_gone_on_sqlite, purged_id_is_gone_on_postgres);
on_both!(referral_reusing_a_thread: referral_reusing_thread_on_sqlite, referral_reusing_thread_on_postgres);
on_both!(concurrent_identical_uploads: concurrent_identical_uploads_on_sqlite, concurrent_identical_uploads_on_postgres);
on_both!(restart_keeps_acknowledged_sends: restart_keeps_acknowledged_on_sqlite, restart_keeps_acknowledged_on_postgres);
