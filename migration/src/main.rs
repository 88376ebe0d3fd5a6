//! Command-line tool that applies, rolls back and inspects the account API
//! migrations (`up`, `down`, `status`, `fresh`, ...).
//!
//! The database comes from `DATABASE_URL` or `-u/--database-url`, e.g.
//! `sqlite://account.db?mode=rwc` or `postgres://user@host/db`.

use sea_orm_migration::prelude::*;

/// Runs the sea-orm-migration CLI with [`migration::Migrator`].
#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
