//! Reading positions a member's apps share (home timeline, notifications).
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::db::entities::markers;

pub async fn markers_of(db: &impl ConnectionTrait, account: i64) -> Result<Vec<markers::Model>, DbErr> {
    markers::Entity::find().filter(markers::Column::AccountId.eq(account)).all(db).await
}

pub async fn marker(db: &impl ConnectionTrait, account: i64, timeline: &str) -> Result<Option<markers::Model>, DbErr> {
    markers::Entity::find()
        .filter(markers::Column::AccountId.eq(account))
        .filter(markers::Column::Timeline.eq(timeline))
        .one(db)
        .await
}

pub async fn insert_marker(db: &impl ConnectionTrait, m: markers::Model) -> Result<(), DbErr> {
    markers::ActiveModel::from(m).insert(db).await.map(|_| ())
}

pub async fn update_marker(db: &impl ConnectionTrait, m: markers::Model) -> Result<(), DbErr> {
    markers::ActiveModel::from(m).reset_all().update(db).await.map(|_| ())
}
