//! `GET /api/v2/search`: accounts (local, and remote through WebFinger with `resolve`; only
//! followed ones with `following`), posts by URL, and hashtags (the one typed, then those of
//! public posts starting with it). `offset` pages each kind.
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::api::auth::MaybeAuth;
use crate::api::body::{from_fields, lenient, query_map};
use crate::api::model::account::{Account, account};
use crate::api::model::status::{Status, status};
use crate::api::model::tag::{Tag, tag};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::discovery::{AccountSearch, search_accounts};
use crate::service::{tags, views, visibility};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v2/search", get(search))
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    resolve: bool,
    limit: Option<String>,
    offset: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    following: bool,
}

#[derive(Debug, Serialize)]
struct Results {
    accounts: Vec<Account>,
    statuses: Vec<Status>,
    hashtags: Vec<Tag>,
}

async fn search(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Results>> {
    let p: SearchParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let query = p.q.unwrap_or_default();
    if query.chars().count() > 500 {
        return Err(AppError::unprocessable("Validation failed: q is too long"));
    }
    if let Some(k) = &p.kind
        && !matches!(k.as_str(), "accounts" | "statuses" | "hashtags")
    {
        return Err(AppError::bad_request("type must be accounts, statuses or hashtags"));
    }
    let limit = p.limit.as_deref().and_then(|l| l.parse::<usize>().ok()).unwrap_or(20).clamp(1, 40);
    let offset = match p.offset.as_deref() {
        None | Some("") => 0,
        Some(o) => o
            .parse::<usize>()
            .ok()
            .filter(|o| *o <= 10_000)
            .ok_or_else(|| AppError::bad_request("offset must be a whole number from 0 to 10000"))?,
    };
    // Fetching from other servers is for signed-in members only (as on Mastodon).
    if let Some(v) = &viewer {
        v.require("read:search")?;
    }
    let resolve = p.resolve && viewer.is_some();
    let viewer_id = viewer.as_ref().map(|v| v.id());
    let db = &state.db.conn;
    let ctx = state.ctx();
    let wants = |k: &str| p.kind.as_deref().is_none_or(|t| t == k);
    let page = |ids: Vec<i64>| ids.into_iter().skip(offset).take(limit).collect::<Vec<i64>>();
    let (mut accounts, mut statuses) = (Vec::new(), Vec::new());
    if query.trim().starts_with("https://") || query.trim().starts_with("http://") {
        // A URL names one account or one post, here or fetched from its server.
        let mut found = crate::federation::search::search(&state, &query, resolve).await;
        if let Some(v) = viewer_id {
            found = visibility::without_hidden(db, v, found).await?;
        }
        if wants("accounts") {
            accounts = views::accounts(db, &page(found.accounts)).await?;
        }
        if wants("statuses") {
            let rows = crate::db::queries::statuses::statuses_by_ids(db, &page(found.statuses)).await?;
            let readable = visibility::retain_readable(db, viewer_id, rows).await?;
            statuses = views::statuses(db, viewer_id, readable).await?;
        }
    } else if wants("accounts") {
        let wanted =
            AccountSearch { q: &query, limit: limit as u64, offset: offset as u64, resolve, following: p.following };
        accounts = search_accounts(&state, viewer_id, wanted).await?;
    }
    let hashtags = if wants("hashtags") {
        tags::search(&state, viewer_id, &query, limit as u64, offset as u64)
            .await?
            .iter()
            .map(|t| tag(&ctx, t))
            .collect()
    } else {
        vec![]
    };
    let accounts = accounts.iter().map(|a| account(&ctx, a)).collect();
    let statuses = statuses.iter().map(|s| status(&ctx, s, false)).collect();
    Ok(Json(Results { accounts, statuses, hashtags }))
}
