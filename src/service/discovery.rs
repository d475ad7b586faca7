//! Discovery: trending hashtags and posts, follow suggestions, familiar followers and account
//! search. Trends count public posts only, so nothing written for a smaller audience — not
//! even a hashtag used in it — can surface here.
use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};

use crate::app::AppState;
use crate::db::queries::{accounts as aq, discovery, graph, moderation, statuses as sq};
use crate::error::AppResult;
use crate::service::views::{self, AccountView, StatusView};
use crate::service::visibility;

/// How far back trends look.
pub const TREND_DAYS: i64 = 7;

/// One day of a hashtag's use: the day's start (Unix seconds), posts, distinct accounts.
#[derive(Debug, Clone)]
pub struct TagDay {
    pub day: i64,
    pub uses: i64,
    pub accounts: i64,
}

/// A trending hashtag with its daily history, newest day first.
#[derive(Debug, Clone)]
pub struct TagTrend {
    pub name: String,
    pub history: Vec<TagDay>,
}

/// Hashtags used in public posts by the most distinct accounts over the last days.
pub async fn trending_tags(state: &AppState, limit: u64, offset: u64) -> AppResult<Vec<TagTrend>> {
    let today = Utc::now().date_naive();
    let first_day = today - Duration::days(TREND_DAYS - 1);
    let since = first_day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let db = &state.db.conn;
    let tags = discovery::trending_tags(db, since, limit, offset).await?;
    let names: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
    let uses = discovery::tag_history(db, &names, since).await?;
    Ok(names
        .into_iter()
        .map(|name| {
            let history = history_of(uses.get(&name).map(Vec::as_slice).unwrap_or(&[]), today);
            TagTrend { name, history }
        })
        .collect())
}

/// Buckets (day, author) pairs into the last `TREND_DAYS` days, newest first.
fn history_of(pairs: &[(NaiveDate, i64)], today: NaiveDate) -> Vec<TagDay> {
    (0..TREND_DAYS)
        .map(|back| {
            let day = today - Duration::days(back);
            let mut authors: Vec<i64> = pairs.iter().filter(|(d, _)| *d == day).map(|(_, a)| *a).collect();
            let uses = authors.len() as i64;
            authors.sort_unstable();
            authors.dedup();
            TagDay {
                day: day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp(),
                uses,
                accounts: authors.len() as i64,
            }
        })
        .collect()
}

/// Public posts of the last days with the most favourites and boosts in that time, minus
/// what the viewer blocks, mutes or hides.
pub async fn trending_statuses(
    state: &AppState,
    viewer: Option<i64>,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<StatusView>> {
    let since = Utc::now() - Duration::days(TREND_DAYS);
    let mut filters = vec![visibility::list_filter(viewer)];
    if let Some(b) = visibility::block_filter(viewer) {
        filters.push(b);
    }
    if let Some(v) = viewer {
        filters.push(visibility::mute_filter(v));
    }
    let db = &state.db.conn;
    let ids = discovery::trending_statuses(db, since, filters, limit, offset).await?;
    let rows = sq::statuses_by_ids(db, &ids).await?;
    let ordered: Vec<_> = ids.iter().filter_map(|id| rows.iter().find(|r| r.id == *id).cloned()).collect();
    // Public posts only, but ask the one place that decides.
    let readable = visibility::retain_readable(db, viewer, ordered).await?;
    Ok(views::statuses(db, viewer, readable).await?)
}

/// A suggested account and why: `friends_of_friends` and/or `most_followed`.
pub struct Suggestion {
    pub account: AccountView,
    pub sources: Vec<&'static str>,
}

/// Accounts to follow: those followed by the people I follow, then this node's most followed
/// members; never myself, nor anyone I follow, asked to follow, block (or who blocks me),
/// mute, dismissed, or whose domain I hide.
pub async fn suggestions(state: &AppState, me: i64, limit: u64) -> AppResult<Vec<Suggestion>> {
    let db = &state.db.conn;
    let fof = discovery::friends_of_friends(db, me, limit).await?;
    let popular = discovery::most_followed_local(db, me, limit).await?;
    let mut order: Vec<i64> = Vec::new();
    let mut sources: HashMap<i64, Vec<&'static str>> = HashMap::new();
    for (list, source) in [(&fof, "friends_of_friends"), (&popular, "most_followed")] {
        for id in list {
            if !order.contains(id) {
                order.push(*id);
            }
            sources.entry(*id).or_default().push(source);
        }
    }
    order.truncate(limit as usize);
    let accounts = views::accounts(db, &order).await?;
    Ok(accounts
        .into_iter()
        .map(|a| {
            let s = sources.remove(&a.account.id).unwrap_or_default();
            Suggestion { account: a, sources: s }
        })
        .collect())
}

/// Stops suggesting an account.
pub async fn dismiss_suggestion(state: &AppState, me: i64, target: i64) -> AppResult<()> {
    let tx = state.db.begin_write().await?;
    moderation::dismiss_suggestion(&*tx, me, target).await?;
    tx.commit().await?;
    Ok(())
}

/// For each account: the accounts I follow that follow it (hidden ones left out).
pub async fn familiar_followers(state: &AppState, me: i64, targets: &[i64]) -> AppResult<Vec<(i64, Vec<AccountView>)>> {
    let db = &state.db.conn;
    let map = discovery::familiar_followers(db, me, targets).await?;
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let ids = map.get(t).cloned().unwrap_or_default();
        let mut list = Vec::new();
        for a in views::accounts(db, &ids).await? {
            if !a.account.suspended && !visibility::hides_account(db, me, &a.account).await? {
                list.push(a);
            }
        }
        out.push((*t, list));
    }
    Ok(out)
}

/// What `GET /api/v1/accounts/search` asks for.
pub struct AccountSearch<'a> {
    pub q: &'a str,
    pub limit: u64,
    pub offset: u64,
    /// Look the account up on its server (signed-in members only).
    pub resolve: bool,
    /// Only accounts the viewer follows.
    pub following: bool,
}

/// Accounts by handle, address or name, minus those the viewer blocks or hides.
pub async fn search_accounts(
    state: &AppState,
    viewer: Option<i64>,
    p: AccountSearch<'_>,
) -> AppResult<Vec<AccountView>> {
    let db = &state.db.conn;
    let q = p.q.trim();
    if q.is_empty() {
        return Ok(vec![]);
    }
    let handle = q.trim_start_matches('@');
    let wanted = (p.offset + p.limit).min(400);
    let ids: Vec<i64> = if handle.contains('@') || q.starts_with("http://") || q.starts_with("https://") {
        crate::federation::search::search(state, q, p.resolve && viewer.is_some()).await.accounts
    } else {
        aq::search_local_accounts(db, handle, wanted).await?.into_iter().map(|a| a.id).collect()
    };
    let mut out = Vec::new();
    for a in views::accounts(db, &ids).await? {
        if a.account.suspended {
            continue;
        }
        if let Some(v) = viewer {
            if visibility::hides_account(db, v, &a.account).await? {
                continue;
            }
            if p.following && !graph::is_following(db, v, a.account.id).await? {
                continue;
            }
        }
        out.push(a);
    }
    Ok(out.into_iter().skip(p.offset as usize).take(p.limit as usize).collect())
}
