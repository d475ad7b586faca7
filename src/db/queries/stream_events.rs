//! The streaming events log. An event (a kind and ids, never rendered content) is written in the
//! transaction that caused it, so it exists exactly when the change was committed: a rolled back
//! transaction leaves no event, and a committed one cannot lose its event. On PostgreSQL the same
//! transaction sends `NOTIFY khub_stream` with the row's id, which PostgreSQL delivers to every
//! listening process at commit; on SQLite the one process reads the log after its commits.
//! `record` is the one emission function; `streaming/` reads the log and fans events out.
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::statuses::statement;

/// The PostgreSQL channel every process listens on.
pub const CHANNEL: &str = "khub_stream";

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StreamEvent {
    /// A new status or boost.
    Status { id: i64 },
    /// A status was edited.
    Edited { id: i64 },
    /// A status (or boost) was deleted; what it was is kept, to decide who may hear of it.
    Deleted(DeletedStatus),
    /// A new notification.
    Notification { id: i64 },
}

/// A deleted status as it was: enough to decide which streams could have carried it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedStatus {
    pub id: i64,
    pub account_id: i64,
    pub visibility: String,
    /// Written on this node (no ActivityPub `uri` of another server).
    pub local: bool,
    pub reblog_of_id: Option<i64>,
    pub mentioned: Vec<i64>,
    pub tags: Vec<String>,
}

/// A row of the log.
#[derive(Debug, Clone, FromQueryResult)]
pub struct StreamEventRow {
    pub id: i64,
    pub payload: String,
}

impl StreamEventRow {
    /// The event, or `None` for a payload this version does not understand.
    pub fn event(&self) -> Option<StreamEvent> {
        serde_json::from_str(&self.payload).ok()
    }
}

/// Records `event` in the caller's transaction (and on PostgreSQL notifies the listeners, which
/// PostgreSQL delivers only if and when the transaction commits).
pub async fn record(db: &impl ConnectionTrait, event: &StreamEvent) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let id = crate::ids::next_id();
    let payload = serde_json::to_string(event).map_err(|e| DbErr::Custom(e.to_string()))?;
    let insert =
        statement(backend, "INSERT INTO stream_events (id, payload) VALUES (?, ?)", vec![id.into(), payload.into()]);
    db.execute_raw(insert).await?;
    if backend == DbBackend::Postgres {
        let notify = statement(backend, "SELECT pg_notify(?, ?)", vec![CHANNEL.into(), id.to_string().into()]);
        db.execute_raw(notify).await?;
    }
    Ok(())
}

/// Events after `id`, oldest first.
pub async fn after(db: &impl ConnectionTrait, id: i64, limit: u64) -> Result<Vec<StreamEventRow>, DbErr> {
    let sql = format!("SELECT id, payload FROM stream_events WHERE id > ? ORDER BY id LIMIT {limit}");
    StreamEventRow::find_by_statement(statement(db.get_database_backend(), &sql, vec![id.into()])).all(db).await
}

/// The events with these ids, oldest first.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<StreamEventRow>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = vec!["?"; ids.len()].join(",");
    let sql = format!("SELECT id, payload FROM stream_events WHERE id IN ({placeholders}) ORDER BY id");
    let values = ids.iter().map(|i| (*i).into()).collect();
    StreamEventRow::find_by_statement(statement(db.get_database_backend(), &sql, values)).all(db).await
}

#[derive(Debug, FromQueryResult)]
struct MaxRow {
    id: Option<i64>,
}

/// The newest event's id (0 when there is none).
pub async fn latest_id(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let stmt = statement(db.get_database_backend(), "SELECT MAX(id) AS id FROM stream_events", vec![]);
    Ok(MaxRow::find_by_statement(stmt).one(db).await?.and_then(|r| r.id).unwrap_or(0))
}

/// Removes events older than `id` (they have been read by every process long ago).
pub async fn prune_before(db: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    let stmt = statement(db.get_database_backend(), "DELETE FROM stream_events WHERE id < ?", vec![id.into()]);
    Ok(db.execute_raw(stmt).await?.rows_affected())
}
