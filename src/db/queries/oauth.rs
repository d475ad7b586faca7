//! OAuth apps, authorization codes and the tokens issued to apps.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entities::{access_tokens, oauth_apps, oauth_codes};

pub async fn insert_app(db: &impl ConnectionTrait, app: oauth_apps::Model) -> Result<(), DbErr> {
    oauth_apps::ActiveModel::from(app).insert(db).await.map(|_| ())
}

pub async fn app_by_client_id(db: &impl ConnectionTrait, client_id: &str) -> Result<Option<oauth_apps::Model>, DbErr> {
    oauth_apps::Entity::find().filter(oauth_apps::Column::ClientId.eq(client_id)).one(db).await
}

pub async fn app_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<oauth_apps::Model>, DbErr> {
    oauth_apps::Entity::find_by_id(id).one(db).await
}

pub async fn apps_by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<oauth_apps::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    oauth_apps::Entity::find().filter(oauth_apps::Column::Id.is_in(ids.iter().copied())).all(db).await
}

pub async fn insert_code(db: &impl ConnectionTrait, code: oauth_codes::Model) -> Result<(), DbErr> {
    oauth_codes::ActiveModel::from(code).insert(db).await.map(|_| ())
}

/// Forgets codes that expired more than a day ago (used or not): the table stays small.
pub async fn delete_stale_codes(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), DbErr> {
    oauth_codes::Entity::delete_many()
        .filter(oauth_codes::Column::ExpiresAt.lt(now - chrono::Duration::days(1)))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn code_by_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<oauth_codes::Model>, DbErr> {
    oauth_codes::Entity::find_by_id(hash.to_owned()).one(db).await
}

/// Marks a code used, once: false when another request used it first.
pub async fn claim_code(
    db: &impl ConnectionTrait,
    hash: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = oauth_codes::Entity::update_many()
        .col_expr(oauth_codes::Column::UsedAt, Expr::value(Some(now)))
        .col_expr(oauth_codes::Column::TokenHash, Expr::value(Some(token_hash.to_owned())))
        .filter(oauth_codes::Column::CodeHash.eq(hash))
        .filter(oauth_codes::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Ends the unused codes a member gave an app (when they revoke it).
pub async fn expire_codes_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    app_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    oauth_codes::Entity::update_many()
        .col_expr(oauth_codes::Column::UsedAt, Expr::value(Some(now)))
        .filter(oauth_codes::Column::UserId.eq(user_id))
        .filter(oauth_codes::Column::AppId.eq(app_id))
        .filter(oauth_codes::Column::UsedAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// A token by its hash, revoked or not.
pub async fn token_by_hash_any(db: &impl ConnectionTrait, hash: &str) -> Result<Option<access_tokens::Model>, DbErr> {
    access_tokens::Entity::find_by_id(hash.to_owned()).one(db).await
}

/// The token a refresh token belongs to, revoked or not.
pub async fn token_by_refresh_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<access_tokens::Model>, DbErr> {
    access_tokens::Entity::find().filter(access_tokens::Column::RefreshTokenHash.eq(hash)).one(db).await
}

/// Revokes one token; false when it was already revoked.
pub async fn revoke_token(db: &impl ConnectionTrait, token_hash: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let res = access_tokens::Entity::update_many()
        .col_expr(access_tokens::Column::RevokedAt, Expr::value(Some(now)))
        .filter(access_tokens::Column::TokenHash.eq(token_hash))
        .filter(access_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes every token a member gave one app; returns how many were live.
pub async fn revoke_tokens_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    app_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let res = access_tokens::Entity::update_many()
        .col_expr(access_tokens::Column::RevokedAt, Expr::value(Some(now)))
        .filter(access_tokens::Column::UserId.eq(user_id))
        .filter(access_tokens::Column::AppId.eq(app_id))
        .filter(access_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Most live app tokens one member's settings page reads.
const MAX_LISTED_TOKENS: u64 = 1000;

/// A member's live tokens that belong to apps, newest first.
pub async fn live_app_tokens_of(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<access_tokens::Model>, DbErr> {
    access_tokens::Entity::find()
        .filter(access_tokens::Column::UserId.eq(user_id))
        .filter(access_tokens::Column::AppId.is_not_null())
        .filter(access_tokens::Column::RevokedAt.is_null())
        .order_by_desc(access_tokens::Column::CreatedAt)
        .limit(MAX_LISTED_TOKENS)
        .all(db)
        .await
}
