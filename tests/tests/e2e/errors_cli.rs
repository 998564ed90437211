//! Errors that say what happened and what to do (issue 15 item 3, ADR
//! 0015), with the real binaries: an attachment over the broker's limit is
//! refused before sealing and leaves nothing behind; a broker refusal is a
//! user error in plain words with its code; a broker that cannot be reached
//! is one line naming it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use referral_e2e::Device;
use referral_e2e::deployment::{Broker, Deployment};

/// The README's filled-in referral.
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json")
}

/// `len` incompressible bytes behind a PDF header.
fn write_scan(dir: &Path, name: &str, len: usize) -> PathBuf {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.truncate(len);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Every file under `dir`, with its length.
fn files(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            out.extend(files(&entry.path()));
        } else {
            out.push((entry.path(), meta.len()));
        }
    }
    out
}

fn two_desks(broker: Broker) -> (Deployment, Device, Device) {
    let d = Deployment::on(
        broker,
        &[
            ("covic-intake", "COVIC intake"),
            ("shinjuku-iea", "Shinjuku IEA"),
        ],
    );
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    (d, caseworker, member)
}

/// A caseworker of covic-intake whose broker address is `url` (a proxy in
/// front of `d`'s broker).
fn caseworker_via(d: &Deployment, url: &str) -> Device {
    let code = d.invite("covic-intake", "caseworker");
    let caseworker = Device::new("cw passphrase");
    caseworker.json(&[
        "init",
        "--broker",
        url,
        "--root-fingerprint",
        &d.root_fingerprint,
    ]);
    let enrolled = caseworker.json(&["enroll", "--code", &code]);
    d.admin.json(&[
        "admin",
        "approve",
        enrolled["request_id"].as_str().unwrap(),
        "--fingerprint",
        enrolled["fingerprint"].as_str().unwrap(),
    ]);
    caseworker.run_ok(&["directory"]);
    caseworker
}

/// A TCP proxy that forwards everything but holds any connection on which
/// a packet upload starts: the broker never answers it, as on a line that
/// has stalled.
struct HoldingProxy {
    url: String,
    holding: Arc<AtomicBool>,
}

impl HoldingProxy {
    fn start(upstream: &str) -> HoldingProxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let holding = Arc::new(AtomicBool::new(false));
        let held = Arc::clone(&holding);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { return };
                let Ok(mut server) = TcpStream::connect(&upstream) else {
                    return;
                };
                let (mut client_back, mut server_back) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server_back, &mut client_back);
                });
                let held = Arc::clone(&held);
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match client.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        if buf[..n].windows(17).any(|w| w == b"POST /v1/packets ") {
                            held.store(true, Ordering::SeqCst);
                            // Hold: read and drop whatever comes, answer nothing.
                            while matches!(client.read(&mut buf), Ok(n) if n > 0) {}
                            return;
                        }
                        if server.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        HoldingProxy { url, holding }
    }
}

#[test]
fn an_attachment_over_the_limit_is_refused_before_sealing_and_leaves_nothing() {
    // A broker that takes packets of 1 MiB at most.
    let (_d, caseworker, _member) =
        two_desks(Broker::start_with_config("max_packet_bytes = 1048576\n"));
    let work = tempfile::tempdir().unwrap();
    let referral = example();
    let big = write_scan(work.path(), "big.pdf", 3 * 1024 * 1024);

    let stderr = caseworker.run_fails(
        &[
            "send",
            "--to",
            "shinjuku-iea",
            referral.to_str().unwrap(),
            "--attach",
            big.to_str().unwrap(),
        ],
        1,
    );
    assert!(
        stderr.contains("at most 1 MiB"),
        "names the limit: {stderr}"
    );
    assert!(
        stderr.contains("Split the attachment"),
        "says what to do: {stderr}"
    );
    assert!(!stderr.contains("cannot reach"), "{stderr}");

    // Nothing sealed: the outbox is empty, and no file in the home is
    // anywhere near the attachment's size.
    let home = caseworker.home.path();
    let outbox = home.join("outbox");
    if outbox.exists() {
        assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 0);
    }
    let large: Vec<_> = files(home)
        .into_iter()
        .filter(|(_, len)| *len >= 1024 * 1024)
        .collect();
    assert!(large.is_empty(), "a sealed file was left: {large:?}");
    assert!(
        caseworker.json(&["outbox"]).as_array().unwrap().is_empty(),
        "the outbox command shows nothing waiting"
    );

    // Control: an attachment well within the limit is sealed and sent.
    let small = write_scan(work.path(), "small.pdf", 200 * 1024);
    let sent = caseworker.json(&[
        "send",
        "--to",
        "shinjuku-iea",
        referral.to_str().unwrap(),
        "--attach",
        small.to_str().unwrap(),
    ]);
    assert!(sent["bytes"].as_u64().unwrap() <= 1024 * 1024, "{sent}");
}

#[test]
fn a_broker_refusal_is_a_user_error_in_plain_words_with_its_code() {
    let (_d, _caseworker, member) = two_desks(Broker::start());
    // No such packet for this desk: the broker answers 404 unknown_packet.
    let missing = referral_protocol::PacketId::random().to_string();
    let stderr = member.run_fails(&["open", &missing], 1);
    assert!(
        stderr.contains("no packet or case with that id"),
        "plain words: {stderr}"
    );
    assert!(
        stderr.contains("unknown_packet"),
        "the code stays: {stderr}"
    );
    assert!(!stderr.contains("cannot reach"), "{stderr}");

    // The same in Japanese: the words change, the code does not.
    let stderr = member.run_fails(&["--lang", "ja", "open", &missing], 1);
    assert!(
        stderr.contains("中継サーバーのコード：unknown_packet"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_broker_is_one_line_naming_it_with_the_next_step() {
    let (mut d, caseworker, _member) = two_desks(Broker::start());
    let url = d.broker.url.clone();
    d.broker.kill9();
    let stderr = caseworker.run_fails(&["inbox"], 3);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(&url), "names the broker: {stderr}");
    assert!(stderr.contains("Check the network"), "next step: {stderr}");
    assert!(
        !stderr.contains("error sending request") && !stderr.contains("tcp connect"),
        "no HTTP client chain: {stderr}"
    );
}

#[test]
fn the_outbox_lists_a_packet_kept_after_a_failed_send_and_drops_it_by_prefix() {
    let broker = Broker::start();
    let proxy = referral_e2e::proxy::TamperingProxy::start(&broker.url);
    let d = Deployment::on(
        broker,
        &[("covic-intake", "COVIC"), ("shinjuku-iea", "IEA")],
    );
    d.enroll("shinjuku-iea", "desk");
    // The caseworker talks to the broker through a proxy that loses answers.
    let caseworker = caseworker_via(&d, &proxy.url);
    let referral = example();

    proxy.lose_packet_answers(100);
    let stderr = caseworker.run_fails(
        &["send", "--to", "shinjuku-iea", referral.to_str().unwrap()],
        3,
    );
    assert!(stderr.contains("kept in the outbox"), "{stderr}");
    assert!(stderr.contains("referral outbox drop"), "{stderr}");

    let waiting = caseworker.json(&["outbox"]);
    let waiting = waiting.as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["recipient_desk"], "shinjuku-iea");
    let id = waiting[0]["packet_id"].as_str().unwrap().to_owned();
    assert!(
        stderr.contains(&id),
        "the message names the packet: {stderr}"
    );

    let listed = String::from_utf8(caseworker.run_ok(&["outbox"]).stdout).unwrap();
    assert!(
        listed.contains(&id) && listed.contains("shinjuku-iea"),
        "{listed}"
    );
    assert!(
        listed.contains("KiB") && listed.contains("sealed"),
        "{listed}"
    );

    // A prefix shorter than 6 is refused; 8 characters name it.
    caseworker.run_fails(&["outbox", "drop", &id[..4]], 1);
    let dropped = caseworker.json(&["outbox", "drop", &id[..8]]);
    assert_eq!(dropped["dropped"], id.as_str());
    assert!(caseworker.json(&["outbox"]).as_array().unwrap().is_empty());
    let outbox = caseworker.home.path().join("outbox");
    assert_eq!(
        std::fs::read_dir(outbox).unwrap().count(),
        0,
        "no file left"
    );
}

#[test]
fn desk_names_are_case_insensitive_and_a_near_miss_gets_a_did_you_mean() {
    let (_d, caseworker, _member) = two_desks(Broker::start());
    let referral = example();
    let stderr = caseworker.run_fails(
        &["send", "--to", "shinjuku-ie", referral.to_str().unwrap()],
        1,
    );
    assert!(stderr.contains("Did you mean “shinjuku-iea”?"), "{stderr}");
    assert!(!stderr.contains("DeskId("), "no Debug text: {stderr}");
    let far = caseworker.run_fails(&["send", "--to", "osaka", referral.to_str().unwrap()], 1);
    assert!(!far.contains("Did you mean"), "{far}");

    let sent = caseworker.json(&["send", "--to", "Shinjuku-IEA", referral.to_str().unwrap()]);
    assert_eq!(sent["recipient_desk"], "shinjuku-iea", "{sent}");
}

#[test]
fn a_wrong_passphrase_not_from_a_terminal_is_tried_once() {
    let (_d, caseworker, _member) = two_desks(Broker::start());
    let out = caseworker
        .cmd()
        .env("REFERRAL_PASSPHRASE", "not the passphrase")
        .arg("inbox")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrong passphrase"), "{stderr}");
    assert!(!stderr.contains("Type it again"), "no second try: {stderr}");
}

#[test]
fn ctrl_c_during_a_send_keeps_the_packet_and_says_how_to_resend_or_drop_it() {
    let broker = Broker::start();
    let proxy = HoldingProxy::start(&broker.url);
    let d = Deployment::on(
        broker,
        &[("covic-intake", "COVIC"), ("shinjuku-iea", "IEA")],
    );
    d.enroll("shinjuku-iea", "desk");
    let caseworker = caseworker_via(&d, &proxy.url);
    let referral = example();

    let child = caseworker
        .cmd()
        .args(["send", "--to", "shinjuku-iea", referral.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !proxy.holding.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the upload never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A real SIGINT, as the terminal sends on Ctrl-C.
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(out.stdout.is_empty());

    let waiting = caseworker.json(&["outbox"]);
    let waiting = waiting.as_array().unwrap();
    assert_eq!(waiting.len(), 1, "the packet stays in the outbox");
    let id = waiting[0]["packet_id"].as_str().unwrap();
    assert!(stderr.contains("Stopped."), "{stderr}");
    assert!(stderr.contains("kept in the outbox"), "{stderr}");
    assert!(
        stderr.contains(&format!("referral outbox drop {id}")),
        "{stderr}"
    );
}
