//! Who favourited and who boosted a post, and muting a post's conversation. Each first asks
//! `visibility` whether the viewer may read the post: if not, the post does not exist for them.
use crate::app::AppState;
use crate::db::entities::accounts;
use crate::db::queries::{Page, discovery, moderation};
use crate::error::{AppError, AppResult};
use crate::service::views::{self, AccountView};

/// Accounts listed with the paging ids of the rows they came from (newest first).
pub struct Paged {
    pub accounts: Vec<AccountView>,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// Keeps the order of `ids`, dropping suspended accounts.
async fn accounts_in_order(state: &AppState, ids: &[i64]) -> AppResult<Vec<AccountView>> {
    let list = views::accounts(&state.db.conn, ids).await?;
    Ok(list.into_iter().filter(|a| !a.account.suspended).collect())
}

/// Who favourited a status the viewer may read (404 otherwise).
pub async fn favourited_by(state: &AppState, viewer: Option<i64>, id: i64, page: Page) -> AppResult<Paged> {
    let s = crate::service::statuses::readable(state, viewer, id).await?;
    if s.reblog_of_id.is_some() {
        return Err(AppError::not_found());
    }
    let rows = discovery::favourites_of_status(&state.db.conn, s.id, page).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    Ok(Paged {
        accounts: accounts_in_order(state, &ids).await?,
        first: rows.first().map(|r| r.id),
        last: rows.last().map(|r| r.id),
    })
}

/// Who boosted a status the viewer may read (404 otherwise).
pub async fn reblogged_by(state: &AppState, viewer: Option<i64>, id: i64, page: Page) -> AppResult<Paged> {
    let s = crate::service::statuses::readable(state, viewer, id).await?;
    if s.reblog_of_id.is_some() {
        return Err(AppError::not_found());
    }
    let rows = discovery::boosts_of_status(&state.db.conn, s.id, page).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    Ok(Paged {
        accounts: accounts_in_order(state, &ids).await?,
        first: rows.first().map(|r| r.id),
        last: rows.last().map(|r| r.id),
    })
}

/// Mutes (or unmutes) notifications from the conversation of a status the member may read.
/// As Mastodon's documentation says, it must be a conversation they take part in: they wrote
/// or were mentioned in one of its posts.
pub async fn mute_conversation(state: &AppState, me: &accounts::Model, id: i64, mute: bool) -> AppResult<()> {
    let s = crate::service::statuses::readable(state, Some(me.id), id).await?;
    if s.reblog_of_id.is_some() {
        return Err(AppError::not_found());
    }
    let tx = state.db.begin_write().await?;
    if mute {
        if !moderation::takes_part_in(&*tx, me.id, s.thread_id).await? {
            return Err(AppError::unprocessable("Validation failed: you are not part of this conversation"));
        }
        moderation::mute_conversation(&*tx, me.id, s.thread_id).await?;
    } else {
        moderation::unmute_conversation(&*tx, me.id, s.thread_id).await?;
    }
    tx.commit().await?;
    Ok(())
}
