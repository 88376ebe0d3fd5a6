//! Connecting to the database and bringing its schema up to date.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::settings::DatabaseSettings;

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the pool. A SQLite file is created if missing and opened in WAL mode
/// with foreign keys on and a busy timeout, so concurrent writers wait for
/// each other instead of failing.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let timeout = Duration::from_secs(settings.db_connect_timeout_secs.max(1));
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.db_max_connections)
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Begins a transaction that writes.
///
/// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at once,
/// waiting up to the busy timeout for other writers. A plain (deferred)
/// transaction that reads first and writes later cannot wait: if another
/// connection committed since its read, SQLite refuses the write at once with
/// `SQLITE_BUSY_SNAPSHOT` ("database is locked"), whatever the busy timeout.
/// PostgreSQL ignores the option.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// The key of the PostgreSQL advisory lock that serializes migrations
/// (`pg_advisory_xact_lock` takes any 64-bit number; this one is "acctapi\0").
const MIGRATION_LOCK_KEY: i64 = 0x6163_6374_6170_6900;

/// Applies every pending migration.
///
/// On PostgreSQL, instances that start at once on an empty database would
/// each see the migrations pending and race to create the same tables; the
/// loser failed to start ("duplicate key value violates unique constraint
/// pg_type_typname_nsp_index"). So the migrations run in one transaction that
/// first takes an advisory lock: the others wait for it, then find nothing
/// left to do. DDL is transactional there, so a failed migration leaves
/// nothing behind.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let txn = db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [MIGRATION_LOCK_KEY.into()],
    ))
    .await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}
