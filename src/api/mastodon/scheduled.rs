//! Scheduled posts: `GET /api/v1/scheduled_statuses` (paged by id, with a `Link` header),
//! `GET`/`PUT` (`scheduled_at`)/`DELETE /api/v1/scheduled_statuses/:id`. Only one's own.
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::AuthUser;
use crate::api::body::{ApiBody, from_fields, query_map, query_pairs};
use crate::api::model::poll::{ScheduledStatus, scheduled_status};
use crate::api::pagination::{PageParams, link_header};
use crate::api::path_id;
use crate::app::AppState;
use crate::db::entities::scheduled_statuses;
use crate::db::queries::statuses as sq;
use crate::error::{AppError, AppResult};
use crate::service::scheduled as svc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/scheduled_statuses", get(list))
        .route("/api/v1/scheduled_statuses/{id}", get(show).put(update).delete(cancel))
}

async fn render(state: &AppState, rows: &[scheduled_statuses::Model]) -> AppResult<Vec<ScheduledStatus>> {
    let ids: Vec<i64> = rows.iter().flat_map(|r| svc::params_of(r).media_ids).collect();
    let media = sq::media_by_ids(&state.db.conn, &ids).await?;
    let ctx = state.ctx();
    Ok(rows.iter().map(|r| scheduled_status(&ctx, r, &media)).collect())
}

async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<ScheduledStatus>>)> {
    me.require("read:statuses")?;
    let params: PageParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let rows = svc::list(&state, me.id(), params.page(20, 40)?).await?;
    let headers = link_header(
        &state.base_url,
        "/api/v1/scheduled_statuses",
        &query_pairs(q.as_deref()),
        rows.first().map(|r| r.id),
        rows.last().map(|r| r.id),
    );
    Ok((headers, Json(render(&state, &rows).await?)))
}

async fn one(state: &AppState, row: scheduled_statuses::Model) -> AppResult<Json<ScheduledStatus>> {
    render(state, &[row]).await?.pop().map(Json).ok_or_else(AppError::not_found)
}

async fn show(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<ScheduledStatus>> {
    me.require("read:statuses")?;
    let row = svc::get(&state, me.id(), path_id(&id)?).await?;
    one(&state, row).await
}

#[derive(Debug, Deserialize)]
struct UpdateParams {
    #[serde(default)]
    scheduled_at: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiBody(p): ApiBody<UpdateParams>,
) -> AppResult<Json<ScheduledStatus>> {
    me.require("write:statuses")?;
    let id = path_id(&id)?;
    let at = super::statuses::parse_time(p.scheduled_at.as_deref())?
        .ok_or_else(|| AppError::unprocessable("Validation failed: scheduled_at is required"))?;
    let row = svc::reschedule(&state, me.id(), id, at).await?;
    one(&state, row).await
}

async fn cancel(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Value>> {
    me.require("write:statuses")?;
    svc::cancel(&state, me.id(), path_id(&id)?).await?;
    Ok(Json(json!({})))
}
