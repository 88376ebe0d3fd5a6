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
        Command::Openapi => {
            println!("{}", api::openapi_json());
            Ok(())
        }
        Command::SandboxOpenapi => {
            println!("{}", api::sandbox::sandbox_json());
            Ok(())
        }
        Command::Sandbox(command) => account_api::startup::run_sandbox(command).await,
        Command::ConfigSchema => {
            println!("{}", account_api::settings::config_schema());
            Ok(())
        }
        Command::Migrate(settings) => migrate(&settings).await,
        Command::Demo(settings) => demo(&settings).await,
        Command::Serve(settings) => serve(settings).await,
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

async fn demo(settings: &account_api::settings::DatabaseSettings) -> Result<(), String> {
    let db = migrated_database(settings).await?;
    let users = account_api::demo::load(
        &db,
        &account_api::password_hasher::PasswordHasher::per_core(),
    )
    .await
    .map_err(|err| format!("loading the demo data failed: {err}"))?;
    println!(
        "Demo users (password {} for all):",
        account_api::demo::DEMO_PASSWORD
    );
    for user in users {
        println!(
            "  {}  {}  — login shows {}",
            user.phone, user.name, user.shows
        );
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
