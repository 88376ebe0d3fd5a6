//! The growth benchmark (`load --growth`): the same operations against an
//! almost empty database and against one seeded directly with SQL to the
//! size of a service that has run for months (1,000,000 users, 200,000 live
//! sessions, 5,000,000 audit rows over 90 days by default), in one run,
//! with the query plan of every statement the server ran against the large
//! one.
//!
//! Both databases hold the [`LOGIN_USERS`] users the logins use and the one
//! session `/me` presents ([`TOKEN`]); every seeded user has one
//! precomputed password hash, so seeding takes minutes, not the hours
//! Argon2id through the API would.

use std::{
    fmt::Write as _,
    fs,
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use account_api::{settings::DatabaseSettings, store::sessions::hash_token};
use contract_tests::http::{Client, HttpRequest};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::{
    measured::{Answer, Measured, Sample, sample},
    oha::{Load, Oha, Target},
    seed::{
        BASE, DEVICE, FORM, PASSWORD, get, login_body, post_form, registered_phone,
        unregistered_phone,
    },
    server::{Database, Server},
    targets::Verdict,
};

/// The next phone a `sendsms` sample request sends to.
static NEXT_SAMPLE_PHONE: AtomicU64 = AtomicU64::new(0);

/// Users on both databases that the logins pick from (the first seeded ones).
pub const LOGIN_USERS: u64 = 1_000;

/// The session token `/me` presents, on both databases (32 hex digits).
pub const TOKEN: &str = "6e6f742d612d7265616c2d746f6b656e";

/// Connections of each load: few enough that a median is a request's own
/// time more than its wait for a core.
const CONNECTIONS: usize = 8;

/// Connections of the logins: one per core, so none waits for a hashing thread.
const LOGIN_CONNECTIONS: usize = 2;

/// Rows per seeding statement.
const CHUNK: u64 = 250_000;

/// The tables that grow: a plan that reads one of them whole fails the run.
pub const LARGE_TABLES: [&str; 3] = ["users", "sessions", "audit_events"];

/// The most the large database may slow an operation's median down.
pub const MAX_RATIO: f64 = 1.3;

/// How big the large database is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Accounts.
    pub users: u64,
    /// Live sessions.
    pub sessions: u64,
    /// Audit rows, spread evenly over the last 90 days.
    pub audit_events: u64,
}

impl Sizes {
    /// The almost empty database: the login users and `/me`'s session.
    pub const EMPTY: Self = Self {
        users: LOGIN_USERS,
        sessions: 0,
        audit_events: 0,
    };
}

/// One operation measured on both databases.
#[derive(Debug, Clone)]
pub struct Compared {
    /// `isregister`, `login`, `sendsms`, `me`.
    pub operation: &'static str,
    /// On the almost empty database.
    pub empty: Measured,
    /// On the large one.
    pub large: Measured,
    /// Login only: the mean time of a login besides its Argon2id
    /// verification, from the server's own histograms (empty, large), in ms.
    pub login_besides_hashing_ms: Option<(f64, f64)>,
}

impl Compared {
    /// The figure compared, in ms: the median, or for login the mean time
    /// besides hashing.
    pub fn figures_ms(&self) -> (f64, f64) {
        self.login_besides_hashing_ms.unwrap_or((
            self.empty.outcome.latency_ms(50.0),
            self.large.outcome.latency_ms(50.0),
        ))
    }

    /// Large ÷ empty.
    pub fn ratio(&self) -> f64 {
        let (empty, large) = self.figures_ms();
        large / empty
    }
}

/// The query plan of one statement the server ran on the large database.
#[derive(Debug, Clone)]
pub struct Explained {
    /// The statement, with its values in place.
    pub statement: String,
    /// The plan, one line per step.
    pub plan: Vec<String>,
    /// The step that reads a large table whole, if any.
    pub full_scan: Option<String>,
}

/// Connects the harness itself to `url`.
pub async fn connect(url: &str) -> Result<DatabaseConnection, String> {
    account_api::database::connect(&DatabaseSettings {
        database_url: url.to_owned(),
        db_max_connections: 1,
        db_connect_timeout_secs: 30,
    })
    .await
    .map_err(|err| format!("connecting to {url}: {err}"))
}

/// The statements that fill a migrated database to `sizes`, in chunks of
/// [`CHUNK`] rows: users `0..sizes.users` with the phones of
/// [`registered_phone`] and the password hash `phc`, sessions of those
/// users, audit rows of logins and sends of those phones from 65,536
/// networks over 90 days, and the session of [`TOKEN`].
pub fn seeding_statements(backend: DbBackend, sizes: &Sizes, phc: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let users = sizes.users.max(1);
    let chunks = |total: u64| {
        (0..total.div_ceil(CHUNK)).map(move |n| (n * CHUNK, ((n + 1) * CHUNK).min(total)))
    };
    let sqlite = backend == DbBackend::Sqlite;
    // `i` runs over [start, end); each backend's own way of counting.
    let rows = |start: u64, end: u64| {
        if sqlite {
            format!(
                "WITH RECURSIVE n(i) AS (SELECT {start} UNION ALL SELECT i + 1 FROM n WHERE i < {}) ",
                end - 1
            )
        } else {
            String::new()
        }
    };
    let from = |start: u64, end: u64| {
        if sqlite {
            "FROM n".to_owned()
        } else {
            // bigint: `i * seconds` outgrows an integer.
            format!("FROM generate_series({start}::bigint, {}) AS i", end - 1)
        }
    };
    let hex = |expression: &str, digits: u32| {
        if sqlite {
            format!("printf('%0{digits}x', {expression})")
        } else {
            format!("lpad(to_hex({expression}), {digits}, '0')")
        }
    };
    let ago = |seconds: &str| {
        if sqlite {
            format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-' || ({seconds}) || ' seconds')")
        } else {
            format!("now() - ({seconds}) * interval '1 second'")
        }
    };
    let text = |expression: &str| {
        if sqlite {
            format!("CAST({expression} AS TEXT)")
        } else {
            format!("({expression})::text")
        }
    };
    let day = 86_400;
    for (start, end) in chunks(sizes.users) {
        statements.push(format!(
            "{}INSERT INTO users (id, phone, name, password_hash, device_identifier, \
             enterprise_id, permissions, created_at, updated_at) \
             SELECT {}, {}, 'bench', '{phc}', '{DEVICE}', NULL, '[]', {}, {} {}",
            rows(start, end),
            hex("i", 32),
            text("13800000000 + i"),
            ago(&format!("i % 90 * {day}")),
            ago(&format!("i % 90 * {day}")),
            from(start, end),
        ));
    }
    let expires = if sqlite {
        "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '+30 days')".to_owned()
    } else {
        "now() + interval '30 days'".to_owned()
    };
    // Session ids of the seeded ones are offset past the harness's own hash.
    for (start, end) in chunks(sizes.sessions) {
        statements.push(format!(
            "{}INSERT INTO sessions (token_hash, user_id, device_identifier, created_at, \
             expires_at, revoked_at, last_used_at) \
             SELECT {}, {}, '{DEVICE}', {}, {expires}, NULL, {} {}",
            rows(start, end),
            hex("i + 1", 64),
            hex(&format!("i % {users}"), 32),
            ago("3600"),
            ago("3600"),
            from(start, end),
        ));
    }
    statements.push(format!(
        "INSERT INTO sessions (token_hash, user_id, device_identifier, created_at, expires_at, \
         revoked_at, last_used_at) VALUES ('{}', '{}', '{DEVICE}', {}, {expires}, NULL, {})",
        hash_token(TOKEN),
        "0".repeat(32),
        ago("3600"),
        ago("3600"),
    ));
    let audit = sizes.audit_events.max(1);
    let pick = |choices: [&str; 4]| {
        format!(
            "CASE i % 4 WHEN 0 THEN '{}' WHEN 1 THEN '{}' WHEN 2 THEN '{}' ELSE '{}' END",
            choices[0], choices[1], choices[2], choices[3]
        )
    };
    let network = if sqlite {
        "'10.' || (i / 65536 % 256) || '.' || (i / 256 % 256) || '.' || (i % 256)"
    } else {
        "'10.' || (i / 65536 % 256)::text || '.' || (i / 256 % 256)::text || '.' || (i % 256)::text"
    };
    for (start, end) in chunks(sizes.audit_events) {
        statements.push(format!(
            "{}INSERT INTO audit_events (created_at, kind, outcome, phone, client_ip, device, \
             client_network) SELECT {}, {}, {}, {}, {network}, NULL, {network} {}",
            rows(start, end),
            ago(&format!("i * {} / {audit}", 90 * day)),
            pick(["login", "sms_send", "login", "sms_send"]),
            pick(["success", "sent", "wrong_password", "sent"]),
            text(&format!("13800000000 + i % {users}")),
            from(start, end),
        ));
    }
    if !sqlite {
        statements.push("ANALYZE".to_owned());
    }
    statements
}

/// Fills the migrated database at `url` to `sizes`; how long it took.
pub async fn seed(url: &str, sizes: &Sizes, phc: &str) -> Result<Duration, String> {
    let db = connect(url).await?;
    let started = Instant::now();
    for statement in seeding_statements(db.get_database_backend(), sizes, phc) {
        db.execute_unprepared(&statement).await.map_err(|err| {
            format!(
                "seeding: {err}\n{}",
                statement.chars().take(300).collect::<String>()
            )
        })?;
    }
    db.close().await.map_err(|err| err.to_string())?;
    Ok(started.elapsed())
}

/// The statements of `log` (a server's JSON log with
/// `account_api::sql=debug`), each once, in the order first run.
pub fn logged_statements(log: &str) -> Vec<String> {
    let mut statements: Vec<String> = Vec::new();
    for line in log.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if entry.pointer("/fields/message").and_then(|m| m.as_str()) != Some("statement") {
            continue;
        }
        if let Some(statement) = entry.pointer("/fields/statement").and_then(|s| s.as_str())
            && !statements.iter().any(|known| known == statement)
        {
            statements.push(statement.to_owned());
        }
    }
    statements
}

/// Whether `statement` reads rows of a table (and so has a plan that can scan).
fn reads_rows(statement: &str) -> bool {
    let statement = statement.trim_start().to_ascii_uppercase();
    ["SELECT", "UPDATE", "DELETE", "WITH"]
        .iter()
        .any(|verb| statement.starts_with(verb))
}

/// The step of `plan` that reads a large table whole, if any.
pub fn full_scan(backend: DbBackend, plan: &[String]) -> Option<String> {
    plan.iter()
        .find(|line| {
            LARGE_TABLES.iter().any(|table| match backend {
                // `SEARCH t USING ...` reads a range; `SCAN t` reads everything.
                DbBackend::Sqlite => {
                    let line = line.trim_start();
                    line == format!("SCAN {table}") || line.starts_with(&format!("SCAN {table} "))
                }
                _ => {
                    line.contains(&format!("Seq Scan on {table} "))
                        || line.ends_with(&format!("Seq Scan on {table}"))
                }
            })
        })
        .cloned()
}

/// The plan of every statement of `statements` that reads rows, on `url`.
pub async fn explain(url: &str, statements: &[String]) -> Result<Vec<Explained>, String> {
    let db = connect(url).await?;
    let backend = db.get_database_backend();
    let mut explained = Vec::new();
    for statement in statements.iter().filter(|s| reads_rows(s)) {
        let (sql, column) = match backend {
            DbBackend::Sqlite => (format!("EXPLAIN QUERY PLAN {statement}"), 3),
            _ => (format!("EXPLAIN {statement}"), 0),
        };
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .map_err(|err| format!("EXPLAIN {statement}: {err}"))?;
        let plan: Vec<String> = rows
            .iter()
            .map(|row| row.try_get_by_index::<String>(column))
            .collect::<Result<_, _>>()
            .map_err(|err| format!("EXPLAIN {statement}: {err}"))?;
        explained.push(Explained {
            statement: statement.clone(),
            full_scan: full_scan(backend, &plan),
            plan,
        });
    }
    db.close().await.map_err(|err| err.to_string())?;
    Ok(explained)
}

/// The loads of the benchmark, prepared for a database of `users` users.
pub struct Loads<'a> {
    /// The load generator.
    pub oha: &'a Oha,
    /// Where request files go.
    pub work_dir: &'a Path,
    /// How long each load runs.
    pub duration: Duration,
}

/// One operation's load on one server, and its sample requests.
pub struct Prepared {
    /// What oha sends.
    pub load: Load,
    /// The sample requests and the answer each must get.
    pub samples: Vec<(HttpRequest, Answer)>,
    /// What was sent.
    pub description: String,
}

impl Loads<'_> {
    /// `operation` against the server at `base_url` over a database of `users` users.
    pub fn prepare(&self, operation: &str, base_url: &str, users: u64) -> Result<Prepared, String> {
        let mut load = Load {
            target: Target::Url(String::new()),
            connections: CONNECTIONS,
            duration: self.duration,
            method: None,
            content_type: None,
            body_lines: None,
            headers: Vec::new(),
        };
        let mut samples = Vec::new();
        let description;
        match operation {
            "isregister" => {
                // Registered phones drawn over the whole table, unregistered ones beside them.
                let mut urls = String::new();
                let step = (users / 10_000).max(1);
                for n in 0..10_000u64.min(users) {
                    let index = u32::try_from((n * step + n % step) % users).unwrap_or(0);
                    for (phone, expect) in
                        [(registered_phone(index), 1), (unregistered_phone(index), 0)]
                    {
                        let path = format!("{BASE}/isregister/{phone}?expect={expect}");
                        if n % 2_500 == 0 {
                            samples.push((get(path.clone()), Answer::Code(200)));
                        }
                        writeln!(urls, "{base_url}{path}").expect("a String takes writes");
                    }
                }
                let file = self.work_dir.join(format!("growth-isregister-{users}.txt"));
                fs::write(&file, urls).map_err(|err| format!("{}: {err}", file.display()))?;
                load.target = Target::UrlsFile(file);
                description = "GET /isregister/{phone}: registered phones over the whole table and unregistered ones".into();
            }
            "login" => {
                let bodies: Vec<String> = (0..LOGIN_USERS as u32)
                    .map(|index| login_body(&registered_phone(index)))
                    .collect();
                for body in bodies.iter().step_by(400) {
                    samples.push((
                        post_form(&format!("{BASE}/login"), body.clone()),
                        Answer::Code(200),
                    ));
                }
                let file = self.work_dir.join("growth-login.txt");
                fs::write(&file, bodies.join("\n") + "\n")
                    .map_err(|err| format!("{}: {err}", file.display()))?;
                load.target = Target::Url(format!("{base_url}{BASE}/login"));
                load.method = Some("POST");
                load.content_type = Some(FORM);
                load.body_lines = Some(file);
                load.connections = LOGIN_CONNECTIONS;
                description = format!(
                    "POST /login with the correct password ({PASSWORD}) of one of {LOGIN_USERS} users"
                );
            }
            "sendsms" => {
                // Phones no earlier sample used, so none is within its limits' windows.
                for _ in 0..3 {
                    let index = NEXT_SAMPLE_PHONE.fetch_add(1, Ordering::Relaxed);
                    let path = format!("{BASE}/sendsms/{}?expect=0", 16_000_000_000_u64 + index);
                    samples.push((get(path), Answer::Text("200")));
                }
                load.target = Target::RandRegex(format!(
                    "{base_url}{BASE}/sendsms/1[7-9][0-9]{{9}}\\?expect=0"
                ));
                description = "GET /sendsms/{phone}?expect=0 to fresh random phones".into();
            }
            "me" => {
                let header = format!("Bearer {TOKEN}");
                let mut request = get(format!("{BASE}/me"));
                request
                    .headers
                    .push(("authorization".into(), header.clone()));
                samples.push((request.clone(), Answer::Code(200)));
                samples.push((request, Answer::Code(200)));
                load.target = Target::Url(format!("{base_url}{BASE}/me"));
                load.headers.push(format!("Authorization: {header}"));
                description = "GET /me with one live session's token".into();
            }
            other => return Err(format!("no growth operation {other}")),
        }
        Ok(Prepared {
            load,
            samples,
            description,
        })
    }
}

/// Sends `prepared`'s samples through `client`, then runs its load.
pub fn measure(
    oha: &Oha,
    client: &Client,
    operation: &str,
    prepared: Prepared,
) -> Result<Measured, String> {
    let checked: Sample = sample(client, &prepared.samples)?;
    let outcome = oha.start(&prepared.load)?.finish()?;
    Ok(Measured {
        key: operation.to_owned(),
        description: prepared.description,
        connections: prepared.load.connections,
        outcome,
        sample: checked,
        peak_rss_kib: 0,
        sampled_rss_kib: 0,
    })
}

/// The sum and count of a histogram of `/metrics` text, e.g.
/// `http_request_duration_seconds` with `operation="login"`.
pub fn histogram(metrics: &str, name: &str, label: &str) -> (f64, f64) {
    let value = |suffix: &str| {
        metrics
            .lines()
            .filter(|line| line.starts_with(&format!("{name}_{suffix}{{")) && line.contains(label))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>()
    };
    (value("sum"), value("count"))
}

/// The mean time of the logins between two readings of `/metrics`, besides
/// their verifications, in ms.
pub fn login_besides_hashing_ms(before: &str, after: &str) -> f64 {
    let delta = |name: &str, label: &str| {
        let (sum_before, count_before) = histogram(before, name, label);
        let (sum_after, count_after) = histogram(after, name, label);
        (sum_after - sum_before, count_after - count_before)
    };
    let (login_seconds, logins) = delta("http_request_duration_seconds", "operation=\"login\"");
    let (verify_seconds, _) = delta("password_hashing_seconds", "kind=\"verify\"");
    (login_seconds - verify_seconds) / logins.max(1.0) * 1000.0
}

/// A server started on `database` with the growth flags (no send limit
/// reached by the loads), logging to `log` at `rust_log`.
pub fn start_server(
    binary: &Path,
    database: &Database,
    log: &Path,
    rust_log: &str,
) -> Result<Server, String> {
    Server::start_with(
        binary,
        &database.url()?,
        log,
        4096,
        &[
            "--sends-per-address-per-hour",
            "1000000000",
            "--daily-sms-budget",
            "1000000000",
        ],
        rust_log,
    )
}

/// Where and how the growth run happened.
#[derive(Debug, Clone)]
pub struct Context {
    /// CPU model, cores, memory, kernel.
    pub machine: String,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// `oha --version`.
    pub load_generator: String,
    /// When the run started (UTC, RFC 3339).
    pub started_at: String,
    /// Seconds per load.
    pub duration_s: f64,
    /// The 1-minute load average before the run (other work on the machine).
    pub load_before: String,
    /// The large database.
    pub sizes: Sizes,
}

/// The targets: each operation within [`MAX_RATIO`] of the empty database,
/// no full scan of a large table, no errors.
pub fn verdicts(compared: &[Compared], explained: &[Explained]) -> Vec<Verdict> {
    let mut verdicts: Vec<Verdict> = compared
        .iter()
        .map(|row| {
            let (empty, large) = row.figures_ms();
            let what = if row.login_besides_hashing_ms.is_some() {
                "mean time besides Argon2id"
            } else {
                "median"
            };
            Verdict {
                target: format!(
                    "{} {what} on the large database ≤ {MAX_RATIO} × on the empty one",
                    row.operation
                ),
                measured: format!("{:.2} ({large:.3} ms / {empty:.3} ms)", row.ratio()),
                required: format!("≤ {MAX_RATIO:.2}"),
                pass: row.ratio() <= MAX_RATIO,
            }
        })
        .collect();
    let scans: Vec<&Explained> = explained.iter().filter(|e| e.full_scan.is_some()).collect();
    verdicts.push(Verdict {
        target: format!(
            "no statement reads a whole large table ({})",
            LARGE_TABLES.join(", ")
        ),
        measured: format!(
            "{} of {} statements explained",
            scans.len(),
            explained.len()
        ),
        required: "0".into(),
        pass: scans.is_empty() && !explained.is_empty(),
    });
    verdicts.push(Verdict::zero_errors(
        "zero errors in every load",
        compared.iter().flat_map(|row| [&row.empty, &row.large]),
    ));
    verdicts
}

/// The growth report as Markdown: the table, the targets, every plan.
pub fn markdown(
    context: &Context,
    compared: &[Compared],
    explained: &[Explained],
    verdicts: &[Verdict],
) -> String {
    let mut text = format!(
        "Machine: {}. Database: {}. Load generator: {} on the same machine, over loopback. \
         {} s per load; run started {}, when the 1-minute load average was {}. Large database: \
         {} users, {} live sessions, {} audit rows over 90 days; the empty one: {LOGIN_USERS} \
         users and one session.\n\n",
        context.machine,
        context.database,
        context.load_generator,
        context.duration_s,
        context.started_at,
        context.load_before,
        context.sizes.users,
        context.sizes.sessions,
        context.sizes.audit_events,
    );
    text.push_str(
        "| operation | connections | empty req/s | empty p50 ms | large req/s | large p50 ms | compared | ratio |\n\
         |---|---:|---:|---:|---:|---:|---|---:|\n",
    );
    for row in compared {
        let (empty, large) = row.figures_ms();
        let compared_what = if row.login_besides_hashing_ms.is_some() {
            format!("besides Argon2id: {empty:.3} / {large:.3} ms")
        } else {
            "p50".to_owned()
        };
        text.push_str(&format!(
            "| {} | {} | {:.1} | {:.3} | {:.1} | {:.3} | {compared_what} | {:.2} |\n",
            row.operation,
            row.empty.connections,
            row.empty.outcome.requests_per_second(),
            row.empty.outcome.latency_ms(50.0),
            row.large.outcome.requests_per_second(),
            row.large.outcome.latency_ms(50.0),
            row.ratio(),
        ));
    }
    text.push('\n');
    text.push_str(&crate::report::verdict_table(verdicts));
    text.push_str("\nQuery plans of every statement the server ran on the large database:\n\n");
    for entry in explained {
        text.push_str(&format!(
            "- `{}`{}\n",
            entry.statement,
            if entry.full_scan.is_some() {
                " **FULL SCAN**"
            } else {
                ""
            }
        ));
        for line in &entry.plan {
            text.push_str(&format!("  - `{}`\n", line.trim_end()));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_covers_every_row_in_chunks() {
        let sizes = Sizes {
            users: 600_000,
            sessions: 10,
            audit_events: 250_001,
        };
        let statements = seeding_statements(DbBackend::Postgres, &sizes, "$argon2id$x");
        let users: Vec<_> = statements
            .iter()
            .filter(|s| s.contains("INSERT INTO users"))
            .collect();
        assert_eq!(users.len(), 3);
        assert!(
            users[2].contains("generate_series(500000::bigint, 599999)"),
            "{}",
            users[2]
        );
        let audit: Vec<_> = statements
            .iter()
            .filter(|s| s.contains("INSERT INTO audit_events"))
            .collect();
        assert_eq!(audit.len(), 2);
        assert!(
            audit[1].contains("generate_series(250000::bigint, 250000)"),
            "{}",
            audit[1]
        );
        assert_eq!(statements.last().map(String::as_str), Some("ANALYZE"));
        let sqlite = seeding_statements(DbBackend::Sqlite, &sizes, "$argon2id$x");
        assert!(sqlite[0].starts_with(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 249999)"
        ));
        assert!(sqlite.iter().any(|s| s.contains(&hash_token(TOKEN))));
    }

    #[test]
    fn a_whole_large_table_read_is_a_full_scan() {
        let sqlite = |line: &str| full_scan(DbBackend::Sqlite, &[line.to_owned()]);
        assert!(sqlite("SCAN audit_events").is_some());
        assert!(sqlite("SCAN users USING COVERING INDEX idx_users_phone").is_some());
        assert!(sqlite("SEARCH users USING INDEX idx_users_phone (phone=?)").is_none());
        assert!(sqlite("SCAN sms_codes").is_none(), "not a large table");
        let postgres = |line: &str| full_scan(DbBackend::Postgres, &[line.to_owned()]);
        assert!(postgres("  ->  Seq Scan on sessions  (cost=0.00..4.00 rows=1 width=8)").is_some());
        assert!(postgres("Index Scan using idx_users_phone on users  (cost=0.42..8.44)").is_none());
    }

    #[test]
    fn statements_are_read_from_the_log_once_each() {
        let log = [
            r#"{"fields":{"message":"listening","address":"127.0.0.1:1"}}"#,
            r#"{"fields":{"message":"statement","statement":"SELECT 1 FROM users WHERE phone = '1'"}}"#,
            r#"{"fields":{"message":"statement","statement":"SELECT 1 FROM users WHERE phone = '1'"}}"#,
            r#"{"fields":{"message":"statement","statement":"INSERT INTO audit_events VALUES (1)"}}"#,
        ]
        .join("\n");
        let statements = logged_statements(&log);
        assert_eq!(statements.len(), 2);
        assert!(reads_rows(&statements[0]) && !reads_rows(&statements[1]));
    }

    #[test]
    fn the_time_of_logins_besides_hashing_is_a_difference_of_sums() {
        let metrics = |login_sum: f64, verify_sum: f64, count: u32| {
            format!(
                "http_request_duration_seconds_sum{{operation=\"login\"}} {login_sum}\n\
                 http_request_duration_seconds_count{{operation=\"login\"}} {count}\n\
                 http_request_duration_seconds_sum{{operation=\"livez\"}} 99\n\
                 password_hashing_seconds_sum{{kind=\"verify\"}} {verify_sum}\n\
                 password_hashing_seconds_count{{kind=\"verify\"}} {count}\n"
            )
        };
        // 100 logins: 2.1 s in all, 2.0 s of it verifying: 1 ms each besides.
        let ms = login_besides_hashing_ms(&metrics(1.0, 1.0, 10), &metrics(3.1, 3.0, 110));
        assert!((ms - 1.0).abs() < 1e-9, "{ms}");
    }
}
