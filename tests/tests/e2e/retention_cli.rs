//! A case the broker deleted after its retention period (ADR 0019 §1), with
//! the real binaries: `referral-broker purge`, run "months later" through
//! the test-only purge clock, deletes the completed case; `referral reply`
//! then says the case is closed at the broker and exits 1, and `referral
//! thread` shows the history this device kept, with a note.

use std::path::Path;
use std::process::Stdio;

use referral_e2e::deployment::{Deployment, broker_command, unix_now};
use serde_json::Value;

fn text(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

#[test]
fn a_case_deleted_at_the_broker_is_explained_from_the_kept_history() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let work = tempfile::tempdir().unwrap();
    // The README's filled-in example.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json");
    let referral = work.path().join("r.json");
    std::fs::copy(example, &referral).unwrap();
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", referral.to_str().unwrap()]);
    let (packet, thread) = (
        text(&sent["packet_id"]).to_owned(),
        text(&sent["thread_id"]).to_owned(),
    );

    // The case runs to its end, and every packet is read.
    member.json(&["open", &packet]);
    member.json(&["reply", &thread, "--status", "accepted"]);
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
    assert_eq!(done["closed_at_broker"], false);

    // The purge, as if run three hours from now with no grace and no
    // retention: acknowledgement times are rounded up to the hour.
    let later = (unix_now() + 3 * 3600).to_string();
    let purge = broker_command(
        &[
            "purge",
            "--ack-grace-secs",
            "0",
            "--thread-retention-days",
            "0",
        ],
        &d.broker.data_dir,
    )
    .env("REFERRAL_BROKER_TEST_PURGE_AT", &later)
    .stdin(Stdio::null())
    .output()
    .expect("run referral-broker purge");
    let said = String::from_utf8_lossy(&purge.stdout);
    assert!(
        purge.status.success(),
        "referral-broker purge: {}: {}",
        purge.status,
        String::from_utf8_lossy(&purge.stderr)
    );
    assert!(said.contains("deleted 1 closed thread"), "{said}");
    assert!(!said.contains(&thread), "the purge names no thread: {said}");

    // A reply on it: closed at the broker, with what to do instead.
    for (device, status) in [(&member, "in_progress"), (&caseworker, "cancelled")] {
        let err = device.run_fails(&["reply", &thread, "--status", status], 1);
        assert!(err.contains("closed at the broker"), "{err}");
        assert!(err.contains(&format!("referral thread {thread}")), "{err}");
        assert!(err.contains("new referral"), "{err}");
    }

    // `thread` shows the kept history, and says why it is all there is.
    let kept = caseworker.json(&["thread", &thread]);
    assert_eq!(kept["status"], "completed");
    assert_eq!(kept["closed_at_broker"], true);
    assert_eq!(kept["offline"], false);
    let statuses: Vec<&str> = kept["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(&e["status"]))
        .collect();
    assert_eq!(statuses, ["sent", "received", "accepted", "completed"]);
    let shown = caseworker.run_ok(&["thread", &thread]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("no longer has this case"), "{shown}");
    assert!(shown.contains("voucher issued"), "{shown}");
    assert_eq!(member.json(&["thread", &thread])["closed_at_broker"], true);

    // An id no device here ever had is still just unknown.
    let err = member.run_fails(
        &[
            "reply",
            "00000000-0000-4000-8000-000000000000",
            "--status",
            "accepted",
        ],
        1,
    );
    assert!(!err.contains("closed at the broker"), "{err}");
}
