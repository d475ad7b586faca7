//! The jobs table: enqueue, claim with a lease, finish, retry.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, Set,
};

use super::statuses::statement;
use crate::db::entities::jobs;

pub async fn enqueue(db: &impl ConnectionTrait, kind: &str, payload: &serde_json::Value) -> Result<i64, DbErr> {
    enqueue_for_host(db, kind, payload, None).await
}

/// Queues a job that is not due before `run_at` (a poll's end, a scheduled post).
pub async fn enqueue_at(
    db: &impl ConnectionTrait,
    kind: &str,
    payload: &serde_json::Value,
    run_at: chrono::DateTime<chrono::Utc>,
) -> Result<i64, DbErr> {
    insert_job(db, kind, payload, None, run_at).await
}

/// Queues a job aimed at one host (a delivery).
pub async fn enqueue_for_host(
    db: &impl ConnectionTrait,
    kind: &str,
    payload: &serde_json::Value,
    host: Option<&str>,
) -> Result<i64, DbErr> {
    insert_job(db, kind, payload, host, chrono::Utc::now()).await
}

async fn insert_job(
    db: &impl ConnectionTrait,
    kind: &str,
    payload: &serde_json::Value,
    host: Option<&str>,
    run_at: chrono::DateTime<chrono::Utc>,
) -> Result<i64, DbErr> {
    let id = crate::ids::next_id();
    let now = chrono::Utc::now();
    jobs::ActiveModel {
        id: Set(id),
        kind: Set(kind.to_owned()),
        payload: Set(payload.to_string()),
        run_at: Set(run_at),
        attempts: Set(0),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        host: Set(host.map(str::to_owned)),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Claims the next due job for `worker` until `lease` from now, leaving out jobs for the hosts in
/// `skip_hosts` (they have enough in flight). On PostgreSQL the row is taken with
/// `FOR UPDATE SKIP LOCKED`, so concurrent processes never claim the same job; on SQLite the
/// single writer makes the UPDATE atomic.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    lease: chrono::Duration,
    skip_hosts: &[String],
) -> Result<Option<jobs::Model>, DbErr> {
    let now = chrono::Utc::now();
    let until = now + lease;
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let skip = if skip_hosts.is_empty() {
        String::new()
    } else {
        format!(" AND (host IS NULL OR host NOT IN ({}))", vec!["?"; skip_hosts.len()].join(", "))
    };
    let sql = format!(
        "UPDATE jobs SET locked_until = ?, locked_by = ?, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM jobs WHERE run_at <= ? AND (locked_until IS NULL OR locked_until < ?){skip} \
         ORDER BY run_at LIMIT 1{lock}) RETURNING id, kind, payload, run_at, attempts, locked_until, locked_by, last_error, created_at, host"
    );
    let mut values: Vec<sea_orm::Value> = vec![until.into(), worker.into(), now.into(), now.into()];
    values.extend(skip_hosts.iter().map(|h| h.as_str().into()));
    let stmt = statement(backend, &sql, values);
    jobs::Model::find_by_statement(stmt).one(db).await
}

/// Removes a done job, if `worker` still holds its lease (another worker may have taken it
/// over after the lease ran out).
pub async fn finish(db: &impl ConnectionTrait, id: i64, worker: &str) -> Result<(), DbErr> {
    jobs::Entity::delete_many()
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::LockedBy.eq(worker))
        .exec(db)
        .await
        .map(|_| ())
}

/// Puts a failed job back for a later attempt.
pub async fn retry_later(
    db: &impl ConnectionTrait,
    id: i64,
    worker: &str,
    run_at: chrono::DateTime<chrono::Utc>,
    error: &str,
) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::RunAt, Expr::value(run_at))
        .col_expr(jobs::Column::LockedUntil, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
        .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(jobs::Column::LastError, Expr::value(error.chars().take(2000).collect::<String>()))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::LockedBy.eq(worker))
        .exec(db)
        .await
        .map(|_| ())
}

/// Puts a job aside until `run_at` without counting an attempt (its host is unavailable).
pub async fn postpone(
    db: &impl ConnectionTrait,
    id: i64,
    worker: &str,
    run_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::RunAt, Expr::value(run_at))
        .col_expr(jobs::Column::LockedUntil, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
        .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(jobs::Column::Attempts, Expr::col(jobs::Column::Attempts).sub(1))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::LockedBy.eq(worker))
        .exec(db)
        .await
        .map(|_| ())
}

/// Makes every job for `host` due now (the host is back).
pub async fn release_host(db: &impl ConnectionTrait, host: &str) -> Result<u64, DbErr> {
    Ok(jobs::Entity::update_many()
        .col_expr(jobs::Column::RunAt, Expr::value(chrono::Utc::now()))
        .filter(jobs::Column::Host.eq(host))
        .filter(jobs::Column::LockedBy.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Jobs waiting per host, for the admin page.
pub async fn depth_of_host(db: &impl ConnectionTrait, host: &str) -> Result<u64, DbErr> {
    jobs::Entity::find().filter(jobs::Column::Host.eq(host)).count(db).await
}

/// Releases every lease (SQLite start-up: no other process can hold one).
pub async fn release_all_leases(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::LockedUntil, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
        .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
        .filter(jobs::Column::LockedBy.is_not_null())
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn queue_depth(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    jobs::Entity::find().count(db).await
}

/// Whether an identical job waits unclaimed (so that a repeat of it can be left out).
pub async fn waiting(db: &impl ConnectionTrait, kind: &str, payload: &serde_json::Value) -> Result<bool, DbErr> {
    Ok(jobs::Entity::find()
        .filter(jobs::Column::Kind.eq(kind))
        .filter(jobs::Column::Payload.eq(payload.to_string()))
        .filter(jobs::Column::LockedBy.is_null())
        .count(db)
        .await?
        > 0)
}
