//! Lists, markers, filters, followed and featured hashtags, and the per-member state of
//! direct conversations (read up to, hidden up to).
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000011_lists_filters"
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
fn text(name: &'static str) -> ColumnDef {
    col(name).text().not_null().to_owned()
}
fn short(name: &'static str, len: u32) -> ColumnDef {
    col(name).string_len(len).not_null().to_owned()
}
fn boolean(name: &'static str) -> ColumnDef {
    col(name).boolean().not_null().default(false).to_owned()
}
fn time(name: &'static str) -> ColumnDef {
    col(name).timestamp_with_time_zone().not_null().to_owned()
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
const TABLES: &[&str] = &[
    "lists",
    "list_accounts",
    "markers",
    "filters",
    "filter_keywords",
    "filter_statuses",
    "tag_follows",
    "featured_tags",
    "conversation_marks",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            table(
                "lists",
                vec![
                    id(),
                    big("account_id"),
                    text("title"),
                    short("replies_policy", 16),
                    boolean("exclusive"),
                    time("created_at"),
                ],
            ),
            table("list_accounts", vec![id(), big("list_id"), big("account_id"), time("created_at")]),
            table(
                "markers",
                vec![
                    id(),
                    big("account_id"),
                    short("timeline", 16),
                    big("last_read_id"),
                    col("version").big_integer().not_null().default(0).to_owned(),
                    time("updated_at"),
                ],
            ),
            table(
                "filters",
                vec![
                    id(),
                    big("account_id"),
                    text("title"),
                    text("context"),
                    short("filter_action", 16),
                    col("expires_at").timestamp_with_time_zone().null().to_owned(),
                    time("created_at"),
                ],
            ),
            table("filter_keywords", vec![id(), big("filter_id"), text("keyword"), boolean("whole_word")]),
            table("filter_statuses", vec![id(), big("filter_id"), big("status_id")]),
            table("tag_follows", vec![id(), big("account_id"), short("tag", 128), time("created_at")]),
            table("featured_tags", vec![id(), big("account_id"), short("tag", 128), time("created_at")]),
            table(
                "conversation_marks",
                vec![
                    id(),
                    big("account_id"),
                    big("conversation_id"),
                    col("read_up_to").big_integer().not_null().default(0).to_owned(),
                    col("hidden_up_to").big_integer().not_null().default(0).to_owned(),
                ],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let indexes = [
            index("lists", "lists_account", &["account_id"], false),
            index("list_accounts", "list_accounts_unique", &["list_id", "account_id"], true),
            index("list_accounts", "list_accounts_account", &["account_id"], false),
            index("markers", "markers_unique", &["account_id", "timeline"], true),
            index("filters", "filters_account", &["account_id"], false),
            index("filter_keywords", "filter_keywords_filter", &["filter_id"], false),
            index("filter_statuses", "filter_statuses_unique", &["filter_id", "status_id"], true),
            index("tag_follows", "tag_follows_unique", &["account_id", "tag"], true),
            index("featured_tags", "featured_tags_unique", &["account_id", "tag"], true),
            index("conversation_marks", "conversation_marks_unique", &["account_id", "conversation_id"], true),
        ];
        for i in indexes {
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
