//! Statuses: post, read, edit, delete, thread context, favourite, boost, bookmark, pin.
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use crate::api::auth::{AuthUser, MaybeAuth};
use crate::api::body::{ApiBody, lenient};
use crate::api::model::account::account;
use crate::api::model::poll::scheduled_status;
use crate::api::model::status::{Context, Status, StatusEdit, StatusSource, edit, status};
use crate::api::path_id;
use crate::app::AppState;
use crate::db::queries::statuses as sq;
use crate::error::{AppError, AppResult};
use crate::service::filters::{self, FilterContext};
use crate::service::polls::NewPoll;
use crate::service::posting::{self, Posted};
use crate::service::scheduled;
use crate::service::statuses::{self as svc, Compose};
use crate::service::{timelines, views};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/statuses", post(create))
        .route("/api/v1/statuses/{id}", get(show).put(update).delete(destroy))
        .route("/api/v1/statuses/{id}/context", get(context))
        .route("/api/v1/statuses/{id}/history", get(history))
        .route("/api/v1/statuses/{id}/source", get(source))
        .route("/api/v1/statuses/{id}/favourite", post(favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(unfavourite))
        .route("/api/v1/statuses/{id}/reblog", post(reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(unreblog))
        .route("/api/v1/statuses/{id}/bookmark", post(bookmark))
        .route("/api/v1/statuses/{id}/unbookmark", post(unbookmark))
        .route("/api/v1/statuses/{id}/pin", post(pin))
        .route("/api/v1/statuses/{id}/unpin", post(unpin))
}

#[derive(Debug, Deserialize)]
struct StatusParams {
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::ids")]
    media_ids: Vec<i64>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    in_reply_to_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::bool")]
    sensitive: bool,
    #[serde(default)]
    spoiler_text: Option<String>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    poll: Option<Value>,
    #[serde(default)]
    scheduled_at: Option<String>,
}

impl StatusParams {
    fn compose(self) -> AppResult<Compose> {
        Ok(Compose {
            poll: parse_poll(self.poll)?,
            text: self.status.unwrap_or_default(),
            spoiler_text: self.spoiler_text.unwrap_or_default(),
            sensitive: self.sensitive,
            visibility: self.visibility,
            in_reply_to_id: self.in_reply_to_id,
            media_ids: self.media_ids,
            language: self.language,
        })
    }
}

/// `poll[options][]`, `poll[expires_in]`, `poll[multiple]`, `poll[hide_totals]` (form or
/// multipart), or `{"poll": {...}}` (JSON).
fn parse_poll(v: Option<Value>) -> AppResult<Option<NewPoll>> {
    let bad = |m: &str| AppError::unprocessable(format!("Validation failed: {m}"));
    let o = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(bad("poll must be an object with options and expires_in")),
    };
    let options = match o.get("options") {
        Some(Value::Array(a)) if a.len() <= 100 => a
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(bad("poll options must be strings")),
            })
            .collect::<AppResult<Vec<String>>>()?,
        Some(Value::String(s)) => vec![s.clone()],
        Some(_) => return Err(bad("poll options must be a list of strings")),
        None => return Err(bad("poll[options] is required")),
    };
    let expires_in = match o.get("expires_in") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .ok_or_else(|| bad("poll[expires_in] must be a number of seconds"))?;
    let flag = |k: &str| -> AppResult<bool> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "1" | "on" => Ok(true),
                "false" | "0" | "off" | "" => Ok(false),
                _ => Err(bad(&format!("poll[{k}] must be a boolean"))),
            },
            Some(Value::Number(n)) => Ok(n.as_i64() == Some(1)),
            Some(_) => Err(bad(&format!("poll[{k}] must be a boolean"))),
        }
    };
    Ok(Some(NewPoll { options, expires_in, multiple: flag("multiple")?, hide_totals: flag("hide_totals")? }))
}

/// `scheduled_at` as apps send it: an ISO 8601 date-time (UTC when it names no zone).
pub(super) fn parse_time(s: Option<&str>) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&chrono::Utc)));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Ok(Some(t.and_utc()));
        }
    }
    Err(AppError::unprocessable("Validation failed: scheduled_at must be an ISO 8601 date and time"))
}

/// The `Idempotency-Key` header, if any.
fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let k = v.to_str().map_err(|_| AppError::bad_request("Idempotency-Key must be text"))?.trim();
            Ok(Some(k.to_owned()).filter(|k| !k.is_empty()))
        }
    }
}

/// The status as the viewer sees it.
async fn render(
    state: &AppState,
    viewer: Option<i64>,
    s: crate::db::entities::statuses::Model,
    with_source: bool,
) -> AppResult<Status> {
    let mut v = views::statuses(&state.db.conn, viewer, vec![s]).await?.pop().ok_or_else(AppError::not_found)?;
    filters::annotate(state, viewer, FilterContext::Thread, &mut v).await?;
    Ok(status(&state.ctx(), &v, with_source))
}

/// Posts now (a `Status`) or at `scheduled_at` (a `ScheduledStatus`).
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    headers: HeaderMap,
    ApiBody(p): ApiBody<StatusParams>,
) -> AppResult<Json<Value>> {
    me.require("write:statuses")?;
    let key = idempotency_key(&headers)?;
    let at = parse_time(p.scheduled_at.as_deref())?;
    let posted = posting::post(&state, &me.account, p.compose()?, at, key.as_deref()).await?;
    let json = match posted {
        Posted::Status(s) => serde_json::to_value(render(&state, Some(me.id()), s, false).await?),
        Posted::Scheduled(row) => {
            let media = sq::media_by_ids(&state.db.conn, &scheduled::params_of(&row).media_ids).await?;
            serde_json::to_value(scheduled_status(&state.ctx(), &row, &media))
        }
    };
    Ok(Json(json.map_err(AppError::internal)?))
}

async fn show(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Path(id): Path<String>,
) -> AppResult<Json<Status>> {
    let viewer = viewer.map(|v| v.id());
    let s = svc::readable(&state, viewer, path_id(&id)?).await?;
    Ok(Json(render(&state, viewer, s, false).await?))
}

async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiBody(p): ApiBody<StatusParams>,
) -> AppResult<Json<Status>> {
    me.require("write:statuses")?;
    // The poll stays as it was: polls are not edited (nor are their votes reset).
    let compose = Compose { poll: None, ..p.compose()? };
    let s = svc::edit(&state, &me.account, path_id(&id)?, compose).await?;
    Ok(Json(render(&state, Some(me.id()), s, false).await?))
}

async fn destroy(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    me.require("write:statuses")?;
    let id = path_id(&id)?;
    // Answer with the deleted status and its source, so apps can offer "delete and redraft".
    let before = svc::readable(&state, Some(me.id()), id).await?;
    let rendered = render(&state, Some(me.id()), before, true).await?;
    svc::delete(&state, &me.account, id).await?;
    Ok(Json(rendered))
}

async fn context(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Path(id): Path<String>,
) -> AppResult<Json<Context>> {
    let viewer = viewer.map(|v| v.id());
    let mut c = timelines::context(&state, viewer, path_id(&id)?).await?;
    c.ancestors = filters::apply(&state, viewer, FilterContext::Thread, c.ancestors).await?;
    c.descendants = filters::apply(&state, viewer, FilterContext::Thread, c.descendants).await?;
    let ctx = state.ctx();
    Ok(Json(Context {
        ancestors: c.ancestors.iter().map(|s| status(&ctx, s, false)).collect(),
        descendants: c.descendants.iter().map(|s| status(&ctx, s, false)).collect(),
    }))
}

async fn history(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<StatusEdit>>> {
    let viewer = viewer.map(|v| v.id());
    let (s, edits) = svc::history(&state, viewer, path_id(&id)?).await?;
    let author = views::account(&state.db.conn, s.account_id).await?.ok_or_else(AppError::not_found)?;
    let ctx = state.ctx();
    let author_json = account(&ctx, &author);
    let media_ids: Vec<i64> =
        edits.iter().flat_map(|e| serde_json::from_str::<Vec<i64>>(&e.media_ids).unwrap_or_default()).collect();
    let media = sq::media_by_ids(&state.db.conn, &media_ids).await?;
    if edits.is_empty() {
        // Never edited: the history is the status itself.
        let v = views::statuses(&state.db.conn, viewer, vec![s]).await?.pop().ok_or_else(AppError::not_found)?;
        let st = status(&ctx, &v, false);
        return Ok(Json(vec![StatusEdit {
            content: st.content,
            spoiler_text: st.spoiler_text,
            sensitive: st.sensitive,
            created_at: st.created_at,
            account: author_json,
            poll: None,
            media_attachments: st.media_attachments,
            emojis: vec![],
        }]));
    }
    Ok(Json(edits.iter().map(|e| edit(&ctx, e, &author_json, &media)).collect()))
}

async fn source(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<StatusSource>> {
    me.require("read:statuses")?;
    let s = svc::readable(&state, Some(me.id()), path_id(&id)?).await?;
    if s.account_id != me.id() {
        return Err(AppError::forbidden("This action is not allowed"));
    }
    Ok(Json(StatusSource { id: s.id.to_string(), text: s.source, spoiler_text: s.spoiler_text }))
}

async fn after_action(state: &AppState, me: &AuthUser, id: i64) -> AppResult<Json<Status>> {
    let s = svc::readable(state, Some(me.id()), id).await?;
    Ok(Json(render(state, Some(me.id()), s, false).await?))
}

async fn favourite(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    me.require("write:favourites")?;
    let id = path_id(&id)?;
    svc::favourite(&state, &me.account, id).await?;
    after_action(&state, &me, id).await
}

async fn unfavourite(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    me.require("write:favourites")?;
    let id = path_id(&id)?;
    svc::unfavourite(&state, &me.account, id).await?;
    after_action(&state, &me, id).await
}

async fn reblog(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    me.require("write:statuses")?;
    let boost = svc::reblog(&state, &me.account, path_id(&id)?).await?;
    Ok(Json(render(&state, Some(me.id()), boost, false).await?))
}

async fn unreblog(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    me.require("write:statuses")?;
    let original = svc::unreblog(&state, &me.account, path_id(&id)?).await?;
    Ok(Json(render(&state, Some(me.id()), original, false).await?))
}

async fn bookmark(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    me.require("write:bookmarks")?;
    let id = path_id(&id)?;
    svc::bookmark(&state, &me.account, id, true).await?;
    after_action(&state, &me, id).await
}

async fn unbookmark(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    me.require("write:bookmarks")?;
    let id = path_id(&id)?;
    svc::bookmark(&state, &me.account, id, false).await?;
    after_action(&state, &me, id).await
}

async fn pin(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    me.require("write:accounts")?;
    let id = path_id(&id)?;
    svc::pin(&state, &me.account, id, true).await?;
    after_action(&state, &me, id).await
}

async fn unpin(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Status>> {
    me.require("write:accounts")?;
    let id = path_id(&id)?;
    svc::pin(&state, &me.account, id, false).await?;
    after_action(&state, &me, id).await
}
