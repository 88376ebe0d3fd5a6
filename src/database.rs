//! Connecting to the database and bringing its schema up to date, and the
//! SQLite connections held out of the pool for the hottest lookup.

use std::{
    io,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
    TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::settings::DatabaseSettings;

mod sqlite_file;
mod statement_log;

pub use sqlite_file::{
    DatabasePlace, companion_files, database_place, link_target, sqlite_file, with_suffix,
};
pub use statement_log::{REDACTED, SECRET_COLUMNS, loggable};

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A pooled connection idle this long is pinged before use; busier ones are
/// not (sqlx would ping on every checkout: a round trip per query).
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);

/// Opens the pool. A SQLite file is created if missing (readable by its
/// owner only) and opened in WAL mode with foreign keys on and a busy
/// timeout, so concurrent writers wait for each other instead of failing.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let internal = |message| DbErr::Conn(sea_orm::RuntimeErr::Internal(message));
    if let Some(file) = sqlite_file(&settings.database_url).map_err(internal)? {
        // SQLite follows links and creates the file at their end.
        let created = link_target(&file).and_then(|target| create_private_file(&target));
        created.map_err(|err| {
            internal(format!(
                "cannot create the database file {}: {err}",
                file.display()
            ))
        })?;
    }
    let timeout = Duration::from_secs(settings.db_connect_timeout_secs.max(1));
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.db_max_connections)
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // The worker thread hands rows over as they come; with sqlx's
                // 50 it stalls for the caller every 50 rows of a large read
                // (the import reads a thousand accounts at a time).
                .row_buffer_size(1024)
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Creates the SQLite file `path`, empty and readable by its owner only
/// (0600), unless it exists. SQLite gives the `-wal` and `-shm` files it
/// creates beside it the database file's permissions, so they are private
/// too; the file holds password hashes and phone numbers. An existing file
/// that others may read is left as it is, with a warning.
fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        path = %path.display(),
                        mode = format!("{:o}", mode & 0o777),
                        "the database file may be read by other users; \
                         it holds password hashes and phones (chmod 600 it)"
                    );
                }
            }
            Ok(())
        }
        Err(err) => Err(err),
    }
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

/// The log target of every statement the server runs, with its values in
/// place, at DEBUG (`RUST_LOG=info,account_api::sql=debug`): the load
/// harness explains each one's query plan on a large database. The values
/// of the secret columns ([`SECRET_COLUMNS`]) are shown as `'<redacted>'`.
pub const STATEMENT_LOG: &str = "account_api::sql";

/// Logs `statement` under [`STATEMENT_LOG`], its secrets redacted ([`loggable`]).
pub fn log_statement(statement: &Statement) {
    tracing::debug!(target: STATEMENT_LOG, statement = loggable(statement), "statement");
}

/// SQLite connections held out of the pool for point lookups on hot paths
/// (is this phone registered?), run on the calling thread.
///
/// Every sqlx SQLite statement is a round trip to the connection's own
/// worker thread: two thread wake-ups that cost far more than an indexed
/// read of a page already in memory (a profile of `isregister` under load
/// showed a third of the server's time in those hand-offs and 0.6 % in
/// SQLite itself). These connections are opened with rusqlite on the same
/// file, kept out of the pool, and queried in place: a lookup is a few
/// microseconds of work on the task's own thread, its prepared statement
/// cached. They never wait for a lock (a busy database hands the lookup to
/// the pool, which does) and cannot write (`query_only`). With PostgreSQL,
/// or a SQLite database without a file, there are none and lookups use the
/// pool.
#[derive(Clone, Default)]
pub struct LookupConnections {
    held: Option<Arc<Held>>,
}

struct Held {
    file: PathBuf,
    /// `None` after a failure: reopened at the next use.
    slots: Vec<std::sync::Mutex<Option<rusqlite::Connection>>>,
    next: AtomicUsize,
}

impl LookupConnections {
    /// `count` connections to the SQLite database file of `url` (none for
    /// other databases, or when `count` is 0).
    pub async fn open(url: &str, count: usize) -> Result<Self, DbErr> {
        let file = match database_place(url) {
            Ok(DatabasePlace::File(file)) if file.is_file() && count > 0 => file,
            // In memory or on a server: nothing to open.
            _ => return Ok(Self::default()),
        };
        let mut slots = Vec::with_capacity(count);
        for _ in 0..count {
            let connection = open_lookup_connection(&file).map_err(lookup_error)?;
            slots.push(std::sync::Mutex::new(Some(connection)));
        }
        Ok(Self {
            held: Some(Arc::new(Held {
                file,
                slots,
                next: AtomicUsize::new(0),
            })),
        })
    }

    /// Whether `sql`, with `parameter` bound to its one placeholder, returns a
    /// row; `None` when no connection is held or the database is busy (the
    /// caller uses the pool).
    pub async fn exists(&self, sql: &'static str, parameter: &str) -> Option<Result<bool, DbErr>> {
        let held = self.held.as_ref()?;
        let mut slot = held.slot();
        let connection = match slot.as_mut() {
            Some(connection) => connection,
            None => match open_lookup_connection(&held.file) {
                Ok(connection) => slot.insert(connection),
                Err(err) => return Some(Err(lookup_error(err))),
            },
        };
        if tracing::enabled!(target: STATEMENT_LOG, tracing::Level::DEBUG) {
            log_statement(&Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                [parameter.into()],
            ));
        }
        let found = connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.exists([parameter]));
        match found {
            Ok(found) => Some(Ok(found)),
            Err(err)
                if matches!(
                    err.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                ) =>
            {
                None
            }
            Err(err) => {
                // Whatever else went wrong, the next lookup starts on a fresh connection.
                *slot = None;
                Some(Err(lookup_error(err)))
            }
        }
    }
}

impl Held {
    /// A free connection if there is one, else the next in turn (whose
    /// holder is at most one indexed read from done).
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<rusqlite::Connection>> {
        let first = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        for offset in 0..self.slots.len() {
            if let Ok(slot) = self.slots[(first + offset) % self.slots.len()].try_lock() {
                return slot;
            }
        }
        // A holder that panicked left nothing half-done: a lookup only reads.
        self.slots[first]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A connection to the existing database `file` that reads only and never
/// waits for a lock.
fn open_lookup_connection(file: &Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let connection = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(Duration::ZERO)?;
    connection.pragma_update(None, "query_only", true)?;
    Ok(connection)
}

fn lookup_error(err: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("SQLite lookup connection: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_new_database_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.db");
        create_private_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // An existing file is left alone.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        create_private_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    /// A lookup answers from the file in place, sees what the pool commits,
    /// hands a locked database to the pool instead of waiting, and cannot write.
    #[tokio::test]
    async fn lookups_read_the_file_in_place_never_wait_and_cannot_write() {
        const SQL: &str = "SELECT 1 FROM t WHERE k = ?";
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lookups.db");
        let db = Database::connect(format!("sqlite://{}?mode=rwc", file.display()))
            .await
            .unwrap();
        db.execute_unprepared("CREATE TABLE t (k TEXT PRIMARY KEY); INSERT INTO t VALUES ('a')")
            .await
            .unwrap();
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let lookups = LookupConnections::open(&url, 2).await.unwrap();
        assert!(matches!(lookups.exists(SQL, "a").await, Some(Ok(true))));
        assert!(matches!(lookups.exists(SQL, "b").await, Some(Ok(false))));
        db.execute_unprepared("INSERT INTO t VALUES ('b')")
            .await
            .unwrap();
        assert!(matches!(lookups.exists(SQL, "b").await, Some(Ok(true))));

        // A writer holding the whole file (this database keeps a rollback
        // journal): the lookup gives way at once rather than wait.
        let writer = rusqlite::Connection::open(&file).unwrap();
        writer.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let started = std::time::Instant::now();
        assert!(lookups.exists(SQL, "a").await.is_none());
        assert!(started.elapsed() < Duration::from_secs(1));
        writer.execute_batch("ROLLBACK").unwrap();
        assert!(matches!(lookups.exists(SQL, "a").await, Some(Ok(true))));

        let connection = open_lookup_connection(&file).unwrap();
        assert!(
            connection
                .execute("INSERT INTO t VALUES ('c')", [])
                .is_err()
        );

        assert!(
            LookupConnections::open("sqlite::memory:", 2)
                .await
                .unwrap()
                .held
                .is_none()
        );
    }
}
