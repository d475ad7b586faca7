//! Blocks, mutes and hidden domains: `GET /api/v1/blocks`, `GET /api/v1/mutes`,
//! `GET/POST/DELETE /api/v1/domain_blocks`. Lists are paged by the block (or mute) record's
//! id, as on Mastodon.
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::api::auth::AuthUser;
use crate::api::body::{ApiBody, from_fields, query_map, query_pairs};
use crate::api::model::account::{Account, account};
use crate::api::model::moderation::{MutedAccount, muted_account};
use crate::api::pagination::{PageParams, link_header};
use crate::app::AppState;
use crate::db::queries::{graph, moderation};
use crate::error::{AppError, AppResult};
use crate::service::{follows, views};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/blocks", get(blocks))
        .route("/api/v1/mutes", get(mutes))
        .route("/api/v1/domain_blocks", get(domain_blocks).post(block_domain).delete(unblock_domain))
}

fn page_params(q: &Option<String>) -> AppResult<PageParams> {
    from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))
}

async fn blocks(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Account>>)> {
    me.require("read:blocks")?;
    let rows = graph::blocks_of(&state.db.conn, me.id(), page_params(&q)?.page(40, 80)?).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.target_account_id).collect();
    let list = views::accounts(&state.db.conn, &ids).await?;
    let headers = link_header(
        &state.base_url,
        "/api/v1/blocks",
        &query_pairs(q.as_deref()),
        rows.first().map(|r| r.id),
        rows.last().map(|r| r.id),
    );
    let ctx = state.ctx();
    Ok((headers, Json(list.iter().map(|a| account(&ctx, a)).collect())))
}

async fn mutes(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<MutedAccount>>)> {
    me.require("read:mutes")?;
    let rows = graph::mutes_of(&state.db.conn, me.id(), page_params(&q)?.page(40, 80)?).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.target_account_id).collect();
    let list = views::accounts(&state.db.conn, &ids).await?;
    let headers = link_header(
        &state.base_url,
        "/api/v1/mutes",
        &query_pairs(q.as_deref()),
        rows.first().map(|r| r.id),
        rows.last().map(|r| r.id),
    );
    let ctx = state.ctx();
    let out = rows
        .iter()
        .filter_map(|m| list.iter().find(|a| a.account.id == m.target_account_id).map(|a| muted_account(&ctx, a, m)))
        .collect();
    Ok((headers, Json(out)))
}

async fn domain_blocks(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<String>>)> {
    me.require("read:blocks")?;
    let rows = moderation::domain_blocks_of(&state.db.conn, me.id(), page_params(&q)?.page(100, 200)?).await?;
    let headers = link_header(
        &state.base_url,
        "/api/v1/domain_blocks",
        &query_pairs(q.as_deref()),
        rows.first().map(|r| r.id),
        rows.last().map(|r| r.id),
    );
    Ok((headers, Json(rows.into_iter().map(|r| r.domain).collect())))
}

#[derive(Debug, Deserialize)]
struct DomainParams {
    domain: Option<String>,
}

/// The domain from the body, or (as some apps send it) from the query string.
fn domain_of(body: DomainParams, q: &Option<String>) -> AppResult<String> {
    let from_query = query_map(q.as_deref()).get("domain").and_then(|v| v.as_str().map(str::to_owned));
    body.domain
        .or(from_query)
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| AppError::unprocessable("Validation failed: domain is required"))
}

async fn block_domain(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
    ApiBody(p): ApiBody<DomainParams>,
) -> AppResult<Json<serde_json::Value>> {
    me.require("write:blocks")?;
    follows::block_domain(&state, &me.account, &domain_of(p, &q)?).await?;
    Ok(Json(serde_json::json!({})))
}

async fn unblock_domain(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
    ApiBody(p): ApiBody<DomainParams>,
) -> AppResult<Json<serde_json::Value>> {
    me.require("write:blocks")?;
    follows::unblock_domain(&state, &me.account, &domain_of(p, &q)?).await?;
    Ok(Json(serde_json::json!({})))
}
