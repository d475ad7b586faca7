//! `GET /api/v2/search`: accounts (local, and remote through WebFinger with `resolve`), posts
//! by URL, and hashtags.
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::api::auth::MaybeAuth;
use crate::api::body::{from_fields, lenient, query_map};
use crate::api::model::account::{Account, account};
use crate::api::model::status::{Status, status};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::{views, visibility};

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
}

#[derive(Debug, Serialize)]
struct Tag {
    name: String,
    url: String,
    history: Vec<serde_json::Value>,
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
    // Fetching from other servers is for signed-in members only (as on Mastodon).
    if let Some(v) = &viewer {
        v.require("read:search")?;
    }
    let resolve = p.resolve && viewer.is_some();
    let viewer_id = viewer.as_ref().map(|v| v.id());
    let mut found = crate::federation::search::search(&state, &query, resolve).await;
    if let Some(v) = viewer_id {
        found = visibility::without_hidden(&state.db.conn, v, found).await?;
    }
    let ctx = state.ctx();
    let wants = |k: &str| p.kind.as_deref().is_none_or(|t| t == k);
    let accounts = if wants("accounts") {
        let mut ids = found.accounts.clone();
        ids.truncate(limit);
        views::accounts(&state.db.conn, &ids).await?.iter().map(|a| account(&ctx, a)).collect()
    } else {
        vec![]
    };
    let statuses = if wants("statuses") {
        let rows = crate::db::queries::statuses::statuses_by_ids(&state.db.conn, &found.statuses).await?;
        let readable = visibility::retain_readable(&state.db.conn, viewer_id, rows).await?;
        views::statuses(&state.db.conn, viewer_id, readable).await?.iter().map(|s| status(&ctx, s, false)).collect()
    } else {
        vec![]
    };
    let hashtags = if wants("hashtags") && query.starts_with('#') && query.len() > 1 {
        let name = query.trim_start_matches('#').to_lowercase();
        vec![Tag { url: format!("{}/tags/{name}", state.base_url), name, history: vec![] }]
    } else {
        vec![]
    };
    Ok(Json(Results { accounts, statuses, hashtags }))
}
