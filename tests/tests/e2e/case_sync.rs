//! The caseworker's list is current (issue 15 item 2, ADR 0014), with the
//! real broker and the real CLI: after the desk replies, `cases` and
//! `report` show it without `thread` being run; the sync is one list
//! request however many cases; with the broker stopped both still show the
//! last state, exit 0, and say as of when.

use std::path::{Path, PathBuf};
use std::time::Duration;

use referral_e2e::Device;
use referral_e2e::deployment::{Broker, Deployment};
use serde_json::Value;

/// The README's filled-in referral.
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json")
}

/// How many requests the broker answered on `route` with `status`, from its
/// own Prometheus counters.
fn answered(broker: &Broker, route: &str, status: u16) -> u64 {
    let text = reqwest::blocking::get(format!("{}/metrics", broker.url))
        .and_then(|r| r.text())
        .expect("the broker's /metrics");
    let series = format!("referral_http_requests_total{{route=\"{route}\",status=\"{status}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0, |n| n.trim().parse().expect("a count"))
}

fn send(caseworker: &Device, desk: &str) -> String {
    let sent = caseworker.json(&["send", "--to", desk, example().to_str().unwrap()]);
    sent["thread_id"].as_str().expect("thread_id").to_owned()
}

fn status_of(cases: &Value, thread: &str) -> (String, String) {
    let row = cases
        .as_array()
        .expect("cases is a list")
        .iter()
        .find(|c| c["thread_id"] == thread)
        .unwrap_or_else(|| panic!("case {thread} listed: {cases}"));
    (
        row["status"].as_str().unwrap().to_owned(),
        row["status_source"].as_str().unwrap().to_owned(),
    )
}

fn outcome_count(report: &Value, status: &str) -> u64 {
    report["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["status"] == status)
        .map_or(0, |o| o["count"].as_u64().unwrap())
}

#[test]
fn cases_and_report_are_current_without_thread_and_say_when_they_are_not() {
    let mut d = Deployment::on(
        Broker::start(),
        &[
            ("covic-intake", "COVIC intake"),
            ("shinjuku-iea", "Shinjuku IEA"),
        ],
    );
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");

    // Three cases; the desk opens each and accepts the first two.
    let threads: Vec<String> = (0..3).map(|_| send(&caseworker, "shinjuku-iea")).collect();
    let first = caseworker.json(&["cases"]);
    for t in &threads {
        assert_eq!(status_of(&first, t), ("sent".into(), "packet".into()));
    }
    for packet in member.json(&["inbox"]).as_array().unwrap() {
        member.json(&["open", packet["packet_id"].as_str().unwrap()]);
    }
    for t in &threads[..2] {
        member.json(&[
            "reply",
            t,
            "--status",
            "accepted",
            "--message",
            "We will call her on Monday.",
        ]);
    }

    // `cases`, without `thread`: accepted, from the signed reply, in one
    // list request for all three cases and none per case.
    let (lists, singles) = (
        answered(&d.broker, "/v1/threads", 200),
        answered(&d.broker, "/v1/threads/{id}", 200),
    );
    let cases = caseworker.json(&["cases"]);
    assert_eq!(
        answered(&d.broker, "/v1/threads", 200),
        lists + 1,
        "one list request"
    );
    assert_eq!(
        answered(&d.broker, "/v1/threads/{id}", 200),
        singles,
        "none per case"
    );
    for t in &threads[..2] {
        assert_eq!(status_of(&cases, t), ("accepted".into(), "packet".into()));
    }
    // The third was opened but not answered: the broker alone saw that,
    // and says so (ADR 0010).
    assert_eq!(
        status_of(&cases, &threads[2]),
        ("received".into(), "broker".into())
    );
    for row in cases.as_array().unwrap() {
        assert_eq!(row["stale"], false, "{row}");
        assert!(row["synced_at"].is_string(), "{row}");
    }
    // The replies were acknowledged, as `thread` would have.
    assert!(caseworker.json(&["inbox"]).as_array().unwrap().is_empty());
    let report = caseworker.json(&["report"]);
    assert_eq!(outcome_count(&report, "accepted"), 2, "{report}");
    assert_eq!(report["stale"], false, "{report}");

    // The desk completes the first with an outcome: `report` counts it, and
    // the signed outcome is in the caseworker's store.
    member.json(&[
        "reply",
        &threads[0],
        "--status",
        "completed",
        "--outcome",
        "voucher issued",
    ]);
    let lists = answered(&d.broker, "/v1/threads", 200);
    let report = caseworker.json(&["report"]);
    assert_eq!(answered(&d.broker, "/v1/threads", 200), lists + 1);
    assert_eq!(outcome_count(&report, "completed"), 1, "{report}");
    assert_eq!(outcome_count(&report, "accepted"), 1, "{report}");
    assert_eq!(report["days_to_outcome"]["count"], 1, "{report}");
    // Nothing changed since: the next sync lists nothing and fetches nothing.
    let fetches = answered(&d.broker, "/v1/packets/{id}", 200);
    let again = caseworker.json(&["cases"]);
    assert_eq!(answered(&d.broker, "/v1/packets/{id}", 200), fetches);
    assert_eq!(
        status_of(&again, &threads[0]),
        ("completed".into(), "packet".into())
    );

    // The broker stops: the last state, exit 0, and a note as of when.
    d.broker.terminate(Duration::from_secs(10));
    let out = caseworker.run_ok(&["--json", "cases"]);
    let stale: Value = serde_json::from_slice(&out.stdout).expect("cases --json");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("as of the last sync at") && stderr.contains("UTC"),
        "{stderr}"
    );
    assert_eq!(
        status_of(&stale, &threads[0]),
        ("completed".into(), "packet".into())
    );
    assert_eq!(
        status_of(&stale, &threads[1]),
        ("accepted".into(), "packet".into())
    );
    for row in stale.as_array().unwrap() {
        assert_eq!(row["stale"], true, "{row}");
        assert_eq!(row["synced_at"], again[0]["synced_at"], "{row}");
    }
    let human = caseworker.run_ok(&["cases"]);
    assert!(String::from_utf8_lossy(&human.stderr).contains("as of the last sync"));
    assert!(String::from_utf8_lossy(&human.stdout).contains("completed"));
    let out = caseworker.run_ok(&["--json", "report"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("report --json");
    assert_eq!(report["stale"], true);
    assert_eq!(outcome_count(&report, "completed"), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("as of the last sync"));
    // The outcome's text came with the signed reply the sync kept.
    let thread = caseworker.json(&["thread", &threads[0]]);
    let outcomes: Vec<&Value> = thread["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["outcome"])
        .filter(|o| !o.is_null())
        .collect();
    assert_eq!(outcomes, [&Value::from("voucher issued")]);
}

#[test]
fn a_device_that_never_synced_says_so_offline() {
    let mut d = Deployment::start(&["covic-intake"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    d.broker.terminate(Duration::from_secs(10));
    let out = caseworker.run_ok(&["--json", "cases"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        Value::Array(vec![])
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("never synced"), "{stderr}");
    let out = caseworker.run_ok(&["--json", "report"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&report["stale"], &report["synced_at"]),
        (&Value::Bool(true), &Value::Null)
    );
    // The note is in the user's language; `--json` is not.
    let out = caseworker.run_ok(&["--lang", "ja", "--json", "cases"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("中継サーバーに接続できません"), "{stderr}");
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        Value::Array(vec![])
    );
}
