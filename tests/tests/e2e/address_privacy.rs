//! The client's address is used to limit it and for nothing else (SPEC §2.2,
//! ADR 0006): the real broker, behind a configured proxy, limits one client
//! address among others, and neither that address nor the proxy's appears in
//! its log (even at debug level) or its metrics.

use std::time::Duration;

use referral_e2e::deployment::Broker;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::json;

/// Addresses from the documentation ranges (RFC 5737), unlikely to appear
/// in a log for any other reason.
const LIMITED: &str = "203.0.113.77";
const OTHER: &str = "198.51.100.23";

fn challenge(http: &Client, broker: &Broker, from: &str) -> reqwest::blocking::Response {
    http.post(format!("{}/v1/auth/challenge", broker.url))
        .header("x-forwarded-for", format!("192.0.2.200, {from}"))
        .json(&json!({"device_id": referral_protocol::DeviceId::random()}))
        .send()
        .expect("the broker answers")
}

#[test]
fn a_limited_address_is_never_written_down() {
    let mut broker = Broker::start_with_env(
        "trusted_proxies = [\"127.0.0.1\"]\n\
         unauthenticated_per_minute_per_address = 3\n",
        &[("RUST_LOG", "debug")],
    );
    let http = Client::new();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(challenge(&http, &broker, LIMITED).status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429], "limited per address");
    let other = challenge(&http, &broker, OTHER);
    assert_eq!(other.status(), StatusCode::OK, "another address is not");

    let metrics = http
        .get(format!("{}/metrics", broker.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("429"),
        "the refusals are counted: {metrics}"
    );
    broker.terminate(Duration::from_secs(30));

    let log = format!(
        "{}{}",
        broker.log(),
        std::fs::read_to_string(&broker.stdout_path).unwrap_or_default()
    );
    assert!(
        log.contains("status=429") || log.contains("\"status\":429"),
        "the log records the refusals (so it is the right log): {log}"
    );
    for (what, text) in [("log", &log), ("metrics", &metrics)] {
        for address in [LIMITED, OTHER, "192.0.2.200"] {
            assert!(!text.contains(address), "{what} names {address}:\n{text}");
        }
    }
    // The only line naming the loopback address is the listen address at
    // start-up; the proxy's (the peer's) own address and port are not logged.
    let loopback: Vec<&str> = log.lines().filter(|l| l.contains("127.0.0.1")).collect();
    assert!(
        loopback.iter().all(|l| l.contains(&broker.listen)),
        "lines naming the peer: {loopback:?}"
    );
}
