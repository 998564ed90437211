//! Between the CLI and the broker, TLS agrees on the hybrid post-quantum key
//! exchange X25519MLKEM768 (ADR 0020 §9), so the routing metadata and tokens
//! in transit are protected like the packets. The broker counts each
//! handshake's group in `/metrics`; the CLI here is the real `referral`
//! binary, trusting the broker's self-signed certificate the way an operator's
//! private CA would be trusted.

use referral_e2e::Device;
use referral_e2e::deployment::Broker;

#[test]
fn the_cli_and_the_broker_agree_on_x25519mlkem768() {
    let metrics_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let broker = Broker::start_tls(&format!("metrics_listen = '127.0.0.1:{metrics_port}'\n"));
    let device = Device::new("correct horse battery staple");
    device.json(&["init", "--broker", &broker.url]);
    // The first administrator claims the broker: the directory, the claim
    // and the sign-in, each over TLS.
    let out = device
        .cmd()
        .args(["admin", "bootstrap", "--code", &broker.bootstrap_code()])
        .env("SSL_CERT_FILE", broker.certificate())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let metrics = reqwest::blocking::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .unwrap()
        .text()
        .unwrap();
    let handshakes: Vec<(&str, u64)> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("referral_tls_handshakes_total{group=\""))
        .map(|l| {
            let (group, n) = l.split_once("\"} ").unwrap();
            (group, n.parse().unwrap())
        })
        .collect();
    let hybrid = handshakes
        .iter()
        .find(|(g, _)| *g == "X25519MLKEM768")
        .map_or(0, |(_, n)| *n);
    assert!(hybrid >= 1, "no hybrid handshake: {handshakes:?}");
    assert!(
        handshakes.iter().all(|(g, _)| *g == "X25519MLKEM768"),
        "every handshake (the test's own readiness checks included) is hybrid: {handshakes:?}"
    );
}
