//! The trust issue end to end, through the real `referral` and
//! `referral-broker` binaries (SPEC §4): bootstrap, enrollment with the
//! out-of-band fingerprint check, the malicious-broker harness (substituted
//! key, rollback, fork, unsigned rotation), rotation and rewrap, revocation,
//! and the broker's token-key and root rotations.
//!
//! Build the binaries first when running this crate alone:
//! `cargo build --workspace && cargo test -p referral-e2e --test e2e -- trust_cli::`.

use std::io::Write as _;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use referral_e2e::deployment::Deployment;
use referral_e2e::proxy::TamperingProxy;
use referral_e2e::{Device, TypeScriptAge};
use referral_protocol::api::{self, HEADER_KIND, HEADER_PACKET_ID, HEADER_RECIPIENT_DESK};
use referral_protocol::directory::{Entry, Statement, rotation_request};
use referral_protocol::{AgeIdentity, MemoryAttachments, PacketId, SigningKey, ThreadId, open};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use secrecy::ExposeSecret;
use serde_json::Value;

/// Opens a packet as `device` would: with its own keys, against its own
/// verified directory. Returns which of its keys decrypted it.
fn open_as(device: &Device, bytes: &[u8]) -> usize {
    let keys = device.unlock();
    let log = device.verified_log();
    let mut sink = MemoryAttachments::default();
    match open(bytes, keys.age_identities(), log.state(), &mut sink) {
        Ok(opened) => opened.identity_index,
        Err(e) => panic!("the packet does not open: {e}"),
    }
}

/// One desk of `referral directory --json` as `device` sees it.
fn desk_in_directory(device: &Device, desk: &str) -> Value {
    device.json(&["directory"])["desks"]
        .as_array()
        .expect("desks")
        .iter()
        .find(|d| d["desk"] == desk)
        .unwrap_or_else(|| panic!("no desk {desk} in the directory"))
        .clone()
}

// --- enrollment -------------------------------------------------------------

#[test]
fn bootstrap_enroll_and_approve_through_the_real_cli() {
    let dep = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let admin = dep.admin.json(&["whoami"]);
    assert_eq!(admin["role"], "admin");
    assert_eq!(admin["desk"], Value::Null);
    assert_eq!(admin["root_fingerprint"], dep.root_fingerprint.as_str());

    // The bootstrap code works once.
    let again = Device::new("x test passphrase");
    again.json(&["init", "--broker", &dep.broker.url]);
    let stderr = again.run_fails(&["admin", "bootstrap", "--code", &dep.bootstrap_code], 1);
    assert!(stderr.contains("already claimed"), "{stderr}");

    // Invite (SPEC §9 fields).
    let invite = dep.admin.json(&[
        "admin",
        "invite",
        "--desk",
        "shinjuku-iea",
        "--role",
        "desk",
    ]);
    for field in ["code", "desk", "role", "expires_at"] {
        assert!(
            invite.get(field).is_some(),
            "invite lacks {field}: {invite}"
        );
    }
    assert_eq!(invite["desk"], "shinjuku-iea");
    assert_eq!(invite["role"], "desk");
    let code = invite["code"].as_str().unwrap();

    // The member enrolls; the fingerprint is the device's own.
    let member = dep.new_device("member passphrase");
    let before = member.json(&["whoami"]);
    assert_eq!(before["desk"], Value::Null);
    assert_eq!(before["role"], Value::Null);
    let enrolled = member.json(&["enroll", "--code", code]);
    assert_eq!(enrolled["fingerprint"], before["fingerprint"]);
    let request = enrolled["request_id"].as_str().unwrap();

    // The code is used up.
    let other = dep.new_device("other test passphrase");
    other.run_fails(&["enroll", "--code", code], 1);

    // The administrator sees the request with the fingerprint computed on
    // their own machine.
    let pending = dep.admin.json(&["admin", "pending"]);
    let listed = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["request_id"] == request)
        .expect("the request is pending");
    assert_eq!(listed["desk"], "shinjuku-iea");
    assert_eq!(listed["role"], "desk");
    assert_eq!(listed["fingerprint"], before["fingerprint"]);

    // A fingerprint that does not match is refused (exit 4) and nothing is
    // published.
    let head_before = dep.admin.json(&["directory"])["head_seq"].clone();
    let wrong = other.json(&["whoami"])["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let stderr = dep
        .admin
        .run_fails(&["admin", "approve", request, "--fingerprint", &wrong], 4);
    assert!(stderr.contains("fingerprint mismatch"), "{stderr}");
    assert_eq!(dep.admin.json(&["directory"])["head_seq"], head_before);
    assert_eq!(
        dep.admin
            .json(&["admin", "pending"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The right one enrolls the device.
    let fingerprint = before["fingerprint"].as_str().unwrap();
    let approved = dep
        .admin
        .json(&["admin", "approve", request, "--fingerprint", fingerprint]);
    assert_eq!(approved["desk"], "shinjuku-iea");
    assert!(
        dep.admin
            .json(&["admin", "pending"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The member sees itself in the verified directory, and its record says
    // where it belongs.
    let desk = desk_in_directory(&member, "shinjuku-iea");
    let me = &desk["devices"][0];
    assert_eq!(me["this_device"], true);
    assert_eq!(me["fingerprint"], fingerprint);
    assert_eq!(me["status"], "active");
    let after = member.json(&["whoami"]);
    assert_eq!(after["desk"], "shinjuku-iea");
    assert_eq!(after["role"], "desk");

    // It can now authenticate: `referral token` works with curl-like clients.
    let res = Client::new()
        .get(format!("{}/v1/inbox", dep.broker.url))
        .bearer_auth(member.token())
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // An unenrolled device gets no token: the broker does not know it.
    let stderr = other.run_fails(&["token"], 1);
    assert!(stderr.contains("does not know this device"), "{stderr}");

    // Audit: the whole chain verifies from the pinned root.
    let audit = dep.admin.json(&["admin", "audit", "--verify"]);
    assert_eq!(audit["verified"], true);
    let kinds: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["genesis", "desk_created", "desk_created", "device_enrolled"]
    );
    assert_eq!(audit["root_fingerprint"], dep.root_fingerprint.as_str());
    let stats = dep.admin.json(&["admin", "stats"]);
    assert!(stats["rows"].is_array(), "{stats}");
}

#[test]
fn trust_on_first_use_pins_the_root_and_a_wrong_pin_is_refused() {
    let dep = Deployment::start(&["shinjuku-iea"]);

    // No pin: the first sync, at `enroll` with its invite code (the
    // directory is shown to nobody else: ADR 0019 §3), pins the root, loudly.
    let tofu = Device::new("tofu test passphrase");
    tofu.json(&["init", "--broker", &dep.broker.url]);
    let code = dep.invite("shinjuku-iea", "desk");
    let out = tofu.run_ok(&["enroll", "--code", &code]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("on first use"), "{stderr}");
    // People read it in groups of four (`ab12 cd34 …`); --json keeps the
    // plain digits.
    let for_people = dep
        .root_fingerprint
        .parse::<referral_protocol::Fingerprint>()
        .unwrap()
        .to_string();
    assert!(for_people.contains(' '), "{for_people}");
    assert!(stderr.contains(&for_people), "{stderr}");
    assert_eq!(
        tofu.json(&["whoami"])["root_fingerprint"],
        dep.root_fingerprint.as_str()
    );

    // Another root pinned: exit 4, and nothing is cached.
    let other_root = Device::new("other test passphrase");
    other_root.json(&["init", "--broker", &dep.broker.url]);
    let wrong_pin = other_root.json(&["whoami"])["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let pinned = Device::new("pinned test passphrase");
    pinned.json(&[
        "init",
        "--broker",
        &dep.broker.url,
        "--root-fingerprint",
        &wrong_pin,
    ]);
    let code = dep.invite("shinjuku-iea", "desk");
    let stderr = pinned.run_fails(&["enroll", "--code", &code], 4);
    assert!(stderr.contains("root"), "{stderr}");
    assert!(!pinned.home.path().join("directory.log").exists());
    // Refused before it asked to join: the code is still good.
    let after = Device::new("after test passphrase");
    after.json(&["init", "--broker", &dep.broker.url]);
    after.run_ok(&["enroll", "--code", &code]);
}

/// ADR 0019 §3 through the real binaries: the directory is not a public list
/// of partners; `enroll` reads it with its code; a device waiting for
/// approval, and a revoked one, are told why they cannot read it.
#[test]
fn the_directory_is_private_and_a_waiting_or_revoked_device_is_told_why() {
    let dep = Deployment::start(&["shinjuku-iea"]);
    let http = Client::new();
    let url = format!("{}/v1/directory?since=0", dep.broker.url);

    // A curl-like read without a token.
    let res = http.get(&url).send().unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().unwrap();
    assert_eq!(body["error"], "directory_private", "{body}");

    // With a live code it is shown; `enroll` reads it that way.
    let code = dep.invite("shinjuku-iea", "desk");
    let res = http
        .get(&url)
        .header(referral_protocol::paths::INVITE_HEADER, &code)
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let waiting = dep.new_device("waiting test passphrase");
    let enrolled = waiting.json(&["enroll", "--code", &code]);
    assert!(enrolled["request_id"].is_string(), "{enrolled}");
    // The request used the code up: it opens nothing any more.
    let res = http
        .get(&url)
        .header(referral_protocol::paths::INVITE_HEADER, &code)
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Until an administrator approves it, every command says so.
    for command in [&["directory"][..], &["inbox"][..], &["token"][..]] {
        let stderr = waiting.run_fails(command, 1);
        assert!(
            stderr.contains("waiting for an administrator") && stderr.contains("admin pending"),
            "{command:?}: {stderr}"
        );
    }

    // Approved, it reads the directory with its token.
    let request = enrolled["request_id"].as_str().unwrap();
    let fingerprint = enrolled["fingerprint"].as_str().unwrap();
    dep.admin
        .json(&["admin", "approve", request, "--fingerprint", fingerprint]);
    let desk = desk_in_directory(&waiting, "shinjuku-iea");
    assert_eq!(desk["devices"][0]["this_device"], true);
    let res = http.get(&url).bearer_auth(waiting.token()).send().unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Revoked, it cannot read it any more, and is told why.
    let token = waiting.token();
    dep.admin.json(&["admin", "revoke", &waiting.device_id()]);
    let res = http.get(&url).bearer_auth(&token).send().unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().unwrap();
    assert_eq!(body["error"], "directory_private", "{body}");
    let stderr = waiting.run_fails(&["directory"], 1);
    assert!(stderr.contains("revoked"), "{stderr}");
}

// --- the malicious broker -----------------------------------------------------

/// A deployment with a member at `shinjuku-iea`, and a victim device at
/// `covic-intake` that talks to the broker only through `proxy`.
struct Harness {
    dep: Deployment,
    member: Device,
    victim: Device,
    proxy: TamperingProxy,
}

fn harness() -> Harness {
    let dep = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (member, _) = dep.enroll("shinjuku-iea", "desk");
    let proxy = TamperingProxy::start(&dep.broker.url);
    let victim = enrolled_behind(&dep, &proxy, "victim test passphrase");
    Harness {
        dep,
        member,
        victim,
        proxy,
    }
}

/// A caseworker of `covic-intake` that talks to the broker through `proxy`
/// only: set up with the pinned root, enrolled, approved and synced (the
/// directory is not public, ADR 0019 §3, so a device must be enrolled to
/// read it).
fn enrolled_behind(dep: &Deployment, proxy: &TamperingProxy, passphrase: &str) -> Device {
    let device = Device::new(passphrase);
    device.json(&[
        "init",
        "--broker",
        &proxy.url,
        "--root-fingerprint",
        &dep.root_fingerprint,
    ]);
    let code = dep.invite("covic-intake", "caseworker");
    let enrolled = device.json(&["enroll", "--code", &code]);
    dep.admin.json(&[
        "admin",
        "approve",
        enrolled["request_id"].as_str().unwrap(),
        "--fingerprint",
        enrolled["fingerprint"].as_str().unwrap(),
    ]);
    device.run_ok(&["directory"]);
    device
}

/// The member's enrollment entry in `log`.
fn enrollment_of(log: &[Entry], device: &str) -> usize {
    log.iter()
        .position(|e| {
            matches!(&e.statement, Statement::DeviceEnrolled { device: d, .. } if d.to_string() == device)
        })
        .expect("the device is enrolled")
}

/// `victim` refuses the directory with exit 4, saying `why`, and its trust
/// state is untouched.
fn refuses(victim: &Device, why: &str) {
    let before = victim.trust_state();
    let stderr = victim.run_fails(&["directory"], 4);
    assert!(stderr.contains(why), "expected {why:?} in: {stderr}");
    assert_eq!(victim.trust_state(), before, "a refusal changes nothing");
    // Every command that needs the directory refuses the same way.
    victim.run_fails(&["token"], 4);
}

#[test]
fn a_broker_that_substitutes_a_desks_key_is_refused() {
    let h = harness();
    // A second member joins after the victim's last sync: the entry the
    // victim has not seen yet is the one worth tampering with.
    let (member2, _) = h.dep.enroll("shinjuku-iea", "desk");
    let member2 = member2.device_id();
    let attacker_key = AgeIdentity::generate_classic().recipient();

    // (a) The new member's age key swapped for the attacker's, the
    // administrator's signature kept.
    let (target, swapped) = (member2.clone(), attacker_key.clone());
    h.proxy.tamper(move |mut log| {
        let i = enrollment_of(&log, &target);
        if let Statement::DeviceEnrolled { age_recipient, .. } = &mut log[i].statement {
            *age_recipient = swapped.clone();
        }
        log
    });
    refuses(&h.victim, "signature does not verify");

    // A device that has never synced refuses it too (from genesis), at the
    // first sync it can make: `enroll`, with its invite code.
    let fresh = Device::new("fresh test passphrase");
    fresh.json(&[
        "init",
        "--broker",
        &h.proxy.url,
        "--root-fingerprint",
        &h.dep.root_fingerprint,
    ]);
    let code = h.dep.invite("covic-intake", "caseworker");
    let stderr = fresh.run_fails(&["enroll", "--code", &code], 4);
    assert!(stderr.contains("signature does not verify"), "{stderr}");

    // The same swap with every entry from the first member's enrollment on
    // re-signed by a key the broker holds: not an administrator's, and a
    // different history from the one the victim verified.
    let forger = SigningKey::generate().unwrap();
    let (first, target, swapped) = (h.member.device_id(), member2.clone(), attacker_key.clone());
    h.proxy.tamper(move |log| {
        let from = enrollment_of(&log, &first);
        let mut forged: Vec<Entry> = log[..from].to_vec();
        for e in &log[from..] {
            let mut statement = e.statement.clone();
            if let Statement::DeviceEnrolled {
                device,
                age_recipient,
                ..
            } = &mut statement
                && device.to_string() == target
            {
                *age_recipient = swapped.clone();
            }
            let prev = forged.last().unwrap().hash();
            forged.push(Entry::sign(e.seq, prev, e.time, statement, &forger, None).unwrap());
        }
        forged
    });
    // The refused enrollment did not use its code up.
    let stderr = fresh.run_fails(&["enroll", "--code", &code], 4);
    assert!(stderr.contains("not an administrator"), "{stderr}");
    refuses(&h.victim, "fork");

    // Honest again: accepted, and the victim encrypts to the members' real
    // keys, never to the attacker's.
    h.proxy.honest();
    h.victim.run_ok(&["directory"]);
    let keys = h.victim.verified_log().state().encryption_keys(
        &"shinjuku-iea".parse().unwrap(),
        referral_e2e::deployment::unix_now(),
        None,
    );
    assert_eq!(keys.len(), 2);
    assert!(!keys.contains(&attacker_key));
}

#[test]
fn a_broker_that_rolls_the_directory_back_is_refused() {
    let h = harness();
    // The victim holds the log up to its own enrollment; the broker now
    // serves it without the last entry (hiding, say, a revocation).
    h.proxy.tamper(|mut log| {
        log.pop();
        log
    });
    refuses(&h.victim, "rollback");
    // Nothing at all is a rollback too.
    h.proxy.tamper(|_| Vec::new());
    refuses(&h.victim, "rollback");
    h.proxy.honest();
    h.victim.run_ok(&["directory"]);
}

#[test]
fn a_broker_that_shows_two_clients_two_histories_is_caught() {
    let h = harness();
    // A second client behind its own proxy: the broker can tell them apart.
    let proxy_b = TamperingProxy::start(&h.dep.broker.url);
    let b = enrolled_behind(&h.dep, &proxy_b, "b test passphrase");
    // b's enrollment added entries: both clients start from the same head.
    h.victim.run_ok(&["directory"]);

    // Two validly signed successors of the same head (an administrator's
    // key signed both, for example because the broker answered the first
    // append with an error and kept it): the material of a fork.
    let admin_keys = h.dep.admin.unlock();
    let honest = h.victim.verified_log();
    let head = honest.head();
    let time = honest.entries().last().unwrap().time;
    let successor = |desk: &str| {
        Entry::sign(
            head.seq + 1,
            head.hash,
            time,
            Statement::DeskCreated {
                desk: desk.parse().unwrap(),
                name: desk.into(),
                prefecture: None,
                languages: None,
            },
            admin_keys.signing_key(),
            None,
        )
        .unwrap()
    };
    let (x, y) = (successor("fork-a"), successor("fork-b"));
    let with = |extra: Entry| {
        move |mut log: Vec<Entry>| {
            log.push(extra.clone());
            log
        }
    };
    h.proxy.tamper(with(x.clone()));
    proxy_b.tamper(with(y.clone()));
    // Each accepts its own history: each is validly signed …
    let a_view = h.victim.json(&["directory"]);
    let b_view = b.json(&["directory"]);
    assert_eq!(a_view["head_seq"], b_view["head_seq"]);
    // … but the heads differ, which people comparing `referral directory`
    // see, and the moment either is shown the other history it refuses.
    assert_ne!(a_view["head_hash"], b_view["head_hash"]);
    h.proxy.tamper(with(y));
    proxy_b.tamper(with(x));
    refuses(&h.victim, "fork");
    refuses(&b, "fork");
}

#[test]
fn a_broker_that_serves_an_unsigned_rotation_is_refused() {
    let h = harness();
    let member = h.member.device_id();
    let member_keys = h.member.unlock();
    let thief = SigningKey::generate().unwrap();
    let thief_age = AgeIdentity::generate_post_quantum();
    let thief_classic = AgeIdentity::generate_classic();
    // A rotation of the member's keys to the thief's, with the device's own
    // signatures even (the thief holds the old laptop), but signed by no
    // administrator: by the thief's key.
    let statement = rotation_request(
        &member.parse().unwrap(),
        member_keys.signing_key(),
        &thief,
        &thief_classic.recipient(),
        Some(&thief_age.recipient()),
    );
    let by_thief = statement.clone();
    h.proxy.tamper(move |mut log| {
        let last = log.last().unwrap().clone();
        log.push(
            Entry::sign(
                last.seq + 1,
                last.hash(),
                last.time,
                by_thief.clone(),
                &thief,
                None,
            )
            .unwrap(),
        );
        log
    });
    refuses(&h.victim, "not an administrator");

    // The same rotation claiming the root as signer, with no valid
    // signature: refused as unsigned.
    let root = h.victim.verified_log().state().root().to_owned();
    h.proxy.tamper(move |mut log| {
        let last = log.last().unwrap().clone();
        let mut forged = Entry::sign(
            last.seq + 1,
            last.hash(),
            last.time,
            statement.clone(),
            &SigningKey::generate().unwrap(),
            None,
        )
        .unwrap();
        forged.signer = root;
        forged.signature = [0; 64];
        log.push(forged);
        log
    });
    refuses(&h.victim, "signature does not verify");
}

// --- rotation, rewrap, revocation, broker key, root -------------------------

#[test]
fn rotation_keeps_old_packets_open_and_rewrap_moves_pending_ones() {
    let dep = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = dep.enroll("covic-intake", "caseworker");
    let (member, _) = dep.enroll("shinjuku-iea", "desk");
    let sent = dep.send(&caseworker, "shinjuku-iea", "sent before rotation");
    let (before, before_bytes) = (sent.packet_id, sent.bytes);

    // The member rotates; until approval, nothing changes for senders.
    let rotated = member.json(&["rotate"]);
    let new_fingerprint = rotated["fingerprint"].as_str().unwrap();
    assert_ne!(rotated["previous_fingerprint"], rotated["fingerprint"]);
    assert_eq!(member.json(&["whoami"])["fingerprint"], new_fingerprint);
    let stderr = member.run_fails(&["rewrap"], 1);
    assert!(stderr.contains("not in the directory yet"), "{stderr}");
    // Still authenticates with the listed (old) key.
    member.token();
    let sent = dep.send(&caseworker, "shinjuku-iea", "sent during rotation");
    let (pending_rotation, _) = (sent.packet_id, sent.bytes);

    // The administrator approves with the new fingerprint.
    let request = rotated["request_id"].as_str().unwrap();
    let pending = dep.admin.json(&["admin", "pending"]);
    assert_eq!(pending[0]["kind"], "rotation");
    assert_eq!(pending[0]["fingerprint"], new_fingerprint);
    dep.admin.json(&[
        "admin",
        "approve",
        request,
        "--fingerprint",
        new_fingerprint,
    ]);
    member.run_ok(&["directory"]);
    member.token();

    // Every device here was made with a hybrid key, so every packet is
    // post-quantum. The keystore lists, per generation, the X25519 identity
    // then the hybrid one: current 0 and 1, retired 2 and 3.
    // The packet sealed before the rotation still opens, with the retired
    // hybrid key (index 3).
    assert_eq!(
        open_as(&member, &dep.fetch(&member, &before)),
        RETIRED_HYBRID
    );
    // A packet sealed after the approval goes to the new hybrid key.
    let sent = dep.send(&caseworker, "shinjuku-iea", "sent after rotation");
    let (after, _) = (sent.packet_id, sent.bytes);
    assert_eq!(
        open_as(&member, &dep.fetch(&member, &after)),
        CURRENT_HYBRID
    );

    // rewrap moves the two older pending packets to the current key and
    // leaves the third alone.
    let report = member.json(&["rewrap"]);
    let mut moved: Vec<String> = report["rewrapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    moved.sort();
    let mut want = vec![before.to_string(), pending_rotation.to_string()];
    want.sort();
    assert_eq!(moved, want);
    assert_eq!(report["already_current"], 1);
    assert_eq!(
        member.json(&["rewrap"])["rewrapped"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let rewrapped = dep.fetch(&member, &before);
    assert_eq!(rewrapped.len(), before_bytes.len(), "same bucket");
    assert_ne!(rewrapped, before_bytes);
    assert_eq!(open_as(&member, &rewrapped), CURRENT_HYBRID);
    // The caseworker's own copy (its stanza) is untouched.
    assert_eq!(open_as(&caseworker, &rewrapped), CURRENT_HYBRID);

    // Standard age: TypeScript age (an independent implementation that
    // knows hybrid stanzas; Go age 1.1 does not) opens it with the new key
    // alone, and the retired key no longer does.
    let ts_age = TypeScriptAge::new();
    let keys = member.unlock();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("packet.age");
    std::fs::write(&file, &rewrapped).unwrap();
    let decrypt_with = |identity: &AgeIdentity, name: &str| {
        let path = dir.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        writeln!(f, "{}", identity.to_secret_string().expose_secret()).unwrap();
        ts_age.decrypt(&path, &file)
    };
    let current = decrypt_with(&keys.age_identities()[CURRENT_HYBRID], "current.txt")
        .unwrap_or_else(|e| panic!("the current key does not open it: {e}"));
    assert!(
        String::from_utf8_lossy(&current).contains("sent before rotation"),
        "the plaintext envelope holds the content"
    );
    assert!(decrypt_with(&keys.age_identities()[RETIRED_HYBRID], "retired.txt").is_err());
}

/// Where a device's hybrid identities sit in its keystore's list after one
/// rotation: each generation lists its X25519 identity, then its hybrid one.
const CURRENT_HYBRID: usize = 1;
const RETIRED_HYBRID: usize = 3;

#[test]
fn a_revoked_device_can_no_longer_get_a_token_send_or_read() {
    let dep = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = dep.enroll("covic-intake", "caseworker");
    let (member, _) = dep.enroll("shinjuku-iea", "desk");
    let sent = dep.send(&caseworker, "shinjuku-iea", "for the member");
    let (packet, _) = (sent.packet_id, sent.bytes);
    let old_token = member.token();
    let member_id = member.device_id();

    let revoked = dep.admin.json(&["admin", "revoke", &member_id]);
    assert_eq!(revoked["revoked"], true);
    dep.admin.run_fails(&["admin", "revoke", &member_id], 1);

    // Its token is refused from the next request.
    let http = Client::new();
    let read = http
        .get(format!("{}/v1/packets/{packet}", dep.broker.url))
        .bearer_auth(&old_token)
        .send()
        .unwrap();
    assert!(
        matches!(read.status().as_u16(), 401 | 403),
        "{}",
        read.status()
    );
    let inbox = http
        .get(format!("{}/v1/inbox", dep.broker.url))
        .bearer_auth(&old_token)
        .send()
        .unwrap();
    assert!(matches!(inbox.status().as_u16(), 401 | 403));
    let sent = http
        .post(format!("{}/v1/packets", dep.broker.url))
        .bearer_auth(&old_token)
        .header(HEADER_PACKET_ID, PacketId::random().to_string())
        .header(api::HEADER_THREAD_ID, ThreadId::random().to_string())
        .header(HEADER_RECIPIENT_DESK, "covic-intake")
        .header(HEADER_KIND, "referral")
        .body(vec![0u8; 4096])
        .send()
        .unwrap();
    assert!(matches!(sent.status().as_u16(), 401 | 403));

    // It cannot get a new token, and it is told why.
    let stderr = member.run_fails(&["token"], 1);
    assert!(stderr.contains("revoked"), "{stderr}");

    // Nobody encrypts to it any more.
    caseworker.run_ok(&["directory"]);
    let keys = caseworker.verified_log().state().encryption_keys(
        &"shinjuku-iea".parse().unwrap(),
        referral_e2e::deployment::unix_now(),
        None,
    );
    assert!(keys.is_empty(), "{keys:?}");
    let desk = desk_in_directory(&caseworker, "shinjuku-iea");
    assert_eq!(desk["devices"][0]["status"], "revoked");
}

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[test]
fn the_broker_key_and_the_root_rotate_without_breaking_anyone() {
    let dep = Deployment::start(&["shinjuku-iea"]);
    let (member, _) = dep.enroll("shinjuku-iea", "desk");
    let http = Client::new();
    let inbox = |token: &str| {
        http.get(format!("{}/v1/inbox", dep.broker.url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .status()
    };
    let old_token = member.token();
    let old_kid = kid_of(&old_token);

    // The broker's token key: the new kid signs new tokens; old tokens keep
    // working inside the overlap window.
    let rotated = dep.admin.json(&["admin", "rotate-broker-key"]);
    let new_kid = rotated["kid"].as_str().unwrap();
    assert_ne!(new_kid, old_kid);
    assert_eq!(inbox(&old_token), StatusCode::OK);
    let new_token = member.token();
    assert_eq!(kid_of(&new_token), new_kid);
    assert_eq!(inbox(&new_token), StatusCode::OK);

    // The root: handed over to a fresh key, signed by both.
    let handed = dep.admin.json(&["admin", "rotate-root"]);
    assert_eq!(
        handed["previous_root_fingerprint"],
        dep.root_fingerprint.as_str()
    );
    let new_root = handed["root_fingerprint"].as_str().unwrap();
    assert_ne!(new_root, dep.root_fingerprint);
    // Every device verifies the hand-over; new devices still pin the genesis
    // root; the administrator keeps administering with the new root.
    let view = member.json(&["directory"]);
    assert_eq!(view["root_fingerprint"], dep.root_fingerprint.as_str());
    assert_eq!(view["current_root_fingerprint"], new_root);
    dep.admin
        .json(&["admin", "desk", "add", "new-desk", "--name", "New desk"]);
    let (late, _) = dep.enroll("new-desk", "desk");
    assert_eq!(late.json(&["whoami"])["desk"], "new-desk");
    let audit = dep.admin.json(&["admin", "audit", "--verify"]);
    assert_eq!(audit["verified"], true);
    let kinds: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"token_key_rotated") && kinds.contains(&"root_rotated"));
}

#[test]
fn keys_past_the_key_age_limit_get_no_new_packets_and_their_owner_is_told() {
    let dep = Deployment::start(&["covic-intake", "shinjuku-iea"]);
    let (caseworker, _) = dep.enroll("covic-intake", "caseworker");
    let (member, _) = dep.enroll("shinjuku-iea", "desk");

    // `admin key-policy` takes whole days; a limit of one second, appended
    // the same way (an administrator's signed entry), lets the test see
    // keys expire without waiting a day.
    let days = dep
        .admin
        .json(&["admin", "key-policy", "--max-age-days", "30"]);
    assert_eq!(days["max_age_days"], 30);
    dep.admin.run_ok(&["directory"]);
    let log = dep.admin.verified_log();
    let head = log.head();
    let entry = Entry::sign(
        head.seq + 1,
        head.hash,
        log.entries().last().unwrap().time,
        Statement::KeyAgePolicy { max_age_secs: 1 },
        dep.admin.unlock().signing_key(),
        None,
    )
    .unwrap();
    let res = Client::new()
        .post(format!("{}/v1/directory", dep.broker.url))
        .bearer_auth(dep.admin.token())
        .json(&serde_json::json!({ "entry": entry.to_base64() }))
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().unwrap());
    std::thread::sleep(std::time::Duration::from_secs(2));

    // The owner is told at its next sync …
    let out = member.run_ok(&["directory"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("referral rotate"), "{stderr}");
    let desk = desk_in_directory(&member, "shinjuku-iea");
    assert_eq!(desk["devices"][0]["keys_expired"], true);
    // … and senders find no key to encrypt to: they must refuse, not fall
    // back to anything else.
    caseworker.run_ok(&["directory"]);
    let keys = caseworker.verified_log().state().encryption_keys(
        &"shinjuku-iea".parse().unwrap(),
        referral_e2e::deployment::unix_now(),
        None,
    );
    assert!(keys.is_empty(), "{keys:?}");
}
