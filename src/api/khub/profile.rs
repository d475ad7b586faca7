//! `GET`/`PATCH /api/khub/v1/profile`: the professional profile.
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::api::auth::{AuthUser, MaybeAuth};
use crate::api::body::{ApiBody, lenient};
use crate::api::model::account::{Account, account};
use crate::app::AppState;
use crate::db::queries::accounts as aq;
use crate::error::{AppError, AppResult};
use crate::service::profile::{self, Field, ProfileUpdate, expertise_of, fields_of};
use crate::service::views;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/khub/v1/profile", get(mine).patch(update))
        .route("/api/khub/v1/profiles/{username}", get(by_name))
}

#[derive(Debug, Serialize)]
struct Profile {
    id: String,
    username: String,
    display_name: String,
    job_title: String,
    organisation: String,
    location: String,
    bio: String,
    expertise: Vec<String>,
    links: Vec<Field>,
    account: Account,
}

async fn profile_json(state: &AppState, id: i64) -> AppResult<Profile> {
    let v = views::account(&state.db.conn, id).await?.ok_or_else(AppError::not_found)?;
    let a = &v.account;
    Ok(Profile {
        id: a.id.to_string(),
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        job_title: a.job_title.clone(),
        organisation: a.organisation.clone(),
        location: a.location.clone(),
        bio: a.bio.clone(),
        expertise: expertise_of(a),
        links: fields_of(a),
        account: account(&state.ctx(), &v),
    })
}

async fn mine(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<Profile>> {
    me.require("read:accounts")?;
    Ok(Json(profile_json(&state, me.id()).await?))
}

async fn by_name(State(state): State<AppState>, _v: MaybeAuth, Path(name): Path<String>) -> AppResult<Json<Profile>> {
    let a = aq::local_account_by_username(&state.db.conn, &name).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(profile_json(&state, a.id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilePatch {
    display_name: Option<String>,
    job_title: Option<String>,
    organisation: Option<String>,
    location: Option<String>,
    bio: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    expertise: Option<Vec<String>>,
    links: Option<Vec<Field>>,
}

async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    ApiBody(p): ApiBody<ProfilePatch>,
) -> AppResult<Json<Profile>> {
    me.require("write:accounts")?;
    profile::update(
        &state,
        &me.account,
        ProfileUpdate {
            display_name: p.display_name,
            job_title: p.job_title,
            organisation: p.organisation,
            location: p.location,
            bio: p.bio,
            expertise: p.expertise,
            fields: p.links,
            ..Default::default()
        },
    )
    .await?;
    Ok(Json(profile_json(&state, me.id()).await?))
}
