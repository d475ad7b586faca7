//! Finding people and what is happening: `accounts/search`, `accounts/familiar_followers`,
//! trends (tags, statuses, links), follow suggestions (v1 and v2), endorsements and custom
//! emoji (both empty: khub has neither featured profiles nor custom emoji yet).
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use crate::api::auth::{AuthUser, MaybeAuth};
use crate::api::body::{from_fields, lenient, query_map, query_pairs};
use crate::api::model::account::{Account, account};
use crate::api::model::discovery::{FamiliarFollowers, Suggestion, Tag, familiar_followers, suggestion, trending_tag};
use crate::api::model::status::{Status, status};
use crate::api::path_id;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::discovery::{self as svc, AccountSearch};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts/search", get(search_accounts))
        .route("/api/v1/accounts/familiar_followers", get(familiar))
        .route("/api/v1/trends", get(trends_tags))
        .route("/api/v1/trends/tags", get(trends_tags))
        .route("/api/v1/trends/statuses", get(trends_statuses))
        .route("/api/v1/trends/links", get(trends_links))
        .route("/api/v1/suggestions", get(suggestions_v1))
        .route("/api/v2/suggestions", get(suggestions_v2))
        .route("/api/v1/suggestions/{id}", delete(dismiss_suggestion))
        .route("/api/v1/endorsements", get(endorsements))
        .route("/api/v1/custom_emojis", get(custom_emojis))
}

fn params<T: serde::de::DeserializeOwned>(q: &Option<String>) -> AppResult<T> {
    from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))
}

/// A number parameter: absent means `default`; present must parse, and is clamped.
fn number(v: &Option<String>, name: &str, default: u64, max: u64) -> AppResult<u64> {
    match v.as_deref() {
        None | Some("") => Ok(default),
        Some(s) => s
            .trim()
            .parse::<u64>()
            .map(|n| n.min(max))
            .map_err(|_| AppError::bad_request(format!("{name} must be a number"))),
    }
}

/// Offset paging, as Mastodon pages trends: a `next` link while the page is full.
fn offset_link(state: &AppState, path: &str, q: &Option<String>, offset: u64, got: usize, limit: u64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut links = Vec::new();
    let url = |o: u64| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query_pairs(q.as_deref()).iter().filter(|(k, _)| k != "offset") {
            s.append_pair(k, v);
        }
        s.append_pair("offset", &o.to_string());
        format!("{}{path}?{}", state.base_url, s.finish())
    };
    if got as u64 >= limit && limit > 0 {
        links.push(format!("<{}>; rel=\"next\"", url(offset + limit)));
    }
    if offset > 0 {
        links.push(format!("<{}>; rel=\"prev\"", url(offset.saturating_sub(limit))));
    }
    if !links.is_empty()
        && let Ok(v) = HeaderValue::from_str(&links.join(", "))
    {
        headers.insert(axum::http::header::LINK, v);
    }
    headers
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    resolve: bool,
    #[serde(default, deserialize_with = "lenient::bool")]
    following: bool,
}

async fn search_accounts(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<Account>>> {
    if let Some(v) = &viewer {
        v.require("read:accounts")?;
    }
    let p: SearchParams = params(&q)?;
    let text = p.q.unwrap_or_default();
    if text.chars().count() > 500 {
        return Err(AppError::unprocessable("Validation failed: q is too long"));
    }
    if (p.following || p.resolve) && viewer.is_none() {
        return Err(AppError::unauthorized("This method requires an authenticated user"));
    }
    let search = AccountSearch {
        q: &text,
        limit: number(&p.limit, "limit", 40, 80)?.max(1),
        offset: number(&p.offset, "offset", 0, 10_000)?,
        resolve: p.resolve,
        following: p.following,
    };
    let list = svc::search_accounts(&state, viewer.as_ref().map(AuthUser::id), search).await?;
    let ctx = state.ctx();
    Ok(Json(list.iter().map(|a| account(&ctx, a)).collect()))
}

async fn familiar(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<FamiliarFollowers>>> {
    me.require("read:follows")?;
    let ids: Vec<String> = match query_map(q.as_deref()).get("id") {
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    };
    if ids.len() > 100 {
        return Err(AppError::unprocessable("Validation failed: ask for at most 100 accounts at a time"));
    }
    let ids: Vec<i64> = ids.iter().filter_map(|s| crate::ids::parse_id(s)).collect();
    let found = svc::familiar_followers(&state, me.id(), &ids).await?;
    let ctx = state.ctx();
    Ok(Json(found.iter().map(|(id, list)| familiar_followers(&ctx, *id, list)).collect()))
}

#[derive(Debug, Deserialize)]
struct TrendParams {
    limit: Option<String>,
    offset: Option<String>,
}

async fn trends_tags(
    State(state): State<AppState>,
    _viewer: MaybeAuth,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Tag>>)> {
    let p: TrendParams = params(&q)?;
    let (limit, offset) = (number(&p.limit, "limit", 10, 20)?.max(1), number(&p.offset, "offset", 0, 10_000)?);
    let list = svc::trending_tags(&state, limit, offset).await?;
    let ctx = state.ctx();
    let headers = offset_link(&state, "/api/v1/trends/tags", &q, offset, list.len(), limit);
    Ok((headers, Json(list.iter().map(|t| trending_tag(&ctx, t)).collect())))
}

async fn trends_statuses(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Status>>)> {
    let p: TrendParams = params(&q)?;
    let (limit, offset) = (number(&p.limit, "limit", 20, 40)?.max(1), number(&p.offset, "offset", 0, 10_000)?);
    let list = svc::trending_statuses(&state, viewer.as_ref().map(AuthUser::id), limit, offset).await?;
    let ctx = state.ctx();
    let headers = offset_link(&state, "/api/v1/trends/statuses", &q, offset, list.len(), limit);
    Ok((headers, Json(list.iter().map(|s| status(&ctx, s, false)).collect())))
}

/// khub makes no preview cards for links yet, so no link can trend.
async fn trends_links(_viewer: MaybeAuth, RawQuery(q): RawQuery) -> AppResult<Json<Vec<Value>>> {
    let _: TrendParams = params(&q)?;
    Ok(Json(vec![]))
}

#[derive(Debug, Deserialize)]
struct LimitParams {
    limit: Option<String>,
}

async fn suggestion_list(state: &AppState, me: &AuthUser, q: &Option<String>) -> AppResult<Vec<svc::Suggestion>> {
    me.require("read:accounts")?;
    let p: LimitParams = params(q)?;
    svc::suggestions(state, me.id(), number(&p.limit, "limit", 40, 80)?.max(1)).await
}

async fn suggestions_v1(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<Account>>> {
    let list = suggestion_list(&state, &me, &q).await?;
    let ctx = state.ctx();
    Ok(Json(list.iter().map(|s| account(&ctx, &s.account)).collect()))
}

async fn suggestions_v2(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<Suggestion>>> {
    let list = suggestion_list(&state, &me, &q).await?;
    let ctx = state.ctx();
    Ok(Json(list.iter().map(|s| suggestion(&ctx, s)).collect()))
}

async fn dismiss_suggestion(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    me.require("read:accounts")?;
    let id = path_id(&id)?;
    crate::db::queries::accounts::account_by_id(&state.db.conn, id).await?.ok_or_else(AppError::not_found)?;
    svc::dismiss_suggestion(&state, me.id(), id).await?;
    Ok(Json(serde_json::json!({})))
}

/// Profiles featured on one's own: khub has no endorsements yet, so the list is empty.
async fn endorsements(me: AuthUser) -> AppResult<Json<Vec<Account>>> {
    me.require("read:accounts")?;
    Ok(Json(vec![]))
}

/// khub has no custom emoji yet; apps show unicode emoji only.
async fn custom_emojis() -> Json<Vec<Value>> {
    Json(vec![])
}
