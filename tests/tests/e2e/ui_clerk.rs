//! The desk clerk's pages of `referral ui` (issue 21), driven over HTTP
//! with the real binaries: a caseworker sends referrals whose every free
//! text is markup, the desk opens them in the web app, reads the case page
//! (escaped), downloads an attachment (a download, byte for byte), answers
//! (accept, then complete, the outcome required beside its field) and
//! forwards a case whose person agreed to it.

use std::path::Path;

use referral_e2e::Device;
use referral_e2e::deployment::Deployment;
use referral_e2e::ui::UiApp;
use reqwest::StatusCode;
use serde_json::Value;

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// The example referral with markup in every free text, and `scope`.
fn hostile_referral(scope: &str) -> Value {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json");
    let mut referral: Value =
        serde_json::from_slice(&std::fs::read(example).expect("the example")).expect("JSON");
    let both = format!("{SCRIPT} {IMG}");
    referral["case"]["reference"] = IMG.into();
    referral["case"]["summary"] = format!("{both}\nsecond line {SCRIPT}").into();
    referral["person"]["name"] = both.clone().into();
    referral["person"]["contact"]["other"] = SCRIPT.into();
    referral["person"]["contact"]["best_times"] = IMG.into();
    referral["person"]["municipality"] = both.clone().into();
    referral["consent"]["method"] = both.into();
    referral["consent"]["scope"] = scope.into();
    referral
}

/// Sends `referral` from `caseworker` to shinjuku-iea with `attachments`;
/// returns the packet and thread ids.
fn send(
    caseworker: &Device,
    referral: &Value,
    attachments: &[&Path],
    work: &Path,
) -> (String, String) {
    let file = work.join(format!("referral-{}.json", rand_suffix()));
    std::fs::write(&file, serde_json::to_vec(referral).unwrap()).unwrap();
    let mut args = vec!["send", "--to", "shinjuku-iea"];
    for a in attachments {
        args.extend(["--attach", a.to_str().unwrap()]);
    }
    args.push(file.to_str().unwrap());
    let sent = caseworker.json(&args);
    (
        sent["packet_id"].as_str().unwrap().to_owned(),
        sent["thread_id"].as_str().unwrap().to_owned(),
    )
}

fn rand_suffix() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_string()
}

/// Asserts that `page` carries none of the markup raw.
fn assert_escaped(what: &str, page: &str) {
    assert!(
        !page.contains("<script>alert"),
        "{what}: raw script\n{page}"
    );
    assert!(!page.contains("<img src=x"), "{what}: raw img\n{page}");
    assert!(!page.contains("onerror=alert(1)>"), "{what}\n{page}");
}

#[test]
fn the_desk_opens_reads_downloads_answers_and_forwards_in_the_web_app() {
    let d = Deployment::start(&["covic-intake", "shinjuku-iea", "osaka-ngo"]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");
    let (osaka, _) = d.enroll("osaka-ngo", "desk");
    let work = tempfile::tempdir().unwrap();

    // An attachment whose name is markup too, and bytes that are not text.
    let attachment_name = format!("{IMG}.pdf");
    let attachment = work.path().join(&attachment_name);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    std::fs::write(&attachment, &bytes).unwrap();
    let (packet, thread) = send(
        &caseworker,
        &hostile_referral("this_desk"),
        &[&attachment],
        work.path(),
    );

    let app = UiApp::start(&member, &[]);
    assert!(app.enter().status().is_success());

    // The inbox offers the packet with a button.
    let inbox = app.page("/");
    assert!(
        inbox.contains(&format!("action=\"/packets/{packet}/open\"")),
        "{inbox}"
    );

    // A packet the broker does not have: the failure page, nothing kept.
    let missing = app.post_form("/packets/00000000-0000-4000-8000-000000000000/open", &[]);
    assert!(missing.status().is_client_error(), "{}", missing.status());
    assert!(missing.text().unwrap().contains("role=\"alert\""));

    // Opening it goes to the case page.
    let opened = app.post_form(&format!("/packets/{packet}/open"), &[]);
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.url().path(), format!("/cases/{thread}"));
    let case = opened.text().unwrap();
    assert_escaped("case page", &case);
    assert!(
        case.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{case}"
    );
    assert!(
        case.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "{case}"
    );
    // Labelled, in words: the need, the residence status, the consent.
    for words in [
        "vaccination voucher",
        "Residence status",
        "this desk only",
        "Vietnamese (vi)",
    ] {
        assert!(case.contains(words), "{words}: {case}");
    }
    // The consent's time in local time (the test's zone is UTC).
    assert!(case.contains("<dd>2021-09-17 01:20 UTC</dd>"), "{case}");
    // Nothing was saved next to the home: the attachment is a download.
    assert!(case.contains(&format!("href=\"/cases/{thread}/attachments/0\"")));
    // Only accept and decline are offered from "received"; no forward,
    // since the person agreed to this desk only.
    assert!(case.contains("value=\"accepted\""), "{case}");
    assert!(case.contains("value=\"rejected\""), "{case}");
    assert!(!case.contains("value=\"completed\""), "{case}");
    assert!(!case.contains("/forward\""), "no forward form: {case}");
    assert!(case.contains("cannot be forwarded"), "{case}");

    // The open case is listed on the inbox, linking to its page.
    let inbox = app.page("/");
    assert!(
        inbox.contains(&format!("href=\"/cases/{thread}\"")),
        "{inbox}"
    );
    assert!(inbox.contains("vaccination voucher"), "{inbox}");
    assert_escaped("inbox", &inbox);

    // The attachment: a download, exactly the bytes sent.
    let download = app.get(&format!("/cases/{thread}/attachments/0"));
    assert_eq!(download.status(), StatusCode::OK);
    let headers = download.headers().clone();
    assert_eq!(headers["content-type"], "application/octet-stream");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(!disposition.contains('<'), "{disposition}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(download.bytes().unwrap().as_ref(), bytes.as_slice());
    assert_eq!(
        app.get(&format!("/cases/{thread}/attachments/1")).status(),
        StatusCode::NOT_FOUND
    );

    // The page in Japanese: the same sections, in the catalog's words.
    app.get(&format!("/lang?to=ja&back=/cases/{thread}"));
    let ja = app.page(&format!("/cases/{thread}"));
    assert!(ja.contains("ご本人"), "{ja}");
    assert!(ja.contains("受付不可"), "{ja}");
    assert_escaped("Japanese case page", &ja);
    app.get(&format!("/lang?to=en&back=/cases/{thread}"));

    // Accept.
    let accepted = app.post_form(&format!("/cases/{thread}/reply"), &[("status", "accepted")]);
    assert_eq!(accepted.status(), StatusCode::OK);
    let page = accepted.text().unwrap();
    assert!(page.contains("Your answer was sent."), "{page}");
    assert_eq!(caseworker.json(&["thread", &thread])["status"], "accepted");

    // Complete without an outcome: the error is beside the field, and what
    // was typed is kept.
    let refused = app.post_form(
        &format!("/cases/{thread}/reply"),
        &[
            ("status", "completed"),
            ("message", "kept <b>text</b>"),
            ("outcome", "  "),
        ],
    );
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().unwrap();
    assert!(
        page.contains(
            r#"<textarea id="reply-outcome" name="outcome" aria-invalid="true" aria-describedby="reply-outcome-hint reply-outcome-error">"#
        ),
        "{page}"
    );
    assert!(
        page.contains(
            r#"<p class="field-error" id="reply-outcome-error">Say what came of the case.</p>"#
        ),
        "{page}"
    );
    assert!(page.contains("kept &lt;b&gt;text&lt;/b&gt;"), "{page}");
    assert!(
        page.contains(r#"value="completed" required checked"#),
        "{page}"
    );
    assert_eq!(caseworker.json(&["thread", &thread])["status"], "accepted");

    // Complete with an outcome.
    let completed = app.post_form(
        &format!("/cases/{thread}/reply"),
        &[("status", "completed"), ("outcome", "voucher reissued")],
    );
    assert_eq!(completed.status(), StatusCode::OK);
    let page = completed.text().unwrap();
    assert!(page.contains("voucher reissued"), "{page}");
    let seen = caseworker.json(&["thread", &thread]);
    assert_eq!(seen["status"], "completed");
    assert!(
        seen["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["outcome"] == "voucher reissued"),
        "{seen}"
    );
    // A finished case leaves the inbox's open cases.
    let inbox = app.page("/");
    assert!(
        !inbox.contains(&format!("href=\"/cases/{thread}\"")),
        "{inbox}"
    );

    // A referral the person agreed may go on: the desk forwards it.
    let (packet, thread) = send(
        &caseworker,
        &hostile_referral("onward_referral_allowed"),
        &[],
        work.path(),
    );
    let opened = app.post_form(&format!("/packets/{packet}/open"), &[]);
    let case = opened.text().unwrap();
    assert!(
        case.contains(&format!("action=\"/cases/{thread}/forward\"")),
        "{case}"
    );
    assert!(case.contains("<option value=\"osaka-ngo\">"), "{case}");
    assert!(!case.contains("<option value=\"shinjuku-iea\">"), "{case}");
    // No desk chosen: the error is beside the picker.
    let refused = app.post_form(&format!("/cases/{thread}/forward"), &[("to", "")]);
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().unwrap();
    assert!(page.contains(r#"id="forward-to-error""#), "{page}");

    let forwarded = app.post_form(
        &format!("/cases/{thread}/forward"),
        &[("to", "osaka-ngo"), ("note", "closer to home <i>")],
    );
    assert_eq!(forwarded.status(), StatusCode::OK);
    let page = forwarded.text().unwrap();
    assert!(page.contains("The case was forwarded."), "{page}");
    assert!(page.contains("forwarded"), "{page}");
    let waiting = osaka.json(&["inbox"]);
    let packets = waiting.as_array().unwrap();
    assert_eq!(packets.len(), 1, "{waiting}");
    assert_eq!(packets[0]["kind"], "forward");
    let opened = osaka.json(&["open", packets[0]["packet_id"].as_str().unwrap()]);
    assert_eq!(opened["forward"]["note"], "closer to home <i>");
    assert_eq!(opened["referral"]["case"]["reference"], IMG);
}
