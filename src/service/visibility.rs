//! Who may read what. Every read path — pages, client API, lists, notifications, media — asks
//! this module, either for one status (`can_read`) or for the SQL filter of a list
//! (`list_filter`). Nothing else decides visibility.
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::entities::statuses;
use crate::db::queries::{graph, statuses as sq, statuses::SqlFilter};

/// The four audiences of a post, as Mastodon names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Unlisted,
    /// Followers only.
    Private,
    /// Only the mentioned accounts.
    Direct,
}

impl Visibility {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "unlisted" => Some(Self::Unlisted),
            "private" => Some(Self::Private),
            "direct" => Some(Self::Direct),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::Private => "private",
            Self::Direct => "direct",
        }
    }
    /// Words for the web UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::Public => "Public",
            Self::Unlisted => "Unlisted",
            Self::Private => "Followers only",
            Self::Direct => "Mentioned people only",
        }
    }
    pub fn of(status: &statuses::Model) -> Self {
        Self::parse(&status.visibility).unwrap_or(Self::Direct)
    }
}

/// May `viewer` (None: anonymous) read `status`? For a boost, the boosted status is checked too
/// by the caller, which loads it.
pub async fn can_read(db: &impl ConnectionTrait, viewer: Option<i64>, status: &statuses::Model) -> Result<bool, DbErr> {
    audience_includes(db, viewer, status.account_id, Visibility::of(status), Mentioned::Stored(status.id)).await
}

/// Who a post mentions: read from the database, or known already (a deleted post's snapshot).
pub enum Mentioned<'a> {
    Stored(i64),
    Known(&'a [i64]),
}

impl Mentioned<'_> {
    async fn includes(&self, db: &impl ConnectionTrait, account: i64) -> Result<bool, DbErr> {
        match self {
            Self::Stored(status) => sq::is_mentioned(db, *status, account).await,
            Self::Known(ids) => Ok(ids.contains(&account)),
        }
    }
}

/// The rule behind `can_read`: is `viewer` in the audience of a post by `author` with this
/// visibility and these mentions (and neither blocks the other)?
pub async fn audience_includes(
    db: &impl ConnectionTrait,
    viewer: Option<i64>,
    author: i64,
    visibility: Visibility,
    mentioned: Mentioned<'_>,
) -> Result<bool, DbErr> {
    if viewer == Some(author) {
        return Ok(true);
    }
    if let Some(v) = viewer
        && graph::blocked_either_way(db, v, author).await?
    {
        return Ok(false);
    }
    match visibility {
        Visibility::Public | Visibility::Unlisted => Ok(true),
        Visibility::Private => match viewer {
            None => Ok(false),
            Some(v) => Ok(graph::is_following(db, v, author).await? || mentioned.includes(db, v).await?),
        },
        Visibility::Direct => match viewer {
            None => Ok(false),
            Some(v) => mentioned.includes(db, v).await,
        },
    }
}

/// May `viewer` see `status` in a timeline or stream? `can_read` for the status and, for a
/// boost, the boosted one; and nothing by an account the viewer mutes (the same rule as
/// `mute_filter`, for one status).
pub async fn can_read_in_timeline(
    db: &impl ConnectionTrait,
    viewer: i64,
    status: &statuses::Model,
) -> Result<bool, DbErr> {
    if !can_read(db, Some(viewer), status).await? {
        return Ok(false);
    }
    let mut authors = vec![status.account_id];
    if let Some(inner_id) = status.reblog_of_id {
        let Some(inner) = sq::status_by_id(db, inner_id).await? else { return Ok(false) };
        if !can_read(db, Some(viewer), &inner).await? {
            return Ok(false);
        }
        authors.push(inner.account_id);
    }
    for author in authors {
        if author != viewer && graph::is_muting(db, viewer, author).await?.is_some() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// May `viewer` fetch an uploaded file? Avatars and headers are public; a post's files follow
/// the post; a file not (or no longer) attached to a post is its uploader's alone.
pub async fn can_read_media(
    db: &impl ConnectionTrait,
    viewer: Option<i64>,
    media: &crate::db::entities::media_attachments::Model,
) -> Result<bool, DbErr> {
    if media.kind == "avatar" || media.kind == "header" {
        return Ok(true);
    }
    match media.status_id {
        None => Ok(viewer == Some(media.account_id)),
        Some(sid) => match sq::status_by_id(db, sid).await? {
            Some(status) => can_read(db, viewer, &status).await,
            None => Ok(false),
        },
    }
}

/// May another server (asking with a verified signature) copy this file? Yes when someone
/// there is in its post's audience: a follower for followers-only posts, a mentioned account
/// for direct ones. Their server caches the file so they can see it; nobody else there can.
pub async fn server_may_read_media(
    db: &impl ConnectionTrait,
    domain: &str,
    media: &crate::db::entities::media_attachments::Model,
) -> Result<bool, DbErr> {
    if media.kind == "avatar" || media.kind == "header" {
        return Ok(true);
    }
    let Some(sid) = media.status_id else { return Ok(false) };
    let Some(status) = sq::status_by_id(db, sid).await? else { return Ok(false) };
    match Visibility::of(&status) {
        Visibility::Public | Visibility::Unlisted => Ok(true),
        Visibility::Private => Ok(graph::has_follower_on(db, status.account_id, domain).await?
            || sq::mentions_on_domain(db, status.id, domain).await?),
        Visibility::Direct => sq::mentions_on_domain(db, status.id, domain).await,
    }
}

/// The SQL condition (over `statuses s`) that keeps only statuses `viewer` may read.
pub fn list_filter(viewer: Option<i64>) -> SqlFilter {
    match viewer {
        None => SqlFilter::new("s.visibility IN ('public','unlisted')", vec![]),
        Some(v) => SqlFilter::new(
            "s.visibility IN ('public','unlisted') OR s.account_id = ? \
             OR (s.visibility = 'private' AND EXISTS (SELECT 1 FROM follows f WHERE f.account_id = ? AND f.target_account_id = s.account_id)) \
             OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = ?)",
            vec![v.into(), v.into(), v.into()],
        ),
    }
}

/// Hides statuses of accounts the viewer blocks or is blocked by, and statuses (and boosts of
/// statuses) from the domains the viewer hides.
pub fn block_filter(viewer: Option<i64>) -> Option<SqlFilter> {
    viewer.map(|v| {
        SqlFilter::new(
            "NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = ? AND b.target_account_id = s.account_id) \
             OR (b.account_id = s.account_id AND b.target_account_id = ?)) \
             AND NOT EXISTS (SELECT 1 FROM account_domain_blocks adb JOIN accounts da ON da.domain = adb.domain \
             WHERE adb.account_id = ? AND (da.id = s.account_id \
             OR da.id = (SELECT r.account_id FROM statuses r WHERE r.id = s.reblog_of_id)))",
            vec![v.into(), v.into(), v.into()],
        )
    })
}

/// Hides posts by accounts of limited (silenced) servers from everyone but their followers; for
/// the public and hashtag timelines.
pub fn limited_filter(viewer: Option<i64>) -> SqlFilter {
    let base = "NOT EXISTS (SELECT 1 FROM accounts la JOIN instances li ON li.domain = la.domain \
                WHERE la.id = s.account_id AND li.silenced = true";
    match viewer {
        None => SqlFilter::new(format!("{base})"), vec![]),
        Some(v) => SqlFilter::new(
            format!(
                "{base} AND NOT EXISTS (SELECT 1 FROM follows lf WHERE lf.account_id = ? AND lf.target_account_id = s.account_id))"
            ),
            vec![v.into()],
        ),
    }
}

/// Hides statuses (and boosts of statuses) by accounts the viewer mutes; for timelines.
/// A mute with a duration stops hiding when it ends.
pub fn mute_filter(viewer: i64) -> SqlFilter {
    SqlFilter::new(
        "NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = ? \
         AND (mu.expires_at IS NULL OR mu.expires_at > ?) AND (mu.target_account_id = s.account_id \
         OR mu.target_account_id = (SELECT r.account_id FROM statuses r WHERE r.id = s.reblog_of_id)))",
        vec![viewer.into(), chrono::Utc::now().into()],
    )
}

/// The SQL condition (over the `notifications` table) that keeps only the notifications the
/// viewer wants: none from accounts muted with their notifications, none from accounts of
/// hidden domains, none about muted conversations. (Blocks are applied by the query itself.)
pub fn notification_filter(viewer: i64) -> SqlFilter {
    SqlFilter::new(
        "NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = ? AND mu.notifications = ? \
         AND (mu.expires_at IS NULL OR mu.expires_at > ?) AND mu.target_account_id = notifications.from_account_id) \
         AND NOT EXISTS (SELECT 1 FROM account_domain_blocks adb JOIN accounts da ON da.domain = adb.domain \
         WHERE adb.account_id = ? AND da.id = notifications.from_account_id) \
         AND NOT EXISTS (SELECT 1 FROM conversation_mutes cm JOIN statuses cs ON cs.thread_id = cm.thread_id \
         WHERE cm.account_id = ? AND cs.id = notifications.status_id)",
        vec![viewer.into(), true.into(), chrono::Utc::now().into(), viewer.into(), viewer.into()],
    )
}

/// Whether `viewer` has put `account` out of sight: a block either way, or its domain hidden.
/// For lists of accounts (search, suggestions) and for notifications as they are made.
pub async fn hides_account(
    db: &impl ConnectionTrait,
    viewer: i64,
    account: &crate::db::entities::accounts::Model,
) -> Result<bool, DbErr> {
    if graph::blocked_either_way(db, viewer, account.id).await? {
        return Ok(true);
    }
    match &account.domain {
        Some(d) => crate::db::queries::moderation::is_domain_blocked_by(db, viewer, d).await,
        None => Ok(false),
    }
}

/// Search results without the accounts (and their posts) the viewer blocks or hides.
pub async fn without_hidden(
    db: &impl ConnectionTrait,
    viewer: i64,
    found: crate::federation::search::Found,
) -> Result<crate::federation::search::Found, DbErr> {
    let mut out = crate::federation::search::Found::default();
    for a in crate::db::queries::accounts::accounts_by_ids(db, &found.accounts).await? {
        if !hides_account(db, viewer, &a).await? {
            out.accounts.push(a.id);
        }
    }
    out.accounts.sort_by_key(|id| found.accounts.iter().position(|f| f == id));
    for s in sq::statuses_by_ids(db, &found.statuses).await? {
        match crate::db::queries::accounts::account_by_id(db, s.account_id).await? {
            Some(author) if !hides_account(db, viewer, &author).await? => out.statuses.push(s.id),
            _ => {}
        }
    }
    Ok(out)
}

/// Keeps only those of `list` the viewer may read (for lists loaded by id: bookmarks,
/// collections, notifications, threads). The same rule as `can_read`, for the whole list in
/// one query.
pub async fn retain_readable(
    db: &impl ConnectionTrait,
    viewer: Option<i64>,
    list: Vec<statuses::Model>,
) -> Result<Vec<statuses::Model>, DbErr> {
    let readable = readable_ids(db, viewer, &list).await?;
    Ok(list.into_iter().filter(|s| readable.contains(&s.id)).collect())
}

/// Of `list`, the ids `viewer` may read: `list_filter`, and no block either way.
pub async fn readable_ids(
    db: &impl ConnectionTrait,
    viewer: Option<i64>,
    list: &[statuses::Model],
) -> Result<std::collections::HashSet<i64>, DbErr> {
    let Some(v) = viewer else {
        let open = |s: &&statuses::Model| matches!(Visibility::of(s), Visibility::Public | Visibility::Unlisted);
        return Ok(list.iter().filter(open).map(|s| s.id).collect());
    };
    if list.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<i64> = list.iter().map(|s| s.id).collect();
    let (ph, id_values) = sq::id_list(&ids);
    let readable = list_filter(Some(v));
    let sql = format!(
        "SELECT s.id FROM statuses s WHERE s.id IN ({ph}) AND ({}) AND (s.account_id = ? OR NOT EXISTS \
         (SELECT 1 FROM blocks b WHERE (b.account_id = ? AND b.target_account_id = s.account_id) \
         OR (b.account_id = s.account_id AND b.target_account_id = ?)))",
        readable.sql
    );
    let mut values = id_values;
    values.extend(readable.values);
    values.extend([v.into(), v.into(), v.into()]);
    let stmt = sq::statement(db.get_database_backend(), &sql, values);
    let mut out = std::collections::HashSet::new();
    for row in db.query_all_raw(stmt).await? {
        out.insert(row.try_get_by_index::<i64>(0)?);
    }
    Ok(out)
}
