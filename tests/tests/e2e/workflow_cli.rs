//! The caseworker and desk workflow with the real binaries (SPEC §6, §7,
//! §9 "work" and "offline", §10): the acceptance walkthrough exactly as the
//! README's quick start runs it, bad input refused before anything is sent,
//! the closed loop, forwarding, retries, expiry, and the offline seal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use referral_e2e::deployment::{Broker, Deployment};
use referral_e2e::proxy::TamperingProxy;
use referral_e2e::{Device, TypeScriptAge, canary};
use serde_json::{Value, json};

/// Words of the README's example referral that must never reach the broker.
const CANARIES: [&str; 5] = [
    "Nguyen Thi Example",
    "080-4417-2291",
    "CW-2021-0917",
    "Okubo station",
    "weekday mornings",
];

/// The README's filled-in referral, `docs/examples/referral.json`.
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json")
}

/// The key paths of a JSON document, to compare shapes.
fn shape(v: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = v {
        for (k, child) in map {
            let path = format!("{prefix}{k}");
            out.push(path.clone());
            shape(child, &format!("{path}."), out);
        }
    }
}

/// As the README: `referral new > r.json`, then the filled-in example in its
/// place (with `scope` as its consent scope), in `dir`.
fn write_referral(caseworker: &Device, dir: &Path, name: &str, scope: &str) -> PathBuf {
    let out = caseworker.run_ok(&["new"]);
    let blank: Value = serde_json::from_slice(&out.stdout).expect("new prints JSON");
    let mut filled: Value = serde_json::from_slice(&std::fs::read(example()).unwrap()).unwrap();
    let (mut want, mut got) = (Vec::new(), Vec::new());
    shape(&blank, "", &mut want);
    shape(&filled, "", &mut got);
    want.sort();
    got.sort();
    assert_eq!(got, want, "the example has exactly the blank's fields");
    filled["consent"]["scope"] = json!(scope);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&filled).unwrap()).unwrap();
    path
}

/// A 3 MB "scan": deterministic, incompressible bytes behind a PDF header.
fn write_scan(dir: &Path) -> PathBuf {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while bytes.len() < 3 * 1024 * 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    let path = dir.join("scan.pdf");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn text(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn statuses(thread: &Value) -> Vec<String> {
    thread["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| text(&e["status"]).to_owned())
        .collect()
}

fn inbox_ids(device: &Device) -> Vec<String> {
    device
        .json(&["inbox"])
        .as_array()
        .expect("inbox is a list")
        .iter()
        .map(|p| text(&p["packet_id"]).to_owned())
        .collect()
}

#[test]
fn the_acceptance_walkthrough() {
    // 1–3: the broker on embedded SQLite, claimed; two desks; a caseworker
    // and a desk member enrolled with pinned roots and approved fingerprints.
    let d = Deployment::on(
        Broker::start(),
        &[
            ("covic-intake", "COVIC intake"),
            ("shinjuku-iea", "Shinjuku IEA"),
        ],
    );
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let work = tempfile::tempdir().unwrap();

    // 4: new > r.json, edited; send with a 3 MB scan.
    let referral_path = write_referral(&caseworker, work.path(), "r.json", "this_desk");
    let scan = write_scan(work.path());
    let sent = caseworker.json(&[
        "send",
        "--to",
        "shinjuku-iea",
        referral_path.to_str().unwrap(),
        "--attach",
        scan.to_str().unwrap(),
    ]);
    let packet = text(&sent["packet_id"]).to_owned();
    let thread = text(&sent["thread_id"]).to_owned();
    assert_eq!(sent["recipient_desk"], "shinjuku-iea");
    assert_eq!(
        sent["recipients"], 2,
        "the desk member and the caseworker's own device"
    );
    // Both devices were made with hybrid keys: post-quantum (ADR 0020).
    assert_eq!(sent["post_quantum"], true);
    assert!(sent["bytes"].as_u64().unwrap() > 3 * 1024 * 1024);

    // 5: inbox, open (verify, show, save the attachment), reply accepted.
    let inbox = member.json(&["inbox"]);
    let entries = inbox.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    for field in [
        "packet_id",
        "thread_id",
        "from_desk",
        "bytes",
        "status",
        "received_hour",
    ] {
        assert!(
            entries[0].get(field).is_some(),
            "inbox field {field}: {inbox}"
        );
    }
    assert_eq!(entries[0]["packet_id"], packet.as_str());
    assert_eq!(entries[0]["from_desk"], "covic-intake");

    let saved = work.path().join("saved");
    let opened = member.json(&[
        "open",
        &packet,
        "--save-attachments",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(opened["verified"], true);
    assert_eq!(opened["from_desk"], "covic-intake");
    assert_eq!(opened["thread_id"], thread.as_str());
    assert_eq!(opened["sender_device"], caseworker.device_id().as_str());
    let sent_referral: Value =
        serde_json::from_slice(&std::fs::read(&referral_path).unwrap()).unwrap();
    assert_eq!(opened["referral"], sent_referral);
    let attachment = &opened["attachments"][0];
    assert_eq!(attachment["name"], "scan.pdf");
    assert_eq!(attachment["media_type"], "application/pdf");
    let scan_bytes = std::fs::read(&scan).unwrap();
    assert_eq!(attachment["bytes"], scan_bytes.len() as u64);
    let digest = ring::digest::digest(&ring::digest::SHA256, &scan_bytes);
    assert_eq!(attachment["sha256"], hex(digest.as_ref()));
    assert_eq!(
        std::fs::read(saved.join("scan.pdf")).unwrap(),
        scan_bytes,
        "the attachment arrives byte-identical"
    );
    assert!(
        member.json(&["inbox"]).as_array().unwrap().is_empty(),
        "open acknowledged it"
    );

    // Readable for a person: labelled sections with names, not codes.
    let shown = member.run_ok(&["open", &packet]);
    let shown = String::from_utf8(shown.stdout).unwrap();
    for expected in [
        "Case",
        "Person",
        "Consent",
        "Vietnamese (vi)",
        "Tokyo (JP-13)",
        "vaccination voucher",
        "signature verified",
    ] {
        assert!(
            shown.contains(expected),
            "open shows {expected:?}:\n{shown}"
        );
    }

    let reply = member.json(&[
        "reply",
        &thread,
        "--status",
        "accepted",
        "--message",
        "We will call her on Monday.",
    ]);
    assert_eq!(reply["thread_id"], thread.as_str());
    assert_eq!(reply["status"], "accepted");
    assert!(reply["packet_id"].is_string());

    // 6: the caseworker sees accepted; later the desk completes.
    let seen = caseworker.json(&["thread", &thread]);
    assert_eq!(seen["status"], "accepted");
    assert_eq!(statuses(&seen), ["sent", "received", "accepted"]);
    assert_eq!(seen["events"][2]["message"], "We will call her on Monday.");
    for e in seen["events"].as_array().unwrap() {
        assert!(e["at"].is_string(), "each event has a time: {e}");
    }
    let refused = member.run_fails(&["reply", &thread, "--status", "completed"], 1);
    assert!(refused.contains("--outcome"), "{refused}");
    member.json(&[
        "reply",
        &thread,
        "--status",
        "completed",
        "--outcome",
        "voucher issued",
    ]);
    let done = caseworker.json(&["thread", &thread]);
    assert_eq!(done["status"], "completed");
    assert_eq!(
        statuses(&done),
        ["sent", "received", "accepted", "completed"]
    );
    assert_eq!(done["events"][3]["outcome"], "voucher issued");

    // Both case stores hold the case, and report counts it.
    let cases = caseworker.json(&["cases"]);
    assert_eq!(cases.as_array().unwrap().len(), 1);
    assert_eq!(cases[0]["status"], "completed");
    assert_eq!(
        member
            .json(&["cases", "--status", "completed"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        member
            .json(&["cases", "--status", "sent"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    // 7: none of the referral's words at the broker: database, WAL, spool,
    // logs. The negative control proves that the scan finds what is there.
    let mut files = canary::files_under(&d.broker.data_dir);
    files.push(d.broker.stderr_path.clone());
    files.push(d.broker.stdout_path.clone());
    assert!(files.iter().any(|f| f.ends_with("broker.db")));
    let hits = canary::hits(&files, &CANARIES);
    assert!(hits.is_empty(), "plaintext at the broker: {hits:?}");
    let control = canary::hits(&[example()], &CANARIES);
    assert_eq!(
        control.len(),
        CANARIES.len(),
        "the scan finds the words where they are"
    );
    // The devices' homes (keystore, directory cache, case store, outbox)
    // keep them only encrypted, too; plaintext exists only where the user
    // wrote it (r.json, the saved attachment).
    for device in [&caseworker, &member] {
        let home_hits = canary::hits(&canary::files_under(device.home.path()), &CANARIES);
        assert!(
            home_hits.is_empty(),
            "plaintext in a device's home: {home_hits:?}"
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let work = tempfile::tempdir().unwrap();
    let good = write_referral(&caseworker, work.path(), "good.json", "this_desk");
    let edit = |name: &str, f: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
        f(&mut v);
        let path = work.path().join(name);
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        path
    };
    let bad_language = edit("lang.json", &|v| {
        v["person"]["preferred_language"] = json!("xx")
    });
    let no_consent = edit("consent.json", &|v| v["consent"]["recorded"] = json!(false));
    let two_problems = edit("two.json", &|v| {
        v["case"]["need"] = json!("groceries");
        v["person"]["prefecture"] = json!("JP-99");
    });
    let send = |file: &Path, to: &str, extra: &[&str]| {
        let mut args = vec!["send", "--to", to, file.to_str().unwrap()];
        args.extend_from_slice(extra);
        caseworker.run_fails(&args, 1)
    };

    let err = send(&bad_language, "shinjuku-iea", &[]);
    assert!(
        err.contains("person.preferred_language: \"xx\" is not a known language"),
        "{err}"
    );
    let err = send(&no_consent, "shinjuku-iea", &[]);
    assert!(err.contains("consent.recorded"), "{err}");
    let err = send(&two_problems, "shinjuku-iea", &[]);
    assert!(
        err.contains("case.need") && err.contains("person.prefecture"),
        "every field is named: {err}"
    );
    let err = send(&good, "no-such-desk", &[]);
    assert!(err.contains("no-such-desk"), "{err}");
    let err = send(&work.path().join("missing.json"), "shinjuku-iea", &[]);
    assert!(err.contains("missing.json"), "{err}");
    let missing_attachment = work.path().join("missing.pdf");
    let err = send(
        &good,
        "shinjuku-iea",
        &["--attach", missing_attachment.to_str().unwrap()],
    );
    assert!(err.contains("missing.pdf"), "{err}");
    let err = caseworker.run_fails(
        &[
            "send",
            "--to",
            "shinjuku-iea",
            work.path().to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("cannot read"), "{err}");

    // Nothing reached the broker, and nothing was kept or left to retry.
    assert!(inbox_ids(&member).is_empty());
    assert!(caseworker.json(&["cases"]).as_array().unwrap().is_empty());
    let outbox = caseworker.home.path().join("outbox");
    assert!(
        !outbox.exists() || std::fs::read_dir(&outbox).unwrap().next().is_none(),
        "the outbox is empty"
    );
    // And the same good referral then goes through.
    caseworker.json(&["send", "--to", "shinjuku-iea", good.to_str().unwrap()]);
    assert_eq!(inbox_ids(&member).len(), 1);
}

#[test]
fn the_closed_loop_refuses_illegal_steps() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let work = tempfile::tempdir().unwrap();
    let r = write_referral(&caseworker, work.path(), "r.json", "this_desk");
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", r.to_str().unwrap()]);
    let (packet, thread) = (
        text(&sent["packet_id"]).to_owned(),
        text(&sent["thread_id"]).to_owned(),
    );

    // Not received yet: the desk cannot accept what it has not opened.
    let err = member.run_fails(&["reply", &thread, "--status", "accepted"], 1);
    assert!(
        err.contains("the case is sent") && err.contains("referral open"),
        "{err}"
    );
    member.json(&["open", &packet]);
    // Only the desk accepts; the caseworker may only cancel.
    let err = caseworker.run_fails(&["reply", &thread, "--status", "accepted"], 1);
    assert!(
        err.contains("cancelled"),
        "the error says what is possible: {err}"
    );
    let err = member.run_fails(&["reply", &thread, "--status", "rejected"], 1);
    assert!(err.contains("--reason"), "{err}");
    member.json(&[
        "reply",
        &thread,
        "--status",
        "rejected",
        "--reason",
        "outside our prefecture",
    ]);
    let seen = caseworker.json(&["thread", &thread]);
    assert_eq!(seen["status"], "rejected");
    assert_eq!(
        seen["events"].as_array().unwrap().last().unwrap()["reason"],
        "outside our prefecture"
    );
    // Terminal: nothing more.
    let err = member.run_fails(&["reply", &thread, "--status", "in_progress"], 1);
    assert!(err.contains("No further change"), "{err}");
    let err = caseworker.run_fails(&["reply", &thread, "--status", "cancelled"], 1);
    assert!(err.contains("rejected"), "{err}");
    // A thread that is not this desk's does not exist for it.
    let err = member.run_fails(&["thread", "00000000-0000-4000-8000-000000000000"], 1);
    assert!(err.contains("no case"), "{err}");

    // A second case, cancelled by its sender.
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", r.to_str().unwrap()]);
    let second = text(&sent["thread_id"]).to_owned();
    let cancelled = caseworker.json(&[
        "reply",
        &second,
        "--status",
        "cancelled",
        "--message",
        "She found the voucher",
    ]);
    assert_eq!(cancelled["status"], "cancelled");
    let rows = caseworker.json(&["cases", "--status", "cancelled"]);
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["thread_id"], second.as_str());
}

#[test]
fn forwarding_needs_onward_consent_and_closes_the_original() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea", "osaka-ngo"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let (osaka, _) = d.enroll("osaka-ngo", "desk");
    let work = tempfile::tempdir().unwrap();
    let scan = write_scan(work.path());

    // Consent for this desk only: refused, and nothing changes.
    let only_here = write_referral(&caseworker, work.path(), "here.json", "this_desk");
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", only_here.to_str().unwrap()]);
    let packet = text(&sent["packet_id"]).to_owned();
    member.json(&["open", &packet]);
    let err = member.run_fails(&["forward", &packet, "--to", "osaka-ngo"], 1);
    assert!(err.contains("consent"), "{err}");
    assert!(inbox_ids(&osaka).is_empty());

    // Onward referral allowed: forwarded with its attachment and a note.
    let onward = write_referral(
        &caseworker,
        work.path(),
        "onward.json",
        "onward_referral_allowed",
    );
    let sent = caseworker.json(&[
        "send",
        "--to",
        "shinjuku-iea",
        onward.to_str().unwrap(),
        "--attach",
        scan.to_str().unwrap(),
    ]);
    let (packet, thread) = (
        text(&sent["packet_id"]).to_owned(),
        text(&sent["thread_id"]).to_owned(),
    );
    // Not before this device has opened it.
    let err = member.run_fails(&["forward", &packet, "--to", "osaka-ngo"], 1);
    assert!(err.contains("referral open"), "{err}");
    member.json(&["open", &packet]);
    let fwd = member.json(&[
        "forward",
        &packet,
        "--to",
        "osaka-ngo",
        "--note",
        "She moved to Osaka",
    ]);
    for field in [
        "packet_id",
        "thread_id",
        "recipient_desk",
        "recipients",
        "bytes",
    ] {
        assert!(fwd.get(field).is_some(), "forward field {field}: {fwd}");
    }
    assert_eq!(fwd["recipient_desk"], "osaka-ngo");
    assert_ne!(
        fwd["thread_id"],
        thread.as_str(),
        "a forward opens a new thread"
    );

    let saved = work.path().join("osaka");
    let opened = osaka.json(&[
        "open",
        text(&fwd["packet_id"]),
        "--save-attachments",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(opened["verified"], true);
    assert_eq!(opened["from_desk"], "shinjuku-iea");
    assert_eq!(opened["forward"]["note"], "She moved to Osaka");
    let sent_referral: Value = serde_json::from_slice(&std::fs::read(&onward).unwrap()).unwrap();
    assert_eq!(opened["referral"], sent_referral);
    assert_eq!(
        std::fs::read(saved.join("scan.pdf")).unwrap(),
        std::fs::read(&scan).unwrap()
    );

    // The original is forwarded, for the desk and for the caseworker.
    assert_eq!(caseworker.json(&["thread", &thread])["status"], "forwarded");
    assert_eq!(member.json(&["thread", &thread])["status"], "forwarded");
    // A forwarded case cannot be forwarded again.
    let err = member.run_fails(&["forward", &packet, "--to", "osaka-ngo"], 1);
    assert!(err.contains("forwarded"), "{err}");
}

#[test]
fn a_lost_answer_is_retried_with_the_same_packet_and_stored_once() {
    let broker = Broker::start();
    let proxy = TamperingProxy::start(&broker.url);
    let d = Deployment::on(
        broker,
        &[("covic-intake", "COVIC"), ("shinjuku-iea", "IEA")],
    );
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    // The caseworker talks to the broker through the unreliable proxy.
    let code = d.invite("covic-intake", "caseworker");
    let caseworker = Device::new("cw passphrase");
    caseworker.json(&[
        "init",
        "--broker",
        &proxy.url,
        "--root-fingerprint",
        &d.root_fingerprint,
    ]);
    let enrolled = caseworker.json(&["enroll", "--code", &code]);
    d.admin.json(&[
        "admin",
        "approve",
        text(&enrolled["request_id"]),
        "--fingerprint",
        text(&enrolled["fingerprint"]),
    ]);
    caseworker.run_ok(&["directory"]);
    let work = tempfile::tempdir().unwrap();
    let r = write_referral(&caseworker, work.path(), "r.json", "this_desk");

    // One answer lost: the retry (same id, same bytes) gets the receipt.
    proxy.lose_packet_answers(1);
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", r.to_str().unwrap()]);
    assert_eq!(
        inbox_ids(&member),
        [text(&sent["packet_id"]).to_owned()],
        "stored once"
    );

    // Every answer lost: exit 3, the sealed packet kept; the same command
    // run again posts the same packet, which the broker stores once.
    proxy.lose_packet_answers(100);
    let err = caseworker.run_fails(&["send", "--to", "shinjuku-iea", r.to_str().unwrap()], 3);
    assert!(err.contains("run the same command again"), "{err}");
    let stored = inbox_ids(&member);
    assert_eq!(stored.len(), 2, "the first attempt reached the broker");
    proxy.lose_packet_answers(0);
    let again = caseworker.json(&["send", "--to", "shinjuku-iea", r.to_str().unwrap()]);
    assert_eq!(
        stored[1],
        text(&again["packet_id"]),
        "the retry is the same packet"
    );
    assert_eq!(inbox_ids(&member).len(), 2, "no duplicate");
    // A new send of the same file afterwards is a new referral.
    let third = caseworker.json(&["send", "--to", "shinjuku-iea", r.to_str().unwrap()]);
    assert_ne!(third["packet_id"], again["packet_id"]);
}

#[test]
fn an_unread_referral_expires_for_its_sender() {
    let d = Deployment::on(
        Broker::start_with_config("ttl_secs = 1\npurge_interval_secs = 1\n"),
        &[("covic-intake", "COVIC"), ("shinjuku-iea", "IEA")],
    );
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    d.enroll("shinjuku-iea", "desk");
    let work = tempfile::tempdir().unwrap();
    let r = write_referral(&caseworker, work.path(), "r.json", "this_desk");
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", r.to_str().unwrap()]);
    let thread = text(&sent["thread_id"]).to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let seen = caseworker.json(&["thread", &thread]);
        if seen["status"] == "expired" {
            assert_eq!(statuses(&seen), ["sent", "expired"]);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never expired: {seen}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        caseworker
            .json(&["cases", "--status", "expired"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn seal_and_unseal_work_without_the_broker_and_are_standard_age() {
    let mut d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let work = tempfile::tempdir().unwrap();
    let r = write_referral(&caseworker, work.path(), "r.json", "this_desk");
    let scan = write_scan(work.path());
    let identity = member.run_ok(&["export-identity"]).stdout;
    let identity_path = work.path().join("member.identity");
    std::fs::write(&identity_path, identity).unwrap();

    // Offline, the caseworker uses the directory it last verified, which
    // predates the desk member's enrollment: it says so, and how to fix it.
    let usb = work.path().join("usb.age");
    let err = caseworker.run_fails(
        &[
            "seal",
            "--to",
            "shinjuku-iea",
            r.to_str().unwrap(),
            "--out",
            usb.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("referral directory"), "{err}");
    caseworker.run_ok(&["directory"]);
    d.broker.terminate(Duration::from_secs(10));
    let sealed = caseworker.json(&[
        "seal",
        "--to",
        "shinjuku-iea",
        r.to_str().unwrap(),
        "--attach",
        scan.to_str().unwrap(),
        "--out",
        usb.to_str().unwrap(),
    ]);
    assert_eq!(sealed["recipient_desk"], "shinjuku-iea");
    let err = caseworker.run_fails(
        &[
            "seal",
            "--to",
            "shinjuku-iea",
            r.to_str().unwrap(),
            "--out",
            usb.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("already exists"), "{err}");

    // Standard age reads it with the desk member's identity: every device
    // here has a hybrid key, so it is post-quantum, and TypeScript age (Go
    // age 1.1 knows no hybrid keys) is the independent reader.
    assert_eq!(sealed["post_quantum"], true, "{sealed}");
    let plain = TypeScriptAge::new()
        .decrypt(&identity_path, &usb)
        .unwrap_or_else(|e| panic!("TypeScript age could not read the sealed file: {e}"));
    assert!(plain.starts_with(b"RFPK\x02"));

    let saved = work.path().join("saved");
    let opened = member.json(&[
        "unseal",
        usb.to_str().unwrap(),
        "--save-attachments",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(opened["verified"], true);
    assert_eq!(opened["packet_id"], sealed["packet_id"]);
    assert_eq!(opened["from_desk"], "covic-intake");
    assert_eq!(opened["referral"]["person"]["preferred_language"], "vi");
    assert_eq!(
        std::fs::read(saved.join("scan.pdf")).unwrap(),
        std::fs::read(&scan).unwrap()
    );
    assert_eq!(member.json(&["cases"]).as_array().unwrap().len(), 1);

    // A flipped byte is refused as a verification failure, and not kept.
    let mut bytes = std::fs::read(&usb).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    let damaged = work.path().join("damaged.age");
    std::fs::write(&damaged, bytes).unwrap();
    member.run_fails(&["unseal", damaged.to_str().unwrap()], 4);
}
