//! Personal moderation and discovery: mutes that expire, domains a member hides, muted
//! conversations, dismissed follow suggestions, reports to the node's administrators, and
//! announcements from them (with who read them and their emoji reactions).
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000012_reports_announcements"
    }
}

fn col(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}
fn id(name: &'static str) -> ColumnDef {
    col(name).big_integer().not_null().primary_key().to_owned()
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

/// New tables in creation order; dropped in reverse.
const TABLES: &[&str] = &[
    "account_domain_blocks",
    "conversation_mutes",
    "suggestion_dismissals",
    "reports",
    "announcements",
    "announcement_dismissals",
    "announcement_reactions",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Alias::new("mutes")).add_column(time_null("expires_at")).to_owned())
            .await?;
        let tables = vec![
            table("account_domain_blocks", vec![id("id"), big("account_id"), text("domain"), time("created_at")]),
            table("conversation_mutes", vec![id("id"), big("account_id"), big("thread_id"), time("created_at")]),
            table(
                "suggestion_dismissals",
                vec![id("id"), big("account_id"), big("target_account_id"), time("created_at")],
            ),
            table(
                "reports",
                vec![
                    id("id"),
                    big("account_id"),
                    big("target_account_id"),
                    // JSON list of status ids.
                    text("status_ids"),
                    text("comment"),
                    col("category").string_len(16).not_null().to_owned(),
                    boolean("forwarded"),
                    time_null("action_taken_at"),
                    big_null("action_taken_by"),
                    time("created_at"),
                ],
            ),
            table(
                "announcements",
                vec![
                    id("id"),
                    text("text"),
                    text("content"),
                    time_null("starts_at"),
                    time_null("ends_at"),
                    boolean("all_day"),
                    time("published_at"),
                    time("updated_at"),
                ],
            ),
            table(
                "announcement_dismissals",
                vec![id("id"), big("announcement_id"), big("account_id"), time("created_at")],
            ),
            table(
                "announcement_reactions",
                vec![
                    id("id"),
                    big("announcement_id"),
                    big("account_id"),
                    col("name").string_len(64).not_null().to_owned(),
                    time("created_at"),
                ],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let indexes = vec![
            index("account_domain_blocks", "account_domain_blocks_account_domain", &["account_id", "domain"], true),
            index("conversation_mutes", "conversation_mutes_account_thread", &["account_id", "thread_id"], true),
            index(
                "suggestion_dismissals",
                "suggestion_dismissals_account_target",
                &["account_id", "target_account_id"],
                true,
            ),
            index("reports", "reports_target", &["target_account_id"], false),
            index("reports", "reports_open", &["action_taken_at", "id"], false),
            index(
                "announcement_dismissals",
                "announcement_dismissals_announcement_account",
                &["announcement_id", "account_id"],
                true,
            ),
            index(
                "announcement_reactions",
                "announcement_reactions_announcement_account_name",
                &["announcement_id", "account_id", "name"],
                true,
            ),
            // Trends read recent favourites by time.
            index("favourites", "favourites_created_at", &["created_at"], false),
        ];
        for i in indexes {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("favourites_created_at").table(Alias::new("favourites")).to_owned())
            .await?;
        for t in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(Alias::new(*t)).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table(Alias::new("mutes")).drop_column(Alias::new("expires_at")).to_owned())
            .await
    }
}
