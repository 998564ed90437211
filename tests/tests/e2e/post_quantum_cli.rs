//! The move to post-quantum packets as people see it (ADR 0020), with the
//! real binaries: a desk that still has a device with classic keys only (one
//! enrolled before ADR 0020, played here by a request that names no hybrid
//! key) gets classic packets, and the sender is told which device holds it
//! back; `referral directory` marks that device; under `admin key-policy
//! --require-post-quantum` nothing is sent while it is there; once it is
//! gone, packets are post-quantum again.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_e2e::deployment::{Deployment, Sent};
use referral_e2e::ui::UiApp;
use referral_protocol::directory::{RETIRED_KEY_GRACE_SECS, enrollment_proof};
use referral_protocol::{
    AgeIdentity, ContentType, DeviceId, PacketId, Role, SealRequest, Sender, SigningKey, ThreadId,
    seal,
};
use serde_json::{Value, json};

/// Enrolls a device at `desk` the way a client made before ADR 0020 did:
/// an X25519 key and no hybrid one. Returns its id.
fn enroll_classic_device(dep: &Deployment, desk: &str) -> String {
    let code = dep.invite(desk, "desk");
    let (id, key) = (DeviceId::random(), SigningKey::generate().unwrap());
    let classic = AgeIdentity::generate_classic().recipient();
    let desk_id = desk.parse().unwrap();
    let proof = enrollment_proof(
        &id,
        Some(&desk_id),
        Role::Desk,
        &key.verifying_key(),
        &classic,
        None,
        &key,
    );
    let receipt: Value = reqwest::blocking::Client::new()
        .post(format!("{}/v1/enrollments", dep.broker.url))
        .json(&json!({
            "code": code,
            "device_id": id,
            "signing_key": key.verifying_key(),
            "age_recipient": classic,
            "device_signature": STANDARD.encode(proof),
        }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    dep.admin.json(&[
        "admin",
        "approve",
        receipt["request_id"].as_str().unwrap(),
        "--fingerprint",
        receipt["fingerprint"].as_str().unwrap(),
    ]);
    id.to_string()
}

#[test]
fn a_classic_device_holds_its_desk_back_until_it_is_gone() {
    let dep = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = dep.enroll("covic-intake", "caseworker");
    let (member, _) = dep.enroll("shinjuku-iea", "desk");
    let old_laptop = enroll_classic_device(&dep, "shinjuku-iea");
    // The README's filled-in example referral.
    let referral =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json");
    let send = || {
        caseworker
            .cmd()
            .args(["--json", "send", "--to", "shinjuku-iea"])
            .arg(&referral)
            .output()
            .unwrap()
    };
    // A send that must succeed: its report, and what it said on stderr.
    let sent_ok = || {
        let out = send();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (report, stderr)
    };

    // The directory marks the device, in words.
    let listing = String::from_utf8(member.run_ok(&["directory"]).stdout).unwrap();
    let line = listing
        .lines()
        .find(|l| l.contains(&old_laptop))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(line.contains("classic keys only"), "{line}");
    // And the administrator's web app, in Japanese.
    let app = UiApp::start(&dep.admin, &[]);
    assert!(app.enter().status().is_success());
    let devices = app.page("/lang?to=ja&back=/admin/devices");
    let row = devices
        .split("<tr>")
        .find(|r| r.contains(&old_laptop))
        .unwrap_or_else(|| panic!("{devices}"));
    assert!(row.contains("従来方式の鍵のみ"), "{row}");
    let hybrid_rows = devices
        .split("<tr>")
        .filter(|r| r.contains(&member.device_id()));
    for r in hybrid_rows {
        assert!(!r.contains("従来方式の鍵のみ"), "{r}");
    }
    drop(app);

    // 1. Sealed classic, with a warning naming the device and its desk.
    let (sent, warning) = sent_ok();
    assert_eq!(sent["post_quantum"], false, "{sent}");
    assert!(
        warning.contains(&format!("shinjuku-iea: {old_laptop}"))
            && warning.contains("referral rotate"),
        "{warning}"
    );
    // The hybrid member still reads it: classic was the only way to reach
    // every device of the desk.
    let packet = sent["packet_id"].as_str().unwrap();
    let opened = member.json(&["open", packet]);
    assert_eq!(opened["verified"], true, "{opened}");

    // 2. Under the policy nothing is sent, and the same device is named.
    let policy = dep
        .admin
        .json(&["admin", "key-policy", "--require-post-quantum"]);
    assert_eq!(policy["post_quantum_required"], true, "{policy}");
    assert_eq!(policy["classic_devices"], json!([old_laptop]), "{policy}");
    let before = member.json(&["inbox"]).as_array().unwrap().len();
    let out = send();
    assert_eq!(out.status.code(), Some(1));
    let refusal = String::from_utf8_lossy(&out.stderr);
    assert!(
        refusal.contains(&format!("shinjuku-iea: {old_laptop}"))
            && refusal.contains("Nothing was sent"),
        "{refusal}"
    );
    assert_eq!(member.json(&["inbox"]).as_array().unwrap().len(), before);
    // In Japanese too.
    let out = caseworker
        .cmd()
        .args(["--lang", "ja", "send", "--to", "shinjuku-iea"])
        .arg(&referral)
        .output()
        .unwrap();
    let ja = String::from_utf8_lossy(&out.stderr);
    assert!(ja.contains("耐量子") && ja.contains(&old_laptop), "{ja}");

    // 3. The old laptop is revoked: every device left has a hybrid key, and
    // the packet is post-quantum.
    dep.admin.json(&["admin", "revoke", &old_laptop]);
    let (sent, stderr) = sent_ok();
    assert_eq!(sent["post_quantum"], true, "{sent}");
    assert!(!stderr.contains("classic"), "{stderr}");
    let packet = sent["packet_id"].as_str().unwrap();
    let opened = member.json(&["open", packet]);
    assert_eq!(opened["verified"], true, "{opened}");

    // 4. A downgrade: the caseworker's own key signs a packet sealed to the
    // devices' X25519 keys although each now has a hybrid one (what a
    // tampered client, or a thief with a leaked X25519 key and the signing
    // key, would send). The broker cannot tell; the reader refuses it.
    caseworker.run_ok(&["directory"]);
    let log = caseworker.verified_log();
    let keys = caseworker.unlock();
    let (to, own) = (
        "shinjuku-iea".parse().unwrap(),
        "covic-intake".parse().unwrap(),
    );
    // Dated past the grace a sender gets to sync the revocation (a
    // revocation seconds ago still lets a classic packet through).
    let now = time_now() + RETIRED_KEY_GRACE_SECS + 60;
    let mut classic = log.state().encryption_keys(&to, now, None);
    classic.extend(log.state().encryption_keys(&own, now, None));
    let content = std::fs::read(&referral).unwrap();
    let (packet_id, thread_id) = (PacketId::random(), ThreadId::random());
    let mut bytes = Vec::new();
    seal(
        &SealRequest {
            packet_id,
            thread_id,
            created_at: now,
            sender: Sender {
                device: keys.device_id(),
                desk: own.clone(),
                key: keys.signing_key(),
            },
            recipient_desk: to,
            recipients: classic,
            content_type: ContentType::referral_v1(),
            content: &content,
            attachments: &[],
        },
        &mut bytes,
    )
    .unwrap();
    let downgrade = Sent {
        packet_id,
        thread_id,
        recipient_desk: "shinjuku-iea".into(),
        bytes,
    };
    let posted = downgrade
        .post(
            &reqwest::blocking::Client::new(),
            &dep.broker.url,
            &caseworker.token(),
        )
        .unwrap();
    assert_eq!(posted.status(), reqwest::StatusCode::CREATED);
    let refused = member.run_fails(&["open", &packet_id.to_string()], 4);
    assert!(
        refused.contains("downgrade") || refused.contains("classic encryption"),
        "{refused}"
    );
    let refused = member.run_fails(&["--lang", "ja", "open", &packet_id.to_string()], 4);
    assert!(refused.contains("従来方式"), "{refused}");
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
