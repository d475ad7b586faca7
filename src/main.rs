//! The `khub` command: serve, migrate, admin tasks, configuration check.
use std::process::ExitCode;

/// glibc's malloc cost a fifth of the CPU of a timeline page under load (docs/benchmarks.md);
/// mimalloc's thread-local pages cost a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use khub::app::AppState;
use khub::config::Settings;

#[derive(Parser)]
#[command(name = "khub", version, about = "A federated expert network for the public sector")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the node (web UI, client API, background jobs).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        task: AdminTask,
    },
    /// Configuration tasks.
    Config {
        #[command(subcommand)]
        task: ConfigTask,
    },
    /// Performance measurements: timelines, client API load, federation (see docs/benchmarks.md).
    Bench(khub::bench::BenchArgs),
}

#[derive(Subcommand, Clone)]
enum AdminTask {
    /// Create a confirmed, approved member.
    CreateUser {
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// Make the member an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Print a bearer token (scopes read write follow push) for scripts and tests.
    Token { name: String },
}

#[derive(Subcommand)]
enum ConfigTask {
    /// Load and check the configuration, then print the effective settings.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("KHUB_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn")
        }))
        .with_writer(std::io::stderr)
        .init();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("khub: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("khub: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("khub: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Config { task: ConfigTask::Check } => {
            println!("configuration is valid");
            println!("domain = {}", settings.domain);
            println!("bind = {}", settings.bind);
            println!("data_dir = {}", settings.data_dir.display());
            println!(
                "database = {}",
                if settings.database_url.is_empty() { "sqlite (data_dir/khub.db)" } else { "as configured" }
            );
            println!("registration = {}", settings.registration.as_str());
            println!("mail = {}", if settings.mail.smtp_host.is_empty() { "files in data_dir/mail" } else { "smtp" });
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            AppState::open(settings).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve => {
            let bind = settings.bind.clone();
            let state = AppState::open(settings).await?;
            let listener = tokio::net::TcpListener::bind(&bind).await?;
            tracing::info!(address = %bind, domain = %state.settings.domain, "khub is serving");
            khub::app::serve(state, listener).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin { task } => {
            // The server may hold SQLite's write lock for a moment; a busy database is retried.
            let mut attempt = 0;
            loop {
                attempt += 1;
                match admin(settings.clone(), &task).await {
                    Err(e) if attempt < 6 && is_busy(&e.to_string()) => {
                        tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                    }
                    other => return other,
                }
            }
        }
        Command::Bench(args) => {
            khub::bench::run(settings, args).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `khub admin …`: a busy database comes back as an error (to be retried), other refusals as
/// exit code 2 with a message.
async fn admin(settings: khub::config::Settings, task: &AdminTask) -> anyhow::Result<ExitCode> {
    let state = AppState::open(settings).await?;
    match task.clone() {
        AdminTask::CreateUser { name, email, password, admin } => {
            match khub::service::accounts::admin_create_user(&state, &name, &email, &password, admin).await {
                Ok(u) => {
                    println!("created {name} (id {}){}", u.id, if admin { " as administrator" } else { "" });
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) if is_busy(&e.to_string()) => Err(anyhow::anyhow!("{e}")),
                Err(e) => {
                    eprintln!("khub: {}", e.message);
                    Ok(ExitCode::from(2))
                }
            }
        }
        AdminTask::Token { name } => {
            let Some(account) = khub::db::queries::accounts::local_account_by_username(&state.db.conn, &name).await?
            else {
                eprintln!("khub: no local member named {name}");
                return Ok(ExitCode::from(2));
            };
            let token = khub::service::accounts::create_access_token(
                &state,
                account.id,
                khub::service::accounts::ALL_SCOPES,
                "khub admin token",
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("SQLITE_BUSY") || message.contains("database is busy")
}
