//! Counting an account's posts without its direct messages (profile counts, last post date)
//! reads only this index instead of every post row.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000002_status_counts_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("statuses_account_visibility")
                    .table(Alias::new("statuses"))
                    .col(Alias::new("account_id"))
                    .col(Alias::new("visibility"))
                    .col(Alias::new("id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("statuses_account_visibility").table(Alias::new("statuses")).to_owned())
            .await
    }
}
