//! What a streaming connection may receive: the streams Mastodon apps subscribe to, and for each
//! live event whether it belongs in a stream for this member, decided with `visibility` (can_read,
//! blocks, mutes) by the same rules as the timelines:
//! - `user`: what the home timeline shows (own posts, followed accounts' posts and boosts that
//!   the member may read, nothing muted or blocked) and the member's notifications;
//! - `public`, `public:local`, `public:remote` (optionally media only): public posts, no boosts;
//! - `hashtag`, `hashtag:local`: public posts with the tag;
//! - `direct`: direct posts the member wrote or is mentioned in, as conversations;
//! - `list`: posts by the list's members whom the owner follows (the owner's lists only).
use crate::app::AppState;
use crate::db::entities::{notifications, statuses};
use crate::db::queries::graph;
use crate::error::{AppError, AppResult};
use crate::service::views::{self, NotificationView, StatusView};
use crate::service::visibility::{self, Mentioned, Visibility};
use crate::streaming::LiveEvent;

/// A stream, as Mastodon names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timeline {
    User,
    UserNotification,
    Public {
        origin: Origin,
        only_media: bool,
    },
    /// Lower-case tag without `#`.
    Hashtag {
        tag: String,
        local: bool,
    },
    List(i64),
    Direct,
}

/// Where the posts of a public stream come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    All,
    Local,
    Remote,
}

impl Origin {
    fn admits(self, local: bool) -> bool {
        match self {
            Self::All => true,
            Self::Local => local,
            Self::Remote => !local,
        }
    }
}

impl Timeline {
    /// From Mastodon's stream name (`public:local:media`, …) and its `tag` or `list` parameter.
    pub fn parse(name: &str, tag: Option<&str>, list: Option<&str>) -> AppResult<Self> {
        let public = |origin, only_media| Ok(Self::Public { origin, only_media });
        let tag = || {
            let t = tag.map(|t| t.trim().trim_start_matches('#').to_lowercase()).unwrap_or_default();
            if t.is_empty() || t.chars().count() > 100 {
                return Err(AppError::bad_request("Missing tag name parameter"));
            }
            Ok(t)
        };
        match name {
            "user" => Ok(Self::User),
            "user:notification" => Ok(Self::UserNotification),
            "public" => public(Origin::All, false),
            "public:media" => public(Origin::All, true),
            "public:local" => public(Origin::Local, false),
            "public:local:media" => public(Origin::Local, true),
            "public:remote" => public(Origin::Remote, false),
            "public:remote:media" => public(Origin::Remote, true),
            "hashtag" => Ok(Self::Hashtag { tag: tag()?, local: false }),
            "hashtag:local" => Ok(Self::Hashtag { tag: tag()?, local: true }),
            "list" => list
                .and_then(crate::ids::parse_id)
                .map(Self::List)
                .ok_or_else(|| AppError::bad_request("Missing list name parameter")),
            "direct" => Ok(Self::Direct),
            _ => Err(AppError::bad_request("Unknown stream type")),
        }
    }

    /// The `stream` field of a WebSocket message, e.g. `["hashtag", "foo"]`.
    pub fn names(&self) -> Vec<String> {
        let name = match self {
            Self::User => "user",
            Self::UserNotification => "user:notification",
            Self::Public { origin: Origin::All, only_media: false } => "public",
            Self::Public { origin: Origin::All, only_media: true } => "public:media",
            Self::Public { origin: Origin::Local, only_media: false } => "public:local",
            Self::Public { origin: Origin::Local, only_media: true } => "public:local:media",
            Self::Public { origin: Origin::Remote, only_media: false } => "public:remote",
            Self::Public { origin: Origin::Remote, only_media: true } => "public:remote:media",
            Self::Hashtag { local: false, .. } => "hashtag",
            Self::Hashtag { local: true, .. } => "hashtag:local",
            Self::List(_) => "list",
            Self::Direct => "direct",
        };
        match self {
            Self::Hashtag { tag, .. } => vec![name.to_owned(), tag.clone()],
            Self::List(id) => vec![name.to_owned(), id.to_string()],
            _ => vec![name.to_owned()],
        }
    }

    /// The scope a token needs to subscribe.
    pub fn scope(&self) -> &'static str {
        match self {
            Self::UserNotification => "read:notifications",
            _ => "read:statuses",
        }
    }
}

/// The member a connection streams for.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub account: i64,
    /// The token may read notifications (they come with the `user` stream only then).
    pub notifications: bool,
}

/// May the viewer subscribe to this stream at all?
pub async fn authorize(state: &AppState, viewer: Viewer, timeline: &Timeline) -> AppResult<()> {
    match timeline {
        // Only one's own lists (someone else's answers 404, as if it did not exist).
        Timeline::List(id) => crate::service::lists::own(state, viewer.account, *id).await.map(|_| ()),
        _ => Ok(()),
    }
}

/// The list timeline's rule: the author (or booster) is in the list and still followed.
async fn list_author(state: &AppState, viewer: i64, list: i64, author: i64) -> AppResult<bool> {
    let db = &state.db.conn;
    Ok(!crate::db::queries::lists::members_among(db, list, &[author]).await?.is_empty()
        && graph::is_following(db, viewer, author).await?)
}

/// Does `event` belong in `timeline` for `viewer`?
pub async fn belongs(state: &AppState, viewer: Viewer, timeline: &Timeline, event: &LiveEvent) -> AppResult<bool> {
    match event {
        LiveEvent::Status { status, tags, has_media, .. } => {
            status_belongs(state, viewer.account, timeline, status, tags, *has_media).await
        }
        LiveEvent::Deleted(d) => {
            if *timeline == Timeline::UserNotification {
                return Ok(false);
            }
            let db = &state.db.conn;
            let vis = Visibility::parse(&d.visibility).unwrap_or(Visibility::Direct);
            let audience = visibility::audience_includes(
                db,
                Some(viewer.account),
                d.account_id,
                vis,
                Mentioned::Known(&d.mentioned),
            );
            if !audience.await? {
                return Ok(false);
            }
            let public_post = vis == Visibility::Public && d.reblog_of_id.is_none();
            Ok(match timeline {
                Timeline::User => home_author(state, viewer.account, d.account_id).await?,
                Timeline::Public { origin, .. } => public_post && origin.admits(d.local),
                Timeline::Hashtag { tag, local } => public_post && d.tags.contains(tag) && (!local || d.local),
                Timeline::Direct => vis == Visibility::Direct && d.reblog_of_id.is_none(),
                Timeline::List(list) => list_author(state, viewer.account, *list, d.account_id).await?,
                Timeline::UserNotification => false,
            })
        }
        LiveEvent::Notification(n) => notification_belongs(state, viewer, timeline, n).await,
    }
}

async fn status_belongs(
    state: &AppState,
    viewer: i64,
    timeline: &Timeline,
    s: &statuses::Model,
    tags: &[String],
    has_media: bool,
) -> AppResult<bool> {
    if matches!(timeline, Timeline::UserNotification) {
        return Ok(false);
    }
    if !visibility::can_read_in_timeline(&state.db.conn, viewer, s).await? {
        return Ok(false);
    }
    let public_post = Visibility::of(s) == Visibility::Public && s.reblog_of_id.is_none();
    let local = s.uri.is_none();
    Ok(match timeline {
        Timeline::User => home_author(state, viewer, s.account_id).await?,
        Timeline::Public { origin, only_media } => public_post && origin.admits(local) && (!only_media || has_media),
        Timeline::Hashtag { tag, local: only_local } => public_post && tags.contains(tag) && (!only_local || local),
        Timeline::Direct => Visibility::of(s) == Visibility::Direct && s.reblog_of_id.is_none(),
        Timeline::List(list) => list_author(state, viewer, *list, s.account_id).await?,
        Timeline::UserNotification => false,
    })
}

/// The home timeline's rule for whose posts it carries: one's own and followed accounts'.
async fn home_author(state: &AppState, viewer: i64, author: i64) -> AppResult<bool> {
    Ok(author == viewer || graph::is_following(&state.db.conn, viewer, author).await?)
}

async fn notification_belongs(
    state: &AppState,
    viewer: Viewer,
    timeline: &Timeline,
    n: &notifications::Model,
) -> AppResult<bool> {
    let wanted = match timeline {
        Timeline::User => viewer.notifications,
        Timeline::UserNotification => true,
        _ => false,
    };
    // As in the notifications list: nothing from someone either side has blocked.
    Ok(wanted
        && n.account_id == viewer.account
        && !graph::blocked_either_way(&state.db.conn, viewer.account, n.from_account_id).await?)
}

/// The status as the viewer sees it (their favourite, boost and bookmark marks included).
pub async fn status_view(state: &AppState, viewer: Viewer, s: &statuses::Model) -> AppResult<Option<StatusView>> {
    Ok(views::statuses(&state.db.conn, Some(viewer.account), vec![s.clone()]).await?.pop())
}

/// The notification as the viewer sees it; `None` when its status is not readable to them.
pub async fn notification_view(
    state: &AppState,
    viewer: Viewer,
    n: &notifications::Model,
) -> AppResult<Option<NotificationView>> {
    Ok(views::notifications(&state.db.conn, viewer.account, vec![n.clone()]).await?.pop())
}

/// A direct post as the `direct` stream carries it: the conversation it is now the newest post
/// of, with the id and unread state `GET /api/v1/conversations` shows.
pub async fn conversation_view(
    state: &AppState,
    viewer: Viewer,
    s: &statuses::Model,
) -> AppResult<Option<crate::service::conversations::ConversationView>> {
    if status_view(state, viewer, s).await?.is_none() {
        return Ok(None);
    }
    crate::service::conversations::of_new_post(state, viewer.account, s.id).await
}
