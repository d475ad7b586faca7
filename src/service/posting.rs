//! Posting from the client API: now or at a scheduled time, and at most once per
//! `Idempotency-Key`. The key is recorded in the same transaction as the post, under a unique
//! index, so two requests with the same key (even at the same moment) make one post.
use sea_orm::ConnectionTrait;

use super::statuses::{self, Compose};
use crate::app::AppState;
use crate::db::entities::{accounts, idempotency_keys, scheduled_statuses, statuses as status_rows};
use crate::db::queries::{scheduled as qs, statuses as sq};
use crate::error::{AppError, AppResult};

/// How long a key names its post (as on Mastodon).
const KEY_HOURS: i64 = 1;

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 512;

/// What a request to post made (or had made, for a repeated key).
#[derive(Debug, Clone)]
pub enum Posted {
    Status(status_rows::Model),
    Scheduled(scheduled_statuses::Model),
}

/// Posts now, or schedules for `at`. With `key`, a second request from the same member within
/// the hour returns what the first made and makes nothing.
pub async fn post(
    state: &AppState,
    author: &accounts::Model,
    c: Compose,
    at: Option<chrono::DateTime<chrono::Utc>>,
    key: Option<&str>,
) -> AppResult<Posted> {
    if key.is_some_and(|k| k.len() > MAX_KEY_LEN) {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Idempotency-Key is too long (maximum is {MAX_KEY_LEN} characters)"
        )));
    }
    let tx = state.db.begin_write().await?;
    let id = crate::ids::next_id();
    if let Some(key) = key
        && let Some(earlier) = claim(&*tx, author.id, key, id, at.is_some()).await?
    {
        // Nothing of this request is kept.
        return Ok(earlier);
    }
    let posted = match at {
        Some(at) => Posted::Scheduled(super::scheduled::insert_in(state, &*tx, author, &c, at, id, key).await?),
        None => Posted::Status(statuses::insert_new(state, &*tx, author, &c, id, &[]).await?),
    };
    tx.commit().await?;
    state.wake_jobs();
    Ok(posted)
}

/// Records `key` for the post `id` about to be made; or returns what an earlier request with
/// the key made. A key older than an hour, or whose post is gone, is taken over.
async fn claim(
    db: &impl ConnectionTrait,
    account: i64,
    key: &str,
    id: i64,
    scheduled: bool,
) -> AppResult<Option<Posted>> {
    // Expired keys go first, so that they neither pile up nor name an old post.
    qs::delete_old_keys(db, account, chrono::Utc::now() - chrono::Duration::hours(KEY_HOURS)).await?;
    for _ in 0..3 {
        let now = chrono::Utc::now();
        let row = idempotency_keys::Model {
            id: crate::ids::next_id(),
            account_id: account,
            key: key.to_owned(),
            status_id: (!scheduled).then_some(id),
            scheduled_status_id: scheduled.then_some(id),
            created_at: now,
        };
        if qs::claim_key(db, row).await? {
            return Ok(None);
        }
        let Some(earlier) = qs::key_of(db, account, key).await? else { continue };
        let found = match (earlier.status_id, earlier.scheduled_status_id) {
            (Some(s), _) => sq::status_by_id(db, s).await?.map(Posted::Status),
            (None, Some(s)) => qs::by_id(db, s).await?.map(Posted::Scheduled),
            (None, None) => None,
        };
        match found {
            Some(p) => return Ok(Some(p)),
            None => qs::delete_key(db, earlier.id).await?,
        }
    }
    Err(AppError::conflict("Another request with this Idempotency-Key is being processed; try again"))
}
