//! The CLI signs only a challenge that names its own broker (issue 14,
//! item 8e). A device pins its broker's name (token issuer) at its first
//! sign-in; a broker whose challenges name another broker, as a relay of
//! that broker's challenges would, gets no signature: exit 4, and the pin
//! is left as it was.

use referral_e2e::deployment::Deployment;

#[test]
fn the_client_refuses_a_challenge_naming_another_broker() {
    let mut dep = Deployment::start(&["shinjuku-iea"]);
    let (device, _) = dep.enroll("shinjuku-iea", "desk");
    let pin = device.home.path().join("broker-name");

    device.run_ok(&["token"]);
    assert_eq!(
        std::fs::read_to_string(&pin).expect("the broker's name is pinned at first sign-in"),
        "referral-broker"
    );

    // The same address now hands out challenges for another broker.
    dep.broker
        .restart_with_config("token_issuer = \"relay.example\"\n");
    let stderr = device.run_fails(&["token"], 4);
    assert!(
        stderr.contains("another broker") && stderr.contains("relay.example"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&pin).unwrap(), "referral-broker");

    // Its own broker again: signed as before.
    dep.broker.restart_with_config("");
    device.run_ok(&["token"]);
}
