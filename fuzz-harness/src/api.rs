//! The `api_json` target: every JSON body of the broker's API, parsed the
//! way its receiver parses it.
//!
//! The first byte of the input picks a route from [`ROUTES`] (`A` is the
//! first, `B` the second, …, any other byte wraps around); the rest is the
//! body.
//!
//! - Request bodies go through the broker's own extractor,
//!   `referral_broker::error::ApiJson` (axum's `Json` with the broker's
//!   rejection mapping), on a real `http::Request`, exactly as a handler
//!   receives them.
//! - Response bodies go through `serde_json::from_slice`, which is what the
//!   client does with every answer (`client-cli/src/api_client.rs`).
//!
//! What must hold:
//! - an accepted request body is valid JSON whose every field is known
//!   (the request types deny unknown fields) and comes out of parsing
//!   unchanged: the ids and keys have one spelling each, so nothing is
//!   normalised behind the sender's back (fingerprints, which people type,
//!   are the one documented exception, and only in responses);
//! - a refused request body is a 400 `malformed_json` or a 422
//!   `invalid_json`, never another status, and a 422 whenever the body is
//!   valid JSON; a request body is a JSON object, never the array of
//!   fields serde's derived structs would also take; otherwise the client's
//!   parser (`serde_json`) agrees with the broker's on every request body;
//! - an accepted body of either kind re-serialises to a body that parses
//!   again to the same value (a fixed point), so what the broker answers,
//!   the client can read.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{Request, StatusCode, header};
use referral_broker::error::{ApiError, ApiJson};
use referral_protocol::Fingerprint;
use referral_protocol::api::{
    AckResponse, AppendEntryRequest, AppendEntryResponse, BootstrapRequest, BootstrapResponse,
    ChallengeRequest, ChallengeResponse, DeviceView, DirectoryPage, EnrollmentRequest, ErrorBody,
    Inbox, InviteLookup, InviteLookupRequest, InviteRequest, InviteResponse, PacketReceipt,
    PendingRequest, PendingRequests, RequestReceipt, RotationRequest, StagedTokenKey, Stats,
    ThreadView, TokenRequest, TokenResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A body parser under test.
pub type Route = (&'static str, fn(&[u8]));

/// Every JSON body of the API: first the eight request bodies the broker
/// parses, then the responses the client parses. The order is the input's
/// selector, so only ever append.
pub const ROUTES: &[Route] = &[
    ("POST /v1/auth/challenge", request::<ChallengeRequest>),
    ("POST /v1/auth/token", request::<TokenRequest>),
    ("POST /v1/admin/bootstrap", request::<BootstrapRequest>),
    ("POST /v1/directory", request::<AppendEntryRequest>),
    ("POST /v1/admin/invites", request::<InviteRequest>),
    ("POST /v1/invites/lookup", request::<InviteLookupRequest>),
    ("POST /v1/enrollments", request::<EnrollmentRequest>),
    ("POST /v1/rotations", request::<RotationRequest>),
    ("answer ChallengeResponse", response::<ChallengeResponse>),
    ("answer TokenResponse", response::<TokenResponse>),
    ("answer PacketReceipt", response::<PacketReceipt>),
    ("answer Inbox", response::<Inbox>),
    ("answer AckResponse", response::<AckResponse>),
    ("answer ThreadView", response::<ThreadView>),
    ("answer DeviceView", response::<DeviceView>),
    ("answer ErrorBody", response::<ErrorBody>),
    ("answer BootstrapResponse", response::<BootstrapResponse>),
    ("answer DirectoryPage", response::<DirectoryPage>),
    (
        "answer AppendEntryResponse",
        response::<AppendEntryResponse>,
    ),
    ("answer InviteResponse", response::<InviteResponse>),
    ("answer InviteLookup", response::<InviteLookup>),
    ("answer RequestReceipt", response::<RequestReceipt>),
    ("answer PendingRequest", response::<PendingRequest>),
    ("answer PendingRequests", response::<PendingRequests>),
    ("answer StagedTokenKey", response::<StagedTokenKey>),
    ("answer Stats", response::<Stats>),
];

/// The first input byte that selects `ROUTES[index]`.
pub fn selector(index: usize) -> u8 {
    assert!(index < ROUTES.len());
    b'A' + u8::try_from(index).expect("fewer than 256 routes")
}

/// The `api_json` target's body.
pub fn api_json(data: &[u8]) {
    let Some((first, body)) = data.split_first() else {
        return;
    };
    let index = usize::from(first.wrapping_sub(b'A')) % ROUTES.len();
    (ROUTES[index].1)(body);
}

/// Runs the broker's extractor on a POST with this body.
fn extract<T: DeserializeOwned + Send + 'static>(body: &[u8]) -> Result<T, ApiError> {
    let request = Request::builder()
        .method("POST")
        .uri("/")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_vec()))
        .expect("a fixed request line and header");
    // The body is already in memory, so the extractor never waits: one poll
    // with a waker that does nothing is enough, and no runtime is needed.
    let future = pin!(<ApiJson<T> as FromRequest<()>>::from_request(request, &()));
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result.map(|ApiJson(value)| value),
        Poll::Pending => panic!("the extractor waited on an in-memory body"),
    }
}

fn request<T: DeserializeOwned + Serialize + Send + 'static>(body: &[u8]) {
    let as_value = serde_json::from_slice::<Value>(body);
    match extract::<T>(body) {
        Ok(parsed) => {
            let input = as_value.expect("the broker accepted a body that is not JSON");
            let output = serde_json::to_value(&parsed).expect("request types serialise");
            agree(&input, &output, Fields::Known, "$");
            assert!(
                serde_json::from_slice::<T>(body).is_ok(),
                "the broker accepts a body serde_json refuses"
            );
            let again = serde_json::to_vec(&parsed).expect("request types serialise");
            let reparsed = extract::<T>(&again).unwrap_or_else(|e| {
                panic!("the broker refuses its own re-serialisation {again:?}: {e:?}")
            });
            assert_eq!(serde_json::to_value(&reparsed).expect("serialises"), output);
        }
        Err(error) => {
            match (error.status(), error.code().as_str()) {
                (StatusCode::BAD_REQUEST, "malformed_json")
                | (StatusCode::UNPROCESSABLE_ENTITY, "invalid_json") => {}
                (status, code) => panic!("body refused with {status} {code}: {error:?}"),
            }
            if as_value.is_ok() {
                assert_eq!(
                    error.code().as_str(),
                    "invalid_json",
                    "valid JSON called malformed"
                );
            }
            // serde_json alone also reads a struct from an array of its
            // fields in order; the broker refuses that shape on purpose
            // (`ApiJson`), and only that one.
            if serde_json::from_slice::<T>(body).is_ok() {
                assert!(
                    matches!(as_value, Ok(Value::Array(_))),
                    "serde_json accepts a body the broker refuses"
                );
            }
        }
    }
}

fn response<T: DeserializeOwned + Serialize>(body: &[u8]) {
    let Ok(parsed) = serde_json::from_slice::<T>(body) else {
        return;
    };
    let output = serde_json::to_value(&parsed).expect("response types serialise");
    // Response types skip unknown fields, and serde_json skips them without
    // building them: a skipped field may be nested deeper than the `Value`
    // parser's recursion limit, or hold a number out of f64's range, so the
    // body need not parse as a `Value`. When it does, it must agree.
    if let Ok(input) = serde_json::from_slice::<Value>(body) {
        agree(&input, &output, Fields::MayBeUnknown, "$");
    }
    let again = serde_json::to_vec(&parsed).expect("response types serialise");
    let reparsed: T = serde_json::from_slice(&again)
        .unwrap_or_else(|e| panic!("a re-serialised answer does not parse: {e}"));
    assert_eq!(serde_json::to_value(&reparsed).expect("serialises"), output);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fields {
    /// Every field in the body must be one the type knows.
    Known,
    /// Unknown fields are ignored.
    MayBeUnknown,
}

/// Whether the parsed value `output` is the body `input` said: every field
/// with the same value, an absent field only where `null` (an absent
/// `Option`) came out.
fn agree(input: &Value, output: &Value, fields: Fields, path: &str) {
    match (input, output) {
        (Value::Object(input), Value::Object(output)) => {
            for (key, out) in output {
                let here = format!("{path}.{key}");
                match input.get(key) {
                    Some(value) => agree(value, out, fields, &here),
                    None => assert!(out.is_null(), "{here} absent, parsed as {out}"),
                }
            }
            if fields == Fields::Known {
                for key in input.keys() {
                    assert!(
                        output.contains_key(key),
                        "unknown field {path}.{key} accepted"
                    );
                }
            }
        }
        (Value::Array(input), Value::Array(output)) => {
            assert_eq!(input.len(), output.len(), "{path} changed length");
            for (i, (value, out)) in input.iter().zip(output).enumerate() {
                agree(value, out, fields, &format!("{path}[{i}]"));
            }
        }
        // The client, like serde_json, also reads a struct from an array of
        // its fields in order. The broker never answers that way, and it
        // refuses request bodies of that shape (`Fields::Known`).
        (Value::Array(_), Value::Object(_)) if fields == Fields::MayBeUnknown => {}
        // Fingerprints are read the way people type them (any case, with
        // separators) and written in one form: the same digest is enough.
        (Value::String(input), Value::String(output)) if path.ends_with("fingerprint") => {
            let typed: Fingerprint = input.parse().expect("it parsed once");
            assert_eq!(typed.hex(), *output, "{path} changed digest");
        }
        _ => assert_eq!(input, output, "{path} changed"),
    }
}
