//! A database of its own for each test: a SQLite file in a temporary
//! directory, or a new PostgreSQL schema (or database), dropped with it.

use std::{
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tempfile::TempDir;

use super::{
    backend::{
        BACKEND_VAR, Backend, POSTGRES_URL_VAR, postgres_url, with_database, with_search_path,
    },
    stderr::say,
};

/// Every schema or database the tests create is named `<this>_<pid>_<n>_<random>`.
pub const DATABASE_PREFIX: &str = "account_api_test";

/// A database of its own for one test: a SQLite file in a temporary
/// directory, or a new PostgreSQL schema or database; deleted on drop.
pub struct TestDatabase {
    url: String,
    place: Place,
}

enum Place {
    Sqlite(TempDir),
    Postgres {
        server_url: String,
        name: String,
        kind: PostgresKind,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PostgresKind {
    Schema,
    Database,
}

impl TestDatabase {
    /// A fresh, empty database on this run's backend ([`Backend::current`]):
    /// on PostgreSQL a new schema, which the URL makes the only one searched.
    pub async fn create() -> Self {
        Self::create_on(Backend::current()).await
    }

    /// As [`TestDatabase::create`], but on PostgreSQL a whole new database,
    /// for tests of the database as such (refusing connections, say).
    pub async fn create_dedicated() -> Self {
        match Backend::current() {
            Backend::Sqlite => Self::create_on(Backend::Sqlite).await,
            Backend::Postgres => Self::create_postgres(PostgresKind::Database).await,
        }
    }

    /// A fresh, empty database on `backend` (a schema on PostgreSQL).
    ///
    /// # Panics
    /// When it cannot be created (for PostgreSQL: when [`POSTGRES_URL_VAR`]
    /// is unset or the server refuses).
    pub async fn create_on(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new().expect("a temporary directory");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                Self {
                    url,
                    place: Place::Sqlite(dir),
                }
            }
            Backend::Postgres => Self::create_postgres(PostgresKind::Schema).await,
        }
    }

    async fn create_postgres(kind: PostgresKind) -> Self {
        let server_url = postgres_url()
            .unwrap_or_else(|| panic!("{BACKEND_VAR}=postgres needs {POSTGRES_URL_VAR}"));
        let name = new_name();
        let admin = Database::connect(server_url.as_str())
            .await
            .unwrap_or_else(|err| panic!("cannot connect to {POSTGRES_URL_VAR}: {err}"));
        let (statement, url) = match kind {
            PostgresKind::Schema => (
                format!("CREATE SCHEMA \"{name}\""),
                with_search_path(&server_url, &name),
            ),
            PostgresKind::Database => (
                format!("CREATE DATABASE \"{name}\""),
                with_database(&server_url, &name),
            ),
        };
        admin
            .execute_unprepared(&statement)
            .await
            .unwrap_or_else(|err| panic!("{statement}: {err}"));
        let _ = admin.close().await;
        Self {
            url,
            place: Place::Postgres {
                server_url,
                name,
                kind,
            },
        }
    }

    /// The URL the server takes as `--database-url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        match self.place {
            Place::Sqlite(_) => Backend::Sqlite,
            Place::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The directory of the SQLite file and its write-ahead log (SQLite only).
    pub fn sqlite_dir(&self) -> Option<&Path> {
        match &self.place {
            Place::Sqlite(dir) => Some(dir.path()),
            Place::Postgres { .. } => None,
        }
    }

    /// The name of the PostgreSQL database of a
    /// [dedicated](TestDatabase::create_dedicated) test database.
    pub fn postgres_database(&self) -> Option<&str> {
        match &self.place {
            Place::Postgres {
                name,
                kind: PostgresKind::Database,
                ..
            } => Some(name),
            _ => None,
        }
    }

    /// A connection to the database named in [`POSTGRES_URL_VAR`], for
    /// statements about this test database itself (PostgreSQL only).
    pub async fn postgres_admin(&self) -> Option<DatabaseConnection> {
        match &self.place {
            Place::Sqlite(_) => None,
            Place::Postgres { server_url, .. } => Some(
                Database::connect(server_url.as_str())
                    .await
                    .expect("connect to the PostgreSQL server"),
            ),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Place::Postgres {
            server_url,
            name,
            kind,
        } = &self.place
        else {
            return;
        };
        // Drop may run inside a test's runtime, which cannot be blocked on:
        // drop it from a thread with a runtime of its own.
        let (server_url, kind) = (server_url.clone(), *kind);
        let to_drop = name.clone();
        let dropped = std::thread::spawn(move || {
            block_on(async {
                let admin = Database::connect(server_url.as_str()).await?;
                drop_named(&admin, kind, &to_drop).await?;
                admin.close().await
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => say(&format!("warning: dropping test database {name}: {err}")),
            Err(_) => say(&format!("warning: dropping test database {name} panicked")),
        }
    }
}

/// A schema or database name no other test of any process uses.
pub(super) fn new_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).expect("the OS random source works");
    format!(
        "{DATABASE_PREFIX}_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        hex::encode(random)
    )
}

async fn drop_named(
    admin: &DatabaseConnection,
    kind: PostgresKind,
    name: &str,
) -> Result<(), sea_orm::DbErr> {
    if kind == PostgresKind::Schema {
        // A server the test started may still be inside a transaction on
        // this schema (a webhook claim, say) when the test ends, on the very
        // runtime thread this drop blocks: it could never finish, and the
        // DROP would wait for its locks forever. End such sessions first, as
        // FORCE does for a database.
        admin
            .execute_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT pg_terminate_backend(holders.pid) FROM (SELECT DISTINCT l.pid \
                 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND l.pid <> pg_backend_pid()) AS holders",
                [name.into()],
            ))
            .await?;
    }
    let statement = match kind {
        PostgresKind::Schema => format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"),
        // FORCE (PostgreSQL 13+) ends the sessions a stopped server left open.
        PostgresKind::Database => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    };
    admin.execute_unprepared(&statement).await.map(|_| ())
}

/// Drops every test schema and database process `pid` created; how many.
pub(super) async fn drop_leftovers_of(server_url: &str, pid: u32) -> Result<usize, sea_orm::DbErr> {
    let admin = Database::connect(server_url).await?;
    let pattern = format!("{DATABASE_PREFIX}_{pid}_%").replace('_', "\\_");
    let mut dropped = 0;
    for (kind, query) in [
        (
            PostgresKind::Schema,
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1",
        ),
        (
            PostgresKind::Database,
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1",
        ),
    ] {
        let names = admin
            .query_all_raw(Statement::from_sql_and_values(
                admin.get_database_backend(),
                query,
                [pattern.clone().into()],
            ))
            .await?
            .iter()
            .map(|row| row.try_get_by_index::<String>(0))
            .collect::<Result<Vec<_>, _>>()?;
        for name in names {
            drop_named(&admin, kind, &name).await?;
            dropped += 1;
        }
    }
    let _ = admin.close().await;
    Ok(dropped)
}

pub(super) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_database_names_are_unique_and_carry_the_process_id() {
        let first = new_name();
        let second = new_name();
        assert_ne!(first, second);
        assert!(first.starts_with(&format!("{DATABASE_PREFIX}_{}_", std::process::id())));
        assert!(first.len() < 63, "PostgreSQL truncates names at 63 bytes");
    }
}
