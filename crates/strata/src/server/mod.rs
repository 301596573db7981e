//! The HTTP server, built as a value ([`app`]) so tests drive it in-process. JSON API under
//! `/api/v1`, health at `/health`. Errors are `{code, message, details}` with stable codes.

mod access_rules;
mod audit;
pub(crate) mod auth;
mod bulk;
mod customer_query;
mod customers;
mod directory;
mod duplicates;
mod error;
mod events;
mod fits;
mod masking;
mod merges;
mod openapi;
mod rejection_words;
mod tiers;
mod transfer;

use std::sync::Arc;

use axum::{extract::State, routing::get, Json, Router};
use serde_json::json;
use strata_store::Store;

use crate::{cli::language::Lang, config::Config, live::LiveEngine};
pub use auth::{Caller, CSRF_HEADER, SESSION_COOKIE};
pub use customers::ListQuery as CustomerListQuery;
pub use error::ApiError;
pub use openapi::{document as openapi_document, OPERATIONS};
pub(crate) use tiers::{model_summaries, tiers_of};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    /// The tier engine, kept current with the store.
    pub live: Arc<LiveEngine>,
    /// The dashboard's figures per scope and role.
    pub figures: Arc<crate::web::FigureCache>,
    /// The access rules requests are checked against.
    pub policy: Arc<access_rules::PolicyCache>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> AppState {
        let live = LiveEngine::new(store.clone(), config.today, config.timezone);
        AppState { store, config: Arc::new(config), live, figures: Arc::default(), policy: Arc::default() }
    }

    /// After a write: the engine applies it (and writes the tier changes) before the response,
    /// waiting at most a few seconds (a large import reloads in the background instead). The
    /// sync runs as its own task, so a response that stops waiting never interrupts it.
    pub async fn written(&self) {
        let live = self.live.clone();
        let task = tokio::spawn(async move { live.sync().await });
        match tokio::time::timeout(std::time::Duration::from_secs(3), task).await {
            Ok(Ok(Err(e))) => tracing::error!(error = %format!("{e:#}"), "re-evaluating after a write failed; the follower retries"),
            Ok(Err(e)) => tracing::error!(error = %e, "re-evaluating after a write panicked"),
            Ok(Ok(Ok(_))) | Err(_) => {}
        }
    }
}

/// The whole application as a router. The engine loads on the first request that needs it.
pub fn app(store: Store, config: Config) -> Router {
    router(AppState::new(store, config))
}

/// The application over a prepared state (`serve` starts the engine's follower first).
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::web::routes())
        .route("/health", get(health))
        .nest("/api/v1", api(&state))
        .fallback(unknown_route)
        .method_not_allowed_fallback(unknown_method)
        .with_state(state)
}

/// A path no route serves: names it and where the API lives.
async fn unknown_route(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("no route serves {method} {}; the API is under /api/v1/ and described at /api/v1/openapi.json", uri.path()),
    )
    .with_zh(format!("没有 {method} {} 这个地址；API 在 /api/v1/ 之下，说明见 /api/v1/openapi.json", uri.path()))
}

/// A route that exists, called with a method it does not take (the `Allow` header lists those
/// it does).
async fn unknown_method(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} does not take {method}; the Allow header lists the methods it takes", uri.path()),
    )
    .with_zh(format!("{} 不接受 {method} 请求；Allow 头列出了它接受的方式", uri.path()))
}

/// Every API route needs a caller, except logging in and the first-run setup.
fn api(state: &AppState) -> Router<AppState> {
    let protected = auth::routes()
        .merge(audit::routes())
        .merge(access_rules::routes())
        .merge(customers::routes())
        .merge(bulk::routes())
        .merge(directory::routes())
        .merge(transfer::routes())
        .merge(tiers::routes())
        .merge(events::routes())
        .merge(fits::routes())
        .merge(duplicates::routes())
        .merge(merges::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate));
    auth::public_routes().route("/openapi.json", get(openapi::serve)).merge(protected)
}

async fn health(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    s.store.ping().await?;
    let backend = match s.store.kind() {
        strata_store::BackendKind::Sqlite => "sqlite",
        strata_store::BackendKind::Postgres => "postgres",
    };
    Ok(Json(
        json!({"status": "ok", "backend": backend, "schema_version": strata_store::schema_version(), "version": env!("CARGO_PKG_VERSION"),
               "engine": s.live.status(), "memory": crate::memory::Resident::now()}),
    ))
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn serve(store: Store, config: Config, bind: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
        crate::cli::language::Said::error(
            format!("cannot listen on {bind}: {e}; choose another address with --bind"),
            format!("无法在 {bind} 上监听：{e}；请用 --bind 换一个地址"),
        )
    })?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %config.database_display(), "strata is serving");
    match config.language {
        Lang::Zh => eprintln!("Strata 已启动：http://{addr}/ （健康检查：http://{addr}/health，API：http://{addr}/api/v1/customers）"),
        Lang::En => eprintln!("Strata is running at http://{addr}/  (health: http://{addr}/health, API: http://{addr}/api/v1/customers)"),
    }
    if !store.has_admin_login().await? {
        match config.language {
            Lang::Zh => eprintln!(
                "首次运行：还没有能登录的管理员。打开 http://{addr}/login 设置管理员，或运行 `strata user add admin --role admin --password-stdin` \
                 （或向 http://{addr}/api/v1/auth/setup POST {{\"login\", \"password\"}}）。"
            ),
            Lang::En => eprintln!(
                "First run: no admin can log in yet. Open http://{addr}/login to choose the admin, or run `strata user add admin --role admin --password-stdin` \
                 (or POST {{\"login\", \"password\"}} to http://{addr}/api/v1/auth/setup)."
            ),
        }
    }
    let store2 = store.clone();
    let every = config.follow_every;
    let state = AppState::new(store, config);
    let follower = tokio::spawn(state.live.clone().run(every));
    let trimmer = crate::memory::spawn_trimmer(std::time::Duration::from_secs(5));
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await?;
    follower.abort();
    trimmer.abort();
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
