//! Filters (Mastodon's v2 filters): a member names words or posts they would rather not see, in
//! some contexts. Where statuses are served to the member, a `warn` filter marks a matching
//! status (`filtered`), a `hide` filter leaves it out. A filter is its owner's alone.
use regex::{Regex, RegexBuilder};
use sea_orm::ConnectionTrait;

use crate::app::AppState;
use crate::db::entities::{filter_keywords, filter_statuses, filters};
use crate::db::queries::filters as fq;
use crate::error::{AppError, AppResult};
use crate::service::views::{NotificationView, StatusView};

pub const CONTEXTS: &[&str] = &["home", "notifications", "public", "thread", "account"];
pub const ACTIONS: &[&str] = &["warn", "hide"];
const MAX_FILTERS: u64 = 100;
const MAX_KEYWORDS: u64 = 100;
const MAX_STATUSES: u64 = 100;
const MAX_TITLE_CHARS: usize = 256;
const MAX_KEYWORD_CHARS: usize = 512;
/// Longest `expires_in` accepted: ten years.
const MAX_EXPIRES_IN: i64 = 10 * 365 * 24 * 3600;

/// Where statuses are being shown, in Mastodon's filter contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterContext {
    Home,
    Notifications,
    Public,
    Thread,
    Account,
}

impl FilterContext {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Notifications => "notifications",
            Self::Public => "public",
            Self::Thread => "thread",
            Self::Account => "account",
        }
    }
}

/// A filter with its keywords and statuses.
#[derive(Debug, Clone)]
pub struct FilterView {
    pub filter: filters::Model,
    pub keywords: Vec<filter_keywords::Model>,
    pub statuses: Vec<filter_statuses::Model>,
}

impl FilterView {
    pub fn context(&self) -> Vec<String> {
        context_of(&self.filter)
    }
}

pub fn context_of(f: &filters::Model) -> Vec<String> {
    f.context.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect()
}

/// Why a status matched one filter (Mastodon's `FilterResult`).
#[derive(Debug, Clone)]
pub struct FilterMatch {
    pub filter: filters::Model,
    pub keyword_matches: Vec<String>,
    pub status_matches: Vec<String>,
}

/// A keyword to add, change (`id`) or remove (`id` and `destroy`).
#[derive(Debug, Clone, Default)]
pub struct KeywordChange {
    pub id: Option<i64>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// What a member sends to create or change a filter; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct FilterChange {
    pub title: Option<String>,
    pub context: Option<Vec<String>>,
    pub filter_action: Option<String>,
    /// `Some(None)`: never expires.
    pub expires_in: Option<Option<i64>>,
    pub keywords: Vec<KeywordChange>,
}

fn invalid(m: &str) -> AppError {
    AppError::unprocessable(format!("Validation failed: {m}"))
}

fn checked_title(t: &str) -> AppResult<String> {
    let t = t.trim();
    if t.is_empty() {
        return Err(invalid("Title can't be blank"));
    }
    if super::char_len(t) > MAX_TITLE_CHARS {
        return Err(invalid("Title is too long (maximum is 256 characters)"));
    }
    Ok(t.to_owned())
}

fn checked_context(c: &[String]) -> AppResult<String> {
    if c.is_empty() {
        return Err(invalid("Context can't be blank"));
    }
    let mut out: Vec<&str> = Vec::new();
    for item in c {
        let Some(known) = CONTEXTS.iter().find(|k| **k == item.as_str()) else {
            return Err(invalid("Context contains an unknown value (home, notifications, public, thread, account)"));
        };
        if !out.contains(known) {
            out.push(known);
        }
    }
    Ok(out.join(","))
}

fn checked_action(a: &str) -> AppResult<String> {
    if ACTIONS.contains(&a) { Ok(a.to_owned()) } else { Err(invalid("Filter action must be warn or hide")) }
}

fn checked_keyword(k: &str) -> AppResult<String> {
    let k = k.trim();
    if k.is_empty() {
        return Err(invalid("Keyword can't be blank"));
    }
    if super::char_len(k) > MAX_KEYWORD_CHARS {
        return Err(invalid("Keyword is too long (maximum is 512 characters)"));
    }
    Ok(k.to_owned())
}

fn expires_at(seconds: Option<i64>) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    match seconds {
        None => Ok(None),
        Some(s) if s > 0 && s <= MAX_EXPIRES_IN => Ok(Some(chrono::Utc::now() + chrono::Duration::seconds(s))),
        Some(_) => Err(invalid("Expires in must be a positive number of seconds")),
    }
}

async fn view(db: &impl ConnectionTrait, filter: filters::Model) -> AppResult<FilterView> {
    let keywords = fq::keywords_of(db, &[filter.id]).await?;
    let statuses = fq::statuses_of(db, &[filter.id]).await?;
    Ok(FilterView { filter, keywords, statuses })
}

/// The member's filters, with keywords and statuses.
pub async fn list(state: &AppState, owner: i64) -> AppResult<Vec<FilterView>> {
    let db = &state.db.conn;
    let all = fq::filters_of(db, owner).await?;
    let ids: Vec<i64> = all.iter().map(|f| f.id).collect();
    let keywords = fq::keywords_of(db, &ids).await?;
    let statuses = fq::statuses_of(db, &ids).await?;
    Ok(all
        .into_iter()
        .map(|f| FilterView {
            keywords: keywords.iter().filter(|k| k.filter_id == f.id).cloned().collect(),
            statuses: statuses.iter().filter(|s| s.filter_id == f.id).cloned().collect(),
            filter: f,
        })
        .collect())
}

/// The member's own filter, or 404 (also for someone else's).
pub async fn own(db: &impl ConnectionTrait, owner: i64, id: i64) -> AppResult<filters::Model> {
    fq::filter_by_id(db, id).await?.filter(|f| f.account_id == owner).ok_or_else(AppError::not_found)
}

pub async fn show(state: &AppState, owner: i64, id: i64) -> AppResult<FilterView> {
    let f = own(&state.db.conn, owner, id).await?;
    view(&state.db.conn, f).await
}

pub async fn create(state: &AppState, owner: i64, c: FilterChange) -> AppResult<FilterView> {
    let title = checked_title(c.title.as_deref().unwrap_or_default())?;
    let context = checked_context(c.context.as_deref().unwrap_or_default())?;
    let filter_action = checked_action(c.filter_action.as_deref().unwrap_or("warn"))?;
    let expires_at = expires_at(c.expires_in.flatten())?;
    if c.keywords.iter().any(|k| k.id.is_some()) {
        return Err(invalid("A new filter has no keywords to change"));
    }
    let tx = state.db.begin_write().await?;
    if fq::count_filters_of(&*tx, owner).await? >= MAX_FILTERS {
        return Err(invalid("You cannot have more than 100 filters"));
    }
    let filter = filters::Model {
        id: crate::ids::next_id(),
        account_id: owner,
        title,
        context,
        filter_action,
        expires_at,
        created_at: chrono::Utc::now(),
    };
    fq::insert_filter(&*tx, filter.clone()).await?;
    apply_keyword_changes(&*tx, filter.id, &c.keywords).await?;
    let v = view(&*tx, filter).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn update(state: &AppState, owner: i64, id: i64, c: FilterChange) -> AppResult<FilterView> {
    let tx = state.db.begin_write().await?;
    let mut filter = own(&*tx, owner, id).await?;
    if let Some(t) = &c.title {
        filter.title = checked_title(t)?;
    }
    if let Some(ctx) = &c.context {
        filter.context = checked_context(ctx)?;
    }
    if let Some(a) = &c.filter_action {
        filter.filter_action = checked_action(a)?;
    }
    if let Some(e) = c.expires_in {
        filter.expires_at = expires_at(e)?;
    }
    fq::update_filter(&*tx, filter.clone()).await?;
    apply_keyword_changes(&*tx, filter.id, &c.keywords).await?;
    let v = view(&*tx, filter).await?;
    // Nothing is written unless every change was valid: an error above drops the transaction.
    tx.commit().await?;
    Ok(v)
}

async fn apply_keyword_changes(db: &impl ConnectionTrait, filter: i64, changes: &[KeywordChange]) -> AppResult<()> {
    for k in changes {
        match k.id {
            Some(kid) => {
                let mut row = fq::keyword_by_id(db, kid)
                    .await?
                    .filter(|r| r.filter_id == filter)
                    .ok_or_else(AppError::not_found)?;
                if k.destroy {
                    fq::delete_keyword(db, kid).await?;
                    continue;
                }
                if let Some(word) = &k.keyword {
                    row.keyword = checked_keyword(word)?;
                }
                if let Some(w) = k.whole_word {
                    row.whole_word = w;
                }
                fq::update_keyword(db, row).await?;
            }
            None if k.destroy => {}
            None => {
                add_keyword_row(db, filter, k.keyword.as_deref().unwrap_or_default(), k.whole_word.unwrap_or(true))
                    .await?;
            }
        }
    }
    Ok(())
}

async fn add_keyword_row(
    db: &impl ConnectionTrait,
    filter: i64,
    keyword: &str,
    whole_word: bool,
) -> AppResult<filter_keywords::Model> {
    let keyword = checked_keyword(keyword)?;
    if fq::count_keywords(db, filter).await? >= MAX_KEYWORDS {
        return Err(invalid("A filter cannot have more than 100 keywords"));
    }
    let row = filter_keywords::Model { id: crate::ids::next_id(), filter_id: filter, keyword, whole_word };
    fq::insert_keyword(db, row.clone()).await?;
    Ok(row)
}

pub async fn delete(state: &AppState, owner: i64, id: i64) -> AppResult<()> {
    let tx = state.db.begin_write().await?;
    let f = own(&*tx, owner, id).await?;
    fq::delete_filter(&*tx, f.id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn keywords(state: &AppState, owner: i64, filter: i64) -> AppResult<Vec<filter_keywords::Model>> {
    let f = own(&state.db.conn, owner, filter).await?;
    Ok(fq::keywords_of(&state.db.conn, &[f.id]).await?)
}

pub async fn add_keyword(
    state: &AppState,
    owner: i64,
    filter: i64,
    keyword: &str,
    whole_word: bool,
) -> AppResult<filter_keywords::Model> {
    let tx = state.db.begin_write().await?;
    let f = own(&*tx, owner, filter).await?;
    let row = add_keyword_row(&*tx, f.id, keyword, whole_word).await?;
    tx.commit().await?;
    Ok(row)
}

/// A keyword of one of the member's filters, or 404.
pub async fn own_keyword(db: &impl ConnectionTrait, owner: i64, id: i64) -> AppResult<filter_keywords::Model> {
    let k = fq::keyword_by_id(db, id).await?.ok_or_else(AppError::not_found)?;
    own(db, owner, k.filter_id).await?;
    Ok(k)
}

pub async fn update_keyword(
    state: &AppState,
    owner: i64,
    id: i64,
    keyword: Option<&str>,
    whole_word: Option<bool>,
) -> AppResult<filter_keywords::Model> {
    let tx = state.db.begin_write().await?;
    let mut k = own_keyword(&*tx, owner, id).await?;
    if let Some(word) = keyword {
        k.keyword = checked_keyword(word)?;
    }
    if let Some(w) = whole_word {
        k.whole_word = w;
    }
    fq::update_keyword(&*tx, k.clone()).await?;
    tx.commit().await?;
    Ok(k)
}

pub async fn delete_keyword(state: &AppState, owner: i64, id: i64) -> AppResult<()> {
    let tx = state.db.begin_write().await?;
    let k = own_keyword(&*tx, owner, id).await?;
    fq::delete_keyword(&*tx, k.id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn statuses(state: &AppState, owner: i64, filter: i64) -> AppResult<Vec<filter_statuses::Model>> {
    let f = own(&state.db.conn, owner, filter).await?;
    Ok(fq::statuses_of(&state.db.conn, &[f.id]).await?)
}

/// Adds a status the member may read to a filter.
pub async fn add_status(state: &AppState, owner: i64, filter: i64, status: i64) -> AppResult<filter_statuses::Model> {
    crate::service::statuses::readable(state, Some(owner), status).await?;
    let tx = state.db.begin_write().await?;
    let f = own(&*tx, owner, filter).await?;
    if fq::count_statuses(&*tx, f.id).await? >= MAX_STATUSES {
        return Err(invalid("A filter cannot have more than 100 statuses"));
    }
    let row = filter_statuses::Model { id: crate::ids::next_id(), filter_id: f.id, status_id: status };
    if !fq::insert_filter_status(&*tx, row.clone()).await? {
        return Err(invalid("Status has already been taken"));
    }
    tx.commit().await?;
    Ok(row)
}

/// A status of one of the member's filters, or 404.
pub async fn own_status(db: &impl ConnectionTrait, owner: i64, id: i64) -> AppResult<filter_statuses::Model> {
    let s = fq::filter_status_by_id(db, id).await?.ok_or_else(AppError::not_found)?;
    own(db, owner, s.filter_id).await?;
    Ok(s)
}

pub async fn delete_status(state: &AppState, owner: i64, id: i64) -> AppResult<()> {
    let tx = state.db.begin_write().await?;
    let s = own_status(&*tx, owner, id).await?;
    fq::delete_filter_status(&*tx, s.id).await?;
    tx.commit().await?;
    Ok(())
}

/// A filter ready to match statuses.
struct Matcher {
    filter: filters::Model,
    keywords: Vec<(String, Regex)>,
    status_ids: Vec<i64>,
}

/// The viewer's unexpired filters for a context.
async fn matchers(db: &impl ConnectionTrait, viewer: i64, ctx: FilterContext) -> AppResult<Vec<Matcher>> {
    let now = chrono::Utc::now();
    let active: Vec<filters::Model> = fq::filters_of(db, viewer)
        .await?
        .into_iter()
        .filter(|f| f.expires_at.is_none_or(|e| e > now))
        .filter(|f| context_of(f).iter().any(|c| c == ctx.as_str()))
        .collect();
    if active.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<i64> = active.iter().map(|f| f.id).collect();
    let keywords = fq::keywords_of(db, &ids).await?;
    let statuses = fq::statuses_of(db, &ids).await?;
    Ok(active
        .into_iter()
        .map(|f| Matcher {
            keywords: keywords
                .iter()
                .filter(|k| k.filter_id == f.id)
                .filter_map(|k| keyword_regex(&k.keyword, k.whole_word).map(|r| (k.keyword.clone(), r)))
                .collect(),
            status_ids: statuses.iter().filter(|s| s.filter_id == f.id).map(|s| s.status_id).collect(),
            filter: f,
        })
        .collect())
}

/// Mastodon's matching: case-insensitive; a whole word has word boundaries on the sides that
/// begin or end with a word character.
fn keyword_regex(keyword: &str, whole_word: bool) -> Option<Regex> {
    let escaped = regex::escape(keyword);
    let pattern = if whole_word {
        let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let start = if is_word(keyword.chars().next()) { r"\b" } else { "" };
        let end = if is_word(keyword.chars().last()) { r"\b" } else { "" };
        format!("{start}{escaped}{end}")
    } else {
        escaped
    };
    RegexBuilder::new(&pattern).case_insensitive(true).size_limit(1 << 20).build().ok()
}

/// What keywords are matched against: the text without markup, the content warning, and the
/// descriptions of the media.
fn searchable_text(v: &StatusView) -> String {
    let mut text = crate::service::text::plain_text(&v.status.content, usize::MAX);
    text.push('\n');
    text.push_str(&v.status.spoiler_text);
    for m in &v.media {
        text.push('\n');
        text.push_str(&m.description);
    }
    text
}

fn matches_of(matchers: &[Matcher], v: &StatusView) -> Vec<FilterMatch> {
    // A boost is judged by what it boosts.
    let target = v.reblog.as_deref().unwrap_or(v);
    let text = if matchers.iter().any(|m| !m.keywords.is_empty()) { searchable_text(target) } else { String::new() };
    matchers
        .iter()
        .filter_map(|m| {
            let keyword_matches: Vec<String> =
                m.keywords.iter().filter(|(_, r)| r.is_match(&text)).map(|(k, _)| k.clone()).collect();
            let status_matches: Vec<String> = m
                .status_ids
                .iter()
                .filter(|id| **id == target.status.id || **id == v.status.id)
                .map(|id| id.to_string())
                .collect();
            (!keyword_matches.is_empty() || !status_matches.is_empty()).then(|| FilterMatch {
                filter: m.filter.clone(),
                keyword_matches,
                status_matches,
            })
        })
        .collect()
}

fn mark(v: &mut StatusView, found: Vec<FilterMatch>) {
    if let Some(inner) = v.reblog.as_deref_mut() {
        inner.filtered = found.clone();
    }
    v.filtered = found;
}

/// Applies the viewer's filters for `ctx` to a list: statuses matching a `hide` filter are left
/// out, the others carry their `warn` matches in `filtered`.
pub async fn apply(
    state: &AppState,
    viewer: Option<i64>,
    ctx: FilterContext,
    list: Vec<StatusView>,
) -> AppResult<Vec<StatusView>> {
    let Some(viewer) = viewer else { return Ok(list) };
    let matchers = matchers(&state.db.conn, viewer, ctx).await?;
    if matchers.is_empty() {
        return Ok(list);
    }
    Ok(list
        .into_iter()
        .filter_map(|mut v| {
            let found = matches_of(&matchers, &v);
            if found.iter().any(|m| m.filter.filter_action == "hide") {
                return None;
            }
            mark(&mut v, found);
            Some(v)
        })
        .collect())
}

/// For one status asked for by id: every match is shown in `filtered`, nothing is left out.
pub async fn annotate(state: &AppState, viewer: Option<i64>, ctx: FilterContext, v: &mut StatusView) -> AppResult<()> {
    let Some(viewer) = viewer else { return Ok(()) };
    let matchers = matchers(&state.db.conn, viewer, ctx).await?;
    if !matchers.is_empty() {
        let found = matches_of(&matchers, v);
        mark(v, found);
    }
    Ok(())
}

/// Notifications about a status hidden by a filter are left out; the others are marked.
pub async fn apply_to_notifications(
    state: &AppState,
    viewer: i64,
    list: Vec<NotificationView>,
) -> AppResult<Vec<NotificationView>> {
    let matchers = matchers(&state.db.conn, viewer, FilterContext::Notifications).await?;
    if matchers.is_empty() {
        return Ok(list);
    }
    Ok(list
        .into_iter()
        .filter_map(|mut n| {
            if let Some(s) = n.status.as_mut() {
                let found = matches_of(&matchers, s);
                if found.iter().any(|m| m.filter.filter_action == "hide") {
                    return None;
                }
                mark(s, found);
            }
            Some(n)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::keyword_regex;

    #[test]
    fn whole_words_and_parts() {
        let w = keyword_regex("cat", true).expect("regex");
        assert!(w.is_match("A Cat sat"));
        assert!(!w.is_match("concatenate"));
        let p = keyword_regex("cat", false).expect("regex");
        assert!(p.is_match("concatenate"));
        let sym = keyword_regex("#tag!", true).expect("regex");
        assert!(sym.is_match("see #TAG! now"));
        let dots = keyword_regex("a.b", false).expect("regex");
        assert!(!dots.is_match("axb"));
    }
}
