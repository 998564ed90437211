//! The real `referral-broker` release binary as a child process, for `load`:
//! a separate process so that its memory (`/proc/PID/status`) and CPU
//! (`/proc/PID/stat`) are its own and not mixed with the load generator's,
//! and so that two of them can share one PostgreSQL database the way a
//! scaled-out deployment does (nothing in common but the database).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

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

/// One running broker, killed (SIGKILL) if dropped before [`stop`].
///
/// [`stop`]: BrokerProcess::stop
#[derive(Debug)]
pub struct BrokerProcess {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub data_dir: PathBuf,
    stderr_path: PathBuf,
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
    /// Starts `referral-broker serve` with its files under `work` (data
    /// directory, config, log) on a free loopback port, over `database_url`
    /// or embedded SQLite, and waits until `/healthz` answers.
    pub async fn start(
        bin: &Path,
        work: &Path,
        database_url: Option<&str>,
        http: &reqwest::Client,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(work)?;
        let data_dir = work.join("data");
        let config_path = work.join("broker.toml");
        let stderr_path = work.join("broker.stderr");
        let listen = free_port()?;
        // The abuse limits (ADR 0006) are lifted: every device takes its
        // token from one address within a second, and each then works far
        // faster than a person, so the default limits would measure
        // themselves. Tokens live their longest (15 min) so that none
        // expires within a run (`--seconds` is bounded to match). The
        // database URL goes in the file, not on the command line, where
        // `ps` would show it.
        let mut config = String::from(
            "auth_per_minute = 1000000\n\
             unauthenticated_per_minute_per_address = 1000000\n\
             requests_per_minute_per_device = 100000000\n\
             token_lifetime_secs = 900\n",
        );
        if let Some(url) = database_url {
            config.push_str(&format!("database_url = {url:?}\n"));
        }
        std::fs::write(&config_path, config)?;
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--listen")
            .arg(&listen)
            .arg("--config")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&stderr_path)?);
        // Settings from this shell's environment would override the file
        // (environment beats config file), so none is passed on.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REFERRAL_") || key == "RUST_LOG" {
                cmd.env_remove(key);
            }
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut broker = Self {
            child: Some(child),
            url: format!("http://{listen}"),
            data_dir,
            stderr_path,
        };
        broker.wait_until_up(http).await?;
        Ok(broker)
    }

    async fn wait_until_up(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(res) = http.get(format!("{}/healthz", self.url)).send().await
                && res.status().is_success()
            {
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                bail!(
                    "the broker exited ({status}) at start:\n{}",
                    self.log_tail()
                );
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the broker did not come up in 60 s:\n{}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The one-time bootstrap code, if this broker made one (a broker that
    /// starts on a claimed database makes none).
    pub fn bootstrap_code(&self) -> Option<String> {
        std::fs::read_to_string(self.data_dir.join("bootstrap-code"))
            .ok()
            .map(|s| s.trim().to_owned())
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// VmRSS and VmHWM now.
    pub fn memory(&self) -> Memory {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        Memory {
            rss_kib: field("VmRSS:"),
            hwm_kib: field("VmHWM:"),
        }
    }

    /// CPU time the broker has used so far.
    pub fn cpu(&self) -> Duration {
        crate::report::cpu_of(&format!("/proc/{}/stat", self.pid()))
    }

    /// The end of its log, for error messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// SIGTERM, as an operator stops it, and its exit status; SIGKILL if it
    /// has not exited within 30 s.
    pub async fn stop(mut self) -> anyhow::Result<ExitStatus> {
        let mut child = self.child.take().context("already stopped")?;
        // `Child::kill` can only send SIGKILL; `kill(1)` sends SIGTERM to
        // this one pid without any unsafe code here.
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .context("running kill -TERM")?;
        if !sent.success() {
            bail!("kill -TERM {} failed", child.id());
        }
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the broker did not stop within 30 s of SIGTERM");
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
