//! Polls: `GET /api/v1/polls/:id` and `POST /api/v1/polls/:id/votes`. A poll is read through
//! its post: 404 for anyone who may not read the post.
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use crate::api::auth::{AuthUser, MaybeAuth};
use crate::api::body::ApiBody;
use crate::api::model::poll::{Poll, poll};
use crate::api::path_id;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::polls as svc;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/polls/{id}", get(show)).route("/api/v1/polls/{id}/votes", post(vote))
}

async fn show(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Path(id): Path<String>,
) -> AppResult<Json<Poll>> {
    let viewer = viewer.map(|v| v.id());
    Ok(Json(poll(&svc::view(&state, viewer, path_id(&id)?).await?)))
}

#[derive(Debug, Deserialize)]
struct VoteParams {
    #[serde(default)]
    choices: Option<Value>,
}

/// `choices[]` as numbers or numeric strings (one value alone is a list of one).
fn choices(v: Option<Value>) -> AppResult<Vec<i64>> {
    let bad = || AppError::unprocessable("Validation failed: choices must be a list of option numbers");
    let one = |v: &Value| match v {
        Value::Number(n) => n.as_i64().ok_or_else(bad),
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| bad()),
        _ => Err(bad()),
    };
    match v {
        None | Some(Value::Null) => Err(AppError::unprocessable("Validation failed: choices[] is required")),
        Some(Value::Array(a)) if a.len() <= 100 => a.iter().map(one).collect(),
        Some(Value::Array(_)) => Err(bad()),
        Some(v) => Ok(vec![one(&v)?]),
    }
}

async fn vote(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiBody(p): ApiBody<VoteParams>,
) -> AppResult<Json<Poll>> {
    me.require("write:statuses")?;
    let id = path_id(&id)?;
    let chosen = choices(p.choices)?;
    Ok(Json(poll(&svc::vote(&state, &me.account, id, &chosen).await?)))
}
