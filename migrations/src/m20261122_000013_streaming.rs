//! The streaming events log: what happened (kind and ids), written in the transaction that made
//! it happen, so that every process can tell its streaming clients after the commit.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000013_streaming"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `id` is a time-sortable id (milliseconds in the high bits), so old rows are pruned by id.
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("stream_events"))
                    .if_not_exists()
                    .col(ColumnDef::new(Alias::new("id")).big_integer().not_null().primary_key())
                    .col(ColumnDef::new(Alias::new("payload")).text().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("stream_events")).to_owned()).await
    }
}
