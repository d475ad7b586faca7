//! Timelines and lists of posts: home, local, profiles, threads, bookmarks, collections.
//! Each list takes its visibility filter from `visibility`.
use crate::app::AppState;
use crate::db::entities::{lists, statuses};
use crate::db::queries::statuses::{self as sq, SqlFilter};
use crate::db::queries::{Page, lists as lq, notifications as nq, tags as tq};
use crate::error::{AppError, AppResult};
use crate::service::views::{self, NotificationView, StatusView};
use crate::service::visibility;

fn base_filters(viewer: Option<i64>) -> Vec<SqlFilter> {
    let mut f = vec![visibility::list_filter(viewer)];
    if let Some(b) = visibility::block_filter(viewer) {
        f.push(b);
    }
    f
}

/// Where a feed's candidates come from.
#[derive(Clone, Copy)]
enum Feed<'a> {
    /// Own posts and followed accounts'; also public posts with one of `tags` (followed ones).
    Home {
        tags: &'a [String],
    },
    List(&'a lists::Model),
}

const FEED_BATCH: u64 = 80;
/// Followed hashtags read for the home timeline, at most (each is one index range).
const MAX_HOME_TAGS: u64 = 100;

/// The first time window a feed's candidates are read in, and how much each further one widens.
const FIRST_WINDOW_MS: i64 = 2 * 86_400_000;
const WINDOW_GROWTH: i64 = 8;
/// Past this, the rest of the page's range is read in one go.
const WIDEST_WINDOW_MS: i64 = 4 * 365 * 86_400_000;

/// The page narrowed to a time window at its open end: below `max_id` (or now) when reading
/// downwards, above `min_id` when reading upwards. `None` when the window already covers the
/// page's whole range. Ids start with their time in milliseconds, so a window is an id range.
fn window(page: Page, width_ms: i64, now_ms: i64) -> Option<Page> {
    if width_ms > WIDEST_WINDOW_MS {
        return None;
    }
    let mut narrowed = page;
    if page.ascending() {
        let from = page.min_id.unwrap_or(0) >> 16;
        if from.saturating_add(width_ms) >= now_ms {
            return None;
        }
        let edge = (from + width_ms) << 16;
        if page.max_id.is_some_and(|max| max <= edge) {
            return None;
        }
        narrowed.max_id = Some(edge);
    } else {
        let to = page.max_id.map_or(now_ms, |max| max >> 16);
        let edge = (to - width_ms).max(0) << 16;
        if page.since_id.is_some_and(|since| since >= edge) || edge == 0 {
            return None;
        }
        narrowed.since_id = Some(edge);
    }
    Some(narrowed)
}

impl Feed<'_> {
    /// The newest (or, reading upwards, oldest) `FEED_BATCH` candidates in the page's range.
    /// Reading every followed account's posts to sort them costs milliseconds once there are
    /// thousands; so they are read in a time window near the page's open end first, widened
    /// until it holds a full batch. The batch is exact: whatever lies outside the window is
    /// further from that end than everything inside it.
    async fn candidates(self, db: &impl sea_orm::ConnectionTrait, viewer: i64, page: Page) -> AppResult<Vec<i64>> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut width = FIRST_WINDOW_MS;
        while let Some(narrowed) = window(page, width, now_ms) {
            let ids = self.candidates_in(db, viewer, narrowed).await?;
            if ids.len() as u64 >= FEED_BATCH {
                return Ok(ids);
            }
            width = width.saturating_mul(WINDOW_GROWTH);
        }
        self.candidates_in(db, viewer, page).await
    }

    async fn candidates_in(self, db: &impl sea_orm::ConnectionTrait, viewer: i64, page: Page) -> AppResult<Vec<i64>> {
        match self {
            Feed::List(list) => Ok(lq::candidates(db, list, page, FEED_BATCH).await?),
            Feed::Home { tags: [] } => Ok(sq::home_candidates(db, viewer, page, FEED_BATCH).await?),
            Feed::Home { tags } => {
                // Both sources hold their newest `FEED_BATCH`; the merged newest `FEED_BATCH`
                // are then exact, and the next round starts below the last of them.
                let mut ids = sq::home_candidates(db, viewer, page, FEED_BATCH).await?;
                ids.extend(sq::tagged_candidates(db, tags, page, FEED_BATCH).await?);
                ids.sort_unstable();
                ids.dedup();
                if !page.ascending() {
                    ids.reverse();
                }
                ids.truncate(FEED_BATCH as usize);
                Ok(ids)
            }
        }
    }

    /// Conditions beyond visibility, blocks and mutes.
    fn filters(self, viewer: i64) -> Vec<SqlFilter> {
        match self {
            Feed::Home { tags: [] } => vec![],
            // Posts that came in by a hashtag are public ones; the rest are followed or own.
            Feed::Home { .. } => vec![SqlFilter::new(
                "s.visibility = 'public' OR s.account_id = ? \
                 OR EXISTS (SELECT 1 FROM follows hf WHERE hf.account_id = ? AND hf.target_account_id = s.account_id)",
                vec![viewer.into(), viewer.into()],
            )],
            Feed::List(list) => vec![crate::service::lists::replies_filter(list)],
        }
    }
}

/// Own posts and those of followed accounts (with their boosts), newest first; and public posts
/// carrying a hashtag the viewer follows. Members of an exclusive list are read in that list.
pub async fn home(state: &AppState, viewer: i64, page: Page) -> AppResult<Vec<StatusView>> {
    let tags = tq::followed_tag_names(&state.db.conn, viewer, MAX_HOME_TAGS).await?;
    feed(state, viewer, page, Feed::Home { tags: &tags }).await
}

/// Posts (with boosts) by the members of a list whom its owner follows, newest first.
pub async fn list(state: &AppState, list: &lists::Model, page: Page) -> AppResult<Vec<StatusView>> {
    feed(state, list.account_id, page, Feed::List(list)).await
}

/// The newest candidates come from an index alone; only they go through the visibility, block
/// and mute filters. If filters leave the page short, the next candidates are read, so the
/// result is the same as filtering the whole table, at a fraction of the cost.
async fn feed(state: &AppState, viewer: i64, page: Page, source: Feed<'_>) -> AppResult<Vec<StatusView>> {
    let db = &state.db.conn;
    let mut rows: Vec<statuses::Model> = Vec::new();
    let mut cursor = page;
    for _ in 0..50 {
        let candidates = source.candidates(db, viewer, cursor).await?;
        let Some(&last) = candidates.last() else { break };
        let mut f = base_filters(Some(viewer));
        f.push(visibility::mute_filter(viewer));
        f.extend(source.filters(viewer));
        let placeholders = vec!["?"; candidates.len()].join(",");
        f.push(SqlFilter::new(format!("s.id IN ({placeholders})"), candidates.iter().map(|id| (*id).into()).collect()));
        let batch = Page { max_id: None, since_id: None, min_id: None, limit: FEED_BATCH };
        rows.extend(sq::select_statuses(db, f, batch).await?);
        if rows.len() as u64 >= page.limit || (candidates.len() as u64) < FEED_BATCH {
            break;
        }
        if page.ascending() {
            cursor.min_id = Some(last);
        } else {
            cursor.max_id = Some(last);
        }
    }
    // Newest first; reading upwards keeps the oldest `limit` above `min_id`.
    rows.sort_by_key(|s| std::cmp::Reverse(s.id));
    let limit = page.limit as usize;
    if page.ascending() && rows.len() > limit {
        rows.drain(..rows.len() - limit);
    }
    rows.truncate(limit);
    hydrate(state, Some(viewer), rows).await
}

/// Which public posts a public timeline lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// This node's and those that reached it from other servers.
    All,
    Local,
    Remote,
}

/// Public posts by this node's members (no boosts), newest first.
pub async fn local(state: &AppState, viewer: Option<i64>, only_media: bool, page: Page) -> AppResult<Vec<StatusView>> {
    public(state, viewer, Scope::Local, only_media, page).await
}

/// Public posts (no boosts), newest first: local, remote or both. Posts of limited servers show
/// only to their accounts' followers.
pub async fn public(
    state: &AppState,
    viewer: Option<i64>,
    scope: Scope,
    only_media: bool,
    page: Page,
) -> AppResult<Vec<StatusView>> {
    let mut f = base_filters(viewer);
    f.push(SqlFilter::new("s.visibility = 'public' AND s.reblog_of_id IS NULL", vec![]));
    match scope {
        Scope::All => f.push(visibility::limited_filter(viewer)),
        Scope::Local => f.push(SqlFilter::new("s.uri IS NULL", vec![])),
        Scope::Remote => {
            f.push(SqlFilter::new("s.uri IS NOT NULL", vec![]));
            f.push(visibility::limited_filter(viewer));
        }
    }
    if let Some(v) = viewer {
        f.push(visibility::mute_filter(v));
    }
    if only_media {
        f.push(with_media());
    }
    let rows = sq::select_statuses(&state.db.conn, f, page).await?;
    hydrate(state, viewer, rows).await
}

fn with_media() -> SqlFilter {
    SqlFilter::new("EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)", vec![])
}

/// Which of an account's posts to list.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    pub only_media: bool,
    /// Only posts with this hashtag (lower case, without '#').
    pub tagged: Option<String>,
}

/// An account's posts as `viewer` may see them, newest first.
pub async fn account(
    state: &AppState,
    viewer: Option<i64>,
    account_id: i64,
    filter: AccountFilter,
    page: Page,
) -> AppResult<Vec<StatusView>> {
    let mut f = base_filters(viewer);
    f.push(SqlFilter::new("s.account_id = ?", vec![account_id.into()]));
    if filter.exclude_replies {
        // Replies to oneself (threads) stay, as on Mastodon.
        f.push(SqlFilter::new("s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id", vec![]));
    }
    if filter.exclude_reblogs {
        f.push(SqlFilter::new("s.reblog_of_id IS NULL", vec![]));
    }
    if filter.only_media {
        f.push(with_media());
    }
    if let Some(tag) = &filter.tagged {
        f.push(SqlFilter::new(
            "EXISTS (SELECT 1 FROM status_tags t WHERE t.status_id = s.id AND t.tag = ?)",
            vec![tag.clone().into()],
        ));
    }
    let rows = sq::select_statuses(&state.db.conn, f, page).await?;
    hydrate(state, viewer, rows).await
}

/// Public posts with a hashtag, newest first.
pub async fn tag(state: &AppState, viewer: Option<i64>, tag: &str, page: Page) -> AppResult<Vec<StatusView>> {
    let mut f = base_filters(viewer);
    f.push(SqlFilter::new(
        "s.visibility = 'public' AND EXISTS (SELECT 1 FROM status_tags t WHERE t.status_id = s.id AND t.tag = ?)",
        vec![tag.to_lowercase().into()],
    ));
    f.push(visibility::limited_filter(viewer));
    let rows = sq::select_statuses(&state.db.conn, f, page).await?;
    hydrate(state, viewer, rows).await
}

/// Pinned posts of an account that the viewer may read.
pub async fn pinned(state: &AppState, viewer: Option<i64>, account_id: i64) -> AppResult<Vec<StatusView>> {
    let ids = sq::pins_of(&state.db.conn, account_id).await?;
    let rows = sq::statuses_by_ids(&state.db.conn, &ids).await?;
    let mut ordered: Vec<statuses::Model> =
        ids.iter().filter_map(|id| rows.iter().find(|r| r.id == *id).cloned()).collect();
    ordered = visibility::retain_readable(&state.db.conn, viewer, ordered).await?;
    hydrate(state, viewer, ordered).await
}

/// Boosts are shown only if the viewer may read the boosted post too.
async fn hydrate(state: &AppState, viewer: Option<i64>, rows: Vec<statuses::Model>) -> AppResult<Vec<StatusView>> {
    let views = views::statuses(&state.db.conn, viewer, rows).await?;
    let inner: Vec<statuses::Model> =
        views.iter().filter_map(|v| v.reblog.as_ref().map(|r| r.status.clone())).collect();
    let readable = visibility::readable_ids(&state.db.conn, viewer, &inner).await?;
    Ok(views.into_iter().filter(|v| v.reblog.as_ref().is_none_or(|r| readable.contains(&r.status.id))).collect())
}

/// A thread around a status: its ancestors (oldest first) and descendants (in reply order).
pub struct Context {
    pub ancestors: Vec<StatusView>,
    pub status: StatusView,
    pub descendants: Vec<StatusView>,
}

pub async fn context(state: &AppState, viewer: Option<i64>, id: i64) -> AppResult<Context> {
    let focus = crate::service::statuses::readable(state, viewer, id).await?;
    if focus.reblog_of_id.is_some() {
        return Err(AppError::not_found());
    }
    let all = sq::thread(&state.db.conn, focus.thread_id, 2000).await?;
    // Ancestors: follow in_reply_to upwards.
    let mut ancestors = Vec::new();
    let mut cursor = focus.in_reply_to_id;
    while let Some(pid) = cursor {
        let Some(p) = all.iter().find(|s| s.id == pid) else { break };
        ancestors.push(p.clone());
        cursor = p.in_reply_to_id;
        if ancestors.len() > 200 {
            break;
        }
    }
    ancestors.reverse();
    // Descendants: depth-first in reply order.
    let mut descendants = Vec::new();
    let mut stack = vec![focus.id];
    while let Some(parent) = stack.pop() {
        let mut children: Vec<&statuses::Model> = all.iter().filter(|s| s.in_reply_to_id == Some(parent)).collect();
        children.sort_by_key(|s| std::cmp::Reverse(s.id));
        for c in children {
            stack.push(c.id);
            descendants.push(c.clone());
        }
    }
    descendants.sort_by_key(|s| s.id);
    let ancestors = visibility::retain_readable(&state.db.conn, viewer, ancestors).await?;
    let descendants = visibility::retain_readable(&state.db.conn, viewer, descendants).await?;
    let mut focus_view = views::statuses(&state.db.conn, viewer, vec![focus]).await?;
    let status = focus_view.pop().ok_or_else(AppError::not_found)?;
    Ok(Context {
        ancestors: views::statuses(&state.db.conn, viewer, ancestors).await?,
        status,
        descendants: views::statuses(&state.db.conn, viewer, descendants).await?,
    })
}

/// My bookmarks (readable ones), with the bookmark ids for paging.
pub async fn bookmarks(
    state: &AppState,
    viewer: i64,
    page: Page,
) -> AppResult<(Vec<StatusView>, Option<i64>, Option<i64>)> {
    let marks = sq::bookmarks_of(&state.db.conn, viewer, page).await?;
    let (first, last) = (marks.first().map(|m| m.id), marks.last().map(|m| m.id));
    let ids: Vec<i64> = marks.iter().map(|m| m.status_id).collect();
    Ok((by_ids_readable(state, viewer, &ids).await?, first, last))
}

/// Posts in one of my collections.
pub async fn collection(
    state: &AppState,
    viewer: i64,
    collection: i64,
    page: Page,
) -> AppResult<(Vec<StatusView>, Option<i64>)> {
    let items = sq::collection_items(&state.db.conn, collection, page).await?;
    let last = items.last().map(|m| m.id);
    let ids: Vec<i64> = items.iter().map(|m| m.status_id).collect();
    Ok((by_ids_readable(state, viewer, &ids).await?, last))
}

/// Posts by id in the given order, keeping only those the viewer may (still) read.
pub async fn by_ids_readable(state: &AppState, viewer: i64, ids: &[i64]) -> AppResult<Vec<StatusView>> {
    let rows = sq::statuses_by_ids(&state.db.conn, ids).await?;
    let ordered: Vec<statuses::Model> =
        ids.iter().filter_map(|id| rows.iter().find(|r| r.id == *id).cloned()).collect();
    let readable = visibility::retain_readable(&state.db.conn, Some(viewer), ordered).await?;
    hydrate(state, Some(viewer), readable).await
}

/// My notifications, newest first.
pub async fn notifications(
    state: &AppState,
    viewer: i64,
    kinds: Option<&[String]>,
    exclude: Option<&[String]>,
    page: Page,
) -> AppResult<(Vec<NotificationView>, Option<i64>, Option<i64>)> {
    let hide = visibility::notification_filter(viewer);
    let rows = nq::list(&state.db.conn, viewer, kinds, exclude, &hide, page).await?;
    // Paging follows the rows read, not those left after dropping unreadable statuses.
    let (first, last) = (rows.first().map(|n| n.id), rows.last().map(|n| n.id));
    Ok((views::notifications(&state.db.conn, viewer, rows).await?, first, last))
}
