//! `schemas/openapi.json` is generated from the code; this fails when the
//! checked-in file has drifted. `REFERRAL_REGENERATE_SCHEMAS=1` rewrites it.

use std::path::PathBuf;

#[test]
fn checked_in_openapi_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/openapi.json");
    let generated =
        serde_json::to_string_pretty(&referral_broker::openapi::document()).unwrap() + "\n";
    if std::env::var_os("REFERRAL_REGENERATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; generate it with REFERRAL_REGENERATE_SCHEMAS=1",
            path.display()
        )
    });
    assert!(
        checked_in == generated,
        "schemas/openapi.json has drifted from the code; regenerate with \
         REFERRAL_REGENERATE_SCHEMAS=1 cargo test -p referral-broker --test openapi"
    );
}

#[test]
fn every_routed_path_is_documented() {
    let doc = referral_broker::openapi::document();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/auth/challenge",
        "/v1/auth/token",
        "/v1/packets",
        "/v1/inbox",
        "/v1/packets/{id}",
        "/v1/packets/{id}/ack",
        "/v1/threads/{id}",
        "/v1/packets/{id}/rewrap",
        "/v1/directory",
        "/v1/invites/lookup",
        "/v1/enrollments",
        "/v1/rotations",
        "/v1/admin/bootstrap",
        "/v1/admin/invites",
        "/v1/admin/requests",
        "/v1/admin/requests/{id}",
        "/v1/admin/token-keys",
        "/v1/admin/stats",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} is not in the OpenAPI document"
        );
    }
    // The router names each path by its constant in `referral_protocol::paths`.
    let router_source = include_str!("../src/routes/mod.rs");
    let paths_source = include_str!("../../protocol/src/paths.rs");
    for path in paths.keys() {
        let constant = paths_source
            .lines()
            .find_map(|line| {
                let (name, value) = line.strip_prefix("pub const ")?.split_once(": &str = ")?;
                (value == format!("\"{path}\";")).then_some(name)
            })
            .unwrap_or_else(|| panic!("{path} is documented but not in protocol's paths"));
        assert!(
            router_source.contains(&format!("paths::{constant},")),
            "{path} is documented but not routed"
        );
    }
}

#[test]
fn the_directory_read_names_its_three_ways_in_and_its_refusal() {
    let doc = referral_broker::openapi::document();
    let get = &doc["paths"]["/v1/directory"]["get"];
    assert_eq!(
        get["security"],
        serde_json::json!([{"bearer": []}, {"invite": []}, {}])
    );
    let scheme = &doc["components"]["securitySchemes"]["invite"];
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], referral_protocol::paths::INVITE_HEADER);
    let unauthorized = serde_json::to_string(&get["responses"]["401"]).unwrap();
    assert!(
        unauthorized.contains("directory_private"),
        "401 of GET /v1/directory: {unauthorized}"
    );
}
