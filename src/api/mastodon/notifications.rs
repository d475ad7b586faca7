//! Notifications.
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::api::auth::AuthUser;
use crate::api::body::{from_fields, lenient, query_map, query_pairs};
use crate::api::model::notification::{Notification, notification};
use crate::api::pagination::{PageParams, link_header};
use crate::api::path_id;
use crate::app::AppState;
use crate::db::queries::notifications as nq;
use crate::error::{AppError, AppResult};
use crate::service::{timelines, views};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(list))
        .route("/api/v1/notifications/unread_count", get(unread_count))
        .route("/api/v1/notifications/clear", post(clear))
        .route("/api/v1/notifications/{id}", get(show))
        .route("/api/v1/notifications/{id}/dismiss", post(dismiss))
}

const KINDS: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
];

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    exclude_types: Option<Vec<String>>,
    #[serde(flatten)]
    page: PageParams,
}

async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Notification>>)> {
    me.require("read:notifications")?;
    let p: ListParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    for t in p.types.iter().chain(p.exclude_types.iter()).flatten() {
        if !KINDS.contains(&t.as_str()) {
            return Err(AppError::unprocessable(format!("Validation failed: unknown notification type {t}")));
        }
    }
    let page = p.page.page(40, 80)?;
    let (list, first, last) =
        timelines::notifications(&state, me.id(), p.types.as_deref(), p.exclude_types.as_deref(), page).await?;
    let list = crate::service::filters::apply_to_notifications(&state, me.id(), list).await?;
    let ctx = state.ctx();
    let headers = link_header(&state.base_url, "/api/v1/notifications", &query_pairs(q.as_deref()), first, last);
    Ok((headers, Json(list.iter().map(|n| notification(&ctx, n)).collect())))
}

async fn show(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Notification>> {
    me.require("read:notifications")?;
    let n = nq::by_id(&state.db.conn, path_id(&id)?)
        .await?
        .filter(|n| n.account_id == me.id())
        .ok_or_else(AppError::not_found)?;
    let v = views::notifications(&state.db.conn, me.id(), vec![n]).await?.pop().ok_or_else(AppError::not_found)?;
    Ok(Json(notification(&state.ctx(), &v)))
}

async fn unread_count(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<serde_json::Value>> {
    me.require("read:notifications")?;
    let n = nq::unread_count(&state.db.conn, me.id()).await?;
    Ok(Json(serde_json::json!({ "count": n })))
}

async fn clear(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<serde_json::Value>> {
    me.require("write:notifications")?;
    let _w = state.db.write_lock().await;
    nq::clear(&state.db.conn, me.id()).await?;
    Ok(Json(serde_json::json!({})))
}

async fn dismiss(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    me.require("write:notifications")?;
    let id = path_id(&id)?;
    let _w = state.db.write_lock().await;
    if nq::dismiss(&state.db.conn, me.id(), id).await? == 0 {
        return Err(AppError::not_found());
    }
    Ok(Json(serde_json::json!({})))
}
