//! `GET /api/v1/instance`, `GET /api/v2/instance`.
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::api::model::account::account;
use crate::api::model::instance::{self, InstanceFacts};
use crate::app::AppState;
use crate::config::RegistrationMode;
use crate::db::queries::{accounts as aq, statuses as sq};
use crate::error::AppResult;
use crate::service::{accounts::registration_mode, views};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/instance", get(v1)).route("/api/v2/instance", get(v2))
}

/// Site facts shared by both versions.
pub async fn facts(state: &AppState) -> AppResult<InstanceFacts> {
    let db = &state.db.conn;
    let mode = registration_mode(state).await?;
    let title = aq::setting(db, "site_name").await?.unwrap_or_else(|| state.settings.site_name.clone());
    let description =
        aq::setting(db, "site_description").await?.unwrap_or_else(|| state.settings.site_description.clone());
    // The first administrator is the contact account.
    let admin = aq::list_users(db, false, 0, 1000).await?.into_iter().rev().find(|(u, _)| u.role == "admin");
    let contact_account = match admin {
        Some((_, a)) => {
            views::account(db, a.id).await?.map(|v| serde_json::to_value(account(&state.ctx(), &v)).unwrap_or_default())
        }
        None => None,
    };
    Ok(InstanceFacts {
        title,
        description,
        registrations: matches!(mode, RegistrationMode::Open | RegistrationMode::Approval),
        approval_required: mode == RegistrationMode::Approval,
        invites_enabled: true,
        user_count: aq::count_local_users(db).await?,
        status_count: sq::count_all_local_statuses(db).await?,
        contact_account,
    })
}

async fn v1(State(state): State<AppState>) -> AppResult<Json<serde_json::Value>> {
    let f = facts(&state).await?;
    Ok(Json(instance::v1(&state.settings, &f)))
}

async fn v2(State(state): State<AppState>) -> AppResult<Json<serde_json::Value>> {
    let f = facts(&state).await?;
    Ok(Json(instance::v2(&state.settings, &f)))
}
