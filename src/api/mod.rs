//! The JSON API: Mastodon's client API and khub's own under `/api/khub/v1`.
use axum::Router;
use axum::routing::get;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    match crate::db::ping(&state.db.conn).await {
        Ok(()) => (axum::http::StatusCode::OK, "ok").into_response(),
        Err(_) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}
