//! Abuse limits (ADR 0006): per-address limits on the routes without a
//! token, per-device limits on the routes with one, failing tokens charged
//! to their address, `X-Forwarded-For` believed only from a trusted proxy,
//! and every refusal a JSON 429 with `Retry-After` that changed nothing.

mod common;

use std::net::IpAddr;

use common::{Db, TestApp, TestDevice, Upload, assert_error, post_packet};
use referral_broker::config::ConfigLayer;
use referral_protocol::{DeviceId, PacketId, ThreadId};
use reqwest::StatusCode;
use serde_json::{Value, json};

const XFF: &str = "x-forwarded-for";

/// A challenge request from `forwarded_for` (as a proxy would say it, or as a
/// client would forge it).
async fn challenge_from(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut req = app
        .http
        .post(app.url("/v1/auth/challenge"))
        .json(&json!({"device_id": DeviceId::random()}));
    if let Some(xff) = forwarded_for {
        req = req.header(XFF, xff);
    }
    req.send().await.unwrap()
}

/// Asserts a JSON 429 that says when to come back.
async fn assert_limited(res: reqwest::Response, what: &str) {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{what}");
    let secs: u64 = res
        .headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("{what}: Retry-After"))
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is whole seconds");
    assert!((1..=60).contains(&secs), "{what}: Retry-After {secs}");
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_error(status, &body, 429, "rate_limited");
}

fn loopback() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_address_has_its_own_bucket() {
    let app = TestApp::spawn_on(
        Db::Sqlite,
        ConfigLayer {
            unauthenticated_per_minute_per_address: Some(3),
            auth_per_minute: Some(1000),
            trusted_proxies: Some(vec![loopback()]),
            ..ConfigLayer::default()
        },
    )
    .await
    .unwrap();
    for i in 0..3 {
        let res = challenge_from(&app, Some("203.0.113.1")).await;
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
    }
    assert_limited(challenge_from(&app, Some("203.0.113.1")).await, "4th").await;
    // Another client behind the same proxy is not affected.
    let res = challenge_from(&app, Some("203.0.113.2")).await;
    assert_eq!(res.status(), StatusCode::OK);
    // A client that writes its own entry first is still known by the entry
    // the proxy appended: the right-most one.
    assert_limited(
        challenge_from(&app, Some("198.51.100.9, 203.0.113.1")).await,
        "forged left-most entry",
    )
    .await;
    // Every route without a token spends from the same bucket.
    for path in ["/v1/auth/token", "/v1/invites/lookup", "/v1/enrollments"] {
        let res = app
            .http
            .post(app.url(path))
            .header(XFF, "203.0.113.1")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_limited(res, path).await;
    }
    let res = app
        .http
        .get(app.url("/v1/directory"))
        .header(XFF, "203.0.113.1")
        .send()
        .await
        .unwrap();
    assert_limited(res, "directory").await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "health is never limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_trusted_proxy_forwarded_for_changes_nothing() {
    let app = TestApp::spawn_on(
        Db::Sqlite,
        ConfigLayer {
            unauthenticated_per_minute_per_address: Some(3),
            auth_per_minute: Some(1000),
            ..ConfigLayer::default()
        },
    )
    .await
    .unwrap();
    // A client inventing a new address for every request is still one
    // client: its TCP peer.
    for i in 0..3 {
        let res = challenge_from(&app, Some(&format!("203.0.113.{i}"))).await;
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
    }
    assert_limited(
        challenge_from(&app, Some("203.0.113.99")).await,
        "a fresh forged address",
    )
    .await;
    assert_limited(challenge_from(&app, None).await, "no header").await;

    // The same holds when a proxy is configured but this peer is not it.
    let app = app
        .restart_with(|c| c.trusted_proxies = vec!["10.9.8.7".parse().unwrap()])
        .await;
    for i in 0..3 {
        let res = challenge_from(&app, Some(&format!("203.0.113.{i}"))).await;
        assert_eq!(res.status(), StatusCode::OK, "after restart, request {i}");
    }
    assert_limited(
        challenge_from(&app, Some("203.0.113.99")).await,
        "untrusted peer",
    )
    .await;
}

/// A claimed broker with a caseworker and a desk member holding tokens,
/// restarted under the limits `change` sets (tokens outlive a restart).
async fn deployment_under(
    change: impl FnOnce(&mut referral_broker::config::Config),
) -> (TestApp, TestDevice, TestDevice, String, String) {
    let app = TestApp::spawn().await;
    let (_admin, cw, desk) = app.with_two_desks().await;
    let cw_token = cw.token(&app).await;
    let desk_token = desk.token(&app).await;
    let app = app.restart_with(change).await;
    (app, cw, desk, cw_token, desk_token)
}

async fn inbox(app: &TestApp, token: &str, xff: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.url("/v1/inbox")).bearer_auth(token);
    if let Some(xff) = xff {
        req = req.header(XFF, xff);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_device_has_its_own_bucket_and_a_limited_request_changes_nothing() {
    let (app, cw, desk, cw_token, desk_token) =
        deployment_under(|c| c.limits.requests_per_minute_per_device = 4).await;
    for i in 0..4 {
        let res = inbox(&app, &cw_token, None).await;
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
    }
    // The fifth request would store a packet: it is refused before anything
    // is read or written.
    let packet = PacketId::random();
    let thread = ThreadId::random();
    let body = cw.seal_to(&desk, packet, thread, b"{}");
    let (status, answer) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(packet, thread, "shinjuku-iea"),
        body,
    )
    .await;
    assert_error(status, &answer, 429, "rate_limited");
    // The desk member has its own bucket (common::inbox asserts the 200),
    // and nothing arrived.
    assert_eq!(common::inbox(&app, &desk_token).await, Vec::<Value>::new());
    let res = app
        .http
        .get(app.url(&format!("/v1/packets/{packet}")))
        .bearer_auth(&desk_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "the packet was not stored"
    );
    assert_limited(inbox(&app, &cw_token, None).await, "still limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_tokens_are_charged_to_their_address_and_good_ones_are_not() {
    let (app, _cw, _desk, cw_token, desk_token) = deployment_under(|c| {
        c.limits.unauthenticated_per_minute_per_address = 3;
        c.trusted_proxies = vec![loopback()];
    })
    .await;
    // Someone at 203.0.113.50 tries tokens.
    let attacker = Some("203.0.113.50");
    for forged in ["garbage", "a.b.c"] {
        let res = inbox(&app, forged, attacker).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{forged}");
    }
    let mut expired = desk_token.clone();
    expired.pop();
    let res = inbox(&app, &expired, attacker).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "bad signature");
    assert_limited(inbox(&app, "another", attacker).await, "4th failure").await;
    // Colleagues behind the same address, with good tokens, work on.
    let res = inbox(&app, &cw_token, attacker).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = inbox(&app, &desk_token, attacker).await;
    assert_eq!(res.status(), StatusCode::OK);
    // But signing in from that address waits too: it is one bucket.
    assert_limited(challenge_from(&app, attacker).await, "challenge").await;
    // Elsewhere, failures are still plain 401s.
    let res = inbox(&app, "garbage", Some("203.0.113.51")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// `GET /v1/directory` from `xff` with `header` (name, value).
async fn directory_from(app: &TestApp, xff: &str, header: (&str, &str)) -> reqwest::Response {
    app.http
        .get(app.url("/v1/directory"))
        .header(XFF, xff)
        .header(header.0, header.1)
        .send()
        .await
        .unwrap()
}

/// ADR 0019 §3: reading the directory with an invite code spends from the
/// address's unauthenticated bucket, right or wrong, so the header is no
/// faster way to guess codes than `POST /v1/invites/lookup`; a device's
/// token spends from its own bucket only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_code_reads_of_the_directory_count_against_the_unauthenticated_limit() {
    use referral_protocol::paths::INVITE_HEADER;
    let app = TestApp::spawn().await;
    let (admin, cw, _desk) = app.with_two_desks().await;
    let admin_token = admin.token(&app).await;
    let code = app
        .invite(&admin_token, "shinjuku-iea", referral_protocol::Role::Desk)
        .await;
    let cw_token = cw.token(&app).await;
    let app = app
        .restart_with(|c| {
            c.limits.unauthenticated_per_minute_per_address = 3;
            c.trusted_proxies = vec![loopback()];
        })
        .await;

    let holder = "203.0.113.60";
    for i in 0..3 {
        let res = directory_from(&app, holder, (INVITE_HEADER, &code)).await;
        assert_eq!(res.status(), StatusCode::OK, "read {i} with a live code");
    }
    assert_limited(
        directory_from(&app, holder, (INVITE_HEADER, &code)).await,
        "4th read with a code",
    )
    .await;
    // The bucket is the one the other routes without a token spend from.
    assert_limited(challenge_from(&app, Some(holder)).await, "challenge").await;

    let guesser = "203.0.113.61";
    for guess in [
        "ABCDE-FGHJK-MNPQR-STVWX",
        "not a code",
        "00000-00000-00000-00000",
    ] {
        let res = directory_from(&app, guesser, (INVITE_HEADER, guess)).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_error(status, &body, 401, "directory_private");
    }
    assert_limited(
        directory_from(&app, guesser, (INVITE_HEADER, &code)).await,
        "4th guess, even a right one",
    )
    .await;

    // A device's token does not spend from its address's bucket.
    let colleague = "203.0.113.62";
    let bearer = format!("Bearer {cw_token}");
    for i in 0..5 {
        let res = directory_from(&app, colleague, ("authorization", &bearer)).await;
        assert_eq!(res.status(), StatusCode::OK, "token read {i}");
    }
}
