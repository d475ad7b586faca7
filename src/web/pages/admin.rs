//! The admin pages: members, approvals, site settings, the job queue, reports from members and
//! announcements to them.
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

use super::{FormField, OrPage, PageResult, csrf, layout, redirect_with};
use crate::api::body::ApiForm;
use crate::app::AppState;
use crate::db::queries::{accounts as aq, jobs as jq};
use crate::error::AppError;
use crate::service::accounts;
use crate::web::session::{AnonCsrf, WebUser};
use crate::web::{Layout, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin))
        .route("/admin/settings", post(save_settings))
        .route("/admin/users/{id}/{action}", post(user_action))
        .route("/admin/domain_blocks", post(block_domain))
        .route("/admin/domain_blocks/{domain}/unblock", post(unblock_domain))
        .route("/admin/reports/{id}/resolve", post(resolve_report))
        .route("/admin/announcements", post(create_announcement))
        .route("/admin/announcements/{id}/delete", post(delete_announcement))
}

/// A report as the admin page lists it.
pub struct AdminReport {
    pub id: String,
    pub reporter: String,
    pub target: String,
    pub target_url: String,
    pub category: String,
    pub comment: String,
    /// Links to the reported posts.
    pub statuses: Vec<String>,
    pub forwarded: bool,
    pub created_at: String,
    /// When and by whom it was resolved.
    pub resolved: Option<String>,
}

/// An announcement as the admin page lists it.
pub struct AdminAnnouncement {
    pub id: String,
    pub text: String,
    pub when: String,
    pub published_at: String,
}

pub struct AdminUser {
    pub id: String,
    pub username: String,
    pub email: String,
    pub role: String,
    pub status: &'static str,
    pub reason: String,
    pub disabled: bool,
    pub is_self: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    member_count: u64,
    pending_count: usize,
    queue_depth: u64,
    pending: Vec<AdminUser>,
    users: Vec<AdminUser>,
    older: Option<String>,
    errors: Vec<(&'static str, String)>,
    fields: Vec<FormField>,
    modes: Vec<(&'static str, &'static str)>,
    registration: String,
    /// (domain, "Blocked" or "Limited")
    moderated_domains: Vec<(String, &'static str)>,
    domain_error: String,
    /// (host, failures in a row, status, deliveries waiting)
    failing_hosts: Vec<(String, i32, &'static str, u64)>,
    reports: Vec<AdminReport>,
    announcements: Vec<AdminAnnouncement>,
    announcement_error: String,
    /// What was typed, kept when the form comes back with an error: text, starts, ends, all day.
    announcement_form: (String, String, String, bool),
}

fn require_admin(state: &AppState, user: &WebUser) -> Result<(), axum::response::Response> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(crate::web::error_page(state, AppError::forbidden("Only administrators can see this page")))
    }
}

const USERS_PAGE: u64 = 50;

async fn admin_page(
    state: &AppState,
    user: &WebUser,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    offset: u64,
    form: Option<&ApiForm>,
    errors: Vec<(&'static str, String)>,
) -> Result<AdminPage, axum::response::Response> {
    let db = &state.db.conn;
    let to_row = |(u, a): (crate::db::entities::users::Model, crate::db::entities::accounts::Model)| AdminUser {
        id: u.id.to_string(),
        username: a.username,
        email: u.email,
        role: u.role,
        status: if u.disabled {
            "Disabled"
        } else if !u.approved {
            "Waiting for approval"
        } else if u.confirmed_at.is_none() {
            "Email not confirmed"
        } else {
            "Active"
        },
        reason: u.reason,
        disabled: u.disabled,
        is_self: u.id == user.user.id,
    };
    let pending: Vec<AdminUser> =
        aq::list_users(db, true, 0, 100).await.or_page(state)?.into_iter().map(to_row).collect();
    let users: Vec<AdminUser> =
        aq::list_users(db, false, offset, USERS_PAGE).await.or_page(state)?.into_iter().map(to_row).collect();
    let site_name =
        aq::setting(db, "site_name").await.or_page(state)?.unwrap_or_else(|| state.settings.site_name.clone());
    let site_description = aq::setting(db, "site_description")
        .await
        .or_page(state)?
        .unwrap_or_else(|| state.settings.site_description.clone());
    let mode = accounts::registration_mode(state).await.or_page(state)?;
    let value = |k: &str, current: String| form.map(|f| f.text(k)).unwrap_or(current);
    Ok(AdminPage {
        layout: layout(state, Some(user), anon, headers, "Administration", "admin").await,
        member_count: aq::count_local_users(db).await.or_page(state)?,
        pending_count: pending.len(),
        queue_depth: jq::queue_depth(db).await.or_page(state)?,
        older: (users.len() as u64 == USERS_PAGE).then(|| format!("/admin?offset={}", offset + USERS_PAGE)),
        pending,
        users,
        fields: vec![
            FormField::new("site_name", "Site name", "text").value(&value("site_name", site_name)).errors_from(&errors),
            FormField::new("site_description", "Description", "textarea")
                .hint("One or two sentences shown to visitors and apps.")
                .value(&value("site_description", site_description))
                .errors_from(&errors),
        ],
        errors,
        modes: vec![
            ("open", "Anyone can register"),
            ("approval", "Anyone can ask; an administrator approves"),
            ("invite", "Only people invited by a member"),
            ("closed", "No one"),
        ],
        registration: form.map(|f| f.text("registration")).unwrap_or_else(|| mode.as_str().to_owned()),
        moderated_domains: crate::db::queries::instances::moderated_domains(db)
            .await
            .or_page(state)?
            .into_iter()
            .map(|i| (i.domain, if i.blocked { "Blocked" } else { "Limited" }))
            .collect(),
        domain_error: String::new(),
        failing_hosts: {
            let mut rows = Vec::new();
            for i in crate::db::queries::instances::failing(db).await.or_page(state)? {
                let waiting = jq::depth_of_host(db, &i.domain).await.or_page(state)?;
                let status = if i.unavailable_since.is_some() {
                    "Unavailable: waiting until it is back"
                } else {
                    "Failing: retrying"
                };
                rows.push((i.domain, i.failures, status, waiting));
            }
            rows
        },
        reports: report_rows(state).await.or_page(state)?,
        announcements: announcement_rows(state).await.or_page(state)?,
        announcement_error: String::new(),
        announcement_form: Default::default(),
    })
}

fn handle(a: &crate::db::entities::accounts::Model) -> String {
    match &a.domain {
        Some(d) => format!("{}@{d}", a.username),
        None => a.username.clone(),
    }
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %B %Y %H:%M UTC").to_string()
}

async fn report_rows(state: &AppState) -> crate::error::AppResult<Vec<AdminReport>> {
    let db = &state.db.conn;
    let list = crate::db::queries::moderation::reports(db, 100).await?;
    let mut ids: Vec<i64> = list.iter().flat_map(|r| [r.account_id, r.target_account_id]).collect();
    ids.extend(list.iter().filter_map(|r| r.action_taken_by));
    let people = aq::accounts_by_ids(db, &ids).await?;
    let name = |id: i64| people.iter().find(|a| a.id == id).map(handle).unwrap_or_else(|| "(deleted)".to_owned());
    Ok(list
        .iter()
        .map(|r| {
            let target = name(r.target_account_id);
            AdminReport {
                id: r.id.to_string(),
                reporter: name(r.account_id),
                target_url: format!("/@{target}"),
                category: r.category.clone(),
                comment: r.comment.clone(),
                statuses: crate::service::reports::status_ids(r).iter().map(|s| format!("/@{target}/{s}")).collect(),
                target,
                forwarded: r.forwarded,
                created_at: when(r.created_at),
                resolved: r
                    .action_taken_at
                    .map(|t| format!("{} by {}", when(t), r.action_taken_by.map(name).unwrap_or_default())),
            }
        })
        .collect())
}

async fn announcement_rows(state: &AppState) -> crate::error::AppResult<Vec<AdminAnnouncement>> {
    Ok(crate::service::announcements::all(state)
        .await?
        .into_iter()
        .map(|a| AdminAnnouncement {
            id: a.id.to_string(),
            when: match (a.starts_at, a.ends_at) {
                (Some(s), Some(e)) => format!("From {} to {}", when(s), when(e)),
                (Some(s), None) => format!("From {}", when(s)),
                (None, Some(e)) => format!("Until {}", when(e)),
                (None, None) => String::new(),
            },
            published_at: when(a.published_at),
            text: a.text,
        })
        .collect())
}

async fn admin(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    require_admin(&state, &user)?;
    let offset = q.get("offset").and_then(|o| o.parse::<u64>().ok()).unwrap_or(0).min(1_000_000);
    let page = admin_page(&state, &user, &anon, &headers, offset, None, vec![]).await?;
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

async fn save_settings(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    require_admin(&state, &user)?;
    csrf(&state, Some(&user), &anon, &form)?;
    let name = form.text("site_name").trim().to_owned();
    let description = form.text("site_description").trim().to_owned();
    let registration = form.text("registration");
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push(("site_name", "Enter a site name".to_owned()));
    } else if name.chars().count() > 60 {
        errors.push(("site_name", "Site name must be 60 characters or fewer".to_owned()));
    }
    if description.chars().count() > 500 {
        errors.push(("site_description", "Description must be 500 characters or fewer".to_owned()));
    }
    if !["open", "approval", "invite", "closed"].contains(&registration.as_str()) {
        errors.push(("registration-open", "Choose who can create an account".to_owned()));
    }
    if !errors.is_empty() {
        let page = admin_page(&state, &user, &anon, &headers, 0, Some(&form), errors).await?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false));
    }
    let tx = state.db.begin_write().await.or_page(&state)?;
    aq::set_setting(&*tx, "site_name", &name).await.or_page(&state)?;
    aq::set_setting(&*tx, "site_description", &description).await.or_page(&state)?;
    aq::set_setting(&*tx, "registration", &registration).await.or_page(&state)?;
    tx.commit().await.or_page(&state)?;
    Ok(redirect_with(&state, "/admin#settings", "Settings saved"))
}

async fn user_action(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path((id, action)): Path<(String, String)>,
    form: ApiForm,
) -> PageResult {
    require_admin(&state, &user)?;
    csrf(&state, Some(&user), &anon, &form)?;
    let id = super::id_of(&state, &id)?;
    let message = match action.as_str() {
        "approve" => {
            accounts::decide_approval(&state, &user.user, id, true).await.or_page(&state)?;
            state.wake_jobs();
            "Member approved"
        }
        "reject" => {
            accounts::decide_approval(&state, &user.user, id, false).await.or_page(&state)?;
            "Sign-up rejected"
        }
        "disable" => {
            accounts::set_disabled(&state, &user.user, id, true).await.or_page(&state)?;
            "Account disabled"
        }
        "enable" => {
            accounts::set_disabled(&state, &user.user, id, false).await.or_page(&state)?;
            "Account enabled"
        }
        _ => return Err(crate::web::error_page(&state, AppError::not_found())),
    };
    Ok(redirect_with(&state, "/admin", message))
}

async fn block_domain(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    require_admin(&state, &user)?;
    csrf(&state, Some(&user), &anon, &form)?;
    let domain = form.text("domain");
    let done = match form.text("severity").as_str() {
        "limit" => crate::service::domains::limit(&state, &user.user, &domain).await.map(|d| format!("{d} is limited")),
        "block" => crate::service::domains::block(&state, &user.user, &domain).await.map(|d| format!("{d} is blocked")),
        _ => Err(AppError::unprocessable("Choose whether to limit or block the server")),
    };
    match done {
        Ok(message) => Ok(redirect_with(&state, "/admin#domains", &message)),
        Err(e) if e.kind == crate::error::ErrorKind::Unprocessable => {
            let mut page = admin_page(&state, &user, &anon, &headers, 0, None, vec![]).await?;
            page.domain_error = e.message;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false))
        }
        Err(e) => Err(crate::web::error_page(&state, e)),
    }
}

async fn unblock_domain(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(domain): Path<String>,
    form: ApiForm,
) -> PageResult {
    require_admin(&state, &user)?;
    csrf(&state, Some(&user), &anon, &form)?;
    crate::service::domains::unblock(&state, &user.user, &domain).await.or_page(&state)?;
    Ok(redirect_with(&state, "/admin#domains", &format!("{domain} is no longer blocked or limited")))
}

async fn resolve_report(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    require_admin(&state, &user)?;
    csrf(&state, Some(&user), &anon, &form)?;
    let id = super::id_of(&state, &id)?;
    crate::service::reports::resolve(&state, &user.user, id).await.or_page(&state)?;
    Ok(redirect_with(&state, "/admin#reports", "Report resolved"))
}

/// A date and time from a `datetime-local` (or `date`) field, taken as UTC; empty is none.
fn form_time(raw: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, f) {
            return Ok(Some(t.and_utc()));
        }
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or(())
}

async fn create_announcement(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    require_admin(&state, &user)?;
    csrf(&state, Some(&user), &anon, &form)?;
    let typed = (form.text("text"), form.text("starts_at"), form.text("ends_at"), !form.text("all_day").is_empty());
    let result = match (form_time(&typed.1), form_time(&typed.2)) {
        (Ok(starts_at), Ok(ends_at)) => {
            let new = crate::service::announcements::NewAnnouncement {
                text: typed.0.clone(),
                starts_at,
                ends_at,
                all_day: typed.3,
            };
            crate::service::announcements::create(&state, &user.user, new).await.map(|_| ())
        }
        _ => Err(AppError::unprocessable("Enter dates like 2026-12-24T09:00")),
    };
    match result {
        Ok(()) => Ok(redirect_with(&state, "/admin#announcements", "Announcement published")),
        Err(e) if e.kind == crate::error::ErrorKind::Unprocessable => {
            let mut page = admin_page(&state, &user, &anon, &headers, 0, None, vec![]).await?;
            page.announcement_error = e.message;
            page.announcement_form = typed;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false))
        }
        Err(e) => Err(crate::web::error_page(&state, e)),
    }
}

async fn delete_announcement(
    State(state): State<AppState>,
    user: WebUser,
    anon: AnonCsrf,
    Path(id): Path<String>,
    form: ApiForm,
) -> PageResult {
    require_admin(&state, &user)?;
    csrf(&state, Some(&user), &anon, &form)?;
    let id = super::id_of(&state, &id)?;
    crate::service::announcements::delete(&state, &user.user, id).await.or_page(&state)?;
    Ok(redirect_with(&state, "/admin#announcements", "Announcement deleted"))
}
