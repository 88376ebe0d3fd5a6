//! Schema migrations of the account API database.
//!
//! [`Migrator`] lists every migration in order; apply them with
//! `Migrator::up(&db, None)` (see [`MigratorTrait`]) or with the CLI built from
//! `src/main.rs`. The migrations run on SQLite and on PostgreSQL.
//!
//! # Layout
//!
//! - [`m20261124_000001_create_tables`]: creates `enterprises`, `users`,
//!   `applications`, `sessions` and `sms_codes` with their foreign keys and
//!   indexes.
//! - [`m20261124_000002_create_audit_and_locks`]: creates `audit_events`,
//!   `service_locks` and `server_secrets`, and indexes `sessions.expires_at`.
//! - [`m20261201_000003_bind_windows_and_index_limits`]: binds the reset
//!   window to its client, adds the client network to audit events, and
//!   indexes what the limit queries filter on.
//! - [`m20261201_000004_replace_send_lock_with_budget_counter`] replaces
//!   `service_locks` with `sms_budget_days`, the daily budget as a counter.
//! - [`m20261201_000005_add_session_last_used`] adds `sessions.last_used_at`
//!   (existing sessions take their `created_at`).
//! - [`m20261205_000006_add_code_last_failed_at`] adds
//!   `sms_codes.last_failed_at`, from which a dead code's lockout runs.
//! - [`m20261205_000007_create_audit_refusals`] creates `audit_refusals`,
//!   the requests refused by a limit, counted per key per hour.
//! - [`m20261206_000001_create_admin_tokens`] creates `admin_tokens`, the
//!   admin API's tokens, stored as SHA-256 hashes under unique names.
//! - [`m20261206_000002_admin_columns_and_indexes`] adds `users.disabled_at`,
//!   `audit_events.admin_token` and `audit_events.user_id`, and indexes the
//!   admin user search and an account's recent events.
//! - [`m20261206_000101_create_webhook_outbox`] creates `webhook_events`
//!   and `webhook_deliveries`, the outbox of account events and their
//!   deliveries to the configured webhook endpoints.
//! - [`m20261206_000201_admin_enterprises_and_applications`] adds
//!   `audit_events.enterprise_id` and `audit_events.application_id`, and
//!   indexes the admin list of applications by state and by enterprise.
//! - [`m20261206_000202_create_imported_password_hashes`] creates
//!   `imported_password_hashes`: the legacy hash scheme an imported account
//!   still holds (partially indexed, for `/metrics`) and a digest of the
//!   hash its import gave.
//! - [`m20261206_000301_create_webhook_delivery_attempts`] creates
//!   `webhook_delivery_attempts`: each attempt of a webhook delivery, its
//!   start, duration, HTTP status or error, and whether it is retried.
//! - [`m20261207_000001_index_webhook_events_created_at`] indexes
//!   `webhook_events.created_at` for the hourly purge of delivered events.
//!
//! The steps the migrations repeat (an index, a column, a dropped table, a
//! foreign key) are built in one place, `src/schema_steps.rs`.
//! [`database_url`] names another database on a server, for the tests that
//! create one (here and in the server's test support).

pub use sea_orm_migration::prelude::*;

pub mod m20261124_000001_create_tables;
pub mod m20261124_000002_create_audit_and_locks;
pub mod m20261201_000003_bind_windows_and_index_limits;
pub mod m20261201_000004_replace_send_lock_with_budget_counter;
pub mod m20261201_000005_add_session_last_used;
pub mod m20261205_000006_add_code_last_failed_at;
pub mod m20261205_000007_create_audit_refusals;
pub mod m20261206_000001_create_admin_tokens;
pub mod m20261206_000002_admin_columns_and_indexes;
pub mod m20261206_000101_create_webhook_outbox;
pub mod m20261206_000201_admin_enterprises_and_applications;
pub mod m20261206_000202_create_imported_password_hashes;
pub mod m20261206_000301_create_webhook_delivery_attempts;
pub mod m20261207_000001_index_webhook_events_created_at;
mod schema_steps;

pub mod database_url;

/// Every migration of the account API database, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let migrations: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20261124_000001_create_tables::Migration),
            Box::new(m20261124_000002_create_audit_and_locks::Migration),
            Box::new(m20261201_000003_bind_windows_and_index_limits::Migration),
            Box::new(m20261201_000004_replace_send_lock_with_budget_counter::Migration),
            Box::new(m20261201_000005_add_session_last_used::Migration),
            Box::new(m20261205_000006_add_code_last_failed_at::Migration),
            Box::new(m20261205_000007_create_audit_refusals::Migration),
            Box::new(m20261206_000001_create_admin_tokens::Migration),
            Box::new(m20261206_000002_admin_columns_and_indexes::Migration),
            Box::new(m20261206_000101_create_webhook_outbox::Migration),
            Box::new(m20261206_000201_admin_enterprises_and_applications::Migration),
            Box::new(m20261206_000202_create_imported_password_hashes::Migration),
            Box::new(m20261206_000301_create_webhook_delivery_attempts::Migration),
            Box::new(m20261207_000001_index_webhook_events_created_at::Migration),
        ];
        migrations
            .into_iter()
            .map(|migration| Box::new(InOneTransaction(migration)) as Box<dyn MigrationTrait>)
            .collect()
    }
}

/// A migration run in one transaction on every backend, SQLite too (SeaORM
/// wraps only PostgreSQL's by default), so that a failed `up` or `down`
/// leaves no half-changed schema behind. Its name is the migration's own.
struct InOneTransaction(Box<dyn MigrationTrait>);

impl MigrationName for InOneTransaction {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl MigrationTrait for InOneTransaction {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.down(manager).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database_url::with_database;
    use sea_orm_migration::sea_orm::{
        ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement,
    };
    use std::io::Write;

    const TABLES: [&str; 14] = [
        "enterprises",
        "users",
        "applications",
        "sessions",
        "sms_codes",
        "audit_events",
        "sms_budget_days",
        "server_secrets",
        "audit_refusals",
        "admin_tokens",
        "webhook_events",
        "webhook_deliveries",
        "imported_password_hashes",
        "webhook_delivery_attempts",
    ];

    /// `(table, index)` of every index the migration creates.
    const INDEXES: [(&str, &str); 27] = [
        ("users", "idx_users_phone"),
        ("applications", "idx_applications_user_id_id"),
        ("sessions", "idx_sessions_token_hash"),
        ("sessions", "idx_sessions_user_id"),
        ("sms_codes", "idx_sms_codes_phone_purpose"),
        ("audit_events", "idx_audit_events_kind_outcome_created_at"),
        (
            "audit_events",
            "idx_audit_events_kind_outcome_phone_created_at",
        ),
        (
            "audit_events",
            "idx_audit_events_kind_outcome_network_created_at",
        ),
        ("audit_events", "idx_audit_events_created_at"),
        ("sessions", "idx_sessions_revoked_at"),
        ("sessions", "idx_sessions_expires_at"),
        ("audit_refusals", "idx_audit_refusals_window_key"),
        ("admin_tokens", "idx_admin_tokens_name"),
        ("admin_tokens", "idx_admin_tokens_token_hash"),
        ("users", "idx_users_enterprise_id_id"),
        ("applications", "idx_applications_state_user_id"),
        ("audit_events", "idx_audit_events_user_id_id"),
        ("audit_events", "idx_audit_events_phone_id"),
        ("webhook_events", "idx_webhook_events_event_id"),
        (
            "webhook_deliveries",
            "idx_webhook_deliveries_state_next_attempt_at",
        ),
        (
            "webhook_deliveries",
            "idx_webhook_deliveries_endpoint_account_state_id",
        ),
        ("webhook_deliveries", "idx_webhook_deliveries_event_id"),
        ("applications", "idx_applications_state_id"),
        ("applications", "idx_applications_enterprise_id_state_id"),
        (
            "imported_password_hashes",
            "idx_imported_password_hashes_legacy",
        ),
        (
            "webhook_delivery_attempts",
            "idx_webhook_delivery_attempts_delivery_id_id",
        ),
        ("webhook_events", "idx_webhook_events_created_at"),
    ];

    const T: &str = "'2026-11-24 10:00:00+00:00'";

    async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), DbErr> {
        db.execute_unprepared(sql).await.map(|_| ())
    }

    async fn ok(db: &DatabaseConnection, sql: &str) {
        if let Err(e) = exec(db, sql).await {
            panic!("statement failed: {sql}\n{e}");
        }
    }

    async fn fails(db: &DatabaseConnection, sql: &str, why: &str) {
        assert!(
            exec(db, sql).await.is_err(),
            "statement should have failed ({why}): {sql}"
        );
    }

    /// The `i64` values of the first column of `sql`, in order.
    async fn ints(db: &DatabaseConnection, sql: &str) -> Vec<i64> {
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap_or_else(|e| panic!("query failed: {sql}\n{e}"));
        rows.iter()
            .map(|r| r.try_get_by_index::<i64>(0).expect("an i64 column"))
            .collect()
    }

    /// Number of rows returned by `sql`.
    async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
        ints(db, &format!("SELECT COUNT(*) FROM ({sql}) AS q")).await[0]
    }

    async fn assert_schema(db: &DatabaseConnection, present: bool) {
        let manager = SchemaManager::new(db);
        for table in TABLES {
            assert_eq!(
                manager.has_table(table).await.expect("has_table"),
                present,
                "table {table} present"
            );
        }
        for (table, index) in INDEXES {
            assert_eq!(
                manager.has_index(table, index).await.expect("has_index"),
                present,
                "index {index} on {table} present"
            );
        }
    }

    /// Inserts rows through raw SQL and checks ids, unique indexes and
    /// foreign-key actions on a freshly migrated database.
    async fn check_constraints(db: &DatabaseConnection) {
        // Auto-increment BIGINT keys hand out ids.
        ok(
            db,
            &format!("INSERT INTO enterprises (name, created_at) VALUES ('A', {T})"),
        )
        .await;
        ok(
            db,
            &format!("INSERT INTO enterprises (name, created_at) VALUES ('B', {T})"),
        )
        .await;
        assert_eq!(
            ints(db, "SELECT id FROM enterprises ORDER BY id").await,
            [1, 2]
        );

        let user = |id: &str, phone: &str, enterprise: &str| {
            format!(
                "INSERT INTO users (id, phone, name, password_hash, device_identifier, \
                 enterprise_id, permissions, created_at, updated_at) VALUES ('{id}', '{phone}', \
                 'n', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 'dev', {enterprise}, \
                 '[\"read\"]', {T}, {T})"
            )
        };
        let u1 = "0123456789abcdef0123456789abcdef";
        let u2 = "fedcba9876543210fedcba9876543210";
        ok(db, &user(u1, "13800000001", "1")).await;
        ok(db, &user(u2, "13800000002", "2")).await;
        fails(
            db,
            &user("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "13800000001", "NULL"),
            "duplicate phone",
        )
        .await;
        fails(db, &user(u1, "13800000003", "NULL"), "duplicate user id").await;
        fails(
            db,
            &user("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "13800000004", "99"),
            "unknown enterprise",
        )
        .await;

        let application = |user: &str, enterprise: i64, state: i16| {
            format!(
                "INSERT INTO applications (user_id, enterprise_id, state, created_at, updated_at) \
                 VALUES ('{user}', {enterprise}, {state}, {T}, {T})"
            )
        };
        ok(db, &application(u1, 1, -1)).await;
        ok(db, &application(u1, 2, 0)).await;
        ok(db, &application(u2, 1, 1)).await;
        fails(
            db,
            &application("cccccccccccccccccccccccccccccccc", 1, 0),
            "unknown user",
        )
        .await;
        assert_eq!(
            ints(
                db,
                &format!("SELECT MAX(id) FROM applications WHERE user_id = '{u1}'")
            )
            .await,
            [2]
        );

        let session = |token: &str, user: &str| {
            format!(
                "INSERT INTO sessions (token_hash, user_id, device_identifier, created_at, \
                 expires_at, revoked_at, last_used_at) VALUES ('{token}', '{user}', 'dev', {T}, \
                 {T}, NULL, {T})"
            )
        };
        let h1 = "a".repeat(64);
        let h2 = "b".repeat(64);
        ok(db, &session(&h1, u1)).await;
        ok(db, &session(&h2, u2)).await;
        fails(db, &session(&h1, u2), "duplicate token_hash").await;
        fails(
            db,
            &session(&"c".repeat(64), "dddddddddddddddddddddddddddddddd"),
            "unknown user",
        )
        .await;

        let sms = |phone: &str, purpose: i16| {
            format!(
                "INSERT INTO sms_codes (phone, purpose, code_hash, created_at, expires_at, \
                 failed_tries, consumed_at, reset_window_expires_at) VALUES ('{phone}', \
                 {purpose}, '{}', {T}, {T}, 0, NULL, NULL)",
                "e".repeat(64)
            )
        };
        ok(db, &sms("13800000001", 0)).await;
        ok(db, &sms("13800000001", 1)).await;
        ok(db, &sms("13800000002", 0)).await;
        fails(db, &sms("13800000001", 0), "duplicate (phone, purpose)").await;
        // The unique index serves as the conflict target of the upsert.
        ok(
            db,
            &format!(
                "{} ON CONFLICT (phone, purpose) DO UPDATE SET failed_tries = 3",
                sms("13800000001", 1)
            ),
        )
        .await;
        assert_eq!(
            ints(
                db,
                "SELECT CAST(failed_tries AS BIGINT) FROM sms_codes ORDER BY id"
            )
            .await,
            [0, 3, 0]
        );
        assert_eq!(
            ints(db, "SELECT id FROM sms_codes ORDER BY id").await,
            [1, 2, 3]
        );

        // ON DELETE SET NULL (users) and CASCADE (applications).
        ok(db, "DELETE FROM enterprises WHERE id = 1").await;
        let unlinked = format!("SELECT id FROM users WHERE id = '{u1}' AND enterprise_id IS NULL");
        assert_eq!(count(db, &unlinked).await, 1);
        assert_eq!(count(db, "SELECT id FROM users").await, 2);
        assert_eq!(
            ints(db, "SELECT id FROM applications ORDER BY id").await,
            [2]
        );

        // ON DELETE CASCADE from users to applications and sessions.
        ok(db, &format!("DELETE FROM users WHERE id = '{u1}'")).await;
        assert_eq!(count(db, "SELECT id FROM applications").await, 0);
        let sessions_of_u2 = format!("SELECT id FROM sessions WHERE user_id = '{u2}'");
        assert_eq!(count(db, &sessions_of_u2).await, 1);
        assert_eq!(count(db, "SELECT id FROM sessions").await, 1);

        // A delivery's attempts go with it (ON DELETE CASCADE).
        ok(
            db,
            &format!(
                "INSERT INTO webhook_events (event_id, event_type, account_id, payload, \
                 created_at) VALUES ('msg_1', 'user.registered', '{u2}', '{{}}', {T})"
            ),
        )
        .await;
        ok(
            db,
            &format!(
                "INSERT INTO webhook_deliveries (event_id, endpoint, account_id, state, attempts, \
                 next_attempt_at, created_at) VALUES (1, 'http://h/', '{u2}', 'pending', 0, {T}, \
                 {T})"
            ),
        )
        .await;
        let attempt = |delivery: i64, number: i32, status: &str, error: &str| {
            format!(
                "INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, \
                 duration_ms, status, error, will_retry) VALUES ({delivery}, {number}, {T}, 12, \
                 {status}, {error}, {})",
                if status == "NULL" { "TRUE" } else { "FALSE" }
            )
        };
        ok(db, &attempt(1, 1, "NULL", "'timeout'")).await;
        ok(db, &attempt(1, 2, "200", "NULL")).await;
        fails(db, &attempt(99, 1, "200", "NULL"), "unknown delivery").await;
        assert_eq!(
            ints(
                db,
                "SELECT CAST(attempt AS BIGINT) FROM webhook_delivery_attempts \
                 WHERE delivery_id = 1 ORDER BY id"
            )
            .await,
            [1, 2]
        );
        ok(db, "DELETE FROM webhook_deliveries WHERE id = 1").await;
        assert_eq!(
            count(db, "SELECT id FROM webhook_delivery_attempts").await,
            0
        );
    }

    /// Applies every migration (checking on the way that existing sessions
    /// get a `last_used_at`), checks the schema, rolls everything back, and
    /// applies it again.
    async fn up_down_up(db: &DatabaseConnection) {
        assert_schema(db, false).await;
        m20261201_000005_add_session_last_used::tests::check_backfill(db).await;
        assert_schema(db, true).await;
        check_constraints(db).await;

        Migrator::down(db, None).await.expect("down");
        assert_schema(db, false).await;

        Migrator::up(db, None).await.expect("second up");
        assert_schema(db, true).await;
        // The tables were recreated empty and the ids start again.
        check_constraints(db).await;
    }

    #[test]
    fn migrations_are_listed_in_order() {
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "m20261124_000001_create_tables",
                "m20261124_000002_create_audit_and_locks",
                "m20261201_000003_bind_windows_and_index_limits",
                "m20261201_000004_replace_send_lock_with_budget_counter",
                "m20261201_000005_add_session_last_used",
                "m20261205_000006_add_code_last_failed_at",
                "m20261205_000007_create_audit_refusals",
                "m20261206_000001_create_admin_tokens",
                "m20261206_000002_admin_columns_and_indexes",
                "m20261206_000101_create_webhook_outbox",
                "m20261206_000201_admin_enterprises_and_applications",
                "m20261206_000202_create_imported_password_hashes",
                "m20261206_000301_create_webhook_delivery_attempts",
                "m20261207_000001_index_webhook_events_created_at"
            ]
        );
    }

    #[test]
    fn every_migration_runs_in_one_transaction() {
        for migration in Migrator::migrations() {
            assert_eq!(
                migration.use_transaction(),
                Some(true),
                "{} runs in one transaction",
                migration.name()
            );
        }
    }

    #[tokio::test]
    async fn sqlite_up_down_up() {
        let mut options = ConnectOptions::new("sqlite::memory:");
        // One connection: every connection to `sqlite::memory:` is its own database.
        options.max_connections(1).min_connections(1);
        let db = Database::connect(options).await.expect("connect to SQLite");
        up_down_up(&db).await;
    }

    #[tokio::test]
    async fn postgres_up_down_up() {
        let Ok(base) = std::env::var("TEST_POSTGRES_URL") else {
            // Written to the stderr handle, not with `eprintln!`, so that the
            // test harness does not capture it and it is always shown.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** WARNING: TEST_POSTGRES_URL is not set: the PostgreSQL migration test \
                 DID NOT RUN (set it to e.g. postgres://postgres@127.0.0.1:5432/postgres) ***\n"
            );
            return;
        };

        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        let name = format!("mig_{:x}_{}", nanos, std::process::id());

        let admin = Database::connect(base.as_str())
            .await
            .expect("connect to TEST_POSTGRES_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("CREATE DATABASE");

        let url = with_database(&base, &name);
        let outcome = tokio::spawn(async move {
            let db = Database::connect(url.as_str())
                .await
                .expect("connect to the new database");
            up_down_up(&db).await;
            db.close().await.expect("close");
        })
        .await;

        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .expect("DROP DATABASE");
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}
