//! The `account-api` binary: parses the command line and runs the library.

use std::process::ExitCode;

use account_api::{
    Application, api, database,
    settings::{Cli, Command, LogFormat},
};
use tracing_subscriber::EnvFilter;

/// Each idle keep-alive connection keeps hyper's read and write buffers (8
/// KiB each), of which it has touched the first page or so: jemalloc hands
/// out such blocks page-aligned from slabs and leaves untouched pages
/// unbacked, where glibc's malloc packs them between chunk headers that back
/// most of both. Its background threads (the `background_threads` feature)
/// hand pages freed after a burst back to the system within seconds, instead
/// of at the next allocation.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let (command, log_format) = match Cli::load() {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(log_format);

    let result = match command {
        Command::Openapi => print(&api::openapi_json()),
        Command::SandboxOpenapi => print(&api::sandbox::sandbox_json()),
        Command::AdminOpenapi => print(&api::admin::admin_json()),
        Command::Sandbox(command) => account_api::startup::run_sandbox(command).await,
        Command::ConfigSchema => print(&account_api::settings::config_schema()),
        Command::Migrate(settings) => migrate(&settings).await,
        Command::Demo(command) => demo(&command).await,
        Command::Serve(settings) => serve(settings).await,
        Command::AdminToken(command) => admin_token(command.action).await,
        Command::Import(command) => import(command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error, filtered by `RUST_LOG` (default `info`).
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Pretty => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
}

async fn serve(settings: account_api::settings::Settings) -> Result<(), String> {
    let application = Application::build(settings)
        .await
        .map_err(|err| err.to_string())?;
    application
        .run_until_stopped()
        .await
        .map_err(|err| format!("server failed: {err}"))
}

/// Writes `text` and a newline to standard output. A reader that stopped
/// reading (`account-api openapi | head -1`) ends the command quietly, as
/// it would a C tool, rather than with a panic (Rust ignores SIGPIPE).
fn print(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    match written {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to standard output: {err}"))
        }
        _ => Ok(()),
    }
}

async fn demo(command: &account_api::settings::DemoCommand) -> Result<(), String> {
    let db = migrated_database(&command.database).await?;
    let others = account_api::demo::other_accounts(&db)
        .await
        .map_err(|err| format!("cannot count the accounts: {err}"))?;
    if others > 0 && !command.allow_existing_accounts {
        return Err(format!(
            "the database holds {others} account(s) besides the demo users; `demo` adds \
             accounts whose password ({}) is published, so it refuses a database in use. \
             Give --allow-existing-accounts to load them anyway (never in production)",
            account_api::demo::DEMO_PASSWORD
        ));
    }
    let users = account_api::demo::load(
        &db,
        &account_api::password_hasher::PasswordHasher::per_core(),
    )
    .await
    .map_err(|err| format!("loading the demo data failed: {err}"))?;
    let mut text = format!(
        "Demo users (password {} for all):",
        account_api::demo::DEMO_PASSWORD
    );
    for user in users {
        text.push_str(&format!(
            "\n  {}  {}  — login shows {}",
            user.phone, user.name, user.shows
        ));
    }
    print(&text)
}

/// `admin-token create | list | revoke`.
async fn admin_token(action: account_api::settings::AdminTokenAction) -> Result<(), String> {
    use account_api::{flows::admin_tokens, settings::AdminTokenAction};
    let db = migrated_database(action.database()).await?;
    let failed = |err: account_api::flows::FlowError| format!("the database failed: {err}");
    match action {
        AdminTokenAction::Create { name, .. } => {
            match admin_tokens::create(&db, &name, chrono::Utc::now())
                .await
                .map_err(failed)?
            {
                Ok(token) => {
                    tracing::info!(
                        name,
                        "admin token created; it is printed once and stored only as its hash"
                    );
                    print(token.reveal())
                }
                Err(admin_tokens::CreateRefusal::BadName(problem)) => {
                    Err(format!("--name {name:?}: {problem}"))
                }
                Err(admin_tokens::CreateRefusal::NameTaken) => Err(format!(
                    "--name {name:?}: an admin token of that name exists; revoke it first \
                     (admin-token revoke {name}) or choose another name"
                )),
            }
        }
        AdminTokenAction::List { .. } => {
            let tokens = admin_tokens::list(&db).await.map_err(failed)?;
            let when = |time: chrono::DateTime<chrono::Utc>| time.format("%Y-%m-%dT%H:%M:%SZ");
            let width = tokens
                .iter()
                .map(|token| token.name.chars().count())
                .chain([4])
                .max()
                .unwrap_or(4);
            let mut text = format!("{:width$}  {:20}  LAST USED", "NAME", "CREATED");
            for token in tokens {
                let used = token
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), |used| when(used).to_string());
                text.push_str(&format!(
                    "\n{:width$}  {:20}  {used}",
                    token.name,
                    when(token.created_at).to_string()
                ));
            }
            print(&text)
        }
        AdminTokenAction::Revoke { name, .. } => {
            if admin_tokens::revoke(&db, &name).await.map_err(failed)? {
                tracing::info!(name, "admin token revoked");
                Ok(())
            } else {
                Err(format!(
                    "no admin token is named {name:?} (see admin-token list)"
                ))
            }
        }
    }
}

/// `import FILE`: the summary on standard output, progress on standard
/// error; SIGINT stops at the next batch boundary.
async fn import(command: account_api::settings::ImportCommand) -> Result<(), String> {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };

    use account_api::import;
    let db = migrated_database(&command.database).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let interrupt = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("import: interrupted; stopping after the batch being written");
                stop.store(true, Ordering::Relaxed);
            }
        })
    };
    let options = import::Options {
        dry_run: command.dry_run,
        update: command.update,
        all_or_nothing: command.all_or_nothing,
        batch_size: command.batch_size as usize,
        session_lifetime: chrono::Duration::days(i64::from(command.session_ttl_days)),
    };
    let hasher = account_api::password_hasher::PasswordHasher::per_core();
    let result = import::run(
        &db,
        &hasher,
        import::Input::from_arg(&command.file),
        &options,
        stop,
        &mut std::io::stderr(),
    )
    .await;
    interrupt.abort();
    let report = result.map_err(|err| format!("import failed: {err}"))?;
    if let Some(path) = &command.report {
        let json = serde_json::to_string_pretty(&report).expect("the report serializes");
        std::fs::write(path, json + "\n")
            .map_err(|err| format!("cannot write --report {}: {err}", path.display()))?;
    }
    print(&report.summary())?;
    if report.interrupted {
        return Err(format!(
            "import interrupted after line {}",
            report.last_line_done
        ));
    }
    if report.error_count > 0 {
        return Err(format!(
            "{} line(s) had errors{}",
            report.error_count,
            if report.written {
                "; the other lines were imported"
            } else {
                "; nothing was imported"
            }
        ));
    }
    Ok(())
}

async fn migrate(settings: &account_api::settings::DatabaseSettings) -> Result<(), String> {
    migrated_database(settings).await?;
    tracing::info!("migrations applied");
    Ok(())
}

/// The database of `settings`, with every migration applied.
async fn migrated_database(
    settings: &account_api::settings::DatabaseSettings,
) -> Result<sea_orm::DatabaseConnection, String> {
    let db = database::connect(settings)
        .await
        .map_err(|err| format!("cannot open the database: {err}"))?;
    database::migrate(&db)
        .await
        .map_err(|err| format!("migration failed: {err}"))?;
    Ok(db)
}
