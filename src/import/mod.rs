//! `account-api import FILE`: the legacy server's accounts brought across
//! from JSON Lines (see `README.md` beside this file, "Moving from the
//! legacy server").
//!
//! The file is streamed: a reader thread reads and checks lines
//! ([`line::parse`]) and hands them over in batches; each batch's stored
//! accounts are read in one statement by id, and a second by phone for the
//! lines that need it; every line is decided (created, unchanged, updated,
//! a conflict or an error), clear passwords are hashed on the hashing
//! threads, and the batch is written in one transaction with a multi-row
//! insert per table ([`crate::store::import`]). Hashes are stored as the
//! legacy stack wrote them (detected, never re-hashed); a login replaces
//! each with Argon2id. A re-run compares instead of writing: a hash the
//! server has since re-hashed from the same imported one counts as the same
//! (its digest is kept), and a batch with nothing to write opens no
//! transaction.

mod line;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::{BufRead, Write},
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};
use serde::Serialize;

pub use line::{PasswordSource, Problem, Record, UserRecord, normalise_phone, parse};

use crate::{
    password_hasher::{PasswordHasher, legacy},
    store::{
        self,
        import::{ImportedAccount, StoredAccount, source_digest},
    },
};

/// How an import runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Check every line and write nothing.
    pub dry_run: bool,
    /// Replace a stored account or enterprise that differs from its line
    /// (otherwise: a conflict, left as it is).
    pub update: bool,
    /// Import nothing unless every line is good (one transaction).
    pub all_or_nothing: bool,
    /// Lines per batch (and per transaction).
    pub batch_size: usize,
    /// How long the sessions of imported tokens stay valid.
    pub session_lifetime: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            dry_run: false,
            update: false,
            all_or_nothing: false,
            batch_size: 1000,
            session_lifetime: Duration::days(30),
        }
    }
}

/// Where the lines come from.
#[derive(Debug, Clone)]
pub enum Input {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Input {
    /// `-` is standard input; anything else a file's path.
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            Self::Stdin
        } else {
            Self::File(PathBuf::from(arg))
        }
    }
}

/// A line reported as a conflict or an error.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LineReport {
    /// The line's number, from 1.
    pub line: u64,
    /// The field at fault.
    pub field: String,
    /// Why.
    pub reason: String,
}

/// Counts of one kind of line.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Lines whose record was created.
    pub created: u64,
    /// Lines whose record was stored already, the same.
    pub unchanged: u64,
    /// Lines whose stored record differed and was replaced (`--update`).
    pub updated: u64,
}

/// The most conflicts, and the most errors, listed one by one (all are counted).
pub const MAX_LISTED: usize = 10_000;

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Users and enterprises created.
    pub created: u64,
    /// Users and enterprises stored already, the same.
    pub unchanged: u64,
    /// Users and enterprises replaced by their line (`--update`).
    pub updated: u64,
    /// Lines that differ from what is stored, left as it is (the first
    /// [`MAX_LISTED`]).
    pub conflicts: Vec<LineReport>,
    /// Lines refused (the first [`MAX_LISTED`]).
    pub errors: Vec<LineReport>,
    /// User lines per password scheme (`password`: in clear).
    pub schemes: BTreeMap<String, u64>,
    /// The counts of user lines.
    pub users: Counts,
    /// The counts of enterprise lines.
    pub enterprises: Counts,
    /// All conflicts, listed or not.
    pub conflict_count: u64,
    /// All errors, listed or not.
    pub error_count: u64,
    /// Sessions opened for legacy tokens.
    pub sessions_opened: u64,
    /// Lines read (blank lines included).
    pub lines: u64,
    /// A dry run: nothing was written.
    pub dry_run: bool,
    /// Whether what is counted here is in the database: false for a dry
    /// run, and for `--all-or-nothing` with an error or an interruption.
    pub written: bool,
    /// Stopped by SIGINT (at a batch boundary): lines after
    /// `last_line_done` were not read or not written.
    pub interrupted: bool,
    /// The last line decided (and written, unless `written` is false).
    pub last_line_done: u64,
    /// Seconds the import took.
    pub seconds: f64,
    /// Lines per second.
    pub rows_per_second: f64,
}

impl Report {
    fn conflict(&mut self, line: u64, field: &str, reason: String) {
        self.conflict_count += 1;
        if self.conflicts.len() < MAX_LISTED {
            self.conflicts.push(LineReport {
                line,
                field: field.to_owned(),
                reason,
            });
        }
    }

    fn error(&mut self, line: u64, problem: Problem) {
        self.error_count += 1;
        if self.errors.len() < MAX_LISTED {
            self.errors.push(LineReport {
                line,
                field: problem.field,
                reason: problem.reason,
            });
        }
    }

    fn absorb(&mut self, other: Report) {
        self.users.created += other.users.created;
        self.users.unchanged += other.users.unchanged;
        self.users.updated += other.users.updated;
        self.enterprises.created += other.enterprises.created;
        self.enterprises.unchanged += other.enterprises.unchanged;
        self.enterprises.updated += other.enterprises.updated;
        self.created = self.users.created + self.enterprises.created;
        self.unchanged = self.users.unchanged + self.enterprises.unchanged;
        self.updated = self.users.updated + self.enterprises.updated;
        for conflict in other.conflicts {
            self.conflict(conflict.line, &conflict.field, conflict.reason);
        }
        for error in other.errors {
            self.error(
                error.line,
                Problem {
                    field: error.field,
                    reason: error.reason,
                },
            );
        }
        for (scheme, count) in other.schemes {
            *self.schemes.entry(scheme).or_default() += count;
        }
        self.sessions_opened += other.sessions_opened;
    }

    /// Whether the run should end with a failure status: an error, or an
    /// interruption.
    pub fn failed(&self) -> bool {
        self.error_count > 0 || self.interrupted
    }

    /// The summary printed at the end of every run.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} lines in {:.1} s ({:.0} rows/s){}: {} created, {} unchanged, {} updated, \
             {} conflicts, {} errors; {} sessions opened for legacy tokens",
            self.lines,
            self.seconds,
            self.rows_per_second,
            if self.dry_run { ", dry run" } else { "" },
            self.created,
            self.unchanged,
            self.updated,
            self.conflict_count,
            self.error_count,
            self.sessions_opened,
        );
        if !self.schemes.is_empty() {
            let schemes: Vec<String> = self
                .schemes
                .iter()
                .map(|(scheme, count)| format!("{scheme} {count}"))
                .collect();
            text.push_str(&format!("\npassword schemes: {}", schemes.join(", ")));
        }
        for (kind, list, total) in [
            ("conflict", &self.conflicts, self.conflict_count),
            ("error", &self.errors, self.error_count),
        ] {
            for item in list.iter().take(20) {
                text.push_str(&format!(
                    "\n{kind}: line {}: {}: {}",
                    item.line, item.field, item.reason
                ));
            }
            if total > 20 {
                text.push_str(&format!("\n... {} more {kind}s (see --report)", total - 20));
            }
        }
        if self.interrupted {
            text.push_str(&format!(
                "\ninterrupted: lines up to {} were {}; the rest were not read",
                self.last_line_done,
                if self.written {
                    "imported"
                } else {
                    "checked, and nothing was written"
                }
            ));
        }
        if self.dry_run {
            text.push_str("\ndry run: nothing was written");
        } else if !self.written {
            text.push_str("\n--all-or-nothing: nothing was imported");
        } else if self.error_count > 0 {
            text.push_str("\nthe good lines were imported; fix the errors and run again");
        }
        text
    }
}

/// What stops an import before its end (a line's problem never does).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input could not be read.
    #[error("cannot read the input: {0}")]
    Read(#[from] std::io::Error),
    /// The database failed.
    #[error("the database failed: {0}")]
    Database(#[from] DbErr),
    /// A password could not be hashed.
    #[error("hashing a password failed: {0}")]
    Hash(#[from] crate::password_hasher::HashError),
}

/// A batch of lines as the reader hands them over.
struct Batch {
    lines: Vec<(u64, Option<Result<Record, Problem>>)>,
    bytes_read: u64,
}

/// Starts the reader thread: lines of `input`, checked, `batch_size` at a
/// time; it stops reading when `stop` is set.
fn spawn_reader(
    input: Input,
    batch_size: usize,
    stop: Arc<AtomicBool>,
) -> Result<
    (
        tokio::sync::mpsc::Receiver<std::io::Result<Batch>>,
        Option<u64>,
    ),
    std::io::Error,
> {
    let (reader, total): (Box<dyn BufRead + Send>, Option<u64>) = match input {
        Input::Stdin => (
            Box::new(std::io::BufReader::with_capacity(1 << 16, std::io::stdin())),
            None,
        ),
        Input::File(path) => {
            let file = std::fs::File::open(&path).map_err(|err| {
                std::io::Error::new(err.kind(), format!("{}: {err}", path.display()))
            })?;
            let total = file
                .metadata()
                .ok()
                .filter(|meta| meta.is_file())
                .map(|meta| meta.len());
            (
                Box::new(std::io::BufReader::with_capacity(1 << 16, file)),
                total,
            )
        }
    };
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    std::thread::Builder::new()
        .name("import-reader".to_owned())
        .spawn(move || read_lines(reader, batch_size.max(1), &stop, &sender))?;
    Ok((receiver, total))
}

fn read_lines(
    mut reader: Box<dyn BufRead + Send>,
    batch_size: usize,
    stop: &AtomicBool,
    sender: &tokio::sync::mpsc::Sender<std::io::Result<Batch>>,
) {
    let mut number = 0u64;
    let mut bytes_read = 0u64;
    let mut buffer = Vec::with_capacity(1024);
    let mut lines = Vec::with_capacity(batch_size);
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        buffer.clear();
        match reader.read_until(b'\n', &mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                bytes_read += read as u64;
                number += 1;
                let mut text = buffer.as_slice();
                while let [rest @ .., b'\n' | b'\r'] = text {
                    text = rest;
                }
                let checked = if text.iter().all(u8::is_ascii_whitespace) {
                    None
                } else {
                    Some(parse(text))
                };
                lines.push((number, checked));
                if lines.len() == batch_size {
                    let batch = Batch {
                        lines: std::mem::replace(&mut lines, Vec::with_capacity(batch_size)),
                        bytes_read,
                    };
                    if sender.blocking_send(Ok(batch)).is_err() {
                        return;
                    }
                }
            }
            Err(err) => {
                let _ = sender.blocking_send(Err(err));
                return;
            }
        }
    }
    if !lines.is_empty() {
        let _ = sender.blocking_send(Ok(Batch { lines, bytes_read }));
    }
}

/// Imports `input` into `db` (migrated), hashing clear passwords with
/// `hasher`, writing progress lines to `progress` about every two seconds;
/// stops at the next batch boundary once `stop` is set.
pub async fn run(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    input: Input,
    options: &Options,
    stop: Arc<AtomicBool>,
    progress: &mut (dyn Write + Send),
) -> Result<Report, ImportError> {
    let started = Instant::now();
    let (mut batches, total) = spawn_reader(input, options.batch_size, Arc::clone(&stop))?;
    let mut importer = Importer {
        hasher,
        options,
        known_enterprises: HashSet::new(),
    };
    let mut report = Report {
        dry_run: options.dry_run,
        ..Report::default()
    };
    let whole: Option<DatabaseTransaction> = if options.all_or_nothing && !options.dry_run {
        Some(store::begin_write(db).await?)
    } else {
        None
    };
    let mut last_progress = Instant::now();
    loop {
        let batch = tokio::select! {
            batch = batches.recv() => batch,
            () = stopped(&stop) => None,
        };
        let Some(batch) = batch else { break };
        let batch = batch?;
        let now = Utc::now();
        let done = match &whole {
            Some(txn) => {
                let (outcome, plan) = importer.plan(txn, &batch.lines).await?;
                write(txn, &plan, now, options.session_lifetime)
                    .await
                    .map(|opened| (outcome, plan, opened))?
            }
            None => importer.plan_and_write(db, &batch.lines, now).await?,
        };
        let (mut outcome, plan, opened) = done;
        outcome.sessions_opened = opened;
        importer.known_enterprises.extend(plan.enterprises_known());
        report.absorb(outcome);
        report.lines = batch
            .lines
            .last()
            .map_or(report.lines, |(number, _)| *number);
        report.last_line_done = report.lines;
        let bytes_done = batch.bytes_read;
        if last_progress.elapsed() >= std::time::Duration::from_secs(2) {
            last_progress = Instant::now();
            let elapsed = started.elapsed().as_secs_f64().max(1e-9);
            let share = total
                .filter(|total| *total > 0)
                .map(|total| {
                    format!(
                        " ({:.0}% of the file)",
                        bytes_done as f64 * 100.0 / total as f64
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                progress,
                "import: {} lines{share}, {:.0} rows/s; {} created, {} unchanged, {} updated, \
                 {} conflicts, {} errors",
                report.lines,
                report.lines as f64 / elapsed,
                report.created,
                report.unchanged,
                report.updated,
                report.conflict_count,
                report.error_count,
            );
        }
        if stop.load(Ordering::Relaxed) {
            report.interrupted = true;
            break;
        }
    }
    if stop.load(Ordering::Relaxed) {
        report.interrupted = true;
    }
    report.written = !options.dry_run;
    if let Some(txn) = whole {
        if report.error_count == 0 && !report.interrupted {
            txn.commit().await?;
        } else {
            txn.rollback().await?;
            report.written = false;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.rows_per_second = report.lines as f64 / report.seconds.max(1e-9);
    Ok(report)
}

/// Completes once `stop` is set (checked ten times a second).
async fn stopped(stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// What a batch writes.
#[derive(Default)]
struct Plan {
    /// Enterprises found stored (not written: known to exist for the
    /// batches after).
    stored_enterprises: Vec<i64>,
    new_enterprises: Vec<(i64, String)>,
    renamed_enterprises: Vec<(i64, String)>,
    new_accounts: Vec<ImportedAccount>,
    /// Accounts replaced, with their stored latest application.
    updated_accounts: Vec<(ImportedAccount, Option<(i64, i16)>)>,
}

impl Plan {
    /// The enterprises the batches after may refer to without reading
    /// them: found stored, or created by this one.
    fn enterprises_known(&self) -> impl Iterator<Item = i64> + '_ {
        self.stored_enterprises
            .iter()
            .copied()
            .chain(self.new_enterprises.iter().map(|(id, _)| *id))
    }

    /// Whether the batch writes nothing.
    fn is_empty(&self) -> bool {
        self.new_enterprises.is_empty()
            && self.renamed_enterprises.is_empty()
            && self.new_accounts.is_empty()
            && self.updated_accounts.is_empty()
    }
}

/// Writes `plan` through `db` (a transaction); how many sessions it opened.
async fn write(
    db: &DatabaseTransaction,
    plan: &Plan,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<u64, DbErr> {
    store::import::insert_enterprises(db, &plan.new_enterprises, now).await?;
    for (id, name) in &plan.renamed_enterprises {
        store::import::rename_enterprise(db, *id, name).await?;
    }
    let opened = store::import::insert_accounts(db, &plan.new_accounts, now, lifetime).await?;
    let reopened =
        store::import::update_accounts(db, &plan.updated_accounts, now, lifetime).await?;
    Ok(opened + reopened)
}

/// An account as a line is compared with: stored, or planned by an earlier
/// line of the same batch.
#[derive(Clone)]
struct Known {
    stored: StoredAccount,
    /// The clear password of an earlier line of the batch (its hash is not
    /// made yet).
    clear: Option<String>,
    /// The line that planned it, if one of this batch did.
    planned_by: Option<u64>,
}

struct Importer<'a> {
    hasher: &'a PasswordHasher,
    options: &'a Options,
    /// Enterprises known to exist: stored, or created by this run.
    known_enterprises: HashSet<i64>,
}

/// The most attempts at a batch whose write failed (e.g. a registration of
/// one of its phones between its reads and its write).
const ATTEMPTS: usize = 3;

impl Importer<'_> {
    /// Plans a batch and writes it in a transaction of its own (or nothing,
    /// in a dry run), trying again from its reads when the write fails.
    async fn plan_and_write(
        &mut self,
        db: &DatabaseConnection,
        lines: &[(u64, Option<Result<Record, Problem>>)],
        now: DateTime<Utc>,
    ) -> Result<(Report, Plan, u64), ImportError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (outcome, plan) = self.plan(db, lines).await?;
            // A batch with nothing to write (a dry run, or every line
            // unchanged or refused) opens no transaction.
            if self.options.dry_run || plan.is_empty() {
                return Ok((outcome, plan, 0));
            }
            let txn = store::begin_write(db).await?;
            match write(&txn, &plan, now, self.options.session_lifetime).await {
                Ok(opened) => {
                    txn.commit().await?;
                    return Ok((outcome, plan, opened));
                }
                Err(err) if attempt < ATTEMPTS => {
                    tracing::warn!(error = %err, attempt, "writing a batch failed; reading it again");
                    txn.rollback().await?;
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// Decides every line of a batch against what `db` stores.
    async fn plan(
        &self,
        db: &impl ConnectionTrait,
        lines: &[(u64, Option<Result<Record, Problem>>)],
    ) -> Result<(Report, Plan), ImportError> {
        let mut outcome = Report::default();
        let mut plan = Plan::default();

        // What the batch names: the enterprises of its enterprise lines
        // (compared with what is stored), those its users refer to that are
        // not known to exist yet, and account ids.
        let mut enterprise_ids = Vec::new();
        let mut referred = Vec::new();
        let mut ids = Vec::new();
        for (_, record) in lines {
            match record {
                Some(Ok(Record::Enterprise { id, .. })) => enterprise_ids.push(*id),
                Some(Ok(Record::User(user))) => {
                    if let Some(id) = &user.user_id {
                        ids.push(id.clone());
                    }
                    referred.extend(user.enterprise_id);
                    referred.extend(user.application.map(|(id, _)| id));
                }
                _ => {}
            }
        }
        referred.retain(|id| !self.known_enterprises.contains(id));
        enterprise_ids.append(&mut referred);
        enterprise_ids.sort_unstable();
        enterprise_ids.dedup();
        let mut enterprises: HashMap<i64, String> =
            store::import::enterprise_names(db, &enterprise_ids).await?;
        plan.stored_enterprises = enterprises.keys().copied().collect();
        let mut known = Known::index(stored_accounts(db, lines, ids).await?);

        // Clear passwords against stored accounts: checked all at once.
        let mut clear_matches: HashMap<u64, bool> = HashMap::new();
        {
            let mut checks = Vec::new();
            for (number, record) in lines {
                if let Some(Ok(Record::User(user))) = record
                    && let PasswordSource::Clear(password) = &user.password
                    && let Some(found) = known.find(user)
                {
                    let hash = found.stored.password_hash.clone();
                    checks.push(async move {
                        (*number, self.hasher.verify(password, Some(hash)).await)
                    });
                }
            }
            for (number, matched) in futures_util::future::join_all(checks).await {
                clear_matches.insert(number, matched?);
            }
        }

        let mut to_hash: Vec<(usize, bool, String)> = Vec::new();
        for (number, record) in lines {
            let number = *number;
            let record = match record {
                None => continue,
                Some(Err(problem)) => {
                    outcome.error(number, problem.clone());
                    continue;
                }
                Some(Ok(record)) => record,
            };
            match record {
                Record::Enterprise { id, name } => {
                    match enterprises.get(id) {
                        None => {
                            plan.new_enterprises.push((*id, name.clone()));
                            outcome.enterprises.created += 1;
                        }
                        Some(stored) if stored == name => outcome.enterprises.unchanged += 1,
                        Some(_) if self.options.update => {
                            plan.renamed_enterprises.push((*id, name.clone()));
                            outcome.enterprises.updated += 1;
                        }
                        Some(stored) => outcome.conflict(
                            number,
                            "name",
                            format!("enterprise {id} is stored as {stored:?}"),
                        ),
                    }
                    enterprises.insert(*id, name.clone());
                }
                Record::User(user) => {
                    *outcome
                        .schemes
                        .entry(user.password.scheme_name().to_owned())
                        .or_default() += 1;
                    let missing = [
                        ("enterprise_id", user.enterprise_id),
                        (
                            "application.enterprise_id",
                            user.application.map(|(id, _)| id),
                        ),
                    ]
                    .into_iter()
                    .find_map(|(field, id)| {
                        id.filter(|id| {
                            !self.known_enterprises.contains(id) && !enterprises.contains_key(id)
                        })
                        .map(|id| (field, id))
                    });
                    if let Some((field, id)) = missing {
                        outcome.error(
                            number,
                            Problem {
                                field: field.to_owned(),
                                reason: format!(
                                    "no enterprise {id} is stored or given on an earlier line"
                                ),
                            },
                        );
                        continue;
                    }
                    match self.decide(user, &known, clear_matches.get(&number).copied()) {
                        Decision::Create(account, clear) => {
                            outcome.users.created += 1;
                            known.plan(number, &account, clear.clone());
                            if let Some(clear) = clear {
                                to_hash.push((plan.new_accounts.len(), false, clear));
                            }
                            plan.new_accounts.push(account);
                        }
                        Decision::Update(account, clear, stored_application) => {
                            outcome.users.updated += 1;
                            known.plan(number, &account, clear.clone());
                            if let Some(clear) = clear {
                                to_hash.push((plan.updated_accounts.len(), true, clear));
                            }
                            plan.updated_accounts.push((account, stored_application));
                        }
                        Decision::Unchanged => outcome.users.unchanged += 1,
                        Decision::Conflict(field, reason) => {
                            outcome.conflict(number, field, reason);
                        }
                    }
                }
            }
        }

        // Clear passwords of new and replaced accounts, hashed all at once
        // (a dry run only checks them).
        if !self.options.dry_run && !to_hash.is_empty() {
            let hashes =
                futures_util::future::join_all(to_hash.iter().map(|(_, _, clear)| async move {
                    let password = crate::domain::Password::parse(clear)
                        .expect("checked when the line was read");
                    self.hasher.hash(&password).await
                }))
                .await;
            for ((index, updated, _), hash) in to_hash.into_iter().zip(hashes) {
                let hash = hash?;
                let account = if updated {
                    &mut plan.updated_accounts[index].0
                } else {
                    &mut plan.new_accounts[index]
                };
                account.password_hash = hash;
            }
        }
        Ok((outcome, plan))
    }

    /// What to do with a user line, given what is known.
    fn decide(
        &self,
        user: &UserRecord,
        known: &KnownAccounts,
        clear_matches: Option<bool>,
    ) -> Decision {
        let phone = user.phone.as_str();
        let by_id = user.user_id.as_deref().and_then(|id| known.by_id(id));
        let by_phone = known.by_phone(phone);
        let found = match (&user.user_id, by_id, by_phone) {
            (_, None, None) => None,
            (Some(id), None, Some(other)) => {
                return Decision::Conflict(
                    "phone",
                    format!(
                        "the phone belongs to account {} (not {id}){}",
                        other.stored.id,
                        earlier(other)
                    ),
                );
            }
            (_, Some(account), Some(other)) if account.stored.id != other.stored.id => {
                return Decision::Conflict(
                    "phone",
                    format!(
                        "the phone belongs to another account, {}{}",
                        other.stored.id,
                        earlier(other)
                    ),
                );
            }
            (_, Some(account), _) | (None, None, Some(account)) => Some(account),
        };
        let Some(found) = found else {
            let (account, clear) = self.account_of(user, None);
            return Decision::Create(account, clear);
        };
        let differences = self.differences(user, found, clear_matches);
        if differences.is_empty() {
            return Decision::Unchanged;
        }
        if self.options.update {
            let (account, clear) = self.account_of(user, Some(&found.stored));
            return Decision::Update(account, clear, found.stored.application);
        }
        Decision::Conflict(
            differences[0],
            format!(
                "differs from the stored account {} in {}{}",
                found.stored.id,
                differences.join(", "),
                earlier(found)
            ),
        )
    }

    /// The fields of `user` that differ from `found` (the device and tokens
    /// are not compared: they change as the user logs in).
    fn differences(
        &self,
        user: &UserRecord,
        found: &Known,
        clear_matches: Option<bool>,
    ) -> Vec<&'static str> {
        let stored = &found.stored;
        let mut differences = Vec::new();
        if stored.phone != user.phone.as_str() {
            differences.push("phone");
        }
        if stored.name != user.name.as_str() {
            differences.push("name");
        }
        let same_password = match &user.password {
            PasswordSource::Hash { hash, .. } => {
                stored.password_hash == *hash
                    || stored.source_digest.as_deref() == Some(&source_digest(&stored.id, hash))
            }
            PasswordSource::Clear(password) => match &found.clear {
                Some(clear) => clear == password.expose(),
                None => clear_matches.unwrap_or(false),
            },
        };
        if !same_password {
            differences.push(match user.password {
                PasswordSource::Hash { .. } => "password_hash",
                PasswordSource::Clear(_) => "password",
            });
        }
        if let Some(created_at) = user.created_at
            && created_at.timestamp_micros() != stored.created_at.timestamp_micros()
        {
            differences.push("created_at");
        }
        if stored.enterprise_id != user.enterprise_id {
            differences.push("enterprise_id");
        }
        if stored.permissions != user.permissions {
            differences.push("permissions");
        }
        if user.application.is_some() && stored.application != user.application {
            differences.push("application");
        }
        differences
    }

    /// The account a line makes (replacing `stored` when given), and its
    /// clear password to hash, if it has one.
    fn account_of(
        &self,
        user: &UserRecord,
        stored: Option<&StoredAccount>,
    ) -> (ImportedAccount, Option<String>) {
        let id = match (stored, &user.user_id) {
            (Some(stored), _) => stored.id.clone(),
            (None, Some(id)) => id.clone(),
            (None, None) => uuid::Uuid::new_v4().simple().to_string(),
        };
        let (password_hash, scheme, digest, clear) = match &user.password {
            PasswordSource::Hash { hash, scheme } => (
                hash.clone(),
                (!legacy::is_current(hash)).then(|| scheme.name()),
                Some(source_digest(&id, hash)),
                None,
            ),
            PasswordSource::Clear(password) => (
                String::new(),
                None,
                None,
                Some(password.expose().to_owned()),
            ),
        };
        let device_identifier = match (&user.device_identifier, stored) {
            (Some(device), _) => device.as_str().to_owned(),
            (None, Some(stored)) => stored.device_identifier.clone(),
            (None, None) => String::new(),
        };
        let created_at = user
            .created_at
            .or(stored.map(|stored| stored.created_at))
            .unwrap_or_else(Utc::now);
        (
            ImportedAccount {
                id,
                phone: user.phone.as_str().to_owned(),
                name: user.name.as_str().to_owned(),
                password_hash,
                scheme,
                source_digest: digest,
                device_identifier,
                enterprise_id: user.enterprise_id,
                permissions: user.permissions.clone(),
                created_at,
                application: user.application,
                tokens: user.tokens.clone(),
            },
            clear,
        )
    }
}

/// The stored accounts the user lines of a batch name: by id (`ids`, the
/// ids the lines give), then by phone only for the lines that need it —
/// those without an id, whose id is not stored, or whose stored account has
/// another phone (which some other account may hold). A re-run of the same
/// file reads by id alone.
async fn stored_accounts(
    db: &impl ConnectionTrait,
    lines: &[(u64, Option<Result<Record, Problem>>)],
    mut ids: Vec<String>,
) -> Result<Vec<StoredAccount>, DbErr> {
    ids.sort_unstable();
    ids.dedup();
    let mut accounts = store::import::accounts_by_id(db, &ids).await?;
    let phone_of: HashMap<&str, &str> = accounts
        .iter()
        .map(|account| (account.id.as_str(), account.phone.as_str()))
        .collect();
    let mut phones: Vec<String> = lines
        .iter()
        .filter_map(|(_, record)| match record {
            Some(Ok(Record::User(user))) => Some(user),
            _ => None,
        })
        .filter(|user| {
            user.user_id
                .as_deref()
                .and_then(|id| phone_of.get(id))
                .is_none_or(|stored| *stored != user.phone.as_str())
        })
        .map(|user| user.phone.as_str().to_owned())
        .collect();
    phones.sort_unstable();
    phones.dedup();
    let found: HashSet<String> = accounts.iter().map(|account| account.id.clone()).collect();
    accounts.extend(
        store::import::accounts_by_phone(db, &phones)
            .await?
            .into_iter()
            .filter(|account| !found.contains(&account.id)),
    );
    Ok(accounts)
}

/// ", as planned by line N" when an earlier line of the batch planned it.
fn earlier(known: &Known) -> String {
    known
        .planned_by
        .map(|line| format!(" (as given on line {line})"))
        .unwrap_or_default()
}

enum Decision {
    Create(ImportedAccount, Option<String>),
    Update(ImportedAccount, Option<String>, Option<(i64, i16)>),
    Unchanged,
    Conflict(&'static str, String),
}

/// The accounts a batch compares its lines with, by id and by phone.
struct KnownAccounts {
    accounts: Vec<Known>,
    by_id: HashMap<String, usize>,
    by_phone: HashMap<String, usize>,
}

impl Known {
    fn index(stored: Vec<StoredAccount>) -> KnownAccounts {
        let mut known = KnownAccounts {
            accounts: Vec::with_capacity(stored.len()),
            by_id: HashMap::new(),
            by_phone: HashMap::new(),
        };
        for account in stored {
            known.insert(Known {
                stored: account,
                clear: None,
                planned_by: None,
            });
        }
        known
    }
}

impl KnownAccounts {
    fn insert(&mut self, account: Known) {
        let index = self.accounts.len();
        self.by_id.insert(account.stored.id.clone(), index);
        self.by_phone.insert(account.stored.phone.clone(), index);
        self.accounts.push(account);
    }

    fn by_id(&self, id: &str) -> Option<&Known> {
        self.by_id.get(id).map(|index| &self.accounts[*index])
    }

    fn by_phone(&self, phone: &str) -> Option<&Known> {
        self.by_phone.get(phone).map(|index| &self.accounts[*index])
    }

    /// The stored account a line names (by its id, else its phone).
    fn find(&self, user: &UserRecord) -> Option<&Known> {
        user.user_id
            .as_deref()
            .and_then(|id| self.by_id(id))
            .or_else(|| self.by_phone(user.phone.as_str()))
    }

    /// Records what line `number` plans, for the later lines of the batch.
    fn plan(&mut self, number: u64, account: &ImportedAccount, clear: Option<String>) {
        if let Some(index) = self.by_id.get(&account.id).copied() {
            // An update: the old phone no longer names it.
            let old_phone = self.accounts[index].stored.phone.clone();
            if self.by_phone.get(&old_phone) == Some(&index) {
                self.by_phone.remove(&old_phone);
            }
        }
        self.insert(Known {
            stored: StoredAccount {
                id: account.id.clone(),
                phone: account.phone.clone(),
                name: account.name.clone(),
                password_hash: account.password_hash.clone(),
                source_digest: account.source_digest.clone(),
                device_identifier: account.device_identifier.clone(),
                enterprise_id: account.enterprise_id,
                permissions: account.permissions.clone(),
                created_at: account.created_at,
                application: account.application,
            },
            clear,
            planned_by: Some(number),
        });
    }
}
