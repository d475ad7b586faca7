//! The foundation: accounts, users, sessions, statuses and the social graph.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000001_foundation"
    }
}

fn id(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().primary_key().to_owned()
}
fn big(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().to_owned()
}
fn big_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().null().to_owned()
}
fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().to_owned()
}
fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().to_owned()
}
fn boolean(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).boolean().not_null().default(false).to_owned()
}
fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).integer().not_null().default(0).to_owned()
}
fn time(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().not_null().to_owned()
}
fn time_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().null().to_owned()
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
    "accounts",
    "users",
    "sessions",
    "access_tokens",
    "email_tokens",
    "invites",
    "statuses",
    "status_edits",
    "media_attachments",
    "mentions",
    "status_tags",
    "favourites",
    "bookmarks",
    "collections",
    "collection_items",
    "status_pins",
    "follows",
    "follow_requests",
    "blocks",
    "mutes",
    "notifications",
    "jobs",
    "site_settings",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            table(
                "accounts",
                vec![
                    id("id"),
                    text("username"),
                    text("username_lower"),
                    text_null("domain"),
                    text("display_name"),
                    text("bio"),
                    text("job_title"),
                    text("organisation"),
                    text("location"),
                    text("expertise"),
                    text("fields"),
                    big_null("avatar_media_id"),
                    big_null("header_media_id"),
                    boolean("locked"),
                    boolean("bot"),
                    boolean("discoverable"),
                    boolean("suspended"),
                    time("created_at"),
                    time("updated_at"),
                ],
            ),
            table(
                "users",
                vec![
                    id("id"),
                    text("email"),
                    text("password_hash"),
                    text("role"),
                    time_null("confirmed_at"),
                    boolean("approved"),
                    boolean("disabled"),
                    text("reason"),
                    big_null("invited_by"),
                    time("created_at"),
                ],
            ),
            table(
                "sessions",
                vec![
                    ColumnDef::new(Alias::new("token_hash")).string_len(64).not_null().primary_key().to_owned(),
                    big("user_id"),
                    text("csrf_token"),
                    text("user_agent"),
                    time("created_at"),
                    time("last_seen_at"),
                ],
            ),
            table(
                "access_tokens",
                vec![
                    ColumnDef::new(Alias::new("token_hash")).string_len(64).not_null().primary_key().to_owned(),
                    big("user_id"),
                    text("scopes"),
                    text("name"),
                    time("created_at"),
                    time_null("revoked_at"),
                ],
            ),
            table(
                "email_tokens",
                vec![
                    ColumnDef::new(Alias::new("token_hash")).string_len(64).not_null().primary_key().to_owned(),
                    big("user_id"),
                    text("kind"),
                    time("expires_at"),
                    time_null("used_at"),
                ],
            ),
            table(
                "invites",
                vec![
                    id("id"),
                    ColumnDef::new(Alias::new("token_hash")).string_len(64).not_null().to_owned(),
                    big("inviter_id"),
                    text("email"),
                    time("created_at"),
                    time("expires_at"),
                    time_null("used_at"),
                    big_null("used_by"),
                ],
            ),
            table(
                "statuses",
                vec![
                    id("id"),
                    big("account_id"),
                    text_null("uri"),
                    big_null("in_reply_to_id"),
                    big_null("in_reply_to_account_id"),
                    big_null("reblog_of_id"),
                    big("thread_id"),
                    text("source"),
                    text("content"),
                    text("spoiler_text"),
                    boolean("sensitive"),
                    ColumnDef::new(Alias::new("visibility")).string_len(16).not_null().to_owned(),
                    text_null("language"),
                    time("created_at"),
                    time_null("edited_at"),
                ],
            ),
            table(
                "status_edits",
                vec![
                    id("id"),
                    big("status_id"),
                    text("source"),
                    text("content"),
                    text("spoiler_text"),
                    boolean("sensitive"),
                    text("media_ids"),
                    time("created_at"),
                ],
            ),
            table(
                "media_attachments",
                vec![
                    id("id"),
                    big("account_id"),
                    big_null("status_id"),
                    ColumnDef::new(Alias::new("kind")).string_len(16).not_null().to_owned(),
                    text("content_type"),
                    text("file_name"),
                    text("original_name"),
                    big("file_size"),
                    int("width"),
                    int("height"),
                    text("description"),
                    int("position"),
                    time("created_at"),
                ],
            ),
            table("mentions", vec![id("id"), big("status_id"), big("account_id")]),
            table(
                "status_tags",
                vec![
                    id("id"),
                    big("status_id"),
                    ColumnDef::new(Alias::new("tag")).string_len(128).not_null().to_owned(),
                ],
            ),
            table("favourites", vec![id("id"), big("account_id"), big("status_id"), time("created_at")]),
            table("bookmarks", vec![id("id"), big("account_id"), big("status_id"), time("created_at")]),
            table(
                "collections",
                vec![id("id"), big("account_id"), text("name"), text("description"), time("created_at")],
            ),
            table(
                "collection_items",
                vec![id("id"), big("collection_id"), big("status_id"), text("note"), time("created_at")],
            ),
            table("status_pins", vec![id("id"), big("account_id"), big("status_id"), time("created_at")]),
            table(
                "follows",
                vec![
                    id("id"),
                    big("account_id"),
                    big("target_account_id"),
                    boolean("show_reblogs"),
                    time("created_at"),
                ],
            ),
            table("follow_requests", vec![id("id"), big("account_id"), big("target_account_id"), time("created_at")]),
            table("blocks", vec![id("id"), big("account_id"), big("target_account_id"), time("created_at")]),
            table(
                "mutes",
                vec![
                    id("id"),
                    big("account_id"),
                    big("target_account_id"),
                    boolean("notifications"),
                    time("created_at"),
                ],
            ),
            table(
                "notifications",
                vec![
                    id("id"),
                    big("account_id"),
                    big("from_account_id"),
                    ColumnDef::new(Alias::new("kind")).string_len(32).not_null().to_owned(),
                    big_null("status_id"),
                    boolean("read"),
                    time("created_at"),
                ],
            ),
            table(
                "jobs",
                vec![
                    id("id"),
                    ColumnDef::new(Alias::new("kind")).string_len(32).not_null().to_owned(),
                    text("payload"),
                    time("run_at"),
                    int("attempts"),
                    time_null("locked_until"),
                    text_null("locked_by"),
                    text_null("last_error"),
                    time("created_at"),
                ],
            ),
            table(
                "site_settings",
                vec![
                    ColumnDef::new(Alias::new("key")).string_len(64).not_null().primary_key().to_owned(),
                    text("value"),
                ],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let indexes = [
            index("accounts", "accounts_username_domain", &["username_lower", "domain"], true),
            index("users", "users_email", &["email"], true),
            index("sessions", "sessions_user", &["user_id"], false),
            index("access_tokens", "access_tokens_user", &["user_id"], false),
            index("invites", "invites_token", &["token_hash"], true),
            index("statuses", "statuses_account_id", &["account_id", "id"], false),
            index("statuses", "statuses_thread", &["thread_id", "id"], false),
            index("statuses", "statuses_reply", &["in_reply_to_id"], false),
            index("statuses", "statuses_reblog", &["reblog_of_id"], false),
            index("statuses", "statuses_visibility_id", &["visibility", "id"], false),
            index("status_edits", "status_edits_status", &["status_id", "id"], false),
            index("media_attachments", "media_status", &["status_id"], false),
            index("media_attachments", "media_account", &["account_id"], false),
            index("mentions", "mentions_status_account", &["status_id", "account_id"], true),
            index("mentions", "mentions_account", &["account_id", "status_id"], false),
            index("status_tags", "status_tags_status_tag", &["status_id", "tag"], true),
            index("status_tags", "status_tags_tag", &["tag", "status_id"], false),
            index("favourites", "favourites_account_status", &["account_id", "status_id"], true),
            index("favourites", "favourites_status", &["status_id"], false),
            index("bookmarks", "bookmarks_account_status", &["account_id", "status_id"], true),
            index("collections", "collections_account", &["account_id"], false),
            index("collection_items", "collection_items_unique", &["collection_id", "status_id"], true),
            index("status_pins", "status_pins_unique", &["account_id", "status_id"], true),
            index("follows", "follows_unique", &["account_id", "target_account_id"], true),
            index("follows", "follows_target", &["target_account_id", "account_id"], false),
            index("follow_requests", "follow_requests_unique", &["account_id", "target_account_id"], true),
            index("follow_requests", "follow_requests_target", &["target_account_id"], false),
            index("blocks", "blocks_unique", &["account_id", "target_account_id"], true),
            index("blocks", "blocks_target", &["target_account_id"], false),
            index("mutes", "mutes_unique", &["account_id", "target_account_id"], true),
            index("notifications", "notifications_account", &["account_id", "id"], false),
            index("jobs", "jobs_run_at", &["run_at"], false),
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
