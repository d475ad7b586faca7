//! What a member hides for themselves (whole domains, conversations, suggested accounts) and
//! what they report to the node's administrators.
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::Page;
use crate::db::entities::{account_domain_blocks, conversation_mutes, reports, suggestion_dismissals};

pub async fn is_domain_blocked_by(db: &impl ConnectionTrait, account: i64, domain: &str) -> Result<bool, DbErr> {
    Ok(account_domain_blocks::Entity::find()
        .filter(account_domain_blocks::Column::AccountId.eq(account))
        .filter(account_domain_blocks::Column::Domain.eq(domain))
        .count(db)
        .await?
        > 0)
}

/// Hides `domain` for `account`; false when it already was.
pub async fn insert_domain_block(db: &impl ConnectionTrait, account: i64, domain: &str) -> Result<bool, DbErr> {
    if is_domain_blocked_by(db, account, domain).await? {
        return Ok(false);
    }
    account_domain_blocks::Entity::insert(account_domain_blocks::ActiveModel {
        id: Set(crate::ids::next_id()),
        account_id: Set(account),
        domain: Set(domain.to_owned()),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([account_domain_blocks::Column::AccountId, account_domain_blocks::Column::Domain])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(true)
}

pub async fn delete_domain_block(db: &impl ConnectionTrait, account: i64, domain: &str) -> Result<(), DbErr> {
    account_domain_blocks::Entity::delete_many()
        .filter(account_domain_blocks::Column::AccountId.eq(account))
        .filter(account_domain_blocks::Column::Domain.eq(domain))
        .exec(db)
        .await
        .map(|_| ())
}

/// The domains `account` hides, newest first, paged by the block's id.
pub async fn domain_blocks_of(
    db: &impl ConnectionTrait,
    account: i64,
    page: Page,
) -> Result<Vec<account_domain_blocks::Model>, DbErr> {
    let mut q = account_domain_blocks::Entity::find().filter(account_domain_blocks::Column::AccountId.eq(account));
    for c in page.conditions(super::col("account_domain_blocks", "id")) {
        q = q.filter(c);
    }
    let mut rows = if page.ascending() {
        q.order_by_asc(account_domain_blocks::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(account_domain_blocks::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

pub async fn mute_conversation(db: &impl ConnectionTrait, account: i64, thread: i64) -> Result<(), DbErr> {
    conversation_mutes::Entity::insert(conversation_mutes::ActiveModel {
        id: Set(crate::ids::next_id()),
        account_id: Set(account),
        thread_id: Set(thread),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([conversation_mutes::Column::AccountId, conversation_mutes::Column::ThreadId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn unmute_conversation(db: &impl ConnectionTrait, account: i64, thread: i64) -> Result<(), DbErr> {
    conversation_mutes::Entity::delete_many()
        .filter(conversation_mutes::Column::AccountId.eq(account))
        .filter(conversation_mutes::Column::ThreadId.eq(thread))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn dismiss_suggestion(db: &impl ConnectionTrait, account: i64, target: i64) -> Result<(), DbErr> {
    suggestion_dismissals::Entity::insert(suggestion_dismissals::ActiveModel {
        id: Set(crate::ids::next_id()),
        account_id: Set(account),
        target_account_id: Set(target),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([suggestion_dismissals::Column::AccountId, suggestion_dismissals::Column::TargetAccountId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn insert_report(db: &impl ConnectionTrait, r: reports::Model) -> Result<(), DbErr> {
    reports::ActiveModel::from(r).insert(db).await.map(|_| ())
}

pub async fn report_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<reports::Model>, DbErr> {
    reports::Entity::find_by_id(id).one(db).await
}

/// Reports, unresolved first and then newest first (bounded).
pub async fn reports(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<reports::Model>, DbErr> {
    let open = reports::Entity::find()
        .filter(reports::Column::ActionTakenAt.is_null())
        .order_by_desc(reports::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let resolved = reports::Entity::find()
        .filter(reports::Column::ActionTakenAt.is_not_null())
        .order_by_desc(reports::Column::Id)
        .limit(limit.min(20))
        .all(db)
        .await?;
    Ok(open.into_iter().chain(resolved).collect())
}

/// Marks a report resolved by `admin`; false when there is no such open report.
pub async fn resolve_report(db: &impl ConnectionTrait, id: i64, admin: i64) -> Result<bool, DbErr> {
    Ok(reports::Entity::update_many()
        .col_expr(reports::Column::ActionTakenAt, Expr::value(chrono::Utc::now()))
        .col_expr(reports::Column::ActionTakenBy, Expr::value(admin))
        .filter(reports::Column::Id.eq(id))
        .filter(reports::Column::ActionTakenAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Whether `account` wrote, or is mentioned in, a post of the thread.
pub async fn takes_part_in(db: &impl ConnectionTrait, account: i64, thread: i64) -> Result<bool, DbErr> {
    use sea_orm::FromQueryResult;
    #[derive(FromQueryResult)]
    struct One {
        #[allow(dead_code)]
        n: i64,
    }
    let sql = "SELECT s.id AS n FROM statuses s WHERE s.thread_id = ? AND (s.account_id = ? \
               OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = ?)) LIMIT 1";
    let stmt =
        super::statuses::statement(db.get_database_backend(), sql, vec![thread.into(), account.into(), account.into()]);
    Ok(One::find_by_statement(stmt).one(db).await?.is_some())
}
