//! Instance-level moderation. An administrator blocks a whole domain: nothing from it is
//! accepted or fetched any more, nothing is sent to it, and what it already sent is removed. Or
//! limits ("silences") it: its posts reach only people who follow its accounts, its follow
//! requests need approval, and its accounts' notifications reach only those who follow them.
use crate::app::AppState;
use crate::db::entities::users;
use crate::db::queries::{graph, instances, statuses as sq};
use crate::error::{AppError, AppResult};

/// A domain as administrators type it: `host` or `host:port`, lower case, no scheme or path.
pub fn normalise_domain(input: &str) -> AppResult<String> {
    let d =
        input.trim().trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        && !d.starts_with('.')
        && !d.starts_with('-');
    if ok { Ok(d) } else { Err(AppError::unprocessable("Enter a domain like example.org")) }
}

pub async fn block(state: &AppState, admin: &users::Model, domain: &str) -> AppResult<String> {
    if admin.role != "admin" {
        return Err(AppError::forbidden("Only administrators can do this"));
    }
    let domain = normalise_domain(domain)?;
    if domain == state.settings.domain {
        return Err(AppError::unprocessable("You cannot block this node's own domain"));
    }
    let tx = state.db.begin_write().await?;
    instances::set_blocked(&*tx, &domain, true).await?;
    // Remove what the domain sent: its accounts' posts and boosts, and follows either way.
    for account in crate::db::queries::accounts::accounts_of_domain(&*tx, &domain).await? {
        sq::delete_all_statuses_of(&*tx, account.id).await?;
        graph::delete_all_follows_of(&*tx, account.id).await?;
    }
    tx.commit().await?;
    Ok(domain)
}

/// Limits a domain (its posts stay, seen only by its accounts' followers).
pub async fn limit(state: &AppState, admin: &users::Model, domain: &str) -> AppResult<String> {
    if admin.role != "admin" {
        return Err(AppError::forbidden("Only administrators can do this"));
    }
    let domain = normalise_domain(domain)?;
    if domain == state.settings.domain {
        return Err(AppError::unprocessable("You cannot limit this node's own domain"));
    }
    let tx = state.db.begin_write().await?;
    instances::set_moderation(&*tx, &domain, false, true).await?;
    tx.commit().await?;
    Ok(domain)
}

/// Lifts a block or a limit.
pub async fn unblock(state: &AppState, admin: &users::Model, domain: &str) -> AppResult<()> {
    if admin.role != "admin" {
        return Err(AppError::forbidden("Only administrators can do this"));
    }
    let domain = normalise_domain(domain)?;
    let tx = state.db.begin_write().await?;
    instances::set_moderation(&*tx, &domain, false, false).await?;
    tx.commit().await?;
    Ok(())
}
