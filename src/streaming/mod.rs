//! Live events for the streaming API. One reader per process turns the `stream_events` log
//! (written by `db::queries::stream_events::record` in the transaction of each change) into
//! loaded events and broadcasts them to this process's connections; each connection then asks
//! `service::streaming` what its member may see.
//!
//! - PostgreSQL (one or many processes): the reader `LISTEN`s on `khub_stream`; the writer's
//!   transaction sent `NOTIFY` with the event's id, which PostgreSQL delivers to every process at
//!   commit. Each process reads the rows by id. After a lost listener connection it catches up
//!   on the last seconds of the log (events already seen are skipped).
//! - SQLite (one process): the reader wakes after each local commit and reads the log from
//!   where it stopped, an in-process channel with the database as its buffer.
//!
//! Events are not kept for clients that are not connected (as with Mastodon's Redis pub/sub).
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbBackend;
use tokio::sync::{broadcast, watch};

use crate::app::AppState;
use crate::db::entities::{notifications, statuses};
use crate::db::queries::stream_events::{self as sev, DeletedStatus, StreamEvent, StreamEventRow};
use crate::db::queries::{notifications as nq, statuses as sq};

/// How many loaded events wait for a slow connection before it misses some.
const BUFFER: usize = 1024;
/// Events are kept this long in the log (for catching up after a lost listener connection).
const KEEP: chrono::Duration = chrono::Duration::minutes(10);

/// An event with its rows loaded once per process, ready for every connection to judge.
#[derive(Debug)]
pub enum LiveEvent {
    /// A new status or boost (`edited`: an edit of an existing one).
    Status {
        status: statuses::Model,
        tags: Vec<String>,
        has_media: bool,
        edited: bool,
    },
    Deleted(DeletedStatus),
    Notification(notifications::Model),
}

/// This process's fan-out point.
pub struct StreamHub {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    ready: watch::Sender<bool>,
}

impl Default for StreamHub {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamHub {
    pub fn new() -> Self {
        Self { sender: broadcast::channel(BUFFER).0, ready: watch::channel(false).0 }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.sender.subscribe()
    }

    /// Waits (bounded) until the reader listens, so that a new connection misses nothing that
    /// is committed after it was accepted.
    pub async fn wait_ready(&self) {
        let mut rx = self.ready.subscribe();
        let _ = tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|r| *r)).await;
    }

    fn publish(&self, event: LiveEvent) {
        // No receiver is not an error: nobody is streaming right now.
        let _ = self.sender.send(Arc::new(event));
    }
}

/// Starts this process's reader of the events log and its pruning.
pub fn spawn(state: AppState) {
    let reader = state.clone();
    tokio::spawn(async move {
        match reader.db.backend() {
            DbBackend::Postgres => listen_postgres(&reader).await,
            _ => follow_local_commits(&reader).await,
        }
    });
    tokio::spawn(prune(state));
}

/// Loads the rows an event names; `None` when they are gone already (or nobody listens).
async fn load(state: &AppState, row: &StreamEventRow) -> Option<LiveEvent> {
    let db = &state.db.conn;
    let event = row.event()?;
    let loaded = match event {
        StreamEvent::Status { id } | StreamEvent::Edited { id } => {
            let status = sq::status_by_id(db, id).await.ok()??;
            let tags = sq::tags_for(db, &[id]).await.ok()?.into_iter().map(|t| t.tag).collect();
            let has_media = !sq::media_for_statuses(db, &[id]).await.ok()?.is_empty();
            LiveEvent::Status { status, tags, has_media, edited: matches!(event, StreamEvent::Edited { .. }) }
        }
        StreamEvent::Deleted(d) => LiveEvent::Deleted(d),
        StreamEvent::Notification { id } => LiveEvent::Notification(nq::by_id(db, id).await.ok()??),
    };
    Some(loaded)
}

async fn dispatch(state: &AppState, rows: Vec<StreamEventRow>, seen: &mut Seen) {
    for row in rows {
        if !seen.insert(row.id) || state.stream.sender.receiver_count() == 0 {
            continue;
        }
        if let Some(event) = load(state, &row).await {
            state.stream.publish(event);
        }
    }
}

/// SQLite: read the log after each commit of this process (and every few seconds regardless,
/// so that a write made outside `begin_write` is not left waiting for the next commit).
async fn follow_local_commits(state: &AppState) {
    let db = &state.db.conn;
    let mut last = loop {
        match sev::latest_id(db).await {
            Ok(id) => break id,
            Err(e) => {
                tracing::warn!(error = %e, "streaming: cannot read the events log");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    };
    let mut seen = Seen::default();
    state.stream.ready.send_replace(true);
    loop {
        tokio::select! {
            _ = state.db.committed() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
        loop {
            let rows = match sev::after(db, last, 200).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "streaming: cannot read the events log");
                    break;
                }
            };
            let full = rows.len() == 200;
            if let Some(r) = rows.last() {
                last = r.id;
            }
            dispatch(state, rows, &mut seen).await;
            if !full {
                break;
            }
        }
    }
}

/// PostgreSQL: LISTEN on a dedicated connection; read the notified rows by id.
async fn listen_postgres(state: &AppState) {
    use sea_orm::sqlx::postgres::PgListener;
    let url = state.settings.database_url();
    let mut seen = Seen::default();
    let mut lost_at: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        let mut listener = match PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "streaming: cannot connect the listener");
                lost_at.get_or_insert_with(chrono::Utc::now);
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(sev::CHANNEL).await {
            tracing::warn!(error = %e, "streaming: LISTEN failed");
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        if let Some(at) = lost_at.take() {
            catch_up(state, at, &mut seen).await;
        }
        state.stream.ready.send_replace(true);
        loop {
            match listener.try_recv().await {
                Ok(Some(first)) => {
                    let mut ids: Vec<i64> = first.payload().parse().ok().into_iter().collect();
                    while let Some(more) = listener.next_buffered() {
                        ids.extend(more.payload().parse::<i64>().ok());
                    }
                    match sev::by_ids(&state.db.conn, &ids).await {
                        Ok(rows) => dispatch(state, rows, &mut seen).await,
                        Err(e) => tracing::warn!(error = %e, "streaming: cannot read the events log"),
                    }
                }
                // The connection was lost; the next call reconnects. Read what was missed.
                Ok(None) => catch_up(state, chrono::Utc::now(), &mut seen).await,
                Err(e) => {
                    tracing::warn!(error = %e, "streaming: listener failed");
                    lost_at = Some(chrono::Utc::now());
                    break;
                }
            }
        }
    }
}

/// Reads the log from a little before `since` (events not seen yet are dispatched).
async fn catch_up(state: &AppState, since: chrono::DateTime<chrono::Utc>, seen: &mut Seen) {
    let mut from = crate::ids::id_at(since - chrono::Duration::seconds(10));
    loop {
        match sev::after(&state.db.conn, from, 500).await {
            Ok(rows) if rows.is_empty() => return,
            Ok(rows) => {
                from = rows.last().map(|r| r.id).unwrap_or(from);
                dispatch(state, rows, seen).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "streaming: cannot catch up on the events log");
                return;
            }
        }
    }
}

/// Removes old events now and then (every process may; the statement is idempotent).
async fn prune(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let before = crate::ids::id_at(chrono::Utc::now() - KEEP);
        let _w = state.db.write_lock().await;
        if let Err(e) = sev::prune_before(&state.db.conn, before).await {
            tracing::warn!(error = %e, "streaming: cannot prune the events log");
        }
    }
}

/// The ids dispatched lately, so that an event read twice (catching up) goes out once.
#[derive(Default)]
struct Seen {
    order: VecDeque<i64>,
    set: HashSet<i64>,
}

impl Seen {
    const CAPACITY: usize = 8192;

    /// False when `id` was seen already.
    fn insert(&mut self, id: i64) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > Self::CAPACITY
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_forgets_the_oldest_beyond_its_capacity() {
        let mut seen = Seen::default();
        assert!(seen.insert(1));
        assert!(!seen.insert(1));
        for id in 2..=(Seen::CAPACITY as i64 + 1) {
            assert!(seen.insert(id));
        }
        assert!(seen.insert(1), "the oldest id was forgotten");
        assert!(seen.set.len() <= Seen::CAPACITY);
    }
}
