//! Announcements from the administrators: list, dismiss, and react with unicode emoji.
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use crate::api::auth::AuthUser;
use crate::api::body::{from_fields, lenient, query_map};
use crate::api::model::discovery::{Announcement, announcement};
use crate::api::path_id;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::announcements as svc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/announcements", get(list))
        .route("/api/v1/announcements/{id}/dismiss", post(dismiss))
        .route("/api/v1/announcements/{id}/reactions/{name}", put(react).delete(unreact))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(default, deserialize_with = "lenient::bool")]
    with_dismissed: bool,
}

/// Any member's token may read announcements (Mastodon asks for no particular scope).
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<Announcement>>> {
    let p: ListParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let list = svc::current(&state, me.id(), p.with_dismissed).await?;
    Ok(Json(list.iter().map(announcement).collect()))
}

async fn dismiss(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    me.require("write:accounts")?;
    svc::dismiss(&state, me.id(), path_id(&id)?).await?;
    Ok(Json(serde_json::json!({})))
}

async fn react(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, name)): Path<(String, String)>,
) -> AppResult<Json<serde_json::Value>> {
    me.require("write:favourites")?;
    svc::react(&state, me.id(), path_id(&id)?, &name, true).await?;
    Ok(Json(serde_json::json!({})))
}

async fn unreact(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, name)): Path<(String, String)>,
) -> AppResult<Json<serde_json::Value>> {
    me.require("write:favourites")?;
    svc::react(&state, me.id(), path_id(&id)?, &name, false).await?;
    Ok(Json(serde_json::json!({})))
}
