//! The operator's side of the real `referral-broker` binary (issue 15,
//! item 5; ADR 0013): an online backup taken while the broker serves and
//! takes sends, restored into a fresh data directory and served from;
//! `check` on a good copy, a corrupted page and a tampered directory entry;
//! start-up failures that leave nothing on disk and say what to do; the
//! settings logged at start without secrets; `/metrics` on its own address
//! with latency histograms; the Japanese banner and `check`.
//!
//! Build the binaries first when running this file alone:
//! `cargo build -p referral-broker -p referral-cli && cargo test -p referral-e2e --test broker_operations`.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use referral_e2e::deployment::{Broker, Deployment, Sent, broker_command};
use referral_store::postgres::test_support::FreshDatabase;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;
use sqlx::Connection;

/// Packets posted while the backup runs.
const SENDS_DURING_BACKUP: usize = 12;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `referral-broker ARGS --data-dir DIR`, run to its end.
fn broker_run(args: &[&str], data_dir: &Path) -> Output {
    broker_command(args, data_dir)
        .stdin(Stdio::null())
        .output()
        .expect("run referral-broker")
}

/// Every path under `dir`, relative to it, sorted.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.push(path.strip_prefix(dir).expect("under dir").to_owned());
        }
    }
    found.sort();
    found
}

fn inbox_ids(http: &Client, base: &str, token: &str) -> Vec<String> {
    let inbox: Value = http
        .get(format!("{base}/v1/inbox"))
        .bearer_auth(token)
        .send()
        .expect("inbox")
        .json()
        .expect("inbox JSON");
    inbox["packets"]
        .as_array()
        .expect("packets")
        .iter()
        .map(|p| p["packet_id"].as_str().expect("packet_id").to_owned())
        .collect()
}

#[test]
fn a_backup_taken_while_serving_restores_and_serves() {
    let mut dep = Deployment::start(&["intake", "iea"]);
    let (caseworker, _) = dep.enroll("intake", "caseworker");
    let (member, _) = dep.enroll("iea", "desk");
    let http = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let before = dep.send(&caseworker, "iea", "sent before the backup");
    let sealer = dep.sealer(&caseworker, "iea");
    let during: Vec<Sent> = (0..SENDS_DURING_BACKUP)
        .map(|i| sealer.seal(format!("sent during the backup {i}").as_bytes()))
        .collect();
    let token = caseworker.token();
    let work = tempfile::tempdir().unwrap();
    let backup = work.path().join("broker-backup.db");

    // The backup runs while another thread keeps sending.
    let out = std::thread::scope(|scope| {
        let sender = scope.spawn(|| {
            for sent in &during {
                let res = sent.post(&http, &dep.broker.url, &token).expect("post");
                assert_eq!(res.status(), StatusCode::CREATED);
            }
        });
        let out = broker_run(
            &["backup", "--out", backup.to_str().unwrap()],
            &dep.broker.data_dir,
        );
        sender.join().expect("the sender thread");
        out
    });
    assert!(out.status.success(), "backup: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Backed up"),
        "{}",
        text(&out.stdout)
    );
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "backup mode {mode:o}");
    assert!(
        !work.path().join("broker-backup.db.partial").exists(),
        "no partial file is left"
    );

    // A second backup to the same name is refused and changes nothing.
    let first = std::fs::read(&backup).unwrap();
    let again = broker_run(
        &["backup", "--out", backup.to_str().unwrap()],
        &dep.broker.data_dir,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read(&backup).unwrap(), first);

    // Stop the broker; restore the backup into a fresh data directory.
    let status = dep.broker.terminate(Duration::from_secs(30));
    assert!(status.success(), "{status}");
    let restored = work.path().join("restored");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&restored)
        .unwrap();
    std::fs::copy(&backup, restored.join("broker.db")).unwrap();

    // `check` passes on the restored copy, in English and in Japanese.
    let checked = broker_run(&["check"], &restored);
    let report = text(&checked.stdout);
    assert!(
        checked.status.success(),
        "{report}{}",
        text(&checked.stderr)
    );
    // Every migration the repository holds, and the root for people (in
    // groups of four).
    let migrations =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite"))
            .unwrap()
            .count();
    let applied = format!("migrations: {migrations} of {migrations} applied, none unknown");
    let root: referral_protocol::Fingerprint = dep.root_fingerprint.parse().unwrap();
    let root = root.to_string();
    for line in [
        "integrity_check: no damage found",
        "foreign keys: every reference resolves",
        applied.as_str(),
        "verified from the genesis",
        root.as_str(),
        "All checks passed.",
    ] {
        assert!(report.contains(line), "{line:?} missing from:\n{report}");
    }
    let ja = broker_run(&["--lang", "ja", "check"], &restored);
    assert!(ja.status.success());
    let ja = text(&ja.stdout);
    assert!(ja.contains("窓口名簿"), "{ja}");
    assert!(ja.contains("すべての検査に合格しました。"), "{ja}");

    // A copy with a page of garbage fails the check.
    let corrupt = work.path().join("corrupt");
    std::fs::create_dir(&corrupt).unwrap();
    let mut bytes = first.clone();
    let page = 4096;
    assert!(bytes.len() > 4 * page, "the backup has pages to spoil");
    for b in &mut bytes[2 * page..3 * page] {
        *b = 0xA5;
    }
    std::fs::write(corrupt.join("broker.db"), &bytes).unwrap();
    let bad = broker_run(&["check"], &corrupt);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stdout));
    let report = text(&bad.stderr);
    assert!(report.contains('✗'), "{report}");
    assert!(
        report.contains("Do not serve from this database"),
        "{report}"
    );

    // A copy with one byte of a directory entry changed fails the check.
    let tampered = work.path().join("tampered");
    std::fs::create_dir(&tampered).unwrap();
    std::fs::copy(&backup, tampered.join("broker.db")).unwrap();
    runtime().block_on(async {
        let url = format!("sqlite://{}", tampered.join("broker.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let (entry,): (Vec<u8>,) =
            sqlx::query_as("SELECT entry FROM directory_entries WHERE seq = 1")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        let mut forged = entry.clone();
        let last = forged.len() - 1;
        forged[last] ^= 0x01;
        sqlx::query("UPDATE directory_entries SET entry = ? WHERE seq = 1")
            .bind(forged)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    let bad = broker_run(&["check"], &tampered);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stdout));
    let report = text(&bad.stderr);
    assert!(report.contains("✗ directory log:"), "{report}");
    assert!(
        report.contains("integrity_check: no damage found"),
        "{report}"
    );

    // Serve from the restored copy on the same address: the directory
    // syncs, and the inbox holds what was stored before the backup.
    dep.broker.restart_on(restored);
    member.run_ok(&["directory"]);
    let member_token = member.token();
    let ids = inbox_ids(&http, &dep.broker.url, &member_token);
    assert!(
        ids.contains(&before.packet_id.to_string()),
        "the packet sent before the backup is in the restored inbox: {ids:?}"
    );
    let sent_ids: Vec<String> = std::iter::once(&before)
        .chain(&during)
        .map(|s| s.packet_id.to_string())
        .collect();
    assert!(
        ids.iter().all(|id| sent_ids.contains(id)),
        "only packets that were sent: {ids:?}"
    );
    assert_eq!(dep.fetch(&member, &before.packet_id), before.bytes);
}

/// Runs `serve` expecting it to fail at start; returns its stderr.
fn failed_start(args: &[&str], data_dir: &Path) -> String {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    let started = Instant::now();
    let out = broker_run(&all, data_dir);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "a failed start is prompt"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout {} stderr {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

#[test]
fn a_busy_port_fails_before_creating_anything() {
    let work = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let data = work.path().join("data");
    let stderr = failed_start(&["--listen", &address], &data);
    assert!(stderr.contains("did not start"), "{stderr}");
    assert!(stderr.contains(&address), "{stderr}");
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(stderr.contains("--listen"), "{stderr}");
    assert!(tree(work.path()).is_empty(), "{:?}", tree(work.path()));

    // The same for the metrics listener.
    let free = format!("127.0.0.1:{}", free_port());
    let stderr = failed_start(&["--listen", &free, "--metrics-listen", &address], &data);
    assert!(stderr.contains("--metrics-listen"), "{stderr}");
    assert!(tree(work.path()).is_empty(), "{:?}", tree(work.path()));
}

#[test]
fn a_bad_config_file_fails_before_creating_anything() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("broker.toml");
    std::fs::write(&config, "tll_secs = 60\n").unwrap();
    let data = work.path().join("data");
    let listen = format!("127.0.0.1:{}", free_port());
    let stderr = failed_start(
        &["--listen", &listen, "--config", config.to_str().unwrap()],
        &data,
    );
    assert!(
        stderr.contains(&format!("configuration file {}", config.display())),
        "{stderr}"
    );
    assert!(stderr.contains("tll_secs"), "{stderr}");
    assert!(stderr.contains("deploy/broker.toml"), "{stderr}");
    assert_eq!(tree(work.path()), vec![PathBuf::from("broker.toml")]);
}

#[test]
fn an_unreachable_database_fails_before_creating_anything() {
    let work = tempfile::tempdir().unwrap();
    let closed = free_port();
    let url = format!("postgres://postgres:hunter2-canary@127.0.0.1:{closed}/referral");
    let data = work.path().join("data");
    let listen = format!("127.0.0.1:{}", free_port());
    let stderr = failed_start(&["--listen", &listen, "--database-url", &url], &data);
    assert!(stderr.contains("PostgreSQL"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "postgres://postgres:***@127.0.0.1:{closed}/referral"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "the password leaked: {stderr}");
    assert!(tree(work.path()).is_empty(), "{:?}", tree(work.path()));
}

#[test]
fn an_unusable_data_dir_fails_before_creating_anything() {
    let work = tempfile::tempdir().unwrap();
    // A file where a directory should be: unwritable as a directory for any
    // user, root included.
    let blocker = work.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let data = blocker.join("data");
    let listen = format!("127.0.0.1:{}", free_port());
    let stderr = failed_start(&["--listen", &listen], &data);
    assert!(
        stderr.contains(&format!("data directory {}", data.display())),
        "{stderr}"
    );
    assert!(stderr.contains("--data-dir"), "{stderr}");
    assert_eq!(tree(work.path()), vec![PathBuf::from("not-a-dir")]);
}

#[test]
fn metrics_apart_with_latency_histograms_and_the_settings_logged() {
    let metrics_port = free_port();
    let broker = Broker::start_with_config(&format!(
        "metrics_listen = \"127.0.0.1:{metrics_port}\"\nmax_packet_bytes = 1048576\n"
    ));
    let http = Client::new();
    assert!(
        http.get(format!("{}/healthz", broker.url))
            .send()
            .unwrap()
            .status()
            .is_success()
    );
    let api_metrics = http.get(format!("{}/metrics", broker.url)).send().unwrap();
    assert_eq!(api_metrics.status(), StatusCode::NOT_FOUND);
    let res = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().unwrap();
    assert!(
        body.contains("# TYPE referral_http_request_duration_seconds histogram"),
        "{body}"
    );
    assert!(
        body.contains(
            "referral_http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\",status=\"2xx\"}"
        ),
        "{body}"
    );
    assert!(
        body.contains("route=\"unmatched\",method=\"GET\",status=\"4xx\",le=\"+Inf\"} 1"),
        "the 404 on the API's /metrics is timed as unmatched: {body}"
    );
    let log = broker.log();
    let settings = log
        .lines()
        .find(|l| l.contains("referral-broker listening, settings in force"))
        .unwrap_or_else(|| panic!("no settings line: {log}"));
    for field in [
        format!("listen={}", broker.listen),
        format!("metrics_listen=127.0.0.1:{metrics_port}"),
        "backend=\"sqlite\"".to_owned(),
        "tls=\"off\"".to_owned(),
        "trusted_proxies=none".to_owned(),
        "max_packet_bytes=1048576".to_owned(),
        format!("data_dir={}", broker.data_dir.display()),
    ] {
        assert!(settings.contains(&field), "{field} missing: {settings}");
    }
}

#[test]
fn postgres_settings_hide_the_password_and_backup_names_pg_dump() {
    let runtime = runtime();
    // Skips loudly when no server is reachable outside CI; fails in CI.
    let Some(db) = runtime.block_on(FreshDatabase::create()) else {
        return;
    };
    let url = db.url().replacen(
        "postgres://postgres@",
        "postgres://postgres:hunter2-canary@",
        1,
    );
    assert_ne!(url, db.url(), "the test server URL has the expected form");
    let mut broker = Broker::start_with_config(&format!("database_url = \"{url}\"\n"));
    let log = broker.log();
    assert!(
        log.contains("referral-broker listening, settings in force"),
        "{log}"
    );
    assert!(log.contains("backend=\"postgres\""), "{log}");
    assert!(log.contains("postgres://postgres:***@"), "{log}");
    assert!(!log.contains("hunter2"), "the password leaked: {log}");

    let work = tempfile::tempdir().unwrap();
    let out_file = work.path().join("dump");
    let backup = broker_run(
        &[
            "backup",
            "--database-url",
            &url,
            "--out",
            out_file.to_str().unwrap(),
        ],
        &broker.data_dir,
    );
    assert_eq!(backup.status.code(), Some(1));
    let said = text(&backup.stderr);
    assert!(said.contains("pg_dump --format=custom"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
    assert!(!out_file.exists());

    let checked = broker_run(&["check", "--database-url", &url], &broker.data_dir);
    let report = text(&checked.stdout);
    assert!(
        checked.status.success(),
        "{report}{}",
        text(&checked.stderr)
    );
    assert!(report.contains("PostgreSQL"), "{report}");
    assert!(report.contains("directory log: empty"), "{report}");
    assert!(!report.contains("hunter2"), "{report}");
    broker.terminate(Duration::from_secs(30));
    runtime.block_on(db.cleanup());
}

#[test]
fn the_bootstrap_banner_speaks_japanese() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let stderr_path = work.path().join("stderr");
    let listen = format!("127.0.0.1:{}", free_port());
    let mut child = broker_command(&["--lang", "ja", "serve", "--listen", &listen], &data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let banner = loop {
        let said = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        if said.contains("referral-broker listening") {
            break said;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the broker exited: {said}"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "{said}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let code = std::fs::read_to_string(data.join("bootstrap-code")).unwrap();
    assert!(
        banner.contains("この中継サーバーはまだ管理者に登録されていません。"),
        "{banner}"
    );
    assert!(banner.contains("初期設定コード"), "{banner}");
    assert!(
        banner.contains(&format!("    {}", code.trim())),
        "the code on a line of its own: {banner}"
    );
    // Logs stay English.
    assert!(
        banner.contains("referral-broker listening, settings in force"),
        "{banner}"
    );
}
