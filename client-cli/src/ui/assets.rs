//! The app's own static files, compiled into the binary: nothing is loaded
//! from anywhere else (ADR 0017 §5, §7).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

/// The style sheet.
const APP_CSS: &str = include_str!("assets/app.css");
/// The one script: polling, the tab title, and the IME guard. Pages work
/// without it.
const APP_JS: &str = include_str!("assets/app.js");

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "app.css" => ([(CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response(),
        "app.js" => ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
