//! The HTTP application: routes, and the server loop with graceful shutdown.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use serde::Serialize;
use tokio::net::TcpListener;

use crate::error::ApiError;

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
}

async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// The router. Unknown routes answer with the JSON error shape, not axum's
/// plain-text 404.
pub fn router() -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .fallback(|| async { ApiError::not_found() })
}

/// A bound, not yet running, server (zero2prod's `Application`): tests bind
/// to `127.0.0.1:0` and read the port before running it.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
}

impl Application {
    /// Binds the listener.
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(addr).await?,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, router())
            .with_graceful_shutdown(shutdown)
            .await
    }
}
