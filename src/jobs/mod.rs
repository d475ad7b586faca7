//! Background work from the persistent jobs table. A worker claims a due job with a lease, runs
//! it, and deletes it or schedules a retry with exponential backoff. A job whose worker died is
//! claimed again when its lease runs out, so nothing queued is lost to a crash.
use std::time::Duration;

use serde::Deserialize;

use crate::app::AppState;
use crate::db::queries::jobs as jq;

#[derive(Deserialize)]
struct MailJob {
    to: String,
    subject: String,
    body: String,
}

/// Starts the configured number of workers for this process. On SQLite this is the only
/// process, so leases left by a crash (`kill -9`) are released first.
pub async fn spawn_workers(state: AppState) {
    if state.db.backend() == sea_orm::DatabaseBackend::Sqlite {
        let _w = state.db.write_lock().await;
        if let Err(e) = jq::release_all_leases(&state.db.conn).await {
            tracing::warn!(error = %e, "could not release old job leases");
        }
    }
    for n in 0..state.settings.jobs.workers {
        let state = state.clone();
        let name = format!("{}-{}-{n}", std::process::id(), hex::encode(rand::random::<[u8; 4]>()));
        tokio::spawn(async move { worker(state, name).await });
    }
}

async fn worker(state: AppState, name: String) {
    let mut idle = Duration::from_millis(50);
    loop {
        match run_one(&state, &name).await {
            Ok(true) => idle = Duration::from_millis(50),
            Ok(false) => {
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = state.jobs_notify.notified() => {}
                }
                idle = (idle * 2).min(Duration::from_millis(500));
            }
            Err(e) => {
                tracing::warn!(error = %e, "job worker: database error");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Claims and runs one job; `Ok(false)` when none was due.
pub async fn run_one(state: &AppState, worker: &str) -> anyhow::Result<bool> {
    let lease = chrono::Duration::seconds(state.settings.jobs.lease_seconds);
    let job = {
        let _w = state.db.write_lock().await;
        jq::claim(&state.db.conn, worker, lease).await?
    };
    let Some(job) = job else { return Ok(false) };
    let result = match job.kind.as_str() {
        "mail" => match serde_json::from_str::<MailJob>(&job.payload) {
            Ok(m) => state.mailer.send(&m.to, &m.subject, &m.body).await,
            Err(e) => Err(anyhow::anyhow!("bad mail payload: {e}")),
        },
        crate::service::outgoing::JOB_KIND => {
            crate::federation::outbox::run_federate(state, &job.payload).await.map_err(|e| anyhow::anyhow!("{e}"))
        }
        crate::federation::outbox::DELIVER => match crate::federation::outbox::run_deliver(state, &job.payload).await {
            Ok(crate::federation::outbox::Delivered::Sent) => Ok(()),
            Ok(crate::federation::outbox::Delivered::Postponed(until)) => {
                let _w = state.db.write_lock().await;
                jq::postpone(&state.db.conn, job.id, worker, until).await?;
                return Ok(true);
            }
            Err(e) => Err(anyhow::anyhow!("{e}")),
        },
        other => Err(anyhow::anyhow!("unknown job kind {other}")),
    };
    let _w = state.db.write_lock().await;
    match result {
        Ok(()) => jq::finish(&state.db.conn, job.id, worker).await?,
        Err(e) if job.attempts >= state.settings.jobs.max_attempts => {
            tracing::error!(job = job.id, kind = %job.kind, error = %e, "job failed for the last time; dropped");
            jq::finish(&state.db.conn, job.id, worker).await?;
        }
        Err(e) => {
            let base = state.settings.jobs.retry_base_seconds.max(1);
            let delay = base.saturating_mul(1i64 << job.attempts.clamp(0, 20));
            tracing::warn!(job = job.id, kind = %job.kind, error = %e, retry_in = delay, "job failed; will retry");
            jq::retry_later(
                &state.db.conn,
                job.id,
                worker,
                chrono::Utc::now() + chrono::Duration::seconds(delay),
                &e.to_string(),
            )
            .await?;
        }
    }
    Ok(true)
}
