//! The real `referral-broker` binary as a child process, for every
//! benchmark that measures it from outside (`load`, `scale`, `cli`): a
//! separate process so that its memory (`/proc/PID/status`) and CPU
//! (`/proc/PID/stat`) are its own and not mixed with the load generator's,
//! and so that two of them can share one PostgreSQL database the way a
//! scaled-out deployment does (nothing in common but the database).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::report::{checked_cpu_of, status_kib};

/// How long a broker may take to answer `/healthz` after it is started: a
/// broker opening a database of a million packets takes longer than one on
/// a fresh directory.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a broker may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// The release binary: `$CARGO_TARGET_DIR/release/referral-broker`, or the
/// workspace's `target/release/referral-broker`.
pub fn broker_binary() -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let bin = target.join("release").join("referral-broker");
    if !bin.is_file() {
        bail!(
            "the broker binary {} is not built: run `cargo build --release -p referral-broker` \
             first (the load benchmark runs the real release binary as its own process)",
            bin.display()
        );
    }
    Ok(bin)
}

/// The workspace's root directory (this crate's parent), as built.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Where a broker's files are and which binary runs it: kept apart from the
/// running process so that a benchmark can stop the broker, work on its
/// database directly, and start it again on the same files.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `referral-broker` binary.
    pub bin: PathBuf,
    /// Its `--data-dir` (embedded SQLite database, bootstrap code).
    pub data_dir: PathBuf,
    /// Its `--config` file.
    pub config: PathBuf,
    /// Where its stdout and stderr go, appended to across restarts.
    pub log: PathBuf,
}

impl Launch {
    /// Files under `work`: `data/`, `broker.toml` (written with `config`)
    /// and `broker.log`.
    pub fn in_dir(bin: &Path, work: &Path, config: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(work)?;
        let launch = Self {
            bin: bin.to_owned(),
            data_dir: work.join("data"),
            config: work.join("broker.toml"),
            log: work.join("broker.log"),
        };
        std::fs::write(&launch.config, config)?;
        Ok(launch)
    }
}

/// One running broker, killed (SIGKILL) if dropped before [`stop`]: a
/// failed run must not leave it behind.
///
/// [`stop`]: BrokerProcess::stop
#[derive(Debug)]
pub struct BrokerProcess {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The data directory it was started on (its SQLite database is there).
    pub data_dir: PathBuf,
    log: PathBuf,
    startup: Duration,
}

/// Memory of a process, from `/proc/PID/status`, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// Resident now.
    pub rss_kib: u64,
    /// Resident at its peak.
    pub hwm_kib: u64,
}

impl BrokerProcess {
    /// Starts `referral-broker serve` as `launch` says on a free loopback
    /// port, and waits until `/healthz` answers.
    pub async fn start(launch: &Launch, http: &reqwest::Client) -> anyhow::Result<Self> {
        let listen = free_port()?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&launch.log)
            .with_context(|| format!("opening {}", launch.log.display()))?;
        let mut cmd = Command::new(&launch.bin);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(&launch.data_dir)
            .arg("--listen")
            .arg(&listen)
            .arg("--config")
            .arg(&launch.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        // Only the config file speaks: settings from this shell's
        // environment would override it (environment beats config file).
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REFERRAL_") || key == "RUST_LOG" {
                cmd.env_remove(key);
            }
        }
        let started = Instant::now();
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", launch.bin.display()))?;
        let mut broker = Self {
            child: Some(child),
            url: format!("http://{listen}"),
            data_dir: launch.data_dir.clone(),
            log: launch.log.clone(),
            startup: Duration::ZERO,
        };
        broker.wait_until_up(http, started).await?;
        broker.startup = started.elapsed();
        Ok(broker)
    }

    async fn wait_until_up(
        &mut self,
        http: &reqwest::Client,
        started: Instant,
    ) -> anyhow::Result<()> {
        loop {
            if let Ok(res) = http.get(format!("{}/healthz", self.url)).send().await
                && res.status().is_success()
            {
                return Ok(());
            }
            if let Some(child) = &mut self.child
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!(
                    "the broker exited ({status}) at start:\n{}",
                    self.log_tail()
                );
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "the broker did not come up in {} s:\n{}",
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// From spawning the process to its first healthy `/healthz` answer.
    pub fn startup(&self) -> Duration {
        self.startup
    }

    /// The one-time bootstrap code, if this broker made one (a broker that
    /// starts on a claimed database makes none).
    pub fn bootstrap_code(&self) -> Option<String> {
        std::fs::read_to_string(self.data_dir.join("bootstrap-code"))
            .ok()
            .map(|s| s.trim().to_owned())
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> anyhow::Result<u32> {
        Ok(self
            .child
            .as_ref()
            .context("the broker is not running")?
            .id())
    }

    /// VmRSS and VmHWM now.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        let path = format!("/proc/{}/status", self.pid()?);
        let field =
            |name: &str| status_kib(&path, name).with_context(|| format!("no {name} in {path}"));
        Ok(Memory {
            rss_kib: field("VmRSS")?,
            hwm_kib: field("VmHWM")?,
        })
    }

    /// CPU time the broker has used so far, user and system.
    pub fn cpu(&self) -> anyhow::Result<Duration> {
        let path = format!("/proc/{}/stat", self.pid()?);
        checked_cpu_of(&path).with_context(|| format!("no CPU times in {path}"))
    }

    /// The end of its log, for error messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// SIGTERM, as an operator stops it, and its exit status once it has
    /// exited (so that its database is closed for whoever opens it next);
    /// SIGKILL and an error if it has not exited in time.
    pub async fn stop(&mut self) -> anyhow::Result<ExitStatus> {
        let pid = self.pid()?;
        // `Child::kill` can only send SIGKILL; `kill(1)` sends SIGTERM to
        // this one pid without any unsafe code here.
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .context("running kill -TERM")?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed");
        }
        let started = Instant::now();
        loop {
            let child = self.child.as_mut().context("the broker is not running")?;
            if let Some(status) = child.try_wait()? {
                self.child = None;
                return Ok(status);
            }
            // Dropping it then kills it.
            if started.elapsed() > STOP_TIMEOUT {
                bail!(
                    "the broker did not stop within {} s of SIGTERM",
                    STOP_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback port free a moment ago (the broker binds it right after; a
/// race with another process is possible but shows as a start failure).
fn free_port() -> anyhow::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.to_string())
}
