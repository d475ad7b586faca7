//! Direct conversations: `/api/v1/conversations`.
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::api::auth::AuthUser;
use crate::api::body::{from_fields, query_map, query_pairs};
use crate::api::model::conversation::{Conversation, conversation};
use crate::api::pagination::{PageParams, link_header};
use crate::api::path_id;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::conversations as svc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations", get(index))
        .route("/api/v1/conversations/{id}", delete(destroy))
        .route("/api/v1/conversations/{id}/read", post(read))
}

async fn index(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Conversation>>)> {
    me.require("read:statuses")?;
    let p: PageParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let list = svc::list(&state, me.id(), p.page(20, 40)?).await?;
    // Paged by the id of each conversation's last post, as Mastodon does.
    let headers = link_header(
        &state.base_url,
        "/api/v1/conversations",
        &query_pairs(q.as_deref()),
        list.first().map(|c| c.last_status.status.id),
        list.last().map(|c| c.last_status.status.id),
    );
    let ctx = state.ctx();
    Ok((headers, Json(list.iter().map(|c| conversation(&ctx, c)).collect())))
}

async fn destroy(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Value>> {
    me.require("write:conversations")?;
    svc::hide(&state, me.id(), path_id(&id)?).await?;
    Ok(Json(json!({})))
}

async fn read(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Conversation>> {
    me.require("write:conversations")?;
    let c = svc::mark_read(&state, me.id(), path_id(&id)?).await?;
    Ok(Json(conversation(&state.ctx(), &c)))
}
