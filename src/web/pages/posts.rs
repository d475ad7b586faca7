//! Writing: compose (with an attachment), edit, delete, history, and the per-post actions.
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::timelines::{ComposeForm, home_page, thread_page};
use super::{OrPage, PageResult, csrf, id_of, layout, redirect_with};
use crate::api::body::ApiForm;
use crate::app::AppState;
use crate::db::queries::statuses as sq;
use crate::error::{AppError, ErrorKind};
use crate::service::media::{self, Purpose};
use crate::service::statuses::{self as svc, Compose};
use crate::service::{private_space, views};
use crate::web::session::{AnonCsrf, MaybeWebUser, WebUser};
use crate::web::{Card, Layout, cards, render};

/// A handler for one per-post action.
macro_rules! action_handler {
    ($what:expr) => {
        |state: State<AppState>, user: WebUser, anon: AnonCsrf, id: Path<String>, form: ApiForm| {
            action(state, user, anon, id, form, $what)
        }
    };
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/statuses", post(create))
        .route("/statuses/{id}/favourite", post(action_handler!(Action::Favourite)))
        .route("/statuses/{id}/unfavourite", post(action_handler!(Action::Unfavourite)))
        .route("/statuses/{id}/reblog", post(action_handler!(Action::Reblog)))
        .route("/statuses/{id}/unreblog", post(action_handler!(Action::Unreblog)))
        .route("/statuses/{id}/bookmark", post(action_handler!(Action::Bookmark)))
        .route("/statuses/{id}/unbookmark", post(action_handler!(Action::Unbookmark)))
        .route("/statuses/{id}/pin", post(action_handler!(Action::Pin)))
        .route("/statuses/{id}/unpin", post(action_handler!(Action::Unpin)))
        .route("/statuses/{id}/edit", get(edit_form).post(edit))
        .route("/statuses/{id}/delete", get(delete_form).post(delete))
        .route("/statuses/{id}/history", get(history))
        .route("/statuses/{id}/parent", get(parent))
        .route("/statuses/{id}/file", get(file_form).post(file))
        .route("/statuses/{id}/vote", post(vote))
}

/// Votes in a post's poll with the choices ticked (`choices[]`, option numbers from 0).
async fn vote(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let id = id_of(&state, &id)?;
    let choices: Vec<i64> = match form.fields.get("choices") {
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(|v| v.as_str()?.parse().ok()).collect(),
        Some(serde_json::Value::String(one)) => one.parse().ok().into_iter().collect(),
        _ => Vec::new(),
    };
    if choices.is_empty() {
        return Err(crate::web::error_page(&state, AppError::unprocessable("Choose an option to vote for")));
    }
    let poll = crate::db::queries::polls::for_statuses(&state.db.conn, &[id]).await.or_page(&state)?;
    let Some(poll) = poll.first() else { return Err(crate::web::error_page(&state, AppError::not_found())) };
    crate::service::polls::vote(&state, &user.account, poll.id, &choices).await.or_page(&state)?;
    let back = status_url(&state, id).await.unwrap_or_else(|_| "/".into());
    Ok(redirect_with(&state, &back, "Your vote has been counted"))
}

/// The URL of a status's page.
async fn status_url(state: &AppState, id: i64) -> Result<String, Response> {
    let s = sq::status_by_id(&state.db.conn, id)
        .await
        .or_page(state)?
        .ok_or_else(|| crate::web::error_page(state, AppError::not_found()))?;
    let a = crate::db::queries::accounts::account_by_id(&state.db.conn, s.account_id)
        .await
        .or_page(state)?
        .ok_or_else(|| crate::web::error_page(state, AppError::not_found()))?;
    Ok(format!("/@{}/{}", crate::api::model::status::handle_of(&a), s.id))
}

async fn create(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let reply_to = form.text("in_reply_to_id");
    let reply_to = if reply_to.is_empty() { None } else { Some(id_of(&state, &reply_to)?) };
    let mut compose = Compose {
        text: form.text("status"),
        spoiler_text: form.text("spoiler_text"),
        sensitive: false,
        visibility: Some(form.text("visibility")).filter(|v| !v.is_empty()),
        in_reply_to_id: reply_to,
        media_ids: vec![],
        language: None,
        poll: None,
    };
    let result = async {
        for (name, upload) in form.files.iter().cloned() {
            if name != "media" || upload.bytes.is_empty() {
                continue;
            }
            let m = media::store_upload(
                &state,
                user.account.id,
                upload,
                &form.text("media_description"),
                Purpose::Attachment,
            )
            .await?;
            compose.media_ids.push(m.id);
        }
        svc::create(&state, &user.account, compose.clone()).await
    }
    .await;
    if result.is_err() {
        // The form comes back without the file; what was stored for it must not linger.
        media::discard(&state, &compose.media_ids).await;
    }
    match result {
        Ok(s) => {
            let to = if reply_to.is_some() { status_url(&state, s.id).await? } else { "/".to_owned() };
            Ok(redirect_with(&state, &to, "Your post has been published"))
        }
        Err(e) if e.kind != ErrorKind::Internal && e.kind != ErrorKind::NotFound => {
            // Show the form again with what they wrote and the problem.
            let message = e.message.trim_start_matches("Validation failed: ").to_owned();
            let mut c = ComposeForm::new(&state);
            c.error = Some(if message == "Text can't be blank" { "Enter some text to post".into() } else { message });
            c.text = form.text("status");
            c.spoiler = form.text("spoiler_text");
            c.visibility = form.text("visibility");
            let status = if e.kind == ErrorKind::PayloadTooLarge {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            match reply_to {
                Some(parent) => {
                    let page = thread_page(&state, Some(&user), &anon, &headers, parent, Some(c)).await?;
                    Ok(render(status, &page, false))
                }
                None => {
                    let page = home_page(&state, &user, &anon, &headers, &HashMap::new(), c).await?;
                    Ok(render(status, &page, false))
                }
            }
        }
        Err(e) => Err(crate::web::error_page(&state, e)),
    }
}

#[derive(Clone, Copy)]
enum Action {
    Favourite,
    Unfavourite,
    Reblog,
    Unreblog,
    Bookmark,
    Unbookmark,
    Pin,
    Unpin,
}

async fn action(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
    what: Action,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let id = id_of(&state, &id)?;
    let me = &user.account;
    let (result, message) = match what {
        Action::Favourite => (svc::favourite(&state, me, id).await, "Liked"),
        Action::Unfavourite => (svc::unfavourite(&state, me, id).await, "Like removed"),
        Action::Reblog => (svc::reblog(&state, me, id).await.map(|_| ()), "Boosted"),
        Action::Unreblog => (svc::unreblog(&state, me, id).await.map(|_| ()), "Boost removed"),
        Action::Bookmark => (svc::bookmark(&state, me, id, true).await, "Saved to your private space"),
        Action::Unbookmark => (svc::bookmark(&state, me, id, false).await, "Removed from saved posts"),
        Action::Pin => (svc::pin(&state, me, id, true).await, "Pinned to your profile"),
        Action::Unpin => (svc::pin(&state, me, id, false).await, "Unpinned"),
    };
    result.or_page(&state)?;
    let back = status_url(&state, id).await.unwrap_or_else(|_| "/".into());
    Ok(redirect_with(&state, &back, message))
}

#[derive(Template, WebTemplate)]
#[template(path = "edit.html")]
struct EditPage {
    layout: Layout,
    errors: Vec<(&'static str, String)>,
    status_id: String,
    text: String,
    spoiler: String,
    back: String,
}

async fn own_status(
    state: &AppState,
    user: &WebUser,
    id: i64,
) -> Result<crate::db::entities::statuses::Model, Response> {
    let s = svc::readable(state, Some(user.account.id), id).await.or_page(state)?;
    if s.account_id != user.account.id || s.reblog_of_id.is_some() {
        return Err(crate::web::error_page(state, AppError::forbidden("You can only change your own posts")));
    }
    Ok(s)
}

async fn edit_form(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let id = id_of(&state, &id)?;
    let s = own_status(&state, &user, id).await?;
    let page = EditPage {
        layout: layout(&state, Some(&user), &anon, &headers, "Edit your post", "").await,
        errors: vec![],
        status_id: s.id.to_string(),
        text: s.source.clone(),
        spoiler: s.spoiler_text.clone(),
        back: status_url(&state, id).await?,
    };
    Ok(render(StatusCode::OK, &page, false))
}

async fn edit(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let id = id_of(&state, &id)?;
    own_status(&state, &user, id).await?;
    let media_ids =
        sq::media_for_statuses(&state.db.conn, &[id]).await.or_page(&state)?.into_iter().map(|m| m.id).collect();
    let c =
        Compose { text: form.text("status"), spoiler_text: form.text("spoiler_text"), media_ids, ..Default::default() };
    match svc::edit(&state, &user.account, id, c).await {
        Ok(_) => Ok(redirect_with(&state, &status_url(&state, id).await?, "Your post has been updated")),
        Err(e) if e.kind == ErrorKind::Unprocessable => {
            let page = EditPage {
                layout: layout(&state, Some(&user), &anon, &headers, "Edit your post", "").await,
                errors: vec![("status", e.message.trim_start_matches("Validation failed: ").to_owned())],
                status_id: id.to_string(),
                text: form.text("status"),
                spoiler: form.text("spoiler_text"),
                back: status_url(&state, id).await?,
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false))
        }
        Err(e) => Err(crate::web::error_page(&state, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "confirm_delete.html")]
struct DeletePage {
    layout: Layout,
    cards: Vec<Card>,
    status_id: String,
    back: String,
}

async fn delete_form(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let id = id_of(&state, &id)?;
    let s = own_status(&state, &user, id).await?;
    let list = views::statuses(&state.db.conn, Some(user.account.id), vec![s]).await.or_page(&state)?;
    let page = DeletePage {
        layout: layout(&state, Some(&user), &anon, &headers, "Delete your post", "").await,
        cards: cards(&list, Some(user.account.id)),
        status_id: id.to_string(),
        back: status_url(&state, id).await?,
    };
    Ok(render(StatusCode::OK, &page, false))
}

async fn delete(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let id = id_of(&state, &id)?;
    svc::delete(&state, &user.account, id).await.or_page(&state)?;
    Ok(redirect_with(&state, &format!("/@{}", user.account.username), "Your post has been deleted"))
}

#[derive(Template, WebTemplate)]
#[template(path = "history.html")]
struct HistoryPage {
    layout: Layout,
    versions: Vec<(String, String, String)>,
    back: String,
}

async fn history(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let id = id_of(&state, &id)?;
    let viewer = user.as_ref().map(|u| u.account.id);
    let (s, edits) = svc::history(&state, viewer, id).await.or_page(&state)?;
    let mut versions: Vec<(String, String, String)> = edits
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let label = if i == 0 {
                "Original".to_owned()
            } else {
                format!("Edited {}", crate::web::cards::date_label(e.created_at))
            };
            (label, e.spoiler_text.clone(), e.content.clone())
        })
        .collect();
    if versions.is_empty() {
        versions.push(("Original".into(), s.spoiler_text.clone(), s.content.clone()));
    }
    let page = HistoryPage {
        layout: layout(&state, user.as_ref(), &anon, &headers, "Edit history", "").await,
        versions,
        back: status_url(&state, id).await?,
    };
    Ok(render(StatusCode::OK, &page, false))
}

async fn parent(State(state): State<AppState>, MaybeWebUser(user): MaybeWebUser, Path(id): Path<String>) -> PageResult {
    let id = id_of(&state, &id)?;
    let viewer = user.as_ref().map(|u| u.account.id);
    let s = svc::readable(&state, viewer, id).await.or_page(&state)?;
    let parent = s.in_reply_to_id.ok_or_else(|| crate::web::error_page(&state, AppError::not_found()))?;
    svc::readable(&state, viewer, parent).await.or_page(&state)?;
    Ok(Redirect::to(&status_url(&state, parent).await?).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "file.html")]
struct FilePage {
    layout: Layout,
    cards: Vec<Card>,
    collections: Vec<(String, String, String)>,
    status_id: String,
}

async fn file_form(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let id = id_of(&state, &id)?;
    let s = svc::readable(&state, Some(user.account.id), id).await.or_page(&state)?;
    let list = views::statuses(&state.db.conn, Some(user.account.id), vec![s]).await.or_page(&state)?;
    let collections = sq::collections_of(&state.db.conn, user.account.id)
        .await
        .or_page(&state)?
        .into_iter()
        .map(|c| (c.id.to_string(), c.name, c.description))
        .collect();
    let page = FilePage {
        layout: layout(&state, Some(&user), &anon, &headers, "File in a collection", "saved").await,
        cards: cards(&list, Some(user.account.id)),
        collections,
        status_id: id.to_string(),
    };
    Ok(render(StatusCode::OK, &page, false))
}

async fn file(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let id = id_of(&state, &id)?;
    let collection = id_of(&state, &form.text("collection_id"))?;
    private_space::file(&state, &user.account, collection, id, &form.text("note")).await.or_page(&state)?;
    Ok(redirect_with(&state, &format!("/collections/{collection}"), "Filed in your collection"))
}
