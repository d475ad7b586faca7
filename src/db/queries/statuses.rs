//! Statuses and what hangs off them: media, mentions, tags, edits, favourites, bookmarks, pins,
//! collections; and the timelines, which take their visibility filter from `service::visibility`.
use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};

use super::Page;
use crate::db::entities::{
    bookmarks, collection_items, collections, favourites, media_attachments, mentions, status_edits, status_pins,
    status_tags, statuses,
};

/// A SQL fragment with `?` placeholders and its values.
#[derive(Debug, Clone, Default)]
pub struct SqlFilter {
    pub sql: String,
    pub values: Vec<Value>,
}

impl SqlFilter {
    pub fn new(sql: impl Into<String>, values: Vec<Value>) -> Self {
        Self { sql: sql.into(), values }
    }
}

/// Builds a statement from `?` placeholders, numbering them for PostgreSQL.
pub fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Runs `SELECT s.* FROM statuses s WHERE <filters> ORDER BY s.id <dir> LIMIT n`.
pub async fn select_statuses(
    db: &impl ConnectionTrait,
    filters: Vec<SqlFilter>,
    page: Page,
) -> Result<Vec<statuses::Model>, DbErr> {
    let mut sql = String::from("SELECT s.* FROM statuses s WHERE 1=1");
    let mut values = Vec::new();
    for f in filters {
        sql.push_str(" AND (");
        sql.push_str(&f.sql);
        sql.push(')');
        values.extend(f.values);
    }
    if let Some(max) = page.max_id {
        sql.push_str(" AND s.id < ?");
        values.push(max.into());
    }
    if let Some(since) = page.since_id {
        sql.push_str(" AND s.id > ?");
        values.push(since.into());
    }
    if let Some(min) = page.min_id {
        sql.push_str(" AND s.id > ?");
        values.push(min.into());
    }
    sql.push_str(if page.ascending() { " ORDER BY s.id ASC" } else { " ORDER BY s.id DESC" });
    sql.push_str(&format!(" LIMIT {}", page.limit));
    let stmt = statement(db.get_database_backend(), &sql, values);
    let mut rows = statuses::Model::find_by_statement(stmt).all(db).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: i64,
}

/// Adds the page's bounds on an id column to a query.
pub fn push_bounds(sql: &mut String, values: &mut Vec<Value>, column: &str, page: Page) {
    if let Some(max) = page.max_id {
        sql.push_str(&format!(" AND {column} < ?"));
        values.push(max.into());
    }
    if let Some(since) = page.since_id {
        sql.push_str(&format!(" AND {column} > ?"));
        values.push(since.into());
    }
    if let Some(min) = page.min_id {
        sql.push_str(&format!(" AND {column} > ?"));
        values.push(min.into());
    }
}

/// Ids of the newest (or, reading upwards, the oldest) `limit` statuses by the account or the
/// accounts it follows, inside the page's bounds. Only the `(account_id, id)` index is read, so
/// this stays cheap however many posts there are; callers filter the candidates afterwards.
/// Accounts in one of the member's exclusive lists are read in that list, not at home.
pub async fn home_candidates(
    db: &impl ConnectionTrait,
    account: i64,
    page: Page,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    let authors = "SELECT f.target_account_id FROM follows f WHERE f.account_id = ? AND NOT EXISTS \
         (SELECT 1 FROM list_accounts la JOIN lists l ON l.id = la.list_id \
          WHERE la.account_id = f.target_account_id AND l.account_id = ? AND l.exclusive = ?) \
         UNION ALL SELECT ?";
    let values: Vec<Value> = vec![account.into(), account.into(), true.into(), account.into()];
    newest_by(db, authors, values, page, limit).await
}

/// Ids of the newest (or, reading upwards, oldest) `limit` statuses by the accounts that
/// `authors` (a `SELECT` of account ids) lists, inside the page's bounds, from the
/// `(account_id, id)` index. SQLite reads each author's index range by itself; PostgreSQL is
/// told to (a `LATERAL` join), or it would rather scan every post in the range.
pub async fn newest_by(
    db: &impl ConnectionTrait,
    authors: &str,
    mut values: Vec<Value>,
    page: Page,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    let backend = db.get_database_backend();
    let order = if page.ascending() { "ASC" } else { "DESC" };
    let mut sql = if backend == DbBackend::Postgres {
        let mut inner = String::from("SELECT s.id FROM statuses s WHERE s.account_id = a.id");
        push_bounds(&mut inner, &mut values, "s.id", page);
        format!(
            "SELECT c.id FROM ({authors}) a (id) CROSS JOIN LATERAL ({inner} ORDER BY s.id {order} LIMIT {limit}) c"
        )
    } else {
        let mut sql = format!("SELECT c.id FROM statuses c WHERE c.account_id IN ({authors})");
        push_bounds(&mut sql, &mut values, "c.id", page);
        sql
    };
    sql.push_str(&format!(" ORDER BY c.id {order} LIMIT {limit}"));
    let rows = IdRow::find_by_statement(statement(backend, &sql, values)).all(db).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Ids of the newest (or oldest, reading upwards) `limit` statuses carrying one of `tags`, each
/// hashtag read in order from the `(tag, status_id)` index (one query, no sort of a popular
/// tag's whole history); callers merge them and keep the public ones.
pub async fn tagged_candidates(
    db: &impl ConnectionTrait,
    tags: &[String],
    page: Page,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    let mut parts = Vec::with_capacity(tags.len());
    let mut values: Vec<Value> = Vec::new();
    for (n, tag) in tags.iter().enumerate() {
        let mut sql = String::from("SELECT st.status_id AS id FROM status_tags st WHERE st.tag = ?");
        values.push(tag.clone().into());
        push_bounds(&mut sql, &mut values, "st.status_id", page);
        sql.push_str(if page.ascending() { " ORDER BY st.status_id ASC" } else { " ORDER BY st.status_id DESC" });
        sql.push_str(&format!(" LIMIT {limit}"));
        parts.push(format!("SELECT id FROM ({sql}) t{n}"));
    }
    if parts.is_empty() {
        return Ok(vec![]);
    }
    let sql = parts.join(" UNION ALL ");
    let rows = IdRow::find_by_statement(statement(db.get_database_backend(), &sql, values)).all(db).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Inserts a new status (or boost) and records its streaming `update` event in the same
/// transaction.
pub async fn insert_status(db: &impl ConnectionTrait, row: statuses::Model) -> Result<statuses::Model, DbErr> {
    let id = row.id;
    let inserted = statuses::ActiveModel::from(row).insert(db).await?;
    super::stream_events::record(db, &super::stream_events::StreamEvent::Status { id }).await?;
    Ok(inserted)
}

/// Records that a status was edited (for streaming `status.update`), in the edit's transaction.
pub async fn record_edited(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    super::stream_events::record(db, &super::stream_events::StreamEvent::Edited { id }).await
}

pub async fn status_by_uri(db: &impl ConnectionTrait, uri: &str) -> Result<Option<statuses::Model>, DbErr> {
    statuses::Entity::find().filter(statuses::Column::Uri.eq(uri)).one(db).await
}

pub async fn status_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<statuses::Model>, DbErr> {
    statuses::Entity::find_by_id(id).one(db).await
}

pub async fn statuses_by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<statuses::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    statuses::Entity::find().filter(statuses::Column::Id.is_in(ids.iter().copied())).all(db).await
}

/// Every status in a thread, oldest first (bounded).
pub async fn thread(db: &impl ConnectionTrait, thread_id: i64, limit: u64) -> Result<Vec<statuses::Model>, DbErr> {
    statuses::Entity::find()
        .filter(statuses::Column::ThreadId.eq(thread_id))
        .filter(statuses::Column::ReblogOfId.is_null())
        .order_by_asc(statuses::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub async fn reblog_by(db: &impl ConnectionTrait, account: i64, status: i64) -> Result<Option<statuses::Model>, DbErr> {
    statuses::Entity::find()
        .filter(statuses::Column::AccountId.eq(account))
        .filter(statuses::Column::ReblogOfId.eq(status))
        .one(db)
        .await
}

pub async fn reblogs_of(db: &impl ConnectionTrait, status: i64) -> Result<Vec<statuses::Model>, DbErr> {
    statuses::Entity::find().filter(statuses::Column::ReblogOfId.eq(status)).all(db).await
}

pub async fn count_statuses(db: &impl ConnectionTrait, account: i64) -> Result<u64, DbErr> {
    statuses::Entity::find().filter(statuses::Column::AccountId.eq(account)).count(db).await
}

pub async fn count_all_local_statuses(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    statuses::Entity::find().filter(statuses::Column::Uri.is_null()).count(db).await
}

pub async fn last_status_at(
    db: &impl ConnectionTrait,
    account: i64,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, DbErr> {
    Ok(statuses::Entity::find()
        .filter(statuses::Column::AccountId.eq(account))
        .order_by_desc(statuses::Column::Id)
        .one(db)
        .await?
        .map(|s| s.created_at))
}

pub async fn media_for_statuses(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<media_attachments::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    media_attachments::Entity::find()
        .filter(media_attachments::Column::StatusId.is_in(ids.iter().copied()))
        .order_by_asc(media_attachments::Column::Position)
        .all(db)
        .await
}

pub async fn media_by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<media_attachments::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    media_attachments::Entity::find().filter(media_attachments::Column::Id.is_in(ids.iter().copied())).all(db).await
}

pub async fn media_by_file_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<media_attachments::Model>, DbErr> {
    media_attachments::Entity::find().filter(media_attachments::Column::FileName.eq(name)).one(db).await
}

pub async fn insert_media(db: &impl ConnectionTrait, m: media_attachments::Model) -> Result<(), DbErr> {
    media_attachments::ActiveModel::from(m).insert(db).await.map(|_| ())
}

pub async fn update_media_description(db: &impl ConnectionTrait, id: i64, description: &str) -> Result<(), DbErr> {
    media_attachments::Entity::update_many()
        .col_expr(media_attachments::Column::Description, Expr::value(description))
        .filter(media_attachments::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Attaches media to a status in the given order.
pub async fn attach_media(db: &impl ConnectionTrait, status: i64, ids: &[i64]) -> Result<(), DbErr> {
    for (pos, id) in ids.iter().enumerate() {
        media_attachments::Entity::update_many()
            .col_expr(media_attachments::Column::StatusId, Expr::value(status))
            .col_expr(media_attachments::Column::Position, Expr::value(pos as i32))
            .filter(media_attachments::Column::Id.eq(*id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Removes media an edit took off a status; returns their file names, to delete after commit.
/// (A removed file must not stay reachable, and unattached it would escape the post's audience.)
pub async fn remove_media_except(db: &impl ConnectionTrait, status: i64, keep: &[i64]) -> Result<Vec<String>, DbErr> {
    let gone = media_attachments::Entity::find()
        .filter(media_attachments::Column::StatusId.eq(status))
        .filter(media_attachments::Column::Id.is_not_in(keep.iter().copied()))
        .all(db)
        .await?;
    let ids: Vec<i64> = gone.iter().map(|m| m.id).collect();
    if !ids.is_empty() {
        media_attachments::Entity::delete_many().filter(media_attachments::Column::Id.is_in(ids)).exec(db).await?;
    }
    Ok(gone.into_iter().map(|m| m.file_name).collect())
}

/// Deletes unattached uploads (after a post that would have used them failed).
pub async fn delete_unattached_media(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<String>, DbErr> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows = media_attachments::Entity::find()
        .filter(media_attachments::Column::Id.is_in(ids.iter().copied()))
        .filter(media_attachments::Column::StatusId.is_null())
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    media_attachments::Entity::delete_many().filter(media_attachments::Column::Id.is_in(ids)).exec(db).await?;
    Ok(rows.into_iter().map(|m| m.file_name).collect())
}

pub async fn mentions_for(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<mentions::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    mentions::Entity::find().filter(mentions::Column::StatusId.is_in(ids.iter().copied())).all(db).await
}

pub async fn is_mentioned(db: &impl ConnectionTrait, status: i64, account: i64) -> Result<bool, DbErr> {
    Ok(mentions::Entity::find()
        .filter(mentions::Column::StatusId.eq(status))
        .filter(mentions::Column::AccountId.eq(account))
        .count(db)
        .await?
        > 0)
}

/// Whether a status mentions anyone on `domain`.
pub async fn mentions_on_domain(db: &impl ConnectionTrait, status: i64, domain: &str) -> Result<bool, DbErr> {
    let stmt = statement(
        db.get_database_backend(),
        "SELECT 1 AS one FROM mentions m JOIN accounts a ON a.id = m.account_id WHERE m.status_id = ? AND a.domain = ? LIMIT 1",
        vec![status.into(), domain.into()],
    );
    Ok(db.query_one_raw(stmt).await?.is_some())
}

pub async fn tags_for(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<status_tags::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    status_tags::Entity::find().filter(status_tags::Column::StatusId.is_in(ids.iter().copied())).all(db).await
}

/// Replaces a status's mentions and tags.
pub async fn set_mentions_and_tags(
    db: &impl ConnectionTrait,
    status: i64,
    mention_ids: &[i64],
    tags: &[String],
) -> Result<(), DbErr> {
    mentions::Entity::delete_many().filter(mentions::Column::StatusId.eq(status)).exec(db).await?;
    status_tags::Entity::delete_many().filter(status_tags::Column::StatusId.eq(status)).exec(db).await?;
    for account in mention_ids {
        mentions::ActiveModel {
            id: sea_orm::Set(crate::ids::next_id()),
            status_id: sea_orm::Set(status),
            account_id: sea_orm::Set(*account),
        }
        .insert(db)
        .await?;
    }
    for tag in tags {
        status_tags::ActiveModel {
            id: sea_orm::Set(crate::ids::next_id()),
            status_id: sea_orm::Set(status),
            tag: sea_orm::Set(tag.clone()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

pub async fn insert_edit(db: &impl ConnectionTrait, e: status_edits::Model) -> Result<(), DbErr> {
    status_edits::ActiveModel::from(e).insert(db).await.map(|_| ())
}

pub async fn edits_of(db: &impl ConnectionTrait, status: i64) -> Result<Vec<status_edits::Model>, DbErr> {
    status_edits::Entity::find()
        .filter(status_edits::Column::StatusId.eq(status))
        .order_by_asc(status_edits::Column::Id)
        .all(db)
        .await
}

/// Placeholders for an `IN (...)` list of ids, with their values. The list is padded (with its
/// last id) to one of a few lengths, so that pages of different sizes share prepared statements.
pub fn id_list(ids: &[i64]) -> (String, Vec<Value>) {
    let n = ids.len();
    let padded = match n {
        0 => 0,
        1..=128 => n.next_power_of_two(),
        _ => n.div_ceil(64) * 64,
    };
    let last = ids.last().copied().unwrap_or_default();
    let values: Vec<Value> =
        ids.iter().copied().chain(std::iter::repeat_n(last, padded - n)).map(Value::from).collect();
    (vec!["?"; padded].join(","), values)
}

/// A count (or other number) of one kind for one id, from a `UNION ALL` of several counts.
#[derive(Debug, FromQueryResult)]
pub struct KindCountRow {
    pub kind: i32,
    pub id: i64,
    pub n: i64,
}

/// What a status view needs beyond the status row, read for a whole page in one query.
#[derive(Debug, Clone, Default)]
pub struct StatusExtras {
    /// Hashtags, lower case, in name order.
    pub tags: Vec<String>,
    /// Mentioned accounts, in the order they were recorded.
    pub mentions: Vec<i64>,
    pub has_media: bool,
    pub has_poll: bool,
    pub replies: i64,
    pub reblogs: i64,
    pub favourites: i64,
}

#[derive(Debug, FromQueryResult)]
struct ExtrasRow {
    id: i64,
    tags: Option<String>,
    mentions: Option<String>,
    has_media: bool,
    has_poll: bool,
    replies: i64,
    reblogs: i64,
    favourites: i64,
}

/// Tags, mentions, counts and whether there are files or a poll, per status.
pub async fn extras(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, StatusExtras>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let agg = if backend == DbBackend::Postgres { "string_agg" } else { "group_concat" };
    let (ph, values) = id_list(ids);
    // Only replies everyone may see are counted (as on Mastodon), or the count would reveal
    // followers-only and direct replies. SQLite's statistics count the many posts that reply to
    // nothing, so it would rather scan by visibility: it is told which index to use.
    let by_reply = if backend == DbBackend::Postgres { "" } else { "INDEXED BY statuses_reply" };
    let sql = format!(
        "SELECT s.id, \
         (SELECT {agg}(t.tag, ' ' ORDER BY t.tag) FROM status_tags t WHERE t.status_id = s.id) AS tags, \
         (SELECT {agg}(CAST(m.account_id AS TEXT), ' ' ORDER BY m.id) FROM mentions m WHERE m.status_id = s.id) AS mentions, \
         EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id) AS has_media, \
         EXISTS (SELECT 1 FROM polls p WHERE p.status_id = s.id) AS has_poll, \
         (SELECT COUNT(*) FROM statuses r {by_reply} WHERE r.in_reply_to_id = s.id AND r.visibility IN ('public','unlisted')) AS replies, \
         (SELECT COUNT(*) FROM statuses b WHERE b.reblog_of_id = s.id) AS reblogs, \
         (SELECT COUNT(*) FROM favourites f WHERE f.status_id = s.id) AS favourites \
         FROM statuses s WHERE s.id IN ({ph})"
    );
    let rows = ExtrasRow::find_by_statement(statement(backend, &sql, values)).all(db).await?;
    let words = |s: Option<String>| -> Vec<String> {
        s.map(|s| s.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect()).unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let mentions = words(r.mentions).iter().filter_map(|w| w.parse().ok()).collect();
            let extras = StatusExtras {
                tags: words(r.tags),
                mentions,
                has_media: r.has_media,
                has_poll: r.has_poll,
                replies: r.replies,
                reblogs: r.reblogs,
                favourites: r.favourites,
            };
            (r.id, extras)
        })
        .collect())
}

/// What a viewer has done to a page of statuses.
#[derive(Debug, Default)]
pub struct ViewerFlags {
    pub favourited: std::collections::HashSet<i64>,
    pub reblogged: std::collections::HashSet<i64>,
    pub bookmarked: std::collections::HashSet<i64>,
    pub pinned: std::collections::HashSet<i64>,
    /// Of the threads asked about, those whose conversation the viewer muted.
    pub muted_threads: std::collections::HashSet<i64>,
}

#[derive(Debug, FromQueryResult)]
struct KindIdRow {
    kind: i32,
    id: i64,
}

/// Of `ids`, those the account has favourited, reblogged, bookmarked, pinned; and of `threads`,
/// those it muted. One query.
pub async fn viewer_flags(
    db: &impl ConnectionTrait,
    account: i64,
    ids: &[i64],
    threads: &[i64],
) -> Result<ViewerFlags, DbErr> {
    let mut out = ViewerFlags::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let (ph, vals) = id_list(ids);
    let (tph, tvals) = id_list(threads);
    let mut sql = format!(
        "SELECT 0 AS kind, status_id AS id FROM favourites WHERE account_id = ? AND status_id IN ({ph}) \
         UNION ALL SELECT 1, reblog_of_id FROM statuses WHERE account_id = ? AND reblog_of_id IN ({ph}) \
         UNION ALL SELECT 2, status_id FROM bookmarks WHERE account_id = ? AND status_id IN ({ph}) \
         UNION ALL SELECT 3, status_id FROM status_pins WHERE account_id = ? AND status_id IN ({ph})"
    );
    let mut values = Vec::with_capacity(4 * (vals.len() + 1) + tvals.len() + 1);
    for _ in 0..4 {
        values.push(account.into());
        values.extend(vals.iter().cloned());
    }
    if !threads.is_empty() {
        sql.push_str(&format!(
            " UNION ALL SELECT 4, thread_id FROM conversation_mutes WHERE account_id = ? AND thread_id IN ({tph})"
        ));
        values.push(account.into());
        values.extend(tvals);
    }
    for r in KindIdRow::find_by_statement(statement(db.get_database_backend(), &sql, values)).all(db).await? {
        let set = match r.kind {
            0 => &mut out.favourited,
            1 => &mut out.reblogged,
            2 => &mut out.bookmarked,
            3 => &mut out.pinned,
            _ => &mut out.muted_threads,
        };
        set.insert(r.id);
    }
    Ok(out)
}

/// Favourites; the new row's id, or `None` when it was already a favourite.
pub async fn favourite(db: &impl ConnectionTrait, account: i64, status: i64) -> Result<Option<i64>, DbErr> {
    if favourite_id(db, account, status).await?.is_some() {
        return Ok(None);
    }
    let id = crate::ids::next_id();
    let inserted = favourites::Entity::insert(favourites::ActiveModel {
        id: sea_orm::Set(id),
        account_id: sea_orm::Set(account),
        status_id: sea_orm::Set(status),
        created_at: sea_orm::Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([favourites::Column::AccountId, favourites::Column::StatusId]).do_nothing().to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok((inserted == 1).then_some(id))
}

/// The id of `account`'s favourite of `status`, if any.
pub async fn favourite_id(db: &impl ConnectionTrait, account: i64, status: i64) -> Result<Option<i64>, DbErr> {
    Ok(favourites::Entity::find()
        .filter(favourites::Column::AccountId.eq(account))
        .filter(favourites::Column::StatusId.eq(status))
        .one(db)
        .await?
        .map(|f| f.id))
}

/// Removes every post (and boost) of an account that deleted itself elsewhere.
pub async fn delete_all_statuses_of(db: &impl ConnectionTrait, account: i64) -> Result<(), DbErr> {
    let ids: Vec<i64> = statuses::Entity::find()
        .filter(statuses::Column::AccountId.eq(account))
        .limit(100_000)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    for id in ids {
        for boost in reblogs_of(db, id).await? {
            delete_status_rows(db, boost.id).await?;
        }
        delete_status_rows(db, id).await?;
    }
    favourites::Entity::delete_many().filter(favourites::Column::AccountId.eq(account)).exec(db).await?;
    Ok(())
}

pub async fn unfavourite(db: &impl ConnectionTrait, account: i64, status: i64) -> Result<(), DbErr> {
    favourites::Entity::delete_many()
        .filter(favourites::Column::AccountId.eq(account))
        .filter(favourites::Column::StatusId.eq(status))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn bookmark(db: &impl ConnectionTrait, account: i64, status: i64) -> Result<(), DbErr> {
    let exists = bookmarks::Entity::find()
        .filter(bookmarks::Column::AccountId.eq(account))
        .filter(bookmarks::Column::StatusId.eq(status))
        .count(db)
        .await?
        > 0;
    if exists {
        return Ok(());
    }
    bookmarks::Entity::insert(bookmarks::ActiveModel {
        id: sea_orm::Set(crate::ids::next_id()),
        account_id: sea_orm::Set(account),
        status_id: sea_orm::Set(status),
        created_at: sea_orm::Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([bookmarks::Column::AccountId, bookmarks::Column::StatusId]).do_nothing().to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn unbookmark(db: &impl ConnectionTrait, account: i64, status: i64) -> Result<(), DbErr> {
    bookmarks::Entity::delete_many()
        .filter(bookmarks::Column::AccountId.eq(account))
        .filter(bookmarks::Column::StatusId.eq(status))
        .exec(db)
        .await
        .map(|_| ())
}

/// The account's bookmarks, newest first (paged by bookmark id).
pub async fn bookmarks_of(db: &impl ConnectionTrait, account: i64, page: Page) -> Result<Vec<bookmarks::Model>, DbErr> {
    let mut q = bookmarks::Entity::find().filter(bookmarks::Column::AccountId.eq(account));
    for c in page.conditions(super::col("bookmarks", "id")) {
        q = q.filter(c);
    }
    let mut rows = if page.ascending() {
        q.order_by_asc(bookmarks::Column::Id).limit(page.limit).all(db).await?
    } else {
        q.order_by_desc(bookmarks::Column::Id).limit(page.limit).all(db).await?
    };
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// The account's favourites, newest first (paged by favourite id).
pub async fn favourites_of(
    db: &impl ConnectionTrait,
    account: i64,
    page: Page,
) -> Result<Vec<favourites::Model>, DbErr> {
    let mut q = favourites::Entity::find().filter(favourites::Column::AccountId.eq(account));
    for c in page.conditions(super::col("favourites", "id")) {
        q = q.filter(c);
    }
    // min_id reads upwards: the rows right after it, returned newest first like the others.
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

pub async fn pin(db: &impl ConnectionTrait, account: i64, status: i64) -> Result<(), DbErr> {
    let exists = status_pins::Entity::find()
        .filter(status_pins::Column::AccountId.eq(account))
        .filter(status_pins::Column::StatusId.eq(status))
        .count(db)
        .await?
        > 0;
    if exists {
        return Ok(());
    }
    status_pins::Entity::insert(status_pins::ActiveModel {
        id: sea_orm::Set(crate::ids::next_id()),
        account_id: sea_orm::Set(account),
        status_id: sea_orm::Set(status),
        created_at: sea_orm::Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([status_pins::Column::AccountId, status_pins::Column::StatusId]).do_nothing().to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn unpin(db: &impl ConnectionTrait, account: i64, status: i64) -> Result<(), DbErr> {
    status_pins::Entity::delete_many()
        .filter(status_pins::Column::AccountId.eq(account))
        .filter(status_pins::Column::StatusId.eq(status))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn pins_of(db: &impl ConnectionTrait, account: i64) -> Result<Vec<i64>, DbErr> {
    Ok(status_pins::Entity::find()
        .filter(status_pins::Column::AccountId.eq(account))
        .order_by_desc(status_pins::Column::Id)
        .limit(20)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.status_id)
        .collect())
}

pub async fn collections_of(db: &impl ConnectionTrait, account: i64) -> Result<Vec<collections::Model>, DbErr> {
    collections::Entity::find()
        .filter(collections::Column::AccountId.eq(account))
        .order_by_asc(collections::Column::Name)
        .limit(500)
        .all(db)
        .await
}

pub async fn collection_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<collections::Model>, DbErr> {
    collections::Entity::find_by_id(id).one(db).await
}

pub async fn insert_collection(db: &impl ConnectionTrait, c: collections::Model) -> Result<(), DbErr> {
    collections::ActiveModel::from(c).insert(db).await.map(|_| ())
}

pub async fn delete_collection(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    collection_items::Entity::delete_many().filter(collection_items::Column::CollectionId.eq(id)).exec(db).await?;
    collections::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

pub async fn add_to_collection(
    db: &impl ConnectionTrait,
    collection: i64,
    status: i64,
    note: &str,
) -> Result<(), DbErr> {
    let exists = collection_items::Entity::find()
        .filter(collection_items::Column::CollectionId.eq(collection))
        .filter(collection_items::Column::StatusId.eq(status))
        .count(db)
        .await?
        > 0;
    if exists {
        return Ok(());
    }
    collection_items::Entity::insert(collection_items::ActiveModel {
        id: sea_orm::Set(crate::ids::next_id()),
        collection_id: sea_orm::Set(collection),
        status_id: sea_orm::Set(status),
        note: sea_orm::Set(note.to_owned()),
        created_at: sea_orm::Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([collection_items::Column::CollectionId, collection_items::Column::StatusId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

pub async fn remove_from_collection(db: &impl ConnectionTrait, collection: i64, status: i64) -> Result<(), DbErr> {
    collection_items::Entity::delete_many()
        .filter(collection_items::Column::CollectionId.eq(collection))
        .filter(collection_items::Column::StatusId.eq(status))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn collection_items(
    db: &impl ConnectionTrait,
    collection: i64,
    page: Page,
) -> Result<Vec<collection_items::Model>, DbErr> {
    let mut q = collection_items::Entity::find().filter(collection_items::Column::CollectionId.eq(collection));
    for c in page.conditions(super::col("collection_items", "id")) {
        q = q.filter(c);
    }
    q.order_by_desc(collection_items::Column::Id).limit(page.limit).all(db).await
}

/// Removes a status and everything that points at it, and records its streaming `delete`
/// event (with what streams need to know of it) in the same transaction.
pub async fn delete_status_rows(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    if let Some(s) = status_by_id(db, id).await? {
        let deleted = super::stream_events::DeletedStatus {
            id,
            account_id: s.account_id,
            visibility: s.visibility,
            local: s.uri.is_none(),
            reblog_of_id: s.reblog_of_id,
            mentioned: mentions_for(db, &[id]).await?.into_iter().map(|m| m.account_id).collect(),
            tags: tags_for(db, &[id]).await?.into_iter().map(|t| t.tag).collect(),
        };
        super::stream_events::record(db, &super::stream_events::StreamEvent::Deleted(deleted)).await?;
    }
    super::polls::delete_for_status(db, id).await?;
    mentions::Entity::delete_many().filter(mentions::Column::StatusId.eq(id)).exec(db).await?;
    status_tags::Entity::delete_many().filter(status_tags::Column::StatusId.eq(id)).exec(db).await?;
    favourites::Entity::delete_many().filter(favourites::Column::StatusId.eq(id)).exec(db).await?;
    bookmarks::Entity::delete_many().filter(bookmarks::Column::StatusId.eq(id)).exec(db).await?;
    status_pins::Entity::delete_many().filter(status_pins::Column::StatusId.eq(id)).exec(db).await?;
    collection_items::Entity::delete_many().filter(collection_items::Column::StatusId.eq(id)).exec(db).await?;
    status_edits::Entity::delete_many().filter(status_edits::Column::StatusId.eq(id)).exec(db).await?;
    crate::db::entities::notifications::Entity::delete_many()
        .filter(crate::db::entities::notifications::Column::StatusId.eq(id))
        .exec(db)
        .await?;
    statuses::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

/// Media files of a status, removed with it (returns the file names to delete after commit).
pub async fn delete_media_of(db: &impl ConnectionTrait, status: i64) -> Result<Vec<String>, DbErr> {
    let media =
        media_attachments::Entity::find().filter(media_attachments::Column::StatusId.eq(status)).all(db).await?;
    media_attachments::Entity::delete_many().filter(media_attachments::Column::StatusId.eq(status)).exec(db).await?;
    Ok(media.into_iter().map(|m| m.file_name).collect())
}
