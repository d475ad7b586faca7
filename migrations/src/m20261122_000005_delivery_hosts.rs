//! Deliveries remember their target host, so a host that comes back gets its backlog at once.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000005_delivery_hosts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("jobs"))
                    .add_column(ColumnDef::new(Alias::new("host")).string_len(255).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("jobs_host").table(Alias::new("jobs")).col(Alias::new("host")).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("jobs_host").table(Alias::new("jobs")).to_owned()).await
    }
}
