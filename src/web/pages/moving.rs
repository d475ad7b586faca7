//! Settings, "Moving accounts": the member's other accounts (aliases), and moving this account
//! to another one, here or on another server.
use activitypub_federation::fetch::object_id::ObjectId;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

use super::{OrPage, PageResult, csrf, layout, redirect_with};
use crate::api::body::ApiForm;
use crate::app::AppState;
use crate::db::entities::accounts;
use crate::db::queries::accounts as aq;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::federation::objects::ApubPerson;
use crate::service::migration;
use crate::web::session::{AnonCsrf, WebUser};
use crate::web::{Layout, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/moving", get(show))
        .route("/settings/aliases", post(add_alias))
        .route("/settings/aliases/remove", post(remove_alias))
        .route("/settings/move", post(move_account))
}

#[derive(Template, WebTemplate)]
#[template(path = "settings_moving.html")]
struct MovingPage {
    layout: Layout,
    aliases: Vec<String>,
    moved_to: Option<String>,
    handle: String,
    /// (field, message): `alias` or `target`.
    errors: Vec<(&'static str, String)>,
    alias_error: String,
    target_error: String,
}

async fn page(
    state: &AppState,
    user: &WebUser,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    errors: Vec<(&'static str, String)>,
) -> Result<MovingPage, axum::response::Response> {
    let me = aq::account_by_id(&state.db.conn, user.account.id).await.or_page(state)?.unwrap_or(user.account.clone());
    let moved_to = match me.moved_to_account_id {
        Some(id) => aq::account_by_id(&state.db.conn, id).await.or_page(state)?.map(|a| handle_of(state, &a)),
        None => None,
    };
    let error_on = |field: &str| errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone()).unwrap_or_default();
    Ok(MovingPage {
        alias_error: error_on("alias"),
        target_error: error_on("target"),
        layout: layout(state, Some(user), anon, headers, "Moving accounts", "settings").await,
        aliases: serde_json::from_str(&me.also_known_as).unwrap_or_default(),
        moved_to,
        handle: format!("{}@{}", me.username, state.settings.domain),
        errors,
    })
}

fn handle_of(state: &AppState, a: &accounts::Model) -> String {
    match &a.domain {
        Some(d) => format!("@{}@{d}", a.username),
        None => format!("@{}@{}", a.username, state.settings.domain),
    }
}

async fn show(State(state): State<AppState>, user: WebUser, anon: AnonCsrf, headers: HeaderMap) -> PageResult {
    let p = page(&state, &user, &anon, &headers, vec![]).await?;
    let flash = p.layout.flash.is_some();
    Ok(render(StatusCode::OK, &p, flash))
}

/// Finds `@name@host` (here or, through WebFinger, elsewhere); a remote account is read fresh
/// from its server, so that its aliases are current.
async fn find(state: &AppState, handle: &str) -> AppResult<ApubPerson> {
    let handle = handle.trim();
    if !handle.trim_start_matches('@').contains('@') {
        return Err(AppError::unprocessable("Enter an account like @name@example.org"));
    }
    let found = crate::federation::search::search(state, handle, true).await;
    let id = found
        .accounts
        .first()
        .copied()
        .ok_or_else(|| AppError::unprocessable("No account was found at that address"))?;
    let account = aq::account_by_id(&state.db.conn, id).await?.ok_or_else(AppError::not_found)?;
    let person = ApubPerson::load(state, account).await.map_err(|e| e.0)?;
    if person.is_local() {
        return Ok(person);
    }
    let data = state.federation_data().ok_or_else(|| AppError::unprocessable("Federation is not available"))?;
    ObjectId::<ApubPerson>::from(person.ap_id.clone())
        .dereference_forced(&data)
        .await
        .map_err(|_| AppError::unprocessable("That account's server did not answer; try again later"))
}

/// Re-renders the page with an error on a field, or shows an error page for anything else.
async fn refused(
    state: &AppState,
    user: &WebUser,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    field: &'static str,
    e: AppError,
) -> PageResult {
    if e.kind != ErrorKind::Unprocessable {
        return Err(crate::web::error_page(state, e));
    }
    let p = page(state, user, anon, headers, vec![(field, e.message)]).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p, false))
}

async fn add_alias(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let done = async {
        let other = find(&state, &form.text("alias")).await?;
        migration::add_alias(&state, &user.account, other.ap_id.as_str(), other.account.id).await?;
        Ok::<_, AppError>(handle_of(&state, &other.account))
    }
    .await;
    match done {
        Ok(h) => Ok(redirect_with(&state, "/settings/moving", &format!("{h} is listed as another account of yours"))),
        Err(e) => refused(&state, &user, &anon, &headers, "alias", e).await,
    }
}

async fn remove_alias(State(state): State<AppState>, user: WebUser, anon: AnonCsrf, form: ApiForm) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    migration::remove_alias(&state, &user.account, &form.text("alias")).await.or_page(&state)?;
    Ok(redirect_with(&state, "/settings/moving", "Alias removed"))
}

async fn move_account(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let done = async {
        let target = find(&state, &form.text("target")).await?;
        let me = aq::account_by_id(&state.db.conn, user.account.id).await?.ok_or_else(AppError::not_found)?;
        let my_id = crate::federation::local_actor_id(&state.base_url, &me.username);
        migration::move_to(&state, &me, &my_id, &target.account).await?;
        Ok::<_, AppError>(handle_of(&state, &target.account))
    }
    .await;
    match done {
        Ok(h) => Ok(redirect_with(&state, "/settings/moving", &format!("This account has moved to {h}"))),
        Err(e) => refused(&state, &user, &anon, &headers, "target", e).await,
    }
}
