//! Per-account counts kept as they change, as Mastodon keeps them: followers, following, posts
//! (without direct messages) and the newest post. Counting them on every read cost more than
//! the rest of a timeline page. Triggers keep them, so every path that adds or removes a follow
//! or a post (API, web, federation, moves, deletions) counts without knowing about it.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000016_account_stats"
    }
}

const TABLE: &str = "CREATE TABLE account_stats (
    account_id BIGINT NOT NULL PRIMARY KEY,
    followers_count BIGINT NOT NULL DEFAULT 0,
    following_count BIGINT NOT NULL DEFAULT 0,
    statuses_count BIGINT NOT NULL DEFAULT 0,
    last_status_id BIGINT NULL
)";

/// The counts as they stand, for every account that has any.
const BACKFILL: &str =
    "INSERT INTO account_stats (account_id, followers_count, following_count, statuses_count, last_status_id)
SELECT ids.id,
    (SELECT COUNT(*) FROM follows f WHERE f.target_account_id = ids.id),
    (SELECT COUNT(*) FROM follows f WHERE f.account_id = ids.id),
    (SELECT COUNT(*) FROM statuses s WHERE s.account_id = ids.id AND s.visibility <> 'direct'),
    (SELECT MAX(s.id) FROM statuses s WHERE s.account_id = ids.id AND s.visibility <> 'direct')
FROM (SELECT target_account_id AS id FROM follows UNION SELECT account_id FROM follows
      UNION SELECT account_id FROM statuses WHERE visibility <> 'direct') ids";

/// SQLite: one writer at a time, so plain upserts in triggers.
const SQLITE: &[&str] = &[
    "CREATE TRIGGER account_stats_follow_insert AFTER INSERT ON follows BEGIN
        INSERT INTO account_stats (account_id, following_count) VALUES (NEW.account_id, 1)
            ON CONFLICT (account_id) DO UPDATE SET following_count = following_count + 1;
        INSERT INTO account_stats (account_id, followers_count) VALUES (NEW.target_account_id, 1)
            ON CONFLICT (account_id) DO UPDATE SET followers_count = followers_count + 1;
    END",
    "CREATE TRIGGER account_stats_follow_delete AFTER DELETE ON follows BEGIN
        UPDATE account_stats SET following_count = following_count - 1 WHERE account_id = OLD.account_id;
        UPDATE account_stats SET followers_count = followers_count - 1 WHERE account_id = OLD.target_account_id;
    END",
    "CREATE TRIGGER account_stats_follow_update AFTER UPDATE OF account_id, target_account_id ON follows
     WHEN OLD.account_id IS NOT NEW.account_id OR OLD.target_account_id IS NOT NEW.target_account_id BEGIN
        UPDATE account_stats SET following_count = following_count - 1 WHERE account_id = OLD.account_id;
        UPDATE account_stats SET followers_count = followers_count - 1 WHERE account_id = OLD.target_account_id;
        INSERT INTO account_stats (account_id, following_count) VALUES (NEW.account_id, 1)
            ON CONFLICT (account_id) DO UPDATE SET following_count = following_count + 1;
        INSERT INTO account_stats (account_id, followers_count) VALUES (NEW.target_account_id, 1)
            ON CONFLICT (account_id) DO UPDATE SET followers_count = followers_count + 1;
    END",
    "CREATE TRIGGER account_stats_status_insert AFTER INSERT ON statuses WHEN NEW.visibility <> 'direct' BEGIN
        INSERT INTO account_stats (account_id, statuses_count, last_status_id) VALUES (NEW.account_id, 1, NEW.id)
            ON CONFLICT (account_id) DO UPDATE SET statuses_count = statuses_count + 1,
            last_status_id = MAX(COALESCE(last_status_id, 0), excluded.last_status_id);
    END",
    "CREATE TRIGGER account_stats_status_delete AFTER DELETE ON statuses WHEN OLD.visibility <> 'direct' BEGIN
        UPDATE account_stats SET statuses_count = statuses_count - 1,
            last_status_id = (SELECT MAX(s.id) FROM statuses s WHERE s.account_id = OLD.account_id AND s.visibility <> 'direct')
            WHERE account_id = OLD.account_id;
    END",
    "CREATE TRIGGER account_stats_status_update AFTER UPDATE OF account_id, visibility ON statuses
     WHEN OLD.account_id IS NOT NEW.account_id OR OLD.visibility IS NOT NEW.visibility BEGIN
        INSERT INTO account_stats (account_id, statuses_count, last_status_id)
            SELECT OLD.account_id, COUNT(*), MAX(s.id) FROM statuses s WHERE s.account_id = OLD.account_id AND s.visibility <> 'direct'
            ON CONFLICT (account_id) DO UPDATE SET statuses_count = excluded.statuses_count, last_status_id = excluded.last_status_id;
        INSERT INTO account_stats (account_id, statuses_count, last_status_id)
            SELECT NEW.account_id, COUNT(*), MAX(s.id) FROM statuses s WHERE s.account_id = NEW.account_id AND s.visibility <> 'direct'
            ON CONFLICT (account_id) DO UPDATE SET statuses_count = excluded.statuses_count, last_status_id = excluded.last_status_id;
    END",
];

/// PostgreSQL: the two rows a follow touches are always locked lower id first, so two
/// accounts following each other at the same moment cannot deadlock.
const POSTGRES: &[&str] = &[
    "CREATE FUNCTION khub_count_follow(follower BIGINT, target BIGINT, d BIGINT) RETURNS void AS $$
    DECLARE
        k BIGINT;
    BEGIN
        FOREACH k IN ARRAY ARRAY[LEAST(follower, target), GREATEST(follower, target)] LOOP
            INSERT INTO account_stats (account_id, following_count, followers_count)
                VALUES (k, CASE WHEN k = follower THEN d ELSE 0 END, CASE WHEN k = target THEN d ELSE 0 END)
                ON CONFLICT (account_id) DO UPDATE SET
                    following_count = account_stats.following_count + EXCLUDED.following_count,
                    followers_count = account_stats.followers_count + EXCLUDED.followers_count;
            EXIT WHEN follower = target;
        END LOOP;
    END $$ LANGUAGE plpgsql",
    "CREATE FUNCTION khub_follows_counted() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            PERFORM khub_count_follow(OLD.account_id, OLD.target_account_id, -1);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM khub_count_follow(NEW.account_id, NEW.target_account_id, 1);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER account_stats_follows AFTER INSERT OR DELETE OR UPDATE OF account_id, target_account_id ON follows
     FOR EACH ROW EXECUTE FUNCTION khub_follows_counted()",
    "CREATE FUNCTION khub_recount_statuses(account BIGINT) RETURNS void AS $$
    BEGIN
        INSERT INTO account_stats (account_id, statuses_count, last_status_id)
            SELECT account, COUNT(*), MAX(s.id) FROM statuses s WHERE s.account_id = account AND s.visibility <> 'direct'
            ON CONFLICT (account_id) DO UPDATE SET statuses_count = EXCLUDED.statuses_count, last_status_id = EXCLUDED.last_status_id;
    END $$ LANGUAGE plpgsql",
    "CREATE FUNCTION khub_statuses_counted() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.visibility <> 'direct' THEN
                INSERT INTO account_stats (account_id, statuses_count, last_status_id) VALUES (NEW.account_id, 1, NEW.id)
                    ON CONFLICT (account_id) DO UPDATE SET statuses_count = account_stats.statuses_count + 1,
                    last_status_id = GREATEST(account_stats.last_status_id, EXCLUDED.last_status_id);
            END IF;
        ELSIF TG_OP = 'DELETE' THEN
            IF OLD.visibility <> 'direct' THEN
                UPDATE account_stats SET statuses_count = statuses_count - 1,
                    last_status_id = (SELECT MAX(s.id) FROM statuses s WHERE s.account_id = OLD.account_id AND s.visibility <> 'direct')
                    WHERE account_id = OLD.account_id;
            END IF;
        ELSIF OLD.account_id IS DISTINCT FROM NEW.account_id OR OLD.visibility IS DISTINCT FROM NEW.visibility THEN
            PERFORM khub_recount_statuses(OLD.account_id);
            PERFORM khub_recount_statuses(NEW.account_id);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER account_stats_statuses AFTER INSERT OR DELETE OR UPDATE OF account_id, visibility ON statuses
     FOR EACH ROW EXECUTE FUNCTION khub_statuses_counted()",
];

const DROP_SQLITE: &[&str] = &[
    "DROP TRIGGER IF EXISTS account_stats_follow_insert",
    "DROP TRIGGER IF EXISTS account_stats_follow_delete",
    "DROP TRIGGER IF EXISTS account_stats_follow_update",
    "DROP TRIGGER IF EXISTS account_stats_status_insert",
    "DROP TRIGGER IF EXISTS account_stats_status_delete",
    "DROP TRIGGER IF EXISTS account_stats_status_update",
    "DROP TABLE IF EXISTS account_stats",
];

const DROP_POSTGRES: &[&str] = &[
    "DROP TRIGGER IF EXISTS account_stats_follows ON follows",
    "DROP TRIGGER IF EXISTS account_stats_statuses ON statuses",
    "DROP FUNCTION IF EXISTS khub_follows_counted()",
    "DROP FUNCTION IF EXISTS khub_statuses_counted()",
    "DROP FUNCTION IF EXISTS khub_count_follow(BIGINT, BIGINT, BIGINT)",
    "DROP FUNCTION IF EXISTS khub_recount_statuses(BIGINT)",
    "DROP TABLE IF EXISTS account_stats",
];

async fn run_all(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        run_all(manager, &[TABLE, BACKFILL]).await?;
        run_all(manager, if postgres { POSTGRES } else { SQLITE }).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        run_all(manager, if postgres { DROP_POSTGRES } else { DROP_SQLITE }).await
    }
}
