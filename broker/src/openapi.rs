//! `schemas/openapi.json`, generated from the code: the route table below
//! names each route's request and response types, and their JSON Schemas
//! come from the Rust types themselves (schemars); each route's error
//! statuses and codes come from what it declares it can refuse
//! (`crate::routes::refusals`, from the catalogue). A test fails when the
//! checked-in file differs from what this produces (drift check in CI);
//! `REFERRAL_REGENERATE_SCHEMAS=1 cargo test -p referral-broker --test openapi`
//! rewrites it.

use referral_protocol::paths;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use referral_protocol::api::{
    AckResponse, AppendEntryRequest, AppendEntryResponse, BootstrapRequest, BootstrapResponse,
    BrokerLimits, ChallengeRequest, ChallengeResponse, DirectoryPage, EnrollmentRequest, ErrorBody,
    Inbox, InviteLookup, InviteLookupRequest, InviteRequest, InviteResponse, PacketReceipt,
    PendingRequest, PendingRequests, RequestReceipt, RotationRequest, StagedTokenKey, Stats,
    ThreadChanges, ThreadView, TokenRequest, TokenResponse,
};

use crate::routes::health::Health;
use crate::routes::refusals::{self, RouteRefusals};

/// How a route's body is described.
enum Body {
    None,
    Json(fn(&mut SchemaGenerator) -> Value),
    /// An age file (the packet).
    Age,
    /// Prometheus text.
    Text,
}

struct Route {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    bearer: bool,
    request: Body,
    ok_status: u16,
    response: Body,
    /// What the route can refuse (`crate::routes::refusals`).
    refusals: RouteRefusals,
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    serde_json::to_value(g.subschema_for::<T>()).expect("schemas serialize")
}

fn routes() -> Vec<Route> {
    use Body::*;
    vec![
        Route {
            method: "post",
            path: paths::AUTH_CHALLENGE,
            summary: "Ask for a single-use challenge to sign.",
            bearer: false,
            request: Json(schema::<ChallengeRequest>),
            ok_status: 200,
            response: Json(schema::<ChallengeResponse>),
            refusals: refusals::CHALLENGE,
        },
        Route {
            method: "post",
            path: paths::AUTH_TOKEN,
            summary: "Exchange a signed challenge for a short-lived EdDSA JWT.",
            bearer: false,
            request: Json(schema::<TokenRequest>),
            ok_status: 200,
            response: Json(schema::<TokenResponse>),
            refusals: refusals::TOKEN,
        },
        Route {
            method: "post",
            path: paths::PACKETS,
            summary: "Store a sealed packet (binary age file, a published bucket size). Routing metadata travels in the referral-* headers.",
            bearer: true,
            request: Age,
            ok_status: 201,
            response: Json(schema::<PacketReceipt>),
            refusals: refusals::SEND,
        },
        Route {
            method: "get",
            path: paths::INBOX,
            summary: "The caller's desk's pending packets, oldest first.",
            bearer: true,
            request: None,
            ok_status: 200,
            response: Json(schema::<Inbox>),
            refusals: refusals::INBOX,
        },
        Route {
            method: "get",
            path: paths::PACKET,
            summary: "A packet's ciphertext (addressed desk or sending desk only).",
            bearer: true,
            request: None,
            ok_status: 200,
            response: Age,
            refusals: refusals::PACKET,
        },
        Route {
            method: "post",
            path: paths::PACKET_ACK,
            summary: "Acknowledge a packet (addressed desk only).",
            bearer: true,
            request: None,
            ok_status: 200,
            response: Json(schema::<AckResponse>),
            refusals: refusals::PACKET,
        },
        Route {
            method: "get",
            path: paths::THREAD,
            summary: "A thread's coarse status and history (its two desks only).",
            bearer: true,
            request: None,
            ok_status: 200,
            response: Json(schema::<ThreadView>),
            refusals: refusals::THREAD,
        },
        Route {
            method: "get",
            path: paths::THREADS,
            summary: "The caller's desk's threads changed after the opaque cursor `changed_since` (absent: from the start), each as GET /v1/threads/{id} gives it, oldest change first, at most `limit` (1-100, default 100); `next_cursor` continues, `more` says whether to (ADR 0014). A cursor this broker did not issue is 400 bad_cursor.",
            bearer: true,
            request: None,
            ok_status: 200,
            response: Json(schema::<ThreadChanges>),
            refusals: refusals::THREAD_CHANGES,
        },
        Route {
            method: "post",
            path: paths::PACKET_REWRAP,
            summary: "Replace a pending packet's age header (recipient desk only). The body is the whole new age file: same size, and byte-identical after the header. referral-replaces names the SHA-256 of the ciphertext it replaces.",
            bearer: true,
            request: Age,
            ok_status: 200,
            response: Json(schema::<PacketReceipt>),
            refusals: refusals::REWRAP,
        },
        Route {
            method: "get",
            path: paths::DIRECTORY,
            summary: "The signed directory log from seq `since` on, for an active device's bearer token (any role) or a live invite code in the referral-invite header (a device not enrolled yet; counted against the unauthenticated limit). Anything else is 401 directory_private, but before the broker is claimed anyone gets the empty log. Clients verify every entry from the pinned root.",
            // Its three ways in are written out in `document`.
            bearer: false,
            request: None,
            ok_status: 200,
            response: Json(schema::<DirectoryPage>),
            refusals: refusals::DIRECTORY,
        },
        Route {
            method: "post",
            path: paths::DIRECTORY,
            summary: "Append one entry signed by an administrator. Enrollments and rotations name the request they approve and must match it exactly.",
            bearer: true,
            request: Json(schema::<AppendEntryRequest>),
            ok_status: 201,
            response: Json(schema::<AppendEntryResponse>),
            refusals: refusals::APPEND_ENTRY,
        },
        Route {
            method: "get",
            path: paths::LIMITS,
            summary: "The upload limits in force, the same for every caller (no token), so that a client refuses an oversize packet before sealing it.",
            bearer: false,
            request: None,
            ok_status: 200,
            response: Json(schema::<BrokerLimits>),
            refusals: refusals::LIMITS,
        },
        Route {
            method: "post",
            path: paths::INVITE_LOOKUP,
            summary: "Which desk and role an invite code is for, so the device can sign its proof of possession over them. Does not use the code up.",
            bearer: false,
            request: Json(schema::<InviteLookupRequest>),
            ok_status: 200,
            response: Json(schema::<InviteLookup>),
            refusals: refusals::INVITE_LOOKUP,
        },
        Route {
            method: "post",
            path: paths::ENROLLMENTS,
            summary: "A new device asks to join with a one-time invite code, its public keys and its proof of possession.",
            bearer: false,
            request: Json(schema::<EnrollmentRequest>),
            ok_status: 201,
            response: Json(schema::<RequestReceipt>),
            refusals: refusals::ENROLL,
        },
        Route {
            method: "post",
            path: paths::ROTATIONS,
            summary: "An enrolled device asks to replace its keys, signed by its current and its new key. A newer request replaces an older one.",
            bearer: true,
            request: Json(schema::<RotationRequest>),
            ok_status: 201,
            response: Json(schema::<RequestReceipt>),
            refusals: refusals::ROTATE,
        },
        Route {
            method: "post",
            path: paths::ADMIN_BOOTSTRAP,
            summary: "Claim a fresh broker with the one-time bootstrap code and the genesis entry signed by the first administrator's key (the root).",
            bearer: false,
            request: Json(schema::<BootstrapRequest>),
            ok_status: 201,
            response: Json(schema::<BootstrapResponse>),
            refusals: refusals::BOOTSTRAP,
        },
        Route {
            method: "post",
            path: paths::ADMIN_INVITES,
            summary: "Make a one-time invite code for a desk and role (administrators). Shown once; the broker keeps its hash.",
            bearer: true,
            request: Json(schema::<InviteRequest>),
            ok_status: 201,
            response: Json(schema::<InviteResponse>),
            refusals: refusals::CREATE_INVITE,
        },
        Route {
            method: "get",
            path: paths::ADMIN_REQUESTS,
            summary: "Pending enrollment and rotation requests, oldest first (administrators).",
            bearer: true,
            request: None,
            ok_status: 200,
            response: Json(schema::<PendingRequests>),
            refusals: refusals::ADMIN_ONLY,
        },
        Route {
            method: "get",
            path: paths::ADMIN_REQUEST,
            summary: "One pending request (administrators).",
            bearer: true,
            request: None,
            ok_status: 200,
            response: Json(schema::<PendingRequest>),
            refusals: refusals::PENDING_REQUEST,
        },
        Route {
            method: "post",
            path: paths::ADMIN_TOKEN_KEYS,
            summary: "Stage a new token-signing key (administrators). A TokenKeyRotated entry naming it makes it current; tokens of the old key stay valid until they expire.",
            bearer: true,
            request: None,
            ok_status: 201,
            response: Json(schema::<StagedTokenKey>),
            refusals: refusals::ADMIN_ONLY,
        },
        Route {
            method: "get",
            path: paths::ADMIN_STATS,
            summary: "Aggregate counts (administrators): threads by recipient desk, status and ISO week; packets by delivery state. No identities.",
            bearer: true,
            request: None,
            ok_status: 200,
            response: Json(schema::<Stats>),
            refusals: refusals::ADMIN_ONLY,
        },
        Route {
            method: "get",
            path: paths::HEALTHZ,
            summary: "The process answers.",
            bearer: false,
            request: None,
            ok_status: 200,
            response: Json(schema::<Health>),
            refusals: refusals::NONE,
        },
        Route {
            method: "get",
            path: paths::READYZ,
            summary: "The process and its database answer.",
            bearer: false,
            request: None,
            ok_status: 200,
            response: Json(schema::<Health>),
            refusals: refusals::READY,
        },
        Route {
            method: "get",
            path: paths::METRICS,
            summary: "Prometheus metrics: counts only, no identities.",
            bearer: false,
            request: None,
            ok_status: 200,
            response: Text,
            refusals: refusals::NONE,
        },
    ]
}

fn content(body: &Body, g: &mut SchemaGenerator) -> Option<Value> {
    match body {
        Body::None => None,
        Body::Json(f) => Some(json!({"application/json": {"schema": f(g)}})),
        Body::Age => Some(
            json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary", "description": "A binary age v1 file (docs/protocol.md)."}}}),
        ),
        Body::Text => Some(json!({"text/plain": {"schema": {"type": "string"}}})),
    }
}

fn packet_headers() -> Value {
    let h = |name: &str, required: bool, description: &str| json!({"name": name, "in": "header", "required": required, "schema": {"type": "string"}, "description": description});
    json!([
        h(
            "referral-packet-id",
            true,
            "The packet's random id (UUIDv4), made by the sender: the idempotency key."
        ),
        h("referral-thread-id", true, "The thread's id (UUIDv4)."),
        h("referral-recipient-desk", true, "The addressed desk."),
        h("referral-kind", true, "referral, reply or forward."),
        h(
            "referral-thread-status",
            false,
            "Replies only: the thread's new coarse status."
        ),
        h(
            "referral-forwards",
            false,
            "Forwards only: the thread being forwarded."
        ),
    ])
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut g = SchemaSettings::openapi3().into_generator();
    let mut paths = Map::new();
    for r in routes() {
        let mut op = Map::new();
        op.insert("summary".into(), json!(r.summary));
        let mut params: Vec<Value> = Vec::new();
        if r.path.contains("{id}") {
            params.push(
                json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}),
            );
        }
        if r.path == paths::PACKETS {
            params.extend(packet_headers().as_array().cloned().unwrap_or_default());
        }
        if r.path == paths::PACKET_REWRAP {
            params.push(json!({"name": "referral-replaces", "in": "header", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "description": "SHA-256 (lowercase hex) of the stored ciphertext this one replaces: a compare-and-swap."}));
        }
        if r.path == paths::DIRECTORY && r.method == "get" {
            params.push(json!({"name": "since", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "default": 0}, "description": "The first seq wanted: the seq of the head the client holds, so the answer starts with that entry."}));
        }
        if r.path == paths::THREADS {
            params.push(json!({"name": "changed_since", "in": "query", "required": false, "schema": {"type": "string"}, "description": "A next_cursor from an earlier answer, handed back as it was (opaque). Absent: from the start."}));
            params.push(json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 100}, "description": "At most this many threads."}));
        }
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if r.bearer {
            op.insert("security".into(), json!([{"bearer": []}]));
        }
        if r.path == paths::DIRECTORY && r.method == "get" {
            // A token, or an invite code, or (before the claim only) nothing.
            op.insert(
                "security".into(),
                json!([{"bearer": []}, {"invite": []}, {}]),
            );
        }
        if let Some(c) = content(&r.request, &mut g) {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": c}),
            );
        }
        let mut responses = Map::new();
        let mut ok = json!({"description": "Success."});
        if let Some(c) = content(&r.response, &mut g) {
            ok["content"] = c;
        }
        responses.insert(r.ok_status.to_string(), ok);
        let error_schema = schema::<ErrorBody>(&mut g);
        for (status, codes) in refusals::by_status(r.refusals) {
            let words: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
            responses.insert(
                status.as_u16().to_string(),
                json!({
                    "description": format!(
                        "An error: {{\"error\": CODE, \"message\": TEXT}}. CODE is one of: {}.",
                        words.join(", ")
                    ),
                    "content": {"application/json": {"schema": error_schema}}
                }),
            );
        }
        op.insert("responses".into(), Value::Object(responses));
        let entry = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
        entry[r.method] = Value::Object(op);
    }
    let schemas: Map<String, Value> = g.take_definitions(true).into_iter().collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Referral broker API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Store-and-forward of end-to-end encrypted referral packets. The broker holds ciphertext and desk-level routing metadata only (SPEC §2)."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA)"},
                "invite": {"type": "apiKey", "in": "header", "name": paths::INVITE_HEADER, "description": "A live invite code: reads the directory before the device is enrolled (GET /v1/directory only)."}
            }
        }
    })
}
