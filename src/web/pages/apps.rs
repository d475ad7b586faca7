//! Settings, "Authorised apps": the apps a member let into their account, each with a Revoke
//! button that ends all its tokens for this member.
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

use super::{OrPage, PageResult, csrf, layout, redirect_with};
use crate::api::body::ApiForm;
use crate::app::AppState;
use crate::error::AppError;
use crate::service::oauth::{self, scopes};
use crate::web::session::{AnonCsrf, WebUser};
use crate::web::{Layout, render};

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/apps", get(list)).route("/settings/apps/{id}/revoke", post(revoke))
}

struct AppRow {
    id: i64,
    name: String,
    website: Option<String>,
    scopes: Vec<(String, &'static str)>,
    date: String,
    iso: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings_apps.html")]
struct AppsPage {
    layout: Layout,
    apps: Vec<AppRow>,
}

async fn list(State(state): State<AppState>, user: WebUser, anon: AnonCsrf, headers: HeaderMap) -> PageResult {
    let apps = oauth::authorised_apps(&state, user.user.id).await.or_page(&state)?;
    let page = AppsPage {
        layout: layout(&state, Some(&user), &anon, &headers, "Authorised apps", "settings").await,
        apps: apps
            .into_iter()
            .map(|a| AppRow {
                id: a.app.id,
                name: a.app.name,
                website: a.app.website,
                scopes: a.scopes.iter().map(|s| (s.clone(), scopes::describe(s))).collect(),
                date: a.authorised_at.format("%-d %B %Y").to_string(),
                iso: crate::api::model::iso(a.authorised_at),
            })
            .collect(),
    };
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

async fn revoke(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let id = crate::ids::parse_id(&id).ok_or_else(AppError::not_found).or_page(&state)?;
    let app = oauth::app_by_id(&state, id).await.or_page(&state)?.ok_or_else(AppError::not_found).or_page(&state)?;
    oauth::revoke_app(&state, user.user.id, app.id).await.or_page(&state)?;
    Ok(redirect_with(&state, "/settings/apps", &format!("{} can no longer use your account", app.name)))
}
