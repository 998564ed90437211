//! A running deployment for end-to-end tests: the real `referral-broker`
//! binary on a free loopback port over a fresh data directory, claimed by an
//! administrator device through the real `referral` binary, with desks and
//! enrolled devices made the way people make them (SPEC §10, steps 1–3).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Device, bin};

/// The real broker binary, killed when dropped.
#[derive(Debug)]
pub struct Broker {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub listen: String,
    /// Its `--data-dir`.
    pub data_dir: PathBuf,
    /// Where its stderr (the log) goes.
    pub stderr_path: PathBuf,
    /// Where its stdout goes.
    pub stdout_path: PathBuf,
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
    cmd
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
        let work = tempfile::tempdir().expect("tempdir");
        let data_dir = work.path().join("data");
        let stderr_path = work.path().join("broker.stderr");
        let stdout_path = work.path().join("broker.stdout");
        let config_path = work.path().join("broker.toml");
        std::fs::write(&config_path, config).expect("write the broker config");
        let listen = format!("127.0.0.1:{}", free_port());
        let child = broker_command(&["serve"], &data_dir)
            .args(["--listen", &listen])
            .arg("--config")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout_path).expect("stdout file"))
            .stderr(File::create(&stderr_path).expect("stderr file"))
            .spawn()
            .expect("spawn referral-broker");
        let mut broker = Broker {
            child: Some(child),
            url: format!("http://{listen}"),
            listen,
            data_dir,
            stderr_path,
            stdout_path,
            _work: work,
        };
        broker.wait_until_up();
        broker
    }

    fn wait_until_up(&mut self) {
        let started = Instant::now();
        let http = reqwest::blocking::Client::new();
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
    /// The ciphertext as posted.
    pub bytes: Vec<u8>,
}

impl Deployment {
    /// Seals a referral from `sender` to `desk` with the keys of the sender's
    /// own verified directory (the desk's active devices and the sender
    /// desk's own), exactly as the client must, and posts it with a token
    /// from `referral token`.
    pub fn send(&self, sender: &Device, desk: &str, text: &str) -> Sent {
        use referral_protocol::{ContentType, DeskId, PacketId, SealRequest, Sender, ThreadId};
        sender.run_ok(&["directory"]);
        let log = sender.verified_log();
        let keys = sender.unlock();
        let me = keys.device_id();
        let record = log.state().device(&me).expect("the sender is enrolled");
        let sender_desk = record.desk.clone().expect("the sender has a desk");
        let to: DeskId = desk.parse().expect("desk id");
        let now = unix_now();
        let mut recipients = log.state().encryption_keys(&to, now, None);
        recipients.extend(log.state().encryption_keys(&sender_desk, now, None));
        recipients.sort();
        recipients.dedup();
        let signing = keys
            .signing_key_for(&record.signing_key)
            .expect("the keystore holds the listed key");
        let (packet_id, thread_id) = (PacketId::random(), ThreadId::random());
        let mut bytes = Vec::new();
        referral_protocol::seal(
            &SealRequest {
                packet_id,
                thread_id,
                created_at: now,
                sender: Sender {
                    device: me,
                    desk: sender_desk,
                    key: signing,
                },
                recipient_desk: to,
                recipients,
                content_type: ContentType::referral_v1(),
                content: text.as_bytes(),
                attachments: &[],
            },
            &mut bytes,
        )
        .expect("seal");
        let res = reqwest::blocking::Client::new()
            .post(format!("{}/v1/packets", self.broker.url))
            .bearer_auth(sender.token())
            .header(
                referral_protocol::api::HEADER_PACKET_ID,
                packet_id.to_string(),
            )
            .header(
                referral_protocol::api::HEADER_THREAD_ID,
                thread_id.to_string(),
            )
            .header(referral_protocol::api::HEADER_RECIPIENT_DESK, desk)
            .header(referral_protocol::api::HEADER_KIND, "referral")
            .header("content-type", "application/octet-stream")
            .body(bytes.clone())
            .send()
            .expect("post the packet");
        let status = res.status();
        assert_eq!(
            status,
            reqwest::StatusCode::CREATED,
            "{}",
            res.text().unwrap_or_default()
        );
        Sent {
            packet_id,
            thread_id,
            bytes,
        }
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
