//! Adds `sessions.last_used_at`: when the session last authenticated a
//! request, to the minute, for the app's list of logged-in devices. Existing
//! sessions take their `created_at`.
//!
//! SQLite adds a `NOT NULL` column only with a constant default, so the
//! column is added with the epoch as its default and every existing row is
//! then set to its `created_at`; on PostgreSQL the default is dropped again,
//! so an insert that forgets the column fails there. The server always
//! writes it.

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, DbBackend},
};

use crate::schema_steps::{add_column, drop_column};

/// The migration that adds `sessions.last_used_at`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The placeholder default the column is added with; no row keeps it.
const PLACEHOLDER: &str = "1970-01-01 00:00:00+00:00";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Sessions::Table,
            timestamp_with_time_zone(Sessions::LastUsedAt).default(PLACEHOLDER),
        )
        .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Sessions::Table)
                    .value(Sessions::LastUsedAt, Expr::col(Sessions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE \"sessions\" ALTER COLUMN \"last_used_at\" DROP DEFAULT",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Sessions::Table, Sessions::LastUsedAt).await
    }
}

/// Identifiers of the `sessions` table used here.
#[derive(DeriveIden)]
enum Sessions {
    Table,
    CreatedAt,
    LastUsedAt,
}

#[cfg(test)]
pub(crate) mod tests {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

    use crate::{Migrator, MigratorTrait};

    const T: &str = "'2026-11-24 10:00:00+00:00'";
    const USER: &str = "0123456789abcdef0123456789abcdef";

    async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), sea_orm_migration::DbErr> {
        db.execute_unprepared(sql).await.map(|_| ())
    }

    async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM ({sql}) AS q");
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), &sql))
            .await
            .unwrap_or_else(|e| panic!("query failed: {sql}\n{e}"))
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("an i64 column")
    }

    /// A session row as the fourth migration left the table: no `last_used_at`.
    fn old_session(token_hash: &str) -> String {
        format!(
            "INSERT INTO sessions (token_hash, user_id, device_identifier, created_at, \
             expires_at, revoked_at) VALUES ('{token_hash}', '{USER}', 'dev', {T}, {T}, NULL)"
        )
    }

    /// On an empty database: a session opened before `last_used_at` existed
    /// takes its `created_at`, and on PostgreSQL a new session must name the
    /// column (no default there). Leaves the database fully migrated and its
    /// tables empty.
    pub(crate) async fn check_backfill(db: &DatabaseConnection) {
        Migrator::up(db, Some(4))
            .await
            .expect("up to the fourth migration");
        let user = format!(
            "INSERT INTO users (id, phone, name, password_hash, device_identifier, \
             enterprise_id, permissions, created_at, updated_at) VALUES ('{USER}', \
             '13800000009', 'n', 'h', 'dev', NULL, '[]', {T}, {T})"
        );
        exec(db, &user).await.expect("a user");
        exec(db, &old_session(&"f".repeat(64)))
            .await
            .expect("a session of before");
        Migrator::up(db, None).await.expect("the last migration");
        let backfilled = "SELECT id FROM sessions WHERE last_used_at = created_at";
        assert_eq!(
            count(db, backfilled).await,
            1,
            "the session took its created_at"
        );
        if db.get_database_backend() == DbBackend::Postgres {
            assert!(
                exec(db, &old_session(&"9".repeat(64))).await.is_err(),
                "last_used_at has no default on PostgreSQL"
            );
        }
        let delete = format!("DELETE FROM users WHERE id = '{USER}'");
        exec(db, &delete).await.expect("the user deleted");
        assert_eq!(count(db, "SELECT id FROM sessions").await, 0);
    }
}
