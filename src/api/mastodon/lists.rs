//! Lists: `/api/v1/lists`, their members, the lists an account is in, and list timelines.
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::AuthUser;
use crate::api::body::{ApiForm, from_fields, lenient, query_map, query_pairs};
use crate::api::model::account::{Account, account};
use crate::api::model::list::{List, list};
use crate::api::model::status::{Status, status};
use crate::api::pagination::{PageParams, link_header};
use crate::api::path_id;
use crate::app::AppState;
use crate::db::queries::lists as lq;
use crate::error::{AppError, AppResult};
use crate::service::filters::{self, FilterContext};
use crate::service::lists::{self as svc, ListChange};
use crate::service::timelines;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/lists", get(index).post(create))
        .route("/api/v1/lists/{id}", get(show).put(update).delete(destroy))
        .route("/api/v1/lists/{id}/accounts", get(members).post(add_members).delete(remove_members))
        .route("/api/v1/accounts/{id}/lists", get(lists_with_account))
        .route("/api/v1/timelines/list/{id}", get(timeline))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    title: Option<String>,
    replies_policy: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    exclusive: Option<bool>,
}

impl From<ListParams> for ListChange {
    fn from(p: ListParams) -> Self {
        ListChange { title: p.title, replies_policy: p.replies_policy, exclusive: p.exclusive }
    }
}

async fn index(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<Vec<List>>> {
    me.require("read:lists")?;
    Ok(Json(lq::lists_of(&state.db.conn, me.id()).await?.iter().map(list).collect()))
}

async fn create(State(state): State<AppState>, me: AuthUser, form: ApiForm) -> AppResult<Json<List>> {
    me.require("write:lists")?;
    let p: ListParams = from_fields(form.fields)?;
    Ok(Json(list(&svc::create(&state, me.id(), p.into()).await?)))
}

async fn show(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<List>> {
    me.require("read:lists")?;
    Ok(Json(list(&svc::own(&state, me.id(), path_id(&id)?).await?)))
}

async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    form: ApiForm,
) -> AppResult<Json<List>> {
    me.require("write:lists")?;
    let id = path_id(&id)?;
    let p: ListParams = from_fields(form.fields)?;
    Ok(Json(list(&svc::update(&state, me.id(), id, p.into()).await?)))
}

async fn destroy(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Value>> {
    me.require("write:lists")?;
    svc::delete(&state, me.id(), path_id(&id)?).await?;
    Ok(Json(json!({})))
}

async fn members(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Account>>)> {
    me.require("read:lists")?;
    let id = path_id(&id)?;
    let p: PageParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    // `limit=0` asks for every member (as on Mastodon), without paging.
    let all = p.limit.as_deref() == Some("0");
    let page = if all { crate::db::queries::Page { limit: 1000, ..Default::default() } } else { p.page(40, 80)? };
    let (accounts, first, last) = svc::members(&state, me.id(), id, page).await?;
    let headers = if all {
        HeaderMap::new()
    } else {
        link_header(&state.base_url, &format!("/api/v1/lists/{id}/accounts"), &query_pairs(q.as_deref()), first, last)
    };
    let ctx = state.ctx();
    Ok((headers, Json(accounts.iter().map(|a| account(&ctx, a)).collect())))
}

#[derive(Debug, Deserialize)]
struct MemberParams {
    #[serde(default, deserialize_with = "lenient::ids")]
    account_ids: Vec<i64>,
}

/// `account_ids[]` from the body, or from the query string (some apps send DELETE that way).
fn member_ids(form: ApiForm, q: &Option<String>) -> AppResult<Vec<i64>> {
    let fields = if form.fields.is_empty() { query_map(q.as_deref()) } else { form.fields };
    let p: MemberParams = from_fields(fields)?;
    Ok(p.account_ids)
}

async fn add_members(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    form: ApiForm,
) -> AppResult<Json<Value>> {
    me.require("write:lists")?;
    let id = path_id(&id)?;
    let ids = member_ids(form, &q)?;
    svc::add_accounts(&state, me.id(), id, &ids).await?;
    Ok(Json(json!({})))
}

async fn remove_members(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    form: ApiForm,
) -> AppResult<Json<Value>> {
    me.require("write:lists")?;
    let id = path_id(&id)?;
    let ids = member_ids(form, &q)?;
    svc::remove_accounts(&state, me.id(), id, &ids).await?;
    Ok(Json(json!({})))
}

async fn lists_with_account(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<List>>> {
    me.require("read:lists")?;
    let id = path_id(&id)?;
    crate::db::queries::accounts::account_by_id(&state.db.conn, id).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(lq::lists_containing(&state.db.conn, me.id(), id).await?.iter().map(list).collect()))
}

async fn timeline(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Status>>)> {
    me.require("read:lists")?;
    let id = path_id(&id)?;
    let the_list = svc::own(&state, me.id(), id).await?;
    let p: PageParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let found = timelines::list(&state, &the_list, p.page(20, 40)?).await?;
    // Paging follows what was read, before filters left anything out.
    let (first, last) = (found.first().map(|s| s.status.id), found.last().map(|s| s.status.id));
    let shown = filters::apply(&state, Some(me.id()), FilterContext::Home, found).await?;
    let headers =
        link_header(&state.base_url, &format!("/api/v1/timelines/list/{id}"), &query_pairs(q.as_deref()), first, last);
    let ctx = state.ctx();
    Ok((headers, Json(shown.iter().map(|s| status(&ctx, s, false)).collect())))
}
