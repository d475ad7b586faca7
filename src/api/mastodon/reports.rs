//! `POST /api/v1/reports`: a member reports an account (and some of its posts) to the
//! administrators.
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use crate::api::auth::AuthUser;
use crate::api::body::{ApiBody, lenient};
use crate::api::model::moderation::{Report, report};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::reports::{self, NewReport};
use crate::service::views;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/reports", post(create))
}

#[derive(Debug, Deserialize)]
struct ReportParams {
    #[serde(default, deserialize_with = "lenient::opt_id")]
    account_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::ids")]
    status_ids: Vec<i64>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    forward: bool,
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    forward_to_domains: Option<Vec<String>>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    rule_ids: Option<Vec<String>>,
}

async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    ApiBody(p): ApiBody<ReportParams>,
) -> AppResult<Json<Report>> {
    me.require("write:reports")?;
    let account_id =
        p.account_id.ok_or_else(|| AppError::unprocessable("Validation failed: account_id is required"))?;
    // Only the reported account's own server can be told; other domains are not supported.
    let _ = p.forward_to_domains;
    let r = reports::create(
        &state,
        &me.account,
        NewReport {
            account_id,
            status_ids: p.status_ids,
            comment: p.comment.unwrap_or_default(),
            category: p.category,
            rule_ids: p.rule_ids.unwrap_or_default(),
            forward: p.forward,
        },
    )
    .await?;
    let target = views::account(&state.db.conn, r.target_account_id).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(report(&state.ctx(), &r, &target)))
}
