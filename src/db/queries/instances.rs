//! Other servers: domain blocks (and, later, delivery health).
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::instances;

pub async fn is_blocked(db: &impl ConnectionTrait, domain: &str) -> Result<bool, DbErr> {
    Ok(instances::Entity::find_by_id(domain.to_lowercase()).one(db).await?.is_some_and(|i| i.blocked))
}

pub async fn set_blocked(db: &impl ConnectionTrait, domain: &str, blocked: bool) -> Result<(), DbErr> {
    instances::Entity::insert(instances::ActiveModel {
        domain: sea_orm::Set(domain.to_lowercase()),
        failures: sea_orm::Set(0),
        unavailable_since: sea_orm::Set(None),
        last_success_at: sea_orm::Set(None),
        blocked: sea_orm::Set(blocked),
    })
    .on_conflict(OnConflict::column(instances::Column::Domain).update_column(instances::Column::Blocked).to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn blocked_domains(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    Ok(instances::Entity::find()
        .filter(instances::Column::Blocked.eq(true))
        .order_by_asc(instances::Column::Domain)
        .limit(10_000)
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.domain)
        .collect())
}
