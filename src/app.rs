//! Composition root: the shared state, the routers merged, the workers spawned.
use std::sync::{Arc, OnceLock};

use activitypub_federation::config::{Data, FederationConfig, FederationMiddleware};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::sync::Notify;

use crate::config::Settings;
use crate::db::Db;
use crate::mail::Mailer;
use crate::media::MediaStore;

/// Shared by every handler and worker; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    /// `https://domain` (or `http://` in loopback test mode).
    pub base_url: Arc<str>,
    pub db: Db,
    pub media: Arc<MediaStore>,
    pub mailer: Arc<Mailer>,
    /// Wakes job workers when a transaction queued work.
    pub jobs_notify: Arc<Notify>,
    /// The federation library's configuration (it holds a clone of this state as its data).
    pub federation: Arc<OnceLock<FederationConfig<AppState>>>,
    /// Live events for this process's streaming connections.
    pub stream: Arc<crate::streaming::StreamHub>,
}

impl AppState {
    /// Opens the database (running migrations) and the data directories.
    pub async fn open(settings: Settings) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.data_dir)?;
        let db = Db::connect(&settings.database_url()).await?;
        db.migrate().await?;
        let media = MediaStore::new(settings.data_dir.join("media"))?;
        let mailer = Mailer::from_settings(&settings)?;
        let state = Self {
            base_url: settings.base_url().into(),
            settings: Arc::new(settings),
            db,
            media: Arc::new(media),
            mailer: Arc::new(mailer),
            jobs_notify: Arc::new(Notify::new()),
            federation: Arc::new(OnceLock::new()),
            stream: Arc::new(crate::streaming::StreamHub::new()),
        };
        let config = crate::federation::build_config(state.clone()).await?;
        let _ = state.federation.set(config);
        Ok(state)
    }

    /// Request data for federation calls made outside a request (jobs, searches).
    pub fn federation_data(&self) -> Option<Data<AppState>> {
        self.federation.get().map(FederationConfig::to_request_data)
    }

    /// What the JSON mappings need to know about the node.
    pub fn ctx(&self) -> crate::api::model::Ctx<'_> {
        crate::api::model::Ctx { base_url: &self.base_url, domain: &self.settings.domain }
    }

    /// Call after committing a transaction that queued jobs.
    pub fn wake_jobs(&self) {
        self.jobs_notify.notify_waiters();
    }
}

/// Every route of the node.
pub fn router(state: AppState) -> Router {
    let limit = state.settings.limits.max_body_bytes;
    let router = Router::new()
        .merge(crate::federation::http::routes())
        .merge(crate::api::routes().layer(axum::middleware::from_fn_with_state(
            crate::api::rate_limit::Limits::new(state.clone()),
            crate::api::rate_limit::enforce,
        )))
        .merge(
            crate::web::routes()
                .layer(axum::middleware::from_fn_with_state(state.clone(), crate::web::session::csrf_cookie)),
        )
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let router = match state.federation.get() {
        Some(config) => router.layer(FederationMiddleware::new(config.clone())),
        None => router,
    };
    router.with_state(state)
}

/// Serves on an already-bound listener until the process ends; starts the job workers.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    crate::jobs::spawn_workers(state.clone()).await;
    crate::streaming::spawn(state.clone());
    let app = router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
