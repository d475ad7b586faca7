//! Polls and their votes, scheduled posts, and the idempotency keys of posting.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000015_polls_scheduled"
    }
}

fn col(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}
fn id() -> ColumnDef {
    col("id").big_integer().not_null().primary_key().to_owned()
}
fn big(name: &'static str) -> ColumnDef {
    col(name).big_integer().not_null().to_owned()
}
fn big_null(name: &'static str) -> ColumnDef {
    col(name).big_integer().null().to_owned()
}
fn text(name: &'static str) -> ColumnDef {
    col(name).text().not_null().to_owned()
}
fn text_null(name: &'static str) -> ColumnDef {
    col(name).text().null().to_owned()
}
fn boolean(name: &'static str) -> ColumnDef {
    col(name).boolean().not_null().default(false).to_owned()
}
fn time(name: &'static str) -> ColumnDef {
    col(name).timestamp_with_time_zone().not_null().to_owned()
}
fn time_null(name: &'static str) -> ColumnDef {
    col(name).timestamp_with_time_zone().null().to_owned()
}

fn table(name: &'static str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name));
    for mut c in cols {
        t.col(&mut c);
    }
    t.to_owned()
}

fn index(table: &'static str, name: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

/// Tables in creation order; dropped in reverse.
const TABLES: &[&str] = &["polls", "poll_votes", "scheduled_statuses", "idempotency_keys"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            // One poll per status. `options` is a JSON list of titles. Counts of local polls are
            // counted from `poll_votes`; a remote poll keeps the counts its server last sent
            // (`remote_counts`, a JSON list, as of `counts_updated_at`).
            table(
                "polls",
                vec![
                    id(),
                    big("status_id"),
                    big("account_id"),
                    text("options"),
                    boolean("multiple"),
                    boolean("hide_totals"),
                    time_null("expires_at"),
                    text_null("remote_counts"),
                    big_null("remote_voters_count"),
                    time_null("counts_updated_at"),
                    time("created_at"),
                ],
            ),
            // One row per chosen option. `uri` is the vote's ActivityPub id (a remote vote's
            // Note, or the Note a local vote on a remote poll went out as).
            table(
                "poll_votes",
                vec![
                    id(),
                    big("poll_id"),
                    big("account_id"),
                    col("choice").integer().not_null().to_owned(),
                    text_null("uri"),
                    time("created_at"),
                ],
            ),
            // `params` is the post as composed (JSON), published by a job at `scheduled_at`.
            table(
                "scheduled_statuses",
                vec![id(), big("account_id"), time("scheduled_at"), text("params"), time("created_at")],
            ),
            // `Idempotency-Key` of POST /api/v1/statuses: the first post (or scheduled post) made
            // with a key, for an hour.
            table(
                "idempotency_keys",
                vec![
                    id(),
                    big("account_id"),
                    text("key"),
                    big_null("status_id"),
                    big_null("scheduled_status_id"),
                    time("created_at"),
                ],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        for i in [
            index("polls", "polls_status_id", &["status_id"], true),
            index("polls", "polls_account_id", &["account_id"], false),
            index("poll_votes", "poll_votes_once", &["poll_id", "account_id", "choice"], true),
            index("poll_votes", "poll_votes_account", &["account_id"], false),
            index("scheduled_statuses", "scheduled_statuses_account", &["account_id", "id"], false),
            index("idempotency_keys", "idempotency_keys_account_key", &["account_id", "key"], true),
        ] {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(Alias::new(*t)).to_owned()).await?;
        }
        Ok(())
    }
}
