//! One error type for every route: a 4xx carries a stable code and a message
//! meant for the client; a 500 is logged and answered with a fixed text, so
//! internals never leak (axum's `examples/error-handling` is the model).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong; `code` is stable, `message` is for people.
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

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Client { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
}
