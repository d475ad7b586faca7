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

/// Hides statuses of accounts the viewer blocks or is blocked by.
pub fn block_filter(viewer: Option<i64>) -> Option<SqlFilter> {
    viewer.map(|v| {
        SqlFilter::new(
            "NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = ? AND b.target_account_id = s.account_id) \
             OR (b.account_id = s.account_id AND b.target_account_id = ?))",
            vec![v.into(), v.into()],
        )
    })
}

/// Hides statuses (and boosts of statuses) by accounts the viewer mutes; for timelines.
pub fn mute_filter(viewer: i64) -> SqlFilter {
    SqlFilter::new(
        "NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = ? AND (mu.target_account_id = s.account_id \
         OR mu.target_account_id = (SELECT r.account_id FROM statuses r WHERE r.id = s.reblog_of_id)))",
        vec![viewer.into()],
    )
}

/// Keeps only those of `list` the viewer may read (for lists loaded by id: bookmarks,
/// collections, notifications, threads).
pub async fn retain_readable(
    db: &impl ConnectionTrait,
    viewer: Option<i64>,
    list: Vec<statuses::Model>,
) -> Result<Vec<statuses::Model>, DbErr> {
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        if can_read(db, viewer, &s).await? {
            out.push(s);
        }
    }
    Ok(out)
}
