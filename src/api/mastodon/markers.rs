//! Markers (reading positions shared between apps) and the member's posting and reading
//! preferences.
use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use crate::api::auth::AuthUser;
use crate::api::body::{ApiForm, from_fields, lenient, query_map};
use crate::api::model::list::{Marker, Preferences, markers};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::markers::{self as svc, TIMELINES};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/markers", get(show).post(save)).route("/api/v1/preferences", get(preferences))
}

#[derive(Debug, Deserialize)]
struct ShowParams {
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    timeline: Option<Vec<String>>,
}

async fn show(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<Json<BTreeMap<String, Marker>>> {
    me.require("read:statuses")?;
    let p: ShowParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let list = svc::get(&state, me.id(), &p.timeline.unwrap_or_default()).await?;
    Ok(Json(markers(&list)))
}

/// `home[last_read_id]=…` (form) or `{"home": {"last_read_id": "…"}}` (JSON), for each timeline.
fn changes(fields: &serde_json::Map<String, Value>) -> AppResult<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for (timeline, v) in fields {
        if !TIMELINES.contains(&timeline.as_str()) {
            continue;
        }
        let raw = v.get("last_read_id").ok_or_else(|| {
            AppError::unprocessable(format!("Validation failed: {timeline}[last_read_id] is missing"))
        })?;
        let id = match raw {
            Value::String(s) => crate::ids::parse_id(s),
            Value::Number(n) => n.as_i64().filter(|i| *i >= 0),
            _ => None,
        }
        .ok_or_else(|| AppError::unprocessable(format!("Validation failed: {timeline}[last_read_id] must be an id")))?;
        out.push((timeline.clone(), id));
    }
    Ok(out)
}

async fn save(State(state): State<AppState>, me: AuthUser, form: ApiForm) -> AppResult<Json<BTreeMap<String, Marker>>> {
    me.require("write:statuses")?;
    let list = svc::set(&state, me.id(), &changes(&form.fields)?).await?;
    Ok(Json(markers(&list)))
}

/// khub keeps no per-member posting defaults yet: these are the ones every post starts from
/// (public, not sensitive, no language) and the ones Mastodon's reading settings default to.
async fn preferences(me: AuthUser) -> AppResult<Json<Preferences>> {
    me.require("read:accounts")?;
    Ok(Json(Preferences {
        visibility: "public",
        sensitive: false,
        language: None,
        expand_media: "default",
        expand_spoilers: false,
    }))
}
