//! Operations (SPEC §8): health and readiness, Prometheus metrics without
//! identities, TLS from a certificate and key, and graceful shutdown that
//! lets a request in flight finish.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{Db, TestApp, Upload, assert_error, post_packet};
use referral_broker::config::ConfigLayer;
use referral_protocol::api;
use referral_protocol::{PacketId, ThreadId};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn health(db: Db) {
    let Some(app) = TestApp::spawn_on(db, ConfigLayer::default()).await else {
        return;
    };
    for path in ["/healthz", "/readyz"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"status": "ok"}),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_on_sqlite() {
    health(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_on_postgres() {
    health(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_routes_but_name_nobody() {
    let app = TestApp::spawn().await;
    let (admin, cw, desk) = app.with_two_desks().await;
    let (cw_token, desk_token) = (cw.token(&app).await, desk.token(&app).await);

    // Some traffic: a send, a refusal, inbox, fetch, ack, thread, and a
    // request to an unrouted path that carries an id.
    let (id, thread) = (PacketId::random(), ThreadId::random());
    let sealed = cw.seal_to(&desk, id, thread, b"{}");
    let (status, body) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(id, thread, "shinjuku-iea"),
        sealed,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(PacketId::random(), thread, "shinjuku-iea"),
        vec![0; 4096],
    )
    .await;
    assert_error(status, &body, 422, "not_age");
    let get = |path: String, token: &str| app.http.get(app.url(&path)).bearer_auth(token).send();
    assert_eq!(
        get("/v1/inbox".into(), &desk_token).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        get(format!("/v1/packets/{id}"), &desk_token)
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let ack = app
        .http
        .post(app.url(&format!("/v1/packets/{id}/ack")))
        .bearer_auth(&desk_token)
        .send();
    assert_eq!(ack.await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        get(format!("/v1/threads/{thread}"), &cw_token)
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(format!("/v1/packets/{}", PacketId::random()), &cw_token)
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(format!("/v1/nothing/{id}/{thread}"), &cw_token)
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/v1/directory".into(), &cw_token)
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();

    assert!(
        text.contains("referral_http_requests_total{route=\"/v1/packets/{id}\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("referral_http_requests_total{route=\"/v1/packets/{id}\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("referral_http_requests_total{route=\"/v1/packets\",status=\"201\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("referral_http_requests_total{route=\"unmatched\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(text.contains("referral_packets_stored_total 1"), "{text}");
    assert!(
        text.contains("referral_packets_refused_total{reason=\"not_age\"} 1"),
        "{text}"
    );
    assert!(text.contains("referral_acknowledged_packets 1"), "{text}");
    assert!(text.contains("referral_desks 2"), "{text}");
    // The admin asked for a token per helper call (two desks, two
    // enrollments); the caseworker and the desk member once each; the
    // harness's directory reader (ADR 0019 §3) once or more. Each is one
    // answered token request.
    let counter = |prefix: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("{prefix} in {text}"))
            .trim()
            .parse()
            .unwrap()
    };
    let issued = counter("referral_tokens_issued_total ");
    let answered =
        counter("referral_http_requests_total{route=\"/v1/auth/token\",status=\"200\"} ");
    assert!(issued >= 6, "{issued} tokens");
    assert_eq!(issued, answered, "every token issued is counted");

    // No identity of any kind, in any common spelling.
    let mut secrets: Vec<String> = vec![
        "covic-intake".into(),
        "shinjuku-iea".into(),
        cw_token,
        desk_token,
    ];
    for uuid in [
        id.to_string(),
        thread.to_string(),
        cw.id.to_string(),
        desk.id.to_string(),
        admin.id.to_string(),
    ] {
        secrets.push(uuid.replace('-', ""));
        secrets.push(uuid);
    }
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "/metrics leaks {secret}");
    }
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        // Every sample is `name{labels} number` with labels drawn from route
        // templates, status codes and refusal codes.
        let (_, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
        if let Some(labels) = line.split_once('{').map(|(_, l)| l) {
            assert!(!labels.contains("127.0.0.1"), "{line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_certificate_and_key() {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
    let settings = ConfigLayer {
        tls_cert: Some(cert_path),
        tls_key: Some(key_path),
        ..ConfigLayer::default()
    };
    let app = TestApp::spawn_on(Db::Sqlite, settings).await.unwrap();
    let port = app.addr.port();

    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    for host in ["127.0.0.1", "localhost"] {
        let res = trusting
            .get(format!("https://{host}:{port}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{host}");
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    }
    // The API itself is served over TLS too.
    let res = trusting
        .post(format!("https://127.0.0.1:{port}/v1/auth/challenge"))
        .json(&json!({"device_id": referral_protocol::DeviceId::random()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // A client that does not trust the certificate is refused, and plain
    // HTTP on the TLS port gets no answer.
    let untrusting = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("https://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_err()
    );
    let plain = app
        .http
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_lets_a_request_in_flight_finish() {
    let mut app = TestApp::spawn().await;
    let (_admin, cw, desk) = app.with_two_desks().await;
    let cw_token = cw.token(&app).await;
    let (id, thread) = (PacketId::random(), ThreadId::random());
    let sealed = cw.seal_to(&desk, id, thread, b"{\"case\":\"in flight\"}");

    // An upload whose second half waits for a signal.
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let (first, second) = (
        Bytes::copy_from_slice(&sealed[..2048]),
        Bytes::copy_from_slice(&sealed[2048..]),
    );
    let body = futures_util::stream::unfold((0u8, Some(released)), move |(i, released)| {
        let (first, second) = (first.clone(), second.clone());
        async move {
            match i {
                0 => Some((Ok::<_, std::io::Error>(first), (1, released))),
                1 => {
                    let _ = released.unwrap().await;
                    Some((Ok(second), (2, None)))
                }
                _ => None,
            }
        }
    });
    let upload = app
        .http
        .post(app.url("/v1/packets"))
        .bearer_auth(&cw_token)
        .header(api::HEADER_PACKET_ID, id.to_string())
        .header(api::HEADER_THREAD_ID, thread.to_string())
        .header(api::HEADER_RECIPIENT_DESK, "shinjuku-iea")
        .header(api::HEADER_KIND, "referral")
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let in_flight = tokio::spawn(upload);
    // Let the broker start on it.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let addr = app.addr;
    let during = async move {
        // Shutdown has begun: new connections get nowhere …
        tokio::time::sleep(Duration::from_millis(300)).await;
        let fresh = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let refused = fresh.get(format!("http://{addr}/healthz")).send().await;
        // … and then the upload in flight completes.
        release.send(()).unwrap();
        refused
    };
    let stopping = async {
        tokio::time::timeout(Duration::from_secs(20), app.stop())
            .await
            .expect("stop completes");
    };
    let ((), refused) = tokio::join!(stopping, during);
    assert!(
        refused.is_err(),
        "a new request after shutdown began: {refused:?}"
    );

    let res = in_flight
        .await
        .unwrap()
        .expect("the upload in flight gets an answer");
    assert_eq!(res.status(), StatusCode::CREATED);
    let receipt: Value = res.json().await.unwrap();
    assert_eq!(receipt["packet_id"], id.to_string());

    // It was stored, durably.
    let store = referral_broker::app::open_store(&app.config).await.unwrap();
    let meta = store.packet(&id).await.unwrap().expect("stored");
    assert_eq!(meta.bytes, sealed.len() as u64);
    let mut stored = Vec::new();
    let mut seq = 0;
    while let Some(chunk) = store.packet_chunk(&id, seq).await.unwrap() {
        stored.extend_from_slice(&chunk);
        seq += 1;
    }
    assert_eq!(stored, sealed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_completes_when_idle_and_restart_resumes() {
    let app = TestApp::spawn().await;
    let admin = app.bootstrap_admin().await;
    let started = std::time::Instant::now();
    let app = app.restart().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stop took {:?}",
        started.elapsed()
    );
    let token = admin.token(&app).await;
    let res = app
        .http
        .get(app.url("/readyz"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
