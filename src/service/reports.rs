//! Reports: a member tells the administrators about an account, optionally pointing at some of
//! its posts. A report about a remote account may be forwarded to its server (as a `Flag`,
//! recorded as an outgoing event in the same transaction).
use crate::app::AppState;
use crate::db::entities::{accounts, reports, users};
use crate::db::queries::{accounts as aq, moderation, statuses as sq};
use crate::error::{AppError, AppResult};
use crate::service::outgoing::{self, Outgoing};
use crate::service::visibility;

/// Mastodon's report categories.
pub const CATEGORIES: &[&str] = &["spam", "legal", "violation", "other"];
const MAX_COMMENT: usize = 1000;
const MAX_STATUSES: usize = 100;

/// A report as a member files it.
#[derive(Debug, Default)]
pub struct NewReport {
    pub account_id: i64,
    pub status_ids: Vec<i64>,
    pub comment: String,
    pub category: Option<String>,
    pub rule_ids: Vec<String>,
    pub forward: bool,
}

fn invalid(m: &str) -> AppError {
    AppError::unprocessable(format!("Validation failed: {m}"))
}

/// Files a report. Every check comes first: bad input changes nothing.
pub async fn create(state: &AppState, me: &accounts::Model, r: NewReport) -> AppResult<reports::Model> {
    let db = &state.db.conn;
    let target = aq::account_by_id(db, r.account_id).await?.filter(|a| !a.suspended).ok_or_else(AppError::not_found)?;
    if target.id == me.id {
        return Err(invalid("you cannot report yourself"));
    }
    let comment = r.comment.trim().to_owned();
    if crate::service::char_len(&comment) > MAX_COMMENT {
        return Err(invalid("comment is too long (maximum is 1000 characters)"));
    }
    // khub has no server rules yet, so no rule can be cited.
    if !r.rule_ids.is_empty() {
        return Err(invalid("rule_ids: this server has no rules to cite"));
    }
    let category = match r.category.as_deref() {
        None | Some("") => "other".to_owned(),
        Some("violation") => return Err(invalid("category violation needs rules, and this server has none")),
        Some(c) if CATEGORIES.contains(&c) => c.to_owned(),
        Some(_) => return Err(invalid("category must be spam, legal or other")),
    };
    let mut status_ids = r.status_ids.clone();
    status_ids.sort_unstable();
    status_ids.dedup();
    if status_ids.len() > MAX_STATUSES {
        return Err(invalid("too many statuses (maximum is 100)"));
    }
    for id in &status_ids {
        // Statuses by someone else and statuses the reporter cannot see look the same.
        let ok = match sq::status_by_id(db, *id).await? {
            Some(s) => {
                s.account_id == target.id
                    && s.reblog_of_id.is_none()
                    && visibility::can_read(db, Some(me.id), &s).await?
            }
            None => false,
        };
        if !ok {
            return Err(invalid("status_ids must be posts by the reported account that you can see"));
        }
    }
    let forwarded = r.forward && target.domain.is_some();
    let report = reports::Model {
        id: crate::ids::next_id(),
        account_id: me.id,
        target_account_id: target.id,
        status_ids: serde_json::to_string(&status_ids).map_err(AppError::internal)?,
        comment,
        category,
        forwarded,
        action_taken_at: None,
        action_taken_by: None,
        created_at: chrono::Utc::now(),
    };
    let tx = state.db.begin_write().await?;
    moderation::insert_report(&*tx, report.clone()).await?;
    if forwarded {
        outgoing::emit(&*tx, &Outgoing::Report { report: report.id }).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(report)
}

/// The status ids a report points at.
pub fn status_ids(r: &reports::Model) -> Vec<i64> {
    serde_json::from_str(&r.status_ids).unwrap_or_default()
}

/// An administrator marks a report as dealt with.
pub async fn resolve(state: &AppState, admin: &users::Model, id: i64) -> AppResult<()> {
    if admin.role != "admin" {
        return Err(AppError::forbidden("Only administrators can do this"));
    }
    let tx = state.db.begin_write().await?;
    if !moderation::resolve_report(&*tx, id, admin.id).await? {
        return Err(AppError::not_found_msg("No such open report"));
    }
    tx.commit().await?;
    Ok(())
}
