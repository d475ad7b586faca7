//! Following, follow requests (locked accounts), blocks and mutes.
use crate::app::AppState;
use crate::db::entities::accounts;
use crate::db::queries::{accounts as aq, graph, moderation, notifications as nq};
use crate::error::{AppError, AppResult};
use crate::service::outgoing::{self, Outgoing};

async fn target(state: &AppState, me: &accounts::Model, id: i64) -> AppResult<accounts::Model> {
    let t = aq::account_by_id(&state.db.conn, id).await?.ok_or_else(AppError::not_found)?;
    if t.suspended {
        return Err(AppError::not_found());
    }
    if t.id == me.id {
        return Err(AppError::forbidden("You cannot do this to yourself"));
    }
    Ok(t)
}

/// Follows an account, or asks to when it is locked. Idempotent.
pub async fn follow(state: &AppState, me: &accounts::Model, id: i64) -> AppResult<graph::RelationshipView> {
    let t = target(state, me, id).await?;
    if graph::blocked_either_way(&state.db.conn, me.id, t.id).await? {
        return Err(AppError::forbidden("This action is not allowed"));
    }
    if let Some(d) = &t.domain
        && crate::db::queries::instances::is_blocked(&state.db.conn, d).await?
    {
        return Err(AppError::forbidden("This domain is blocked on this node"));
    }
    let tx = state.db.begin_write().await?;
    if !graph::is_following(&*tx, me.id, t.id).await? {
        if t.domain.is_some() {
            // A remote account answers with Accept (or Reject); until then it is a request.
            if !graph::has_request(&*tx, me.id, t.id).await? {
                let id = crate::ids::next_id();
                let follow_id = outgoing::activity_id(&state.base_url, "follow", id);
                graph::insert_follow_request(&*tx, id, me.id, t.id, Some(&follow_id)).await?;
                outgoing::emit(&*tx, &Outgoing::Follow { follower: me.id, target: t.id, follow_id }).await?;
            }
        } else if t.locked {
            if !graph::has_request(&*tx, me.id, t.id).await? {
                graph::insert_follow_request(&*tx, crate::ids::next_id(), me.id, t.id, None).await?;
                nq::insert(&*tx, t.id, me.id, "follow_request", None).await?;
            }
        } else {
            graph::insert_follow(&*tx, crate::ids::next_id(), me.id, t.id, None).await?;
            nq::insert(&*tx, t.id, me.id, "follow", None).await?;
        }
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(graph::relationship(&state.db.conn, me.id, t.id).await?)
}

/// Stops following (or withdraws a request).
pub async fn unfollow(state: &AppState, me: &accounts::Model, id: i64) -> AppResult<graph::RelationshipView> {
    let t = target(state, me, id).await?;
    let tx = state.db.begin_write().await?;
    let follow_uri = match graph::follow(&*tx, me.id, t.id).await? {
        Some(f) => f.uri,
        None => graph::follow_request(&*tx, me.id, t.id).await?.and_then(|r| r.uri),
    };
    graph::delete_follow(&*tx, me.id, t.id).await?;
    if graph::delete_follow_request(&*tx, me.id, t.id).await? > 0 {
        nq::delete_matching(&*tx, t.id, me.id, "follow_request", None).await?;
    }
    if t.domain.is_some()
        && let Some(follow_id) = follow_uri
    {
        outgoing::emit(&*tx, &Outgoing::Unfollow { follower: me.id, target: t.id, follow_id }).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(graph::relationship(&state.db.conn, me.id, t.id).await?)
}

/// Accepts or rejects someone's request to follow me.
pub async fn answer_request(
    state: &AppState,
    me: &accounts::Model,
    from: i64,
    accept: bool,
) -> AppResult<graph::RelationshipView> {
    let tx = state.db.begin_write().await?;
    let request = graph::follow_request(&*tx, from, me.id).await?;
    if graph::delete_follow_request(&*tx, from, me.id).await? == 0 {
        return Err(AppError::not_found_msg("No such follow request"));
    }
    nq::delete_matching(&*tx, me.id, from, "follow_request", None).await?;
    let follow_uri = request.and_then(|r| r.uri);
    if accept {
        graph::insert_follow(&*tx, crate::ids::next_id(), from, me.id, follow_uri.as_deref()).await?;
        nq::insert(&*tx, me.id, from, "follow", None).await?;
        // A remote follower learns of the decision through an Accept.
        if let Some(follow_id) = follow_uri {
            outgoing::emit(&*tx, &Outgoing::AcceptFollow { follower: from, target: me.id, follow_id }).await?;
        }
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(graph::relationship(&state.db.conn, me.id, from).await?)
}

/// Blocks an account: both follow directions end.
pub async fn block(state: &AppState, me: &accounts::Model, id: i64) -> AppResult<graph::RelationshipView> {
    let t = target(state, me, id).await?;
    let tx = state.db.begin_write().await?;
    let block_id = crate::ids::next_id();
    graph::insert_block(&*tx, block_id, me.id, t.id).await?;
    let block_id = graph::block_row(&*tx, me.id, t.id).await?.map(|b| b.id).unwrap_or(block_id);
    graph::delete_follow(&*tx, me.id, t.id).await?;
    graph::delete_follow(&*tx, t.id, me.id).await?;
    graph::delete_follow_request(&*tx, me.id, t.id).await?;
    graph::delete_follow_request(&*tx, t.id, me.id).await?;
    if t.domain.is_some() {
        outgoing::emit(&*tx, &Outgoing::Block { account: me.id, target: t.id, block: block_id }).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(graph::relationship(&state.db.conn, me.id, t.id).await?)
}

pub async fn unblock(state: &AppState, me: &accounts::Model, id: i64) -> AppResult<graph::RelationshipView> {
    let t = target(state, me, id).await?;
    let tx = state.db.begin_write().await?;
    let row = graph::block_row(&*tx, me.id, t.id).await?;
    graph::delete_block(&*tx, me.id, t.id).await?;
    if let (Some(_), Some(row)) = (&t.domain, row) {
        outgoing::emit(&*tx, &Outgoing::Unblock { account: me.id, target: t.id, block: row.id }).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(graph::relationship(&state.db.conn, me.id, t.id).await?)
}

/// The longest a temporary mute may last (Mastodon offers up to a week in its apps; clients
/// may send any number of seconds, so a bound keeps the date representable).
const MAX_MUTE_SECONDS: i64 = 10 * 365 * 24 * 3600;

/// Mutes an account (hidden from my timelines; optionally from my notifications), for
/// `duration_seconds` (None or 0: until unmuted).
pub async fn mute(
    state: &AppState,
    me: &accounts::Model,
    id: i64,
    notifications: bool,
    duration_seconds: Option<i64>,
) -> AppResult<graph::RelationshipView> {
    let expires_at = match duration_seconds {
        None | Some(0) => None,
        Some(d) if (1..=MAX_MUTE_SECONDS).contains(&d) => Some(chrono::Utc::now() + chrono::Duration::seconds(d)),
        Some(_) => return Err(AppError::unprocessable("Validation failed: duration must be a number of seconds")),
    };
    let t = target(state, me, id).await?;
    let tx = state.db.begin_write().await?;
    graph::insert_mute(&*tx, crate::ids::next_id(), me.id, t.id, notifications, expires_at).await?;
    tx.commit().await?;
    Ok(graph::relationship(&state.db.conn, me.id, t.id).await?)
}

pub async fn unmute(state: &AppState, me: &accounts::Model, id: i64) -> AppResult<graph::RelationshipView> {
    let t = target(state, me, id).await?;
    let tx = state.db.begin_write().await?;
    graph::delete_mute(&*tx, me.id, t.id).await?;
    tx.commit().await?;
    Ok(graph::relationship(&state.db.conn, me.id, t.id).await?)
}

/// Hides a whole remote domain from a member: its accounts and posts leave their timelines,
/// notifications and search, and follows either way end (the remote side is told of the
/// member's unfollows). Idempotent.
pub async fn block_domain(state: &AppState, me: &accounts::Model, domain: &str) -> AppResult<()> {
    let domain = crate::service::domains::normalise_domain(domain)
        .map_err(|_| AppError::unprocessable("Validation failed: domain must be a domain like example.org"))?;
    if domain.eq_ignore_ascii_case(&state.settings.domain) {
        return Err(AppError::unprocessable("Validation failed: you cannot hide this server's own domain"));
    }
    let tx = state.db.begin_write().await?;
    moderation::insert_domain_block(&*tx, me.id, &domain).await?;
    let (following, _followers) = graph::take_follows_with_domain(&*tx, me.id, &domain).await?;
    for f in following {
        if let Some(follow_id) = f.uri {
            outgoing::emit(&*tx, &Outgoing::Unfollow { follower: me.id, target: f.target_account_id, follow_id })
                .await?;
        }
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(())
}

/// Shows a domain again (follows that ended stay ended).
pub async fn unblock_domain(state: &AppState, me: &accounts::Model, domain: &str) -> AppResult<()> {
    let domain = crate::service::domains::normalise_domain(domain)
        .map_err(|_| AppError::unprocessable("Validation failed: domain must be a domain like example.org"))?;
    let tx = state.db.begin_write().await?;
    moderation::delete_domain_block(&*tx, me.id, &domain).await?;
    tx.commit().await?;
    Ok(())
}
