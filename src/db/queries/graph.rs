//! The social graph: follows, follow requests, blocks and mutes.
use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Page;
use crate::db::entities::{accounts, blocks, follow_requests, follows, mutes};

/// What one account is to another, from the first one's side.
#[derive(Debug, Clone, Default)]
pub struct RelationshipView {
    pub following: bool,
    pub followed_by: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub showing_reblogs: bool,
    pub domain_blocking: bool,
}

/// A mute still in force: without an end, or ending later.
fn mute_active() -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(mutes::Column::ExpiresAt.is_null())
        .add(mutes::Column::ExpiresAt.gt(chrono::Utc::now()))
}

pub async fn is_following(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<bool, DbErr> {
    Ok(follows::Entity::find()
        .filter(follows::Column::AccountId.eq(account))
        .filter(follows::Column::TargetAccountId.eq(target))
        .count(db)
        .await?
        > 0)
}

pub async fn block_row(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<Option<blocks::Model>, DbErr> {
    blocks::Entity::find()
        .filter(blocks::Column::AccountId.eq(account))
        .filter(blocks::Column::TargetAccountId.eq(target))
        .one(db)
        .await
}

pub async fn is_blocking(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<bool, DbErr> {
    Ok(blocks::Entity::find()
        .filter(blocks::Column::AccountId.eq(account))
        .filter(blocks::Column::TargetAccountId.eq(target))
        .count(db)
        .await?
        > 0)
}

/// Whether either account blocks the other.
pub async fn blocked_either_way(db: &impl ConnectionTrait, a: i64, b: i64) -> Result<bool, DbErr> {
    Ok(blocks::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(blocks::Column::AccountId.eq(a).and(blocks::Column::TargetAccountId.eq(b)))
                .add(blocks::Column::AccountId.eq(b).and(blocks::Column::TargetAccountId.eq(a))),
        )
        .count(db)
        .await?
        > 0)
}

pub async fn relationship(db: &impl ConnectionTrait, me: i64, other: i64) -> Result<RelationshipView, DbErr> {
    let follow = follows::Entity::find()
        .filter(follows::Column::AccountId.eq(me))
        .filter(follows::Column::TargetAccountId.eq(other))
        .one(db)
        .await?;
    let mute = is_muting(db, me, other).await?;
    let domain_blocking = match super::accounts::account_by_id(db, other).await?.and_then(|a| a.domain) {
        Some(d) => super::moderation::is_domain_blocked_by(db, me, &d).await?,
        None => false,
    };
    Ok(RelationshipView {
        following: follow.is_some(),
        showing_reblogs: follow.as_ref().map(|f| f.show_reblogs).unwrap_or(false),
        followed_by: is_following(db, other, me).await?,
        requested: has_request(db, me, other).await?,
        requested_by: has_request(db, other, me).await?,
        blocking: is_blocking(db, me, other).await?,
        blocked_by: is_blocking(db, other, me).await?,
        muting: mute.is_some(),
        muting_notifications: mute.map(|m| m.notifications).unwrap_or(false),
        domain_blocking,
    })
}

pub async fn has_request(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<bool, DbErr> {
    Ok(follow_requests::Entity::find()
        .filter(follow_requests::Column::AccountId.eq(account))
        .filter(follow_requests::Column::TargetAccountId.eq(target))
        .count(db)
        .await?
        > 0)
}

pub async fn insert_follow(
    db: &impl ConnectionTrait,
    id: i64,
    account: i64,
    target: i64,
    uri: Option<&str>,
) -> Result<(), DbErr> {
    if is_following(db, account, target).await? {
        return Ok(());
    }
    follows::Entity::insert(follows::ActiveModel {
        id: Set(id),
        account_id: Set(account),
        target_account_id: Set(target),
        show_reblogs: Set(true),
        created_at: Set(chrono::Utc::now()),
        uri: Set(uri.map(str::to_owned)),
    })
    .on_conflict(
        OnConflict::columns([follows::Column::AccountId, follows::Column::TargetAccountId]).do_nothing().to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn delete_follow(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<u64, DbErr> {
    Ok(follows::Entity::delete_many()
        .filter(follows::Column::AccountId.eq(account))
        .filter(follows::Column::TargetAccountId.eq(target))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn insert_follow_request(
    db: &impl ConnectionTrait,
    id: i64,
    account: i64,
    target: i64,
    uri: Option<&str>,
) -> Result<(), DbErr> {
    if has_request(db, account, target).await? {
        return Ok(());
    }
    follow_requests::Entity::insert(follow_requests::ActiveModel {
        id: Set(id),
        account_id: Set(account),
        target_account_id: Set(target),
        created_at: Set(chrono::Utc::now()),
        uri: Set(uri.map(str::to_owned)),
    })
    .on_conflict(
        OnConflict::columns([follow_requests::Column::AccountId, follow_requests::Column::TargetAccountId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// The pending request from `account` to `target`, if any.
pub async fn follow_request(
    db: &impl ConnectionTrait,
    account: i64,
    target: i64,
) -> Result<Option<follow_requests::Model>, DbErr> {
    follow_requests::Entity::find()
        .filter(follow_requests::Column::AccountId.eq(account))
        .filter(follow_requests::Column::TargetAccountId.eq(target))
        .one(db)
        .await
}

/// The follow from `account` to `target`, if any.
pub async fn follow(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<Option<follows::Model>, DbErr> {
    follows::Entity::find()
        .filter(follows::Column::AccountId.eq(account))
        .filter(follows::Column::TargetAccountId.eq(target))
        .one(db)
        .await
}

/// Whether any remote account follows `account` (so its posts need delivering).
pub async fn has_remote_followers(db: &impl ConnectionTrait, account: i64) -> Result<bool, DbErr> {
    use sea_orm::FromQueryResult;
    #[derive(FromQueryResult)]
    struct One {
        #[allow(dead_code)]
        n: i64,
    }
    let backend = db.get_database_backend();
    let sql = "SELECT f.id AS n FROM follows f JOIN accounts a ON a.id = f.account_id \
               WHERE f.target_account_id = ? AND a.domain IS NOT NULL LIMIT 1";
    let stmt = super::statuses::statement(backend, sql, vec![account.into()]);
    Ok(One::find_by_statement(stmt).one(db).await?.is_some())
}

/// Shared inboxes (or inboxes) of the remote followers of `account`, each once.
pub async fn remote_follower_inboxes(db: &impl ConnectionTrait, account: i64) -> Result<Vec<String>, DbErr> {
    use sea_orm::FromQueryResult;
    #[derive(FromQueryResult)]
    struct Inbox {
        inbox: Option<String>,
    }
    let sql = "SELECT DISTINCT COALESCE(a.shared_inbox_url, a.inbox_url) AS inbox FROM follows f \
               JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND a.domain IS NOT NULL";
    let stmt = super::statuses::statement(db.get_database_backend(), sql, vec![account.into()]);
    Ok(Inbox::find_by_statement(stmt).all(db).await?.into_iter().filter_map(|i| i.inbox).collect())
}

/// Every follow to or from an account (when it is deleted).
pub async fn delete_all_follows_of(db: &impl ConnectionTrait, account: i64) -> Result<(), DbErr> {
    follows::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(follows::Column::AccountId.eq(account))
                .add(follows::Column::TargetAccountId.eq(account)),
        )
        .exec(db)
        .await?;
    follow_requests::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(follow_requests::Column::AccountId.eq(account))
                .add(follow_requests::Column::TargetAccountId.eq(account)),
        )
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn delete_follow_request(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<u64, DbErr> {
    Ok(follow_requests::Entity::delete_many()
        .filter(follow_requests::Column::AccountId.eq(account))
        .filter(follow_requests::Column::TargetAccountId.eq(target))
        .exec(db)
        .await?
        .rows_affected)
}

/// Pending requests to follow `target`, newest first.
pub async fn follow_requests_to(
    db: &impl ConnectionTrait,
    target: i64,
    page: Page,
) -> Result<Vec<follow_requests::Model>, DbErr> {
    let mut q = follow_requests::Entity::find().filter(follow_requests::Column::TargetAccountId.eq(target));
    for c in page.conditions(super::col("follow_requests", "id")) {
        q = q.filter(c);
    }
    // min_id reads upwards: the rows right after it, returned newest first like the others.
    let mut rows = if page.ascending() {
        q.order_by_asc(follow_requests::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(follow_requests::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

pub async fn insert_block(db: &impl ConnectionTrait, id: i64, account: i64, target: i64) -> Result<(), DbErr> {
    if is_blocking(db, account, target).await? {
        return Ok(());
    }
    blocks::Entity::insert(blocks::ActiveModel {
        id: Set(id),
        account_id: Set(account),
        target_account_id: Set(target),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([blocks::Column::AccountId, blocks::Column::TargetAccountId]).do_nothing().to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn delete_block(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<(), DbErr> {
    blocks::Entity::delete_many()
        .filter(blocks::Column::AccountId.eq(account))
        .filter(blocks::Column::TargetAccountId.eq(target))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn insert_mute(
    db: &impl ConnectionTrait,
    id: i64,
    account: i64,
    target: i64,
    notifications: bool,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), DbErr> {
    delete_mute(db, account, target).await?;
    mutes::Entity::insert(mutes::ActiveModel {
        id: Set(id),
        account_id: Set(account),
        target_account_id: Set(target),
        notifications: Set(notifications),
        created_at: Set(chrono::Utc::now()),
        expires_at: Set(expires_at),
    })
    .on_conflict(
        OnConflict::columns([mutes::Column::AccountId, mutes::Column::TargetAccountId]).do_nothing().to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn delete_mute(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<(), DbErr> {
    mutes::Entity::delete_many()
        .filter(mutes::Column::AccountId.eq(account))
        .filter(mutes::Column::TargetAccountId.eq(target))
        .exec(db)
        .await
        .map(|_| ())
}

/// The mute of `target` by `account`, if one is in force.
pub async fn is_muting(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<Option<mutes::Model>, DbErr> {
    mutes::Entity::find()
        .filter(mutes::Column::AccountId.eq(account))
        .filter(mutes::Column::TargetAccountId.eq(target))
        .filter(mute_active())
        .one(db)
        .await
}

/// Accounts `account` blocks (block rows, newest first), paged by the block's id.
pub async fn blocks_of(db: &impl ConnectionTrait, account: i64, page: Page) -> Result<Vec<blocks::Model>, DbErr> {
    let mut q = blocks::Entity::find().filter(blocks::Column::AccountId.eq(account));
    for c in page.conditions(super::col("blocks", "id")) {
        q = q.filter(c);
    }
    let mut rows = if page.ascending() {
        q.order_by_asc(blocks::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(blocks::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// Accounts `account` mutes (mute rows in force, newest first), paged by the mute's id.
pub async fn mutes_of(db: &impl ConnectionTrait, account: i64, page: Page) -> Result<Vec<mutes::Model>, DbErr> {
    let mut q = mutes::Entity::find().filter(mutes::Column::AccountId.eq(account)).filter(mute_active());
    for c in page.conditions(super::col("mutes", "id")) {
        q = q.filter(c);
    }
    let mut rows = if page.ascending() {
        q.order_by_asc(mutes::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(mutes::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// Follows either way between `account` and accounts of `domain` (when `account` hides the
/// domain): deleted, and returned so the caller can tell the other servers. Pending requests
/// either way are withdrawn too.
pub async fn take_follows_with_domain(
    db: &impl ConnectionTrait,
    account: i64,
    domain: &str,
) -> Result<(Vec<follows::Model>, Vec<follows::Model>), DbErr> {
    use sea_orm::FromQueryResult;
    let backend = db.get_database_backend();
    let select = |sql: &str| super::statuses::statement(backend, sql, vec![account.into(), domain.into()]);
    let following = follows::Model::find_by_statement(select(
        "SELECT f.* FROM follows f JOIN accounts a ON a.id = f.target_account_id WHERE f.account_id = ? AND a.domain = ?",
    ))
    .all(db)
    .await?;
    let followers = follows::Model::find_by_statement(select(
        "SELECT f.* FROM follows f JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND a.domain = ?",
    ))
    .all(db)
    .await?;
    for f in following.iter().chain(followers.iter()) {
        follows::Entity::delete_by_id(f.id).exec(db).await?;
    }
    let sql = "DELETE FROM follow_requests WHERE (account_id = ? AND target_account_id IN \
               (SELECT id FROM accounts WHERE domain = ?)) OR (target_account_id = ? AND account_id IN \
               (SELECT id FROM accounts WHERE domain = ?))";
    db.execute_raw(super::statuses::statement(
        backend,
        sql,
        vec![account.into(), domain.into(), account.into(), domain.into()],
    ))
    .await?;
    Ok((following, followers))
}
/// Whether anyone on `domain` follows `account`.
pub async fn has_follower_on(db: &impl ConnectionTrait, account: i64, domain: &str) -> Result<bool, DbErr> {
    let stmt = super::statuses::statement(
        db.get_database_backend(),
        "SELECT 1 AS one FROM follows f JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND a.domain = ? LIMIT 1",
        vec![account.into(), domain.into()],
    );
    Ok(db.query_one_raw(stmt).await?.is_some())
}

/// This node's members who follow `account`.
pub async fn local_followers_of(db: &impl ConnectionTrait, account: i64) -> Result<Vec<accounts::Model>, DbErr> {
    let ids: Vec<i64> = follows::Entity::find()
        .filter(follows::Column::TargetAccountId.eq(account))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.account_id)
        .collect();
    Ok(super::accounts::accounts_by_ids(db, &ids).await?.into_iter().filter(|a| a.domain.is_none()).collect())
}

pub async fn followers_count(db: &impl ConnectionTrait, account: i64) -> Result<u64, DbErr> {
    follows::Entity::find().filter(follows::Column::TargetAccountId.eq(account)).count(db).await
}

pub async fn following_count(db: &impl ConnectionTrait, account: i64) -> Result<u64, DbErr> {
    follows::Entity::find().filter(follows::Column::AccountId.eq(account)).count(db).await
}

/// Followers of `account` (follow rows, newest first).
pub async fn followers(db: &impl ConnectionTrait, account: i64, page: Page) -> Result<Vec<follows::Model>, DbErr> {
    let mut q = follows::Entity::find().filter(follows::Column::TargetAccountId.eq(account));
    for c in page.conditions(super::col("follows", "id")) {
        q = q.filter(c);
    }
    // min_id reads upwards: the rows right after it, returned newest first like the others.
    let mut rows = if page.ascending() {
        q.order_by_asc(follows::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(follows::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// Accounts `account` follows (follow rows, newest first).
pub async fn following(db: &impl ConnectionTrait, account: i64, page: Page) -> Result<Vec<follows::Model>, DbErr> {
    let mut q = follows::Entity::find().filter(follows::Column::AccountId.eq(account));
    for c in page.conditions(super::col("follows", "id")) {
        q = q.filter(c);
    }
    // min_id reads upwards: the rows right after it, returned newest first like the others.
    let mut rows = if page.ascending() {
        q.order_by_asc(follows::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(follows::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}
