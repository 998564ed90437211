//! Attachment names and saving (issue 14, item 3), with the real binaries:
//! `send` refuses a name that would display as another and two attachments
//! named alike; `open --save-attachments` of an older client's packet
//! carrying such names saves each one under a safe name, never through a
//! link planted in the directory (at the final name or at the temporary
//! names earlier versions used), and never over an existing file.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use referral_e2e::Device;
use referral_e2e::deployment::Deployment;
use referral_protocol::{Attachment, AttachmentSource};
use serde_json::Value;

/// The README's example referral.
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json")
}

fn inbox_is_empty(device: &Device) -> bool {
    device
        .json(&["inbox"])
        .as_array()
        .expect("a list")
        .is_empty()
}

#[test]
fn send_refuses_names_that_display_as_another_and_repeated_names() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let work = tempfile::tempdir().unwrap();
    let referral = example();
    let referral = referral.to_str().unwrap();

    // Shows as `Invoice_exe.jpg`.
    let spoof = work.path().join("Invoice_\u{202E}gpj.exe");
    std::fs::write(&spoof, b"MZ").unwrap();
    let err = caseworker.run_fails(
        &[
            "send",
            "--to",
            "shinjuku-iea",
            referral,
            "--attach",
            spoof.to_str().unwrap(),
        ],
        1,
    );
    assert!(
        err.contains("Invoice_<U+202E>gpj.exe") && err.contains("U+202E"),
        "the error names the file, visibly: {err}"
    );
    assert!(!err.contains('\u{202E}'), "{err}");

    let (a, b) = (work.path().join("a"), work.path().join("b"));
    for dir in [&a, &b] {
        std::fs::create_dir(dir).unwrap();
        std::fs::write(dir.join("scan.pdf"), b"%PDF-1.4").unwrap();
    }
    let err = caseworker.run_fails(
        &[
            "send",
            "--to",
            "shinjuku-iea",
            referral,
            "--attach",
            a.join("scan.pdf").to_str().unwrap(),
            "--attach",
            b.join("scan.pdf").to_str().unwrap(),
        ],
        1,
    );
    assert!(
        err.contains("two attachments") && err.contains("scan.pdf"),
        "{err}"
    );
    assert!(inbox_is_empty(&member), "nothing was sent");
}

#[test]
fn open_saves_an_older_clients_names_safely_and_never_through_a_link() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let work = tempfile::tempdir().unwrap();

    // An older client let these through: a right-to-left override, and the
    // same name twice.
    let spoof = "Invoice_\u{202E}gpj.exe";
    let attachment = |name: &str, bytes: &[u8]| Attachment {
        name: name.to_owned(),
        media_type: "application/octet-stream".to_owned(),
        source: AttachmentSource::Bytes(bytes.to_vec()),
    };
    let referral = std::fs::read_to_string(example()).unwrap();
    let sent = d.send_with_attachments(
        &caseworker,
        "shinjuku-iea",
        &referral,
        &[
            attachment(spoof, b"first"),
            attachment("scan.pdf", b"second"),
            attachment("scan.pdf", b"third"),
        ],
    );

    // Another user of a shared directory planted links: at a final name,
    // and at every temporary name earlier versions wrote through.
    let shared = work.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let victim = work.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    symlink(&victim, shared.join("scan.pdf")).unwrap();
    for (i, name) in [spoof, "scan.pdf", "scan.pdf"].iter().enumerate() {
        symlink(&victim, shared.join(format!(".{i}.{name}.partial"))).unwrap();
    }

    let opened = member.json(&[
        "open",
        &sent.packet_id.to_string(),
        "--save-attachments",
        shared.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"precious",
        "no link was written through"
    );
    let saved: Vec<(String, PathBuf)> = opened["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                PathBuf::from(a["saved_to"].as_str().unwrap()),
            )
        })
        .collect();
    // The names as signed, in --json; the files under safe, free names.
    assert_eq!(saved[0].0, spoof);
    assert_eq!(saved[0].1, shared.join("Invoice__gpj.exe"));
    assert_eq!(saved[1].1, shared.join("scan (2).pdf"));
    assert_eq!(saved[2].1, shared.join("scan (3).pdf"));
    for ((_, path), bytes) in saved.iter().zip([&b"first"[..], b"second", b"third"]) {
        assert!(!std::fs::symlink_metadata(path).unwrap().is_symlink());
        assert_eq!(std::fs::read(path).unwrap(), bytes, "{}", path.display());
    }
    assert!(
        std::fs::symlink_metadata(shared.join("scan.pdf"))
            .unwrap()
            .is_symlink(),
        "the planted link is left as it was"
    );
    // No temporary file is left behind.
    let mut names: Vec<String> = std::fs::read_dir(&shared)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".partial"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Invoice__gpj.exe",
            "scan (2).pdf",
            "scan (3).pdf",
            "scan.pdf"
        ]
    );

    // For people: the name shown escaped, where each one went, and why.
    let shown = member.run_ok(&["open", &sent.packet_id.to_string()]);
    let stdout = String::from_utf8_lossy(&shown.stdout);
    assert!(stdout.contains("Invoice_<U+202E>gpj.exe"), "{stdout}");
    assert!(!stdout.contains('\u{202E}'), "{stdout}");
    let again = work.path().join("again");
    let shown = member.run_ok(&[
        "open",
        &sent.packet_id.to_string(),
        "--save-attachments",
        again.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&shown.stderr);
    assert!(
        stderr.contains("Invoice_<U+202E>gpj.exe") && stderr.contains("Invoice__gpj.exe"),
        "the renaming is said: {stderr}"
    );
    let value: Value = member.json(&["open", &sent.packet_id.to_string()]);
    assert_eq!(value["attachments"][0]["name"], spoof);
}
