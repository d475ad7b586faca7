//! The database: connection, migrations and write transactions.
pub mod entities;
pub mod queries;

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait,
};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

/// The connection pool, plus on SQLite the lock that keeps write transactions one at a time
/// (SQLite has a single writer; taking the lock first avoids `SQLITE_BUSY` on lock upgrades).
#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    write_lock: Option<Arc<Mutex<()>>>,
    /// Signalled after each write transaction commits (the streaming reader waits on it).
    committed: Arc<Notify>,
}

/// A write transaction; on SQLite it holds the writer lock until commit or drop.
pub struct WriteTx {
    pub tx: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
    committed: Arc<Notify>,
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.tx.commit().await?;
        // One stored permit is enough: the reader reads everything new when it wakes.
        self.committed.notify_one();
        Ok(())
    }
}

impl Db {
    /// Connects to `url` (sqlite: or postgres://), creating a SQLite file if needed.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10));
        let sqlite = url.starts_with("sqlite:");
        if sqlite {
            opts.max_connections(8).min_connections(1);
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    // NORMAL in WAL mode loses nothing when the process dies; only a power cut
                    // can cost the last transactions.
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(15))
                    .foreign_keys(false)
                    // Reads map the file instead of copying pages through read(2), and each
                    // connection keeps 8 MB of pages (the default is 2 MB).
                    .pragma("mmap_size", "1073741824")
                    .pragma("cache_size", "-8192")
                    .create_if_missing(true)
            });
        } else {
            opts.max_connections(20).min_connections(1);
        }
        let conn = sea_orm::Database::connect(opts).await?;
        Ok(Self { conn, write_lock: sqlite.then(|| Arc::new(Mutex::new(()))), committed: Arc::new(Notify::new()) })
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    /// Begins a write transaction (serialised on SQLite).
    pub async fn begin_write(&self) -> Result<WriteTx, DbErr> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let tx = self.conn.begin().await?;
        Ok(WriteTx { tx, _guard: guard, committed: self.committed.clone() })
    }

    /// Waits until a write transaction of this process commits (or returns at once if one
    /// committed since the last call).
    pub async fn committed(&self) {
        self.committed.notified().await
    }

    /// Runs one statement outside a transaction (after taking the writer lock on SQLite).
    pub async fn write_lock(&self) -> Option<OwnedMutexGuard<()>> {
        match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        }
    }
}

impl std::ops::Deref for Db {
    type Target = DatabaseConnection;
    fn deref(&self) -> &DatabaseConnection {
        &self.conn
    }
}

/// Checks the connection works (for `/healthz`).
pub async fn ping(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}
