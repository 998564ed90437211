//! `/healthz` (the process answers), `/readyz` (and so does the database),
//! `/metrics` (Prometheus, counts only).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;

use crate::error::{ApiError, Refusal};
use crate::state::AppState;

/// Health body.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// The process is up.
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// The process is up and its database answers.
pub async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    state.store().ready().await.map_err(|_| Refusal::NotReady)?;
    Ok(axum::Json(Health { status: "ok" }))
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let counts = state.store().counts().await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().render(&counts),
    ))
}
