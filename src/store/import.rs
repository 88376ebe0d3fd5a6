//! What `account-api import` reads and writes: the stored accounts and
//! enterprises a batch of import lines names, and the batch's new or
//! updated rows (accounts, their imported hash's record, applications,
//! sessions for the legacy tokens), each batch in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{applications, enterprises, imported_password_hashes, sessions, users};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Statement, Value, sea_query::OnConflict,
};

use super::sessions::hash_token;

/// Rows per INSERT: a batch of the default size in one statement per
/// table, well under SQLite's (32,766) and PostgreSQL's (65,535) limits on
/// bound values (users have ten columns).
const ROWS_PER_INSERT: usize = 1000;

/// An account as the import compares it with a line.
#[derive(Debug, Clone)]
pub struct StoredAccount {
    /// The account's id.
    pub id: String,
    /// Its phone.
    pub phone: String,
    /// Its name.
    pub name: String,
    /// The stored password hash.
    pub password_hash: String,
    /// The digest of the hash an import gave it ([`source_digest`]), kept
    /// through the re-hash at login; `None` when none was imported or the
    /// password was reset since.
    pub source_digest: Option<String>,
    /// The device it is bound to.
    pub device_identifier: String,
    /// Its enterprise.
    pub enterprise_id: Option<i64>,
    /// Its permissions (not an array of strings: empty).
    pub permissions: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its latest application: enterprise and state.
    pub application: Option<(i64, i16)>,
}

/// An account as the import writes it.
#[derive(Debug, Clone)]
pub struct ImportedAccount {
    /// Its id, 32 lowercase hex characters.
    pub id: String,
    /// Its phone (11 digits).
    pub phone: String,
    /// Its name.
    pub name: String,
    /// The password hash, as the legacy stack wrote it or Argon2id.
    pub password_hash: String,
    /// The legacy scheme of the hash while it is not this server's own form.
    pub scheme: Option<&'static str>,
    /// [`source_digest`] of the imported hash (none for a clear password).
    pub source_digest: Option<String>,
    /// The device it is bound to (empty: none yet).
    pub device_identifier: String,
    /// Its enterprise.
    pub enterprise_id: Option<i64>,
    /// Its permissions.
    pub permissions: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its application: enterprise and state (-1, 0, 1).
    pub application: Option<(i64, i16)>,
    /// The legacy server's session tokens, to become live sessions.
    pub tokens: Vec<String>,
}

/// What the import keeps of an imported hash: SHA-256 of the account id and
/// the hash, in hex. Enough to recognise the same hash in a later import of
/// the same account; the hash itself (and so a password test against it)
/// is not kept once a login has replaced it.
pub fn source_digest(user_id: &str, hash: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    digest.update(user_id.as_bytes());
    digest.update(b"\n");
    digest.update(hash.as_bytes());
    hex::encode(digest.finalize())
}

/// The stored accounts whose id is among `ids`, with their imported hash's
/// digest and latest application (see [`accounts_by_phone`]).
pub async fn accounts_by_id(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<Vec<StoredAccount>, DbErr> {
    accounts_where(db, AccountKey::Id, ids).await
}

/// The stored accounts whose phone is among `phones`, as [`accounts_by_id`].
pub async fn accounts_by_phone(
    db: &impl ConnectionTrait,
    phones: &[String],
) -> Result<Vec<StoredAccount>, DbErr> {
    accounts_where(db, AccountKey::Phone, phones).await
}

/// The unique column of `users` a batch looks its accounts up by.
#[derive(Clone, Copy)]
enum AccountKey {
    Id,
    Phone,
}

/// A stored account as [`accounts_where`] reads it.
#[derive(FromQueryResult)]
struct AccountRow {
    id: String,
    phone: String,
    name: String,
    password_hash: String,
    device_identifier: String,
    enterprise_id: Option<i64>,
    permissions: serde_json::Value,
    created_at: DateTime<Utc>,
    source_digest: Option<String>,
    application_enterprise_id: Option<i64>,
    application_state: Option<i16>,
}

/// One statement for a whole batch of keys, every table read by index: the
/// accounts through the unique index of `key` (on PostgreSQL with one array
/// parameter, so the statement and its plan are the same for every batch),
/// and for each account found its hash record and latest application
/// through correlated subqueries, one index probe each (a join could be
/// planned as a scan of the whole table).
async fn accounts_where(
    db: &impl ConnectionTrait,
    key: AccountKey,
    keys: &[String],
) -> Result<Vec<StoredAccount>, DbErr> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let column = match key {
        AccountKey::Id => "id",
        AccountKey::Phone => "phone",
    };
    let backend = db.get_database_backend();
    let (condition, values): (String, Vec<Value>) = match backend {
        DbBackend::Postgres => (
            format!("users.{column} = ANY($1)"),
            vec![Value::from(keys.to_vec())],
        ),
        _ => (
            format!("users.{column} IN ({})", vec!["?"; keys.len()].join(", ")),
            keys.iter().map(|key| Value::from(key.as_str())).collect(),
        ),
    };
    let latest_application = |column: &str| {
        format!(
            "(SELECT applications.{column} FROM applications \
             WHERE applications.user_id = users.id ORDER BY applications.id DESC LIMIT 1)"
        )
    };
    let sql = format!(
        "SELECT users.id, users.phone, users.name, users.password_hash, \
         users.device_identifier, users.enterprise_id, users.permissions, users.created_at, \
         (SELECT imported_password_hashes.source_digest FROM imported_password_hashes \
         WHERE imported_password_hashes.user_id = users.id) AS source_digest, \
         {} AS application_enterprise_id, {} AS application_state \
         FROM users WHERE {condition}",
        latest_application("enterprise_id"),
        latest_application("state"),
    );
    let rows = AccountRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| StoredAccount {
            application: row.application_enterprise_id.zip(row.application_state),
            permissions: serde_json::from_value(row.permissions).unwrap_or_default(),
            source_digest: row.source_digest,
            id: row.id,
            phone: row.phone,
            name: row.name,
            password_hash: row.password_hash,
            device_identifier: row.device_identifier,
            enterprise_id: row.enterprise_id,
            created_at: row.created_at,
        })
        .collect())
}

/// The names of the stored enterprises among `ids`.
pub async fn enterprise_names(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, String>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(enterprises::Entity::find()
        .filter(enterprises::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect())
}

/// Inserts the enterprises `(id, name)` with their ids as given.
pub async fn insert_enterprises(
    db: &impl ConnectionTrait,
    rows: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        enterprises::Entity::insert_many(chunk.iter().map(|(id, name)| enterprises::ActiveModel {
            id: Set(*id),
            name: Set(name.clone()),
            created_at: Set(now),
        }))
        .exec_without_returning(db)
        .await?;
    }
    // PostgreSQL's sequence knows nothing of ids given explicitly: move it
    // past them, so that enterprises created later get fresh ids.
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT setval(pg_get_serial_sequence('enterprises', 'id'), \
             (SELECT MAX(id) FROM enterprises))",
        ))
        .await?;
    }
    Ok(())
}

/// Renames enterprise `id`.
pub async fn rename_enterprise(
    db: &impl ConnectionTrait,
    id: i64,
    name: &str,
) -> Result<(), DbErr> {
    enterprises::Entity::update_many()
        .col_expr(
            enterprises::Column::Name,
            sea_orm::sea_query::Expr::value(name),
        )
        .filter(enterprises::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Inserts new accounts, with their imported hash's record, their
/// application and a session per legacy token (valid for `lifetime`; a
/// token already stored is left as it is); how many sessions it opened.
pub async fn insert_accounts(
    db: &impl ConnectionTrait,
    accounts: &[ImportedAccount],
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<u64, DbErr> {
    for chunk in accounts.chunks(ROWS_PER_INSERT) {
        users::Entity::insert_many(chunk.iter().map(|account| users::ActiveModel {
            id: Set(account.id.clone()),
            phone: Set(account.phone.clone()),
            name: Set(account.name.clone()),
            password_hash: Set(account.password_hash.clone()),
            device_identifier: Set(account.device_identifier.clone()),
            enterprise_id: Set(account.enterprise_id),
            permissions: Set(serde_json::json!(account.permissions)),
            created_at: Set(account.created_at),
            updated_at: Set(now),
            disabled_at: Set(None),
        }))
        .exec_without_returning(db)
        .await?;
    }
    insert_hash_records(db, accounts).await?;
    insert_applications(db, accounts.iter().filter_map(application_of), now).await?;
    open_sessions(db, accounts, now, lifetime).await
}

/// Replaces the stored fields of existing accounts with the import's, its
/// application when the latest differs, and opens a session for each legacy
/// token not stored yet; how many sessions it opened.
pub async fn update_accounts(
    db: &impl ConnectionTrait,
    accounts: &[(ImportedAccount, Option<(i64, i16)>)],
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    if accounts.is_empty() {
        return Ok(0);
    }
    for (account, _) in accounts {
        users::Entity::update_many()
            .col_expr(users::Column::Phone, Expr::value(account.phone.clone()))
            .col_expr(users::Column::Name, Expr::value(account.name.clone()))
            .col_expr(
                users::Column::PasswordHash,
                Expr::value(account.password_hash.clone()),
            )
            .col_expr(
                users::Column::DeviceIdentifier,
                Expr::value(account.device_identifier.clone()),
            )
            .col_expr(
                users::Column::EnterpriseId,
                Expr::value(account.enterprise_id),
            )
            .col_expr(
                users::Column::Permissions,
                Expr::value(serde_json::json!(account.permissions)),
            )
            .col_expr(users::Column::CreatedAt, Expr::value(account.created_at))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(account.id.as_str()))
            .exec(db)
            .await?;
    }
    let ids = accounts.iter().map(|(account, _)| account.id.clone());
    imported_password_hashes::Entity::delete_many()
        .filter(imported_password_hashes::Column::UserId.is_in(ids))
        .exec(db)
        .await?;
    let updated: Vec<ImportedAccount> = accounts
        .iter()
        .map(|(account, _)| account.clone())
        .collect();
    insert_hash_records(db, &updated).await?;
    let applications = accounts
        .iter()
        .filter(|(account, stored)| account.application.is_some() && account.application != *stored)
        .filter_map(|(account, _)| application_of(account));
    insert_applications(db, applications, now).await?;
    open_sessions(db, &updated, now, lifetime).await
}

fn application_of(account: &ImportedAccount) -> Option<(String, i64, i16)> {
    account
        .application
        .map(|(enterprise, state)| (account.id.clone(), enterprise, state))
}

async fn insert_hash_records(
    db: &impl ConnectionTrait,
    accounts: &[ImportedAccount],
) -> Result<(), DbErr> {
    let records: Vec<imported_password_hashes::ActiveModel> = accounts
        .iter()
        .filter(|account| account.scheme.is_some() || account.source_digest.is_some())
        .map(|account| imported_password_hashes::ActiveModel {
            user_id: Set(account.id.clone()),
            scheme: Set(account.scheme.map(str::to_owned)),
            source_digest: Set(account.source_digest.clone()),
        })
        .collect();
    for chunk in records.chunks(ROWS_PER_INSERT) {
        imported_password_hashes::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

async fn insert_applications(
    db: &impl ConnectionTrait,
    rows: impl Iterator<Item = (String, i64, i16)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let rows: Vec<applications::ActiveModel> = rows
        .map(
            |(user_id, enterprise_id, state)| applications::ActiveModel {
                user_id: Set(user_id),
                enterprise_id: Set(enterprise_id),
                state: Set(state),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        applications::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

async fn open_sessions(
    db: &impl ConnectionTrait,
    accounts: &[ImportedAccount],
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<u64, DbErr> {
    let rows: Vec<sessions::ActiveModel> = accounts
        .iter()
        .flat_map(|account| {
            account.tokens.iter().map(|token| sessions::ActiveModel {
                token_hash: Set(hash_token(token)),
                user_id: Set(account.id.clone()),
                device_identifier: Set(account.device_identifier.clone()),
                created_at: Set(now),
                expires_at: Set(now + lifetime),
                revoked_at: Set(None),
                last_used_at: Set(now),
                ..Default::default()
            })
        })
        .collect();
    let mut opened = 0;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let inserted = sessions::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(sessions::Column::TokenHash)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await;
        match inserted {
            Ok(rows) => opened += rows,
            // Every token of the chunk was stored already.
            Err(DbErr::RecordNotInserted) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(opened)
}
