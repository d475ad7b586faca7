//! Hashtags a member follows or features on their profile, and how much a hashtag is used.
use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Value,
};

use super::Page;
use super::statuses::statement;
use crate::db::entities::{featured_tags, tag_follows};

/// The hashtags an account follows (the first `limit`, oldest follow first).
pub async fn followed_tag_names(db: &impl ConnectionTrait, account: i64, limit: u64) -> Result<Vec<String>, DbErr> {
    Ok(tag_follows::Entity::find()
        .filter(tag_follows::Column::AccountId.eq(account))
        .order_by_asc(tag_follows::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.tag)
        .collect())
}

/// Of `tags`, those the account follows.
pub async fn followed_among(db: &impl ConnectionTrait, account: i64, tags: &[String]) -> Result<Vec<String>, DbErr> {
    if tags.is_empty() {
        return Ok(vec![]);
    }
    Ok(tag_follows::Entity::find()
        .filter(tag_follows::Column::AccountId.eq(account))
        .filter(tag_follows::Column::Tag.is_in(tags.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.tag)
        .collect())
}

/// The hashtags an account follows, newest follow first (paged by the follow's id).
pub async fn followed_tags(
    db: &impl ConnectionTrait,
    account: i64,
    page: Page,
) -> Result<Vec<tag_follows::Model>, DbErr> {
    let mut q = tag_follows::Entity::find().filter(tag_follows::Column::AccountId.eq(account));
    for c in page.conditions(super::col("tag_follows", "id")) {
        q = q.filter(c);
    }
    let mut rows = if page.ascending() {
        q.order_by_asc(tag_follows::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(tag_follows::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

pub async fn follow_tag(db: &impl ConnectionTrait, account: i64, tag: &str) -> Result<(), DbErr> {
    tag_follows::Entity::insert(tag_follows::ActiveModel {
        id: sea_orm::Set(crate::ids::next_id()),
        account_id: sea_orm::Set(account),
        tag: sea_orm::Set(tag.to_owned()),
        created_at: sea_orm::Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([tag_follows::Column::AccountId, tag_follows::Column::Tag]).do_nothing().to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn unfollow_tag(db: &impl ConnectionTrait, account: i64, tag: &str) -> Result<(), DbErr> {
    tag_follows::Entity::delete_many()
        .filter(tag_follows::Column::AccountId.eq(account))
        .filter(tag_follows::Column::Tag.eq(tag))
        .exec(db)
        .await
        .map(|_| ())
}

#[derive(Debug, FromQueryResult)]
pub struct TagUse {
    pub id: i64,
    pub account_id: i64,
}

/// Public and unlisted posts with the hashtag since the status id `since` (bounded).
pub async fn uses_since(db: &impl ConnectionTrait, tag: &str, since: i64) -> Result<Vec<TagUse>, DbErr> {
    let sql = "SELECT s.id, s.account_id FROM status_tags st JOIN statuses s ON s.id = st.status_id \
               WHERE st.tag = ? AND st.status_id >= ? AND s.visibility IN ('public','unlisted') \
               ORDER BY st.status_id DESC LIMIT 20000";
    TagUse::find_by_statement(statement(db.get_database_backend(), sql, vec![tag.into(), since.into()])).all(db).await
}

pub async fn featured_tags_of(db: &impl ConnectionTrait, account: i64) -> Result<Vec<featured_tags::Model>, DbErr> {
    featured_tags::Entity::find()
        .filter(featured_tags::Column::AccountId.eq(account))
        .order_by_asc(featured_tags::Column::Id)
        .limit(100)
        .all(db)
        .await
}

pub async fn featured_tag_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<featured_tags::Model>, DbErr> {
    featured_tags::Entity::find_by_id(id).one(db).await
}

/// Features a hashtag; false when it already was.
pub async fn insert_featured_tag(db: &impl ConnectionTrait, f: featured_tags::Model) -> Result<bool, DbErr> {
    let n = featured_tags::Entity::insert(featured_tags::ActiveModel::from(f))
        .on_conflict(
            OnConflict::columns([featured_tags::Column::AccountId, featured_tags::Column::Tag]).do_nothing().to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(n == 1)
}

pub async fn delete_featured_tag(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    featured_tags::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

#[derive(Debug, FromQueryResult)]
struct TagStat {
    tag: String,
    n: i64,
    last: i64,
}

/// Per hashtag: how many of the account's public and unlisted posts carry it, and the newest.
pub async fn account_tag_stats(
    db: &impl ConnectionTrait,
    account: i64,
    tags: &[String],
) -> Result<HashMap<String, (i64, i64)>, DbErr> {
    if tags.is_empty() {
        return Ok(HashMap::new());
    }
    let ph = vec!["?"; tags.len()].join(",");
    let sql = format!(
        "SELECT st.tag, COUNT(*) AS n, MAX(s.id) AS last FROM status_tags st JOIN statuses s ON s.id = st.status_id \
         WHERE s.account_id = ? AND s.visibility IN ('public','unlisted') AND st.tag IN ({ph}) GROUP BY st.tag"
    );
    let mut values: Vec<Value> = vec![account.into()];
    values.extend(tags.iter().map(|t| Value::from(t.clone())));
    let rows = TagStat::find_by_statement(statement(db.get_database_backend(), &sql, values)).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.tag, (r.n, r.last))).collect())
}

/// The hashtags the account used most in its latest posts, most used first.
pub async fn most_used_tags(db: &impl ConnectionTrait, account: i64, limit: u64) -> Result<Vec<String>, DbErr> {
    let sql = format!(
        "SELECT st.tag, COUNT(*) AS n, MAX(s.id) AS last FROM status_tags st JOIN statuses s ON s.id = st.status_id \
         WHERE s.account_id = ? AND s.id IN (SELECT r.id FROM statuses r WHERE r.account_id = ? ORDER BY r.id DESC LIMIT 1000) \
         GROUP BY st.tag ORDER BY n DESC, last DESC LIMIT {limit}"
    );
    let rows =
        TagStat::find_by_statement(statement(db.get_database_backend(), &sql, vec![account.into(), account.into()]))
            .all(db)
            .await?;
    Ok(rows.into_iter().map(|r| r.tag).collect())
}

/// Hashtags starting with `prefix` (lower case) that public posts carry, most used first.
/// Hashtags seen only on followers-only, direct or unlisted posts are never listed.
pub async fn public_with_prefix(
    db: &impl ConnectionTrait,
    prefix: &str,
    limit: u64,
    offset: u64,
) -> Result<Vec<String>, DbErr> {
    let escaped: String = prefix
        .chars()
        .flat_map(|c| match c {
            '!' | '%' | '_' => vec!['!', c],
            c => vec![c],
        })
        .collect();
    let sql = format!(
        "SELECT st.tag AS name FROM status_tags st JOIN statuses s ON s.id = st.status_id \
         WHERE st.tag LIKE ? ESCAPE '!' AND s.visibility = 'public' \
         GROUP BY st.tag ORDER BY COUNT(*) DESC, st.tag LIMIT {limit} OFFSET {offset}"
    );
    let stmt = super::statuses::statement(db.get_database_backend(), &sql, vec![format!("{escaped}%").into()]);
    let mut out = Vec::new();
    for row in db.query_all_raw(stmt).await? {
        out.push(row.try_get_by_index::<String>(0)?);
    }
    Ok(out)
}
