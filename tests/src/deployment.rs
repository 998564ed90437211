//! A running deployment for end-to-end tests: the real `referral-broker`
//! binary on a free loopback port over a fresh data directory, claimed by an
//! administrator device through the real `referral` binary, with desks and
//! enrolled devices made the way people make them (SPEC §10, steps 1–3).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Device, bin};

/// The real broker binary, killed when dropped. It can be killed and started
/// again on the same data directory, port and settings ([`Broker::kill9`],
/// [`Broker::restart`]); its log files then hold every run, one after another.
#[derive(Debug)]
pub struct Broker {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` for
    /// [`Broker::start_tls`].
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub listen: String,
    /// Its `--data-dir`.
    pub data_dir: PathBuf,
    /// Where its stderr (the log) goes.
    pub stderr_path: PathBuf,
    /// Where its stdout goes.
    pub stdout_path: PathBuf,
    config_path: PathBuf,
    /// Extra environment for every run (the rest is cleared by
    /// [`broker_command`]).
    env: Vec<(String, String)>,
    /// An open-file limit (`ulimit -n`) to start the process under.
    file_limit: Option<u64>,
    /// For [`Broker::start_tls`]: its self-signed certificate (PEM), which
    /// clients must be told to trust.
    certificate: Option<PathBuf>,
    _work: tempfile::TempDir,
}

/// A `referral-broker` command with no settings from the environment.
pub fn broker_command(args: &[&str], data_dir: &Path) -> Command {
    let mut cmd = Command::new(bin("referral-broker"));
    cmd.args(args).arg("--data-dir").arg(data_dir);
    for var in [
        "RUST_LOG",
        "REFERRAL_BROKER_CONFIG",
        "REFERRAL_BROKER_DATA_DIR",
        "REFERRAL_BROKER_LISTEN",
        "REFERRAL_BROKER_DATABASE_URL",
        "REFERRAL_BROKER_TLS_CERT",
        "REFERRAL_BROKER_TLS_KEY",
    ] {
        cmd.env_remove(var);
    }
    crate::plain_locale(&mut cmd);
    cmd
}

/// `cmd` run by `sh` after `ulimit -n LIMIT`; `exec` keeps its pid, so
/// signals and exit statuses are the command's own.
fn under_file_limit(cmd: &Command, limit: u64) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(r#"ulimit -n "$0" && exec "$@""#)
        .arg(limit.to_string())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => sh.env(key, value),
            None => sh.env_remove(key),
        };
    }
    sh
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

impl Broker {
    /// `referral-broker serve` on a fresh data directory (embedded SQLite),
    /// up when `/healthz` answers.
    pub fn start() -> Broker {
        Self::start_with_config("")
    }

    /// As [`Broker::start`], with `config` (TOML, e.g. `ttl_secs = 2`) as
    /// its `--config` file.
    pub fn start_with_config(config: &str) -> Broker {
        Self::start_with_env(config, &[])
    }

    /// As [`Broker::start_with_config`], with extra environment variables
    /// (kept for restarts too).
    pub fn start_with_env(config: &str, env: &[(&str, &str)]) -> Broker {
        Self::start_with(config, env, None)
    }

    /// As [`Broker::start_with_config`], under the open-file limit
    /// `file_limit` (soft and hard, set by `sh`'s `ulimit -n` before it
    /// execs the broker, so the test process keeps its own).
    pub fn start_with_file_limit(config: &str, file_limit: u64) -> Broker {
        Self::start_with(config, &[], Some(file_limit))
    }

    /// As [`Broker::start_with_config`], serving HTTPS on `localhost` with
    /// a fresh self-signed certificate ([`Broker::certificate`]).
    pub fn start_tls(config: &str) -> Broker {
        let work = tempfile::tempdir().expect("tempdir");
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .expect("a self-signed certificate");
        let cert = work.path().join("cert.pem");
        let key = work.path().join("key.pem");
        std::fs::write(&cert, certified.cert.pem()).expect("write the certificate");
        std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write the key");
        let config = format!(
            "tls_cert = '{}'\ntls_key = '{}'\n{config}",
            cert.display(),
            key.display()
        );
        Self::start_in(work, &config, &[], None, Some(cert))
    }

    /// The certificate of a [`Broker::start_tls`] broker, for
    /// `SSL_CERT_FILE`.
    pub fn certificate(&self) -> &Path {
        self.certificate
            .as_deref()
            .expect("a broker started with start_tls")
    }

    fn start_with(config: &str, env: &[(&str, &str)], file_limit: Option<u64>) -> Broker {
        let work = tempfile::tempdir().expect("tempdir");
        Self::start_in(work, config, env, file_limit, None)
    }

    fn start_in(
        work: tempfile::TempDir,
        config: &str,
        env: &[(&str, &str)],
        file_limit: Option<u64>,
        certificate: Option<PathBuf>,
    ) -> Broker {
        let data_dir = work.path().join("data");
        let stderr_path = work.path().join("broker.stderr");
        let stdout_path = work.path().join("broker.stdout");
        let config_path = work.path().join("broker.toml");
        std::fs::write(&config_path, config).expect("write the broker config");
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let url = match certificate {
            Some(_) => format!("https://localhost:{port}"),
            None => format!("http://{listen}"),
        };
        let mut broker = Broker {
            child: None,
            url,
            listen,
            data_dir,
            stderr_path,
            stdout_path,
            config_path,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            file_limit,
            certificate,
            _work: work,
        };
        broker.spawn();
        broker.wait_until_up();
        broker
    }

    /// Starts the process with this broker's settings. The log files are
    /// appended to, so that a restarted broker's log keeps the earlier runs.
    fn spawn(&mut self) {
        assert!(self.child.is_none(), "the broker is already running");
        let append = |path: &Path| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("open a broker log file")
        };
        let mut cmd = broker_command(&["serve"], &self.data_dir);
        cmd.args(["--listen", &self.listen])
            .arg("--config")
            .arg(&self.config_path);
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        if let Some(limit) = self.file_limit {
            cmd = under_file_limit(&cmd, limit);
        }
        cmd.stdin(Stdio::null())
            .stdout(append(&self.stdout_path))
            .stderr(append(&self.stderr_path));
        self.child = Some(cmd.spawn().expect("spawn referral-broker"));
    }

    /// SIGKILL (`Child::kill` on Unix): the process gets no chance to flush,
    /// finish requests or close the database. Waits until it is reaped, so
    /// that its port and files are free when this returns.
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("the broker is running");
        child.kill().expect("SIGKILL the broker");
        let status = child.wait().expect("reap the broker");
        // Killed by the signal, not exited on its own before it: otherwise
        // the test would not be testing a crash.
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "the broker had already exited ({status}): {}",
            self.log()
        );
    }

    /// Starts the broker again on the same data directory, port, config and
    /// environment (after [`Broker::kill9`] or [`Broker::terminate`]); back
    /// when `/healthz` answers.
    pub fn restart(&mut self) {
        self.spawn();
        self.wait_until_up();
    }

    /// Starts the stopped broker again on the same port, config and
    /// environment over another data directory (a restored backup).
    pub fn restart_on(&mut self, data_dir: PathBuf) {
        self.data_dir = data_dir;
        self.restart();
    }

    /// Stops the broker (SIGTERM) and starts it again on the same data with
    /// `config` as its new `--config` file (a deployment set up under the
    /// defaults, then run under other settings).
    pub fn restart_with_config(&mut self, config: &str) {
        self.terminate(Duration::from_secs(30));
        std::fs::write(&self.config_path, config).expect("write the broker config");
        self.restart();
    }

    fn wait_until_up(&mut self) {
        let started = Instant::now();
        let http = match &self.certificate {
            Some(pem) => reqwest::blocking::Client::builder()
                .tls_certs_only([reqwest::Certificate::from_pem(
                    &std::fs::read(pem).expect("read the certificate"),
                )
                .expect("a PEM certificate")])
                .build()
                .expect("an HTTPS client"),
            None => reqwest::blocking::Client::new(),
        };
        loop {
            if let Ok(res) = http.get(format!("{}/healthz", self.url)).send()
                && res.status().is_success()
            {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("the broker exited ({status}): {}", self.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the broker did not come up: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The broker's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// The one-time bootstrap code from `<data-dir>/bootstrap-code`.
    pub fn bootstrap_code(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("bootstrap-code"))
            .expect("bootstrap-code file")
            .trim()
            .to_owned()
    }

    /// The broker's pid (for signals).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends SIGTERM and waits (at most `limit`) for the exit status.
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let pid = self.pid();
        let killed = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(killed.success(), "kill -TERM {pid}");
        let child = self.child.as_mut().expect("running");
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Drop kills and reaps it.
        panic!("the broker did not stop within {limit:?} of SIGTERM");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A claimed broker with its root administrator device.
#[derive(Debug)]
pub struct Deployment {
    /// The broker.
    pub broker: Broker,
    /// The administrator's device, which holds the root.
    pub admin: Device,
    /// The root fingerprint that other devices pin.
    pub root_fingerprint: String,
    /// The bootstrap code the administrator claimed the broker with: spent,
    /// and its file removed at the claim, kept here for tests that try it
    /// again.
    pub bootstrap_code: String,
}

impl Deployment {
    /// Starts a broker, claims it with the administrator's device
    /// (`init`, `admin bootstrap`) and creates `desks` (`admin desk add`).
    pub fn start(desks: &[&str]) -> Deployment {
        Self::on(
            Broker::start(),
            &desks.iter().map(|d| (*d, *d)).collect::<Vec<_>>(),
        )
    }

    /// Claims `broker` and creates desks given as `(id, name)`.
    pub fn on(broker: Broker, desks: &[(&str, &str)]) -> Deployment {
        let admin = Device::new("admin passphrase");
        admin.json(&["init", "--broker", &broker.url]);
        let code = broker.bootstrap_code();
        let claimed = admin.json(&["admin", "bootstrap", "--code", &code]);
        let root_fingerprint = claimed["root_fingerprint"]
            .as_str()
            .expect("root_fingerprint")
            .to_owned();
        let deployment = Deployment {
            broker,
            admin,
            root_fingerprint,
            bootstrap_code: code,
        };
        for (desk, name) in desks {
            let added = deployment
                .admin
                .json(&["admin", "desk", "add", desk, "--name", name]);
            assert_eq!(added["desk"], *desk);
        }
        deployment
    }

    /// A fresh device that pinned the root (`init --root-fingerprint`).
    pub fn new_device(&self, passphrase: &str) -> Device {
        let device = Device::new(passphrase);
        device.json(&[
            "init",
            "--broker",
            &self.broker.url,
            "--root-fingerprint",
            &self.root_fingerprint,
        ]);
        device
    }

    /// `admin invite`; returns the code.
    pub fn invite(&self, desk: &str, role: &str) -> String {
        let invite = self
            .admin
            .json(&["admin", "invite", "--desk", desk, "--role", role]);
        invite["code"].as_str().expect("code").to_owned()
    }

    /// The whole enrollment: invite, `init`, `enroll`, the administrator's
    /// `approve` with the fingerprint the device showed, and the device's
    /// `directory` sync.
    /// Returns the device and its `enroll --json` answer.
    pub fn enroll(&self, desk: &str, role: &str) -> (Device, Value) {
        let code = self.invite(desk, role);
        let device = self.new_device(&format!("{desk} {role} passphrase"));
        let enrolled = device.json(&["enroll", "--code", &code]);
        let request = enrolled["request_id"].as_str().expect("request_id");
        let fingerprint = enrolled["fingerprint"].as_str().expect("fingerprint");
        self.admin
            .json(&["admin", "approve", request, "--fingerprint", fingerprint]);
        // What `enroll` tells its user to do next: the sync that shows the
        // device at its desk and records desk and role in device.json.
        device.run_ok(&["directory"]);
        (device, enrolled)
    }
}

/// A packet a test sent through the real broker.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its id.
    pub packet_id: referral_protocol::PacketId,
    /// Its thread.
    pub thread_id: referral_protocol::ThreadId,
    /// The desk it is addressed to.
    pub recipient_desk: String,
    /// The ciphertext as posted.
    pub bytes: Vec<u8>,
}

/// What a device needs to seal referrals to one desk in-process, gathered
/// once: its unlocked keys and the recipients from its verified directory.
/// Sealing many packets this way costs no `referral` run per packet.
#[derive(Debug)]
pub struct Sealer {
    keys: referral_cli::keystore::UnlockedKeys,
    device: referral_protocol::DeviceId,
    sender_desk: referral_protocol::DeskId,
    signing_key: referral_protocol::VerifyingKey,
    to: referral_protocol::DeskId,
    recipients: Vec<referral_protocol::RecipientKey>,
}

impl Sealer {
    /// Seals `content` as a referral opening a new thread, exactly as the
    /// client must; posts nothing.
    pub fn seal(&self, content: &[u8]) -> Sent {
        self.seal_with_attachments(content, &[])
    }

    /// As [`Sealer::seal`], with `attachments` as given: the protocol crate
    /// checks only the envelope's rule, so this is how an older client's
    /// packet (names a current client refuses to send) is made.
    pub fn seal_with_attachments(
        &self,
        content: &[u8],
        attachments: &[referral_protocol::Attachment],
    ) -> Sent {
        use referral_protocol::{ContentType, PacketId, SealRequest, Sender, ThreadId};
        let signing = self
            .keys
            .signing_key_for(&self.signing_key)
            .expect("the keystore holds the listed key");
        let (packet_id, thread_id) = (PacketId::random(), ThreadId::random());
        let mut bytes = Vec::new();
        referral_protocol::seal(
            &SealRequest {
                packet_id,
                thread_id,
                created_at: unix_now(),
                sender: Sender {
                    device: self.device,
                    desk: self.sender_desk.clone(),
                    key: signing,
                },
                recipient_desk: self.to.clone(),
                recipients: self.recipients.clone(),
                content_type: ContentType::referral_v1(),
                content,
                attachments,
            },
            &mut bytes,
        )
        .expect("seal");
        Sent {
            packet_id,
            thread_id,
            recipient_desk: self.to.to_string(),
            bytes,
        }
    }
}

impl Sent {
    /// `POST /v1/packets` of this referral to `base` with `token`, whatever
    /// the answer (a retry sends the same id and bytes).
    pub fn post(
        &self,
        http: &reqwest::blocking::Client,
        base: &str,
        token: &str,
    ) -> reqwest::Result<reqwest::blocking::Response> {
        http.post(format!("{base}/v1/packets"))
            .bearer_auth(token)
            .header(
                referral_protocol::api::HEADER_PACKET_ID,
                self.packet_id.to_string(),
            )
            .header(
                referral_protocol::api::HEADER_THREAD_ID,
                self.thread_id.to_string(),
            )
            .header(
                referral_protocol::api::HEADER_RECIPIENT_DESK,
                &self.recipient_desk,
            )
            .header(referral_protocol::api::HEADER_KIND, "referral")
            .header("content-type", "application/octet-stream")
            .body(self.bytes.clone())
            .send()
    }
}

impl Deployment {
    /// A [`Sealer`] for referrals from `sender` to `desk`, with the keys of
    /// the sender's own verified directory (the desk's active devices and
    /// the sender desk's own), synced first.
    pub fn sealer(&self, sender: &Device, desk: &str) -> Sealer {
        sender.run_ok(&["directory"]);
        let log = sender.verified_log();
        let keys = sender.unlock();
        let device = keys.device_id();
        let record = log.state().device(&device).expect("the sender is enrolled");
        let sender_desk = record.desk.clone().expect("the sender has a desk");
        let to: referral_protocol::DeskId = desk.parse().expect("desk id");
        let now = unix_now();
        // The client's own rule: hybrid keys when every device has one
        // (ADR 0020).
        let recipients = log
            .state()
            .packet_recipients(&to, &sender_desk, now, None)
            .expect("the directory allows sealing to this desk")
            .keys()
            .to_vec();
        Sealer {
            signing_key: record.signing_key,
            keys,
            device,
            sender_desk,
            to,
            recipients,
        }
    }

    /// Seals a referral from `sender` to `desk` (see [`Deployment::sealer`])
    /// and posts it with a token from `referral token`, asserting 201.
    pub fn send(&self, sender: &Device, desk: &str, text: &str) -> Sent {
        self.send_with_attachments(sender, desk, text, &[])
    }

    /// As [`Deployment::send`], with `attachments` (see
    /// [`Sealer::seal_with_attachments`]).
    pub fn send_with_attachments(
        &self,
        sender: &Device,
        desk: &str,
        text: &str,
        attachments: &[referral_protocol::Attachment],
    ) -> Sent {
        let sent = self
            .sealer(sender, desk)
            .seal_with_attachments(text.as_bytes(), attachments);
        let res = sent
            .post(
                &reqwest::blocking::Client::new(),
                &self.broker.url,
                &sender.token(),
            )
            .expect("post the packet");
        let status = res.status();
        assert_eq!(
            status,
            reqwest::StatusCode::CREATED,
            "{}",
            res.text().unwrap_or_default()
        );
        sent
    }

    /// `GET /v1/packets/{id}` as `device`.
    pub fn fetch(&self, device: &Device, packet: &referral_protocol::PacketId) -> Vec<u8> {
        let res = reqwest::blocking::Client::new()
            .get(format!("{}/v1/packets/{packet}", self.broker.url))
            .bearer_auth(device.token())
            .send()
            .expect("fetch the packet");
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        res.bytes().expect("packet body").to_vec()
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        .try_into()
        .expect("fits i64")
}
