//! Lists: a member groups accounts they follow and reads their posts as a separate timeline.
//! A list is its owner's alone; anyone else is told it does not exist.
use crate::app::AppState;
use crate::db::entities::lists;
use crate::db::queries::statuses::SqlFilter;
use crate::db::queries::{Page, graph, lists as lq};
use crate::error::{AppError, AppResult};

/// Most lists one member may have.
pub const MAX_LISTS: u64 = 50;
const MAX_TITLE_CHARS: usize = 256;

/// Which replies a list shows (Mastodon's `replies_policy`).
pub const REPLIES_POLICIES: &[&str] = &["followed", "list", "none"];

/// What a member sends to create or change a list; `None` keeps the current value.
#[derive(Debug, Default, Clone)]
pub struct ListChange {
    pub title: Option<String>,
    pub replies_policy: Option<String>,
    pub exclusive: Option<bool>,
}

fn checked_title(title: &str) -> AppResult<String> {
    let t = title.trim();
    if t.is_empty() {
        return Err(AppError::unprocessable("Validation failed: Title can't be blank"));
    }
    if super::char_len(t) > MAX_TITLE_CHARS {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Title is too long (maximum is {MAX_TITLE_CHARS} characters)"
        )));
    }
    Ok(t.to_owned())
}

fn checked_policy(p: &str) -> AppResult<String> {
    if REPLIES_POLICIES.contains(&p) {
        Ok(p.to_owned())
    } else {
        Err(AppError::unprocessable("Validation failed: Replies policy must be followed, list or none"))
    }
}

/// The member's own list, or 404 (also for someone else's list).
pub async fn own(state: &AppState, owner: i64, id: i64) -> AppResult<lists::Model> {
    lq::list_by_id(&state.db.conn, id).await?.filter(|l| l.account_id == owner).ok_or_else(AppError::not_found)
}

pub async fn create(state: &AppState, owner: i64, c: ListChange) -> AppResult<lists::Model> {
    let title = checked_title(c.title.as_deref().unwrap_or_default())?;
    let replies_policy = checked_policy(c.replies_policy.as_deref().unwrap_or("list"))?;
    let tx = state.db.begin_write().await?;
    if lq::count_lists_of(&*tx, owner).await? >= MAX_LISTS {
        return Err(AppError::unprocessable(format!("Validation failed: You cannot have more than {MAX_LISTS} lists")));
    }
    let list = lists::Model {
        id: crate::ids::next_id(),
        account_id: owner,
        title,
        replies_policy,
        exclusive: c.exclusive.unwrap_or(false),
        created_at: chrono::Utc::now(),
    };
    lq::insert_list(&*tx, list.clone()).await?;
    tx.commit().await?;
    Ok(list)
}

pub async fn update(state: &AppState, owner: i64, id: i64, c: ListChange) -> AppResult<lists::Model> {
    let mut list = own(state, owner, id).await?;
    if let Some(t) = &c.title {
        list.title = checked_title(t)?;
    }
    if let Some(p) = &c.replies_policy {
        list.replies_policy = checked_policy(p)?;
    }
    if let Some(e) = c.exclusive {
        list.exclusive = e;
    }
    let tx = state.db.begin_write().await?;
    lq::update_list(&*tx, list.clone()).await?;
    tx.commit().await?;
    Ok(list)
}

pub async fn delete(state: &AppState, owner: i64, id: i64) -> AppResult<()> {
    let list = own(state, owner, id).await?;
    let tx = state.db.begin_write().await?;
    lq::delete_list(&*tx, list.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds accounts the owner follows; if any cannot be added, none is.
pub async fn add_accounts(state: &AppState, owner: i64, id: i64, accounts: &[i64]) -> AppResult<()> {
    let list = own(state, owner, id).await?;
    if accounts.is_empty() {
        return Err(AppError::unprocessable("Validation failed: account_ids can't be blank"));
    }
    let mut wanted = accounts.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let tx = state.db.begin_write().await?;
    for a in &wanted {
        if crate::db::queries::accounts::account_by_id(&*tx, *a).await?.is_none() {
            return Err(AppError::not_found());
        }
        if !graph::is_following(&*tx, owner, *a).await? {
            return Err(AppError::unprocessable("Validation failed: You must follow an account to add it to a list"));
        }
    }
    if !lq::members_among(&*tx, list.id, &wanted).await?.is_empty() {
        return Err(AppError::unprocessable("Validation failed: Account has already been taken"));
    }
    for a in &wanted {
        lq::add_member(&*tx, list.id, *a).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove_accounts(state: &AppState, owner: i64, id: i64, accounts: &[i64]) -> AppResult<()> {
    let list = own(state, owner, id).await?;
    let tx = state.db.begin_write().await?;
    lq::remove_members(&*tx, list.id, accounts).await?;
    tx.commit().await?;
    Ok(())
}

/// The list's members (followed ones), with the membership ids for paging.
pub async fn members(
    state: &AppState,
    owner: i64,
    id: i64,
    page: Page,
) -> AppResult<(Vec<crate::service::views::AccountView>, Option<i64>, Option<i64>)> {
    let list = own(state, owner, id).await?;
    let rows = lq::members(&state.db.conn, &list, page).await?;
    let (first, last) = (rows.first().map(|r| r.id), rows.last().map(|r| r.id));
    let ids: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    Ok((crate::service::views::accounts(&state.db.conn, &ids).await?, first, last))
}

/// Which replies the list shows: replies to oneself and to the owner always; to accounts the
/// owner follows (`followed`) or to members of the list (`list`); no other (`none`).
pub fn replies_filter(list: &lists::Model) -> SqlFilter {
    let base = "s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id \
                OR s.in_reply_to_account_id = ?";
    match list.replies_policy.as_str() {
        "followed" => SqlFilter::new(
            format!(
                "{base} OR EXISTS (SELECT 1 FROM follows rf WHERE rf.account_id = ? \
                 AND rf.target_account_id = s.in_reply_to_account_id)"
            ),
            vec![list.account_id.into(), list.account_id.into()],
        ),
        "list" => SqlFilter::new(
            format!(
                "{base} OR EXISTS (SELECT 1 FROM list_accounts rl WHERE rl.list_id = ? \
                 AND rl.account_id = s.in_reply_to_account_id)"
            ),
            vec![list.account_id.into(), list.id.into()],
        ),
        _ => SqlFilter::new(base, vec![list.account_id.into()]),
    }
}
