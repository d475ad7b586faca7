//! Accounts, users, sessions, tokens, invites and site settings.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::entities::{access_tokens, accounts, email_tokens, invites, sessions, site_settings, users};

pub async fn account_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<accounts::Model>, DbErr> {
    accounts::Entity::find_by_id(id).one(db).await
}

/// An account's counts, as the triggers of `account_stats` keep them.
#[derive(Debug, Clone, Default, sea_orm::FromQueryResult)]
pub struct AccountStats {
    pub account_id: i64,
    pub followers_count: i64,
    pub following_count: i64,
    /// Posts and boosts, without direct messages.
    pub statuses_count: i64,
    pub last_status_id: Option<i64>,
}

/// Counts of `ids` (accounts with nothing to count have no row).
pub async fn stats_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, AccountStats>, DbErr> {
    use sea_orm::FromQueryResult;
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let (ph, values) = super::statuses::id_list(ids);
    let sql = format!(
        "SELECT account_id, followers_count, following_count, statuses_count, last_status_id \
         FROM account_stats WHERE account_id IN ({ph})"
    );
    let stmt = super::statuses::statement(db.get_database_backend(), &sql, values);
    Ok(AccountStats::find_by_statement(stmt).all(db).await?.into_iter().map(|s| (s.account_id, s)).collect())
}

pub async fn accounts_by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<accounts::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    accounts::Entity::find().filter(accounts::Column::Id.is_in(ids.iter().copied())).all(db).await
}

/// A local account by user name, case-insensitively.
pub async fn local_account_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<accounts::Model>, DbErr> {
    accounts::Entity::find()
        .filter(accounts::Column::UsernameLower.eq(username.to_lowercase()))
        .filter(accounts::Column::Domain.is_null())
        .one(db)
        .await
}

/// A known remote account by user name and domain (`host` or `host:port`).
pub async fn remote_account(
    db: &impl ConnectionTrait,
    username: &str,
    domain: &str,
) -> Result<Option<accounts::Model>, DbErr> {
    accounts::Entity::find()
        .filter(accounts::Column::UsernameLower.eq(username.to_lowercase()))
        .filter(accounts::Column::Domain.eq(domain.to_lowercase()))
        .one(db)
        .await
}

/// Every known account of a domain.
pub async fn accounts_of_domain(db: &impl ConnectionTrait, domain: &str) -> Result<Vec<accounts::Model>, DbErr> {
    accounts::Entity::find().filter(accounts::Column::Domain.eq(domain.to_lowercase())).limit(100_000).all(db).await
}

/// A remote account by its ActivityPub id.
pub async fn account_by_uri(db: &impl ConnectionTrait, uri: &str) -> Result<Option<accounts::Model>, DbErr> {
    accounts::Entity::find().filter(accounts::Column::Uri.eq(uri)).one(db).await
}

/// Suspends an account (a remote actor that deleted itself): it disappears from every page.
pub async fn suspend(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    accounts::Entity::update_many()
        .col_expr(accounts::Column::Suspended, Expr::value(true))
        .filter(accounts::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn user_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(id).one(db).await
}

pub async fn user_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find().filter(users::Column::Email.eq(email.to_lowercase())).one(db).await
}

/// Users for the admin list, newest first; `pending` keeps those awaiting approval.
pub async fn list_users(
    db: &impl ConnectionTrait,
    pending_only: bool,
    offset: u64,
    limit: u64,
) -> Result<Vec<(users::Model, accounts::Model)>, DbErr> {
    let mut q = users::Entity::find().order_by_desc(users::Column::Id);
    if pending_only {
        q = q.filter(users::Column::Approved.eq(false));
    }
    let users = q.offset(offset).limit(limit).all(db).await?;
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let accounts = accounts_by_ids(db, &ids).await?;
    Ok(users
        .into_iter()
        .filter_map(|u| {
            let a = accounts.iter().find(|a| a.id == u.id)?.clone();
            Some((u, a))
        })
        .collect())
}

pub async fn count_local_users(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    users::Entity::find().count(db).await
}

pub async fn insert_session(db: &impl ConnectionTrait, s: sessions::Model) -> Result<(), DbErr> {
    sessions::ActiveModel::from(s).insert(db).await.map(|_| ())
}

pub async fn session_by_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<sessions::Model>, DbErr> {
    sessions::Entity::find_by_id(hash.to_owned()).one(db).await
}

pub async fn delete_session(db: &impl ConnectionTrait, hash: &str) -> Result<(), DbErr> {
    sessions::Entity::delete_by_id(hash.to_owned()).exec(db).await.map(|_| ())
}

/// Signs a user out everywhere (after a password reset).
pub async fn delete_sessions_of(db: &impl ConnectionTrait, user_id: i64) -> Result<(), DbErr> {
    sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(user_id)).exec(db).await.map(|_| ())
}

pub async fn insert_access_token(db: &impl ConnectionTrait, t: access_tokens::Model) -> Result<(), DbErr> {
    access_tokens::ActiveModel::from(t).insert(db).await.map(|_| ())
}

/// A live token with its member (user and account), in one query. The member is `None` for an
/// app's own token, and also when the token's user no longer exists (callers refuse that).
pub async fn access_token_with_member(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<(access_tokens::Model, Option<(users::Model, accounts::Model)>)>, DbErr> {
    use sea_orm::FromQueryResult;
    let sql = format!(
        "SELECT {}, {}, {} FROM access_tokens t LEFT JOIN users u ON u.id = t.user_id \
         LEFT JOIN accounts a ON a.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL",
        super::prefixed_columns::<access_tokens::Entity>("t", "t_"),
        super::prefixed_columns::<users::Entity>("u", "u_"),
        super::prefixed_columns::<accounts::Entity>("a", "a_"),
    );
    let stmt = super::statuses::statement(db.get_database_backend(), &sql, vec![hash.to_owned().into()]);
    let Some(row) = db.query_one_raw(stmt).await? else { return Ok(None) };
    let token = access_tokens::Model::from_query_result(&row, "t_")?;
    let member = match token.user_id {
        None => None,
        Some(_) => {
            match (users::Model::from_query_result(&row, "u_"), accounts::Model::from_query_result(&row, "a_")) {
                (Ok(u), Ok(a)) => Some((u, a)),
                _ => None,
            }
        }
    };
    Ok(Some((token, member)))
}

pub async fn access_token_by_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<access_tokens::Model>, DbErr> {
    access_tokens::Entity::find_by_id(hash.to_owned()).filter(access_tokens::Column::RevokedAt.is_null()).one(db).await
}

pub async fn insert_email_token(db: &impl ConnectionTrait, t: email_tokens::Model) -> Result<(), DbErr> {
    email_tokens::ActiveModel::from(t).insert(db).await.map(|_| ())
}

pub async fn email_token_by_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<email_tokens::Model>, DbErr> {
    email_tokens::Entity::find_by_id(hash.to_owned()).one(db).await
}

pub async fn mark_email_token_used(db: &impl ConnectionTrait, hash: &str) -> Result<(), DbErr> {
    email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::value(chrono::Utc::now()))
        .filter(email_tokens::Column::TokenHash.eq(hash))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn insert_invite(db: &impl ConnectionTrait, i: invites::Model) -> Result<(), DbErr> {
    invites::ActiveModel::from(i).insert(db).await.map(|_| ())
}

pub async fn invite_by_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<invites::Model>, DbErr> {
    invites::Entity::find().filter(invites::Column::TokenHash.eq(hash)).one(db).await
}

/// Marks an invitation used, only if it still was not: true when this call took it.
pub async fn use_invite(db: &impl ConnectionTrait, id: i64, user: i64) -> Result<bool, DbErr> {
    let res = invites::Entity::update_many()
        .col_expr(invites::Column::UsedAt, Expr::value(chrono::Utc::now()))
        .col_expr(invites::Column::UsedBy, Expr::value(user))
        .filter(invites::Column::Id.eq(id))
        .filter(invites::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// How many invitations a member sent since `since`.
pub async fn invites_since(
    db: &impl ConnectionTrait,
    inviter: i64,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<u64, DbErr> {
    invites::Entity::find()
        .filter(invites::Column::InviterId.eq(inviter))
        .filter(invites::Column::CreatedAt.gt(since))
        .count(db)
        .await
}

pub async fn invites_by(db: &impl ConnectionTrait, inviter: i64) -> Result<Vec<invites::Model>, DbErr> {
    invites::Entity::find()
        .filter(invites::Column::InviterId.eq(inviter))
        .order_by_desc(invites::Column::Id)
        .limit(100)
        .all(db)
        .await
}

pub async fn setting(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(site_settings::Entity::find_by_id(key.to_owned()).one(db).await?.map(|s| s.value))
}

pub async fn set_setting(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), DbErr> {
    let existing = site_settings::Entity::find_by_id(key.to_owned()).one(db).await?;
    let model = site_settings::ActiveModel { key: Set(key.to_owned()), value: Set(value.to_owned()) };
    if existing.is_some() {
        model.update(db).await?;
    } else {
        model.insert(db).await?;
    }
    Ok(())
}

/// Records that an account moved to another one.
pub async fn set_moved_to(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<(), DbErr> {
    accounts::Entity::update_many()
        .col_expr(accounts::Column::MovedToAccountId, sea_orm::sea_query::Expr::value(Some(target)))
        .filter(accounts::Column::Id.eq(account))
        .exec(db)
        .await
        .map(|_| ())
}

/// Replaces an account's aliases (a JSON list of ActivityPub ids).
pub async fn set_aliases(db: &impl ConnectionTrait, account: i64, json: &str) -> Result<(), DbErr> {
    accounts::Entity::update_many()
        .col_expr(accounts::Column::AlsoKnownAs, sea_orm::sea_query::Expr::value(json.to_owned()))
        .filter(accounts::Column::Id.eq(account))
        .exec(db)
        .await
        .map(|_| ())
}

/// Stores `value` under `key` unless the key is already there (a racing writer keeps its value).
pub async fn insert_setting_if_absent(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), DbErr> {
    let model = site_settings::ActiveModel { key: Set(key.to_owned()), value: Set(value.to_owned()) };
    site_settings::Entity::insert(model)
        .on_conflict(sea_orm::sea_query::OnConflict::column(site_settings::Column::Key).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Accounts (local first) whose user name or display name starts with `prefix`.
pub async fn search_local_accounts(
    db: &impl ConnectionTrait,
    prefix: &str,
    limit: u64,
) -> Result<Vec<accounts::Model>, DbErr> {
    let clean: String = prefix.chars().filter(|c| c.is_alphanumeric() || *c == '_' || *c == ' ').take(60).collect();
    if clean.is_empty() {
        return Ok(vec![]);
    }
    let pattern = format!("{}%", clean.to_lowercase());
    accounts::Entity::find()
        .filter(
            sea_orm::Condition::any().add(accounts::Column::UsernameLower.like(pattern.clone())).add(
                Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(accounts::Column::DisplayName))).like(pattern),
            ),
        )
        .filter(accounts::Column::Suspended.eq(false))
        .order_by_asc(accounts::Column::Domain)
        .limit(limit)
        .all(db)
        .await
}

/// Local accounts, newest first (the directory and the admin list).
pub async fn local_accounts(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<accounts::Model>, DbErr> {
    accounts::Entity::find()
        .filter(accounts::Column::Domain.is_null())
        .order_by_desc(accounts::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
