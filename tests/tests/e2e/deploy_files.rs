//! The files in `deploy/` (issue 15, item 5): the systemd unit passes
//! `systemd-analyze verify` and keeps its sandbox, and the example
//! `broker.toml` names every key the broker's own loader reads.

use std::path::{Path, PathBuf};
use std::process::Command;

use referral_broker::config::ConfigLayer;

fn deploy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(name)
}

/// `systemd-analyze`, which CI installs (`.ci/run`). Its absence fails the
/// test: a unit that was never verified must not pass as verified.
fn systemd_analyze() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join("systemd-analyze"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "systemd-analyze is not installed: apt-get install -y systemd \
                 (CI's .ci/run does this)"
            )
        })
}

/// The unit's `Key=value` lines, in order.
fn directives(unit: &str) -> Vec<(String, String)> {
    unit.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

#[test]
fn the_systemd_unit_verifies_and_is_sandboxed() {
    let unit = std::fs::read_to_string(deploy("referral-broker.service")).unwrap();
    let all = directives(&unit);
    let values = |key: &str| -> Vec<&str> {
        all.iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    for (key, want) in [
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("DynamicUser", "yes"),
        ("StateDirectory", "referral-broker"),
        ("PrivateTmp", "yes"),
        ("ProtectHome", "yes"),
        ("CapabilityBoundingSet", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("SystemCallFilter", "@system-service"),
    ] {
        assert!(values(key).contains(&want), "{key}={want} missing");
    }
    // The data directory is the only writable path, and it is the one the
    // broker is told to use.
    assert_eq!(values("ReadWritePaths"), ["/var/lib/referral-broker"]);
    let exec = values("ExecStart");
    assert_eq!(exec.len(), 1);
    assert!(
        exec[0].contains("--data-dir /var/lib/referral-broker"),
        "{exec:?}"
    );

    // systemd-analyze checks that ExecStart's program exists: verify a copy
    // that starts the binary this workspace built, every other line as is.
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("referral-broker.service");
    let binary = referral_e2e::bin("referral-broker");
    std::fs::write(
        &copy,
        unit.replace(
            "ExecStart=/usr/local/bin/referral-broker ",
            &format!("ExecStart={} ", binary.display()),
        ),
    )
    .unwrap();
    let out = Command::new(systemd_analyze())
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .expect("run systemd-analyze");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {said}");
    // A directive it cannot parse is only a warning: any word is a failure.
    assert!(
        said.trim().is_empty() && out.stdout.is_empty(),
        "systemd-analyze verify: {said}"
    );
}

#[test]
fn the_example_config_names_every_key_the_broker_reads() {
    let path = deploy("broker.toml");
    // As shipped, it is a configuration the broker accepts.
    ConfigLayer::from_file(&path)
        .expect("the example loads")
        .resolve()
        .expect("the example resolves");

    // With the keys that are off by default uncommented, every setting of
    // the broker's own config layer is given.
    let text = std::fs::read_to_string(&path).unwrap();
    let uncommented: String = text
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest) if rest.split_once(" = ").is_some_and(|(k, _)| is_key(k)) => rest,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let full = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(full.path(), uncommented).unwrap();
    let layer = ConfigLayer::from_file(full.path()).expect("every key is one the loader knows");
    // No `..`: a key added to `ConfigLayer` fails to compile here until it is in
    // the example and in this list.
    let ConfigLayer {
        data_dir,
        listen,
        metrics_listen,
        database_url,
        tls_cert,
        tls_key,
        max_packet_bytes,
        ack_grace_secs,
        ttl_secs,
        thread_retention_days,
        token_lifetime_secs,
        auth_per_minute,
        unauthenticated_per_minute_per_address,
        requests_per_minute_per_device,
        trusted_proxies,
        request_timeout_secs,
        body_idle_timeout_secs,
        purge_interval_secs,
        max_pending_bytes_per_desk,
        header_read_timeout_secs,
        max_connections,
        max_connections_per_address,
        token_issuer,
    } = layer;
    let given = [
        ("data_dir", data_dir.is_some()),
        ("listen", listen.is_some()),
        ("metrics_listen", metrics_listen.is_some()),
        ("database_url", database_url.is_some()),
        ("tls_cert", tls_cert.is_some()),
        ("tls_key", tls_key.is_some()),
        ("max_packet_bytes", max_packet_bytes.is_some()),
        ("ack_grace_secs", ack_grace_secs.is_some()),
        ("ttl_secs", ttl_secs.is_some()),
        ("thread_retention_days", thread_retention_days.is_some()),
        ("token_lifetime_secs", token_lifetime_secs.is_some()),
        ("auth_per_minute", auth_per_minute.is_some()),
        (
            "unauthenticated_per_minute_per_address",
            unauthenticated_per_minute_per_address.is_some(),
        ),
        (
            "requests_per_minute_per_device",
            requests_per_minute_per_device.is_some(),
        ),
        ("trusted_proxies", trusted_proxies.is_some()),
        ("request_timeout_secs", request_timeout_secs.is_some()),
        ("body_idle_timeout_secs", body_idle_timeout_secs.is_some()),
        ("purge_interval_secs", purge_interval_secs.is_some()),
        (
            "max_pending_bytes_per_desk",
            max_pending_bytes_per_desk.is_some(),
        ),
        (
            "header_read_timeout_secs",
            header_read_timeout_secs.is_some(),
        ),
        ("max_connections", max_connections.is_some()),
        (
            "max_connections_per_address",
            max_connections_per_address.is_some(),
        ),
        ("token_issuer", token_issuer.is_some()),
    ];
    let missing: Vec<&str> = given
        .iter()
        .filter(|(_, present)| !present)
        .map(|(key, _)| *key)
        .collect();
    assert!(missing.is_empty(), "deploy/broker.toml lacks {missing:?}");
}

/// A TOML bare key (what a commented-out setting starts with).
fn is_key(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
