//! Federation: remote accounts' addresses and keys, follow activity ids, received activity ids
//! (for de-duplication) and the health of other instances.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000003_federation"
    }
}

fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            "uri",
            "url",
            "inbox_url",
            "shared_inbox_url",
            "outbox_url",
            "followers_url",
            "public_key_pem",
            "private_key_pem",
            "avatar_remote_url",
            "header_remote_url",
        ] {
            manager
                .alter_table(Table::alter().table(Alias::new("accounts")).add_column(text_null(col)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("accounts"))
                    .add_column(ColumnDef::new(Alias::new("fetched_at")).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("accounts_uri")
                    .table(Alias::new("accounts"))
                    .col(Alias::new("uri"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("statuses_uri")
                    .table(Alias::new("statuses"))
                    .col(Alias::new("uri"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        for table in ["follows", "follow_requests"] {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).add_column(text_null("uri")).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("received_activities"))
                    .col(ColumnDef::new(Alias::new("id")).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(Alias::new("received_at")).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("instances"))
                    .col(ColumnDef::new(Alias::new("domain")).string_len(255).not_null().primary_key())
                    .col(ColumnDef::new(Alias::new("failures")).integer().not_null().default(0))
                    .col(ColumnDef::new(Alias::new("unavailable_since")).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Alias::new("last_success_at")).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Alias::new("blocked")).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("instances")).to_owned()).await?;
        manager.drop_table(Table::drop().table(Alias::new("received_activities")).to_owned()).await?;
        Ok(())
    }
}
