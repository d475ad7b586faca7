//! Media uploads: `POST /api/v2/media` (and v1), `GET`/`PUT /api/v1/media/:id`.
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::api::auth::AuthUser;
use crate::api::body::{ApiBody, ApiForm, from_fields};
use crate::api::model::media::{MediaAttachment, media};
use crate::api::path_id;
use crate::app::AppState;
use crate::db::queries::statuses as sq;
use crate::error::{AppError, AppResult};
use crate::service::media::{self as svc, Purpose};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/media", post(upload))
        .route("/api/v1/media", post(upload))
        .route("/api/v1/media/{id}", get(show).put(update))
}

#[derive(Debug, Default, Deserialize)]
struct MediaFields {
    description: Option<String>,
    focus: Option<String>,
}

async fn upload(State(state): State<AppState>, me: AuthUser, form: ApiForm) -> AppResult<Json<MediaAttachment>> {
    me.require("write:media")?;
    let fields: MediaFields = from_fields(form.fields)?;
    let _ = fields.focus;
    let mut files = form.files.into_iter();
    let Some((name, upload)) = files.next() else {
        return Err(AppError::unprocessable("Validation failed: File can't be blank"));
    };
    if name != "file" || files.next().is_some() {
        return Err(AppError::unprocessable("Validation failed: send exactly one file, in the field \"file\""));
    }
    let m =
        svc::store_upload(&state, me.id(), upload, fields.description.as_deref().unwrap_or(""), Purpose::Attachment)
            .await?;
    Ok(Json(media(&state.ctx(), &m)))
}

async fn show(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<MediaAttachment>> {
    me.require("read:statuses")?;
    let m = sq::media_by_ids(&state.db.conn, &[path_id(&id)?])
        .await?
        .into_iter()
        .find(|m| m.account_id == me.id())
        .ok_or_else(AppError::not_found)?;
    Ok(Json(media(&state.ctx(), &m)))
}

async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiBody(f): ApiBody<MediaFields>,
) -> AppResult<Json<MediaAttachment>> {
    me.require("write:media")?;
    let m = svc::describe(&state, me.id(), path_id(&id)?, f.description.as_deref().unwrap_or("")).await?;
    Ok(Json(media(&state.ctx(), &m)))
}
