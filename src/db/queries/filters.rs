//! A member's filters, with their keywords and statuses.
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::db::entities::{filter_keywords, filter_statuses, filters};

pub async fn filters_of(db: &impl ConnectionTrait, account: i64) -> Result<Vec<filters::Model>, DbErr> {
    filters::Entity::find()
        .filter(filters::Column::AccountId.eq(account))
        .order_by_asc(filters::Column::Id)
        .all(db)
        .await
}

pub async fn count_filters_of(db: &impl ConnectionTrait, account: i64) -> Result<u64, DbErr> {
    filters::Entity::find().filter(filters::Column::AccountId.eq(account)).count(db).await
}

pub async fn filter_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<filters::Model>, DbErr> {
    filters::Entity::find_by_id(id).one(db).await
}

pub async fn insert_filter(db: &impl ConnectionTrait, f: filters::Model) -> Result<(), DbErr> {
    filters::ActiveModel::from(f).insert(db).await.map(|_| ())
}

pub async fn update_filter(db: &impl ConnectionTrait, f: filters::Model) -> Result<(), DbErr> {
    filters::ActiveModel::from(f).reset_all().update(db).await.map(|_| ())
}

pub async fn delete_filter(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    filter_keywords::Entity::delete_many().filter(filter_keywords::Column::FilterId.eq(id)).exec(db).await?;
    filter_statuses::Entity::delete_many().filter(filter_statuses::Column::FilterId.eq(id)).exec(db).await?;
    filters::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

pub async fn keywords_of(db: &impl ConnectionTrait, filter_ids: &[i64]) -> Result<Vec<filter_keywords::Model>, DbErr> {
    if filter_ids.is_empty() {
        return Ok(vec![]);
    }
    filter_keywords::Entity::find()
        .filter(filter_keywords::Column::FilterId.is_in(filter_ids.iter().copied()))
        .order_by_asc(filter_keywords::Column::Id)
        .all(db)
        .await
}

pub async fn count_keywords(db: &impl ConnectionTrait, filter_id: i64) -> Result<u64, DbErr> {
    filter_keywords::Entity::find().filter(filter_keywords::Column::FilterId.eq(filter_id)).count(db).await
}

pub async fn keyword_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<filter_keywords::Model>, DbErr> {
    filter_keywords::Entity::find_by_id(id).one(db).await
}

pub async fn insert_keyword(db: &impl ConnectionTrait, k: filter_keywords::Model) -> Result<(), DbErr> {
    filter_keywords::ActiveModel::from(k).insert(db).await.map(|_| ())
}

pub async fn update_keyword(db: &impl ConnectionTrait, k: filter_keywords::Model) -> Result<(), DbErr> {
    filter_keywords::ActiveModel::from(k).reset_all().update(db).await.map(|_| ())
}

pub async fn delete_keyword(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    filter_keywords::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

pub async fn statuses_of(db: &impl ConnectionTrait, filter_ids: &[i64]) -> Result<Vec<filter_statuses::Model>, DbErr> {
    if filter_ids.is_empty() {
        return Ok(vec![]);
    }
    filter_statuses::Entity::find()
        .filter(filter_statuses::Column::FilterId.is_in(filter_ids.iter().copied()))
        .order_by_asc(filter_statuses::Column::Id)
        .all(db)
        .await
}

pub async fn count_statuses(db: &impl ConnectionTrait, filter_id: i64) -> Result<u64, DbErr> {
    filter_statuses::Entity::find().filter(filter_statuses::Column::FilterId.eq(filter_id)).count(db).await
}

pub async fn filter_status_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<filter_statuses::Model>, DbErr> {
    filter_statuses::Entity::find_by_id(id).one(db).await
}

/// Adds a status to a filter; false when it was already there.
pub async fn insert_filter_status(db: &impl ConnectionTrait, s: filter_statuses::Model) -> Result<bool, DbErr> {
    let n = filter_statuses::Entity::insert(filter_statuses::ActiveModel::from(s))
        .on_conflict(
            OnConflict::columns([filter_statuses::Column::FilterId, filter_statuses::Column::StatusId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(n == 1)
}

pub async fn delete_filter_status(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    filter_statuses::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}
