//! The malformed and oversized input catalogue (SPEC §2.8, §11): body and
//! packet size limits, the auth rate limit, malformed JSON on every JSON
//! route, malformed age headers (including the C2SP CCTV vectors), routing
//! headers, unknown routes and methods, and slow clients. Every answer is a
//! 4xx `{"error","message"}`, and nothing is stored.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use common::{Db, TestApp, TestDevice, Upload, assert_error, post_packet};
use futures_util::stream;
use referral_broker::config::ConfigLayer;
use referral_protocol::api;
use referral_protocol::{PacketId, ThreadId, padding};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A claimed broker with a caseworker (covic-intake) and a desk member
/// (shinjuku-iea), and their tokens.
struct Setup {
    app: TestApp,
    admin: TestDevice,
    cw: TestDevice,
    desk: TestDevice,
    cw_token: String,
    desk_token: String,
}

async fn setup(settings: ConfigLayer) -> Setup {
    let app = TestApp::spawn_on(Db::Sqlite, settings)
        .await
        .expect("sqlite");
    let (admin, cw, desk) = app.with_two_desks().await;
    let (cw_token, desk_token) = (cw.token(&app).await, desk.token(&app).await);
    Setup {
        app,
        admin,
        cw,
        desk,
        cw_token,
        desk_token,
    }
}

impl Setup {
    fn packet(&self, content_len: usize) -> (PacketId, ThreadId, Vec<u8>) {
        let (id, thread) = (PacketId::random(), ThreadId::random());
        let content = format!("{{\"case\":\"{}\"}}", "x".repeat(content_len));
        (
            id,
            thread,
            self.cw.seal_to(&self.desk, id, thread, content.as_bytes()),
        )
    }

    async fn post(&self, body: Vec<u8>) -> (StatusCode, Value, PacketId) {
        let id = PacketId::random();
        let (status, value) = post_packet(
            &self.app,
            &self.cw_token,
            &Upload::referral(id, ThreadId::random(), "shinjuku-iea"),
            body,
        )
        .await;
        (status, value, id)
    }

    /// A chunked upload (no Content-Length) of `pieces`.
    async fn post_stream(
        &self,
        pieces: Vec<Bytes>,
        stall_after: Option<usize>,
    ) -> reqwest::Result<reqwest::Response> {
        let body = stream::unfold((0usize, pieces), move |(i, mut pieces)| async move {
            if Some(i) == stall_after {
                // A slow client: nothing more for far longer than any timeout.
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            if pieces.is_empty() {
                return None;
            }
            let piece = pieces.remove(0);
            Some((Ok::<_, std::io::Error>(piece), (i + 1, pieces)))
        });
        self.app
            .http
            .post(self.app.url("/v1/packets"))
            .bearer_auth(&self.cw_token)
            .header(api::HEADER_PACKET_ID, PacketId::random().to_string())
            .header(api::HEADER_THREAD_ID, ThreadId::random().to_string())
            .header(api::HEADER_RECIPIENT_DESK, "shinjuku-iea")
            .header(api::HEADER_KIND, "referral")
            .header("content-type", "application/octet-stream")
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
    }

    async fn inbox_len(&self) -> usize {
        common::inbox(&self.app, &self.desk_token).await.len()
    }

    /// Nothing stored: the inbox is empty, no ciphertext is held, and the
    /// spool directory holds no leftover upload.
    async fn assert_nothing_stored(&self) {
        assert_eq!(self.inbox_len().await, 0);
        let store = referral_broker::app::open_store(&self.app.config)
            .await
            .unwrap();
        let counts = store.counts().await.unwrap();
        assert_eq!(
            (counts.pending_packets, counts.stored_bytes),
            (0, 0),
            "{counts:?}"
        );
        assert_spool_empty(&self.app.data_dir);
        self.assert_healthy().await;
    }

    async fn assert_healthy(&self) {
        let res = self
            .app
            .http
            .get(self.app.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    }
}

fn assert_spool_empty(data_dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(data_dir.join("spool"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "spool files left behind: {left:?}");
}

async fn json_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

// --- sizes -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_packets_are_413() {
    let s = setup(ConfigLayer {
        max_packet_bytes: Some(8192),
        ..ConfigLayer::default()
    })
    .await;

    // A real 16 KiB bucket packet, with a Content-Length.
    let (id, thread, big) = s.packet(10_000);
    assert_eq!(big.len(), 16 * 1024);
    let (status, body) = post_packet(
        &s.app,
        &s.cw_token,
        &Upload::referral(id, thread, "shinjuku-iea"),
        big.clone(),
    )
    .await;
    assert_error(status, &body, 413, "packet_too_large");

    // The same bytes chunked, with no Content-Length.
    let pieces = big.chunks(4096).map(Bytes::copy_from_slice).collect();
    let res = s.post_stream(pieces, None).await.unwrap();
    // The rest of a refused body may be unread, so the broker closes the
    // connection and says so, lest the client reuse it.
    assert_eq!(
        res.headers().get("connection").map(|v| v.to_str().unwrap()),
        Some("close")
    );
    let (status, body) = json_of(res).await;
    assert_error(status, &body, 413, "packet_too_large");

    // A declared length far beyond the limit is refused too.
    let (status, body, _) = s.post(vec![0u8; 1 << 20]).await;
    assert_error(status, &body, 413, "packet_too_large");

    s.assert_nothing_stored().await;

    // Control: a packet within the limit is stored.
    let (id, thread, small) = s.packet(10);
    assert_eq!(small.len(), 4096);
    let (status, body) = post_packet(
        &s.app,
        &s.cw_token,
        &Upload::referral(id, thread, "shinjuku-iea"),
        small,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// `GET /v1/limits` answers the configured limits, without a token, so that
/// a client can refuse an oversize packet before sealing it (ADR 0015).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limits_route_tells_anyone_the_configured_limits() {
    let app = TestApp::spawn_on(
        Db::Sqlite,
        ConfigLayer {
            max_packet_bytes: Some(1 << 20),
            max_pending_bytes_per_desk: Some(8 << 20),
            ..ConfigLayer::default()
        },
    )
    .await
    .expect("sqlite");
    let res = reqwest::get(app.url("/v1/limits")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let limits: api::BrokerLimits = res.json().await.unwrap();
    assert_eq!(
        limits,
        api::BrokerLimits {
            max_packet_bytes: 1 << 20,
            max_header_bytes: 64 * 1024,
            max_pending_bytes_per_desk: 8 << 20,
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_spooled_upload_leaves_no_file() {
    let s = setup(ConfigLayer::default()).await;
    // 2 MiB is a bucket (Padmé), larger than one in-memory chunk, so it is
    // spooled to disk before the header check refuses it.
    let len = 2 << 20;
    assert!(padding::is_bucket(len as u64));
    let (status, body, id) = s.post(vec![0u8; len]).await;
    assert_error(status, &body, 422, "not_age");
    let (status, body, _) = s.post(vec![0u8; len + 1]).await;
    assert_error(status, &body, 422, "not_padded");
    s.assert_nothing_stored().await;
    let res = s
        .app
        .http
        .get(s.app.url(&format!("/v1/packets/{id}")))
        .bearer_auth(&s.desk_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_json_is_413() {
    let s = setup(ConfigLayer::default()).await;
    let token = s.admin.token(&s.app).await;
    let head = s.app.directory().await.head();
    let huge = json!({"entry": "A".repeat(100 * 1024)});
    let res = s
        .app
        .http
        .post(s.app.url("/v1/directory"))
        .bearer_auth(&token)
        .json(&huge)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, 413, "body_too_large");
    assert_eq!(s.app.directory().await.head(), head, "nothing appended");
}

// --- rate limit ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_routes_are_rate_limited() {
    let app = TestApp::spawn_on(
        Db::Sqlite,
        ConfigLayer {
            auth_per_minute: Some(3),
            ..ConfigLayer::default()
        },
    )
    .await
    .unwrap();
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..10 {
        let res = app
            .http
            .post(app.url("/v1/auth/challenge"))
            .json(&json!({"device_id": referral_protocol::DeviceId::random()}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == StatusCode::TOO_MANY_REQUESTS && limited.is_none() {
            let retry_after = res
                .headers()
                .get("retry-after")
                .expect("Retry-After")
                .to_str()
                .unwrap()
                .to_owned();
            limited = Some((retry_after, res.json::<Value>().await.unwrap()));
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
    let (retry_after, body) = limited.unwrap();
    let secs: u64 = retry_after
        .parse()
        .expect("Retry-After is a number of seconds");
    assert!((1..=60).contains(&secs), "Retry-After {secs}");
    assert_error(StatusCode::TOO_MANY_REQUESTS, &body, 429, "rate_limited");

    // The token route shares the limit; other routes do not.
    let res = app
        .http
        .post(app.url("/v1/auth/token"))
        .json(&json!({"device_id": referral_protocol::DeviceId::random(), "challenge": "AAAA", "signature": "AAAA"}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    let (status, body) = json_of(res).await;
    assert_error(status, &body, 429, "rate_limited");
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

// --- JSON bodies -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_on_every_json_route() {
    let app = TestApp::spawn().await;
    // Claim it first so the admin routes can be reached; the bootstrap
    // route's own refusals are checked on a second, unclaimed broker below.
    let admin = app.bootstrap_admin().await;
    let token = admin.token(&app).await;
    let device = TestDevice::new(Some("covic-intake".parse().unwrap()));
    let key = device.key.verifying_key();
    let routes: [(&str, Value); 8] = [
        ("/v1/auth/challenge", json!({"device_id": device.id})),
        (
            "/v1/auth/token",
            json!({"device_id": device.id, "challenge": "AAAA", "signature": "AAAA"}),
        ),
        (
            "/v1/admin/bootstrap",
            json!({"code": "x", "device_id": device.id, "age_recipient": device.recipient(),
                   "genesis": common::genesis_of(&device.key).to_base64()}),
        ),
        (
            "/v1/admin/invites",
            json!({"desk": "covic-intake", "role": "caseworker"}),
        ),
        ("/v1/directory", json!({"entry": "AAAA"})),
        ("/v1/invites/lookup", json!({"code": "x"})),
        (
            "/v1/enrollments",
            json!({"code": "x", "device_id": device.id, "signing_key": key,
                   "age_recipient": device.recipient(), "device_signature": "AAAA"}),
        ),
        (
            "/v1/rotations",
            json!({"signing_key": key, "age_recipient": device.recipient(),
                   "old_key_signature": "AAAA", "new_key_signature": "AAAA"}),
        ),
    ];
    for (path, valid) in &routes {
        let post = |body: Vec<u8>, content_type: Option<&str>| {
            let mut req = app.http.post(app.url(path)).bearer_auth(&token).body(body);
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            async move { json_of(req.send().await.unwrap()).await }
        };
        let json_ct = Some("application/json");
        for broken in [
            &b"{\"dev"[..],
            b"{",
            b"not json",
            b"{,}",
            b"",
            b"\xff\xfe{}",
        ] {
            let (status, body) = post(broken.to_vec(), json_ct).await;
            assert_error(status, &body, 400, "malformed_json");
        }
        let text = serde_json::to_vec(valid).unwrap();
        for ct in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let (status, body) = post(text.clone(), ct).await;
            assert_error(status, &body, 415, "unsupported_media_type");
        }
        let mut extra = valid.clone();
        extra["is_admin"] = json!(true);
        let (status, body) = post(serde_json::to_vec(&extra).unwrap(), json_ct).await;
        assert_error(status, &body, 422, "invalid_json");
        let (status, body) = post(b"[1, 2, 3]".to_vec(), json_ct).await;
        assert_error(status, &body, 422, "invalid_json");
        // A field of the wrong type (or, where the route has no device
        // id, a field it does not know), and values that do not parse.
        let mut wrong_type = valid.clone();
        wrong_type["device_id"] = json!(12345);
        let (status, body) = post(serde_json::to_vec(&wrong_type).unwrap(), json_ct).await;
        assert_error(status, &body, 422, "invalid_json");
        for (field, bad) in [
            ("signing_key", json!("not a key")),
            ("age_recipient", json!("age1notakey")),
            ("desk", json!("Not A Desk!")),
            ("role", json!("root")),
        ] {
            if valid.get(field).is_some() {
                let mut v = valid.clone();
                v[field] = bad;
                let (status, body) = post(serde_json::to_vec(&v).unwrap(), json_ct).await;
                assert_error(status, &body, 422, "invalid_json");
            }
        }
    }

    // Nothing changed: no desk, no device, no request, the log is the
    // genesis alone, and the device got no token.
    let store = referral_broker::app::open_store(&app.config).await.unwrap();
    assert!(store.desks().await.unwrap().is_empty());
    assert!(store.device(&device.id).await.unwrap().is_none());
    assert!(store.pending_requests().await.unwrap().is_empty());
    assert_eq!(app.directory().await.head().seq, 0);
    assert_eq!(
        store.counts().await.unwrap().active_devices,
        1,
        "only the admin"
    );

    // An unclaimed broker stays unclaimed after malformed bootstraps, and
    // its code still works.
    let fresh = TestApp::spawn().await;
    for broken in [&b"{\"code\": "[..], b"", b"{}"] {
        let res = fresh
            .http
            .post(fresh.url("/v1/admin/bootstrap"))
            .header("content-type", "application/json")
            .body(broken.to_vec())
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert!(status.is_client_error(), "{body}");
        assert!(
            body["error"] == "malformed_json" || body["error"] == "invalid_json",
            "{body}"
        );
    }
    let store = referral_broker::app::open_store(&fresh.config)
        .await
        .unwrap();
    assert!(store.root_key().await.unwrap().is_none());
    fresh.bootstrap_admin().await;
}

// --- age headers ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_age_headers_are_422() {
    let s = setup(ConfigLayer::default()).await;
    let (_, _, good) = s.packet(10);
    assert_eq!(good.len(), 4096);

    let pad = |mut v: Vec<u8>| {
        v.resize(4096, b'\n');
        v
    };
    let pad_with = |v: &[u8], byte: u8| {
        let mut v = v.to_vec();
        v.resize(4096, byte);
        v
    };
    let mut armored = b"-----BEGIN AGE ENCRYPTED FILE-----\n".to_vec();
    armored.extend(
        std::iter::repeat_n(b'A', 64)
            .chain([b'\n'])
            .cycle()
            .take(3000),
    );
    armored.extend_from_slice(b"-----END AGE ENCRYPTED FILE-----\n");
    let header_end = good.windows(5).position(|w| w == b"\n--- ").unwrap();
    let mut scrypt =
        b"age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 10\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n".to_vec();
    scrypt.extend_from_slice(&good["age-encryption.org/v1\n".len()..]);
    scrypt.truncate(4096);
    let mut v2 = good.clone();
    v2[..b"age-encryption.org/v1".len()].copy_from_slice(b"age-encryption.org/v2");
    let mut no_mac = good[..header_end + 1].to_vec();
    while no_mac.len() < 4096 {
        no_mac.extend_from_slice(b"xxxxxxxx\n");
    }
    no_mac.truncate(4096);
    // Well-formed hybrid stanzas (copies of one from a real age 0.13 file),
    // 45 of them: under the stanza limit, over the 64 KiB header limit.
    let version_len = b"age-encryption.org/v1\n".len();
    let first_stanza_end = version_len
        + good[version_len..]
            .windows(4)
            .position(|w| w == b"\n-> ")
            .unwrap()
        + 1;
    let stanzas = |count: usize, bucket: usize| {
        let mut v = good[..version_len].to_vec();
        for _ in 0..count {
            v.extend_from_slice(&good[version_len..first_stanza_end]);
        }
        v.extend_from_slice(&good[header_end + 1..]);
        v.resize(bucket, 0);
        v
    };
    let hybrid_stanza = {
        let identity = referral_protocol::AgeIdentity::generate_post_quantum();
        let recipient = identity.recipient().to_age();
        let mut file = Vec::new();
        age::Encryptor::with_recipients(std::iter::once(recipient.as_ref() as &dyn age::Recipient))
            .unwrap()
            .wrap_output(&mut file)
            .unwrap()
            .finish()
            .unwrap();
        let start = version_len;
        let end = start
            + file[start..]
                .windows(4)
                .position(|w| w == b"\n-> ")
                .unwrap()
            + 1;
        file[start..end].to_vec()
    };
    assert_eq!(
        hybrid_stanza.len(),
        1557,
        "C2SP age: a hybrid stanza is 1,557 bytes"
    );
    let mut many_stanzas = good[..version_len].to_vec();
    for _ in 0..45 {
        many_stanzas.extend_from_slice(&hybrid_stanza);
    }
    many_stanzas.extend_from_slice(&good[header_end + 1..]);
    many_stanzas.resize(128 * 1024, 0);
    // A huge count: 5,000 X25519 stanzas, a header of about 480 KiB in a
    // 512 KiB bucket. The check stops at the 257th stanza (about 25 KB in)
    // without reading further.
    let huge_stanza_count = stanzas(5000, 512 * 1024);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("zeros", vec![0u8; 4096], "not_age"),
        ("armored", pad(armored), "armored_age"),
        (
            "one byte too many",
            [good.as_slice(), b"\0"].concat(),
            "not_padded",
        ),
        ("one byte short", good[..4095].to_vec(), "not_padded"),
        ("empty", Vec::new(), "not_padded"),
        ("scrypt recipient", scrypt, "forbidden_stanza"),
        ("version v2", v2, "unsupported_age_version"),
        ("no MAC line", no_mac, "malformed_age_header"),
        (
            "header runs off the end",
            pad_with(&good[..header_end], b'x'),
            "truncated_age_file",
        ),
        ("header over 64 KiB", many_stanzas, "age_header_too_large"),
        ("5,000 stanzas", huge_stanza_count, "too_many_stanzas"),
    ];
    for (what, body, code) in cases {
        let (status, value, _) = s.post(body).await;
        assert_eq!(value["error"], code, "{what}: {value}");
        assert_error(status, &value, 422, code);
    }
    s.assert_nothing_stored().await;

    // Control: the untouched packet is accepted.
    let (status, value, _) = s.post(good).await;
    assert_eq!(status, StatusCode::CREATED, "{value}");
}

fn cctv_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cctv-age")
}

/// (name, expect, age file) of every CCTV vector.
fn cctv_vectors() -> Vec<(String, String, Vec<u8>)> {
    let dir = cctv_dir();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") || name.starts_with('.') {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        let split = raw
            .windows(2)
            .position(|w| w == b"\n\n")
            .unwrap_or_else(|| panic!("{name}: no blank line"));
        let text = std::str::from_utf8(&raw[..split]).unwrap();
        let body = &raw[split + 2..];
        let mut expect = String::new();
        let mut compressed = false;
        for line in text.lines() {
            match line.split_once(": ") {
                Some(("expect", v)) => expect = v.to_owned(),
                Some(("compressed", v)) => {
                    assert_eq!(v, "zlib", "{name}");
                    compressed = true;
                }
                _ => {}
            }
        }
        let file = if compressed {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
            out
        } else {
            body.to_vec()
        };
        out.push((name, expect, file));
    }
    out.sort();
    assert!(
        out.len() >= 140,
        "only {} CCTV vectors in {}",
        out.len(),
        dir.display()
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cctv_vector_is_refused_cleanly() {
    let s = setup(ConfigLayer::default()).await;
    let vectors = cctv_vectors();

    // As the files are: none is a published packet size.
    for (name, _, file) in &vectors {
        let (status, body, _) = s.post(file.clone()).await;
        assert!(status.is_client_error(), "{name}: {status} {body}");
        assert_error(
            status,
            &body,
            status.as_u16(),
            body["error"].as_str().unwrap_or("?"),
        );
    }
    s.assert_nothing_stored().await;

    // Padded with zeros to a bucket, so the age header check decides: every
    // header and armor failure is refused with a header code. Two vectors
    // fail only for lack of payload bytes, which the padding supplies.
    let padding_fixes = ["stream_no_nonce", "stream_short_nonce"];
    let mut accepted = Vec::new();
    for (name, expect, file) in &vectors {
        let mut padded = file.clone();
        padded.resize(padding::bucket_for(file.len() as u64) as usize, 0);
        let (status, body, id) = s.post(padded).await;
        if status == StatusCode::CREATED {
            accepted.push((name.clone(), id));
            let must_refuse = matches!(expect.as_str(), "header failure" | "armor failure")
                && !padding_fixes.contains(&name.as_str());
            assert!(!must_refuse, "{name} ({expect}) was accepted");
            continue;
        }
        assert!(status.is_client_error(), "{name}: {status} {body}");
        let code = body["error"].as_str().unwrap_or_default();
        assert_error(status, &body, 422, code);
        assert_ne!(code, "not_padded", "{name}");
    }
    // What was accepted is well-formed binary age to X25519 recipients only
    // (the broker holds no key, so it cannot see payload or MAC failures).
    for (name, _) in &accepted {
        let (_, _, file) = vectors.iter().find(|v| &v.0 == name).unwrap();
        assert!(file.starts_with(b"age-encryption.org/v1\n"), "{name}");
    }
    assert!(
        accepted.iter().any(|(name, _)| name == "x25519"),
        "the plain X25519 vector passes the header check"
    );
    assert_eq!(s.inbox_len().await, accepted.len());
    assert_spool_empty(&s.app.data_dir);
    s.assert_healthy().await;
    // The figure docs/security-testing.md quotes.
    eprintln!(
        "every_cctv_vector_is_refused_cleanly: {} vectors, each posted as is and padded; \
         {} padded ones well-formed enough to store",
        vectors.len(),
        accepted.len()
    );
}

// --- routing ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_recipient_desk_is_422() {
    let s = setup(ConfigLayer::default()).await;
    let (id, thread, bytes) = s.packet(10);
    let (status, body) = post_packet(
        &s.app,
        &s.cw_token,
        &Upload::referral(id, thread, "no-such-desk"),
        bytes,
    )
    .await;
    assert_error(status, &body, 422, "unknown_desk");
    s.assert_nothing_stored().await;
    let store = referral_broker::app::open_store(&s.app.config)
        .await
        .unwrap();
    assert!(store.packet(&id).await.unwrap().is_none());
    assert!(store.thread(&thread).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_invalid_routing_headers_are_400() {
    let s = setup(ConfigLayer::default()).await;
    let (id, thread, bytes) = s.packet(10);
    let good: Vec<(&str, String)> = vec![
        (api::HEADER_PACKET_ID, id.to_string()),
        (api::HEADER_THREAD_ID, thread.to_string()),
        (api::HEADER_RECIPIENT_DESK, "shinjuku-iea".into()),
        (api::HEADER_KIND, "referral".into()),
    ];
    let send = |headers: Vec<(&'static str, Vec<u8>)>| {
        let mut req = s
            .app
            .http
            .post(s.app.url("/v1/packets"))
            .bearer_auth(&s.cw_token)
            .header("content-type", "application/octet-stream")
            .body(bytes.clone());
        for (name, value) in headers {
            req = req.header(
                name,
                reqwest::header::HeaderValue::from_bytes(&value).unwrap(),
            );
        }
        async move { json_of(req.send().await.unwrap()).await }
    };
    let with = |name: &str, value: Option<&[u8]>| {
        let mut h: Vec<(&'static str, Vec<u8>)> = Vec::new();
        for (n, v) in &good {
            if *n != name {
                h.push((n, v.as_bytes().to_vec()));
            }
        }
        if let Some(v) = value {
            let n = [
                api::HEADER_PACKET_ID,
                api::HEADER_THREAD_ID,
                api::HEADER_RECIPIENT_DESK,
                api::HEADER_KIND,
            ]
            .into_iter()
            .chain([api::HEADER_THREAD_STATUS, api::HEADER_FORWARDS])
            .find(|n| *n == name)
            .unwrap();
            h.push((n, v.to_vec()));
        }
        h
    };

    for (name, _) in &good {
        let (status, body) = send(with(name, None)).await;
        assert_error(status, &body, 400, "missing_header");
    }
    let upper = id.to_string().to_uppercase();
    let v1_uuid = "c232ab00-9414-11ec-b3c8-9f6bdeced846";
    let thread_text = thread.to_string();
    let cases: Vec<(&str, &[u8])> = vec![
        (api::HEADER_PACKET_ID, b"not-a-uuid"),
        (api::HEADER_PACKET_ID, upper.as_bytes()),
        (api::HEADER_PACKET_ID, v1_uuid.as_bytes()),
        (api::HEADER_PACKET_ID, b"\xff\xfe"),
        (api::HEADER_THREAD_ID, b""),
        (api::HEADER_THREAD_ID, b"../../etc/passwd"),
        (api::HEADER_RECIPIENT_DESK, b"Shinjuku IEA"),
        (api::HEADER_RECIPIENT_DESK, b"shinjuku-iea\xe3\x81\x82"),
        (api::HEADER_KIND, b"memo"),
        (api::HEADER_KIND, b"REFERRAL"),
        // A referral carries no status and forwards nothing.
        (api::HEADER_THREAD_STATUS, b"accepted"),
        (api::HEADER_FORWARDS, thread_text.as_bytes()),
    ];
    for (name, value) in cases {
        let (status, body) = send(with(name, Some(value))).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{name}: {:?}: {body}",
            String::from_utf8_lossy(value)
        );
        assert_error(status, &body, 400, "bad_header");
    }
    // A reply with an unknown status; a forward without what it forwards.
    let mut reply = with(api::HEADER_KIND, Some(b"reply"));
    reply.push((api::HEADER_THREAD_STATUS, b"done".to_vec()));
    let (status, body) = send(reply).await;
    assert_error(status, &body, 400, "bad_header");
    let (status, body) = send(with(api::HEADER_KIND, Some(b"forward"))).await;
    assert_error(status, &body, 400, "bad_header");

    s.assert_nothing_stored().await;
    // Control: the good headers work.
    let (status, body) = send(
        good.iter()
            .map(|(n, v)| (*n, v.as_bytes().to_vec()))
            .collect(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_are_json() {
    let s = setup(ConfigLayer::default()).await;
    for path in [
        "/",
        "/v2/packets",
        "/v1/packet",
        "/v1/packets/x/y/z",
        "/v1/admin",
        "/.env",
        "/v1/inbox/../admin",
    ] {
        let res = s
            .app
            .http
            .get(s.app.url(path))
            .bearer_auth(&s.cw_token)
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert_error(status, &body, 404, "not_found");
    }
    for (method, path) in [
        (Method::DELETE, "/v1/inbox".to_owned()),
        (Method::GET, "/v1/packets".to_owned()),
        (Method::PUT, format!("/v1/packets/{}", PacketId::random())),
        (
            Method::DELETE,
            format!("/v1/packets/{}", PacketId::random()),
        ),
        (Method::GET, "/v1/auth/token".to_owned()),
        (Method::POST, "/healthz".to_owned()),
        (Method::PATCH, "/v1/admin/invites".to_owned()),
        (Method::DELETE, "/v1/directory".to_owned()),
    ] {
        let res = s
            .app
            .http
            .request(method.clone(), s.app.url(&path))
            .bearer_auth(&s.cw_token)
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert_eq!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {body}"
        );
        assert_error(status, &body, 405, "method_not_allowed");
    }
    s.assert_nothing_stored().await;
}

// --- slow clients ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_packet_body_is_408() {
    let s = setup(ConfigLayer {
        body_idle_timeout_secs: Some(1),
        ..ConfigLayer::default()
    })
    .await;
    let (_, _, bytes) = s.packet(10);
    let pieces = bytes.chunks(1024).map(Bytes::copy_from_slice).collect();
    let started = std::time::Instant::now();
    let res = tokio::time::timeout(Duration::from_secs(20), s.post_stream(pieces, Some(1)))
        .await
        .expect("the broker answers a stalled upload")
        .expect("an HTTP answer, not a dropped connection");
    let (status, body) = json_of(res).await;
    assert_error(status, &body, 408, "body_timeout");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    s.assert_nothing_stored().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_json_body_is_408() {
    let app = TestApp::spawn_on(
        Db::Sqlite,
        ConfigLayer {
            request_timeout_secs: Some(1),
            ..ConfigLayer::default()
        },
    )
    .await
    .unwrap();
    let body = stream::unfold(0u8, |i| async move {
        match i {
            0 => Some((
                Ok::<_, std::io::Error>(Bytes::from_static(b"{\"device_id\": ")),
                1,
            )),
            _ => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                None
            }
        }
    });
    let res = tokio::time::timeout(
        Duration::from_secs(20),
        app.http
            .post(app.url("/v1/auth/challenge"))
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    )
    .await
    .expect("the broker answers a stalled request")
    .expect("an HTTP answer");
    let (status, body) = json_of(res).await;
    assert_error(status, &body, 408, "request_timeout");
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

// --- truncated bodies ----------------------------------------------------------------

/// Sends `head` and then `body` over a raw connection and closes the
/// sending side: a client that promised more than it sent and hung up.
/// Returns the status and the JSON body of the answer, if one came.
async fn send_cut_short(app: &TestApp, head: String, body: &[u8]) -> Option<(u16, Value)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    conn.shutdown().await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut answer))
        .await
        .expect("the broker does not wait forever for the missing bytes")
        .ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Some((status, json))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_short_is_a_4xx_and_stores_nothing() {
    let s = setup(ConfigLayer::default()).await;
    let (id, thread, packet) = s.packet(10);
    let host = s.app.addr;
    // A packet upload that stops half-way.
    let head = format!(
        "POST /v1/packets HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {}\r\n\
         {}: {id}\r\n{}: {thread}\r\n{}: shinjuku-iea\r\n{}: referral\r\n\
         content-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        s.cw_token,
        api::HEADER_PACKET_ID,
        api::HEADER_THREAD_ID,
        api::HEADER_RECIPIENT_DESK,
        api::HEADER_KIND,
        packet.len(),
    );
    // A JSON body that stops half-way.
    let json = br#"{"device_id": "00000000-0000-4000-8000-000000000000"}"#;
    let json_head = format!(
        "POST /v1/auth/challenge HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        json.len()
    );
    // Both are 400 body_error: not "too large", for they were too short, and
    // the message names no internals.
    for (what, head, sent) in [
        ("packet", head, &packet[..packet.len() / 2]),
        ("JSON", json_head, &json[..20]),
    ] {
        let (status, body) = send_cut_short(&s.app, head, sent)
            .await
            .unwrap_or_else(|| panic!("{what}: an answer"));
        assert_error(
            StatusCode::from_u16(status).unwrap(),
            &body,
            400,
            "body_error",
        );
    }
    s.assert_nothing_stored().await;

    // Control: the same upload, whole, is stored.
    let (status, value) = post_packet(
        &s.app,
        &s.cw_token,
        &Upload::referral(id, thread, "shinjuku-iea"),
        packet,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{value}");
}
