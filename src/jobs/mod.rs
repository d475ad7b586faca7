//! Background work from the persistent jobs table. The runner claims due jobs with a lease, runs
//! each, and deletes it or schedules a retry with exponential backoff. A job whose process died
//! is claimed again when its lease runs out, so nothing queued is lost to a crash. Jobs run
//! concurrently, up to `jobs.workers` per process and `jobs.per_host` per remote host.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use serde::Deserialize;

use crate::app::AppState;
use crate::db::entities::jobs;
use crate::db::queries::jobs as jq;

#[derive(Deserialize)]
struct MailJob {
    to: String,
    subject: String,
    body: String,
}

/// Starts this process's job runner. On SQLite this is the only process, so leases left by a
/// crash (`kill -9`) are released first.
pub async fn spawn_workers(state: AppState) {
    if state.db.backend() == sea_orm::DatabaseBackend::Sqlite {
        let _w = state.db.write_lock().await;
        if let Err(e) = jq::release_all_leases(&state.db.conn).await {
            tracing::warn!(error = %e, "could not release old job leases");
        }
    }
    tokio::spawn(dispatcher(state));
}

/// Jobs in flight in this process, per host, so that no host gets more than `per_host` at once.
#[derive(Default)]
struct InFlight {
    per_host: HashMap<String, usize>,
}

impl InFlight {
    fn saturated(&self, limit: usize) -> Vec<String> {
        self.per_host.iter().filter(|(_, n)| **n >= limit).map(|(h, _)| h.clone()).collect()
    }
}

/// Claims due jobs while fewer than `jobs.workers` run, skipping hosts that already have
/// `jobs.per_host` deliveries in flight, and runs each in its own task. Every claim gets its own
/// lease token, so a job whose lease ran out and was claimed again is finished only once.
async fn dispatcher(state: AppState) {
    let slots = Arc::new(Semaphore::new(state.settings.jobs.workers));
    let in_flight = Arc::new(Mutex::new(InFlight::default()));
    let freed = Arc::new(Notify::new());
    let process = format!("{}-{}", std::process::id(), hex::encode(rand::random::<[u8; 4]>()));
    let mut claims: u64 = 0;
    let mut idle = Duration::from_millis(50);
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let saturated = lock(&in_flight).saturated(state.settings.jobs.per_host);
        claims += 1;
        let worker = format!("{process}-{claims}");
        match claim(&state, &worker, &saturated).await {
            Ok(Some(job)) => {
                idle = Duration::from_millis(50);
                let host = job.host.clone();
                if let Some(h) = &host {
                    *lock(&in_flight).per_host.entry(h.clone()).or_default() += 1;
                }
                let (state, in_flight, freed) = (state.clone(), in_flight.clone(), freed.clone());
                tokio::spawn(async move {
                    if let Err(e) = run_claimed(&state, &worker, job).await {
                        tracing::warn!(error = %e, "job runner: database error");
                    }
                    if let Some(h) = host {
                        let mut f = lock(&in_flight);
                        if let Some(n) = f.per_host.get_mut(&h) {
                            *n = n.saturating_sub(1);
                            if *n == 0 {
                                f.per_host.remove(&h);
                            }
                        }
                    }
                    drop(slot);
                    freed.notify_one();
                });
            }
            Ok(None) => {
                drop(slot);
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = state.jobs_notify.notified() => {}
                    _ = freed.notified() => {}
                }
                idle = (idle * 2).min(Duration::from_millis(500));
            }
            Err(e) => {
                drop(slot);
                tracing::warn!(error = %e, "job runner: database error");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn lock(m: &Mutex<InFlight>) -> std::sync::MutexGuard<'_, InFlight> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn claim(state: &AppState, worker: &str, skip_hosts: &[String]) -> anyhow::Result<Option<jobs::Model>> {
    let lease = chrono::Duration::seconds(state.settings.jobs.lease_seconds);
    let _w = state.db.write_lock().await;
    Ok(jq::claim(&state.db.conn, worker, lease, skip_hosts).await?)
}

/// Runs a claimed job, then deletes it or schedules its retry.
async fn run_claimed(state: &AppState, worker: &str, job: jobs::Model) -> anyhow::Result<()> {
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
                return Ok(());
            }
            Err(e) => Err(anyhow::anyhow!("{e}")),
        },
        crate::service::polls::END_JOB => {
            crate::service::polls::run_end(state, &job.payload).await.map_err(|e| anyhow::anyhow!("{e}"))
        }
        crate::service::scheduled::PUBLISH_JOB => {
            crate::service::scheduled::run_publish(state, &job.payload).await.map_err(|e| anyhow::anyhow!("{e}"))
        }
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
    Ok(())
}
