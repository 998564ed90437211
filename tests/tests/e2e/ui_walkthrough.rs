//! The acceptance walkthrough (SPEC §10) through two browsers (issue 21):
//! a caseworker's app and a desk clerk's app, on two homes, against one
//! real broker, each in real Chromium. The caseworker writes a referral in
//! the form with a 3 MB attachment and sends it; the clerk opens it from
//! the inbox, downloads the attachment (byte-identical, as a download),
//! and accepts; the caseworker opens the reply and sees "accepted"; the
//! clerk completes the case with an outcome; the caseworker's case list
//! shows it completed. Once in Japanese, once in English, every page
//! checked by axe-core. And a referral full of markup and script, opened
//! in the browser, shows as text and creates no element and runs nothing.
//!
//! Screenshots of each page on the way (and of the administrator's pages)
//! go to `docs/ui/` when `REFERRAL_UI_SCREENSHOTS=1` (docs/ui.md).

use std::path::Path;

use referral_cli::i18n::{Lang, with_lang};
use referral_cli::referral::model::Need;
use referral_cli::referral::words;
use referral_cli::tr;
use referral_e2e::Device;
use referral_e2e::browser::{Browser, Screenshots};
use referral_e2e::deployment::{Broker, Deployment};
use referral_e2e::ui::UiApp;
use referral_protocol::ThreadStatus;
use ring::digest::{SHA256, digest};
use serde_json::json;

/// Times as a desk in Japan sees them.
const ZONE: [(&str, &str); 1] = [("TZ", "Asia/Tokyo")];

/// The person and case, in the words a caseworker in `lang` would type.
struct Case {
    name: &'static str,
    summary: &'static str,
    municipality: &'static str,
    best_times: &'static str,
    method: &'static str,
    accept_message: &'static str,
    outcome: &'static str,
}

fn case_in(lang: Lang) -> Case {
    match lang {
        Lang::Ja => Case {
            name: "グエン・ティ・ラン",
            summary: "大久保駅の近くで接種券の封筒をなくしました。再発行が必要です。",
            municipality: "新宿区",
            best_times: "平日の午前",
            method: "電話で口頭により確認",
            accept_message: "月曜日にお電話します。",
            outcome: "接種券を再発行しました。",
        },
        Lang::En | Lang::Vi => Case {
            name: "Nguyen Thi Lan",
            summary: "Lost the voucher envelope near Okubo station; needs a new voucher.",
            municipality: "Shinjuku-ku",
            best_times: "weekday mornings",
            method: "verbal, by phone",
            accept_message: "We will call her on Monday.",
            outcome: "Voucher issued again.",
        },
    }
}

/// A message of the app's catalogs in `lang`.
fn say(lang: Lang, message: impl FnOnce() -> String) -> String {
    with_lang(lang, message)
}

/// The two desks with names, a prefecture and languages, a caseworker at
/// the intake desk and a clerk at the partner desk.
fn two_desks() -> (Deployment, Device, Device) {
    let d = Deployment::on(Broker::start(), &[("covic-intake", "COVIC intake")]);
    d.admin.json(&[
        "admin",
        "desk",
        "add",
        "shinjuku-iea",
        "--name",
        "Shinjuku IEA",
        "--prefecture",
        "JP-13",
        "--languages",
        "ja,en,vi",
    ]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (clerk, _) = d.enroll("shinjuku-iea", "desk");
    (d, caseworker, clerk)
}

/// Asserts that the page is in `lang` and has no serious or critical
/// accessibility violation, and keeps its screenshot as `name-LANG.png`.
fn check_page(browser: &Browser, shots: &Screenshots, lang: Lang, name: &str) {
    assert_eq!(browser.html_lang(), lang.code(), "{name}: <html lang>");
    browser.assert_accessible(&format!("{name} ({lang:?})"));
    shots.take(browser, &format!("{name}-{}.png", lang.code()));
}

/// The caseworker fills in the new-referral form, as a person would.
fn write_referral(browser: &Browser, lang: Lang, case: &Case, scan: &Path) {
    browser.click_link(&say(lang, || tr!("ui-nav-new")));
    browser.wait_for_path("/new");
    browser.choose("to", "shinjuku-iea");
    browser.fill("case.reference", "CW-2026-0412");
    browser.choose("case.need", "vaccination_voucher");
    browser.choose("case.urgency", "normal");
    browser.fill("case.summary", case.summary);
    browser.fill("person.name", case.name);
    browser.choose("person.preferred_language", "vi");
    browser.choose("person.interpreter_needed", "yes");
    browser.fill("person.contact.phone", "080-4417-2291");
    browser.fill("person.contact.best_times", case.best_times);
    browser.choose("person.contact.desk_may_call", "yes");
    browser.choose("person.prefecture", "JP-13");
    browser.fill("person.municipality", case.municipality);
    browser.choose("status.residence_category", "undocumented");
    browser.choose("status.documents_held", "passport");
    browser.choose("consent.recorded", "yes");
    browser.choose("consent.scope", "this_desk");
    browser.fill("consent.method", case.method);
    browser.choose("consent.language", "vi");
    browser.attach("attachments", scan);
}

/// The path of the case page the browser is on (`/cases/THREAD`).
fn case_path(browser: &Browser) -> String {
    browser.wait_until("a case page", |b| b.url().path().starts_with("/cases/"));
    browser.url().path().to_owned()
}

/// Downloads the case's first attachment with the browser's own session
/// (its `fetch`), and returns how it was served and its SHA-256.
fn download_first_attachment(browser: &Browser) -> serde_json::Value {
    browser.execute_async(
        "const done = arguments[arguments.length - 1];
         const link = document.querySelector('a[href*=\"/attachments/\"]');
         if (!link) { done({error: 'no attachment link'}); return; }
         fetch(link.href).then(async (r) => {
           const bytes = await r.arrayBuffer();
           const hash = await crypto.subtle.digest('SHA-256', bytes);
           done({
             status: r.status,
             disposition: r.headers.get('content-disposition'),
             type: r.headers.get('content-type'),
             download: link.hasAttribute('download'),
             sha256: Array.from(new Uint8Array(hash))
               .map((b) => b.toString(16).padStart(2, '0')).join(''),
           });
         }).catch((e) => done({error: String(e)}));",
        Vec::new(),
    )
}

/// The clerk answers the case with `status` and, where it needs one, text.
fn answer(browser: &Browser, lang: Lang, status: ThreadStatus, field: &str, text: &str) {
    browser.choose("status", status.as_str());
    browser.fill(field, text);
    browser.click_button(&say(lang, || tr!("ui-clerk-answer-send")));
}

/// Waits until the page's text shows `status` in `lang`'s words.
fn shows_status(browser: &Browser, lang: Lang, status: ThreadStatus) {
    let word = say(lang, || words::status(status));
    browser.wait_until(&format!("the status {word:?}"), |b| {
        b.text().contains(&word)
    });
}

fn walkthrough(lang: Lang) {
    let (d, caseworker, clerk) = two_desks();
    let case = case_in(lang);
    let shots = Screenshots::from_env();
    let work = tempfile::tempdir().expect("tempdir");
    let scan = work.path().join("scan.pdf");
    let scan_bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(&scan, &scan_bytes).expect("write the scan");
    let scan_sha256 = hex::encode(digest(&SHA256, &scan_bytes));

    let cw_app = UiApp::start_with_env(&caseworker, &[], &ZONE);
    let clerk_app = UiApp::start_with_env(&clerk, &[], &ZONE);
    let cw = Browser::start(lang.code());
    let desk = Browser::start(lang.code());

    // 1. The caseworker writes the referral and sends it with the scan.
    cw.goto(&cw_app.entry_url);
    cw.wait_for_path("/");
    write_referral(&cw, lang, &case, &scan);
    check_page(&cw, &shots, lang, "new-referral");
    cw.click_button(&say(lang, || tr!("ui-cw-send")));
    cw.wait_until("the page that says it was sent", |b| {
        b.url().path().starts_with("/new/sent/")
    });
    let sent_text = cw.text();
    assert!(
        sent_text.contains("shinjuku-iea") || sent_text.contains("Shinjuku IEA"),
        "{sent_text}"
    );
    check_page(&cw, &shots, lang, "sent");

    // 2. The clerk sees it in the inbox and opens it: the referral as a
    //    labelled form, in the page's language.
    desk.goto(&clerk_app.entry_url);
    desk.wait_for_path("/");
    let inbox = desk.text();
    assert!(inbox.contains("covic-intake"), "{inbox}");
    check_page(&desk, &shots, lang, "desk-inbox");
    desk.click_button(&say(lang, || tr!("ui-inbox-open")));
    let thread_page = case_path(&desk);
    let opened = desk.text();
    for shown in [case.name, case.summary, case.municipality, "080-4417-2291"] {
        assert!(
            opened.contains(shown),
            "the case page shows {shown:?}:\n{opened}"
        );
    }
    let need = say(lang, || words::need(Need::VaccinationVoucher));
    assert!(
        opened.contains(&need),
        "the need in words ({need:?}):\n{opened}"
    );
    check_page(&desk, &shots, lang, "case");

    // 3. The attachment is a download, byte-identical.
    let download = download_first_attachment(&desk);
    assert_eq!(download["status"], 200, "{download}");
    assert_eq!(download["download"], true, "{download}");
    assert_eq!(download["type"], "application/octet-stream", "{download}");
    let disposition = download["disposition"].as_str().unwrap_or_default();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("scan.pdf"),
        "{download}"
    );
    assert_eq!(
        download["sha256"],
        json!(scan_sha256),
        "the scan arrived whole"
    );

    // 4. The clerk accepts; the caseworker opens the reply and sees it.
    answer(
        &desk,
        lang,
        ThreadStatus::Accepted,
        "message",
        case.accept_message,
    );
    desk.wait_for_path(&thread_page);
    shows_status(&desk, lang, ThreadStatus::Accepted);

    cw.click_link(&say(lang, || tr!("ui-nav-inbox")));
    cw.wait_for_path("/");
    cw.click_button(&say(lang, || tr!("ui-inbox-open")));
    assert_eq!(case_path(&cw), thread_page, "the reply is on the same case");
    shows_status(&cw, lang, ThreadStatus::Accepted);
    assert!(cw.text().contains(case.accept_message), "{}", cw.text());

    // 5. The clerk completes the case with its outcome; the caseworker's
    //    case list shows it completed.
    answer(
        &desk,
        lang,
        ThreadStatus::Completed,
        "outcome",
        case.outcome,
    );
    desk.wait_for_path(&thread_page);
    shows_status(&desk, lang, ThreadStatus::Completed);

    cw.click_link(&say(lang, || tr!("ui-nav-cases")));
    cw.wait_for_path("/cases");
    shows_status(&cw, lang, ThreadStatus::Completed);
    assert!(cw.text().contains(case.name), "{}", cw.text());
    check_page(&cw, &shots, lang, "cases");

    cw.click_link(&say(lang, || tr!("ui-nav-report")));
    cw.wait_for_path("/report");
    check_page(&cw, &shots, lang, "report");

    cw.click_link(&say(lang, || tr!("ui-nav-outbox")));
    cw.wait_for_path("/outbox");
    check_page(&cw, &shots, lang, "outbox");

    // The administrator's pages, with a device waiting for approval.
    let code = d.invite("shinjuku-iea", "desk");
    let newcomer = d.new_device("newcomer passphrase");
    newcomer.json(&["enroll", "--code", &code]);
    let admin_app = UiApp::start_with_env(&d.admin, &[], &ZONE);
    let admin = Browser::start(lang.code());
    admin.goto(&admin_app.entry_url);
    admin.wait_for_path("/");
    for (path, name) in [
        ("/admin/pending", "admin-pending"),
        ("/admin/devices", "admin-devices"),
        ("/admin/audit", "admin-audit"),
    ] {
        admin.goto(&format!("{}{path}", admin_app.base));
        admin.wait_for_path(path);
        check_page(&admin, &shots, lang, name);
    }
}

#[test]
fn ui_walkthrough_in_japanese() {
    walkthrough(Lang::Ja);
}

#[test]
fn ui_walkthrough_in_english() {
    walkthrough(Lang::En);
}

/// Markup and script in every text field of a referral, as a hostile or
/// careless sender would write them.
const HOSTILE: &str = concat!(
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "\"><svg onload=\"window.__pwned = 'svg'\">",
    "<a href=\"javascript:window.__pwned='link'\">click</a>",
);

#[test]
fn ui_hostile_text_is_shown_as_text_and_runs_nothing() {
    let (_d, caseworker, clerk) = two_desks();
    let work = tempfile::tempdir().expect("tempdir");
    let file = work.path().join("hostile.json");
    let mut referral: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/examples/referral.json"))
            .expect("the example referral");
    for (section, field) in [
        ("case", "reference"),
        ("case", "summary"),
        ("person", "name"),
        ("person", "municipality"),
        ("consent", "method"),
    ] {
        referral[section][field] = json!(format!("{field} {HOSTILE}"));
    }
    referral["person"]["contact"]["best_times"] = json!(HOSTILE);
    std::fs::write(&file, referral.to_string()).expect("write the referral");
    caseworker.run_ok(&[
        "send",
        "--to",
        "shinjuku-iea",
        file.to_str().expect("a path"),
    ]);

    let app = UiApp::start(&clerk, &[]);
    let browser = Browser::start("en");
    browser.goto(&app.entry_url);
    browser.wait_for_path("/");
    browser.click_button(&say(Lang::En, || tr!("ui-inbox-open")));
    case_path(&browser);
    // The text is there, as text, every time it was written.
    let text = browser.text();
    assert!(
        text.matches("<script>window.__pwned = 'script'</script>")
            .count()
            >= 6,
        "the markup is shown as written:\n{text}"
    );
    // Nothing of it became an element, and nothing ran.
    let found = browser.execute(
        "return {
           pwned: window.__pwned || null,
           scripts: Array.from(document.scripts).map((s) => s.getAttribute('src')),
           images: document.querySelectorAll('img').length,
           svgs: document.querySelectorAll('svg[onload]').length,
           javascript_links: document.querySelectorAll('a[href^=\"javascript:\"]').length,
           handlers: document.querySelectorAll('[onerror], [onload], [onclick]').length,
         };",
        Vec::new(),
    );
    assert_eq!(
        found,
        json!({
            "pwned": null,
            "scripts": ["/assets/app.js"],
            "images": 0,
            "svgs": 0,
            "javascript_links": 0,
            "handlers": 0,
        }),
        "the page holds only the app's own elements"
    );
    // The same on the inbox, which lists the case with its need.
    browser.click_link(&say(Lang::En, || tr!("ui-nav-inbox")));
    browser.wait_for_path("/");
    assert_eq!(
        browser.execute("return window.__pwned || null", Vec::new()),
        json!(null)
    );
    assert_eq!(
        browser.execute(
            "return document.querySelectorAll('img, svg[onload]').length",
            Vec::new()
        ),
        json!(0)
    );
}
