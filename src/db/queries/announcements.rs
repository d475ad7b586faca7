//! Announcements from the administrators, who has read them, and their reactions.
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::db::entities::{announcement_dismissals, announcement_reactions, announcements};

pub async fn insert(db: &impl ConnectionTrait, a: announcements::Model) -> Result<(), DbErr> {
    announcements::ActiveModel::from(a).insert(db).await.map(|_| ())
}

/// Deletes an announcement with its reads and reactions; false when there was none.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    announcement_dismissals::Entity::delete_many()
        .filter(announcement_dismissals::Column::AnnouncementId.eq(id))
        .exec(db)
        .await?;
    announcement_reactions::Entity::delete_many()
        .filter(announcement_reactions::Column::AnnouncementId.eq(id))
        .exec(db)
        .await?;
    Ok(announcements::Entity::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

/// Every announcement, newest first (the admin page; bounded).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<announcements::Model>, DbErr> {
    announcements::Entity::find().order_by_desc(announcements::Column::Id).limit(200).all(db).await
}

/// Announcements in force at `now`: published and not yet ended, oldest first.
pub async fn current(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<announcements::Model>, DbErr> {
    announcements::Entity::find()
        .filter(announcements::Column::PublishedAt.lte(now))
        .filter(
            Condition::any().add(announcements::Column::EndsAt.is_null()).add(announcements::Column::EndsAt.gt(now)),
        )
        .order_by_asc(announcements::Column::Id)
        .limit(200)
        .all(db)
        .await
}

pub async fn dismissed_by(db: &impl ConnectionTrait, account: i64) -> Result<Vec<i64>, DbErr> {
    Ok(announcement_dismissals::Entity::find()
        .filter(announcement_dismissals::Column::AccountId.eq(account))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.announcement_id)
        .collect())
}

pub async fn dismiss(db: &impl ConnectionTrait, announcement: i64, account: i64) -> Result<(), DbErr> {
    announcement_dismissals::Entity::insert(announcement_dismissals::ActiveModel {
        id: Set(crate::ids::next_id()),
        announcement_id: Set(announcement),
        account_id: Set(account),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            announcement_dismissals::Column::AnnouncementId,
            announcement_dismissals::Column::AccountId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// Every reaction to the given announcements, oldest first.
pub async fn reactions_for(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<announcement_reactions::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    announcement_reactions::Entity::find()
        .filter(announcement_reactions::Column::AnnouncementId.is_in(ids.iter().copied()))
        .order_by_asc(announcement_reactions::Column::Id)
        .all(db)
        .await
}

/// How many different reactions an announcement has.
pub async fn distinct_reaction_names(db: &impl ConnectionTrait, announcement: i64) -> Result<Vec<String>, DbErr> {
    let mut names: Vec<String> = announcement_reactions::Entity::find()
        .filter(announcement_reactions::Column::AnnouncementId.eq(announcement))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

pub async fn has_reaction(
    db: &impl ConnectionTrait,
    announcement: i64,
    account: i64,
    name: &str,
) -> Result<bool, DbErr> {
    Ok(announcement_reactions::Entity::find()
        .filter(announcement_reactions::Column::AnnouncementId.eq(announcement))
        .filter(announcement_reactions::Column::AccountId.eq(account))
        .filter(announcement_reactions::Column::Name.eq(name))
        .count(db)
        .await?
        > 0)
}

pub async fn add_reaction(db: &impl ConnectionTrait, announcement: i64, account: i64, name: &str) -> Result<(), DbErr> {
    announcement_reactions::Entity::insert(announcement_reactions::ActiveModel {
        id: Set(crate::ids::next_id()),
        announcement_id: Set(announcement),
        account_id: Set(account),
        name: Set(name.to_owned()),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            announcement_reactions::Column::AnnouncementId,
            announcement_reactions::Column::AccountId,
            announcement_reactions::Column::Name,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn remove_reaction(
    db: &impl ConnectionTrait,
    announcement: i64,
    account: i64,
    name: &str,
) -> Result<(), DbErr> {
    announcement_reactions::Entity::delete_many()
        .filter(announcement_reactions::Column::AnnouncementId.eq(announcement))
        .filter(announcement_reactions::Column::AccountId.eq(account))
        .filter(announcement_reactions::Column::Name.eq(name))
        .exec(db)
        .await
        .map(|_| ())
}
