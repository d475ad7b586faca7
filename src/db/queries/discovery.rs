//! Who reacted to a post, what is trending, whom to suggest, and which of my follows follow
//! someone. Trends read public posts only; callers add the viewer's own filters.
use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Value,
};

use super::Page;
use super::statuses::{SqlFilter, statement};
use crate::db::entities::{favourites, statuses};

/// Favourites of a status, newest first, paged by the favourite's id.
pub async fn favourites_of_status(
    db: &impl ConnectionTrait,
    status: i64,
    page: Page,
) -> Result<Vec<favourites::Model>, DbErr> {
    let mut q = favourites::Entity::find().filter(favourites::Column::StatusId.eq(status));
    for c in page.conditions(super::col("favourites", "id")) {
        q = q.filter(c);
    }
    let mut rows = if page.ascending() {
        q.order_by_asc(favourites::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(favourites::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// Public and unlisted boosts of a status, newest first, paged by the boost's id.
pub async fn boosts_of_status(
    db: &impl ConnectionTrait,
    status: i64,
    page: Page,
) -> Result<Vec<statuses::Model>, DbErr> {
    let mut q = statuses::Entity::find()
        .filter(statuses::Column::ReblogOfId.eq(status))
        .filter(statuses::Column::Visibility.is_in(["public", "unlisted"]));
    for c in page.conditions(super::col("statuses", "id")) {
        q = q.filter(c);
    }
    let mut rows = if page.ascending() {
        q.order_by_asc(statuses::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(statuses::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// A hashtag's use in public posts since a date.
#[derive(Debug, Clone, FromQueryResult)]
pub struct TagUse {
    pub name: String,
    pub accounts: i64,
    pub uses: i64,
}

/// Hashtags of public posts (not boosts) since `since`, by how many distinct accounts used them.
pub async fn trending_tags(
    db: &impl ConnectionTrait,
    since: chrono::DateTime<chrono::Utc>,
    limit: u64,
    offset: u64,
) -> Result<Vec<TagUse>, DbErr> {
    let sql = format!(
        "SELECT t.tag AS name, COUNT(DISTINCT s.account_id) AS accounts, COUNT(*) AS uses \
         FROM status_tags t JOIN statuses s ON s.id = t.status_id JOIN accounts a ON a.id = s.account_id \
         WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.created_at >= ? AND a.suspended = ? \
         GROUP BY t.tag ORDER BY accounts DESC, uses DESC, name ASC LIMIT {limit} OFFSET {offset}"
    );
    TagUse::find_by_statement(statement(db.get_database_backend(), &sql, vec![since.into(), false.into()]))
        .all(db)
        .await
}

#[derive(Debug, FromQueryResult)]
struct TagDayRow {
    name: String,
    account_id: i64,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// For each of `tags`: the (day, author) of every public post using it since `since`.
pub async fn tag_history(
    db: &impl ConnectionTrait,
    tags: &[String],
    since: chrono::DateTime<chrono::Utc>,
) -> Result<HashMap<String, Vec<(chrono::NaiveDate, i64)>>, DbErr> {
    let mut out: HashMap<String, Vec<(chrono::NaiveDate, i64)>> = HashMap::new();
    if tags.is_empty() {
        return Ok(out);
    }
    let ph = vec!["?"; tags.len()].join(",");
    let sql = format!(
        "SELECT t.tag AS name, s.account_id AS account_id, s.created_at AS created_at \
         FROM status_tags t JOIN statuses s ON s.id = t.status_id JOIN accounts a ON a.id = s.account_id \
         WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.created_at >= ? AND a.suspended = ? \
         AND t.tag IN ({ph}) LIMIT 100000"
    );
    let mut values: Vec<Value> = vec![since.into(), false.into()];
    values.extend(tags.iter().map(|t| Value::from(t.clone())));
    for r in TagDayRow::find_by_statement(statement(db.get_database_backend(), &sql, values)).all(db).await? {
        out.entry(r.name).or_default().push((r.created_at.date_naive(), r.account_id));
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct ScoreRow {
    id: i64,
}

/// Public posts (not boosts) written since `since`, by favourites plus boosts they received
/// since then; only posts with at least one. `filters` are the viewer's, over `statuses s`.
pub async fn trending_statuses(
    db: &impl ConnectionTrait,
    since: chrono::DateTime<chrono::Utc>,
    filters: Vec<SqlFilter>,
    limit: u64,
    offset: u64,
) -> Result<Vec<i64>, DbErr> {
    let mut inner = String::from(
        "SELECT s.id AS id, \
         (SELECT COUNT(*) FROM favourites f WHERE f.status_id = s.id AND f.created_at >= ?) + \
         (SELECT COUNT(*) FROM statuses b WHERE b.reblog_of_id = s.id AND b.created_at >= ?) AS score \
         FROM statuses s JOIN accounts a ON a.id = s.account_id \
         WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.created_at >= ? AND a.suspended = ?",
    );
    let mut values: Vec<Value> = vec![since.into(), since.into(), since.into(), false.into()];
    for f in filters {
        inner.push_str(" AND (");
        inner.push_str(&f.sql);
        inner.push(')');
        values.extend(f.values);
    }
    let sql = format!(
        "SELECT x.id AS id FROM ({inner}) x WHERE x.score > 0 ORDER BY x.score DESC, x.id DESC \
         LIMIT {limit} OFFSET {offset}"
    );
    Ok(ScoreRow::find_by_statement(statement(db.get_database_backend(), &sql, values))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct CandidateRow {
    id: i64,
}

/// The conditions on a suggested account `c` for `me`: someone else, discoverable, not
/// suspended, an approved and enabled member when local, not already followed or asked,
/// not blocked either way, muted, dismissed, or from a domain `me` hides.
fn suggestable(me: i64) -> SqlFilter {
    SqlFilter::new(
        "c.id <> ? AND c.discoverable = ? AND c.suspended = ? \
         AND (c.domain IS NOT NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = c.id AND u.approved = ? AND u.disabled = ?)) \
         AND NOT EXISTS (SELECT 1 FROM follows x WHERE x.account_id = ? AND x.target_account_id = c.id) \
         AND NOT EXISTS (SELECT 1 FROM follow_requests x WHERE x.account_id = ? AND x.target_account_id = c.id) \
         AND NOT EXISTS (SELECT 1 FROM blocks x WHERE (x.account_id = ? AND x.target_account_id = c.id) \
         OR (x.account_id = c.id AND x.target_account_id = ?)) \
         AND NOT EXISTS (SELECT 1 FROM mutes x WHERE x.account_id = ? AND x.target_account_id = c.id \
         AND (x.expires_at IS NULL OR x.expires_at > ?)) \
         AND NOT EXISTS (SELECT 1 FROM suggestion_dismissals x WHERE x.account_id = ? AND x.target_account_id = c.id) \
         AND NOT EXISTS (SELECT 1 FROM account_domain_blocks x WHERE x.account_id = ? AND x.domain = c.domain)",
        vec![
            me.into(),
            true.into(),
            false.into(),
            true.into(),
            false.into(),
            me.into(),
            me.into(),
            me.into(),
            me.into(),
            me.into(),
            chrono::Utc::now().into(),
            me.into(),
            me.into(),
        ],
    )
}

/// Accounts followed by accounts `me` follows, most shared first. Only accepted follows count:
/// they are what followers and following lists already show.
pub async fn friends_of_friends(db: &impl ConnectionTrait, me: i64, limit: u64) -> Result<Vec<i64>, DbErr> {
    let f = suggestable(me);
    let sql = format!(
        "SELECT c.id AS id FROM follows f1 JOIN follows f2 ON f2.account_id = f1.target_account_id \
         JOIN accounts c ON c.id = f2.target_account_id WHERE f1.account_id = ? AND ({}) \
         GROUP BY c.id ORDER BY COUNT(*) DESC, c.id DESC LIMIT {limit}",
        f.sql
    );
    let mut values: Vec<Value> = vec![me.into()];
    values.extend(f.values);
    Ok(CandidateRow::find_by_statement(statement(db.get_database_backend(), &sql, values))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// This node's members with the most followers.
pub async fn most_followed_local(db: &impl ConnectionTrait, me: i64, limit: u64) -> Result<Vec<i64>, DbErr> {
    let f = suggestable(me);
    let sql = format!(
        "SELECT c.id AS id FROM accounts c LEFT JOIN follows f ON f.target_account_id = c.id \
         WHERE c.domain IS NULL AND ({}) GROUP BY c.id ORDER BY COUNT(f.id) DESC, c.id DESC LIMIT {limit}",
        f.sql
    );
    Ok(CandidateRow::find_by_statement(statement(db.get_database_backend(), &sql, f.values))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct PairRow {
    target: i64,
    follower: i64,
}

/// For each of `targets`: the accounts `me` follows that follow it.
pub async fn familiar_followers(
    db: &impl ConnectionTrait,
    me: i64,
    targets: &[i64],
) -> Result<HashMap<i64, Vec<i64>>, DbErr> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    if targets.is_empty() {
        return Ok(out);
    }
    let ph = vec!["?"; targets.len()].join(",");
    let sql = format!(
        "SELECT f2.target_account_id AS target, f2.account_id AS follower FROM follows f1 \
         JOIN follows f2 ON f2.account_id = f1.target_account_id \
         WHERE f1.account_id = ? AND f2.target_account_id IN ({ph}) ORDER BY f2.id DESC LIMIT 2000"
    );
    let mut values: Vec<Value> = vec![me.into()];
    values.extend(targets.iter().map(|t| Value::from(*t)));
    for r in PairRow::find_by_statement(statement(db.get_database_backend(), &sql, values)).all(db).await? {
        out.entry(r.target).or_default().push(r.follower);
    }
    Ok(out)
}
