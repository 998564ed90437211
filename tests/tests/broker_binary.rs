//! The real `referral-broker` binary (SPEC §8): `serve` on a fresh data
//! directory prints the bootstrap code and writes it 0600; the broker is
//! claimed and used over HTTP; SIGTERM stops it gracefully (exit 0); its log
//! names no packet, thread, device, desk, token, body, header, user agent
//! or client address (SPEC §2.2); `purge` and `migrate` run once and exit 0.
//!
//! Build the binaries first when running this crate alone:
//! `cargo build -p referral-broker && cargo test -p referral-e2e --test broker_binary`.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_e2e::bin;
use referral_protocol::api::{self, ChallengeResponse, TokenResponse};
use referral_protocol::{
    ContentType, DeskId, DeviceId, PacketId, RecipientKey, SealRequest, Sender, SigningKey,
    ThreadId, seal,
};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

const USER_AGENT: &str = "canary-agent/7.3 (e2e)";
const CONTENT_CANARY: &str = "CANARY-CONTENT-5c1f9e";
const NAME_CANARY: &str = "CANARY-DESK-NAME-81ab";

/// Kills the broker if the test fails before it stops it.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct Device {
    id: DeviceId,
    desk: Option<DeskId>,
    key: SigningKey,
    identity: age::x25519::Identity,
}

impl Device {
    fn new(desk: Option<&str>) -> Self {
        Self {
            id: DeviceId::random(),
            desk: desk.map(|d| d.parse().unwrap()),
            key: SigningKey::generate().unwrap(),
            identity: age::x25519::Identity::generate(),
        }
    }

    fn recipient(&self) -> RecipientKey {
        RecipientKey::of(&self.identity)
    }

    fn token(&self, http: &Client, base: &str, seen: &mut Vec<String>) -> String {
        let res = http
            .post(format!("{base}/v1/auth/challenge"))
            .json(&json!({"device_id": self.id}))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let challenge: ChallengeResponse = res.json().unwrap();
        let raw = STANDARD.decode(&challenge.challenge).unwrap();
        let signature = STANDARD.encode(self.key.sign(&api::challenge_message(&self.id, &raw)));
        let res = http
            .post(format!("{base}/v1/auth/token"))
            .json(&json!({"device_id": self.id, "challenge": challenge.challenge, "signature": signature}))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let token: TokenResponse = res.json().unwrap();
        seen.extend([challenge.challenge, signature, token.token.clone()]);
        token.token
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A `referral-broker` command with no settings from the environment.
fn broker(args: &[&str], data_dir: &Path) -> Command {
    let mut cmd = Command::new(bin("referral-broker"));
    cmd.args(args).arg("--data-dir").arg(data_dir);
    for var in [
        "RUST_LOG",
        "REFERRAL_BROKER_CONFIG",
        "REFERRAL_BROKER_DATA_DIR",
        "REFERRAL_BROKER_LISTEN",
        "REFERRAL_BROKER_DATABASE_URL",
        "REFERRAL_BROKER_TLS_CERT",
        "REFERRAL_BROKER_TLS_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn serve_claim_use_sigterm_then_purge_and_migrate() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let (stderr_path, stdout_path) = (
        work.path().join("stderr.log"),
        work.path().join("stdout.log"),
    );
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");

    let child = broker(&["serve"], &data)
        .args(["--listen", &listen])
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .expect("spawn referral-broker");
    let mut running = Running(Some(child));
    let pid = running.0.as_ref().unwrap().id();
    let http = Client::builder()
        .user_agent(USER_AGENT)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // Up when /healthz answers.
    let started = Instant::now();
    loop {
        if let Ok(res) = http.get(format!("{base}/healthz")).send() {
            assert_eq!(res.status(), StatusCode::OK);
            break;
        }
        if let Some(status) = running.0.as_mut().unwrap().try_wait().unwrap() {
            panic!(
                "the broker exited ({status}): {}",
                std::fs::read_to_string(&stderr_path).unwrap()
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the broker did not come up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The bootstrap code: printed on stderr, and in a 0600 file.
    let code_file = data.join("bootstrap-code");
    let mode = std::fs::metadata(&code_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "bootstrap-code mode {mode:o}");
    let code = std::fs::read_to_string(&code_file)
        .unwrap()
        .trim()
        .to_owned();
    assert!(code.len() >= 20, "{code:?}");
    assert!(
        std::fs::read_to_string(&stderr_path)
            .unwrap()
            .contains(&code),
        "the code is printed on stderr"
    );

    // Everything a log must never hold, gathered as the test goes.
    let mut secrets: Vec<String> = vec![
        CONTENT_CANARY.into(),
        NAME_CANARY.into(),
        USER_AGENT.into(),
        "canary-agent".into(),
        "covic-intake".into(),
        "shinjuku-iea".into(),
    ];

    // Claim it, make two desks and a device on each.
    let admin = Device::new(None);
    let res = http
        .post(format!("{base}/v1/admin/bootstrap"))
        .json(&json!({"code": code, "device_id": admin.id,
                      "signing_key": admin.key.verifying_key(), "age_recipient": admin.recipient()}))
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let root: Value = res.json().unwrap();
    assert!(root["root_fingerprint"].is_string());
    let admin_token = admin.token(&http, &base, &mut secrets);
    for desk in ["covic-intake", "shinjuku-iea"] {
        let res = http
            .post(format!("{base}/v1/admin/desks"))
            .bearer_auth(&admin_token)
            .json(&json!({"id": desk, "name": format!("{NAME_CANARY} {desk}")}))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let caseworker = Device::new(Some("covic-intake"));
    let member = Device::new(Some("shinjuku-iea"));
    for (device, role) in [(&caseworker, "caseworker"), (&member, "desk")] {
        let res = http
            .post(format!("{base}/v1/admin/devices"))
            .bearer_auth(&admin_token)
            .json(&json!({"device_id": device.id, "desk": device.desk, "role": role,
                          "signing_key": device.key.verifying_key(), "age_recipient": device.recipient()}))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let cw_token = caseworker.token(&http, &base, &mut secrets);
    let desk_token = member.token(&http, &base, &mut secrets);

    // Send, inbox, fetch, ack, thread.
    let (packet, thread) = (PacketId::random(), ThreadId::random());
    let mut sealed = Vec::new();
    seal(
        &SealRequest {
            packet_id: packet,
            thread_id: thread,
            created_at: 1_700_000_000,
            sender: Sender {
                device: caseworker.id,
                desk: caseworker.desk.clone().unwrap(),
                key: &caseworker.key,
            },
            recipient_desk: member.desk.clone().unwrap(),
            recipients: vec![member.recipient(), caseworker.recipient()],
            content_type: ContentType::referral_v1(),
            content: format!("{{\"case\":{{\"summary\":\"{CONTENT_CANARY}\"}}}}").as_bytes(),
            attachments: &[],
        },
        &mut sealed,
    )
    .unwrap();
    let res = http
        .post(format!("{base}/v1/packets"))
        .bearer_auth(&cw_token)
        .header(api::HEADER_PACKET_ID, packet.to_string())
        .header(api::HEADER_THREAD_ID, thread.to_string())
        .header(api::HEADER_RECIPIENT_DESK, "shinjuku-iea")
        .header(api::HEADER_KIND, "referral")
        .header("content-type", "application/octet-stream")
        .body(sealed.clone())
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let inbox: Value = http
        .get(format!("{base}/v1/inbox"))
        .bearer_auth(&desk_token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(inbox["packets"][0]["packet_id"], packet.to_string());
    let res = http
        .get(format!("{base}/v1/packets/{packet}"))
        .bearer_auth(&desk_token)
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().unwrap().as_ref(), sealed.as_slice());
    let res = http
        .post(format!("{base}/v1/packets/{packet}/ack"))
        .bearer_auth(&desk_token)
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let view: Value = http
        .get(format!("{base}/v1/threads/{thread}"))
        .bearer_auth(&cw_token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(view["status"], "received");
    // A few refusals, which are logged too.
    let res = http
        .get(format!("{base}/v1/packets/{}", PacketId::random()))
        .bearer_auth(&cw_token)
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = http
        .get(format!("{base}/v1/inbox"))
        .bearer_auth("forged.token.value")
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // SIGTERM: a graceful stop, exit status 0.
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut child = running.0.take().unwrap();
    let status = wait_for_exit(&mut child, Duration::from_secs(40)).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the broker did not stop within 40 s of SIGTERM");
    });
    assert!(status.success(), "exit status after SIGTERM: {status}");

    // The log: requests are logged (by route template) …
    let log = std::fs::read_to_string(&stderr_path).unwrap();
    let stdout = std::fs::read_to_string(&stdout_path).unwrap();
    assert!(
        log.contains("/v1/packets/{id}"),
        "request lines are logged:\n{log}"
    );
    assert!(log.contains("/v1/packets/{id}/ack"), "{log}");
    // … but nothing that identifies anyone or anything.
    secrets.extend([
        admin_token,
        cw_token,
        desk_token,
        "forged.token.value".into(),
    ]);
    secrets.extend([
        "Authorization".into(),
        "authorization".into(),
        "Bearer".into(),
        "bearer".into(),
    ]);
    secrets.extend([root["root_fingerprint"].as_str().unwrap().to_owned()]);
    for id in [
        packet.to_string(),
        thread.to_string(),
        admin.id.to_string(),
        caseworker.id.to_string(),
        member.id.to_string(),
    ] {
        secrets.push(id.replace('-', ""));
        secrets.push(id);
    }
    for key in [&admin, &caseworker, &member] {
        secrets.push(key.recipient().as_str().to_owned());
    }
    // Some of the ciphertext, in the encodings a careless log might use.
    let tail = &sealed[sealed.len() - 48..];
    secrets.push(STANDARD.encode(tail));
    secrets.push(tail.iter().map(|b| format!("{b:02x}")).collect());
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the broker's log contains {secret:?}:\n{log}"
        );
        assert!(
            !stdout.contains(secret.as_str()),
            "the broker's stdout contains {secret:?}:\n{stdout}"
        );
    }
    // The client's address and port appear nowhere: the only line naming
    // the loopback address is the startup line with the listen address.
    let loopback: Vec<&str> = log.lines().filter(|l| l.contains("127.0.0.1")).collect();
    assert_eq!(loopback.len(), 1, "{loopback:#?}");
    assert!(
        loopback[0].contains("listening") && loopback[0].contains(&listen),
        "{}",
        loopback[0]
    );

    // purge and migrate run once and exit 0, on the same data.
    for job in ["purge", "migrate"] {
        let out = broker(&[job], &data).stdin(Stdio::null()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "referral-broker {job}: {}: {stderr}",
            out.status
        );
        for id in [packet.to_string(), thread.to_string()] {
            assert!(
                !stderr.contains(&id) && !String::from_utf8_lossy(&out.stdout).contains(&id),
                "{job}"
            );
        }
    }
}
