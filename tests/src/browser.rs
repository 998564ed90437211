//! A real browser for the web app's tests (ADR 0017 §8): Debian's
//! `chromium`, headless, driven by `chromedriver` through `fantoccini`.
//!
//! [`Browser`] starts its own `chromedriver` on a free port (killed, with
//! the browser it started, when dropped), opens one headless Chromium
//! session in the language asked for, with JavaScript on or off, and offers
//! what a test of a page needs: go to a URL, fill a field by its label or
//! name, click a button or a link by its text, read the page, take a
//! screenshot, and run axe-core (from `tests/browser/node_modules`, which
//! `.ci/run` installs with `npm ci`) on the page.
//!
//! A missing browser fails the test with the packages to install; it is
//! never skipped: a claim about pages must not pass by not being checked.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// Debian's Chromium (`apt-get install chromium`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (`apt-get install chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The Debian packages the browser tests need; `.ci/run` installs them.
pub const APT_PACKAGES: &str = "chromium chromium-driver fonts-noto-cjk";
/// Set to `1` to write the screenshots into `docs/ui/` (to commit them);
/// otherwise they go to a temporary directory, and CI leaves the checkout
/// as it found it.
pub const SCREENSHOTS_ENV: &str = "REFERRAL_UI_SCREENSHOTS";

/// How long to wait for chromedriver to answer, and for a page to reach a
/// state a test waits for.
const PATIENCE: Duration = Duration::from_secs(30);

/// How a browser is started.
#[derive(Debug, Clone)]
pub struct Options {
    /// The browser's language: `--lang` and its `Accept-Language`
    /// (`ja`, `en`, `vi`).
    pub lang: String,
    /// Whether pages may run script. Off is Chromium's own setting
    /// (`profile.managed_default_content_settings.javascript: 2`), as a
    /// person or an administrator would turn it off.
    pub javascript: bool,
}

impl Options {
    /// JavaScript on, in `lang`.
    pub fn lang(lang: &str) -> Options {
        Options {
            lang: lang.to_owned(),
            javascript: true,
        }
    }

    /// The same, with JavaScript off.
    pub fn without_javascript(self) -> Options {
        Options {
            javascript: false,
            ..self
        }
    }
}

/// The WebDriver capabilities for [`Options`]: headless Chromium at a
/// fixed size, in the language asked for.
pub fn capabilities(options: &Options) -> Capabilities {
    let mut prefs = json!({ "intl.accept_languages": options.lang });
    if !options.javascript {
        prefs["profile.managed_default_content_settings.javascript"] = json!(2);
    }
    let value = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1280,1000",
                "--hide-scrollbars",
                format!("--lang={}", options.lang),
            ],
            "prefs": prefs,
        },
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object is an object"),
    }
}

/// Fails the test if Chromium or chromedriver is missing, naming the
/// packages. Under CI (`CI` set) that is a failure of the run; on a
/// developer's machine too, with the command that fixes it: never a skip.
pub fn require_browser() {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|path| !Path::new(path).is_file())
        .collect();
    if missing.is_empty() {
        return;
    }
    let missing = missing.join(" and ");
    if std::env::var_os("CI").is_some() {
        panic!(
            "CI is set and {missing} is missing: the browser tests must run in CI. \
             .ci/run installs them (apt-get install -y {APT_PACKAGES})"
        );
    }
    panic!(
        "{missing} is missing: the web app's browser tests need Debian's Chromium. \
         Install it with `sudo apt-get install -y {APT_PACKAGES}` (what .ci/run does), \
         then run the tests again"
    );
}

/// A `chromedriver` process and the headless Chromium session it drives.
pub struct Browser {
    client: Client,
    runtime: tokio::runtime::Runtime,
    driver: Child,
    /// chromedriver's log, for the message when something fails.
    driver_log: PathBuf,
    _work: tempfile::TempDir,
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Browser")
            .field("driver", &self.driver.id())
            .field("driver_log", &self.driver_log)
            .finish_non_exhaustive()
    }
}

/// One problem axe-core found on a page.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule's id (`color-contrast`, `label`, …).
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// What the rule asks for.
    pub help: String,
    /// The elements that break it: their CSS selectors and markup.
    pub nodes: Vec<String>,
}

impl Violation {
    /// Whether it fails the accessibility check: `serious` or `critical`.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "[{}] {}: {}", self.impact, self.id, self.help)?;
        for node in &self.nodes {
            writeln!(f, "    {node}")?;
        }
        Ok(())
    }
}

impl Violation {
    /// The violations in axe-core's `results.violations`.
    pub fn from_axe(violations: &Value) -> Vec<Violation> {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        violations
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|v| Violation {
                id: text(&v["id"]),
                impact: text(&v["impact"]),
                help: text(&v["help"]),
                nodes: v["nodes"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|node| format!("{} {}", node["target"], text(&node["html"])))
                    .collect(),
            })
            .collect()
    }
}

/// A chromedriver extension: one Chrome DevTools Protocol command
/// (`POST /session/{id}/goog/cdp/execute`), for what WebDriver has no
/// command for.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// An XPath string literal for `text`, whatever quotes it holds.
pub fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    if !text.contains('"') {
        return format!("\"{text}\"");
    }
    let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
    format!("concat({})", parts.join(", \"'\", "))
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

impl Browser {
    /// Headless Chromium in `lang`, JavaScript on.
    pub fn start(lang: &str) -> Browser {
        Self::start_with(&Options::lang(lang))
    }

    /// Headless Chromium as `options` say.
    pub fn start_with(options: &Options) -> Browser {
        require_browser();
        let work = tempfile::tempdir().expect("tempdir");
        let driver_log = work.path().join("chromedriver.log");
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(File::create(&driver_log).expect("create the chromedriver log"))
            .stderr(Stdio::from(
                File::options()
                    .append(true)
                    .open(&driver_log)
                    .expect("open the chromedriver log"),
            ));
        // Its own process group: dropping the browser ends chromedriver and
        // every Chromium process it started, even if the session was not
        // closed.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut driver = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {CHROMEDRIVER}: {e}"));
        let webdriver = format!("http://127.0.0.1:{port}");
        wait_for_driver(&webdriver, &mut driver, &driver_log);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the WebDriver client");
        let connected = runtime.block_on(
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities(options))
                .connect(&webdriver),
        );
        let client = match connected {
            Ok(client) => client,
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!(
                    "chromedriver did not start Chromium ({e}); its log:\n{}",
                    std::fs::read_to_string(&driver_log).unwrap_or_default()
                );
            }
        };
        Browser {
            client,
            runtime,
            driver,
            driver_log,
            _work: work,
        }
    }

    fn fail(&self, what: &str, error: impl fmt::Display) -> ! {
        panic!(
            "browser: {what}: {error}\nchromedriver's log ends:\n{}",
            log_tail(&self.driver_log)
        )
    }

    /// Opens `url` and waits until it has loaded.
    pub fn goto(&self, url: &str) {
        if let Err(e) = self.runtime.block_on(self.client.goto(url)) {
            self.fail(&format!("open {url}"), e);
        }
    }

    /// The address bar's URL.
    pub fn url(&self) -> url::Url {
        self.runtime
            .block_on(self.client.current_url())
            .unwrap_or_else(|e| self.fail("read the URL", e))
    }

    /// Waits until the URL's path is `path` (a click's navigation, a
    /// redirect by the page's script), and returns the URL.
    pub fn wait_for_path(&self, path: &str) -> url::Url {
        let started = Instant::now();
        loop {
            let url = self.url();
            if url.path() == path && self.ready() {
                return url;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the browser did not reach {path} within {PATIENCE:?}; it is at {url}:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `done` holds for the page (a language switched, a
    /// message shown), failing after a while with `what` and the page.
    pub fn wait_until(&self, what: &str, done: impl Fn(&Browser) -> bool) {
        let started = Instant::now();
        while !(self.ready() && done(self)) {
            assert!(
                started.elapsed() < PATIENCE,
                "the browser did not reach {what} within {PATIENCE:?}; it is at {}:\n{}",
                self.url(),
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn ready(&self) -> bool {
        // With JavaScript off, script from WebDriver still runs (it is the
        // page's own script that is refused).
        self.runtime
            .block_on(
                self.client
                    .execute("return document.readyState", Vec::new()),
            )
            .is_ok_and(|state| state == "complete")
    }

    /// Runs `script` in the page (WebDriver's Execute Script: a function
    /// body; `arguments` holds `args`) and returns what it returns.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.runtime
            .block_on(self.client.execute(script, args))
            .unwrap_or_else(|e| self.fail("run a script in the page", e))
    }

    /// Runs `script` before any of the page's own script, in every page
    /// opened from now on (DevTools' `Page.addScriptToEvaluateOnNewDocument`):
    /// how a test speeds up the page's clock.
    pub fn before_each_page(&self, script: &str) {
        let cdp = Cdp {
            cmd: "Page.addScriptToEvaluateOnNewDocument".to_owned(),
            params: json!({ "source": script }),
        };
        if let Err(e) = self.runtime.block_on(self.client.issue_cmd(cdp)) {
            self.fail("add a script to every page", e);
        }
    }

    /// `<html lang>` of the page.
    pub fn html_lang(&self) -> String {
        self.execute("return document.documentElement.lang", Vec::new())
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The page's text as a person sees it (`document.body.innerText`).
    pub fn text(&self) -> String {
        self.execute(
            "return document.body ? document.body.innerText : ''",
            Vec::new(),
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The page's `<title>`.
    pub fn title(&self) -> String {
        self.runtime
            .block_on(self.client.title())
            .unwrap_or_else(|e| self.fail("read the title", e))
    }

    fn find(&self, what: &str, xpath: &str) -> fantoccini::elements::Element {
        self.runtime
            .block_on(self.client.find(Locator::XPath(xpath)))
            .unwrap_or_else(|e| {
                self.fail(
                    &format!("find {what} ({xpath}) on this page:\n{}", self.text()),
                    e,
                )
            })
    }

    /// The form field whose `<label>` reads `label`, else the one named
    /// `label`. A field found by its label is one a person can find.
    pub fn field(&self, label: &str) -> fantoccini::elements::Element {
        let literal = xpath_literal(label);
        let by_label = format!("//label[normalize-space(.)={literal}]");
        let labels = self
            .runtime
            .block_on(self.client.find_all(Locator::XPath(&by_label)))
            .unwrap_or_default();
        if let Some(label_element) = labels.first() {
            let target = self
                .runtime
                .block_on(label_element.attr("for"))
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("the label {label:?} has no `for`"));
            return self
                .runtime
                .block_on(self.client.find(Locator::Id(&target)))
                .unwrap_or_else(|e| {
                    self.fail(&format!("the field of label {label:?} (#{target})"), e)
                });
        }
        self.find(
            &format!("a field labelled or named {label:?}"),
            &format!("//*[(self::input or self::textarea or self::select) and @name={literal}]"),
        )
    }

    /// Types `value` into the field labelled (or named) `label`, after
    /// clearing it.
    pub fn fill(&self, label: &str, value: &str) {
        let field = self.field(label);
        if let Err(e) = self.runtime.block_on(async {
            field.clear().await?;
            field.send_keys(value).await
        }) {
            self.fail(&format!("type into {label:?}"), e);
        }
    }

    /// Clicks the button that reads `text`.
    pub fn click_button(&self, text: &str) {
        let literal = xpath_literal(text);
        let button = self.find(
            &format!("the button {text:?}"),
            &format!(
                "//button[normalize-space(.)={literal}] | \
                 //input[(@type='submit' or @type='button') and @value={literal}]"
            ),
        );
        if let Err(e) = self.runtime.block_on(button.click()) {
            self.fail(&format!("click the button {text:?}"), e);
        }
    }

    /// Chooses `value` in the field named `name`: the option of a
    /// `<select>`, or the radio button or checkbox with that value, by
    /// clicking it as a person would.
    pub fn choose(&self, name: &str, value: &str) {
        let name_literal = xpath_literal(name);
        let value_literal = xpath_literal(value);
        let target = self.find(
            &format!("the choice {value:?} of {name:?}"),
            &format!(
                "//select[@name={name_literal}]/option[@value={value_literal}] | \
                 //input[(@type='radio' or @type='checkbox') and @name={name_literal} \
                 and @value={value_literal}]"
            ),
        );
        if let Err(e) = self.runtime.block_on(target.click()) {
            self.fail(&format!("choose {value:?} for {name:?}"), e);
        }
    }

    /// Chooses the file at `path` in the file field whose label or name is
    /// `label` (what a person does through the file dialog).
    pub fn attach(&self, label: &str, path: &Path) {
        let field = self.field(label);
        let path = path.to_str().expect("a UTF-8 path");
        if let Err(e) = self.runtime.block_on(field.send_keys(path)) {
            self.fail(&format!("attach {path} to {label:?}"), e);
        }
    }

    /// Runs `script` in the page as WebDriver's Execute Async Script: the
    /// script calls `arguments[arguments.length - 1]` with its result.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.runtime
            .block_on(self.client.execute_async(script, args))
            .unwrap_or_else(|e| self.fail("run an asynchronous script in the page", e))
    }

    /// Clicks the link that reads `text`.
    pub fn click_link(&self, text: &str) {
        let link = self.find(
            &format!("the link {text:?}"),
            // Its own words, whatever badge follows them ("Inbox 2").
            &format!(
                "//a[normalize-space(.)={0} or normalize-space(text()[1])={0}]",
                xpath_literal(text)
            ),
        );
        if let Err(e) = self.runtime.block_on(link.click()) {
            self.fail(&format!("click the link {text:?}"), e);
        }
    }

    /// Writes a PNG of the window to `path`.
    pub fn screenshot(&self, path: &Path) {
        let png = self
            .runtime
            .block_on(self.client.screenshot())
            .unwrap_or_else(|e| self.fail("take a screenshot", e));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the screenshot's directory");
        }
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("write the screenshot {}: {e}", path.display()));
    }

    /// Runs axe-core on the page and returns every violation it finds.
    pub fn axe(&self) -> Vec<Violation> {
        let source = std::fs::read_to_string(axe_path()).unwrap_or_else(|e| {
            panic!(
                "{} is missing ({e}): run `npm ci --prefix tests/browser` (what .ci/run does)",
                axe_path().display()
            )
        });
        // WebDriver's scripts run from the browser's automation channel,
        // not from the page, so the app's Content-Security-Policy (no
        // inline or evaluated script) does not stop the checker.
        self.execute(&format!("{source}\n;return typeof axe;"), Vec::new());
        let run = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ["violations"] })
              .then((results) => done({ ok: results.violations }))
              .catch((error) => done({ error: String(error) }));
        "#;
        let answer = self
            .runtime
            .block_on(self.client.execute_async(run, Vec::new()))
            .unwrap_or_else(|e| self.fail("run axe-core", e));
        if let Some(error) = answer.get("error") {
            panic!("axe-core failed on {}: {error}", self.url());
        }
        Violation::from_axe(&answer["ok"])
    }

    /// Fails if axe-core finds a `serious` or `critical` violation on the
    /// page, listing each with its elements. `what` names the page.
    pub fn assert_accessible(&self, what: &str) {
        let serious: Vec<Violation> = self
            .axe()
            .into_iter()
            .filter(Violation::is_serious)
            .collect();
        assert!(
            serious.is_empty(),
            "axe-core found serious or critical violations on {what} ({}):\n{}",
            self.url(),
            serious.iter().map(ToString::to_string).collect::<String>()
        );
    }
}

/// axe-core's script, installed by `npm ci --prefix tests/browser`.
pub fn axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/node_modules/axe-core/axe.min.js")
}

/// Waits until chromedriver answers `/status` as ready.
fn wait_for_driver(webdriver: &str, driver: &mut Child, log: &Path) {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("a client");
    let started = Instant::now();
    loop {
        let ready = http
            .get(format!("{webdriver}/status"))
            .send()
            .ok()
            .and_then(|response| response.json::<Value>().ok())
            .is_some_and(|status| status["value"]["ready"] == true);
        if ready {
            return;
        }
        if let Ok(Some(status)) = driver.try_wait() {
            panic!(
                "chromedriver exited ({status}) before it was ready:\n{}",
                log_tail(log)
            );
        }
        if started.elapsed() > PATIENCE {
            let _ = driver.kill();
            let _ = driver.wait();
            panic!(
                "chromedriver did not answer within {PATIENCE:?}:\n{}",
                log_tail(log)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn log_tail(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ends the session, which quits Chromium; then chromedriver's whole
        // process group, in case a test failed while Chromium hung.
        let client = self.client.clone();
        let _ = self.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), client.close()).await
        });
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where a test's screenshots go: `docs/ui/` when
/// `REFERRAL_UI_SCREENSHOTS=1`, else a temporary directory that is removed
/// with this value.
#[derive(Debug)]
pub struct Screenshots {
    dir: PathBuf,
    _temporary: Option<tempfile::TempDir>,
}

impl Screenshots {
    /// As `REFERRAL_UI_SCREENSHOTS` says.
    pub fn from_env() -> Screenshots {
        if std::env::var(SCREENSHOTS_ENV).is_ok_and(|v| v == "1") {
            Screenshots {
                dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ui"),
                _temporary: None,
            }
        } else {
            let temporary = tempfile::tempdir().expect("tempdir");
            Screenshots {
                dir: temporary.path().to_owned(),
                _temporary: Some(temporary),
            }
        }
    }

    /// The path of the screenshot `name` (`inbox-ja.png`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Takes the screenshot `name` of `browser`'s window and checks that it
    /// is a PNG.
    pub fn take(&self, browser: &Browser, name: &str) -> PathBuf {
        let path = self.path(name);
        browser.screenshot(&path);
        let written = std::fs::read(&path).expect("read the screenshot back");
        assert!(
            written.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            path.display()
        );
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpath_literals_hold_any_quote() {
        assert_eq!(xpath_literal("Lock"), "'Lock'");
        assert_eq!(xpath_literal("It's"), "\"It's\"");
        assert_eq!(
            xpath_literal(r#"say "it's""#),
            r#"concat('say "it', "'", 's"')"#
        );
    }

    #[test]
    fn javascript_off_is_chromiums_own_setting() {
        let on = capabilities(&Options::lang("ja"));
        let prefs = &on["goog:chromeOptions"]["prefs"];
        assert_eq!(prefs["intl.accept_languages"], "ja");
        assert!(prefs["profile.managed_default_content_settings.javascript"].is_null());
        let off = capabilities(&Options::lang("en").without_javascript());
        assert_eq!(
            off["goog:chromeOptions"]["prefs"]["profile.managed_default_content_settings.javascript"],
            2
        );
        let args = off["goog:chromeOptions"]["args"].to_string();
        assert!(args.contains("--headless=new") && args.contains("--lang=en"));
    }

    #[test]
    fn only_serious_and_critical_violations_fail_the_check() {
        let found = Violation::from_axe(&json!([
            { "id": "region", "impact": "moderate", "help": "landmarks", "nodes": [] },
            { "id": "label", "impact": "critical", "help": "labels",
              "nodes": [{ "target": ["#q"], "html": "<input id=\"q\">" }] },
        ]));
        assert_eq!(found.len(), 2);
        assert!(!found[0].is_serious());
        assert!(found[1].is_serious());
        assert!(found[1].to_string().contains("#q"));
    }
}
