//! The cap on pending bytes per sending desk (issue 14, item 6), on both
//! backends: a desk's unread packets may hold at most
//! `max_pending_bytes_per_desk` bytes; a send past it is a 409 JSON error
//! that names the cap and stores nothing; a retry of a stored packet is
//! still answered; an acknowledgement makes room again; concurrent sends
//! never take a desk over the cap.

mod common;

use common::{Db, TestApp, TestDevice, Upload, assert_error, inbox, post_packet};
use referral_broker::config::ConfigLayer;
use referral_protocol::{PacketId, ThreadId};
use reqwest::StatusCode;

const MAX_PACKET: u64 = 8192;
const CAP: u64 = 4 * MAX_PACKET;

struct Setup {
    app: TestApp,
    cw: TestDevice,
    desk: TestDevice,
    cw_token: String,
    desk_token: String,
}

async fn setup(db: Db) -> Setup {
    let settings = ConfigLayer {
        max_packet_bytes: Some(MAX_PACKET),
        max_pending_bytes_per_desk: Some(CAP),
        ..ConfigLayer::default()
    };
    let app = TestApp::spawn_on(db, settings)
        .await
        .expect("the database is reachable");
    let (_admin, cw, desk) = app.with_two_desks().await;
    let (cw_token, desk_token) = (cw.token(&app).await, desk.token(&app).await);
    Setup {
        app,
        cw,
        desk,
        cw_token,
        desk_token,
    }
}

impl Setup {
    fn sealed(&self) -> (Upload<'static>, Vec<u8>) {
        let (id, thread) = (PacketId::random(), ThreadId::random());
        let bytes = self
            .cw
            .seal_to(&self.desk, id, thread, b"{\"case\":\"cap\"}");
        (Upload::referral(id, thread, "shinjuku-iea"), bytes)
    }

    async fn send(&self, up: &Upload<'_>, bytes: Vec<u8>) -> (StatusCode, serde_json::Value) {
        post_packet(&self.app, &self.cw_token, up, bytes).await
    }
}

async fn a_desk_is_capped(db: Db) {
    let s = setup(db).await;
    let (first_up, first) = s.sealed();
    let size = first.len() as u64;
    assert!(size <= MAX_PACKET && CAP.is_multiple_of(size), "{size}");
    let fits = usize::try_from(CAP / size).unwrap();
    let (status, body) = s.send(&first_up, first.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for _ in 1..fits {
        let (up, bytes) = s.sealed();
        let (status, body) = s.send(&up, bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    // Full: the next send is refused, names the cap, and stores nothing.
    let (over_up, over) = s.sealed();
    let (status, body) = s.send(&over_up, over.clone()).await;
    assert_error(status, &body, 409, "pending_bytes_cap");
    assert!(
        body["message"].as_str().unwrap().contains(&CAP.to_string()),
        "{body}"
    );
    assert_eq!(inbox(&s.app, &s.desk_token).await.len(), fits);
    let res = s
        .app
        .http
        .get(s.app.url(&format!("/v1/packets/{}", over_up.id)))
        .bearer_auth(&s.desk_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A retry of a stored packet is still answered as a retry.
    let (status, body) = s.send(&first_up, first).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The recipient reads one: there is room for one more.
    let res = s
        .app
        .http
        .post(s.app.url(&format!("/v1/packets/{}/ack", first_up.id)))
        .bearer_auth(&s.desk_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = s.send(&over_up, over).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (up, bytes) = s.sealed();
    let (status, body) = s.send(&up, bytes).await;
    assert_error(status, &body, 409, "pending_bytes_cap");
}

/// Many sends at once from one desk: however they interleave, the desk's
/// pending bytes never exceed the cap (some may be refused early, never
/// late).
async fn concurrent_sends_stay_under_the_cap(db: Db) {
    let s = setup(db).await;
    let uploads: Vec<_> = (0..12).map(|_| s.sealed()).collect();
    let size = uploads[0].1.len() as u64;
    let answers =
        futures_util::future::join_all(uploads.iter().map(|(up, bytes)| s.send(up, bytes.clone())))
            .await;
    let mut stored = 0u64;
    for (status, body) in &answers {
        if *status == StatusCode::CREATED {
            stored += size;
        } else {
            assert_error(*status, body, 409, "pending_bytes_cap");
        }
    }
    assert!(stored > 0 && stored <= CAP, "{stored} bytes stored");
    let listed = inbox(&s.app, &s.desk_token).await.len() as u64;
    assert_eq!(listed * size, stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_is_capped_on_sqlite() {
    a_desk_is_capped(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_is_capped_on_postgres() {
    a_desk_is_capped(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_stay_under_the_cap_on_sqlite() {
    concurrent_sends_stay_under_the_cap(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_stay_under_the_cap_on_postgres() {
    concurrent_sends_stay_under_the_cap(Db::Postgres).await;
}
