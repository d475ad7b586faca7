//! Notifications.
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::Page;
use crate::db::entities::notifications;

/// Inserts a notification and records its streaming event in the same transaction.
pub async fn insert(
    db: &impl ConnectionTrait,
    account: i64,
    from: i64,
    kind: &str,
    status: Option<i64>,
) -> Result<(), DbErr> {
    let id = crate::ids::next_id();
    notifications::ActiveModel {
        id: Set(id),
        account_id: Set(account),
        from_account_id: Set(from),
        kind: Set(kind.to_owned()),
        status_id: Set(status),
        read: Set(false),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(db)
    .await?;
    super::stream_events::record(db, &super::stream_events::StreamEvent::Notification { id }).await
}

/// Removes notifications that an undone action caused (an unfavourite, an unfollow).
pub async fn delete_matching(
    db: &impl ConnectionTrait,
    account: i64,
    from: i64,
    kind: &str,
    status: Option<i64>,
) -> Result<(), DbErr> {
    let mut q = notifications::Entity::delete_many()
        .filter(notifications::Column::AccountId.eq(account))
        .filter(notifications::Column::FromAccountId.eq(from))
        .filter(notifications::Column::Kind.eq(kind));
    if let Some(s) = status {
        q = q.filter(notifications::Column::StatusId.eq(s));
    }
    q.exec(db).await.map(|_| ())
}

pub async fn list(
    db: &impl ConnectionTrait,
    account: i64,
    kinds: Option<&[String]>,
    exclude: Option<&[String]>,
    hide: &super::statuses::SqlFilter,
    page: Page,
) -> Result<Vec<notifications::Model>, DbErr> {
    // Nothing from someone either side has blocked, even if it arrived before the block.
    let b = Alias::new("b");
    let col = |c: &str| Expr::col((b.clone(), Alias::new(c)));
    let from = Expr::col((notifications::Entity, notifications::Column::FromAccountId));
    let blocked = Query::select()
        .expr(Expr::val(1))
        .from_as(Alias::new("blocks"), b.clone())
        .cond_where(
            Cond::any()
                .add(Cond::all().add(col("account_id").eq(account)).add(col("target_account_id").eq(from.clone())))
                .add(Cond::all().add(col("account_id").eq(from)).add(col("target_account_id").eq(account))),
        )
        .to_owned();
    let mut q = notifications::Entity::find()
        .filter(notifications::Column::AccountId.eq(account))
        .filter(Expr::exists(blocked).not())
        .filter(not_from_limited_strangers())
        .filter(Expr::cust_with_values(custom_sql(db.get_database_backend(), &hide.sql), hide.values.clone()));
    if let Some(k) = kinds {
        q = q.filter(notifications::Column::Kind.is_in(k.iter().cloned()));
    }
    if let Some(k) = exclude {
        q = q.filter(notifications::Column::Kind.is_not_in(k.iter().cloned()));
    }
    for c in page.conditions(super::col("notifications", "id")) {
        q = q.filter(c);
    }
    let mut rows = if page.ascending() {
        q.order_by_asc(notifications::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(notifications::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// A `?`-placeholder fragment as sea-query's custom expressions want it: on PostgreSQL they
/// take `$1`, `$2`… (numbered within the fragment), elsewhere `?`.
fn custom_sql(backend: sea_orm::DbBackend, sql: &str) -> String {
    if backend != sea_orm::DbBackend::Postgres {
        return format!("({sql})");
    }
    let mut out = String::with_capacity(sql.len() + 16);
    out.push('(');
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out.push(')');
    out
}

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<notifications::Model>, DbErr> {
    notifications::Entity::find_by_id(id).one(db).await
}

/// Accounts of a limited (silenced) server reach only those who follow them.
fn not_from_limited_strangers() -> sea_orm::sea_query::SimpleExpr {
    Expr::cust(
        "NOT EXISTS (SELECT 1 FROM accounts la JOIN instances li ON li.domain = la.domain \
         WHERE la.id = notifications.from_account_id AND li.silenced = true \
         AND NOT EXISTS (SELECT 1 FROM follows lf WHERE lf.account_id = notifications.account_id \
         AND lf.target_account_id = notifications.from_account_id))",
    )
}

pub async fn unread_count(db: &impl ConnectionTrait, account: i64) -> Result<u64, DbErr> {
    notifications::Entity::find()
        .filter(notifications::Column::AccountId.eq(account))
        .filter(notifications::Column::Read.eq(false))
        .filter(not_from_limited_strangers())
        .count(db)
        .await
}

pub async fn mark_all_read(db: &impl ConnectionTrait, account: i64) -> Result<(), DbErr> {
    notifications::Entity::update_many()
        .col_expr(notifications::Column::Read, Expr::value(true))
        .filter(notifications::Column::AccountId.eq(account))
        .filter(notifications::Column::Read.eq(false))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn dismiss(db: &impl ConnectionTrait, account: i64, id: i64) -> Result<u64, DbErr> {
    Ok(notifications::Entity::delete_many()
        .filter(notifications::Column::AccountId.eq(account))
        .filter(notifications::Column::Id.eq(id))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn clear(db: &impl ConnectionTrait, account: i64) -> Result<(), DbErr> {
    notifications::Entity::delete_many().filter(notifications::Column::AccountId.eq(account)).exec(db).await.map(|_| ())
}
