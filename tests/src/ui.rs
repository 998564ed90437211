//! A running `referral ui` for a test device, and an HTTP client that
//! behaves like its browser tab: it entered with the printed URL, keeps the
//! session cookie, and sends the CSRF token with every form.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;

use crate::Device;

/// A `referral ui` process and a client signed in to it.
#[derive(Debug)]
pub struct UiApp {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The printed URL, with its one-time token.
    pub entry_url: String,
    /// Signed in once [`UiApp::enter`] ran: keeps cookies, follows redirects.
    pub client: Client,
}

impl UiApp {
    /// Starts `referral ui --json --no-open --listen 127.0.0.1:0` for
    /// `device`, unlocked from its passphrase (REFERRAL_PASSPHRASE), with
    /// `extra` arguments, and waits for the printed URL.
    pub fn start(device: &Device, extra: &[&str]) -> UiApp {
        Self::spawn(device, extra, true)
    }

    /// As [`UiApp::start`], but locked: no passphrase is given, so the
    /// first page asks for it.
    pub fn start_locked(device: &Device, extra: &[&str]) -> UiApp {
        Self::spawn(device, extra, false)
    }

    /// As [`UiApp::start`], with environment variables set for the app
    /// (`TZ=Asia/Tokyo`, to show times as a Japanese desk sees them).
    pub fn start_with_env(device: &Device, extra: &[&str], env: &[(&str, &str)]) -> UiApp {
        Self::spawn_with(device, extra, true, env)
    }

    fn spawn(device: &Device, extra: &[&str], with_passphrase: bool) -> UiApp {
        Self::spawn_with(device, extra, with_passphrase, &[])
    }

    fn spawn_with(
        device: &Device,
        extra: &[&str],
        with_passphrase: bool,
        env: &[(&str, &str)],
    ) -> UiApp {
        let mut cmd = device.cmd();
        cmd.envs(env.iter().copied());
        if !with_passphrase {
            cmd.env_remove("REFERRAL_PASSPHRASE");
        }
        cmd.args(["ui", "--json", "--no-open", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("spawn referral ui");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the printed URL");
        let printed: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("referral ui printed {line:?}, not one JSON line: {e}"));
        let entry_url = printed["url"].as_str().expect("url").to_owned();
        let parsed = reqwest::Url::parse(&entry_url).expect("a URL");
        let base = format!(
            "http://{}:{}",
            parsed.host_str().expect("host"),
            parsed.port().expect("port")
        );
        let client = Client::builder()
            .cookie_store(true)
            .build()
            .expect("a client");
        UiApp {
            child,
            base,
            entry_url,
            client,
        }
    }

    /// A client with no cookies that does not follow redirects: a stranger,
    /// or a first visit seen as it is.
    pub fn stranger() -> Client {
        Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("a client")
    }

    /// The first visit: trades the token for the session cookie.
    pub fn enter(&self) -> Response {
        self.client
            .get(&self.entry_url)
            .send()
            .expect("enter the app")
    }

    /// `GET path`, signed in.
    pub fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// `GET path` as text, asserting a success status.
    pub fn page(&self, path: &str) -> String {
        let response = self.get(path);
        let status = response.status();
        let body = response.text().expect("a page");
        assert!(status.is_success(), "GET {path}: {status}\n{body}");
        body
    }

    /// `POST path` with `fields` and the session's CSRF token, as a form
    /// of the app would send it.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.client
            .post(format!("{}{path}", self.base))
            .header("Origin", &self.base)
            .header("Sec-Fetch-Site", "same-origin")
            .form(&all)
            .send()
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// The session's CSRF token, read from a form of the app.
    pub fn csrf(&self) -> String {
        // Locked, the unlock form carries it; unlocked, /unlock goes on to a
        // page whose lock button carries it (whatever that page's status).
        let page = self.get("/unlock").text().expect("a page");
        csrf_in(&page).expect("a page of the app carries the CSRF token")
    }
}

/// The value of the hidden `csrf` field in `html`.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf" value=""#)?;
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Drop for UiApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
