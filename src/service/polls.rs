//! Polls: checked when a post is composed, voted on by those who may read the post, and closed by
//! a job at their end time, which tells the voters and the author. A vote on a remote poll and a
//! vote on a local one with a remote audience are federated through `Outgoing` events.
use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::config::PostingSettings;
use crate::db::entities::{accounts, polls, statuses};
use crate::db::queries::{accounts as aq, graph, jobs, notifications as nq, polls as pq, statuses as sq};
use crate::error::{AppError, AppResult};
use crate::service::outgoing::{self, Outgoing};

/// The job that closes a poll at its end time.
pub const END_JOB: &str = "poll_end";

/// A poll as a member composes it (Mastodon's `poll[...]` parameters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPoll {
    pub options: Vec<String>,
    pub expires_in: i64,
    #[serde(default)]
    pub multiple: bool,
    #[serde(default)]
    pub hide_totals: bool,
}

/// Checks a composed poll against the node's limits (those shown in `/api/v2/instance`).
pub fn check(limits: &PostingSettings, p: &NewPoll) -> AppResult<Vec<String>> {
    let options: Vec<String> = p.options.iter().map(|o| o.trim().to_owned()).collect();
    if options.len() < 2 {
        return Err(AppError::unprocessable("Validation failed: Poll must have at least 2 options"));
    }
    if options.len() > limits.poll_max_options {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Poll has too many options (maximum is {})",
            limits.poll_max_options
        )));
    }
    if options.iter().any(String::is_empty) {
        return Err(AppError::unprocessable("Validation failed: Poll options can't be blank"));
    }
    if options.iter().any(|o| super::char_len(o) > limits.poll_max_characters_per_option) {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Poll options are too long (maximum is {} characters)",
            limits.poll_max_characters_per_option
        )));
    }
    let mut unique = options.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != options.len() {
        return Err(AppError::unprocessable("Validation failed: Poll options must be different"));
    }
    if p.expires_in < limits.poll_min_expiration || p.expires_in > limits.poll_max_expiration {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Poll duration must be between {} and {} seconds",
            limits.poll_min_expiration, limits.poll_max_expiration
        )));
    }
    Ok(options)
}

/// Stores a checked poll for a new local status and schedules its end.
pub async fn attach(
    db: &impl ConnectionTrait,
    status: &statuses::Model,
    options: Vec<String>,
    p: &NewPoll,
) -> AppResult<polls::Model> {
    let now = chrono::Utc::now();
    let expires_at = now + chrono::Duration::seconds(p.expires_in);
    let poll = pq::insert(
        db,
        polls::Model {
            id: crate::ids::next_id(),
            status_id: status.id,
            account_id: status.account_id,
            options: serde_json::to_string(&options).map_err(AppError::internal)?,
            multiple: p.multiple,
            hide_totals: p.hide_totals,
            expires_at: Some(expires_at),
            remote_counts: None,
            remote_voters_count: None,
            counts_updated_at: None,
            created_at: now,
        },
    )
    .await?;
    schedule_end(db, &poll).await?;
    Ok(poll)
}

/// Queues the job that closes `poll` at its end time.
pub async fn schedule_end(db: &impl ConnectionTrait, poll: &polls::Model) -> AppResult<()> {
    if let Some(at) = poll.expires_at {
        jobs::enqueue_at(db, END_JOB, &serde_json::json!({ "poll": poll.id }), at).await?;
    }
    Ok(())
}

/// The option titles of a poll.
pub fn titles(poll: &polls::Model) -> Vec<String> {
    serde_json::from_str(&poll.options).unwrap_or_default()
}

/// Whether the poll has ended.
pub fn expired(poll: &polls::Model) -> bool {
    poll.expires_at.is_some_and(|t| t <= chrono::Utc::now())
}

/// A poll with its counts and the viewer's votes.
#[derive(Debug, Clone)]
pub struct PollView {
    pub poll: polls::Model,
    pub titles: Vec<String>,
    pub counts: Vec<i64>,
    pub votes_count: i64,
    pub voters_count: i64,
    /// The viewer's choices; `None` without a viewer.
    pub own_votes: Option<Vec<i32>>,
    /// Whether the viewer wrote the poll (Mastodon counts that as having voted).
    pub own_poll: bool,
}

/// Poll views of `statuses` (by status id) for `viewer`, in a few batched queries.
pub async fn views(
    db: &impl ConnectionTrait,
    viewer: Option<i64>,
    statuses: &[i64],
) -> Result<HashMap<i64, PollView>, sea_orm::DbErr> {
    let list = pq::for_statuses(db, statuses).await?;
    if list.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = list.iter().map(|p| p.id).collect();
    let tallies = pq::local_tallies(db, &ids).await?;
    let own = match viewer {
        Some(v) => Some(pq::own_votes(db, v, &ids).await?),
        None => None,
    };
    Ok(list
        .into_iter()
        .map(|poll| {
            let titles = titles(&poll);
            let (local, local_voters) = tallies.get(&poll.id).cloned().unwrap_or_default();
            let remote: Vec<i64> =
                poll.remote_counts.as_deref().and_then(|c| serde_json::from_str(c).ok()).unwrap_or_default();
            let counts: Vec<i64> = (0..titles.len())
                .map(|i| {
                    remote.get(i).copied().unwrap_or(0)
                        + i32::try_from(i).ok().and_then(|c| local.get(&c).copied()).unwrap_or(0)
                })
                .collect();
            let votes_count = counts.iter().sum();
            let voters_count = match (poll.remote_counts.is_some(), poll.remote_voters_count) {
                (true, Some(v)) => v + local_voters,
                // A remote single-choice poll: one vote per voter.
                (true, None) if !poll.multiple => votes_count,
                _ => local_voters,
            };
            let view = PollView {
                own_votes: own.as_ref().map(|o| o.get(&poll.id).cloned().unwrap_or_default()),
                own_poll: viewer == Some(poll.account_id),
                titles,
                counts,
                votes_count,
                voters_count,
                poll,
            };
            (view.poll.status_id, view)
        })
        .collect())
}

/// The poll `id` and its status, if `viewer` may read the status (404 otherwise).
pub async fn readable(state: &AppState, viewer: Option<i64>, id: i64) -> AppResult<(polls::Model, statuses::Model)> {
    let poll = pq::by_id(&state.db.conn, id).await?.ok_or_else(AppError::not_found)?;
    let status = super::statuses::readable(state, viewer, poll.status_id).await?;
    Ok((poll, status))
}

/// One poll's view for `viewer`.
pub async fn view(state: &AppState, viewer: Option<i64>, id: i64) -> AppResult<PollView> {
    let (poll, _) = readable(state, viewer, id).await?;
    views(&state.db.conn, viewer, &[poll.status_id]).await?.remove(&poll.status_id).ok_or_else(AppError::not_found)
}

/// Checks a vote: options in range, one for a single-choice poll, no repeats.
fn check_choices(poll: &polls::Model, choices: &[i64]) -> AppResult<Vec<i32>> {
    let n = titles(poll).len();
    let mut out: Vec<i32> = Vec::with_capacity(choices.len());
    for c in choices {
        let ok = usize::try_from(*c).ok().filter(|c| *c < n).and_then(|c| i32::try_from(c).ok());
        let Some(c) = ok else {
            return Err(AppError::unprocessable(format!("Validation failed: {c} is not an option of this poll")));
        };
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(AppError::unprocessable("Validation failed: Choose at least one option"));
    }
    if !poll.multiple && out.len() > 1 {
        return Err(AppError::unprocessable("Validation failed: This poll allows only one choice"));
    }
    Ok(out)
}

/// A member votes. Refused (422) when the poll has ended, is their own, or they already voted;
/// 404 when they may not read its post.
pub async fn vote(state: &AppState, who: &accounts::Model, id: i64, choices: &[i64]) -> AppResult<PollView> {
    let (poll, status) = readable(state, Some(who.id), id).await?;
    if expired(&poll) {
        return Err(AppError::unprocessable("Validation failed: The poll has already ended"));
    }
    if poll.account_id == who.id {
        return Err(AppError::unprocessable("Validation failed: You cannot vote in your own poll"));
    }
    let chosen = check_choices(&poll, choices)?;
    let tx = state.db.begin_write().await?;
    // Two votes of the same member at once: the second waits here and then sees the first.
    pq::lock(&*tx, poll.id).await?;
    if !pq::votes_of(&*tx, poll.id, who.id).await?.is_empty() {
        return Err(AppError::unprocessable("Validation failed: You have already voted on this poll"));
    }
    let mut votes = Vec::new();
    for c in &chosen {
        if let Some(v) = pq::insert_vote(&*tx, poll.id, who.id, *c, None).await? {
            votes.push(v);
        }
    }
    if status.uri.is_some() {
        // A remote poll: the votes go to its author's server.
        outgoing::emit(&*tx, &Outgoing::Vote { account: who.id, poll: poll.id, votes }).await?;
    } else {
        announce_counts(&*tx, &status, poll.id).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    view(state, Some(who.id), id).await
}

/// After the counts of a local poll changed: tell the servers that have it (the author's
/// followers there and the remote voters) with an Update of the Question, as Mastodon does.
pub async fn announce_counts(db: &impl ConnectionTrait, status: &statuses::Model, poll: i64) -> AppResult<()> {
    if status.uri.is_some() {
        return Ok(());
    }
    let remote_voters = aq::accounts_by_ids(db, &pq::voters(db, poll).await?).await?.iter().any(|a| a.domain.is_some());
    let followers = super::visibility::Visibility::of(status) != super::visibility::Visibility::Direct
        && graph::has_remote_followers(db, status.account_id).await?;
    if remote_voters || followers {
        outgoing::emit_once(db, &Outgoing::PollUpdate { status: status.id }).await?;
    }
    Ok(())
}

/// A vote from another server on a local poll (one option per activity, as Mastodon sends
/// them). Votes on ended polls, repeated votes, a second option of a single-choice poll and
/// votes of those who may not read the post are ignored.
pub async fn receive_vote(
    state: &AppState,
    voter: &accounts::Model,
    status: &statuses::Model,
    title: &str,
    uri: &str,
) -> AppResult<()> {
    let Some(poll) = pq::by_status(&state.db.conn, status.id).await? else { return Ok(()) };
    let Some(choice) = titles(&poll).iter().position(|t| t == title.trim()).and_then(|c| i32::try_from(c).ok()) else {
        return Ok(());
    };
    if expired(&poll) || !super::visibility::can_read(&state.db.conn, Some(voter.id), status).await? {
        return Ok(());
    }
    let tx = state.db.begin_write().await?;
    pq::lock(&*tx, poll.id).await?;
    let earlier = pq::votes_of(&*tx, poll.id, voter.id).await?;
    if !poll.multiple && !earlier.is_empty() {
        return Ok(());
    }
    if pq::insert_vote(&*tx, poll.id, voter.id, choice, Some(uri.to_owned())).await?.is_some() {
        announce_counts(&*tx, status, poll.id).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(())
}

/// Runs a `poll_end` job: notifies the local voters, and the author of a local poll, that the
/// poll has ended. A job for a poll whose end moved later does nothing (another job waits).
pub async fn run_end(state: &AppState, payload: &str) -> AppResult<()> {
    #[derive(Deserialize)]
    struct Payload {
        poll: i64,
    }
    let p: Payload = serde_json::from_str(payload).map_err(AppError::internal)?;
    let Some(poll) = pq::by_id(&state.db.conn, p.poll).await? else { return Ok(()) };
    if !expired(&poll) {
        return Ok(());
    }
    let Some(status) = sq::status_by_id(&state.db.conn, poll.status_id).await? else { return Ok(()) };
    let mut recipients: Vec<i64> = aq::accounts_by_ids(&state.db.conn, &pq::voters(&state.db.conn, poll.id).await?)
        .await?
        .into_iter()
        .filter(|a| a.domain.is_none())
        .map(|a| a.id)
        .collect();
    if status.uri.is_none() {
        recipients.push(poll.account_id);
    }
    let tx = state.db.begin_write().await?;
    for r in recipients {
        nq::insert(&*tx, r, poll.account_id, "poll", Some(status.id)).await?;
    }
    // Other servers learn that the poll is closed.
    announce_counts(&*tx, &status, poll.id).await?;
    tx.commit().await?;
    state.wake_jobs();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> PostingSettings {
        PostingSettings {
            poll_max_options: 4,
            poll_max_characters_per_option: 50,
            poll_min_expiration: 300,
            poll_max_expiration: 2_629_746,
            scheduled_min_lead_seconds: 300,
        }
    }

    fn poll(options: &[&str], expires_in: i64) -> NewPoll {
        NewPoll { options: options.iter().map(|o| (*o).to_owned()).collect(), expires_in, ..Default::default() }
    }

    #[test]
    fn a_poll_is_checked_against_the_limits_apps_are_shown() {
        assert_eq!(check(&limits(), &poll(&[" Yes ", "No"], 300)).expect("ok"), vec!["Yes", "No"]);
        for bad in [
            poll(&["Only"], 300),
            poll(&["a", "b", "c", "d", "e"], 300),
            poll(&["a", &"x".repeat(51)], 300),
            poll(&["a", "a"], 300),
            poll(&["a", ""], 300),
            poll(&["a", "b"], 299),
            poll(&["a", "b"], 2_629_747),
        ] {
            assert!(check(&limits(), &bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_vote_names_existing_options_and_one_of_a_single_choice_poll() {
        let now = chrono::Utc::now();
        let mut p = polls::Model {
            id: 1,
            status_id: 1,
            account_id: 1,
            options: "[\"a\",\"b\",\"c\"]".into(),
            multiple: false,
            hide_totals: false,
            expires_at: None,
            remote_counts: None,
            remote_voters_count: None,
            counts_updated_at: None,
            created_at: now,
        };
        assert_eq!(check_choices(&p, &[2]).expect("ok"), vec![2]);
        assert!(check_choices(&p, &[3]).is_err());
        assert!(check_choices(&p, &[-1]).is_err());
        assert!(check_choices(&p, &[]).is_err());
        assert!(check_choices(&p, &[0, 1]).is_err());
        p.multiple = true;
        assert_eq!(check_choices(&p, &[0, 2, 2]).expect("ok"), vec![0, 2]);
    }
}
