//! Direct conversations: a member's direct posts grouped by thread and by who takes part, as
//! Mastodon's conversations. They are worked out from the direct posts the member may read
//! (written by them or mentioning them), so a post arriving from anywhere shows up at once and
//! nobody else's direct post ever does. Only what the member marked is stored: read up to,
//! hidden up to (a new post in a hidden conversation brings it back, as on Mastodon).
use std::collections::HashMap;

use crate::app::AppState;
use crate::db::entities::statuses;
use crate::db::queries::{Page, conversations as cq, statuses as sq};
use crate::error::{AppError, AppResult};
use crate::service::views::{self, AccountView, StatusView};
use crate::service::visibility;

/// How many of a member's newest direct posts conversations are made from.
const WINDOW: u64 = 2000;

/// One conversation as its member sees it.
#[derive(Debug, Clone)]
pub struct ConversationView {
    /// The id of the conversation's first post (stable while the conversation lasts).
    pub id: i64,
    pub unread: bool,
    /// The other participants.
    pub accounts: Vec<AccountView>,
    pub last_status: StatusView,
}

/// A conversation before hydration.
struct Group {
    id: i64,
    participants: Vec<i64>,
    last: statuses::Model,
}

/// The member's conversations, newest activity first (not yet paged or hidden).
async fn groups(state: &AppState, me: i64) -> AppResult<Vec<Group>> {
    let db = &state.db.conn;
    let mut f = vec![visibility::list_filter(Some(me)), cq::direct_posts_of(me)];
    f.extend(visibility::block_filter(Some(me)));
    let window = Page { max_id: None, since_id: None, min_id: None, limit: WINDOW };
    let posts = sq::select_statuses(db, f, window).await?;
    let ids: Vec<i64> = posts.iter().map(|s| s.id).collect();
    let mentions = sq::mentions_for(db, &ids).await?;
    let mut by_key: HashMap<(i64, Vec<i64>), Group> = HashMap::new();
    // Oldest first, so that a group's id is its first post and `last` its newest.
    for s in posts.into_iter().rev() {
        let mut people: Vec<i64> = mentions.iter().filter(|m| m.status_id == s.id).map(|m| m.account_id).collect();
        people.push(s.account_id);
        people.retain(|p| *p != me);
        people.sort_unstable();
        people.dedup();
        let key = (s.thread_id, people.clone());
        match by_key.get_mut(&key) {
            Some(g) => g.last = s,
            None => {
                by_key.insert(key, Group { id: s.id, participants: people, last: s });
            }
        }
    }
    let mut out: Vec<Group> = by_key.into_values().collect();
    out.sort_by_key(|g| std::cmp::Reverse(g.last.id));
    Ok(out)
}

async fn hydrate(state: &AppState, me: i64, list: Vec<(Group, bool)>) -> AppResult<Vec<ConversationView>> {
    let db = &state.db.conn;
    let lasts: Vec<statuses::Model> = list.iter().map(|(g, _)| g.last.clone()).collect();
    let status_views = views::statuses(db, Some(me), lasts).await?;
    let people: Vec<i64> = list.iter().flat_map(|(g, _)| g.participants.iter().copied()).collect();
    let accounts = views::accounts(db, &people).await?;
    Ok(list
        .into_iter()
        .filter_map(|(g, unread)| {
            let last_status = status_views.iter().find(|v| v.status.id == g.last.id)?.clone();
            Some(ConversationView {
                id: g.id,
                unread,
                accounts: g
                    .participants
                    .iter()
                    .filter_map(|p| accounts.iter().find(|a| a.account.id == *p).cloned())
                    .collect(),
                last_status,
            })
        })
        .collect())
}

/// The member's conversations, paged by their last post's id (as Mastodon does).
pub async fn list(state: &AppState, me: i64, page: Page) -> AppResult<Vec<ConversationView>> {
    let marks = cq::marks_of(&state.db.conn, me).await?;
    let mut visible: Vec<(Group, bool)> = Vec::new();
    for g in groups(state, me).await? {
        let mark = marks.iter().find(|m| m.conversation_id == g.id);
        if mark.is_some_and(|m| g.last.id <= m.hidden_up_to) {
            continue;
        }
        let id = g.last.id;
        if page.max_id.is_some_and(|max| id >= max) || page.since_id.or(page.min_id).is_some_and(|min| id <= min) {
            continue;
        }
        let unread = g.last.account_id != me && mark.is_none_or(|m| g.last.id > m.read_up_to);
        visible.push((g, unread));
    }
    let limit = page.limit as usize;
    if page.ascending() && visible.len() > limit {
        // Reading upwards from `min_id`: the conversations just above it.
        visible.drain(..visible.len() - limit);
    }
    visible.truncate(limit);
    hydrate(state, me, visible).await
}

/// The conversation a new direct post of `me`'s (written or received) is the newest post of,
/// with the same id `list` gives it: for the `direct` stream. `None` when the post is not in
/// one of `me`'s conversations (not readable, or by or of someone `me` blocks).
pub async fn of_new_post(state: &AppState, me: i64, status: i64) -> AppResult<Option<ConversationView>> {
    let Some(g) = groups(state, me).await?.into_iter().find(|g| g.last.id == status) else { return Ok(None) };
    let mark = cq::marks_of(&state.db.conn, me).await?.into_iter().find(|m| m.conversation_id == g.id);
    let unread = g.last.account_id != me && mark.is_none_or(|m| g.last.id > m.read_up_to);
    Ok(hydrate(state, me, vec![(g, unread)]).await?.pop())
}

async fn find(state: &AppState, me: i64, id: i64) -> AppResult<Group> {
    groups(state, me).await?.into_iter().find(|g| g.id == id).ok_or_else(AppError::not_found)
}

/// Marks a conversation read; 404 unless the member takes part in it.
pub async fn mark_read(state: &AppState, me: i64, id: i64) -> AppResult<ConversationView> {
    let g = find(state, me, id).await?;
    let tx = state.db.begin_write().await?;
    cq::set_mark(&*tx, me, g.id, g.last.id, None).await?;
    tx.commit().await?;
    hydrate(state, me, vec![(g, false)]).await?.pop().ok_or_else(AppError::not_found)
}

/// Hides a conversation until someone posts in it again; 404 unless the member takes part.
pub async fn hide(state: &AppState, me: i64, id: i64) -> AppResult<()> {
    let g = find(state, me, id).await?;
    let tx = state.db.begin_write().await?;
    cq::set_mark(&*tx, me, g.id, g.last.id, Some(g.last.id)).await?;
    tx.commit().await?;
    Ok(())
}
