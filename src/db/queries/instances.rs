//! Other servers: domain blocks (and, later, delivery health).
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::instances;

pub async fn is_blocked(db: &impl ConnectionTrait, domain: &str) -> Result<bool, DbErr> {
    Ok(instances::Entity::find_by_id(domain.to_lowercase()).one(db).await?.is_some_and(|i| i.blocked))
}

pub async fn set_blocked(db: &impl ConnectionTrait, domain: &str, blocked: bool) -> Result<(), DbErr> {
    set_moderation(db, domain, blocked, false).await
}

/// Sets how a domain is moderated: blocked (nothing in or out), silenced (limited), or neither.
pub async fn set_moderation(
    db: &impl ConnectionTrait,
    domain: &str,
    blocked: bool,
    silenced: bool,
) -> Result<(), DbErr> {
    instances::Entity::insert(instances::ActiveModel {
        domain: sea_orm::Set(domain.to_lowercase()),
        failures: sea_orm::Set(0),
        unavailable_since: sea_orm::Set(None),
        last_success_at: sea_orm::Set(None),
        blocked: sea_orm::Set(blocked),
        silenced: sea_orm::Set(silenced),
    })
    .on_conflict(
        OnConflict::column(instances::Column::Domain)
            .update_columns([instances::Column::Blocked, instances::Column::Silenced])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn blocked_domains(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    Ok(moderated_domains(db).await?.into_iter().filter(|i| i.blocked).map(|i| i.domain).collect())
}

pub async fn is_silenced(db: &impl ConnectionTrait, domain: &str) -> Result<bool, DbErr> {
    Ok(instances::Entity::find_by_id(domain.to_lowercase()).one(db).await?.is_some_and(|i| i.silenced))
}

/// Blocked and limited domains, by name (admin page).
pub async fn moderated_domains(db: &impl ConnectionTrait) -> Result<Vec<instances::Model>, DbErr> {
    instances::Entity::find()
        .filter(instances::Column::Blocked.eq(true).or(instances::Column::Silenced.eq(true)))
        .order_by_asc(instances::Column::Domain)
        .limit(10_000)
        .all(db)
        .await
}

/// A delivery to `domain` failed; after `threshold` failures in a row it is unavailable.
/// Returns whether it is now unavailable.
pub async fn record_failure(db: &impl ConnectionTrait, domain: &str, threshold: i32) -> Result<bool, DbErr> {
    let current = instances::Entity::find_by_id(domain.to_owned()).one(db).await?;
    let failures = current.as_ref().map(|i| i.failures).unwrap_or(0).saturating_add(1);
    let unavailable_since = match current.as_ref().and_then(|i| i.unavailable_since) {
        Some(t) => Some(t),
        None if failures >= threshold => Some(chrono::Utc::now()),
        None => None,
    };
    instances::Entity::insert(instances::ActiveModel {
        domain: sea_orm::Set(domain.to_owned()),
        failures: sea_orm::Set(failures),
        unavailable_since: sea_orm::Set(unavailable_since),
        last_success_at: sea_orm::Set(current.as_ref().and_then(|i| i.last_success_at)),
        blocked: sea_orm::Set(current.as_ref().is_some_and(|i| i.blocked)),
        silenced: sea_orm::Set(current.as_ref().is_some_and(|i| i.silenced)),
    })
    .on_conflict(
        OnConflict::column(instances::Column::Domain)
            .update_columns([instances::Column::Failures, instances::Column::UnavailableSince])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(unavailable_since.is_some())
}

/// The domain answered (a delivery went through, or it sent us a signed activity). Returns
/// whether it had been failing.
pub async fn record_success(db: &impl ConnectionTrait, domain: &str) -> Result<bool, DbErr> {
    let Some(current) = instances::Entity::find_by_id(domain.to_owned()).one(db).await? else { return Ok(false) };
    if current.failures == 0 && current.unavailable_since.is_none() {
        return Ok(false);
    }
    instances::Entity::update_many()
        .col_expr(instances::Column::Failures, sea_orm::sea_query::Expr::value(0))
        .col_expr(
            instances::Column::UnavailableSince,
            sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(instances::Column::LastSuccessAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
        .filter(instances::Column::Domain.eq(domain))
        .exec(db)
        .await?;
    Ok(true)
}

pub async fn is_unavailable(db: &impl ConnectionTrait, domain: &str) -> Result<bool, DbErr> {
    Ok(instances::Entity::find_by_id(domain.to_owned()).one(db).await?.is_some_and(|i| i.unavailable_since.is_some()))
}

/// Hosts with failed deliveries, worst first (admin page).
pub async fn failing(db: &impl ConnectionTrait) -> Result<Vec<instances::Model>, DbErr> {
    instances::Entity::find()
        .filter(instances::Column::Failures.gt(0))
        .order_by_desc(instances::Column::Failures)
        .limit(100)
        .all(db)
        .await
}
