//! Read models: statuses and accounts with everything a page or an API answer shows, loaded in
//! a few batched queries per page rather than per item.
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};

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

#[derive(Debug, FromQueryResult)]
struct CountRow {
    id: i64,
    n: i64,
}

#[derive(Debug, FromQueryResult)]
struct LastRow {
    id: i64,
    n: i64,
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
    let backend = db.get_database_backend();
    let ph = vec!["?"; unique.len()].join(",");
    let vals: Vec<Value> = unique.iter().map(|i| (*i).into()).collect();
    let count = |sql: String| {
        let vals = vals.clone();
        async move {
            let rows = CountRow::find_by_statement(sq::statement(backend, &sql, vals)).all(db).await?;
            Ok::<HashMap<i64, i64>, DbErr>(rows.into_iter().map(|r| (r.id, r.n)).collect())
        }
    };
    let followers = count(format!(
        "SELECT target_account_id AS id, COUNT(*) AS n FROM follows WHERE target_account_id IN ({ph}) GROUP BY target_account_id"
    ))
    .await?;
    let following = count(format!(
        "SELECT account_id AS id, COUNT(*) AS n FROM follows WHERE account_id IN ({ph}) GROUP BY account_id"
    ))
    .await?;
    // Direct posts are left out of the count and the date, as on Mastodon: both are public.
    let posts = count(format!(
        "SELECT account_id AS id, COUNT(*) AS n FROM statuses WHERE account_id IN ({ph}) AND visibility <> 'direct' GROUP BY account_id"
    ))
    .await?;
    let last: HashMap<i64, i64> = LastRow::find_by_statement(sq::statement(
        backend,
        &format!("SELECT account_id AS id, MAX(id) AS n FROM statuses WHERE account_id IN ({ph}) AND visibility <> 'direct' GROUP BY account_id"),
        vals.clone(),
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|r| (r.id, r.n))
    .collect();
    let image_ids: Vec<i64> = models.iter().flat_map(|a| [a.avatar_media_id, a.header_media_id]).flatten().collect();
    let images = sq::media_by_ids(db, &image_ids).await?;
    let by_id: HashMap<i64, accounts::Model> = models.into_iter().map(|a| (a.id, a)).collect();
    Ok(ids
        .iter()
        .filter_map(|id| by_id.get(id))
        .map(|a| AccountView {
            avatar: a.avatar_media_id.and_then(|m| images.iter().find(|i| i.id == m).cloned()),
            header: a.header_media_id.and_then(|m| images.iter().find(|i| i.id == m).cloned()),
            followers_count: followers.get(&a.id).copied().unwrap_or(0),
            following_count: following.get(&a.id).copied().unwrap_or(0),
            statuses_count: posts.get(&a.id).copied().unwrap_or(0),
            last_status_at: last
                .get(&a.id)
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
    let mention_rows = sq::mentions_for(db, &ids).await?;
    let mut account_ids: Vec<i64> = all.iter().map(|s| s.account_id).collect();
    account_ids.extend(mention_rows.iter().map(|m| m.account_id));
    let account_views = accounts(db, &account_ids).await?;
    let media = sq::media_for_statuses(db, &ids).await?;
    let tags = sq::tags_for(db, &ids).await?;
    let counts = sq::counts(db, &ids).await?;
    let polls = crate::service::polls::views(db, viewer, &ids).await?;
    let (favs, reblogs, marks, pins) = match viewer {
        Some(v) => sq::viewer_flags(db, v, &ids).await?,
        None => Default::default(),
    };
    let muted_threads = match viewer {
        Some(v) => {
            let mut threads: Vec<i64> = all.iter().map(|s| s.thread_id).collect();
            threads.sort_unstable();
            threads.dedup();
            crate::db::queries::moderation::muted_threads(db, v, &threads).await?
        }
        None => Vec::new(),
    };
    let build = |s: &statuses::Model| -> Option<StatusView> {
        let account = account_views.iter().find(|a| a.account.id == s.account_id)?.clone();
        let c = counts.get(&s.id).copied().unwrap_or_default();
        Some(StatusView {
            account,
            media: media.iter().filter(|m| m.status_id == Some(s.id)).cloned().collect(),
            mentions: mention_rows
                .iter()
                .filter(|m| m.status_id == s.id)
                .filter_map(|m| account_views.iter().find(|a| a.account.id == m.account_id).map(|a| a.account.clone()))
                .collect(),
            tags: tags.iter().filter(|t| t.status_id == s.id).map(|t| t.tag.clone()).collect(),
            replies_count: c.0,
            reblogs_count: c.1,
            favourites_count: c.2,
            favourited: favs.contains(&s.id),
            reblogged: reblogs.contains(&s.id),
            bookmarked: marks.contains(&s.id),
            pinned: pins.contains(&s.id),
            muted: muted_threads.contains(&s.thread_id),
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
