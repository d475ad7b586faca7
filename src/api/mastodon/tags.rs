//! Hashtags: `/api/v1/tags/:name` (follow, unfollow), followed hashtags, featured hashtags.
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::{AuthUser, MaybeAuth};
use crate::api::body::{ApiBody, from_fields, query_map, query_pairs};
use crate::api::model::tag::{FeaturedTag, Tag, featured_tag, tag};
use crate::api::pagination::{PageParams, link_header};
use crate::api::path_id;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::tags as svc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tags/{name}", get(show))
        .route("/api/v1/tags/{name}/follow", post(follow))
        .route("/api/v1/tags/{name}/unfollow", post(unfollow))
        .route("/api/v1/followed_tags", get(followed))
        .route("/api/v1/featured_tags", get(featured).post(feature))
        .route("/api/v1/featured_tags/suggestions", get(suggestions))
        .route("/api/v1/featured_tags/{id}", delete(unfeature))
        .route("/api/v1/accounts/{id}/featured_tags", get(featured_of_account))
}

async fn show(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Path(name): Path<String>,
) -> AppResult<Json<Tag>> {
    let v = svc::show(&state, viewer.map(|v| v.id()), &name).await?;
    Ok(Json(tag(&state.ctx(), &v)))
}

async fn follow(State(state): State<AppState>, me: AuthUser, Path(name): Path<String>) -> AppResult<Json<Tag>> {
    me.require("write:follows")?;
    Ok(Json(tag(&state.ctx(), &svc::follow(&state, me.id(), &name, true).await?)))
}

async fn unfollow(State(state): State<AppState>, me: AuthUser, Path(name): Path<String>) -> AppResult<Json<Tag>> {
    me.require("write:follows")?;
    Ok(Json(tag(&state.ctx(), &svc::follow(&state, me.id(), &name, false).await?)))
}

async fn followed(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Tag>>)> {
    me.require("read:follows")?;
    let p: PageParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let (list, first, last) = svc::followed(&state, me.id(), p.page(100, 200)?).await?;
    let headers = link_header(&state.base_url, "/api/v1/followed_tags", &query_pairs(q.as_deref()), first, last);
    let ctx = state.ctx();
    Ok((headers, Json(list.iter().map(|t| tag(&ctx, t)).collect())))
}

async fn featured(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<Vec<FeaturedTag>>> {
    me.require("read:accounts")?;
    let ctx = state.ctx();
    Ok(Json(svc::featured_of(&state, me.id()).await?.iter().map(|f| featured_tag(&ctx, f)).collect()))
}

#[derive(Debug, Deserialize)]
struct FeatureParams {
    name: Option<String>,
}

async fn feature(
    State(state): State<AppState>,
    me: AuthUser,
    ApiBody(p): ApiBody<FeatureParams>,
) -> AppResult<Json<FeaturedTag>> {
    me.require("write:accounts")?;
    let name = p.name.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(AppError::unprocessable("Validation failed: Name can't be blank"));
    }
    Ok(Json(featured_tag(&state.ctx(), &svc::feature(&state, me.id(), &name).await?)))
}

async fn unfeature(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Value>> {
    me.require("write:accounts")?;
    svc::unfeature(&state, me.id(), path_id(&id)?).await?;
    Ok(Json(json!({})))
}

async fn suggestions(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<Vec<Tag>>> {
    me.require("read:accounts")?;
    let ctx = state.ctx();
    Ok(Json(svc::suggestions(&state, me.id()).await?.iter().map(|t| tag(&ctx, t)).collect()))
}

async fn featured_of_account(
    State(state): State<AppState>,
    _viewer: MaybeAuth,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<FeaturedTag>>> {
    let ctx = state.ctx();
    let list = svc::featured_of(&state, path_id(&id)?).await?;
    Ok(Json(list.iter().map(|f| featured_tag(&ctx, f)).collect()))
}
