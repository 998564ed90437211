//! The real `referral-broker` binary (SPEC §8): `serve` on a fresh data
//! directory prints the bootstrap code and writes it 0600; the broker is
//! claimed with the real `referral` CLI and used over HTTP; SIGTERM stops it gracefully (exit 0); its log
//! names no packet, thread, device, desk, token, body, header, user agent
//! or client address (SPEC §2.2); `purge` and `migrate` run once and exit 0.
//!
//! Build the binaries first when running this crate alone:
//! `cargo build -p referral-broker && cargo test -p referral-e2e --test e2e -- broker_binary::`.

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_e2e::deployment::{Broker, Deployment, broker_command};
use referral_protocol::PacketId;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

const USER_AGENT: &str = "canary-agent/7.3 (e2e)";
const CONTENT_CANARY: &str = "CANARY-CONTENT-5c1f9e";
const NAME_CANARY: &str = "CANARY-DESK-NAME-81ab";

#[test]
fn serve_claim_use_sigterm_then_purge_and_migrate() {
    let broker = Broker::start();
    let data = broker.data_dir.clone();
    let (stderr_path, stdout_path) = (broker.stderr_path.clone(), broker.stdout_path.clone());
    let listen = broker.listen.clone();
    let base = broker.url.clone();
    let http = Client::builder()
        .user_agent(USER_AGENT)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // The bootstrap code: printed on stderr, and in a 0600 file.
    let code_file = data.join("bootstrap-code");
    let mode = std::fs::metadata(&code_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "bootstrap-code mode {mode:o}");
    let code = broker.bootstrap_code();
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

    // Claim it with the real CLI, make two desks and a device on each
    // (invite, enroll, approve).
    let intake_name = format!("{NAME_CANARY} covic");
    let iea_name = format!("{NAME_CANARY} shinjuku");
    let dep = Deployment::on(
        broker,
        &[("covic-intake", &intake_name), ("shinjuku-iea", &iea_name)],
    );
    // Claimed: the spent code's file is gone (issue 14, item 6).
    assert!(
        !code_file.exists(),
        "bootstrap-code is removed at the claim"
    );
    let (caseworker, enrolled_cw) = dep.enroll("covic-intake", "caseworker");
    let (member, enrolled_member) = dep.enroll("shinjuku-iea", "desk");
    let admin_token = dep.admin.token();
    let cw_token = caseworker.token();
    let desk_token = member.token();
    let admin_id = dep.admin.device_id();
    let (cw_id, member_id) = (caseworker.device_id(), member.device_id());

    // Send, inbox, fetch, ack, thread.
    let content = format!("{{\"case\":{{\"summary\":\"{CONTENT_CANARY}\"}}}}");
    let sent = dep.send(&caseworker, "shinjuku-iea", &content);
    let (packet, thread, sealed) = (sent.packet_id, sent.thread_id, sent.bytes);
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
    // The packet routes are counted, not logged (below).
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for route in ["/v1/packets/{id}/ack", "/v1/inbox", "/v1/threads/{id}"] {
        assert!(metrics.contains(route), "{route} is counted:\n{metrics}");
    }

    // SIGTERM: a graceful stop, exit status 0.
    let mut dep = dep;
    let status = dep.broker.terminate(Duration::from_secs(40));
    assert!(status.success(), "exit status after SIGTERM: {status}");

    // The log: requests are logged (by route template) …
    let log = std::fs::read_to_string(&stderr_path).unwrap();
    let stdout = std::fs::read_to_string(&stdout_path).unwrap();
    assert!(
        log.contains("/v1/auth/token"),
        "request lines are logged:\n{log}"
    );
    // … except, at the default level, on the packet routes: a line's
    // microsecond timestamp beside the database's order of arrival would
    // give each packet's exact time (issue 14, item 7).
    for route in ["/v1/packets", "/v1/inbox", "/v1/threads"] {
        assert!(
            !log.lines().any(|l| l.contains(route)),
            "a packet request is logged at the default level:\n{log}"
        );
    }
    // … and nothing that identifies anyone or anything.
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
    secrets.push(dep.root_fingerprint.clone());
    for id in [
        packet.to_string(),
        thread.to_string(),
        admin_id,
        cw_id,
        member_id,
    ] {
        secrets.push(id.replace('-', ""));
        secrets.push(id);
    }
    // Fingerprints, request ids and public keys of the devices: none of it
    // belongs in a log. (The bootstrap code does: printing it at first start
    // is how the operator learns it.)
    for enrolled in [&enrolled_cw, &enrolled_member] {
        secrets.push(enrolled["fingerprint"].as_str().unwrap().to_owned());
        secrets.push(enrolled["request_id"].as_str().unwrap().to_owned());
    }
    for device in [&dep.admin, &caseworker, &member] {
        secrets.push(
            device.json(&["whoami"])["age_recipient"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
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

    // An upload spool file left by a crash: `purge` removes it once no
    // upload can still be writing it, but leaves a fresh one (an upload in
    // progress beside it) and anything not named like the broker's.
    let spool = data.join("spool");
    let stale = spool.join("upload-Crash1");
    let fresh = spool.join("upload-Crash2");
    let foreign = spool.join("notes.txt");
    for path in [&stale, &fresh, &foreign] {
        std::fs::write(path, b"ciphertext left behind").unwrap();
    }
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();

    // purge and migrate run once and exit 0, on the same data.
    for job in ["purge", "migrate"] {
        let out = broker_command(&[job], &data)
            .stdin(Stdio::null())
            .output()
            .unwrap();
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
    assert!(!stale.exists(), "purge removes a stale spool file");
    assert!(fresh.exists() && foreign.exists());

    // At start nothing is uploading: every leftover of the broker's goes.
    dep.broker.restart();
    assert!(!fresh.exists(), "start removes every spool leftover");
    assert!(foreign.exists(), "a file the broker did not make stays");
    assert!(!code_file.exists(), "no new code once claimed");
    let status = dep.broker.terminate(Duration::from_secs(40));
    assert!(status.success(), "{status}");
}
