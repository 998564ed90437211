//! Text from other people never drives the desk's terminal (issue 14,
//! item 2): a catalogue of terminal escape sequences, overwriting controls
//! and bidirectional or invisible formatting characters, put in every
//! free-text field of real packets sent through the real broker, in desk
//! names, and in a broker's error message, is shown by `open`, `inbox`,
//! `thread`, `cases`, `report` and `directory` with no raw control or
//! formatting character but newline and tab, and a forged line of ours
//! (`  consent scope: ...`) never appears as a line of its own. `--json` still
//! carries the text exactly as it was signed.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Output;

use referral_e2e::Device;
use referral_e2e::deployment::{Broker, Deployment};
use referral_protocol::text::is_unsafe_to_show;
use serde_json::{Value, json};

/// Every way the review found, and a few more, to redraw a terminal.
const CATALOGUE: &str = concat!(
    "\u{1b}[2K",                               // erase the line
    "\u{1b}[1A",                               // cursor up
    "\u{1b}[1;1H",                             // cursor home
    "\u{1b}]8;;https://evil.example/\u{1b}\\", // OSC 8 hyperlink
    "click",
    "\u{1b}]8;;\u{1b}\\",
    "\u{1b}]0;window title\u{7}",       // OSC 0 title, BEL-terminated
    "\u{7}",                            // BEL
    "\u{9b}2K",                         // C1 CSI
    "\u{85}",                           // C1 next line
    "\r",                               // overwrite from column 0
    "\u{8}\u{8}",                       // backspace
    "\u{7f}",                           // DEL
    "\u{202E}gpj.exe",                  // right-to-left override
    "\u{2066}\u{2069}\u{202A}\u{202C}", // isolates, embeddings
    "\u{200B}\u{200D}\u{200E}\u{200F}\u{2060}", // zero-width and marks
    "\u{FEFF}\u{061C}\u{2028}\u{2029}",
);

/// A line of ours, as a hostile text would forge it after a newline.
const FORGED_LINE: &str = "  consent scope: onward referral allowed";

/// `label` with the catalogue and a forged line in it.
fn hostile(label: &str) -> String {
    format!("{label} {CATALOGUE} end\n{FORGED_LINE}\n\tindented {CATALOGUE}")
}

/// A referral whose every string (codes included, as a hostile or older
/// sender's software would send them) carries the catalogue.
fn hostile_referral(scope: &str) -> Value {
    json!({
        "schema": "referral.v1",
        "case": {
            "reference": hostile("reference"),
            "need": hostile("need"),
            "urgency": hostile("urgency"),
            "summary": hostile("summary"),
        },
        "person": {
            "name": hostile("name"),
            "preferred_language": hostile("language"),
            "interpreter_needed": true,
            "contact": {
                "phone": hostile("phone"),
                "other": hostile("other"),
                "best_times": hostile("best times"),
                "desk_may_call": true,
            },
            "prefecture": hostile("prefecture"),
            "municipality": hostile("municipality"),
        },
        "status": {
            "residence_category": hostile("category"),
            "documents_held": [hostile("document")],
        },
        "consent": {
            "recorded": true,
            "scope": scope,
            "obtained_at": hostile("obtained at"),
            "method": hostile("method"),
            "language": hostile("consent language"),
        }
    })
}

/// Asserts that `out` (a whole run's stdout and stderr) carries no raw
/// control or formatting character but newline and tab, that the forged
/// line is not a line of its own, and that the catalogue did get there,
/// escaped (`must_show`).
fn assert_shown_safely(what: &str, out: &Output, must_show: &[&str]) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        for c in text.chars() {
            assert!(
                c == '\n' || c == '\t' || !is_unsafe_to_show(c),
                "{what}: U+{:04X} reached the terminal on {stream}:\n{text}",
                u32::from(c)
            );
        }
        for line in text.lines() {
            assert_ne!(
                line, FORGED_LINE,
                "{what}: the forged line stands alone on {stream}:\n{text}"
            );
        }
    }
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("<U+001B>[2K<U+001B>[1A"),
        "{what}: the escapes are shown, visibly:\n{all}"
    );
    assert!(all.contains("<U+202E>gpj.exe"), "{what}:\n{all}");
    for text in must_show {
        assert!(all.contains(text), "{what} shows {text:?}:\n{all}");
    }
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_owned()
}

#[test]
fn packet_and_directory_text_cannot_drive_the_terminal() {
    // A desk whose display name (an administrator's free text) carries the
    // formatting characters: the directory refuses controls in names, but
    // not these.
    let d = Deployment::on(
        Broker::start(),
        &[
            ("covic-intake", "COVIC intake"),
            (
                "shinjuku-iea",
                "Shinjuku \u{202E}AEI\u{2066}\u{200B}\u{FEFF}\u{061C}",
            ),
            ("osaka-ngo", "Osaka NGO"),
        ],
    );
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let (osaka, _) = d.enroll("osaka-ngo", "desk");

    let shown = member.run_ok(&["directory"]);
    let listing = String::from_utf8_lossy(&shown.stdout);
    assert!(
        listing.contains("Shinjuku <U+202E>AEI<U+2066><U+200B><U+FEFF><U+061C>"),
        "{listing}"
    );
    for c in listing.chars() {
        assert!(c == '\n' || !is_unsafe_to_show(c), "U+{:04X}", u32::from(c));
    }
    let audit = d.admin.run_ok(&["admin", "audit"]);
    for c in String::from_utf8_lossy(&audit.stdout).chars() {
        assert!(c == '\n' || !is_unsafe_to_show(c), "U+{:04X}", u32::from(c));
    }

    // A referral whose every field is hostile, sealed as a hostile client
    // would (the real `send` refuses its codes) and sent for real.
    let referral = hostile_referral("this_desk");
    let sent = d.send(&caseworker, "shinjuku-iea", &referral.to_string());
    let (packet, thread) = (sent.packet_id.to_string(), sent.thread_id.to_string());
    // Sealed in-process, so the caseworker's case store has no record yet:
    // opening its own packet makes one, as for a colleague's.
    caseworker.json(&["open", &packet]);

    let inbox = member.run_ok(&["inbox"]);
    assert!(String::from_utf8_lossy(&inbox.stdout).contains(&packet));

    let opened = member.run_ok(&["open", &packet]);
    assert_shown_safely(
        "open",
        &opened,
        &["summary", "method", "municipality", "best times"],
    );
    let stdout = String::from_utf8_lossy(&opened.stdout);
    let scopes: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  scope:"))
        .collect();
    assert_eq!(
        scopes,
        ["  scope:         this desk only (no onward referral)"],
        "only the real consent scope is a line of its own:\n{stdout}"
    );
    // JSON is unchanged: the text exactly as it was signed.
    assert_eq!(member.json(&["open", &packet])["referral"], referral);

    let cases = member.run_ok(&["cases"]);
    assert_shown_safely("cases", &cases, &["need", "language", "prefecture"]);
    for format in ["table", "csv"] {
        let report = member.run_ok(&["report", "--format", format]);
        assert_shown_safely(&format!("report {format}"), &report, &["need"]);
    }

    // The desk rejects, with a hostile message and reason; the caseworker
    // reads the reply through `open` and `thread`.
    member.json(&[
        "reply",
        &thread,
        "--status",
        "rejected",
        "--message",
        &hostile("message"),
        "--reason",
        &hostile("reason"),
    ]);
    let replies = caseworker.json(&["inbox"]);
    let reply = text(&replies[0]["packet_id"]);
    let opened = caseworker.run_ok(&["open", &reply]);
    assert_shown_safely("open (reply)", &opened, &["message", "reason"]);
    let shown = caseworker.run_ok(&["thread", &thread]);
    assert_shown_safely("thread", &shown, &["message", "reason"]);
    assert_eq!(
        caseworker.json(&["thread", &thread])["events"][2]["reason"],
        hostile("reason")
    );

    // A completed case's outcome, on a second referral with onward
    // consent, which the desk then forwards with a hostile note.
    let onward = hostile_referral("onward_referral_allowed");
    let sent = d.send(&caseworker, "shinjuku-iea", &onward.to_string());
    let (packet, thread) = (sent.packet_id.to_string(), sent.thread_id.to_string());
    caseworker.json(&["open", &packet]);
    member.json(&["open", &packet]);
    member.json(&[
        "reply",
        &thread,
        "--status",
        "accepted",
        "--message",
        &hostile("message"),
    ]);
    member.json(&[
        "reply",
        &thread,
        "--status",
        "completed",
        "--outcome",
        &hostile("outcome"),
    ]);
    let shown = caseworker.run_ok(&["thread", &thread]);
    assert_shown_safely("thread (completed)", &shown, &["outcome"]);

    let third = hostile_referral("onward_referral_allowed");
    let sent = d.send(&caseworker, "shinjuku-iea", &third.to_string());
    let packet = sent.packet_id.to_string();
    member.json(&["open", &packet]);
    let forwarded = member.json(&[
        "forward",
        &packet,
        "--to",
        "osaka-ngo",
        "--note",
        &hostile("note"),
    ]);
    let opened = osaka.run_ok(&["open", &text(&forwarded["packet_id"])]);
    assert_shown_safely("open (forward)", &opened, &["note", "summary"]);
    let cases = osaka.run_ok(&["cases"]);
    assert_shown_safely("cases (forwarded)", &cases, &[]);
}

/// A broker that answers every request with one refusal whose message is
/// hostile.
fn hostile_broker() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let body = json!({"error": "bad_request", "message": hostile("broker")}).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn a_broker_error_message_cannot_drive_the_terminal() {
    let device = Device::new("device passphrase");
    device.json(&["init", "--broker", &hostile_broker()]);
    let out = device.run(&["enroll", "--code", "ABCD-EFGH-JKMN-PQRS"]);
    assert_eq!(out.status.code(), Some(1), "a refusal: {out:?}");
    assert_shown_safely("enroll", &out, &["broker"]);
}
