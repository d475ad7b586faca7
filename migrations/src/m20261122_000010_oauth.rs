//! OAuth 2: registered apps, authorization codes, and access tokens that belong to an app (with
//! a rotating refresh token) or to an app alone (client credentials, no member).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000010_oauth"
    }
}

fn col(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}
fn hash(name: &'static str) -> ColumnDef {
    col(name).string_len(64).not_null().to_owned()
}
fn big(name: &'static str) -> ColumnDef {
    col(name).big_integer().not_null().to_owned()
}
fn text(name: &'static str) -> ColumnDef {
    col(name).text().not_null().to_owned()
}
fn time(name: &'static str) -> ColumnDef {
    col(name).timestamp_with_time_zone().not_null().to_owned()
}
fn time_null(name: &'static str) -> ColumnDef {
    col(name).timestamp_with_time_zone().null().to_owned()
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

/// `access_tokens` as it is after this migration: `user_id` may be empty (an app's own token).
fn access_tokens(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .col(hash("token_hash").primary_key())
        .col(col("user_id").big_integer().null())
        .col(text("scopes"))
        .col(text("name"))
        .col(time("created_at"))
        .col(time_null("revoked_at"))
        .col(col("app_id").big_integer().null())
        .col(col("refresh_token_hash").string_len(64).null())
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// SQLite rebuilds `access_tokens`; in one transaction a crash cannot lose the table.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("oauth_apps"))
                    .col(big("id").primary_key())
                    .col(hash("client_id"))
                    .col(hash("client_secret_hash"))
                    .col(text("name"))
                    .col(col("website").text().null())
                    .col(text("redirect_uris"))
                    .col(text("scopes"))
                    .col(time("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("oauth_apps", "oauth_apps_client_id", &["client_id"], true)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("oauth_codes"))
                    .col(hash("code_hash").primary_key())
                    .col(big("app_id"))
                    .col(big("user_id"))
                    .col(text("redirect_uri"))
                    .col(text("scopes"))
                    .col(col("code_challenge").text().null())
                    .col(time("created_at"))
                    .col(time("expires_at"))
                    .col(time_null("used_at"))
                    // The token the code was exchanged for: a replayed code revokes it.
                    .col(col("token_hash").string_len(64).null())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("oauth_codes", "oauth_codes_user_app", &["user_id", "app_id"], false)).await?;

        // `access_tokens.user_id` becomes nullable. PostgreSQL alters the column in place;
        // SQLite cannot, so the table is rebuilt (the documented SQLite way), keeping every row.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared("ALTER TABLE access_tokens ALTER COLUMN user_id DROP NOT NULL").await?;
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new("access_tokens"))
                            .add_column(col("app_id").big_integer().null())
                            .to_owned(),
                    )
                    .await?;
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new("access_tokens"))
                            .add_column(col("refresh_token_hash").string_len(64).null())
                            .to_owned(),
                    )
                    .await?;
            }
            _ => {
                manager.create_table(access_tokens("access_tokens_new")).await?;
                db.execute_unprepared(
                    "INSERT INTO access_tokens_new (token_hash, user_id, scopes, name, created_at, revoked_at) \
                     SELECT token_hash, user_id, scopes, name, created_at, revoked_at FROM access_tokens",
                )
                .await?;
                manager.drop_table(Table::drop().table(Alias::new("access_tokens")).to_owned()).await?;
                manager
                    .rename_table(
                        Table::rename().table(Alias::new("access_tokens_new"), Alias::new("access_tokens")).to_owned(),
                    )
                    .await?;
                manager.create_index(index("access_tokens", "access_tokens_user", &["user_id"], false)).await?;
            }
        }
        manager.create_index(index("access_tokens", "access_tokens_refresh", &["refresh_token_hash"], true)).await?;
        manager.create_index(index("access_tokens", "access_tokens_app", &["app_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Tokens without a member cannot exist before this migration.
        db.execute_unprepared("DELETE FROM access_tokens WHERE user_id IS NULL").await?;
        for name in ["access_tokens_refresh", "access_tokens_app"] {
            manager.drop_index(Index::drop().name(name).table(Alias::new("access_tokens")).to_owned()).await?;
        }
        for column in ["app_id", "refresh_token_hash"] {
            manager
                .alter_table(
                    Table::alter().table(Alias::new("access_tokens")).drop_column(Alias::new(column)).to_owned(),
                )
                .await?;
        }
        for t in ["oauth_codes", "oauth_apps"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
