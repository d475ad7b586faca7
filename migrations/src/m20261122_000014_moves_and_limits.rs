//! Accounts that moved (a received `Move`) point at their new account; administrators can limit
//! ("silence") a server instead of blocking it.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000014_moves_and_limits"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("accounts"))
                    .add_column(ColumnDef::new(Alias::new("moved_to_account_id")).big_integer().null())
                    .to_owned(),
            )
            .await?;
        // Other accounts of the same person (ActivityPub ids), which may move here.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("accounts"))
                    .add_column(ColumnDef::new(Alias::new("also_known_as")).text().not_null().default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("instances"))
                    .add_column(ColumnDef::new(Alias::new("silenced")).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Alias::new("instances")).drop_column(Alias::new("silenced")).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table(Alias::new("accounts")).drop_column(Alias::new("also_known_as")).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(Alias::new("accounts")).drop_column(Alias::new("moved_to_account_id")).to_owned(),
            )
            .await
    }
}
