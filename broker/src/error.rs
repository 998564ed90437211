//! One error type for every route: a 4xx carries a stable code and a message
//! meant for the client; a 500 is logged and answered with a fixed text, so
//! internals never leak (axum's `examples/error-handling` is the model).
//! Every rejection axum itself produces (bad JSON, wrong content type, bad
//! path) is turned into the same `{"error","message"}` shape.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong (4xx), or the service is not ready (503);
    /// `code` is stable, `message` is for people.
    #[error("{code}: {message}")]
    Client {
        /// HTTP status (4xx).
        status: StatusCode,
        /// Stable machine-readable code.
        code: &'static str,
        /// Human-readable explanation. Never contains request data that
        /// could identify a person.
        message: String,
    },
    /// Too many requests: 429 with `Retry-After`.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// Something failed on our side. Logged, never echoed.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 4xx error.
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        debug_assert!(
            status.is_client_error(),
            "ApiError::client needs a 4xx status"
        );
        Self::Client {
            status,
            code,
            message: message.into(),
        }
    }

    /// 404 for a route that does not exist.
    pub fn not_found() -> Self {
        Self::client(StatusCode::NOT_FOUND, "not_found", "no such route")
    }

    /// 429.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self::RateLimited { retry_after_secs }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Client { status, .. } => *status,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Client { code, .. } => code,
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal(_) => "internal",
        }
    }
}

/// The JSON body of every error: `{"error": CODE, "message": TEXT}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// Stable machine-readable code.
    pub error: &'a str,
    /// Human-readable explanation.
    pub message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Client {
                status,
                code,
                message,
            } => (
                *status,
                Json(ErrorBody {
                    error: code,
                    message,
                }),
            )
                .into_response(),
            Self::RateLimited { retry_after_secs } => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(ErrorBody {
                        error: "rate_limited",
                        message: "too many requests; retry later",
                    }),
                )
                    .into_response();
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                response
            }
            Self::Internal(err) => {
                // The chain goes to the log; the client gets a fixed text.
                tracing::error!(error = %format!("{err:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(ErrorBody {
                        error: "internal",
                        message: "internal error",
                    }),
                )
                    .into_response()
            }
        }
    }
}

impl From<referral_store::StoreError> for ApiError {
    fn from(e: referral_store::StoreError) -> Self {
        match e {
            referral_store::StoreError::UnknownDesk => Self::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_desk",
                "no such desk",
            ),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let (status, code) = match &r {
            JsonRejection::MissingJsonContentType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
            // Over the limit, or cut short by the client: axum tells which
            // by the status; its text for the second names hyper internals.
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
            }
            JsonRejection::BytesRejection(_) => {
                return Self::client(
                    StatusCode::BAD_REQUEST,
                    "body_error",
                    "the request body could not be read",
                );
            }
            _ => (StatusCode::BAD_REQUEST, "bad_request"),
        };
        // serde's message names the field and the problem. For a malformed id
        // or key it may quote the rejected text back to the client that sent
        // it; 4xx messages are never logged, so it goes nowhere else.
        Self::client(status, code, r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::client(StatusCode::BAD_REQUEST, "bad_path", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::client(StatusCode::BAD_REQUEST, "bad_query", r.body_text())
    }
}

/// `axum::Json`, but rejections are [`ApiError`]s, and the body must be a
/// JSON object, as the API's schema says.
///
/// serde's derived structs also accept an array holding the fields in
/// order (`["…"]` for `{"entry": "…"}`), so `axum::Json` alone lets every
/// request body arrive in a second, undocumented shape. Found by the
/// `api_json` fuzz target (`fuzz/corpus/api_json/regression-array-body`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let Json(ObjectBody(value)) = Json::<ObjectBody<T>>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// A value read through [`ObjectOnly`], so that axum's `Json` (its content
/// type check, body limit, error paths and classification) is unchanged.
struct ObjectBody<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectBody<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(ObjectOnly(d)).map(Self)
    }
}

/// Passes everything through to the wrapped deserializer, except that a
/// struct is read as a map only: a JSON array is then an "invalid type"
/// (422 `invalid_json`), like any other wrong shape. Only the outermost
/// value is affected; fields are read by the wrapped deserializer itself.
struct ObjectOnly<D>(D);

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }

    forward! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }
}

/// `axum::extract::Query`, but rejections are [`ApiError`]s.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path`, but rejections are [`ApiError`]s.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(err: ApiError) -> (StatusCode, serde_json::Value) {
        let response = err.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn client_errors_carry_code_and_message() {
        let (status, body) = body_of(ApiError::client(
            StatusCode::CONFLICT,
            "id_reused",
            "other bytes",
        ))
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            body,
            serde_json::json!({"error": "id_reused", "message": "other bytes"})
        );
    }

    #[tokio::test]
    async fn internal_errors_are_never_echoed() {
        let secret = "database password is hunter2";
        let (status, body) = body_of(ApiError::Internal(anyhow::anyhow!(secret))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            serde_json::json!({"error": "internal", "message": "internal error"})
        );
        assert!(!body.to_string().contains("hunter2"));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        entry: String,
    }

    async fn extract(body: &'static str) -> Result<Entry, ApiError> {
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        ApiJson::<Entry>::from_request(request, &())
            .await
            .map(|ApiJson(e)| e)
    }

    #[tokio::test]
    async fn json_bodies_are_objects_only() {
        assert_eq!(extract(r#"{"entry":"x"}"#).await.unwrap().entry, "x");
        // A derived struct alone would also take its fields by position.
        let err = extract(r#"["x"]"#).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.code(), "invalid_json");
        assert_eq!(
            extract(r#"{"entry":"x","more":1}"#)
                .await
                .unwrap_err()
                .code(),
            "invalid_json"
        );
        assert_eq!(
            extract(r#"{"entry":"x""#).await.unwrap_err().code(),
            "malformed_json"
        );
    }

    #[tokio::test]
    async fn rate_limits_say_when_to_retry() {
        let response = ApiError::too_many_requests(7).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}
