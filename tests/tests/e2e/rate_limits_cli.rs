//! The CLI under the broker's abuse limits (ADR 0006): a short
//! `Retry-After` is waited out and the command succeeds; a long one ends the
//! command with exit 3 and says when to try again. A 429 changes nothing on
//! the broker, so repeating the request is always safe.

use referral_e2e::deployment::{Broker, Deployment};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::json;

/// Spends the address's bucket for the routes without a token until the
/// broker answers 429; returns how many requests that took.
fn exhaust(broker: &Broker) -> usize {
    let http = Client::new();
    for sent in 1..=10_000 {
        let res = http
            .post(format!("{}/v1/auth/challenge", broker.url))
            .json(&json!({"device_id": referral_protocol::DeviceId::random()}))
            .send()
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            return sent;
        }
    }
    panic!("the broker never limited this address");
}

#[test]
fn the_cli_waits_out_a_short_limit_and_reports_a_long_one() {
    let dep = Deployment::on(Broker::start(), &[("shinjuku-iea", "Shinjuku IEA")]);
    let (member, _) = dep.enroll("shinjuku-iea", "desk");

    // 60 a minute: the bucket refills one request a second.
    let mut broker = dep.broker;
    broker.restart_with_config("unauthenticated_per_minute_per_address = 60\n");
    let spent = exhaust(&broker);
    assert!(spent > 1, "the burst allowed {spent} requests");
    // `inbox` signs in (challenge, token) from the same address: it is told
    // to wait a second, waits, and succeeds.
    let out = member.run_ok(&["inbox", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("limiting requests; waiting"),
        "the CLI says why it pauses: {stderr}"
    );

    // One a minute: the wait is longer than the CLI sits out by itself.
    broker.restart_with_config("unauthenticated_per_minute_per_address = 1\n");
    exhaust(&broker);
    let stderr = member.run_fails(&["inbox"], 3);
    assert!(
        stderr.contains("limiting requests") && stderr.contains("try again in"),
        "the CLI says when to come back: {stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
}
