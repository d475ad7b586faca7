//! Hashtags a member follows (their public posts come to the home timeline) or features on
//! their profile, and how much a hashtag was used these last days.
use crate::app::AppState;
use crate::db::entities::featured_tags;
use crate::db::queries::{Page, tags as tq};
use crate::error::{AppError, AppResult};

/// Most hashtags a member may feature (as on Mastodon).
pub const MAX_FEATURED: usize = 10;
const HISTORY_DAYS: i64 = 7;

/// One day of a hashtag's use.
#[derive(Debug, Clone)]
pub struct TagDay {
    /// Midnight UTC, as a Unix timestamp.
    pub day: i64,
    pub uses: usize,
    pub accounts: usize,
}

/// A hashtag as a member sees it.
#[derive(Debug, Clone)]
pub struct TagView {
    pub name: String,
    pub history: Vec<TagDay>,
    /// Whether the viewer follows it; `None` for an anonymous reader.
    pub following: Option<bool>,
}

/// A hashtag featured on a profile, with the profile's use of it.
#[derive(Debug, Clone)]
pub struct FeaturedTagView {
    pub featured: featured_tags::Model,
    pub username: String,
    pub statuses_count: i64,
    pub last_status_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A hashtag name as a client gives it (`#Name` or `Name`), normalised; 404 when it cannot be
/// a hashtag.
pub fn normalise(name: &str) -> AppResult<String> {
    let bare = name.trim().trim_start_matches('#');
    if bare.is_empty() || bare.chars().count() > 100 {
        return Err(AppError::not_found());
    }
    let found = crate::service::text::find_hashtags(&format!("#{bare}"));
    match found.as_slice() {
        [one] if *one == bare.to_lowercase() => Ok(one.clone()),
        _ => Err(AppError::not_found()),
    }
}

/// Uses per day over the last week, newest day first.
async fn history(state: &AppState, tag: &str) -> AppResult<Vec<TagDay>> {
    let today = chrono::Utc::now().date_naive();
    let days: Vec<chrono::NaiveDate> = (0..HISTORY_DAYS).map(|d| today - chrono::Duration::days(d)).collect();
    let oldest = days.last().copied().unwrap_or(today);
    let since = crate::ids::id_at(oldest.and_time(chrono::NaiveTime::MIN).and_utc());
    let uses = tq::uses_since(&state.db.conn, tag, since).await?;
    Ok(days
        .into_iter()
        .map(|day| {
            let start = crate::ids::id_at(day.and_time(chrono::NaiveTime::MIN).and_utc());
            let end = crate::ids::id_at((day + chrono::Duration::days(1)).and_time(chrono::NaiveTime::MIN).and_utc());
            let that_day: Vec<&tq::TagUse> = uses.iter().filter(|u| u.id >= start && u.id < end).collect();
            let mut accounts: Vec<i64> = that_day.iter().map(|u| u.account_id).collect();
            accounts.sort_unstable();
            accounts.dedup();
            TagDay {
                day: day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp(),
                uses: that_day.len(),
                accounts: accounts.len(),
            }
        })
        .collect())
}

/// A hashtag (any valid name: one nobody used yet has an empty history).
pub async fn show(state: &AppState, viewer: Option<i64>, name: &str) -> AppResult<TagView> {
    let tag = normalise(name)?;
    let following = match viewer {
        Some(v) => Some(!tq::followed_among(&state.db.conn, v, std::slice::from_ref(&tag)).await?.is_empty()),
        None => None,
    };
    Ok(TagView { history: history(state, &tag).await?, name: tag, following })
}

/// Hashtags for a search (`#name` or `name`): the one typed first, if it can be a hashtag, then
/// the hashtags of public posts that start with it, most used first. `offset` pages through
/// that whole list.
pub async fn search(
    state: &AppState,
    viewer: Option<i64>,
    query: &str,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<TagView>> {
    let Ok(typed) = normalise(query) else { return Ok(vec![]) };
    let mut names = vec![typed.clone()];
    let used = tq::public_with_prefix(&state.db.conn, &typed, limit + offset + 1, 0).await?;
    names.extend(used.into_iter().filter(|n| *n != typed));
    let mut out = Vec::new();
    for name in names.into_iter().skip(offset as usize).take(limit as usize) {
        out.push(show(state, viewer, &name).await?);
    }
    Ok(out)
}

pub async fn follow(state: &AppState, me: i64, name: &str, on: bool) -> AppResult<TagView> {
    let tag = normalise(name)?;
    let tx = state.db.begin_write().await?;
    if on {
        tq::follow_tag(&*tx, me, &tag).await?;
    } else {
        tq::unfollow_tag(&*tx, me, &tag).await?;
    }
    tx.commit().await?;
    show(state, Some(me), &tag).await
}

/// The hashtags the member follows, with the follow ids for paging.
pub async fn followed(state: &AppState, me: i64, page: Page) -> AppResult<(Vec<TagView>, Option<i64>, Option<i64>)> {
    let rows = tq::followed_tags(&state.db.conn, me, page).await?;
    let (first, last) = (rows.first().map(|r| r.id), rows.last().map(|r| r.id));
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(TagView { history: history(state, &r.tag).await?, name: r.tag, following: Some(true) });
    }
    Ok((out, first, last))
}

/// The hashtags featured on an account's profile.
pub async fn featured_of(state: &AppState, account: i64) -> AppResult<Vec<FeaturedTagView>> {
    let db = &state.db.conn;
    let acc = crate::db::queries::accounts::account_by_id(db, account).await?.ok_or_else(AppError::not_found)?;
    let rows = tq::featured_tags_of(db, account).await?;
    let names: Vec<String> = rows.iter().map(|r| r.tag.clone()).collect();
    let stats = tq::account_tag_stats(db, account, &names).await?;
    Ok(rows
        .into_iter()
        .map(|f| {
            let (n, last) = stats.get(&f.tag).copied().unwrap_or((0, 0));
            FeaturedTagView {
                username: acc.username.clone(),
                statuses_count: n,
                last_status_at: (last > 0).then(|| chrono::DateTime::from_timestamp_millis(last >> 16)).flatten(),
                featured: f,
            }
        })
        .collect())
}

pub async fn feature(state: &AppState, me: i64, name: &str) -> AppResult<FeaturedTagView> {
    let tag = normalise(name).map_err(|_| AppError::unprocessable("Validation failed: Tag is invalid"))?;
    let tx = state.db.begin_write().await?;
    let existing = tq::featured_tags_of(&*tx, me).await?;
    if existing.iter().any(|f| f.tag == tag) {
        return Err(AppError::unprocessable("Validation failed: Tag has already been taken"));
    }
    if existing.len() >= MAX_FEATURED {
        return Err(AppError::unprocessable(format!(
            "Validation failed: You cannot feature more than {MAX_FEATURED} hashtags"
        )));
    }
    let row = featured_tags::Model { id: crate::ids::next_id(), account_id: me, tag, created_at: chrono::Utc::now() };
    tq::insert_featured_tag(&*tx, row.clone()).await?;
    tx.commit().await?;
    featured_of(state, me).await?.into_iter().find(|f| f.featured.id == row.id).ok_or_else(AppError::not_found)
}

pub async fn unfeature(state: &AppState, me: i64, id: i64) -> AppResult<()> {
    let tx = state.db.begin_write().await?;
    let f = tq::featured_tag_by_id(&*tx, id).await?.filter(|f| f.account_id == me).ok_or_else(AppError::not_found)?;
    tq::delete_featured_tag(&*tx, f.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Hashtags the member used most lately and does not feature yet.
pub async fn suggestions(state: &AppState, me: i64) -> AppResult<Vec<TagView>> {
    let featured: Vec<String> = tq::featured_tags_of(&state.db.conn, me).await?.into_iter().map(|f| f.tag).collect();
    let used = tq::most_used_tags(&state.db.conn, me, 20).await?;
    let wanted: Vec<String> = used.into_iter().filter(|t| !featured.contains(t)).take(10).collect();
    let followed = tq::followed_among(&state.db.conn, me, &wanted).await?;
    let mut out = Vec::with_capacity(wanted.len());
    for t in wanted {
        out.push(TagView { history: history(state, &t).await?, following: Some(followed.contains(&t)), name: t });
    }
    Ok(out)
}
