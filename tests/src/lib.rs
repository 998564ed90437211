//! Helpers for end-to-end tests that drive the real `referral` and
//! `referral-broker` binaries.

#![forbid(unsafe_code)]

pub mod browser;
pub mod canary;
pub mod deployment;
pub mod proxy;
pub mod ui;

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

/// English messages and UTC times whatever the machine's locale, so that
/// tests read the same text everywhere; a test of another language or zone
/// passes `--lang` or sets `TZ` after this.
pub fn plain_locale(cmd: &mut Command) {
    cmd.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .env("TZ", "UTC");
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
        plain_locale(&mut c);
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

    /// Runs `referral ARGS` whatever the outcome.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("spawn referral")
    }

    /// Runs `referral ARGS`, asserting that it exits with `code`, and
    /// returns its stderr.
    pub fn run_fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "referral {args:?}: expected exit {code}; stdout {} stderr {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            out.stdout.is_empty(),
            "a failed command prints nothing on stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    /// The passphrase (to unlock the keystore in-process, as the test's
    /// stand-in for a second program on the same device).
    pub fn passphrase(&self) -> secrecy::SecretString {
        secrecy::SecretString::from(self.passphrase.clone())
    }

    /// This device's keys, unlocked in-process.
    pub fn unlock(&self) -> referral_cli::keystore::UnlockedKeys {
        referral_cli::keystore::Keystore::unlock(self.home.path(), &self.passphrase())
            .expect("unlock the test keystore")
    }

    /// The home's files that hold trust state: `device.json` and the
    /// directory cache, to check that a refusal changed neither.
    pub fn trust_state(&self) -> (Vec<u8>, Vec<u8>) {
        let read = |name: &str| std::fs::read(self.home.path().join(name)).unwrap_or_default();
        (read("device.json"), read("directory.log"))
    }

    /// The directory this device has verified (what `referral` itself
    /// encrypts with), read from its cache and verified again.
    pub fn verified_log(&self) -> referral_protocol::directory::VerifiedLog {
        let record = referral_cli::keystore::Keystore::device(self.home.path())
            .expect("an initialised device");
        referral_cli::trust::load(self.home.path(), record.root_fingerprint)
            .expect("the cache verifies")
            .expect("the device has synced")
    }

    /// `referral whoami`'s device id.
    pub fn device_id(&self) -> String {
        self.json(&["whoami"])["device_id"]
            .as_str()
            .expect("device_id")
            .to_owned()
    }

    /// A fresh bearer token from `referral token`.
    pub fn token(&self) -> String {
        self.json(&["token"])["token"]
            .as_str()
            .expect("token")
            .to_owned()
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

/// TypeScript age (npm `age-encryption`, pinned by
/// `tests/interop/package-lock.json`), the independent implementation that
/// reads and writes post-quantum `mlkem768x25519` files: Go age 1.1 has no
/// post-quantum support. A missing Node.js or package fails the test (CI's
/// `.ci/run` installs both): an interop claim must never pass by being
/// skipped.
#[derive(Debug)]
pub struct TypeScriptAge {
    script: PathBuf,
}

impl TypeScriptAge {
    /// Finds `node` and the installed package.
    pub fn new() -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop");
        assert!(
            dir.join("node_modules/age-encryption/package.json")
                .is_file(),
            "TypeScript age is not installed: npm ci --prefix tests/interop (CI's .ci/run does this)"
        );
        let node = std::process::Command::new("node")
            .arg("--version")
            .output()
            .expect("Node.js is not installed (CI's machine has Node.js 20)");
        assert!(node.status.success());
        Self {
            script: dir.join("ts-age.mjs"),
        }
    }

    /// Decrypts `input` with the identity file `identities`; the plaintext,
    /// or TypeScript age's error.
    pub fn decrypt(&self, identities: &Path, input: &Path) -> Result<Vec<u8>, String> {
        let out = tempfile::NamedTempFile::new().expect("temporary file");
        self.run(&[
            "decrypt".as_ref(),
            identities.as_os_str(),
            input.as_os_str(),
            out.path().as_os_str(),
        ])?;
        Ok(std::fs::read(out.path()).expect("read the plaintext"))
    }

    /// Encrypts `input` to `recipient` (an `age1pq1…` or `age1…` key).
    pub fn encrypt(&self, recipient: &str, input: &Path) -> Vec<u8> {
        let out = tempfile::NamedTempFile::new().expect("temporary file");
        self.run(&[
            "encrypt".as_ref(),
            recipient.as_ref(),
            input.as_os_str(),
            out.path().as_os_str(),
        ])
        .unwrap_or_else(|e| panic!("TypeScript age could not encrypt: {e}"));
        std::fs::read(out.path()).expect("read the age file")
    }

    fn run(&self, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let out = std::process::Command::new("node")
            .arg(&self.script)
            .args(args)
            .output()
            .expect("run node");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

impl Default for TypeScriptAge {
    fn default() -> Self {
        Self::new()
    }
}
