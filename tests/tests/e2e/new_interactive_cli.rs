//! `referral new --interactive` with the real binary (issue 15, item 4):
//! through a real pseudo-terminal in Japanese, and with answers piped in by
//! a script. Each finished referral goes through the same validator that
//! `referral send` runs before it seals, and the one made on a terminal is
//! sent through a real broker.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use referral_e2e::deployment::Deployment;
use referral_e2e::{bin, plain_locale};

/// A whole referral's answers, one a line, in the order asked; numbers and
/// codes mixed, with one bad answer (a need that is no code) re-asked.
const ANSWERS: &str = "C-2026-118\n\
                       housing-ish\n\
                       6\n\
                       urgent\n\
                       Lost her room; needs a shelter tonight\n\
                       \n\
                       vi\n\
                       1\n\
                       090-0000-0000\n\
                       \n\
                       evenings\n\
                       2\n\
                       JP-13\n\
                       Shinjuku\n\
                       4\n\
                       passport 1\n\
                       yes\n\
                       1\n\
                       \n\
                       verbal, by phone\n\
                       8\n";

/// Runs `cmd` with `input` on its stdin.
fn run_with_input(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the answers");
    child.wait_with_output().expect("wait")
}

fn referral_cmd() -> Command {
    let mut cmd = Command::new(bin("referral"));
    plain_locale(&mut cmd);
    cmd
}

/// Checks `text` with the validator `send` uses, and the answers in it.
fn assert_valid_referral(text: &str) {
    let referral = referral_cli::referral::parse(text)
        .unwrap_or_else(|e| panic!("not a valid referral: {e}\n{text}"));
    let value: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(value["case"]["need"], "housing");
    assert_eq!(value["case"]["urgency"], "urgent");
    assert_eq!(value["person"]["prefecture"], "JP-13");
    assert_eq!(
        value["status"]["residence_category"],
        "applying_provisional_release"
    );
    assert_eq!(
        value["status"]["documents_held"],
        serde_json::json!(["passport", "immigration_postcard"])
    );
    assert_eq!(value["consent"]["language"], "vi");
    assert_eq!(referral.case.reference, "C-2026-118");
}

#[test]
fn answers_piped_in_make_a_valid_referral_on_stdout() {
    let mut cmd = referral_cmd();
    cmd.args(["new", "--interactive"]);
    let out = run_with_input(cmd, ANSWERS);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("What does the person need help with?"));
    assert!(stderr.contains("6. housing (housing)"), "{stderr}");
    assert!(
        stderr.contains("\"housing-ish\" is not in the list"),
        "{stderr}"
    );
    assert_valid_referral(&String::from_utf8_lossy(&out.stdout));
}

#[test]
fn with_json_the_document_is_the_referral_in_any_language() {
    let mut outputs = Vec::new();
    for lang in ["en", "ja", "vi"] {
        let mut cmd = referral_cmd();
        // The default consent time is now: pin it by answering it.
        let answers = ANSWERS.replacen("1\n\nverbal", "1\n2026-12-07T10:20:00+09:00\nverbal", 1);
        cmd.args(["--lang", lang, "--json", "new", "--interactive"]);
        let out = run_with_input(cmd, &answers);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_valid_referral(&stdout);
        outputs.push(stdout);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

#[test]
fn input_ending_midway_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.json");
    let mut cmd = referral_cmd();
    cmd.args(["new", "--interactive", "--out"]).arg(&file);
    let first_lines: String = ANSWERS.lines().take(5).map(|l| format!("{l}\n")).collect();
    let out = run_with_input(cmd, &first_lines);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was written"));
    assert!(!file.exists());
}

#[test]
fn an_existing_out_file_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.json");
    std::fs::write(&file, "mine").unwrap();
    let mut cmd = referral_cmd();
    cmd.args(["new", "--interactive", "--out"]).arg(&file);
    let out = run_with_input(cmd, ANSWERS);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

/// `script` (util-linux) runs the command on a new pseudo-terminal and
/// copies its own stdin to it, so the client sees a terminal as a person's.
fn shell_quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn on_a_terminal_it_asks_in_japanese_and_writes_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.json");
    let command = format!(
        "{} --lang ja new --interactive --out {}",
        shell_quoted(&bin("referral")),
        shell_quoted(&file)
    );
    let mut cmd = Command::new("script");
    plain_locale(&mut cmd);
    cmd.args(["-qec", &command, "/dev/null"]);
    let out = run_with_input(cmd, ANSWERS);
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{screen}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(screen.contains("整理番号を入力してください"), "{screen}");
    assert!(
        screen.contains("1. ワクチン接種券（vaccination_voucher）"),
        "{screen}"
    );
    assert!(
        screen.contains("お住まいの都道府県を選んでください。"),
        "{screen}"
    );
    assert!(screen.contains("この回答は使えません"), "{screen}");
    assert!(screen.contains("保存しました"), "{screen}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_valid_referral(&std::fs::read_to_string(&file).unwrap());

    // `send` takes it as it is, through a real broker.
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let _desk = d.enroll("shinjuku-iea", "desk");
    let sent = caseworker.json(&["send", "--to", "shinjuku-iea", file.to_str().unwrap()]);
    assert!(sent["packet_id"].is_string(), "{sent}");
}
