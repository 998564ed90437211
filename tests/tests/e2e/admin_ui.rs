//! The administrator's pages of `referral ui` (ADR 0017) against a real
//! broker: an invite made on the page, the enrollment it lets in waiting,
//! an approval refused for a wrong typed fingerprint (nothing published)
//! and made with the right one, a revocation after its confirmation page,
//! the directory log; the clear refusal a device that is not an
//! administrator sees; and the outbox, where a kept packet is given up
//! after its confirmation page.

use std::path::Path;

use referral_e2e::Device;
use referral_e2e::deployment::{Broker, Deployment};
use referral_e2e::proxy::TamperingProxy;
use referral_e2e::ui::UiApp;
use reqwest::StatusCode;
use serde_json::Value;

/// The text between `start` and the next `end` in `html`, after `start`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} is not in the page:\n{html}"))
        + start.len();
    let rest = &html[at..];
    &rest[..rest.find(end).expect("the end marker")]
}

fn pending(dep: &Deployment) -> Vec<Value> {
    dep.admin
        .json(&["admin", "pending"])
        .as_array()
        .expect("a list")
        .clone()
}

fn head_seq(dep: &Deployment) -> Value {
    dep.admin.json(&["directory"])["head_seq"].clone()
}

#[test]
fn an_administrator_invites_approves_after_typing_the_fingerprint_and_revokes() {
    let dep = Deployment::start(&["shinjuku-iea"]);
    let app = UiApp::start(&dep.admin, &[]);
    // The root administrator has no desk, so its inbox (where the entry
    // URL leads) has nothing to show; the session is what matters here.
    assert_ne!(app.enter().status(), StatusCode::UNAUTHORIZED);

    let overview = app.page("/admin");
    for link in [
        "/admin/pending",
        "/admin/invites",
        "/admin/devices",
        "/admin/audit",
    ] {
        assert!(overview.contains(&format!("href=\"{link}\"")), "{overview}");
    }

    // An invite for a desk picked from the directory; the code is shown once.
    let form = app.page("/admin/invites");
    assert!(form.contains(r#"<option value="shinjuku-iea">"#), "{form}");
    let made = app.post_form(
        "/admin/invites",
        &[("desk", "shinjuku-iea"), ("role", "desk")],
    );
    assert_eq!(made.status(), StatusCode::OK);
    let made = made.text().expect("a page");
    let code = between(&made, r#"<code class="fingerprint">"#, "</code>").to_owned();
    assert!(!code.is_empty());
    // No desk picked: refused next to the field, nothing made.
    let refused = app.post_form("/admin/invites", &[("desk", ""), ("role", "desk")]);
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().expect("a page");
    assert!(
        refused.contains(r#"aria-describedby="invite-desk-error""#),
        "{refused}"
    );

    // The member enrolls with it; the request waits, its fingerprint in
    // groups of four.
    let member = dep.new_device("member passphrase");
    let enrolled = member.json(&["enroll", "--code", &code]);
    let request = enrolled["request_id"].as_str().expect("request_id");
    let fingerprint = enrolled["fingerprint"].as_str().expect("fingerprint");
    let hex: String = fingerprint.split_whitespace().collect();
    assert_eq!(hex.len(), 64);
    let list = app.page("/admin/pending");
    assert!(
        list.contains(&format!("/admin/pending/{request}/approve")),
        "{list}"
    );
    assert!(
        list.contains(&format!(r#"<span class="fp-group">{}</span>"#, &hex[..4])),
        "{list}"
    );
    assert!(
        list.contains(&format!(r#"data-confirm-fingerprint="{hex}""#)),
        "{list}"
    );

    // A wrong fingerprint: refused on the server, next to the field, and
    // nothing is published.
    let head_before = head_seq(&dep);
    let mut wrong = hex.clone();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(63.., last);
    let approve = format!("/admin/pending/{request}/approve");
    let refused = app.post_form(&approve, &[("typed_fingerprint", &wrong)]);
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().expect("a page");
    assert!(refused.contains(r#"aria-invalid="true""#), "{refused}");
    assert!(
        refused.contains(&format!("typed-{request}-error")),
        "{refused}"
    );
    assert_eq!(head_seq(&dep), head_before);
    assert_eq!(pending(&dep).len(), 1);

    // The right one, as a person might type it (capitals, other spacing).
    let typed = format!(" {} ", fingerprint.to_uppercase().replace(' ', "  "));
    let approved = app.post_form(&approve, &[("typed_fingerprint", &typed)]);
    assert_eq!(approved.status(), StatusCode::OK);
    assert!(
        approved.url().as_str().contains("/admin/pending?approved="),
        "{}",
        approved.url()
    );
    assert!(pending(&dep).is_empty());
    member.run_ok(&["directory"]);
    let device = member.device_id();
    assert_eq!(member.json(&["whoami"])["desk"], "shinjuku-iea");

    // The device is listed with its fingerprint; revoking it takes a
    // confirmation page first.
    let devices = app.page("/admin/devices");
    assert!(devices.contains(&device), "{devices}");
    let confirm_path = format!("/admin/devices/{device}/revoke");
    assert!(
        devices.contains(&format!("href=\"{confirm_path}\"")),
        "{devices}"
    );
    let confirm = app.page(&confirm_path);
    assert!(
        confirm.contains(&format!(r#"action="{confirm_path}""#)),
        "{confirm}"
    );
    assert_eq!(head_seq(&dep).as_u64(), head_before.as_u64().map(|s| s + 1));
    let revoked = app.post_form(&confirm_path, &[]);
    assert_eq!(revoked.status(), StatusCode::OK);
    assert!(
        revoked.url().as_str().contains("/admin/devices?revoked="),
        "{}",
        revoked.url()
    );
    let directory = dep.admin.json(&["directory"]);
    let listed = directory["desks"][0]["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["device_id"] == device.as_str())
        .expect("the member is listed")
        .clone();
    assert_eq!(listed["status"], "revoked");
    // A revoked device has no revoke link any more, and its page says so.
    assert!(
        !app.page("/admin/devices")
            .contains(&format!("href=\"{confirm_path}\""))
    );
    assert_eq!(app.get(&confirm_path).status(), StatusCode::NOT_FOUND);

    // The directory log, in this device's copy and verified again.
    let audit = app.page("/admin/audit");
    assert!(audit.contains("Device revoked"), "{audit}");
    let verified = app.page("/admin/audit?verify=1");
    assert!(verified.contains("Verified: every entry"), "{verified}");

    // Nothing waits in the outbox.
    assert!(
        app.page("/outbox")
            .contains("Nothing is waiting in the outbox.")
    );
}

#[test]
fn a_device_that_is_not_an_administrator_is_told_so() {
    let dep = Deployment::start(&["shinjuku-iea"]);
    let (member, _) = dep.enroll("shinjuku-iea", "desk");
    let app = UiApp::start(&member, &[]);
    assert!(app.enter().status().is_success());
    for path in [
        "/admin",
        "/admin/pending",
        "/admin/invites",
        "/admin/devices",
    ] {
        let response = app.get(path);
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let page = response.text().expect("a page");
        assert!(
            page.contains("This device is not an administrator"),
            "{path}: {page}"
        );
    }
    // In the browser's language.
    let japanese = app
        .client
        .get(format!("{}/admin", app.base))
        .header("Accept-Language", "ja-JP,ja;q=0.9")
        .send()
        .expect("GET /admin");
    assert_eq!(japanese.status(), StatusCode::FORBIDDEN);
    let japanese = japanese.text().expect("a page");
    assert!(japanese.contains(r#"<html lang="ja">"#), "{japanese}");
    assert!(japanese.contains("管理者専用のページです"), "{japanese}");
    // Nothing can be approved or revoked from it either.
    let own = member.device_id();
    let refused = app.post_form(&format!("/admin/devices/{own}/revoke"), &[]);
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // The log stays readable, as `referral admin audit` is for every device.
    assert!(app.page("/admin/audit").contains("Device enrolled"));
}

#[test]
fn the_outbox_page_lists_a_kept_packet_and_gives_it_up_after_confirming() {
    let broker = Broker::start();
    let proxy = TamperingProxy::start(&broker.url);
    let dep = Deployment::on(
        broker,
        &[("covic-intake", "COVIC"), ("shinjuku-iea", "IEA")],
    );
    dep.enroll("shinjuku-iea", "desk");
    // A caseworker whose broker answers are lost on the way, so that its
    // send is kept in the outbox.
    let code = dep.invite("covic-intake", "caseworker");
    let caseworker = Device::new("cw passphrase");
    caseworker.json(&[
        "init",
        "--broker",
        &proxy.url,
        "--root-fingerprint",
        &dep.root_fingerprint,
    ]);
    let enrolled = caseworker.json(&["enroll", "--code", &code]);
    dep.admin.json(&[
        "admin",
        "approve",
        enrolled["request_id"].as_str().expect("request_id"),
        "--fingerprint",
        enrolled["fingerprint"].as_str().expect("fingerprint"),
    ]);
    caseworker.run_ok(&["directory"]);
    let referral = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json");
    proxy.lose_packet_answers(100);
    caseworker.run_fails(
        &[
            "send",
            "--to",
            "shinjuku-iea",
            referral.to_str().expect("a path"),
        ],
        3,
    );
    let waiting = caseworker.json(&["outbox"]);
    let id = waiting[0]["packet_id"]
        .as_str()
        .expect("packet_id")
        .to_owned();

    let app = UiApp::start(&caseworker, &[]);
    assert_ne!(app.enter().status(), StatusCode::UNAUTHORIZED);
    let list = app.page("/outbox");
    assert!(
        list.contains(&id) && list.contains("shinjuku-iea"),
        "{list}"
    );
    let confirm_path = format!("/outbox/{id}/drop");
    assert!(list.contains(&format!("href=\"{confirm_path}\"")), "{list}");
    // The confirmation page drops nothing by itself.
    let confirm = app.page(&confirm_path);
    assert!(
        confirm.contains(&format!(r#"action="{confirm_path}""#)),
        "{confirm}"
    );
    assert_eq!(
        caseworker.json(&["outbox"]).as_array().map(Vec::len),
        Some(1)
    );

    let dropped = app.post_form(&confirm_path, &[]);
    assert_eq!(dropped.status(), StatusCode::OK);
    assert!(
        dropped.url().as_str().ends_with("/outbox?dropped=1"),
        "{}",
        dropped.url()
    );
    let after = dropped.text().expect("a page");
    assert!(
        after.contains("Nothing is waiting in the outbox."),
        "{after}"
    );
    assert!(
        caseworker
            .json(&["outbox"])
            .as_array()
            .expect("a list")
            .is_empty()
    );
    assert_eq!(app.get(&confirm_path).status(), StatusCode::NOT_FOUND);
}
