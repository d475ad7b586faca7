//! Finding accounts and posts, here or on other servers (`@user@host` or an object URL).
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;

use crate::app::AppState;
use crate::db::queries::accounts as aq;
use crate::federation::objects::{ApubNote, ApubPerson};

/// Ids of what a search found.
#[derive(Debug, Default)]
pub struct Found {
    pub accounts: Vec<i64>,
    pub statuses: Vec<i64>,
}

/// Looks `q` up: `@user@host` (fetched through WebFinger when `resolve`), a URL of a remote
/// actor or post (fetched when `resolve`), or local user names.
pub async fn search(state: &AppState, q: &str, resolve: bool) -> Found {
    let q = q.trim();
    let mut found = Found::default();
    if q.is_empty() || q.len() > 500 {
        return found;
    }
    let data = state.federation_data();
    if q.starts_with("https://") || q.starts_with("http://") {
        if let (true, Some(data), Ok(url)) = (resolve, data.as_ref(), url::Url::parse(q)) {
            if let Ok(p) = ObjectId::<ApubPerson>::from(url.clone()).dereference(data).await {
                found.accounts.push(p.account.id);
            } else if let Ok(n) = ObjectId::<ApubNote>::from(url).dereference(data).await {
                found.statuses.push(n.status.id);
            }
        }
        return found;
    }
    let handle = q.trim_start_matches('@');
    if let Some((user, host)) = handle.split_once('@') {
        if host.eq_ignore_ascii_case(&state.settings.domain) {
            if let Ok(Some(a)) = aq::local_account_by_username(&state.db.conn, user).await {
                found.accounts.push(a.id);
            }
            return found;
        }
        match aq::remote_account(&state.db.conn, user, host).await {
            Ok(Some(a)) => found.accounts.push(a.id),
            _ => {
                if let (true, Some(data)) = (resolve, data.as_ref()) {
                    match webfinger_resolve_actor::<AppState, ApubPerson>(handle, data).await {
                        Ok(p) => found.accounts.push(p.account.id),
                        Err(e) => tracing::info!(handle, error = %e, "remote account not found"),
                    }
                }
            }
        }
        return found;
    }
    if let Ok(list) = aq::search_local_accounts(&state.db.conn, handle, 20).await {
        found.accounts.extend(list.into_iter().map(|a| a.id));
    }
    found
}
