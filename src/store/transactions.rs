//! Write transactions, and the locks that serialize a check-then-write
//! across every instance on one database.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use super::LockKey;

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

/// Serializes, across every instance, the transactions that take the same
/// `keys` (e.g. `login:phone:13800000000`): call it first in a transaction
/// from [`begin_write`], before the reads that decide what it writes.
///
/// On PostgreSQL each key is a transaction-scoped advisory lock on its
/// 64-bit hash, taken in sorted order so two transactions never wait for
/// each other in a circle; READ COMMITTED then lets the reads after it see
/// what the previous holder committed. SQLite needs nothing: `BEGIN
/// IMMEDIATE` already holds the one write lock of the database.
pub async fn lock_keys(txn: &DatabaseTransaction, keys: &[LockKey]) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let mut sorted: Vec<String> = keys.iter().map(ToString::to_string).collect();
    sorted.sort();
    sorted.dedup();
    for key in sorted {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.as_str().into()],
        ))
        .await?;
    }
    Ok(())
}
