//! Runs the real `referral` binary against a fresh home directory.
//!
//! Every run clears the variables that could leak in from the developer's
//! shell (`REFERRAL_HOME`, `REFERRAL_PASSPHRASE`), gives stdin `/dev/null` so
//! that the binary never sees a terminal, and sets a cheap scrypt work factor
//! so the suite stays fast on two cores.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine;
use referral_cli::keystore::Keystore;
use referral_protocol::{AgeIdentity, Fingerprint, RecipientKey, SigningKey};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tempfile::TempDir;

const PASSPHRASE: &str = "correct horse battery staple";

/// A temporary directory with a home inside it that does not exist yet, so
/// that `init` has to create it (and its mode can be checked).
struct Sandbox {
    _dir: TempDir,
    home: PathBuf,
    root: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        Self {
            home: root.join("home"),
            root,
            _dir: dir,
        }
    }

    /// The binary, with a clean environment and no terminal.
    fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_referral"));
        cmd.env_remove("REFERRAL_HOME")
            .env_remove("REFERRAL_PASSPHRASE")
            .env("REFERRAL_KDF_WORK_FACTOR", "10")
            // English messages and UTC, whatever the machine's locale.
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .arg("--home")
            .arg(&self.home)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str], passphrase: Option<&str>) -> Output {
        let mut cmd = self.cmd();
        cmd.args(args);
        if let Some(p) = passphrase {
            cmd.env("REFERRAL_PASSPHRASE", p);
        }
        cmd.output().unwrap()
    }

    fn init(&self, broker: &str) -> Output {
        self.run(&["init", "--broker", broker], Some(PASSPHRASE))
    }

    fn init_ok(&self) -> Value {
        let out = self.run(
            &["--json", "init", "--broker", "https://broker.example"],
            Some(PASSPHRASE),
        );
        assert_success(&out);
        single_json(&out.stdout)
    }

    fn export(&self, json: bool) -> Output {
        let mut args = vec!["export-identity"];
        if json {
            args.insert(0, "--json");
        }
        self.run(&args, Some(PASSPHRASE))
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_success(out: &Output) {
    assert_eq!(code(out), 0, "stderr: {}", stderr(out));
}

/// Parses stdout as exactly one JSON document, with nothing before or after
/// it except whitespace.
fn single_json(stdout: &[u8]) -> Value {
    let text = std::str::from_utf8(stdout).expect("stdout is UTF-8");
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let first = stream
        .next()
        .expect("one JSON document")
        .expect("valid JSON");
    let rest = &text[stream.byte_offset()..];
    assert!(
        rest.trim().is_empty(),
        "stdout has more than one JSON document: {text:?}"
    );
    first
}

/// An age file to `recipient`, of either kind.
fn encrypt_to(recipient: &RecipientKey, plain: &[u8]) -> Vec<u8> {
    let recipient = recipient.to_age();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient.as_ref() as &dyn age::Recipient))
            .unwrap();
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    std::io::Write::write_all(&mut writer, plain).unwrap();
    writer.finish().unwrap();
    out
}

fn keys_of(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// The SPEC §9 fields, plus the extras `init` and `whoami` add on purpose.
fn assert_device_fields(value: &Value) {
    for field in [
        "device_id",
        "fingerprint",
        "age_recipient",
        "broker",
        "desk",
        "role",
    ] {
        assert!(value.get(field).is_some(), "missing {field} in {value}");
    }
    let allowed_extras = [
        "root_fingerprint",
        "signing_key",
        "created_at",
        "classic_recipient",
    ];
    for key in keys_of(value) {
        assert!(
            [
                "device_id",
                "fingerprint",
                "age_recipient",
                "broker",
                "desk",
                "role"
            ]
            .contains(&key.as_str())
                || allowed_extras.contains(&key.as_str()),
            "unexpected field {key} in {value}"
        );
    }
    assert_eq!(value["desk"], Value::Null);
    assert_eq!(value["role"], Value::Null);
    assert!(value["device_id"].as_str().unwrap().len() == 36);
    assert!(value["fingerprint"].as_str().unwrap().len() == 64);
    assert!(value["age_recipient"].as_str().unwrap().starts_with("age1"));
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_then_whoami_json_has_the_spec_fields_with_desk_and_role_null() {
    let sandbox = Sandbox::new();
    let init = sandbox.init_ok();
    assert_device_fields(&init);
    assert_eq!(init["broker"], "https://broker.example");
    assert_eq!(init["root_fingerprint"], Value::Null);

    // whoami reads only public data: no passphrase in its environment.
    let out = sandbox.run(&["--json", "whoami"], None);
    assert_success(&out);
    let whoami = single_json(&out.stdout);
    assert_device_fields(&whoami);
    assert_eq!(whoami, init);
}

#[test]
fn json_output_is_a_single_document_and_nothing_else_on_stdout() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(
        &["init", "--broker", "https://broker.example", "--json"],
        Some(PASSPHRASE),
    );
    assert_success(&out);
    single_json(&out.stdout);
    // The trust-on-first-use warning still appears, on stderr.
    assert!(
        stderr(&out).contains("trust on first use"),
        "{}",
        stderr(&out)
    );

    for args in [
        &["whoami", "--json"][..],
        &["export-identity", "--json"][..],
    ] {
        let out = sandbox.run(args, Some(PASSPHRASE));
        assert_success(&out);
        single_json(&out.stdout);
    }
}

#[test]
fn human_init_output_names_the_device_and_the_next_step() {
    let sandbox = Sandbox::new();
    let out = sandbox.init("https://broker.example");
    assert_success(&out);
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let whoami = single_json(&sandbox.run(&["--json", "whoami"], None).stdout);
    for field in ["device_id", "classic_recipient", "broker"] {
        assert!(
            text.contains(whoami[field].as_str().unwrap()),
            "{field} missing from {text}"
        );
    }
    // The hybrid recipient is 1,959 characters: people see its ends, and
    // where to find the whole of it.
    let hybrid = whoami["age_recipient"].as_str().unwrap();
    assert!(hybrid.starts_with("age1pq1"), "{whoami}");
    assert!(
        text.contains(&format!(
            "{}…{}",
            &hybrid[..16],
            &hybrid[hybrid.len() - 8..]
        )),
        "{text}"
    );
    assert!(!text.contains(hybrid), "{text}");
    assert!(text.contains("whoami --json"), "{text}");
    // For people, the fingerprint's digits come in groups of four.
    let fingerprint: Fingerprint = whoami["fingerprint"].as_str().unwrap().parse().unwrap();
    assert!(
        text.contains(&fingerprint.to_string()),
        "fingerprint missing from {text}"
    );
    assert!(text.contains("referral enroll --code CODE"), "{text}");
    let err = stderr(&out);
    assert!(
        err.contains("warning:") && err.contains("trust on first use"),
        "{err}"
    );
    assert!(err.contains("fingerprint"), "{err}");
}

#[test]
fn a_pinned_root_is_recorded_and_suppresses_the_tofu_warning() {
    let sandbox = Sandbox::new();
    let root = Fingerprint::of_root(&SigningKey::generate().unwrap().verifying_key());
    let out = sandbox.run(
        &[
            "--json",
            "init",
            "--broker",
            "https://broker.example",
            "--root-fingerprint",
            &root.hex().to_uppercase(),
        ],
        Some(PASSPHRASE),
    );
    assert_success(&out);
    assert!(
        !stderr(&out).contains("trust on first use"),
        "{}",
        stderr(&out)
    );
    let json = single_json(&out.stdout);
    assert_eq!(json["root_fingerprint"], root.hex());
}

#[test]
fn the_keystore_never_holds_a_secret_key_in_plaintext() {
    let sandbox = Sandbox::new();
    sandbox.init_ok();

    let out = sandbox.export(false);
    assert_success(&out);
    let exported = String::from_utf8(out.stdout).unwrap();
    let age_secret = exported
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .expect("an age secret key in the export")
        .to_owned();

    // The signing key, through the library API the later commands use.
    let keys = Keystore::unlock(&sandbox.home, &SecretString::from(PASSPHRASE)).unwrap();
    let pkcs8 = keys.signing_key().pkcs8().expose_secret().to_vec();
    // ring's PKCS#8 v2 document: the 32-byte seed follows a 16-byte prefix.
    let seed = &pkcs8[16..48];
    let b64 = base64::engine::general_purpose::STANDARD;
    let b64_url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();

    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("age secret key", age_secret.clone().into_bytes()),
        (
            "age secret key, lowercase",
            age_secret.to_lowercase().into_bytes(),
        ),
        ("pkcs8, raw", pkcs8.clone()),
        ("pkcs8, base64", b64.encode(&pkcs8).into_bytes()),
        ("pkcs8, base64url", b64_url.encode(&pkcs8).into_bytes()),
        ("pkcs8, hex", hex(&pkcs8).into_bytes()),
        ("ed25519 seed, raw", seed.to_vec()),
        ("ed25519 seed, base64", b64.encode(seed).into_bytes()),
        ("ed25519 seed, hex", hex(seed).into_bytes()),
    ];
    let files = files_under(&sandbox.root);
    assert!(files.len() >= 2, "{files:?}");
    for file in &files {
        let bytes = fs::read(file).unwrap();
        for (what, needle) in &needles {
            assert!(
                !contains(&bytes, needle),
                "{} contains the {what}",
                file.display()
            );
        }
    }
}

#[test]
fn home_is_0700_and_every_file_in_it_0600() {
    let sandbox = Sandbox::new();
    sandbox.init_ok();
    assert_eq!(mode(&sandbox.home), 0o700);
    let files = files_under(&sandbox.home);
    let mut names: Vec<_> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["device.json", "keystore.age"]);
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn a_wrong_passphrase_exits_1_with_a_clear_message() {
    let sandbox = Sandbox::new();
    sandbox.init_ok();
    let out = sandbox.run(&["--json", "export-identity"], Some("not the passphrase"));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: wrong passphrase (the keystore could not be unlocked)"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "stdout must stay empty on error");
}

#[test]
fn no_passphrase_source_exits_1_and_names_the_three_options() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["init", "--broker", "https://broker.example"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    for option in ["--passphrase-file", "REFERRAL_PASSPHRASE", "terminal"] {
        assert!(err.contains(option), "{option} not named in {err}");
    }
    assert!(!sandbox.home.join("device.json").exists());

    sandbox.init_ok();
    let out = sandbox.run(&["export-identity"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no passphrase available"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn an_empty_passphrase_is_refused() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["init", "--broker", "https://broker.example"], Some(""));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("empty"), "{}", stderr(&out));
    assert!(!sandbox.home.join("keystore.age").exists());
}

#[test]
fn passphrase_file_works_and_its_newline_is_not_part_of_the_passphrase() {
    let sandbox = Sandbox::new();
    let file = sandbox.root.join("pass.txt");
    let mut f = fs::File::create(&file).unwrap();
    writeln!(f, "{PASSPHRASE}").unwrap();
    writeln!(f, "this second line is ignored").unwrap();
    drop(f);

    let mut cmd = sandbox.cmd();
    cmd.arg("--passphrase-file").arg(&file);
    cmd.args(["init", "--broker", "https://broker.example"]);
    // The file wins over the environment.
    cmd.env("REFERRAL_PASSPHRASE", "something else");
    let out = cmd.output().unwrap();
    assert_success(&out);

    // The same passphrase, without a newline, from the environment.
    let out = sandbox.export(false);
    assert_success(&out);

    let mut cmd = sandbox.cmd();
    cmd.args(["export-identity", "--passphrase-file"])
        .arg(&file);
    let out = cmd.output().unwrap();
    assert_success(&out);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("AGE-SECRET-KEY-1")
    );

    let mut cmd = sandbox.cmd();
    cmd.args(["export-identity", "--passphrase-file"])
        .arg(sandbox.root.join("missing.txt"));
    let out = cmd.output().unwrap();
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("missing.txt"), "{}", stderr(&out));
}

#[test]
fn plain_http_to_a_public_host_is_refused() {
    let sandbox = Sandbox::new();
    let out = sandbox.init("http://example.org");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refusing plain http://"),
        "{}",
        stderr(&out)
    );
    assert!(!sandbox.home.exists(), "a refused init must create nothing");
}

#[test]
fn loopback_http_and_https_brokers_are_accepted() {
    for (url, shown) in [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("https://broker.example", "https://broker.example"),
    ] {
        let sandbox = Sandbox::new();
        let out = sandbox.run(&["--json", "init", "--broker", url], Some(PASSPHRASE));
        assert_success(&out);
        assert_eq!(single_json(&out.stdout)["broker"], shown, "{url}");
    }
}

#[test]
fn other_schemes_are_refused() {
    for url in [
        "ftp://broker.example",
        "file:///tmp/broker",
        "broker.example",
    ] {
        let sandbox = Sandbox::new();
        let out = sandbox.init(url);
        assert_eq!(code(&out), 1, "{url}: {}", stderr(&out));
        assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
        assert!(!sandbox.home.exists());
    }
}

#[test]
fn init_twice_is_refused_and_keeps_the_first_keystore() {
    let sandbox = Sandbox::new();
    let first = sandbox.init_ok();
    let out = sandbox.run(
        &["--json", "init", "--broker", "https://other.example"],
        Some("another passphrase"),
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let whoami = single_json(&sandbox.run(&["--json", "whoami"], None).stdout);
    assert_eq!(whoami, first);
    assert_success(&sandbox.export(false));
}

#[test]
fn usage_errors_exit_2() {
    let sandbox = Sandbox::new();
    assert_eq!(code(&sandbox.run(&["frobnicate"], None)), 2);
    assert_eq!(code(&sandbox.run(&[], None)), 2);
    assert_eq!(code(&sandbox.run(&["init"], None)), 2);
    let out = sandbox.run(
        &[
            "init",
            "--broker",
            "https://broker.example",
            "--root-fingerprint",
            "not-hex",
        ],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 2);
    assert_eq!(code(&sandbox.run(&["--help"], None)), 0);
}

#[test]
fn commands_before_init_exit_1_and_say_what_to_do() {
    let sandbox = Sandbox::new();
    for args in [
        &["--json", "whoami"][..],
        &["--json", "export-identity"][..],
    ] {
        let out = sandbox.run(args, Some(PASSPHRASE));
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        assert!(stderr(&out).contains("referral init"), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn export_identity_prints_an_age_identity_file_and_warns() {
    let sandbox = Sandbox::new();
    let init = sandbox.init_ok();
    let out = sandbox.export(false);
    assert_success(&out);
    let err = stderr(&out);
    assert!(err.contains("warning:") && err.contains("PRIVATE"), "{err}");

    // The hybrid identity first (ADR 0020), then the X25519 one.
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(lines[0].starts_with("# created: "), "{text}");
    assert_eq!(
        lines[1],
        format!("# public key: {}", init["age_recipient"].as_str().unwrap())
    );
    assert!(lines[2].starts_with("AGE-SECRET-KEY-PQ-1"), "{text}");
    assert_eq!(
        lines[4],
        format!(
            "# public key: {}",
            init["classic_recipient"].as_str().unwrap()
        )
    );
    assert!(lines[5].starts_with("AGE-SECRET-KEY-1"), "{text}");

    // The file decrypts what is encrypted to either of the device's keys.
    let identities = age::IdentityFile::from_buffer(text.as_bytes())
        .unwrap()
        .into_identities()
        .unwrap();
    for field in ["age_recipient", "classic_recipient"] {
        let recipient: RecipientKey = init[field].as_str().unwrap().parse().unwrap();
        let ciphertext = encrypt_to(&recipient, b"referral for the desk");
        let decryptor = age::Decryptor::new_buffered(&ciphertext[..]).unwrap();
        let mut reader = decryptor
            .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
            .unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut plain).unwrap();
        assert_eq!(plain, b"referral for the desk", "{field}");
    }
}

/// Debian's `age` (Go) must accept the export as it is (SPEC §5). A missing
/// `age` fails the test: CI installs it, and an interop claim must never pass
/// by being skipped.
#[test]
fn export_identity_works_with_the_go_age_binary() {
    let version = Command::new("age")
        .arg("--version")
        .output()
        .expect("Debian's `age` is not installed: apt-get install -y age");
    assert!(version.status.success());
    let sandbox = Sandbox::new();
    let init = sandbox.init_ok();
    // Go age 1.1 refuses a file holding a hybrid identity, which it does not
    // know: `--classic-only` is the export for it.
    let out = sandbox.run(&["export-identity", "--classic-only"], Some(PASSPHRASE));
    assert_success(&out);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("AGE-SECRET-KEY-PQ-1"));
    let identity_file = sandbox.root.join("identity.txt");
    fs::write(&identity_file, &out.stdout).unwrap();

    let recipient: RecipientKey = init["classic_recipient"].as_str().unwrap().parse().unwrap();
    let ciphertext = encrypt_to(&recipient, b"opened by go age");
    let packet = sandbox.root.join("packet.age");
    fs::write(&packet, ciphertext).unwrap();
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&identity_file)
        .arg(&packet)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"opened by go age");
}

#[test]
fn export_identity_json_has_the_documented_shape() {
    let sandbox = Sandbox::new();
    let init = sandbox.init_ok();
    let out = sandbox.export(true);
    assert_success(&out);
    let json = single_json(&out.stdout);
    assert_eq!(keys_of(&json), ["device_id", "identities"]);
    assert_eq!(json["device_id"], init["device_id"]);
    let identities = json["identities"].as_array().unwrap();
    assert_eq!(identities.len(), 2);
    let (hybrid, classic) = (&identities[0], &identities[1]);
    assert_eq!(
        keys_of(hybrid),
        [
            "age_recipient",
            "created_at",
            "kind",
            "secret_key",
            "status"
        ]
    );
    assert_eq!(hybrid["age_recipient"], init["age_recipient"]);
    assert_eq!(hybrid["kind"], "post_quantum");
    assert_eq!(hybrid["status"], "current");
    assert!(
        hybrid["secret_key"]
            .as_str()
            .unwrap()
            .starts_with("AGE-SECRET-KEY-PQ-1")
    );
    assert_eq!(classic["age_recipient"], init["classic_recipient"]);
    assert_eq!(classic["kind"], "classic");
    assert!(
        classic["secret_key"]
            .as_str()
            .unwrap()
            .starts_with("AGE-SECRET-KEY-1")
    );
}

#[test]
fn a_keystore_that_disagrees_with_device_json_exits_4() {
    let sandbox = Sandbox::new();
    sandbox.init_ok();
    // Replace the published keys with a consistent but different pair, as a
    // restore from the wrong backup (or an attacker) would.
    let path = sandbox.home.join("device.json");
    let mut device: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let signing = SigningKey::generate().unwrap().verifying_key();
    let recipient = AgeIdentity::generate_classic().recipient();
    let pq: RecipientKey = device["current_keys"]["pq_recipient"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    device["current_keys"]["signing_key"] = signing.to_string().into();
    device["current_keys"]["age_recipient"] = recipient.to_string().into();
    device["fingerprint"] = Fingerprint::of_device(&signing, &recipient, Some(&pq))
        .to_string()
        .into();
    fs::write(&path, serde_json::to_vec(&device).unwrap()).unwrap();

    let out = sandbox.export(true);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("disagree"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn an_edited_device_json_exits_4() {
    let sandbox = Sandbox::new();
    sandbox.init_ok();
    let path = sandbox.home.join("device.json");
    let mut device: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let recipient = AgeIdentity::generate_classic().recipient();
    device["current_keys"]["age_recipient"] = recipient.to_string().into();
    fs::write(&path, serde_json::to_vec(&device).unwrap()).unwrap();
    let out = sandbox.run(&["--json", "whoami"], None);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn an_out_of_range_work_factor_is_refused() {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.cmd();
    cmd.env("REFERRAL_KDF_WORK_FACTOR", "8")
        .env("REFERRAL_PASSPHRASE", PASSPHRASE)
        .args(["init", "--broker", "https://broker.example"]);
    let out = cmd.output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("REFERRAL_KDF_WORK_FACTOR"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn referral_home_from_the_environment_is_used() {
    let sandbox = Sandbox::new();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_referral"));
    cmd.env("REFERRAL_HOME", &sandbox.home)
        .env("REFERRAL_PASSPHRASE", PASSPHRASE)
        .env("REFERRAL_KDF_WORK_FACTOR", "10")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null())
        .args(["--json", "init", "--broker", "https://broker.example"]);
    let out = cmd.output().unwrap();
    assert_success(&out);
    assert!(sandbox.home.join("device.json").exists());
}

#[test]
fn init_refuses_weak_passphrases_with_advice_from_every_source() {
    let sandbox = Sandbox::new();
    for weak in ["abc", "password1", "password1password1"] {
        let out = sandbox.run(&["init", "--broker", "https://broker.example"], Some(weak));
        assert_eq!(code(&out), 1, "{weak}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("REFERRAL_PASSPHRASE is too weak"), "{err}");
        assert!(err.contains("four or more unrelated words"), "{err}");
        assert!(!sandbox.home.join("keystore.age").exists(), "{weak}");
    }
    // zxcvbn's own feedback is passed on.
    let out = sandbox.run(
        &["init", "--broker", "https://broker.example"],
        Some("password1password1"),
    );
    assert!(stderr(&out).contains("Repeats like"), "{}", stderr(&out));

    // The same rule for a passphrase file.
    let file = sandbox.root.join("weak.passphrase");
    std::fs::write(&file, "abc\n").unwrap();
    let mut cmd = sandbox.cmd();
    cmd.arg("--passphrase-file")
        .arg(&file)
        .args(["init", "--broker", "https://broker.example"]);
    let out = cmd.output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("at least 12"), "{}", stderr(&out));

    // A strong one is accepted, and unlocking never applies the rule.
    sandbox.init_ok();
    assert!(sandbox.home.join("keystore.age").exists());
}
