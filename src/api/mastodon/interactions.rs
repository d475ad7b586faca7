//! Around one status: `favourited_by`, `reblogged_by` (paged by the favourite's or the boost's
//! id) and muting its conversation (`mute`, `unmute`).
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::api::auth::{AuthUser, MaybeAuth};
use crate::api::body::{from_fields, query_map, query_pairs};
use crate::api::model::account::{Account, account};
use crate::api::model::status::{Status, status};
use crate::api::pagination::{PageParams, link_header};
use crate::api::path_id;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::reactions::{self, Paged};
use crate::service::views;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/statuses/{id}/favourited_by", get(favourited_by))
        .route("/api/v1/statuses/{id}/reblogged_by", get(reblogged_by))
        .route("/api/v1/statuses/{id}/mute", post(mute))
        .route("/api/v1/statuses/{id}/unmute", post(unmute))
}

fn answer(state: &AppState, path: &str, q: &Option<String>, p: Paged) -> (HeaderMap, Json<Vec<Account>>) {
    let headers = link_header(&state.base_url, path, &query_pairs(q.as_deref()), p.first, p.last);
    let ctx = state.ctx();
    (headers, Json(p.accounts.iter().map(|a| account(&ctx, a)).collect()))
}

async fn favourited_by(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Account>>)> {
    let id = path_id(&id)?;
    let p: PageParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let paged = reactions::favourited_by(&state, viewer.map(|v| v.id()), id, p.page(40, 80)?).await?;
    Ok(answer(&state, &format!("/api/v1/statuses/{id}/favourited_by"), &q, paged))
}

async fn reblogged_by(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Account>>)> {
    let id = path_id(&id)?;
    let p: PageParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let paged = reactions::reblogged_by(&state, viewer.map(|v| v.id()), id, p.page(40, 80)?).await?;
    Ok(answer(&state, &format!("/api/v1/statuses/{id}/reblogged_by"), &q, paged))
}

async fn set_mute(state: &AppState, me: &AuthUser, id: &str, mute: bool) -> AppResult<Json<Status>> {
    me.require("write:mutes")?;
    let id = path_id(id)?;
    reactions::mute_conversation(state, &me.account, id, mute).await?;
    let s = crate::service::statuses::readable(state, Some(me.id()), id).await?;
    let v = views::statuses(&state.db.conn, Some(me.id()), vec![s]).await?.pop().ok_or_else(AppError::not_found)?;
    Ok(Json(status(&state.ctx(), &v, false)))
}

async fn mute(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    set_mute(&state, &me, &id, true).await
}

async fn unmute(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    set_mute(&state, &me, &id, false).await
}
