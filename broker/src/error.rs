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
use serde::Serialize;

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
        // serde's message names the field and the problem, not the value.
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

/// `axum::Json`, but rejections are [`ApiError`]s.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

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

    #[tokio::test]
    async fn rate_limits_say_when_to_retry() {
        let response = ApiError::too_many_requests(7).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}
