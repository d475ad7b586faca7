//! Scheduled posts, and the idempotency keys of posting.
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::Page;
use crate::db::entities::{idempotency_keys, scheduled_statuses};

pub async fn insert(
    db: &impl ConnectionTrait,
    row: scheduled_statuses::Model,
) -> Result<scheduled_statuses::Model, DbErr> {
    scheduled_statuses::ActiveModel::from(row).insert(db).await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<scheduled_statuses::Model>, DbErr> {
    scheduled_statuses::Entity::find_by_id(id).one(db).await
}

/// One of `account`'s scheduled posts.
pub async fn of_account(
    db: &impl ConnectionTrait,
    account: i64,
    id: i64,
) -> Result<Option<scheduled_statuses::Model>, DbErr> {
    Ok(by_id(db, id).await?.filter(|s| s.account_id == account))
}

/// A page of `account`'s scheduled posts, newest first (by id, as Mastodon pages them).
pub async fn list(
    db: &impl ConnectionTrait,
    account: i64,
    page: Page,
) -> Result<Vec<scheduled_statuses::Model>, DbErr> {
    let mut q = scheduled_statuses::Entity::find().filter(scheduled_statuses::Column::AccountId.eq(account));
    for c in page.conditions(Expr::col(scheduled_statuses::Column::Id)) {
        q = q.filter(c);
    }
    q = if page.ascending() {
        q.order_by_asc(scheduled_statuses::Column::Id)
    } else {
        q.order_by_desc(scheduled_statuses::Column::Id)
    };
    let mut rows = q.limit(page.limit).all(db).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

pub async fn count_of(db: &impl ConnectionTrait, account: i64) -> Result<u64, DbErr> {
    scheduled_statuses::Entity::find().filter(scheduled_statuses::Column::AccountId.eq(account)).count(db).await
}

/// Every scheduled post of `account` (to find the uploads they hold).
pub async fn all_of(db: &impl ConnectionTrait, account: i64) -> Result<Vec<scheduled_statuses::Model>, DbErr> {
    scheduled_statuses::Entity::find().filter(scheduled_statuses::Column::AccountId.eq(account)).all(db).await
}

pub async fn set_time(
    db: &impl ConnectionTrait,
    row: scheduled_statuses::Model,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<scheduled_statuses::Model, DbErr> {
    let mut am: scheduled_statuses::ActiveModel = row.into();
    am.scheduled_at = Set(at);
    am.update(db).await
}

/// Removes a scheduled post; false when it was already gone (published or cancelled).
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(scheduled_statuses::Entity::delete_by_id(id).exec(db).await?.rows_affected == 1)
}

/// Claims `key` for `account`: true when this call recorded it, false when a row for it exists
/// (another request took it first). On PostgreSQL a concurrent claim of the same key waits
/// for the first transaction to end, then finds its row.
pub async fn claim_key(db: &impl ConnectionTrait, row: idempotency_keys::Model) -> Result<bool, DbErr> {
    let inserted = idempotency_keys::Entity::insert(idempotency_keys::ActiveModel::from(row))
        .on_conflict(
            OnConflict::columns([idempotency_keys::Column::AccountId, idempotency_keys::Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

pub async fn key_of(
    db: &impl ConnectionTrait,
    account: i64,
    key: &str,
) -> Result<Option<idempotency_keys::Model>, DbErr> {
    idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::AccountId.eq(account))
        .filter(idempotency_keys::Column::Key.eq(key))
        .one(db)
        .await
}

pub async fn delete_key(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    idempotency_keys::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

/// A scheduled post was published: its key now names the post it became.
pub async fn repoint_key(db: &impl ConnectionTrait, scheduled: i64, status: i64) -> Result<(), DbErr> {
    idempotency_keys::Entity::update_many()
        .col_expr(idempotency_keys::Column::StatusId, Expr::value(status))
        .col_expr(idempotency_keys::Column::ScheduledStatusId, Expr::value(Option::<i64>::None))
        .filter(idempotency_keys::Column::ScheduledStatusId.eq(scheduled))
        .exec(db)
        .await
        .map(|_| ())
}

/// Forgets `account`'s keys made before `before` (they no longer name a post).
pub async fn delete_old_keys(
    db: &impl ConnectionTrait,
    account: i64,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::AccountId.eq(account))
        .filter(idempotency_keys::Column::CreatedAt.lt(before))
        .exec(db)
        .await
        .map(|_| ())
}
