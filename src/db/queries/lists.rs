//! Lists of followed accounts, their members, and the candidates of a list's timeline.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, Value,
};

use super::Page;
use super::statuses::statement;
use crate::db::entities::{list_accounts, lists};

/// A member's lists, oldest first.
pub async fn lists_of(db: &impl ConnectionTrait, account: i64) -> Result<Vec<lists::Model>, DbErr> {
    lists::Entity::find().filter(lists::Column::AccountId.eq(account)).order_by_asc(lists::Column::Id).all(db).await
}

pub async fn count_lists_of(db: &impl ConnectionTrait, account: i64) -> Result<u64, DbErr> {
    lists::Entity::find().filter(lists::Column::AccountId.eq(account)).count(db).await
}

pub async fn list_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<lists::Model>, DbErr> {
    lists::Entity::find_by_id(id).one(db).await
}

pub async fn insert_list(db: &impl ConnectionTrait, l: lists::Model) -> Result<(), DbErr> {
    lists::ActiveModel::from(l).insert(db).await.map(|_| ())
}

pub async fn update_list(db: &impl ConnectionTrait, l: lists::Model) -> Result<(), DbErr> {
    // Every column but the id may have changed.
    lists::ActiveModel::from(l).reset_all().update(db).await.map(|_| ())
}

pub async fn delete_list(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    list_accounts::Entity::delete_many().filter(list_accounts::Column::ListId.eq(id)).exec(db).await?;
    lists::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

/// Members of a list that its owner still follows, by membership id (newest first).
pub async fn members(
    db: &impl ConnectionTrait,
    list: &lists::Model,
    page: Page,
) -> Result<Vec<list_accounts::Model>, DbErr> {
    let mut sql = String::from(
        "SELECT la.* FROM list_accounts la WHERE la.list_id = ? AND EXISTS \
         (SELECT 1 FROM follows f WHERE f.account_id = ? AND f.target_account_id = la.account_id)",
    );
    let mut values: Vec<Value> = vec![list.id.into(), list.account_id.into()];
    if let Some(max) = page.max_id {
        sql.push_str(" AND la.id < ?");
        values.push(max.into());
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        sql.push_str(" AND la.id > ?");
        values.push(since.into());
    }
    sql.push_str(if page.ascending() { " ORDER BY la.id ASC" } else { " ORDER BY la.id DESC" });
    sql.push_str(&format!(" LIMIT {}", page.limit));
    let mut rows =
        list_accounts::Model::find_by_statement(statement(db.get_database_backend(), &sql, values)).all(db).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// Which of `accounts` are already in the list.
pub async fn members_among(db: &impl ConnectionTrait, list: i64, accounts: &[i64]) -> Result<Vec<i64>, DbErr> {
    Ok(list_accounts::Entity::find()
        .filter(list_accounts::Column::ListId.eq(list))
        .filter(list_accounts::Column::AccountId.is_in(accounts.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect())
}

pub async fn add_member(db: &impl ConnectionTrait, list: i64, account: i64) -> Result<(), DbErr> {
    list_accounts::ActiveModel::from(list_accounts::Model {
        id: crate::ids::next_id(),
        list_id: list,
        account_id: account,
        created_at: chrono::Utc::now(),
    })
    .insert(db)
    .await
    .map(|_| ())
}

pub async fn remove_members(db: &impl ConnectionTrait, list: i64, accounts: &[i64]) -> Result<(), DbErr> {
    list_accounts::Entity::delete_many()
        .filter(list_accounts::Column::ListId.eq(list))
        .filter(list_accounts::Column::AccountId.is_in(accounts.iter().copied()))
        .exec(db)
        .await
        .map(|_| ())
}

/// The owner's lists that contain `account`.
pub async fn lists_containing(db: &impl ConnectionTrait, owner: i64, account: i64) -> Result<Vec<lists::Model>, DbErr> {
    let sql = "SELECT l.* FROM lists l WHERE l.account_id = ? AND EXISTS \
               (SELECT 1 FROM list_accounts la WHERE la.list_id = l.id AND la.account_id = ?) ORDER BY l.id";
    lists::Model::find_by_statement(statement(db.get_database_backend(), sql, vec![owner.into(), account.into()]))
        .all(db)
        .await
}

/// Ids of the newest (or, reading upwards, the oldest) `limit` statuses by members of the list
/// whom its owner follows, inside the page's bounds; from the `(account_id, id)` index alone.
pub async fn candidates(
    db: &impl ConnectionTrait,
    list: &lists::Model,
    page: Page,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    let authors = "SELECT la.account_id FROM list_accounts la JOIN follows f \
         ON f.account_id = ? AND f.target_account_id = la.account_id WHERE la.list_id = ?";
    super::statuses::newest_by(db, authors, vec![list.account_id.into(), list.id.into()], page, limit).await
}
