//! The JSON API: Mastodon's client API and khub's own under `/api/khub/v1`.
pub mod auth;
pub mod body;
pub mod khub;
pub mod mastodon;
pub mod model;
pub mod oauth;
pub mod pagination;
pub mod rate_limit;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;
use crate::error::{AppError, AppResult};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(mastodon::routes())
        .merge(khub::routes())
        .merge(oauth::routes())
        .route("/api/{*rest}", axum::routing::any(api_not_found))
}

async fn healthz(State(state): State<AppState>) -> Response {
    match crate::db::ping(&state.db.conn).await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

async fn api_not_found() -> AppError {
    AppError::not_found_msg("Not found")
}

/// An id from the path; anything that is not an id cannot exist.
pub fn path_id(s: &str) -> AppResult<i64> {
    crate::ids::parse_id(s).ok_or_else(AppError::not_found)
}
