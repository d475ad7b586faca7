//! Moving an account: a member lists their other accounts as aliases, and moves from this
//! account to another one that lists this one. Followers here follow the new account at once;
//! other servers are told with a `Move` and do the same for theirs.
use crate::app::AppState;
use crate::db::entities::accounts;
use crate::db::queries::{accounts as aq, graph};
use crate::error::{AppError, AppResult};
use crate::service::outgoing::{self, Outgoing};

/// How many aliases an account may list.
const MAX_ALIASES: usize = 10;

/// Adds `alias` (the ActivityPub id of another account of the member's) to their aliases.
pub async fn add_alias(state: &AppState, me: &accounts::Model, alias_ap_id: &str, alias_id: i64) -> AppResult<()> {
    if alias_id == me.id {
        return Err(AppError::unprocessable("That is this account"));
    }
    let mut list: Vec<String> = serde_json::from_str(&me.also_known_as).unwrap_or_default();
    if list.iter().any(|a| a == alias_ap_id) {
        return Ok(());
    }
    if list.len() >= MAX_ALIASES {
        return Err(AppError::unprocessable(format!("You can list at most {MAX_ALIASES} other accounts")));
    }
    list.push(alias_ap_id.to_owned());
    let tx = state.db.begin_write().await?;
    aq::set_aliases(&*tx, me.id, &serde_json::to_string(&list).map_err(AppError::internal)?).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes an alias.
pub async fn remove_alias(state: &AppState, me: &accounts::Model, alias_ap_id: &str) -> AppResult<()> {
    let mut list: Vec<String> = serde_json::from_str(&me.also_known_as).unwrap_or_default();
    list.retain(|a| a != alias_ap_id);
    let tx = state.db.begin_write().await?;
    aq::set_aliases(&*tx, me.id, &serde_json::to_string(&list).map_err(AppError::internal)?).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves `me` to `target`, which must list `my_ap_id` among its aliases (the caller reads them
/// fresh from the target's server). Recorded with the `Move` to send, in one transaction.
pub async fn move_to(
    state: &AppState,
    me: &accounts::Model,
    my_ap_id: &str,
    target: &accounts::Model,
) -> AppResult<()> {
    if target.id == me.id {
        return Err(AppError::unprocessable("Choose another account to move to"));
    }
    if me.moved_to_account_id.is_some() {
        return Err(AppError::unprocessable("This account has already moved"));
    }
    let aliases: Vec<String> = serde_json::from_str(&target.also_known_as).unwrap_or_default();
    if !aliases.iter().any(|a| a == my_ap_id) {
        return Err(AppError::unprocessable(
            "The new account must first list this one as an alias (in its settings: \"Other accounts of mine\")",
        ));
    }
    let tx = state.db.begin_write().await?;
    aq::set_moved_to(&*tx, me.id, target.id).await?;
    outgoing::emit(&*tx, &Outgoing::Move { account: me.id, target: target.id }).await?;
    tx.commit().await?;
    state.wake_jobs();
    move_local_followers(state, me, target).await
}

/// This node's followers of `old` follow `new` instead (a request, if `new` is locked), unless
/// a block stands between them.
pub async fn move_local_followers(state: &AppState, old: &accounts::Model, new: &accounts::Model) -> AppResult<()> {
    for follower in graph::local_followers_of(&state.db.conn, old.id).await? {
        if follower.id == new.id || graph::blocked_either_way(&state.db.conn, follower.id, new.id).await? {
            continue;
        }
        // Follow the new account first, then let go of the old one, as Mastodon does.
        if let Err(e) = crate::service::follows::follow(state, &follower, new.id).await {
            tracing::info!(follower = follower.id, error = %e, "could not follow the moved account");
            continue;
        }
        if let Err(e) = crate::service::follows::unfollow(state, &follower, old.id).await {
            tracing::info!(follower = follower.id, error = %e, "could not unfollow the old account");
        }
    }
    Ok(())
}
