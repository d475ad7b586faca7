//! Read models: statuses and accounts with everything a page or an API answer shows, loaded in
//! a few batched queries per page rather than per item.
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

use crate::db::entities::{accounts, media_attachments, notifications, statuses};
use crate::db::queries::{accounts as aq, statuses as sq};

/// An account with its counts and images.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub account: accounts::Model,
    pub avatar: Option<media_attachments::Model>,
    pub header: Option<media_attachments::Model>,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A status with author, media, mentions, tags, counts and the viewer's own marks.
#[derive(Debug, Clone)]
pub struct StatusView {
    pub status: statuses::Model,
    pub account: AccountView,
    pub media: Vec<media_attachments::Model>,
    pub mentions: Vec<accounts::Model>,
    pub tags: Vec<String>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    /// Whether the viewer muted this status's conversation.
    pub muted: bool,
    pub reblog: Option<Box<StatusView>>,
    /// The status's poll with its counts and the viewer's votes.
    pub poll: Option<crate::service::polls::PollView>,
    /// The viewer's filters this status matches (filled by `service::filters`).
    pub filtered: Vec<crate::service::filters::FilterMatch>,
}

/// Loads account views for `ids`, keeping their order.
pub async fn accounts(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<AccountView>, DbErr> {
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let models = aq::accounts_by_ids(db, &unique).await?;
    if models.is_empty() {
        return Ok(Vec::new());
    }
    // Kept by triggers (migration 000016). Direct posts are left out of the count and the date,
    // as on Mastodon: both are public.
    let stats = aq::stats_of(db, &unique).await?;
    let image_ids: Vec<i64> = models.iter().flat_map(|a| [a.avatar_media_id, a.header_media_id]).flatten().collect();
    let images = sq::media_by_ids(db, &image_ids).await?;
    let by_id: HashMap<i64, accounts::Model> = models.into_iter().map(|a| (a.id, a)).collect();
    Ok(ids
        .iter()
        .filter_map(|id| by_id.get(id))
        .map(|a| AccountView {
            avatar: a.avatar_media_id.and_then(|m| images.iter().find(|i| i.id == m).cloned()),
            header: a.header_media_id.and_then(|m| images.iter().find(|i| i.id == m).cloned()),
            followers_count: stats.get(&a.id).map_or(0, |s| s.followers_count),
            following_count: stats.get(&a.id).map_or(0, |s| s.following_count),
            statuses_count: stats.get(&a.id).map_or(0, |s| s.statuses_count),
            last_status_at: stats
                .get(&a.id)
                .and_then(|s| s.last_status_id)
                .map(|id| chrono::DateTime::from_timestamp_millis(id >> 16).unwrap_or_default()),
            account: a.clone(),
        })
        .collect())
}

pub async fn account(db: &impl ConnectionTrait, id: i64) -> Result<Option<AccountView>, DbErr> {
    Ok(accounts(db, &[id]).await?.into_iter().next())
}

/// Hydrates statuses (already filtered for visibility) for `viewer`, keeping their order.
/// Boosts carry the boosted status in `reblog`.
pub async fn statuses(
    db: &impl ConnectionTrait,
    viewer: Option<i64>,
    list: Vec<statuses::Model>,
) -> Result<Vec<StatusView>, DbErr> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let inner_ids: Vec<i64> = list.iter().filter_map(|s| s.reblog_of_id).collect();
    let inner = sq::statuses_by_ids(db, &inner_ids).await?;
    let mut all: Vec<statuses::Model> = list.clone();
    all.extend(inner.iter().cloned());
    let ids: Vec<i64> = all.iter().map(|s| s.id).collect();
    let extras = sq::extras(db, &ids).await?;
    let mut account_ids: Vec<i64> = all.iter().map(|s| s.account_id).collect();
    account_ids.extend(extras.values().flat_map(|e| e.mentions.iter().copied()));
    let account_views = accounts(db, &account_ids).await?;
    let with_media: Vec<i64> = ids.iter().copied().filter(|id| extras.get(id).is_some_and(|e| e.has_media)).collect();
    let media = sq::media_for_statuses(db, &with_media).await?;
    let with_poll: Vec<i64> = ids.iter().copied().filter(|id| extras.get(id).is_some_and(|e| e.has_poll)).collect();
    let polls = crate::service::polls::views(db, viewer, &with_poll).await?;
    let flags = match viewer {
        Some(v) => {
            let mut threads: Vec<i64> = all.iter().map(|s| s.thread_id).collect();
            threads.sort_unstable();
            threads.dedup();
            sq::viewer_flags(db, v, &ids, &threads).await?
        }
        None => Default::default(),
    };
    let build = |s: &statuses::Model| -> Option<StatusView> {
        let account = account_views.iter().find(|a| a.account.id == s.account_id)?.clone();
        let no_extras = sq::StatusExtras::default();
        let e = extras.get(&s.id).unwrap_or(&no_extras);
        Some(StatusView {
            account,
            media: media.iter().filter(|m| m.status_id == Some(s.id)).cloned().collect(),
            mentions: e
                .mentions
                .iter()
                .filter_map(|m| account_views.iter().find(|a| a.account.id == *m).map(|a| a.account.clone()))
                .collect(),
            tags: e.tags.clone(),
            replies_count: e.replies,
            reblogs_count: e.reblogs,
            favourites_count: e.favourites,
            favourited: flags.favourited.contains(&s.id),
            reblogged: flags.reblogged.contains(&s.id),
            bookmarked: flags.bookmarked.contains(&s.id),
            pinned: flags.pinned.contains(&s.id),
            muted: flags.muted_threads.contains(&s.thread_id),
            reblog: None,
            poll: polls.get(&s.id).cloned(),
            filtered: Vec::new(),
            status: s.clone(),
        })
    };
    Ok(list
        .iter()
        .filter_map(|s| {
            let mut v = build(s)?;
            if let Some(inner_id) = s.reblog_of_id {
                let inner_status = inner.iter().find(|i| i.id == inner_id)?;
                v.reblog = Some(Box::new(build(inner_status)?));
            }
            Some(v)
        })
        .collect())
}

/// A notification with its actor and status.
#[derive(Debug, Clone)]
pub struct NotificationView {
    pub notification: notifications::Model,
    pub account: AccountView,
    pub status: Option<StatusView>,
}

/// Hydrates notifications; those whose status the recipient may no longer read are dropped.
pub async fn notifications(
    db: &impl ConnectionTrait,
    viewer: i64,
    list: Vec<notifications::Model>,
) -> Result<Vec<NotificationView>, DbErr> {
    let account_ids: Vec<i64> = list.iter().map(|n| n.from_account_id).collect();
    let accounts = accounts(db, &account_ids).await?;
    let status_ids: Vec<i64> = list.iter().filter_map(|n| n.status_id).collect();
    let raw = sq::statuses_by_ids(db, &status_ids).await?;
    let readable = crate::service::visibility::retain_readable(db, Some(viewer), raw).await?;
    let statuses = statuses(db, Some(viewer), readable).await?;
    Ok(list
        .into_iter()
        .filter_map(|n| {
            let account = accounts.iter().find(|a| a.account.id == n.from_account_id)?.clone();
            let status = match n.status_id {
                Some(sid) => Some(statuses.iter().find(|s| s.status.id == sid)?.clone()),
                None => None,
            };
            Some(NotificationView { notification: n, account, status })
        })
        .collect())
}
