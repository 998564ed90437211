//! The caseworker's pages of `referral ui` (issue 21), over HTTP against a
//! real broker: the new-referral form refuses a referral without its
//! summary and shows why next to the field with everything else kept; a
//! file whose name would display as another is refused at the file field; a
//! valid one with a 3 MB attachment reaches the desk and leaves no file in
//! the upload directory; the case list finds it by name and by phone; the
//! report draws charts and downloads as CSV.

use std::os::unix::fs::PermissionsExt;

use referral_e2e::deployment::{Broker, Deployment};
use referral_e2e::ui::UiApp;
use secrecy::ExposeSecret;

/// A multipart/form-data body, as a browser writes it.
struct Multipart {
    boundary: String,
    body: Vec<u8>,
}

impl Multipart {
    fn new() -> Self {
        Multipart {
            boundary: "----referral-test-boundary-7MA4YWxkTrZu0gW".to_owned(),
            body: Vec::new(),
        }
    }

    fn text(mut self, name: &str, value: &str) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self
    }

    fn file(mut self, name: &str, file_name: &str, bytes: &[u8]) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            self.body,
        )
    }
}

/// Every field of the form filled in, but the summary as given.
fn referral_form(summary: &str) -> Multipart {
    let mut form = Multipart::new().text("to", "shinjuku-iea");
    for (name, value) in [
        ("case.reference", "CW-UI-0001"),
        ("case.need", "medical"),
        ("case.urgency", "high"),
        ("case.summary", summary),
        ("person.name", "Tran Van Webform"),
        ("person.preferred_language", "vi"),
        ("person.interpreter_needed", "yes"),
        ("person.contact.phone", "090-5555-1234"),
        ("person.contact.other", ""),
        ("person.contact.best_times", "afternoons"),
        ("person.contact.desk_may_call", "yes"),
        ("person.prefecture", "JP-13"),
        ("person.municipality", "Shinjuku-ku"),
        ("status.residence_category", "provisional_release"),
        ("status.documents_held", "passport"),
        ("status.documents_held", "provisional_release_permit"),
        ("consent.recorded", "yes"),
        ("consent.scope", "this_desk"),
        ("consent.obtained_at", "2026-12-07T10:20:00+09:00"),
        ("consent.method", "verbal, in person"),
        ("consent.language", "vi"),
    ] {
        form = form.text(name, value);
    }
    form
}

fn post_new(app: &UiApp, form: Multipart) -> reqwest::blocking::Response {
    let (content_type, body) = form.finish();
    app.client
        .post(format!("{}/new?csrf={}", app.base, app.csrf()))
        .header("Origin", &app.base)
        .header("Sec-Fetch-Site", "same-origin")
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .expect("POST /new")
}

#[test]
fn a_referral_written_in_the_browser_reaches_the_desk_and_is_found_in_the_cases() {
    let d = Deployment::on(Broker::start(), &[("covic-intake", "COVIC intake")]);
    d.admin.json(&[
        "admin",
        "desk",
        "add",
        "shinjuku-iea",
        "--name",
        "Shinjuku <IEA>",
        "--prefecture",
        "JP-13",
        "--languages",
        "ja,vi",
    ]);
    let (caseworker, _) = d.enroll("covic-intake", "caseworker");
    let (member, _) = d.enroll("shinjuku-iea", "desk");

    let passphrase_file = caseworker.home.path().join("passphrase.txt");
    std::fs::write(
        &passphrase_file,
        caseworker.passphrase().expose_secret().as_bytes(),
    )
    .unwrap();
    std::fs::set_permissions(&passphrase_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let app = UiApp::start_locked(
        &caseworker,
        &["--passphrase-file", passphrase_file.to_str().unwrap()],
    );
    assert!(app.enter().status().is_success());

    // The form: the desk picker with the desk's languages and prefecture,
    // its name escaped.
    let form = app.page("/new");
    assert!(form.contains(r#"enctype="multipart/form-data""#), "{form}");
    assert!(form.contains("Shinjuku &lt;IEA&gt;"), "{form}");
    assert!(form.contains("Vietnamese (vi)"), "{form}");
    assert!(form.contains("Tokyo (JP-13)"), "{form}");
    assert!(
        !form.contains("covic-intake"),
        "its own desk is not offered"
    );

    // Without a summary: refused, the error next to the field, every
    // other value kept, and the files asked for again.
    let refused = post_new(
        &app,
        referral_form("  ").file("attachments", "early.pdf", b"%PDF-1.4 early"),
    );
    assert_eq!(refused.status(), 422);
    let page = refused.text().unwrap();
    let field = page
        .find(r#"<textarea id="case-summary""#)
        .unwrap_or_else(|| panic!("the summary field: {page}"));
    let error = page
        .find(r#"<p class="field-error" id="case-summary-error">This needs an answer.</p>"#)
        .unwrap_or_else(|| panic!("the summary's error: {page}"));
    assert!(
        error > field && error - field < 400,
        "the error follows the field"
    );
    let textarea = &page[field..error];
    assert!(textarea.contains(r#"aria-invalid="true""#), "{textarea}");
    assert!(
        textarea.contains(r#"aria-describedby="case-summary-hint case-summary-error""#),
        "{textarea}"
    );
    assert_eq!(page.matches(r#"class="field-error""#).count(), 1, "{page}");
    for kept in [
        r#"value="Tran Van Webform""#,
        r#"value="090-5555-1234""#,
        r#"value="CW-UI-0001""#,
        r#"value="medical" selected"#,
        r#"value="JP-13" selected"#,
        r#"value="provisional_release_permit" checked"#,
        r#"value="shinjuku-iea" checked"#,
    ] {
        assert!(page.contains(kept), "{kept} kept: {page}");
    }
    assert!(page.contains("choose them again"), "{page}");
    let uploads = caseworker.home.path().join("ui-uploads");
    assert_eq!(std::fs::read_dir(&uploads).unwrap().count(), 0);

    // A file whose name would display as another is refused next to the
    // file field, by the same check as `send --attach`; nothing is kept.
    let spoofed = post_new(
        &app,
        referral_form("Needs a clinic").file("attachments", "Invoice_\u{202E}gpj.exe", b"MZ"),
    );
    assert_eq!(spoofed.status(), 422);
    let page = spoofed.text().unwrap();
    assert!(
        page.contains(r#"aria-describedby="attachments-hint attachments-error""#),
        "{page}"
    );
    assert!(
        page.contains(r#"<p class="field-error" id="attachments-error">"#),
        "{page}"
    );
    assert_eq!(page.matches(r#"class="field-error""#).count(), 1, "{page}");
    assert_eq!(std::fs::read_dir(&uploads).unwrap().count(), 0);

    // A valid one with a 3 MB attachment.
    let scan: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let sent = post_new(
        &app,
        referral_form("Needs a clinic that takes provisional release").file(
            "attachments",
            "scan.pdf",
            &scan,
        ),
    );
    assert!(sent.status().is_success(), "{}", sent.status());
    let sent_path = sent.url().path().to_owned();
    let sent_query = sent.url().query().map(str::to_owned);
    let sent_page = sent.text().unwrap();
    assert!(sent_path.starts_with("/new/sent/"), "{sent_path}");
    let thread = sent_path.trim_start_matches("/new/sent/").to_owned();
    assert!(sent_page.contains("shinjuku-iea"), "{sent_page}");
    assert!(sent_page.contains(&thread), "{sent_page}");
    assert!(sent_page.contains(r#"href="/cases""#), "{sent_page}");
    // Every device here has a post-quantum key: no classic notice, and the
    // notice the page shows after a classic send says what to do.
    assert_eq!(sent_query, None);
    assert!(!sent_page.contains("classic encryption"), "{sent_page}");
    let classic_page = app.page(&format!("{sent_path}?classic=1"));
    assert!(
        classic_page.contains("classic encryption") && classic_page.contains("referral rotate"),
        "{classic_page}"
    );
    assert_eq!(
        std::fs::read_dir(&uploads).unwrap().count(),
        0,
        "no file is left in the upload directory"
    );

    // The desk receives it, with the attachment whole.
    let inbox = member.json(&["inbox"]);
    let packets = inbox.as_array().unwrap();
    assert_eq!(packets.len(), 1, "{inbox}");
    assert_eq!(packets[0]["from_desk"], "covic-intake");
    let opened = member.json(&["open", packets[0]["packet_id"].as_str().unwrap()]);
    assert_eq!(opened["thread_id"], thread.as_str(), "{opened}");
    assert_eq!(
        opened["referral"]["person"]["name"], "Tran Van Webform",
        "{opened}"
    );
    let attachment = &opened["attachments"][0];
    assert_eq!(attachment["name"], "scan.pdf", "{opened}");
    assert_eq!(attachment["bytes"], scan.len() as u64, "{opened}");

    // The case list finds it by name and by phone, and not by nonsense.
    for query in ["webform", "5555-1234"] {
        let list = app.page(&format!("/cases?q={query}&status="));
        assert!(
            list.contains(&format!(r#"href="/cases/{thread}""#)),
            "{query}: {list}"
        );
        assert!(list.contains("Tran Van Webform"), "{list}");
    }
    let none = app.page("/cases?q=nobody-at-all");
    assert!(!none.contains(&format!("/cases/{thread}")), "{none}");
    let received = app.page("/cases?status=completed");
    assert!(
        !received.contains(&format!("/cases/{thread}")),
        "{received}"
    );

    // The report: charts, and the CSV as a download.
    let report = app.page("/report");
    assert!(report.contains(r#"role="img""#), "{report}");
    assert!(report.contains("vi (Vietnamese)"), "{report}");
    let csv = app.get("/report.csv");
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-disposition"],
        "attachment; filename=\"referral-report.csv\""
    );
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{:?}",
        csv.headers()
    );
    let text = csv.text().unwrap();
    assert!(text.starts_with("section,key,value\n"), "{text}");
    assert!(text.contains("cases,total,1\n"), "{text}");
    assert!(text.contains("language,vi (Vietnamese),1\n"), "{text}");

    // In Japanese, the same form reads in Japanese: the enumerations, the
    // desk's languages and prefecture in words.
    let ja = app.page("/lang?to=ja&back=/new");
    assert!(ja.contains(r#"<html lang="ja">"#), "{ja}");
    for words in [
        "紹介先の窓口",
        "ベトナム語 (vi)",
        "東京都 (JP-13)",
        "医療",
        "緊急度",
    ] {
        assert!(ja.contains(words), "{words}: {ja}");
    }
}
