//! Polls and their votes. A local poll's counts are counted from its votes; a remote poll's are
//! the counts its server last sent plus the local votes cast since.
use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Set,
    Value,
};

use super::statuses::statement;
use crate::db::entities::{poll_votes, polls};

pub async fn insert(db: &impl ConnectionTrait, poll: polls::Model) -> Result<polls::Model, DbErr> {
    polls::ActiveModel::from(poll).insert(db).await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<polls::Model>, DbErr> {
    polls::Entity::find_by_id(id).one(db).await
}

pub async fn by_status(db: &impl ConnectionTrait, status: i64) -> Result<Option<polls::Model>, DbErr> {
    polls::Entity::find().filter(polls::Column::StatusId.eq(status)).one(db).await
}

pub async fn for_statuses(db: &impl ConnectionTrait, statuses: &[i64]) -> Result<Vec<polls::Model>, DbErr> {
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    polls::Entity::find().filter(polls::Column::StatusId.is_in(statuses.iter().copied())).all(db).await
}

/// Records one chosen option; false when this account had already chosen it.
pub async fn insert_vote(
    db: &impl ConnectionTrait,
    poll: i64,
    account: i64,
    choice: i32,
    uri: Option<String>,
) -> Result<Option<i64>, DbErr> {
    let id = crate::ids::next_id();
    let inserted = poll_votes::Entity::insert(poll_votes::ActiveModel {
        id: Set(id),
        poll_id: Set(poll),
        account_id: Set(account),
        choice: Set(choice),
        uri: Set(uri),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([poll_votes::Column::PollId, poll_votes::Column::AccountId, poll_votes::Column::Choice])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok((inserted == 1).then_some(id))
}

/// The votes `account` cast on `poll`.
pub async fn votes_of(db: &impl ConnectionTrait, poll: i64, account: i64) -> Result<Vec<poll_votes::Model>, DbErr> {
    poll_votes::Entity::find()
        .filter(poll_votes::Column::PollId.eq(poll))
        .filter(poll_votes::Column::AccountId.eq(account))
        .all(db)
        .await
}

/// The options `viewer` chose, per poll.
pub async fn own_votes(db: &impl ConnectionTrait, viewer: i64, polls: &[i64]) -> Result<HashMap<i64, Vec<i32>>, DbErr> {
    let mut out: HashMap<i64, Vec<i32>> = HashMap::new();
    if polls.is_empty() {
        return Ok(out);
    }
    let rows = poll_votes::Entity::find()
        .filter(poll_votes::Column::AccountId.eq(viewer))
        .filter(poll_votes::Column::PollId.is_in(polls.iter().copied()))
        .all(db)
        .await?;
    for r in rows {
        out.entry(r.poll_id).or_default().push(r.choice);
    }
    for v in out.values_mut() {
        v.sort_unstable();
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct ChoiceRow {
    poll_id: i64,
    choice: i32,
    n: i64,
}

#[derive(Debug, FromQueryResult)]
struct VotersRow {
    poll_id: i64,
    n: i64,
}

/// Votes counted here, per poll: `(votes per option, distinct voters)`. For a remote poll only
/// the votes cast after its counts last arrived are counted (the earlier ones are in them).
pub async fn local_tallies(
    db: &impl ConnectionTrait,
    polls: &[i64],
) -> Result<HashMap<i64, (HashMap<i32, i64>, i64)>, DbErr> {
    let mut out: HashMap<i64, (HashMap<i32, i64>, i64)> = HashMap::new();
    if polls.is_empty() {
        return Ok(out);
    }
    let ph = vec!["?"; polls.len()].join(",");
    let vals: Vec<Value> = polls.iter().map(|i| (*i).into()).collect();
    let backend = db.get_database_backend();
    let since = "(p.counts_updated_at IS NULL OR v.created_at > p.counts_updated_at)";
    let choices = ChoiceRow::find_by_statement(statement(
        backend,
        &format!(
            "SELECT v.poll_id AS poll_id, v.choice AS choice, COUNT(*) AS n FROM poll_votes v \
             JOIN polls p ON p.id = v.poll_id WHERE v.poll_id IN ({ph}) AND {since} GROUP BY v.poll_id, v.choice"
        ),
        vals.clone(),
    ))
    .all(db)
    .await?;
    for r in choices {
        out.entry(r.poll_id).or_default().0.insert(r.choice, r.n);
    }
    let voters = VotersRow::find_by_statement(statement(
        backend,
        &format!(
            "SELECT v.poll_id AS poll_id, COUNT(DISTINCT v.account_id) AS n FROM poll_votes v \
             JOIN polls p ON p.id = v.poll_id WHERE v.poll_id IN ({ph}) AND {since} GROUP BY v.poll_id"
        ),
        vals,
    ))
    .all(db)
    .await?;
    for r in voters {
        out.entry(r.poll_id).or_default().1 = r.n;
    }
    Ok(out)
}

/// Accounts that voted on a poll, each once.
pub async fn voters(db: &impl ConnectionTrait, poll: i64) -> Result<Vec<i64>, DbErr> {
    let mut ids: Vec<i64> = poll_votes::Entity::find()
        .select_only()
        .column(poll_votes::Column::AccountId)
        .filter(poll_votes::Column::PollId.eq(poll))
        .into_tuple::<i64>()
        .all(db)
        .await?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// A remote poll as its server now describes it.
pub async fn update_remote(
    db: &impl ConnectionTrait,
    poll: polls::Model,
    options: &[String],
    counts: &[i64],
    voters: Option<i64>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<polls::Model, DbErr> {
    let mut am: polls::ActiveModel = poll.into();
    am.options = Set(serde_json::to_string(options).unwrap_or_else(|_| "[]".into()));
    am.remote_counts = Set(Some(serde_json::to_string(counts).unwrap_or_else(|_| "[]".into())));
    am.remote_voters_count = Set(voters);
    am.counts_updated_at = Set(Some(chrono::Utc::now()));
    am.expires_at = Set(expires_at);
    am.update(db).await
}

/// Removes a status's poll and its votes.
pub async fn delete_for_status(db: &impl ConnectionTrait, status: i64) -> Result<(), DbErr> {
    if let Some(p) = by_status(db, status).await? {
        poll_votes::Entity::delete_many().filter(poll_votes::Column::PollId.eq(p.id)).exec(db).await?;
        polls::Entity::delete_by_id(p.id).exec(db).await?;
    }
    Ok(())
}

/// Locks a poll's row until the transaction ends (PostgreSQL; SQLite has one writer anyway),
/// so that one member's concurrent votes are checked one after the other.
pub async fn lock(db: &impl ConnectionTrait, poll: i64) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_raw(statement(
            sea_orm::DbBackend::Postgres,
            "SELECT id FROM polls WHERE id = ? FOR UPDATE",
            vec![poll.into()],
        ))
        .await?;
    }
    Ok(())
}
