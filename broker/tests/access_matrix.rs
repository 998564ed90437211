//! The cross-desk access matrix (SPEC §11): desk A sends a referral to desk
//! B; desk C (a bystander with its own device), an administrator without a
//! desk, a request without a token and one with a garbage token try every
//! packet route on it. Each gets a 4xx JSON error, and afterwards nothing
//! has changed: B's inbox still holds the packet, still pending; the thread
//! is still `sent`; no packet of C's appeared. Runs on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;

use common::{Db, TestApp, TestDevice, Upload, assert_error, post_packet};
use referral_broker::config::ConfigLayer;
use referral_protocol::{PacketId, ThreadId};
use referral_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Who is calling.
#[derive(Debug, Clone, Copy)]
enum Caller<'a> {
    /// `Authorization: Bearer TOKEN`.
    Bearer(&'a str),
    /// No `Authorization` header.
    Anonymous,
    /// This exact `Authorization` header.
    Header(&'a str),
}

impl Caller<'_> {
    fn apply(self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Caller::Bearer(t) => req.bearer_auth(t),
            Caller::Anonymous => req,
            Caller::Header(h) => req.header("authorization", h),
        }
    }
}

async fn call(
    app: &TestApp,
    caller: Caller<'_>,
    method: Method,
    path: &str,
) -> (StatusCode, Value) {
    let res = caller
        .apply(app.http.request(method, app.url(path)))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Uploads a packet as `caller` (which may carry no token at all).
async fn upload(
    app: &TestApp,
    caller: Caller<'_>,
    up: &Upload<'_>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .post(app.url("/v1/packets"))
        .header(referral_protocol::api::HEADER_PACKET_ID, up.id.to_string())
        .header(
            referral_protocol::api::HEADER_THREAD_ID,
            up.thread.to_string(),
        )
        .header(referral_protocol::api::HEADER_RECIPIENT_DESK, up.to)
        .header(referral_protocol::api::HEADER_KIND, up.kind)
        .header("content-type", "application/octet-stream")
        .body(body);
    if let Some(s) = up.status {
        req = req.header(referral_protocol::api::HEADER_THREAD_STATUS, s);
    }
    let res = caller.apply(req).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The world of the matrix.
struct World {
    app: TestApp,
    store: Arc<dyn Store>,
    a: TestDevice,
    b: TestDevice,
    c: TestDevice,
    a_token: String,
    b_token: String,
    c_token: String,
    admin_token: String,
    /// A → B: the packet under attack.
    packet: PacketId,
    thread: ThreadId,
    bytes: Vec<u8>,
    /// A → C: so C's inbox is not empty by accident.
    c_packet: PacketId,
}

async fn world(db: Db) -> Option<World> {
    let app = TestApp::spawn_on(db, ConfigLayer::default()).await?;
    let admin = app.bootstrap_admin().await;
    for desk in ["desk-a", "desk-b", "desk-c"] {
        app.create_desk(&admin, desk).await;
    }
    let a = app.enroll(&admin, "desk-a", "caseworker").await;
    let b = app.enroll(&admin, "desk-b", "desk").await;
    let c = app.enroll(&admin, "desk-c", "desk").await;
    let (a_token, b_token, c_token) = (
        a.token(&app).await,
        b.token(&app).await,
        c.token(&app).await,
    );
    let admin_token = admin.token(&app).await;

    let (packet, thread) = (PacketId::random(), ThreadId::random());
    let bytes = a.seal_to(&b, packet, thread, b"{\"case\":\"matrix canary\"}");
    let (status, body) = post_packet(
        &app,
        &a_token,
        &Upload::referral(packet, thread, "desk-b"),
        bytes.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (c_packet, c_thread) = (PacketId::random(), ThreadId::random());
    let to_c = a.seal_to(&c, c_packet, c_thread, b"{\"case\":\"for desk c\"}");
    let (status, body) = post_packet(
        &app,
        &a_token,
        &Upload::referral(c_packet, c_thread, "desk-c"),
        to_c,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let store = referral_broker::app::open_store(&app.config).await.unwrap();
    Some(World {
        app,
        store,
        a,
        b,
        c,
        a_token,
        b_token,
        c_token,
        admin_token,
        packet,
        thread,
        bytes,
        c_packet,
    })
}

impl World {
    fn packet_path(&self) -> String {
        format!("/v1/packets/{}", self.packet)
    }

    fn ack_path(&self) -> String {
        format!("/v1/packets/{}/ack", self.packet)
    }

    fn thread_path(&self) -> String {
        format!("/v1/threads/{}", self.thread)
    }

    async fn inbox_ids(&self, token: &str) -> Vec<(String, String)> {
        let (status, inbox) =
            call(&self.app, Caller::Bearer(token), Method::GET, "/v1/inbox").await;
        assert_eq!(status, StatusCode::OK, "{inbox}");
        inbox["packets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["packet_id"].as_str().unwrap().to_owned(),
                    p["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Nothing changed: B's inbox holds the packet, pending; the thread is
    /// `sent` with one event; the packet's delivery is pending in the store;
    /// `extra`, if any, was never stored.
    async fn assert_unchanged(&self, extra: &[PacketId]) {
        assert_eq!(
            self.inbox_ids(&self.b_token).await,
            [(self.packet.to_string(), "pending".to_owned())]
        );
        assert_eq!(
            self.inbox_ids(&self.c_token).await,
            [(self.c_packet.to_string(), "pending".to_owned())]
        );
        let (status, thread) = call(
            &self.app,
            Caller::Bearer(&self.a_token),
            Method::GET,
            &self.thread_path(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{thread}");
        assert_eq!(thread["status"], "sent", "{thread}");
        assert_eq!(thread["events"].as_array().unwrap().len(), 1, "{thread}");
        let meta = self
            .store
            .packet(&self.packet)
            .await
            .unwrap()
            .expect("the packet is stored");
        assert_eq!(meta.delivery, referral_store::DeliveryState::Pending);
        let stored_thread = self.store.thread(&self.thread).await.unwrap().unwrap();
        assert_eq!(stored_thread.status, referral_store::ThreadStatus::Sent);
        for id in extra {
            assert!(
                self.store.packet(id).await.unwrap().is_none(),
                "packet {id} must not be stored"
            );
        }
        let counts = self.store.counts().await.unwrap();
        assert_eq!(counts.pending_packets, 2, "{counts:?}");
        assert_eq!(counts.acknowledged_packets, 0, "{counts:?}");
    }
}

/// Rewraps A→B's packet with `body`, naming the stored ciphertext's hash.
async fn rewrap(w: &World, caller: Caller<'_>, body: Vec<u8>) -> (StatusCode, Value) {
    let req = w
        .app
        .http
        .post(w.app.url(&format!("{}/rewrap", w.packet_path())))
        .header(
            referral_protocol::api::HEADER_REPLACES,
            hex::encode(referral_protocol::envelope::sha256(&w.bytes)),
        )
        .header("content-type", "application/octet-stream")
        .body(body);
    let res = caller.apply(req).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Every packet route, as `caller`; each answer must be `want(route)`.
async fn attempt_all(
    w: &World,
    caller: Caller<'_>,
    label: &str,
    want: impl Fn(&str) -> (u16, &'static str),
) {
    let app = &w.app;
    for (route, method, path) in [
        ("fetch", Method::GET, w.packet_path()),
        ("ack", Method::POST, w.ack_path()),
        ("thread", Method::GET, w.thread_path()),
    ] {
        let (status, body) = call(app, caller, method, &path).await;
        let (code, error) = want(route);
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (code, Some(error)),
            "{label}: {route}"
        );
        assert_error(status, &body, code, error);
    }
    // A rewrap that would be a valid no-op for B: the stored bytes, naming
    // their own hash.
    let (status, body) = rewrap(w, caller, w.bytes.clone()).await;
    let (code, error) = want("rewrap");
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (code, Some(error)),
        "{label}: rewrap"
    );
    assert_error(status, &body, code, error);

    // A reply on A→B's thread, addressed to either party.
    let mut refused = Vec::new();
    for to in ["desk-b", "desk-a"] {
        let id = PacketId::random();
        let sealed =
            w.c.seal_to(&w.b, id, w.thread, b"{\"status\":\"accepted\"}");
        let up = Upload {
            id,
            thread: w.thread,
            to,
            kind: "reply",
            status: Some("accepted"),
            forwards: None,
        };
        let (status, body) = upload(app, caller, &up, sealed).await;
        let (code, error) = want("reply");
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (code, Some(error)),
            "{label}: reply to {to}"
        );
        assert_error(status, &body, code, error);
        refused.push(id);
    }
    w.assert_unchanged(&refused).await;
}

async fn matrix(db: Db) {
    let Some(w) = world(db).await else { return };
    let app = &w.app;

    // Desk C's own device: to C, A→B's packet and thread do not exist.
    attempt_all(
        &w,
        Caller::Bearer(&w.c_token),
        "desk C",
        |route| match route {
            "thread" | "reply" => (404, "unknown_thread"),
            _ => (404, "unknown_packet"),
        },
    )
    .await;
    // C's inbox has C's packet and nothing of B's.
    let c_inbox = w.inbox_ids(&w.c_token).await;
    assert!(c_inbox.iter().all(|(id, _)| *id != w.packet.to_string()));

    // The answer to C is the answer for an id that does not exist at all:
    // no oracle for other desks' traffic.
    let (s1, b1) = call(
        app,
        Caller::Bearer(&w.c_token),
        Method::GET,
        &w.packet_path(),
    )
    .await;
    let (s2, b2) = call(
        app,
        Caller::Bearer(&w.c_token),
        Method::GET,
        &format!("/v1/packets/{}", PacketId::random()),
    )
    .await;
    assert_eq!((s1, &b1), (s2, &b2));
    let (s1, b1) = call(
        app,
        Caller::Bearer(&w.c_token),
        Method::GET,
        &w.thread_path(),
    )
    .await;
    let (s2, b2) = call(
        app,
        Caller::Bearer(&w.c_token),
        Method::GET,
        &format!("/v1/threads/{}", ThreadId::random()),
    )
    .await;
    assert_eq!((s1, &b1), (s2, &b2));

    // An administrator belongs to no desk: 403 on every desk route.
    attempt_all(&w, Caller::Bearer(&w.admin_token), "admin", |_| {
        (403, "no_desk")
    })
    .await;
    let (status, body) = call(
        app,
        Caller::Bearer(&w.admin_token),
        Method::GET,
        "/v1/inbox",
    )
    .await;
    assert_error(status, &body, 403, "no_desk");

    // No token, a garbage token, and Authorization headers that are not bearer tokens.
    let garbage = "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    for (label, caller) in [
        ("no token", Caller::Anonymous),
        ("garbage token", Caller::Bearer("not-a-jwt")),
        ("garbage jwt", Caller::Header(garbage)),
        ("empty bearer", Caller::Header("Bearer ")),
        ("basic auth", Caller::Header("Basic dXNlcjpwYXNz")),
    ] {
        attempt_all(&w, caller, label, |_| (401, "unauthorized")).await;
        let (status, body) = call(app, caller, Method::GET, "/v1/inbox").await;
        assert_error(status, &body, 401, "unauthorized");
    }

    // The sender desk A may fetch its own packet and see its thread …
    let res = app
        .http
        .get(app.url(&w.packet_path()))
        .bearer_auth(&w.a_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), w.bytes.as_slice());
    let (status, thread) = call(
        app,
        Caller::Bearer(&w.a_token),
        Method::GET,
        &w.thread_path(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(thread["sender_desk"], "desk-a");
    assert_eq!(thread["recipient_desk"], "desk-b");
    // … but not acknowledge it for B (that would hide it from B's inbox) …
    let (status, body) = call(app, Caller::Bearer(&w.a_token), Method::POST, &w.ack_path()).await;
    assert_error(status, &body, 404, "unknown_packet");
    // … nor rewrap it (only the addressed desk holds keys to rewrap from) …
    let (status, body) = rewrap(&w, Caller::Bearer(&w.a_token), w.bytes.clone()).await;
    assert_error(status, &body, 403, "not_recipient");
    // … nor make the thread's recipient-side moves itself.
    let id = PacketId::random();
    let sealed = w.a.seal_to(&w.b, id, w.thread, b"{}");
    let up = Upload {
        id,
        thread: w.thread,
        to: "desk-b",
        kind: "reply",
        status: Some("accepted"),
        forwards: None,
    };
    let (status, body) = post_packet(app, &w.a_token, &up, sealed).await;
    assert_error(status, &body, 409, "illegal_transition");
    // A's inbox does not show what A sent.
    assert!(w.inbox_ids(&w.a_token).await.is_empty());
    w.assert_unchanged(&[id]).await;

    // Positive control: B, the addressed desk, can do all of it.
    let res = app
        .http
        .get(app.url(&w.packet_path()))
        .bearer_auth(&w.b_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), w.bytes.as_slice());
    let (status, body) = call(app, Caller::Bearer(&w.b_token), Method::POST, &w.ack_path()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, thread) = call(
        app,
        Caller::Bearer(&w.b_token),
        Method::GET,
        &w.thread_path(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(thread["status"], "received");
    assert!(w.inbox_ids(&w.b_token).await.is_empty());

    // And C still cannot ack it now that it is acknowledged (nor see it).
    let (status, body) = call(app, Caller::Bearer(&w.c_token), Method::POST, &w.ack_path()).await;
    assert_error(status, &body, 404, "unknown_packet");
    let (status, body) = call(
        app,
        Caller::Bearer(&w.c_token),
        Method::GET,
        &w.packet_path(),
    )
    .await;
    assert_error(status, &body, 404, "unknown_packet");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_desk_matrix_on_sqlite() {
    matrix(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_desk_matrix_on_postgres() {
    matrix(Db::Postgres).await;
}

/// The administrators' routes need an administrator's token; the directory
/// is readable by anyone (a device verifies it before it is enrolled). A
/// refusal changes nothing: no key is staged, no invite or request made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_need_an_administrator() {
    let Some(w) = world(Db::Sqlite).await else {
        return;
    };
    let keys_before = w.store.token_keys().await.unwrap().len();
    let log_before = w.app.directory().await.head();
    for (method, path) in [
        (Method::GET, "/v1/admin/requests"),
        (
            Method::GET,
            "/v1/admin/requests/6f0d1d52-8f2e-4b7e-9a51-0c2a7c3e9b10",
        ),
        (Method::GET, "/v1/admin/stats"),
        (Method::POST, "/v1/admin/token-keys"),
    ] {
        let (status, body) = call(&w.app, Caller::Anonymous, method.clone(), path).await;
        assert_error(status, &body, 401, "unauthorized");
        for token in [&w.a_token, &w.b_token, &w.c_token] {
            let (status, body) = call(&w.app, Caller::Bearer(token), method.clone(), path).await;
            assert_error(status, &body, 403, "admin_only");
        }
    }
    for (path, json) in [
        (
            "/v1/admin/invites",
            serde_json::json!({"desk": "desk-c", "role": "admin"}),
        ),
        (
            "/v1/directory",
            serde_json::json!({"entry": "AAAA", "request_id": null}),
        ),
    ] {
        for caller in [Caller::Anonymous, Caller::Bearer(&w.c_token)] {
            let res = caller
                .apply(w.app.http.post(w.app.url(path)).json(&json))
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            let want = match caller {
                Caller::Anonymous => (401, "unauthorized"),
                _ => (403, "admin_only"),
            };
            assert_error(status, &body, want.0, want.1);
        }
    }
    // The directory is for devices of every role, and nobody else (ADR 0019
    // §3).
    let (status, body) = call(&w.app, Caller::Anonymous, Method::GET, "/v1/directory").await;
    assert_error(status, &body, 401, "directory_private");
    for token in [&w.a_token, &w.b_token, &w.c_token] {
        let (status, body) =
            call(&w.app, Caller::Bearer(token), Method::GET, "/v1/directory").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(w.store.token_keys().await.unwrap().len(), keys_before);
    assert_eq!(w.app.directory().await.head(), log_before);
    assert!(w.store.pending_requests().await.unwrap().is_empty());
    w.assert_unchanged(&[]).await;
}

/// `GET /v1/threads?changed_since=` (ADR 0014) as `caller`.
async fn changes(w: &World, caller: Caller<'_>, query: &str) -> (StatusCode, Value) {
    call(&w.app, caller, Method::GET, &format!("/v1/threads{query}")).await
}

fn listed(page: &Value) -> Vec<String> {
    page["threads"]
        .as_array()
        .unwrap_or_else(|| panic!("a page of threads: {page}"))
        .iter()
        .map(|t| t["thread_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The changes route shows each desk its own threads only, each exactly as
/// the thread route does; a bad cursor or limit is a 400 JSON error, and no
/// refusal changes anything.
async fn changes_matrix(db: Db) {
    let Some(w) = world(db).await else { return };
    let thread = w.thread.to_string();

    // A sent both referrals; B sees only A↔B's; C only A↔C's.
    let (status, a_page) = changes(&w, Caller::Bearer(&w.a_token), "").await;
    assert_eq!(status, StatusCode::OK, "{a_page}");
    let a_threads = listed(&a_page);
    assert_eq!(a_threads.len(), 2, "{a_page}");
    assert_eq!(a_threads[0], thread, "oldest change first");
    assert_eq!(a_page["more"], false);
    let (status, b_page) = changes(&w, Caller::Bearer(&w.b_token), "").await;
    assert_eq!(status, StatusCode::OK, "{b_page}");
    assert_eq!(listed(&b_page), vec![thread.clone()]);
    let (status, c_page) = changes(&w, Caller::Bearer(&w.c_token), "").await;
    assert_eq!(status, StatusCode::OK, "{c_page}");
    let c_threads = listed(&c_page);
    assert_eq!(c_threads, [a_threads[1].clone()]);
    assert!(!c_threads.contains(&thread), "C sees nothing of A↔B");
    // From any cursor, too.
    let (_, c_again) = changes(&w, Caller::Bearer(&w.c_token), "?changed_since=0").await;
    assert!(!listed(&c_again).contains(&thread));

    // Each listed thread is what the thread route gives that desk: nothing
    // more (no device, packet, size or exact time).
    let (_, single) = call(
        &w.app,
        Caller::Bearer(&w.b_token),
        Method::GET,
        &w.thread_path(),
    )
    .await;
    assert_eq!(b_page["threads"][0], single);
    let mut keys: Vec<&str> = b_page["threads"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "events",
            "recipient_desk",
            "sender_desk",
            "status",
            "thread_id"
        ]
    );
    let mut page_keys: Vec<&str> = b_page
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    page_keys.sort_unstable();
    assert_eq!(page_keys, ["more", "next_cursor", "threads"]);

    // Bounded pages that continue where the last one stopped; the cursor
    // is opaque text.
    let (status, first) = changes(&w, Caller::Bearer(&w.a_token), "?limit=1").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (listed(&first), &first["more"]),
        (vec![thread.clone()], &Value::Bool(true))
    );
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) = changes(
        &w,
        Caller::Bearer(&w.a_token),
        &format!("?limit=1&changed_since={cursor}"),
    )
    .await;
    assert_eq!(listed(&second), [a_threads[1].clone()]);
    assert_eq!(second["more"], false);
    let head = a_page["next_cursor"].as_str().unwrap().to_owned();
    let (status, none) = changes(
        &w,
        Caller::Bearer(&w.a_token),
        &format!("?changed_since={head}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert!(listed(&none).is_empty());
    assert_eq!(
        none["next_cursor"],
        head.as_str(),
        "nothing new: the same cursor"
    );

    // Bad cursors and limits: 400 JSON, for every desk alike.
    let beyond: u64 = head.parse::<u64>().unwrap() + 1000;
    for query in [
        "?changed_since=abc".to_owned(),
        "?changed_since=-1".to_owned(),
        "?changed_since=%2B5".to_owned(),
        "?changed_since=".to_owned(),
        "?changed_since=99999999999999999999999".to_owned(),
        format!("?changed_since={beyond}"),
    ] {
        let (status, body) = changes(&w, Caller::Bearer(&w.c_token), &query).await;
        assert_error(status, &body, 400, "bad_cursor");
    }
    for query in ["?limit=0", "?limit=101", "?limit=x"] {
        let (status, body) = changes(&w, Caller::Bearer(&w.a_token), query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{body}"
        );
    }
    let (status, body) = changes(&w, Caller::Bearer(&w.a_token), "?since=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown parameter: {body}");

    // No desk, no token.
    let (status, body) = changes(&w, Caller::Bearer(&w.admin_token), "").await;
    assert_error(status, &body, 403, "no_desk");
    for caller in [Caller::Anonymous, Caller::Bearer("not-a-jwt")] {
        let (status, body) = changes(&w, caller, "").await;
        assert_error(status, &body, 401, "unauthorized");
    }
    // Reading the list changed nothing (it is a read; refusals too).
    w.assert_unchanged(&[]).await;

    // B's acknowledgement is a change both parties see, and C still not.
    let (status, body) = call(
        &w.app,
        Caller::Bearer(&w.b_token),
        Method::POST,
        &w.ack_path(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, after) = changes(
        &w,
        Caller::Bearer(&w.a_token),
        &format!("?changed_since={head}"),
    )
    .await;
    assert_eq!(listed(&after), vec![thread.clone()]);
    assert_eq!(after["threads"][0]["status"], "received");
    let c_head = c_page["next_cursor"].as_str().unwrap();
    let (_, c_after) = changes(
        &w,
        Caller::Bearer(&w.c_token),
        &format!("?changed_since={c_head}"),
    )
    .await;
    assert!(listed(&c_after).is_empty(), "{c_after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_route_on_sqlite() {
    changes_matrix(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_route_on_postgres() {
    changes_matrix(Db::Postgres).await;
}
