//! What a local action means for other servers. Services record an `Outgoing` event as a job
//! in the same transaction as the change; the federation sender (`federation::outbox`) turns it
//! into signed activities later. Services never build ActivityStreams JSON themselves.
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use crate::db::queries::jobs;
use crate::error::AppResult;

/// The job kind of outgoing federation events.
pub const JOB_KIND: &str = "federate";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Outgoing {
    /// A local status was created: deliver it to its remote audience.
    Post {
        status: i64,
    },
    /// A local member asked to follow a remote account.
    Follow {
        follower: i64,
        target: i64,
        follow_id: String,
    },
    /// A local member stopped following (or withdrew the request).
    Unfollow {
        follower: i64,
        target: i64,
        follow_id: String,
    },
    /// A local member accepted a remote account's follow.
    AcceptFollow {
        follower: i64,
        target: i64,
        follow_id: String,
    },
    /// A local member liked a remote post (`like` is the favourite's id).
    Like {
        account: i64,
        status: i64,
        like: i64,
    },
    Unlike {
        account: i64,
        status: i64,
        like: i64,
    },
    /// A local member boosted a post (`boost` is the boost's status id).
    Announce {
        account: i64,
        boost: i64,
    },
    Unannounce {
        account: i64,
        boost: i64,
        original: i64,
    },
    /// A local post was edited.
    Update {
        status: i64,
    },
    /// A local member blocked (or unblocked) a remote account.
    Block {
        account: i64,
        target: i64,
        block: i64,
    },
    Unblock {
        account: i64,
        target: i64,
        block: i64,
    },
    /// A local post was deleted; the audience is recorded now, as the rows are gone.
    Delete {
        account: i64,
        status: i64,
        followers: bool,
        mentioned: Vec<i64>,
    },
    /// A local member voted on a remote poll: one Note per chosen option (`votes` are the
    /// `poll_votes` rows), addressed to the poll's author.
    Vote {
        account: i64,
        poll: i64,
        votes: Vec<i64>,
    },
    /// The counts of a local poll changed, or it ended: an Update of the Question to the
    /// author's remote followers and the remote voters.
    PollUpdate {
        status: i64,
    },
    /// A member reported a remote account and asked for the report to be forwarded to its
    /// server (a `Flag`).
    Report {
        report: i64,
    },
    /// A local member moved to another account.
    Move {
        account: i64,
        target: i64,
    },
}

/// Queues an event in the caller's transaction.
pub async fn emit(db: &impl ConnectionTrait, event: &Outgoing) -> AppResult<()> {
    let payload = serde_json::to_value(event).map_err(crate::error::AppError::internal)?;
    jobs::enqueue(db, JOB_KIND, &payload).await?;
    Ok(())
}

/// Queues an event unless the same one already waits to be sent (a burst of poll votes makes
/// one Update, not one per vote).
pub async fn emit_once(db: &impl ConnectionTrait, event: &Outgoing) -> AppResult<()> {
    let payload = serde_json::to_value(event).map_err(crate::error::AppError::internal)?;
    if !jobs::waiting(db, JOB_KIND, &payload).await? {
        jobs::enqueue(db, JOB_KIND, &payload).await?;
    }
    Ok(())
}

/// The id of a new local activity.
pub fn activity_id(base_url: &str, kind: &str, id: i64) -> String {
    format!("{base_url}/activities/{kind}/{id}")
}
