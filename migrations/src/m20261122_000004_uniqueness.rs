//! Uniqueness the first migration missed: a local user name (NULL domains never collide in a
//! unique index) and one boost per member per post.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000004_uniqueness"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Partial indexes: the same statement works on SQLite and PostgreSQL.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX accounts_local_username ON accounts (username_lower) WHERE domain IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX statuses_one_boost ON statuses (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX accounts_local_username").await?;
        db.execute_unprepared("DROP INDEX statuses_one_boost").await?;
        Ok(())
    }
}
