//! The desk's view of a case comes from signed packets only (issue 14, item
//! 4), with the real binaries: a device of a third desk signs a reply that
//! claims to complete someone else's case, and the caseworker's CLI refuses
//! it, says why, and shows it nowhere.
//!
//! An honest broker refuses such a reply (the sending desk is not a party to
//! the thread), so the forged packet reaches the caseworker the way a
//! colluding broker would hand it over: as a packet file, which `unseal`
//! verifies and records exactly as `open` and `thread` do.

use std::path::Path;

use referral_cli::workflow::content::ReplyContent;
use referral_e2e::deployment::Deployment;
use referral_protocol::{PacketId, SealRequest, Sender, ThreadId, ThreadStatus};
use serde_json::Value;

fn text(v: &Value) -> &str {
    v.as_str().expect("a string")
}

#[test]
fn a_third_desk_cannot_complete_someone_elses_case() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea", "osaka-ngo"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let (osaka, _) = d.enroll("osaka-ngo", "desk");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json");

    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", example.to_str().unwrap()]);
    let (packet, thread) = (text(&sent["packet_id"]), text(&sent["thread_id"]));
    member.json(&["open", packet]);
    member.json(&["reply", thread, "--status", "accepted"]);
    assert_eq!(caseworker.json(&["thread", thread])["status"], "accepted");

    // osaka-ngo's enrolled device signs "completed, voucher issued" on the
    // caseworker's thread, encrypted to the caseworker's key.
    let keys = osaka.unlock();
    let reply = ReplyContent::new(
        ThreadStatus::Completed,
        None,
        None,
        Some("voucher issued".into()),
    )
    .unwrap();
    let content = serde_json::to_vec(&reply).unwrap();
    let request = SealRequest {
        packet_id: PacketId::random(),
        thread_id: thread.parse::<ThreadId>().unwrap(),
        created_at: time_now(),
        sender: Sender {
            device: keys.device_id(),
            desk: "osaka-ngo".parse().unwrap(),
            key: keys.signing_key(),
        },
        recipient_desk: "covic-intake".parse().unwrap(),
        // To the caseworker's hybrid key, as a current client seals: the
        // refusal under test is the third desk, not the encryption.
        recipients: vec![
            caseworker
                .unlock()
                .current_public_keys()
                .pq_recipient
                .expect("a device made since ADR 0020 has a hybrid key"),
        ],
        content_type: ReplyContent::content_type(),
        content: &content,
        attachments: &[],
    };
    let mut forged = Vec::new();
    referral_protocol::seal(&request, &mut forged).unwrap();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("forged.age");
    std::fs::write(&file, forged).unwrap();

    // Refused as a verification failure, naming the desks.
    let err = caseworker.run_fails(&["unseal", file.to_str().unwrap()], 4);
    assert!(err.contains("not a party"), "{err}");
    assert!(err.contains("osaka-ngo"), "{err}");
    assert!(err.contains("covic-intake and shinjuku-iea"), "{err}");

    // Nowhere to be seen: cases, report and thread still say accepted.
    let rows = caseworker.json(&["cases"]);
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["status"], "accepted");
    assert_eq!(rows[0]["status_source"], "packet");
    let report = caseworker.json(&["report", "--format", "json"]);
    let completed = report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["status"] == "completed")
        .unwrap();
    assert_eq!(completed["count"], 0, "{report}");
    let seen = caseworker.json(&["thread", thread]);
    assert_eq!(seen["status"], "accepted");
    assert_eq!(seen["status_source"], "packet");
    assert!(
        seen["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] != "completed"),
        "{seen}"
    );
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
