//! Helpers for end-to-end tests that drive the real `referral` and
//! `referral-broker` binaries.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The cheapest scrypt work factor the CLI accepts: tests unlock keystores
/// many times, and the cost being tested is not scrypt's.
pub const TEST_KDF_WORK_FACTOR: &str = "10";

/// The workspace's target directory for the profile these tests were built in.
fn target_dir() -> PathBuf {
    // The test executable lives in target/<profile>/deps/.
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps")
        .to_path_buf()
}

/// The path of a workspace binary. `cargo test --workspace` builds every
/// binary before running tests; with `-p referral-e2e` alone, build them first.
pub fn bin(name: &str) -> PathBuf {
    let path = target_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` (or `cargo test --workspace`) first",
        path.display()
    );
    path
}

/// A `referral` device with its own home directory and passphrase.
#[derive(Debug)]
pub struct Device {
    /// Its `--home`.
    pub home: tempfile::TempDir,
    passphrase: String,
}

impl Device {
    /// A fresh, uninitialised device.
    pub fn new(passphrase: &str) -> Self {
        Self {
            home: tempfile::tempdir().expect("tempdir"),
            passphrase: passphrase.to_owned(),
        }
    }

    /// A `referral` command for this device.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin("referral"));
        c.arg("--home")
            .arg(self.home.path())
            .env("REFERRAL_PASSPHRASE", &self.passphrase)
            .env("REFERRAL_KDF_WORK_FACTOR", TEST_KDF_WORK_FACTOR)
            .env_remove("REFERRAL_HOME");
        c
    }

    /// Runs `referral ARGS`, asserting success, and returns its output.
    pub fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.cmd().args(args).output().expect("spawn referral");
        assert!(
            out.status.success(),
            "referral {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs `referral --json ARGS` and parses stdout as one JSON document.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = self.run_ok(&full);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of {args:?} is not one JSON document ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }
}

/// Debian's `age` binary, which CI installs (`apt-get install -y age`). Its
/// absence fails the test: an interop claim must never pass by being skipped.
pub fn debian_age() -> PathBuf {
    let found = std::env::var_os("PATH").map(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("age"))
            .find(|p| p.is_file())
    });
    match found.flatten() {
        Some(p) => p,
        None => panic!(
            "Debian's `age` is not installed: apt-get install -y age (CI's .ci/run does this)"
        ),
    }
}
