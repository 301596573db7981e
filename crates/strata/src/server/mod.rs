//! The HTTP server, built as a value ([`app`]) so tests drive it in-process. JSON API under
//! `/api/v1`, health at `/health`. Errors are `{code, message, details}` with stable codes.

mod customers;
mod directory;
mod error;
mod transfer;

use std::sync::Arc;

use axum::{extract::State, routing::get, Json, Router};
use serde_json::json;
use strata_store::Store;

use crate::config::Config;
pub use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
}

/// The whole application as a router.
pub fn app(store: Store, config: Config) -> Router {
    let state = AppState { store, config: Arc::new(config) };
    Router::new()
        .route("/health", get(health))
        .nest("/api/v1", api())
        .fallback(|| async { ApiError::not_found("route", "this path") })
        .with_state(state)
}

fn api() -> Router<AppState> {
    customers::routes().merge(directory::routes()).merge(transfer::routes())
}

async fn health(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    s.store.ping().await?;
    let backend = match s.store.kind() {
        strata_store::BackendKind::Sqlite => "sqlite",
        strata_store::BackendKind::Postgres => "postgres",
    };
    Ok(Json(
        json!({"status": "ok", "backend": backend, "schema_version": strata_store::schema_version(), "version": env!("CARGO_PKG_VERSION")}),
    ))
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn serve(store: Store, config: Config, bind: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %config.database_display(), "strata is serving");
    eprintln!("Strata is running at http://{addr}/  (health: http://{addr}/health, API: http://{addr}/api/v1/customers)");
    let store2 = store.clone();
    axum::serve(listener, app(store, config)).with_graceful_shutdown(shutdown()).await?;
    store2.close().await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
