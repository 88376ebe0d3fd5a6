//! The statement log (`RUST_LOG=account_api::sql=debug`): every statement
//! the server runs, with its values in place, so that it can be replayed
//! under `EXPLAIN` — except the values of the secret columns
//! ([`SECRET_COLUMNS`]), which are shown as `'<redacted>'`.
//!
//! A statement's SQL comes from the query builder with its values bound to
//! placeholders (`?` on SQLite, `$1` on PostgreSQL), so which value goes to
//! which column is read from the SQL alone, never from the values a client
//! sent: the `n`-th value of a row in an `INSERT`'s `VALUES` goes to the
//! `n`-th column of its column list; any other value is compared with, or
//! assigned to, the column named last before it (`"token_hash" = $1`,
//! `"password_hash" = ?`, `"token_hash" IN ($1, $2)`). A secret column is
//! known by its name in any table (aliases and unqualified names hide the
//! table). String literals written into the SQL itself are treated as values.
//! When the placeholders cannot be matched with the values, every value is
//! redacted.

use sea_orm::{DbBackend, Statement, Value};

/// Every column that holds a secret, or a hash of one that can be checked
/// offline, as `(table, column)`. Their values never reach the statement
/// log; a column of the same name in any other table is redacted too.
pub const SECRET_COLUMNS: &[(&str, &str)] = &[
    // The argon2 hash of the password: a target for guessing offline.
    ("users", "password_hash"),
    // The SHA-256 of a session token: looks the session up as well as the token.
    ("sessions", "token_hash"),
    // The HMAC of an SMS code: with the key, the code in a million tries.
    ("sms_codes", "code_hash"),
    // The key the codes are hashed under (`sms_code_key`).
    ("server_secrets", "value"),
    // The SHA-256 of an admin token.
    ("admin_tokens", entity::admin_tokens::HASH_COLUMN),
    // The SHA-256 of an imported legacy hash (and the account id): for an
    // unsalted legacy digest, a target for guessing offline too.
    ("imported_password_hashes", "source_digest"),
];

/// What a redacted value shows in the log: a string literal, so that the
/// logged statement still parses (the load harness explains each one).
pub const REDACTED: &str = "<redacted>";

/// `statement` as the log shows it: its SQL with every value in place,
/// those of [`SECRET_COLUMNS`] as `'<redacted>'`.
pub fn loggable(statement: &Statement) -> String {
    let count = statement.values.as_ref().map_or(0, |values| values.0.len());
    let found = secret_values(&statement.sql, statement.db_backend, count);
    if found.parameters.iter().all(|secret| !secret) && found.literals.is_empty() {
        return statement.to_string();
    }
    let mut shown = statement.clone();
    if !found.literals.is_empty() {
        let mut sql = String::with_capacity(shown.sql.len());
        let mut copied = 0;
        for literal in &found.literals {
            sql.push_str(&shown.sql[copied..literal.start]);
            sql.push('\'');
            sql.push_str(REDACTED);
            sql.push('\'');
            copied = literal.end;
        }
        sql.push_str(&shown.sql[copied..]);
        shown.sql = sql;
    }
    if let Some(values) = &mut shown.values {
        for (value, secret) in values.0.iter_mut().zip(&found.parameters) {
            if *secret {
                *value = Value::from(REDACTED);
            }
        }
    }
    shown.to_string()
}

/// Whether `column` (any letter case) is the name of a secret column.
fn is_secret_column(column: &str) -> bool {
    SECRET_COLUMNS
        .iter()
        .any(|(_, secret)| secret.eq_ignore_ascii_case(column))
}

/// Whether `table` has a secret column.
fn has_secret_column(table: &str) -> bool {
    SECRET_COLUMNS
        .iter()
        .any(|(with_secret, _)| with_secret.eq_ignore_ascii_case(table))
}

/// Which values of a statement are secret.
#[derive(Debug, Default, PartialEq, Eq)]
struct SecretValues {
    /// One per bound value, in order: whether it is secret.
    parameters: Vec<bool>,
    /// The byte ranges of the SQL's own string literals that are secret, in order.
    literals: Vec<std::ops::Range<usize>>,
}

/// The secret values of the SQL `sql` with `count` values bound to it.
fn secret_values(sql: &str, backend: DbBackend, count: usize) -> SecretValues {
    let tokens = tokenize(sql, backend);
    let mut found = SecretValues {
        parameters: vec![false; count],
        literals: Vec::new(),
    };
    let mut seen = vec![false; count];
    let mut unmatched = false;
    for (slot, secret) in attribute(&tokens) {
        match slot {
            Slot::Parameter(index) => match found.parameters.get_mut(index) {
                Some(flag) => {
                    *flag |= secret;
                    seen[index] = true;
                }
                None => unmatched = true,
            },
            Slot::Literal(range) if secret => found.literals.push(range),
            Slot::Literal(_) => {}
        }
    }
    if unmatched || seen.iter().any(|seen| !seen) {
        // The SQL is not understood: show no value at all.
        found.parameters = vec![true; count];
    }
    found
}

/// A piece of SQL that matters here.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A keyword or an unquoted identifier, as written.
    Word(String),
    /// A quoted identifier, unquoted.
    Ident(String),
    /// A value: a placeholder or a string literal.
    Value(Slot),
    /// Any other character (operators, parentheses, commas, dots); numbers
    /// are skipped.
    Punct(char),
}

/// Where a value is: the index of a bound value, or a literal's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Parameter(usize),
    Literal(std::ops::Range<usize>),
}

/// The tokens of `sql`: comments, white space and numbers dropped.
fn tokenize(sql: &str, backend: DbBackend) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut next_parameter = 0;
    let mut at = 0;
    // The end of the quoted text starting at `start` (its opening quote
    // `quote`), a doubled quote standing for one; backslashes escape in
    // PostgreSQL's `E'...'` strings.
    let quoted_end = |start: usize, quote: u8, backslashes: bool| {
        let mut end = start + 1;
        while end < bytes.len() {
            match bytes[end] {
                b'\\' if backslashes => end += 2,
                byte if byte == quote => {
                    if bytes.get(end + 1) == Some(&quote) {
                        end += 2;
                    } else {
                        return end + 1;
                    }
                }
                _ => end += 1,
            }
        }
        bytes.len()
    };
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            _ if byte.is_ascii_whitespace() => at += 1,
            b'-' if bytes.get(at + 1) == Some(&b'-') => {
                at = sql[at..].find('\n').map_or(bytes.len(), |end| at + end + 1);
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                at = sql[at + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| at + 2 + end + 2);
            }
            b'"' | b'`' => {
                let end = quoted_end(at, byte, false);
                // Without its closing quote when it has one.
                let closed = end > at + 1 && bytes[end - 1] == byte;
                let inner = &sql[at + 1..if closed { end - 1 } else { end }];
                let quote = (byte as char).to_string();
                tokens.push(Token::Ident(inner.replace(&quote.repeat(2), &quote)));
                at = end;
            }
            b'\'' => {
                let end = quoted_end(at, b'\'', false);
                tokens.push(Token::Value(Slot::Literal(at..end)));
                at = end;
            }
            b'?' if backend != DbBackend::Postgres => {
                tokens.push(Token::Value(Slot::Parameter(next_parameter)));
                next_parameter += 1;
                at += 1;
            }
            b'$' if backend == DbBackend::Postgres
                && bytes.get(at + 1).is_some_and(u8::is_ascii_digit) =>
            {
                let digits = bytes[at + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let number: usize = sql[at + 1..at + 1 + digits].parse().unwrap_or(0);
                // `$0` (never written) matches no value: everything is redacted.
                tokens.push(Token::Value(Slot::Parameter(
                    number.checked_sub(1).unwrap_or(usize::MAX),
                )));
                at += 1 + digits;
            }
            _ if byte.is_ascii_alphabetic() || byte == b'_' => {
                let length = bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'$')
                    .count();
                let word = &sql[at..at + length];
                if word.eq_ignore_ascii_case("e") && bytes.get(at + length) == Some(&b'\'') {
                    let end = quoted_end(at + length, b'\'', true);
                    tokens.push(Token::Value(Slot::Literal(at..end)));
                    at = end;
                } else {
                    tokens.push(Token::Word(word.to_owned()));
                    at += length;
                }
            }
            _ if byte.is_ascii_digit() => {
                at += bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'.')
                    .count();
            }
            _ => {
                let character = sql[at..].chars().next().unwrap_or('\u{fffd}');
                tokens.push(Token::Punct(character));
                at += character.len_utf8();
            }
        }
    }
    tokens
}

/// Words that name no column; after `LIMIT` and `OFFSET` a value is a count.
const KEYWORDS: &[&str] = &[
    "all",
    "and",
    "any",
    "as",
    "asc",
    "between",
    "by",
    "case",
    "cast",
    "collate",
    "conflict",
    "cross",
    "default",
    "delete",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "escape",
    "except",
    "exists",
    "false",
    "first",
    "for",
    "from",
    "full",
    "group",
    "having",
    "ilike",
    "in",
    "inner",
    "insert",
    "intersect",
    "into",
    "is",
    "join",
    "key",
    "last",
    "left",
    "like",
    "limit",
    "locked",
    "no",
    "not",
    "nothing",
    "nowait",
    "null",
    "nulls",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "recursive",
    "returning",
    "right",
    "select",
    "set",
    "share",
    "skip",
    "some",
    "then",
    "true",
    "union",
    "update",
    "using",
    "values",
    "when",
    "where",
    "with",
];

fn is_keyword(word: &str) -> bool {
    KEYWORDS
        .iter()
        .any(|keyword| keyword.eq_ignore_ascii_case(word))
}

/// Every value of `tokens`, and whether it goes to a secret column.
fn attribute(tokens: &[Token]) -> Vec<(Slot, bool)> {
    let mut attributed = Vec::new();
    // The column named last: what a value is compared with or assigned to.
    let mut column: Option<&str> = None;
    let mut at = 0;
    while at < tokens.len() {
        match &tokens[at] {
            Token::Word(word) if word.eq_ignore_ascii_case("insert") => {
                if let Some(end) = insert_values(tokens, at, &mut attributed) {
                    at = end;
                    column = None;
                    continue;
                }
            }
            Token::Word(word) if is_keyword(word) => {
                if word.eq_ignore_ascii_case("limit") || word.eq_ignore_ascii_case("offset") {
                    column = None;
                }
            }
            Token::Word(name) | Token::Ident(name) => {
                // Not a table's or schema's name before a dot, nor a function's.
                if !matches!(tokens.get(at + 1), Some(Token::Punct('.' | '('))) {
                    column = Some(name);
                }
            }
            Token::Value(slot) => {
                attributed.push((slot.clone(), column.is_some_and(is_secret_column)));
            }
            Token::Punct(_) => {}
        }
        at += 1;
    }
    attributed
}

/// For `INSERT INTO table (columns...) VALUES (...), (...)` at `tokens[at]`:
/// each value of the rows with the column of its position, and the index of
/// the token after the rows; `None` when the statement is not of that form
/// (`INSERT ... SELECT`, or without `VALUES`).
fn insert_values(tokens: &[Token], at: usize, attributed: &mut Vec<(Slot, bool)>) -> Option<usize> {
    let mut at = at + 1;
    if !matches!(tokens.get(at), Some(Token::Word(word)) if word.eq_ignore_ascii_case("into")) {
        return None;
    }
    at += 1;
    // `table` or `schema.table`.
    let mut table = None;
    while let Some(Token::Ident(name) | Token::Word(name)) = tokens.get(at) {
        table = Some(name.as_str());
        at += 1;
        if tokens.get(at) == Some(&Token::Punct('.')) {
            at += 1;
        } else {
            break;
        }
    }
    let table = table?;
    let mut columns: Vec<&str> = Vec::new();
    if tokens.get(at) == Some(&Token::Punct('(')) {
        at += 1;
        loop {
            match tokens.get(at)? {
                Token::Ident(name) | Token::Word(name) => columns.push(name),
                Token::Punct(',') => {}
                Token::Punct(')') => break,
                _ => return None,
            }
            at += 1;
        }
        at += 1;
    }
    if !matches!(tokens.get(at), Some(Token::Word(word)) if word.eq_ignore_ascii_case("values")) {
        return None;
    }
    at += 1;
    // Without a column list, any value may be a secret of a table that has one.
    let secret_at = |position: usize| match columns.get(position) {
        Some(column) => is_secret_column(column),
        None => has_secret_column(table) || !columns.is_empty(),
    };
    // Rows: `(v, f(v, v), ...)`, separated by commas.
    while tokens.get(at) == Some(&Token::Punct('(')) {
        at += 1;
        let mut depth = 1;
        let mut position = 0;
        while depth > 0 {
            match tokens.get(at)? {
                Token::Punct('(') => depth += 1,
                Token::Punct(')') => depth -= 1,
                Token::Punct(',') if depth == 1 => position += 1,
                Token::Value(slot) => attributed.push((slot.clone(), secret_at(position))),
                _ => {}
            }
            at += 1;
        }
        if tokens.get(at) == Some(&Token::Punct(',')) {
            at += 1;
        } else {
            break;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use entity::{server_secrets, sessions, sms_codes, users};
    use sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, Iterable, QueryFilter, QueryTrait,
        sea_query::OnConflict,
    };

    use super::*;

    const BACKENDS: [DbBackend; 2] = [DbBackend::Sqlite, DbBackend::Postgres];
    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
    const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn at() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 4, 0, 0).unwrap()
    }

    /// `logged` shows no `secret`, shows `<redacted>` `times` times, and shows every one of `shown`.
    fn assert_redacted(logged: &str, secret: &str, times: usize, shown: &[&str]) {
        assert!(!logged.contains(secret), "{secret} in {logged}");
        assert_eq!(
            logged.matches("'<redacted>'").count(),
            times,
            "redactions in {logged}"
        );
        for value in shown {
            assert!(logged.contains(value), "{value} not in {logged}");
        }
    }

    fn user() -> users::ActiveModel {
        users::ActiveModel {
            id: Set("u1".to_owned()),
            phone: Set("13126939916".to_owned()),
            name: Set("于连林".to_owned()),
            password_hash: Set(HASH.to_owned()),
            device_identifier: Set("uuid".to_owned()),
            enterprise_id: Set(None),
            permissions: Set(serde_json::json!([])),
            created_at: Set(at()),
            updated_at: Set(at()),
            disabled_at: Set(None),
        }
    }

    #[test]
    fn the_hash_of_a_new_user_is_redacted_and_the_rest_shown() {
        for backend in BACKENDS {
            let statement = users::Entity::insert(user()).build(backend);
            assert!(statement.to_string().contains(HASH), "the test's premise");
            assert_redacted(
                &loggable(&statement),
                HASH,
                1,
                &["'u1'", "'13126939916'", "'于连林'", "'uuid'"],
            );
        }
    }

    #[test]
    fn every_row_of_an_insert_is_redacted_at_its_position() {
        let mut other = user();
        other.id = Set("u2".to_owned());
        other.password_hash = Set(format!("{HASH}2"));
        for backend in BACKENDS {
            let statement = users::Entity::insert_many([user(), other.clone()]).build(backend);
            assert_redacted(&loggable(&statement), HASH, 2, &["'u1'", "'u2'", "'uuid'"]);
        }
    }

    #[test]
    fn a_new_password_hash_is_redacted_in_an_update() {
        for backend in BACKENDS {
            let statement = users::Entity::update_many()
                .col_expr(users::Column::PasswordHash, HASH.into())
                .col_expr(users::Column::UpdatedAt, at().into())
                .filter(users::Column::Phone.eq("13126939916"))
                .build(backend);
            assert_redacted(
                &loggable(&statement),
                HASH,
                1,
                &["'13126939916'", "2026-12-06"],
            );
        }
    }

    #[test]
    fn token_hashes_are_redacted_where_compared_and_inserted() {
        for backend in BACKENDS {
            let found = sessions::Entity::find()
                .filter(sessions::Column::TokenHash.eq(DIGEST))
                .filter(sessions::Column::ExpiresAt.gt(at()))
                .build(backend);
            assert_redacted(&loggable(&found), DIGEST, 1, &["2026-12-06"]);

            let listed = sessions::Entity::find()
                .filter(sessions::Column::TokenHash.is_in([DIGEST, "abc"]))
                .filter(sessions::Column::UserId.eq("u1"))
                .build(backend);
            assert_redacted(&loggable(&listed), DIGEST, 2, &["'u1'"]);

            let opened = sessions::Entity::insert(sessions::ActiveModel {
                token_hash: Set(DIGEST.to_owned()),
                user_id: Set("u1".to_owned()),
                device_identifier: Set("uuid".to_owned()),
                created_at: Set(at()),
                expires_at: Set(at()),
                revoked_at: Set(None),
                last_used_at: Set(at()),
                ..Default::default()
            })
            .build(backend);
            assert_redacted(&loggable(&opened), DIGEST, 1, &["'u1'", "'uuid'"]);
        }
    }

    #[test]
    fn code_hashes_and_the_code_key_are_redacted() {
        for backend in BACKENDS {
            let code = sms_codes::Entity::insert(sms_codes::ActiveModel {
                phone: Set("13126939916".to_owned()),
                purpose: Set(0),
                code_hash: Set(DIGEST.to_owned()),
                created_at: Set(at()),
                expires_at: Set(at()),
                failed_tries: Set(0),
                consumed_at: Set(None),
                reset_window_expires_at: Set(None),
                reset_window_client: Set(None),
                last_failed_at: Set(None),
                ..Default::default()
            })
            .build(backend);
            assert_redacted(&loggable(&code), DIGEST, 1, &["'13126939916'"]);

            let resent = sms_codes::Entity::update_many()
                .col_expr(sms_codes::Column::CodeHash, DIGEST.into())
                .col_expr(sms_codes::Column::FailedTries, 0.into())
                .filter(sms_codes::Column::Phone.eq("13126939916"))
                .build(backend);
            assert_redacted(&loggable(&resent), DIGEST, 1, &["'13126939916'"]);

            let key = server_secrets::Entity::insert(server_secrets::ActiveModel {
                name: Set("sms_code_key".to_owned()),
                value: Set(DIGEST.to_owned()),
                created_at: Set(at()),
            })
            .on_conflict(
                OnConflict::column(server_secrets::Column::Name)
                    .do_nothing()
                    .to_owned(),
            )
            .build(backend);
            assert_redacted(&loggable(&key), DIGEST, 1, &["'sms_code_key'", "CONFLICT"]);
        }
    }

    #[test]
    fn statements_without_secrets_are_logged_as_before() {
        for backend in BACKENDS {
            let statement = users::Entity::find()
                .filter(users::Column::Phone.eq("13126939916"))
                .build(backend);
            assert_eq!(loggable(&statement), statement.to_string());
        }
    }

    #[test]
    fn a_count_after_a_secret_comparison_is_shown() {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            r#"SELECT "id" FROM "sessions" WHERE "token_hash" = $1 LIMIT $2 OFFSET $3"#,
            [DIGEST.into(), 1i64.into(), 5i64.into()],
        );
        assert_eq!(
            loggable(&statement),
            r#"SELECT "id" FROM "sessions" WHERE "token_hash" = '<redacted>' LIMIT 1 OFFSET 5"#
        );
    }

    #[test]
    fn question_marks_in_literals_and_names_are_no_placeholders() {
        let statement = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            r#"SELECT "a?" FROM users WHERE name = 'who?' AND password_hash = ? AND phone = ?"#,
            [HASH.into(), "13126939916".into()],
        );
        assert_eq!(
            loggable(&statement),
            r#"SELECT "a?" FROM users WHERE name = 'who?' AND password_hash = '<redacted>' AND phone = '13126939916'"#
        );
    }

    #[test]
    fn secrets_written_into_the_sql_are_redacted_too() {
        let statement = Statement::from_string(
            DbBackend::Postgres,
            format!(
                "INSERT INTO users (id, password_hash) VALUES ('u1', '{HASH}'), ('u2', E'x\\'y'); \
                 UPDATE sessions SET token_hash = '{DIGEST}' WHERE user_id = 'u1'"
            ),
        );
        let logged = loggable(&statement);
        assert_eq!(
            logged,
            "INSERT INTO users (id, password_hash) VALUES ('u1', '<redacted>'), ('u2', '<redacted>'); \
             UPDATE sessions SET token_hash = '<redacted>' WHERE user_id = 'u1'"
        );
    }

    #[test]
    fn values_that_cannot_be_placed_are_all_redacted() {
        // Two values, one placeholder: the statement is not understood.
        let statement = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT 1 FROM users WHERE phone = ?",
            ["13126939916".into(), HASH.into()],
        );
        let logged = loggable(&statement);
        assert!(!logged.contains("13126939916"), "{logged}");
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM users WHERE phone = $2",
            ["13126939916".into(), HASH.into()],
        );
        assert!(!loggable(&statement).contains(HASH));
        // An insert without a column list into a table with a secret.
        let statement = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO users VALUES (?, ?)",
            ["u1".into(), HASH.into()],
        );
        assert!(!loggable(&statement).contains(HASH));
    }

    /// Every column whose name says it holds a secret or a hash of one is
    /// listed; a new one fails here until it is.
    #[test]
    fn every_column_that_looks_secret_is_listed() {
        fn names<C: Iterable + sea_orm::IdenStatic>() -> Vec<String> {
            C::iter().map(|column| column.as_str().to_owned()).collect()
        }
        // Named like a secret, holding none: the admin token's *name*.
        let not_secret = [("audit_events", "admin_token")];
        let tables: Vec<(&str, Vec<String>)> = vec![
            ("admin_tokens", names::<entity::admin_tokens::Column>()),
            ("applications", names::<entity::applications::Column>()),
            ("audit_events", names::<entity::audit_events::Column>()),
            ("audit_refusals", names::<entity::audit_refusals::Column>()),
            ("enterprises", names::<entity::enterprises::Column>()),
            (
                "imported_password_hashes",
                names::<entity::imported_password_hashes::Column>(),
            ),
            ("server_secrets", names::<server_secrets::Column>()),
            ("sessions", names::<sessions::Column>()),
            (
                "sms_budget_days",
                names::<entity::sms_budget_days::Column>(),
            ),
            ("sms_codes", names::<sms_codes::Column>()),
            ("users", names::<users::Column>()),
            ("webhook_events", names::<entity::webhook_events::Column>()),
            (
                "webhook_deliveries",
                names::<entity::webhook_deliveries::Column>(),
            ),
        ];
        for (table, columns) in tables {
            for column in columns {
                let looks_secret = ["hash", "secret", "token", "password", "key"]
                    .iter()
                    .any(|word| column.contains(word))
                    || (table == "server_secrets" && column == "value");
                if looks_secret && !not_secret.contains(&(table, column.as_str())) {
                    assert!(
                        SECRET_COLUMNS.contains(&(table, column.as_str())),
                        "{table}.{column} is not in SECRET_COLUMNS"
                    );
                }
            }
        }
        assert!(is_secret_column("PASSWORD_HASH"));
        assert!(!is_secret_column("phone"));
    }
}
