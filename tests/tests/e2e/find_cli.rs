//! Finding a case and reading ids aloud (issue 15, item 4), with the real
//! binaries and a real broker: ids by a unique prefix of 6 or more
//! characters, fingerprints in groups of four, the case list's reference,
//! name and search, and the directory's languages and prefectures.

use std::path::{Path, PathBuf};

use referral_e2e::deployment::Deployment;
use referral_protocol::Fingerprint;
use serde_json::Value;

fn text(v: &Value) -> &str {
    v.as_str().expect("a string")
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn ok_packets_threads_requests_and_devices_by_a_short_prefix() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");

    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", example().to_str().unwrap()]);
    let (packet, thread) = (text(&sent["packet_id"]), text(&sent["thread_id"]));

    // open by the first 6 characters of the packet id, as read aloud.
    let opened = member.json(&["open", &packet[..6]]);
    assert_eq!(opened["packet_id"], packet);
    assert_eq!(opened["thread_id"], thread);

    // reply and thread by a prefix of the thread id, upper case too.
    let replied = member.json(&["reply", &thread[..6], "--status", "accepted"]);
    assert_eq!(replied["thread_id"], thread);
    let view = caseworker.json(&["thread", &thread[..8].to_uppercase()]);
    assert_eq!(view["thread_id"], thread);
    assert_eq!(view["status"], "accepted");

    // A third device enrolls; the administrator approves it by a request
    // prefix and the fingerprint as people read it, in groups with spaces.
    let code = d.invite("shinjuku-iea", "desk");
    let newcomer = d.new_device("newcomer passphrase");
    let enrolled = newcomer.json(&["enroll", "--code", &code]);
    let request = text(&enrolled["request_id"]);
    let fingerprint: Fingerprint = text(&enrolled["fingerprint"]).parse().unwrap();
    let grouped = fingerprint.to_string();
    assert_eq!(grouped.split(' ').count(), 16, "{grouped}");
    let approved = d
        .admin
        .json(&["admin", "approve", &request[..6], "--fingerprint", &grouped]);
    assert_eq!(approved["request_id"], request);
    // --json keeps the plain digits that scripts compare.
    assert_eq!(approved["fingerprint"], fingerprint.hex().as_str());

    // Revoked by a prefix of its device id.
    let device = newcomer.device_id();
    let revoked = d.admin.json(&["admin", "revoke", &device[..7]]);
    assert_eq!(revoked["device_id"], device.as_str());
}

#[test]
fn fail_a_too_short_an_unknown_or_an_ambiguous_prefix_is_a_user_error() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", example().to_str().unwrap()]);
    let (packet, thread) = (text(&sent["packet_id"]), text(&sent["thread_id"]));

    let err = member.run_fails(&["open", &packet[..5]], 1);
    assert!(err.contains("too short"), "{err}");
    assert!(err.contains('6'), "{err}");

    let unknown = if packet.starts_with("ffffff") {
        "eeeeee"
    } else {
        "ffffff"
    };
    let err = member.run_fails(&["open", unknown], 1);
    assert!(err.contains("No id starts with"), "{err}");

    // Nothing was opened by the refusals: the packet still waits.
    let inbox = member.json(&["inbox"]);
    assert_eq!(inbox[0]["packet_id"], packet);

    // A second case record whose thread id shares the first 8 characters:
    // 6 of them no longer name one case, and both are listed.
    let threads = caseworker.home.path().join("cases/threads");
    let mut chars: Vec<char> = thread.chars().collect();
    // Index 9 is a free hex digit (after the first hyphen), so the twin is
    // still a version-4 id.
    chars[9] = if chars[9] == 'a' { 'b' } else { 'a' };
    let twin: String = chars.into_iter().collect();
    assert_ne!(twin, thread);
    std::fs::copy(
        threads.join(format!("{thread}.age")),
        threads.join(format!("{twin}.age")),
    )
    .unwrap();
    let err = caseworker.run_fails(&["thread", &thread[..6]], 1);
    assert!(err.contains("More than one id"), "{err}");
    assert!(err.contains(thread), "{err}");
    assert!(err.contains(&twin), "{err}");
}

#[test]
fn ok_fingerprints_are_shown_in_groups_of_four() {
    let d = Deployment::start(&["shinjuku-iea"]);
    let (member, enrolled) = d.enroll("shinjuku-iea", "desk");
    let fingerprint: Fingerprint = text(&enrolled["fingerprint"]).parse().unwrap();
    let shown = stdout(&member.run_ok(&["whoami"]));
    assert!(shown.contains(&fingerprint.to_string()), "{shown}");
    assert!(!shown.contains(&fingerprint.hex()), "{shown}");
    let listed = stdout(&member.run_ok(&["directory"]));
    assert!(listed.contains(&fingerprint.to_string()), "{listed}");
    // init takes the root's fingerprint with spaces as well.
    let root: Fingerprint = d.root_fingerprint.parse().unwrap();
    let other = referral_e2e::Device::new("spaced root passphrase");
    other.json(&[
        "init",
        "--broker",
        &d.broker.url,
        "--root-fingerprint",
        &root.to_string(),
    ]);
    // The first sync, at `enroll` (the directory is not public), checks the
    // log's root against that pin: a mismatch would exit 4.
    let code = d.invite("shinjuku-iea", "desk");
    let enrolled = other.json(&["enroll", "--code", &code]);
    assert_eq!(enrolled["desk"], "shinjuku-iea");
}

#[test]
fn ok_cases_shows_reference_and_name_and_search_finds_by_them_or_phone() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", example().to_str().unwrap()]);
    let thread = text(&sent["thread_id"]);
    member.json(&["open", text(&sent["packet_id"])]);

    // Both sides see the reference and the name, decrypted from their own
    // case store.
    for device in [&caseworker, &member] {
        let rows = device.json(&["cases"]);
        assert_eq!(rows[0]["reference"], "CW-2021-0917");
        assert_eq!(rows[0]["name"], "Nguyen Thi Example");
        let shown = stdout(&device.run_ok(&["cases"]));
        assert!(
            shown.contains("CW-2021-0917 · Nguyen Thi Example"),
            "{shown}"
        );
    }

    // The example's phone is 080-4417-2291.
    for query in [
        "cw-2021-0917",
        "NGUYEN thi",
        "080-4417",
        "44172291",
        "0804417 2291",
    ] {
        let rows = caseworker.json(&["cases", "--search", query]);
        assert_eq!(rows.as_array().unwrap().len(), 1, "{query}");
        assert_eq!(rows[0]["thread_id"], thread, "{query}");
    }
    for query in ["tran", "090-4417", "CW-2022"] {
        let rows = caseworker.json(&["cases", "--search", query]);
        assert_eq!(rows, serde_json::json!([]), "{query}");
    }
    let none = stdout(&caseworker.run_ok(&["cases", "--search", "tran"]));
    assert!(
        none.contains("No case in this device's case store matches"),
        "{none}"
    );
    let none_ja = stdout(&caseworker.run_ok(&["--lang", "ja", "cases", "--search", "tran"]));
    assert!(none_ja.contains("一致するものはありません"), "{none_ja}");
}

#[test]
fn ok_directory_shows_and_filters_desks_by_language_and_prefecture() {
    let d = Deployment::start(&[]);
    for (desk, prefecture, languages) in [
        ("shinjuku-iea", "JP-13", "ja,en,vi"),
        ("minato-help", "JP-13", "ja,en"),
        ("osaka-ngo", "JP-27", "ja,vi"),
    ] {
        d.admin.json(&[
            "admin",
            "desk",
            "add",
            desk,
            "--name",
            desk,
            "--prefecture",
            prefecture,
            "--languages",
            languages,
        ]);
    }
    let (caseworker, _) = d.enroll("shinjuku-iea", "caseworker");
    let desks = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["directory"];
        full.extend_from_slice(args);
        caseworker.json(&full)["desks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|desk| text(&desk["desk"]).to_owned())
            .collect()
    };
    assert_eq!(desks(&[]).len(), 3);
    assert_eq!(
        desks(&["--language", "vi", "--prefecture", "JP-13"]),
        ["shinjuku-iea"]
    );
    assert_eq!(desks(&["--language", "vi"]).len(), 2);
    assert_eq!(desks(&["--prefecture", "jp-27"]), ["osaka-ngo"]);
    assert!(desks(&["--language", "ko"]).is_empty());

    // In words, in the user's language.
    let en =
        stdout(&caseworker.run_ok(&["directory", "--language", "vi", "--prefecture", "JP-13"]));
    assert!(en.contains("prefecture: Tokyo (JP-13)"), "{en}");
    assert!(en.contains("Vietnamese (vi)"), "{en}");
    assert!(!en.contains("osaka-ngo"), "{en}");
    let ja = stdout(&caseworker.run_ok(&["--lang", "ja", "directory", "--prefecture", "JP-27"]));
    assert!(ja.contains("都道府県：大阪府 (JP-27)"), "{ja}");
    let none = stdout(&caseworker.run_ok(&["directory", "--language", "ko"]));
    assert!(none.contains("No desk in the directory matches"), "{none}");

    // A code not in the tables is a user error, not an empty list.
    let err = caseworker.run_fails(&["directory", "--language", "xx"], 1);
    assert!(err.contains("not a known language code"), "{err}");
    let err = caseworker.run_fails(&["directory", "--prefecture", "JP-48"], 1);
    assert!(err.contains("JP-01 to JP-47"), "{err}");
}
