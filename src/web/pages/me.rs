//! A member's own pages: notifications, private space, profile settings, invitations, follow
//! requests, and following from profile pages.
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

use super::timelines::account_by_handle;
use super::{OrPage, PageResult, csrf, layout, older_link, page_from, redirect_with};
use crate::api::body::ApiForm;
use crate::app::AppState;
use crate::db::queries::{accounts as aq, graph, notifications as nq};
use crate::error::{AppError, ErrorKind};
use crate::service::profile::{self, Field, ProfileUpdate, expertise_of, fields_of};
use crate::service::{accounts, follows, private_space, timelines, views};
use crate::web::cards::{date_label, display_name, role_line};
use crate::web::session::{AnonCsrf, WebUser};
use crate::web::{Card, Layout, card, cards, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(notifications))
        .route("/bookmarks", get(bookmarks))
        .route("/collections", get(collections).post(create_collection))
        .route("/collections/{id}", get(collection))
        .route("/collections/{id}/delete", post(delete_collection))
        .route("/collections/{id}/remove", post(remove_from_collection))
        .route("/settings/profile", get(settings_form).post(save_settings))
        .route("/invite", get(invite_form).post(invite))
        .route("/follow_requests", get(follow_requests))
        .route("/follow_requests/{id}/authorize", post(authorize))
        .route("/follow_requests/{id}/reject", post(reject))
        .route("/{handle}/{id}", post(relationship_action))
}

const PAGE: u64 = 20;

pub struct NoteItem {
    pub kind: String,
    pub actor_url: String,
    pub actor_name: String,
    pub text: &'static str,
    pub created_iso: String,
    pub created_label: String,
    pub read: bool,
    pub card: Option<Card>,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    items: Vec<NoteItem>,
    older: Option<String>,
}

async fn notifications(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let me = user.account.id;
    let (list, _, last) =
        timelines::notifications(&state, me, None, None, page_from(&q, PAGE)).await.or_page(&state)?;
    let items = list
        .iter()
        .map(|n| NoteItem {
            kind: n.notification.kind.clone(),
            actor_url: format!("/@{}", crate::api::model::status::handle_of(&n.account.account)),
            actor_name: display_name(&n.account),
            text: match n.notification.kind.as_str() {
                "follow" => "followed you",
                "follow_request" => "asked to follow you",
                "favourite" => "liked your post",
                "reblog" => "boosted your post",
                "mention" => "mentioned you",
                "poll" => "has a poll that ended",
                _ => "did something",
            },
            created_iso: n.notification.created_at.to_rfc3339(),
            created_label: date_label(n.notification.created_at),
            read: n.notification.read,
            card: n.status.as_ref().map(|s| card(s, Some(me))),
        })
        .collect::<Vec<_>>();
    // Seeing them marks them read.
    {
        let _w = state.db.write_lock().await;
        nq::mark_all_read(&state.db.conn, me).await.or_page(&state)?;
    }
    let page = NotificationsPage {
        layout: layout(&state, Some(&user), &anon, &headers, "Notifications", "notifications").await,
        older: older_link("/notifications", last, last.is_some()),
        items,
    };
    Ok(render(StatusCode::OK, &page, false))
}

#[derive(Template, WebTemplate)]
#[template(path = "saved.html")]
struct SavedPage {
    layout: Layout,
    heading: String,
    tab: &'static str,
    description: Option<String>,
    collection_id: Option<String>,
    cards: Vec<Card>,
    older: Option<String>,
}

async fn bookmarks(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let me = user.account.id;
    let (list, _first, last) = timelines::bookmarks(&state, me, page_from(&q, PAGE)).await.or_page(&state)?;
    let full = !list.is_empty();
    let page = SavedPage {
        layout: layout(&state, Some(&user), &anon, &headers, "Saved posts", "saved").await,
        heading: "Saved posts".into(),
        tab: "bookmarks",
        description: None,
        collection_id: None,
        cards: cards(&list, Some(me)),
        older: older_link("/bookmarks", last, full),
    };
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

#[derive(Template, WebTemplate)]
#[template(path = "collections.html")]
struct CollectionsPage {
    layout: Layout,
    collections: Vec<(String, String, String)>,
    errors: Vec<(&'static str, String)>,
    name: String,
}

async fn collections_page(
    state: &AppState,
    user: &WebUser,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    errors: Vec<(&'static str, String)>,
    name: String,
) -> Result<CollectionsPage, axum::response::Response> {
    let list = crate::db::queries::statuses::collections_of(&state.db.conn, user.account.id)
        .await
        .or_page(state)?
        .into_iter()
        .map(|c| (c.id.to_string(), c.name, c.description))
        .collect();
    Ok(CollectionsPage {
        layout: layout(state, Some(user), anon, headers, "Collections", "saved").await,
        collections: list,
        errors,
        name,
    })
}

async fn collections(State(state): State<AppState>, user: WebUser, anon: AnonCsrf, headers: HeaderMap) -> PageResult {
    let page = collections_page(&state, &user, &anon, &headers, vec![], String::new()).await?;
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

async fn create_collection(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    match private_space::create_collection(&state, &user.account, &form.text("name"), &form.text("description")).await {
        Ok(c) => Ok(redirect_with(&state, &format!("/collections/{}", c.id), "Collection created")),
        Err(e) if e.kind == ErrorKind::Unprocessable => {
            let msg = e.message.trim_start_matches("Validation failed: ").to_owned();
            let page = collections_page(&state, &user, &anon, &headers, vec![("name", msg)], form.text("name")).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false))
        }
        Err(e) => Err(crate::web::error_page(&state, e)),
    }
}

async fn collection(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let id = super::id_of(&state, &id)?;
    let c = private_space::mine(&state, &user.account, id).await.or_page(&state)?;
    let (list, last) =
        timelines::collection(&state, user.account.id, c.id, page_from(&q, PAGE)).await.or_page(&state)?;
    let full = !list.is_empty();
    let page = SavedPage {
        layout: layout(&state, Some(&user), &anon, &headers, &c.name, "saved").await,
        heading: c.name.clone(),
        tab: "collections",
        description: Some(c.description.clone()).filter(|d| !d.is_empty()),
        collection_id: Some(c.id.to_string()),
        cards: cards(&list, Some(user.account.id)),
        older: older_link(&format!("/collections/{}", c.id), last, full),
    };
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

async fn delete_collection(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let id = super::id_of(&state, &id)?;
    private_space::delete_collection(&state, &user.account, id).await.or_page(&state)?;
    Ok(redirect_with(&state, "/collections", "Collection deleted"))
}

async fn remove_from_collection(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let id = super::id_of(&state, &id)?;
    let status = crate::ids::parse_id(&form.text("status_id"))
        .ok_or_else(|| crate::web::error_page(&state, AppError::not_found()))?;
    private_space::unfile(&state, &user.account, id, status).await.or_page(&state)?;
    Ok(redirect_with(&state, &format!("/collections/{id}"), "Removed from the collection"))
}

pub struct ProfileField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub error: String,
    pub value: String,
    pub multiline: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings_profile.html")]
struct SettingsPage {
    layout: Layout,
    errors: Vec<(&'static str, String)>,
    fields: Vec<ProfileField>,
    links: Vec<(usize, String, String)>,
    locked: bool,
}

const PROFILE_FIELDS: &[(&str, &str, &str, bool)] = &[
    ("display_name", "Display name", "Your name as colleagues know it.", false),
    ("job_title", "Job title", "", false),
    ("organisation", "Organisation", "For example, Leeds City Council or an NHS trust.", false),
    ("location", "Location", "", false),
    ("bio", "Bio", "What you work on and what you can help with.", true),
    (
        "expertise",
        "Expertise",
        "Topics you know about, separated by commas. For example: housing, data protection.",
        false,
    ),
];

async fn settings_page(
    state: &AppState,
    user: &WebUser,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    values: Option<&ApiForm>,
    errors: Vec<(&'static str, String)>,
) -> Result<SettingsPage, axum::response::Response> {
    let a = aq::account_by_id(&state.db.conn, user.account.id)
        .await
        .or_page(state)?
        .ok_or_else(|| crate::web::error_page(state, AppError::not_found()))?;
    let current = |name: &str| -> String {
        match name {
            "display_name" => a.display_name.clone(),
            "job_title" => a.job_title.clone(),
            "organisation" => a.organisation.clone(),
            "location" => a.location.clone(),
            "bio" => a.bio.clone(),
            "expertise" => expertise_of(&a).join(", "),
            _ => String::new(),
        }
    };
    let fields = PROFILE_FIELDS
        .iter()
        .map(|(name, label, hint, multiline)| ProfileField {
            name,
            label,
            hint,
            error: errors.iter().find(|(f, _)| f == name).map(|(_, m)| m.clone()).unwrap_or_default(),
            value: values.map(|f| f.text(name)).unwrap_or_else(|| current(name)),
            multiline: *multiline,
        })
        .collect();
    let saved = fields_of(&a);
    let links = (0..4)
        .map(|i| match values {
            Some(f) => (i, f.text(&format!("link_name_{i}")), f.text(&format!("link_value_{i}"))),
            None => (
                i,
                saved.get(i).map(|f| f.name.clone()).unwrap_or_default(),
                saved.get(i).map(|f| f.value.clone()).unwrap_or_default(),
            ),
        })
        .collect();
    Ok(SettingsPage {
        layout: layout(state, Some(user), anon, headers, "Your profile", "settings").await,
        errors,
        fields,
        links,
        locked: values.map(|f| f.text("locked") == "true").unwrap_or(a.locked),
    })
}

async fn settings_form(State(state): State<AppState>, user: WebUser, anon: AnonCsrf, headers: HeaderMap) -> PageResult {
    let page = settings_page(&state, &user, &anon, &headers, None, vec![]).await?;
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

/// Which form field a profile error belongs to.
fn field_of_error(message: &str) -> &'static str {
    for (name, _, _, _) in PROFILE_FIELDS {
        if message.contains(name) {
            return name;
        }
    }
    if message.contains("expertise") {
        "expertise"
    } else if message.contains("link") {
        "link_name_0"
    } else {
        "avatar"
    }
}

async fn save_settings(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let mut update = ProfileUpdate {
        display_name: Some(form.text("display_name")),
        job_title: Some(form.text("job_title")),
        organisation: Some(form.text("organisation")),
        location: Some(form.text("location")),
        bio: Some(form.text("bio")),
        expertise: Some(form.text("expertise").split(',').map(str::to_owned).collect()),
        fields: Some(
            (0..4)
                .map(|i| Field {
                    name: form.text(&format!("link_name_{i}")),
                    value: form.text(&format!("link_value_{i}")),
                })
                .collect(),
        ),
        locked: Some(form.text("locked") == "true"),
        ..Default::default()
    };
    for (name, upload) in form.files.iter().cloned() {
        if upload.bytes.is_empty() {
            continue;
        }
        match name.as_str() {
            "avatar" => update.avatar = Some(upload),
            "header" => update.header = Some(upload),
            _ => {}
        }
    }
    match profile::update(&state, &user.account, update).await {
        Ok(_) => Ok(redirect_with(&state, "/settings/profile", "Profile saved")),
        Err(e) if matches!(e.kind, ErrorKind::Unprocessable | ErrorKind::PayloadTooLarge) => {
            let msg = e.message.trim_start_matches("Validation failed: ").to_owned();
            let field = field_of_error(&msg);
            let errors = vec![(field, msg)];
            let page = settings_page(&state, &user, &anon, &headers, Some(&form), errors).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false))
        }
        Err(e) => Err(crate::web::error_page(&state, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "invite.html")]
struct InvitePage {
    layout: Layout,
    errors: Vec<(&'static str, String)>,
    emails: String,
    sent: Vec<(String, String, String)>,
}

async fn invite_page(
    state: &AppState,
    user: &WebUser,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    emails: String,
    errors: Vec<(&'static str, String)>,
) -> Result<InvitePage, axum::response::Response> {
    let now = chrono::Utc::now();
    let sent = aq::invites_by(&state.db.conn, user.account.id)
        .await
        .or_page(state)?
        .into_iter()
        .map(|i| {
            let status = if i.used_at.is_some() {
                "Joined"
            } else if i.expires_at < now {
                "Expired"
            } else {
                "Sent"
            };
            (i.email, i.created_at.format("%-d %B %Y").to_string(), status.to_owned())
        })
        .collect();
    Ok(InvitePage {
        layout: layout(state, Some(user), anon, headers, "Invite a colleague", "invite").await,
        errors,
        emails,
        sent,
    })
}

async fn invite_form(State(state): State<AppState>, user: WebUser, anon: AnonCsrf, headers: HeaderMap) -> PageResult {
    let page = invite_page(&state, &user, &anon, &headers, String::new(), vec![]).await?;
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

async fn invite(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    match accounts::invite(&state, &user.account, &form.text("emails")).await {
        Ok(list) => {
            state.wake_jobs();
            let n = list.len();
            Ok(redirect_with(&state, "/invite", &format!("{n} invitation{} sent", if n == 1 { "" } else { "s" })))
        }
        Err(errors) => {
            let page = invite_page(&state, &user, &anon, &headers, form.text("emails"), errors.0).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "follow_requests.html")]
struct FollowRequestsPage {
    layout: Layout,
    requests: Vec<(String, String, String, String)>,
}

async fn follow_requests(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
) -> PageResult {
    let rows = graph::follow_requests_to(
        &state.db.conn,
        user.account.id,
        crate::db::queries::Page { limit: 100, ..Default::default() },
    )
    .await
    .or_page(&state)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    let list = views::accounts(&state.db.conn, &ids).await.or_page(&state)?;
    let page = FollowRequestsPage {
        layout: layout(&state, Some(&user), &anon, &headers, "Follow requests", "profile").await,
        requests: list
            .iter()
            .map(|a| {
                (
                    a.account.id.to_string(),
                    display_name(a),
                    format!("@{}", crate::api::model::status::handle_of(&a.account)),
                    role_line(a),
                )
            })
            .collect(),
    };
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

async fn answer(state: AppState, user: WebUser, anon: AnonCsrf, id: String, form: ApiForm, accept: bool) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let id = super::id_of(&state, &id)?;
    follows::answer_request(&state, &user.account, id, accept).await.or_page(&state)?;
    Ok(redirect_with(&state, "/follow_requests", if accept { "Request accepted" } else { "Request rejected" }))
}

async fn authorize(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    answer(state, user, anon, id, form, true).await
}

async fn reject(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    answer(state, user, anon, id, form, false).await
}

/// Follow, unfollow, block, unblock, mute, unmute from a profile page.
async fn relationship_action(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path((handle, action)): Path<(String, String)>,
    form: ApiForm,
) -> PageResult {
    csrf(&state, Some(&user), &anon, &form)?;
    let target = account_by_handle(&state, &handle).await?;
    let me = &user.account;
    let (result, message) = match action.as_str() {
        "follow" => (
            follows::follow(&state, me, target.id).await,
            if target.locked { "Follow request sent" } else { "You are now following them" },
        ),
        "unfollow" => (follows::unfollow(&state, me, target.id).await, "You are no longer following them"),
        "block" => (follows::block(&state, me, target.id).await, "Blocked"),
        "unblock" => (follows::unblock(&state, me, target.id).await, "Unblocked"),
        "mute" => (follows::mute(&state, me, target.id, true, None).await, "Muted"),
        "unmute" => (follows::unmute(&state, me, target.id).await, "Unmuted"),
        _ => return Err(crate::web::error_page(&state, AppError::not_found())),
    };
    result.or_page(&state)?;
    Ok(redirect_with(&state, &format!("/@{}", target.username), message))
}
