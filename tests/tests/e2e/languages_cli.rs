//! `referral` speaks Japanese, English and Vietnamese, in the local time
//! zone (issue 15, item 1; ADR 0012), with the real binaries: a referral
//! sent, opened and accepted, then read as a clerk in Tokyo and a
//! Vietnamese-speaking caseworker would read it.
//!
//! The harness forces English and UTC (`plain_locale`); each check here
//! sets the language or the zone it is about after that.

use std::path::Path;
use std::process::Output;

use referral_e2e::Device;
use referral_e2e::deployment::Deployment;
use serde_json::Value;

fn text(v: &Value) -> &str {
    v.as_str().expect("a string")
}

/// Runs `referral ARGS` with `env` set, asserting success; returns stdout.
fn run_with(device: &Device, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = device.cmd();
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out: Output = cmd.args(args).output().expect("spawn referral");
    assert!(
        out.status.success(),
        "referral {args:?} with {env:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn assert_shows(what: &str, shown: &str, expected: &[&str]) {
    for e in expected {
        assert!(shown.contains(e), "{what} shows {e:?}:\n{shown}");
    }
}

#[test]
fn a_case_read_in_japanese_vietnamese_and_local_time() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json");
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", example.to_str().unwrap()]);
    let (packet, thread) = (text(&sent["packet_id"]), text(&sent["thread_id"]));

    // The desk's clerk opens it in Japanese: labels, enumerations in words,
    // names for codes, the send time in Tokyo time.
    let tokyo = [("TZ", "Asia/Tokyo")];
    let open_ja = run_with(&member, &tokyo, &["--lang", "ja", "open", packet]);
    // Shown with --nocapture: what a clerk reads (the closing note).
    println!("$ referral --lang ja open {packet}\n{open_ja}");
    assert_shows(
        "open --lang ja",
        &open_ja,
        &[
            "紹介の内容",
            "相談内容：",
            "ワクチン接種券",
            "緊急度：",
            "通常",
            "在留資格",
            "在留資格なし",
            "パスポート",
            "ベトナム語（vi）",
            "東京都（JP-13）",
            "この窓口のみ（他の窓口への紹介は不可）",
            "署名を確認済み",
            "JST",
            "回答するには referral reply",
        ],
    );
    assert!(!open_ja.contains("vaccination"), "no codes:\n{open_ja}");
    // The locale alone, without the flag, gives the same Japanese.
    let by_locale = run_with(
        &member,
        &[("TZ", "Asia/Tokyo"), ("LANG", "ja_JP.UTF-8")],
        &["open", packet],
    );
    assert_eq!(by_locale, open_ja, "LANG=ja_JP.UTF-8 is Japanese");

    // The call center's Vietnamese.
    let open_vi = run_with(&member, &[], &["--lang", "vi", "open", packet]);
    assert_shows(
        "open --lang vi",
        &open_vi,
        &[
            "Hồ sơ",
            "nhu cầu:",
            "phiếu tiêm chủng",
            "không có tư cách lưu trú",
            "tiếng Việt (vi)",
            "đã xác minh chữ ký",
        ],
    );

    member.json(&["reply", thread, "--status", "accepted"]);

    // The caseworker's thread in Japanese, Tokyo time: statuses in the
    // glossary's words, signed times to the minute, and the broker's
    // hour-rounded times as the hour they stand for.
    let thread_ja = run_with(&caseworker, &tokyo, &["--lang", "ja", "thread", thread]);
    println!("$ TZ=Asia/Tokyo referral --lang ja thread {thread}\n{thread_ja}");
    assert_shows(
        "thread --lang ja",
        &thread_ja,
        &["案件", "受付", "送信済み", "送信先：shinjuku-iea", "JST"],
    );
    let view = caseworker.json(&["thread", thread]);
    let broker_event = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["source"] == "broker")
        .unwrap_or_else(|| panic!("the broker witnessed the delivery: {view}"));
    // `2026-12-07T05:00:00Z` is 14:00 to 15:00 in Tokyo.
    let utc_hour: u32 = text(&broker_event["at"])[11..13].parse().unwrap();
    let span = format!(
        "{:02}:00～{:02}:00 JST（中継サーバーの記録は1時間単位）",
        (utc_hour + 9) % 24,
        (utc_hour + 10) % 24
    );
    assert!(thread_ja.contains(&span), "{span:?} in:\n{thread_ja}");
    let thread_en = run_with(&caseworker, &tokyo, &["thread", thread]);
    assert!(
        thread_en.contains("(the broker rounds to the hour)"),
        "{thread_en}"
    );

    let cases_ja = run_with(&caseworker, &tokyo, &["--lang", "ja", "cases"]);
    println!("$ TZ=Asia/Tokyo referral --lang ja cases\n{cases_ja}");
    assert_shows(
        "cases --lang ja",
        &cases_ja,
        &[
            "状況",
            "相談内容",
            "受付",
            "ワクチン接種券",
            "ベトナム語",
            "東京都",
            "1件",
        ],
    );

    // Scripts see the same JSON whatever the language.
    for args in [
        vec!["--json", "open", packet],
        vec!["--json", "thread", thread],
        vec!["--json", "cases"],
        vec!["--json", "report", "--format", "json"],
    ] {
        let outputs: Vec<serde_json::Value> = ["en", "ja", "vi"]
            .iter()
            .map(|lang| {
                let mut with_lang = vec!["--lang", lang];
                with_lang.extend(&args);
                without_sync_time(&run_with(&caseworker, &tokyo, &with_lang))
            })
            .collect();
        assert_eq!(outputs[0], outputs[1], "{args:?}: en and ja");
        assert_eq!(outputs[0], outputs[2], "{args:?}: en and vi");
    }
}

/// The JSON a command printed, without `synced_at`: `cases` and `report`
/// sync before they answer, and each run's sync has its own time (two runs
/// can fall in different seconds), which is not what the comparison is about.
fn without_sync_time(json: &str) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("synced_at");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}"));
    strip(&mut value);
    value
}

#[test]
fn the_language_comes_from_the_flag_then_the_posix_variables() {
    let device = Device::new("correct horse battery staple 42");
    device.run_ok(&["init", "--broker", "http://127.0.0.1:8080"]);
    // `cases` on an empty store: one line, in the chosen language.
    let said = |env: &[(&str, &str)], args: &[&str]| {
        let mut all = args.to_vec();
        all.push("cases");
        run_with(&device, env, &all)
    };
    let (en, ja, vi) = ("No cases.", "案件はありません。", "Không có hồ sơ nào.");

    assert_eq!(said(&[("LANG", "ja_JP.UTF-8")], &[]).trim(), ja);
    assert_eq!(
        said(&[("LC_ALL", "vi_VN.UTF-8"), ("LANG", "ja_JP.UTF-8")], &[]).trim(),
        vi
    );
    assert_eq!(
        said(
            &[("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "vi_VN.UTF-8")],
            &[]
        )
        .trim(),
        ja
    );
    assert_eq!(
        said(&[("LC_ALL", "vi_VN"), ("LC_MESSAGES", "ja_JP")], &[]).trim(),
        vi,
        "LC_ALL before LC_MESSAGES"
    );
    assert_eq!(
        said(&[("LC_ALL", "ja_JP.UTF-8")], &["--lang", "en"]).trim(),
        en,
        "--lang before the environment"
    );
    assert_eq!(
        said(&[("LANG", "fr_FR.UTF-8")], &[]).trim(),
        en,
        "no French: English"
    );

    // A language without messages named on purpose is a usage error.
    let err = device.run_fails(&["--lang", "fr", "cases"], 2);
    assert!(err.contains("“fr”"), "{err}");
    assert!(err.contains("--lang en, ja or vi"), "{err}");
    let err = device.run_fails(&["--lang", "fr", "--json", "cases"], 2);
    assert!(err.contains("--lang en, ja or vi"), "{err}");
}
