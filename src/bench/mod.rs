//! `khub bench`: performance measurements, run by hand; results go to `docs/benchmarks.md` with
//! the machine and its load. Benchmarks are not tests: nothing here fails on a slow number.
//!
//! - `khub bench` (or `khub bench home`): seeds members, follows and posts, then times the home
//!   timeline and post creation in process;
//! - `khub bench http`: the client API's home timeline over real HTTP, open-loop, against a
//!   `khub serve` child process on the seeded database;
//! - `khub bench inbox`, `fanout`, `slow-remote`, `signing`: federation over real HTTP on
//!   loopback (signed inbox deliveries, one post to many hosts, a slow host, RSA signing).
use std::time::Duration;

use sea_orm::{ConnectionTrait, Value};

use crate::config::Settings;
use crate::db::queries::statuses::statement;

mod api;
mod federation;
mod home;
mod load;
mod receivers;

#[derive(Debug, Clone, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: Option<BenchCommand>,
    #[command(flatten)]
    pub home: HomeArgs,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum BenchCommand {
    /// Seed (or reuse) the timeline dataset and time home timelines and posting in process.
    Home(HomeArgs),
    /// Open-loop HTTP load on `GET /api/v1/timelines/home` against a `khub serve` child.
    Http(api::HttpArgs),
    /// Signed `Create(Note)` deliveries from many remote actors to a `khub serve` child's inbox.
    Inbox(federation::InboxArgs),
    /// One post by a member with many remote followers on many loopback hosts.
    Fanout(federation::FanoutArgs),
    /// Deliveries to one host that answers slowly: what per-host concurrency gives.
    SlowRemote(federation::SlowArgs),
    /// RSA-2048 signing as khub's outbox signs, against `openssl speed rsa2048`.
    Signing(federation::SigningArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct HomeArgs {
    /// Members to create.
    #[arg(long, default_value_t = 10_000)]
    pub members: usize,
    /// Posts to create in bulk (spread over the members).
    #[arg(long, default_value_t = 1_000_000)]
    pub posts: usize,
    /// Accounts each member follows.
    #[arg(long, default_value_t = 200)]
    pub follows: usize,
    /// Home timeline reads to time.
    #[arg(long, default_value_t = 2_000)]
    pub reads: usize,
    /// Posts to create through the service (timed).
    #[arg(long, default_value_t = 2_000)]
    pub timed_posts: usize,
    /// Reuse an already seeded database in the data directory instead of seeding.
    #[arg(long)]
    pub reuse: bool,
}

/// Runs the chosen benchmark and prints Markdown to standard output (progress to standard error).
pub async fn run(settings: Settings, args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        None => home::run(settings, args.home).await,
        Some(BenchCommand::Home(a)) => home::run(settings, a).await,
        Some(BenchCommand::Http(a)) => api::run(settings, a).await,
        Some(BenchCommand::Inbox(a)) => federation::inbox(settings, a).await,
        Some(BenchCommand::Fanout(a)) => federation::fanout(settings, a).await,
        Some(BenchCommand::SlowRemote(a)) => federation::slow_remote(settings, a).await,
        Some(BenchCommand::Signing(a)) => federation::signing(a).await,
    }
}

/// A tiny deterministic generator, so runs are comparable.
pub(crate) struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

pub(crate) const WORDS: &[&str] = &[
    "housing",
    "budget",
    "schools",
    "care",
    "council",
    "data",
    "policy",
    "procurement",
    "safeguarding",
    "transport",
    "planning",
    "waste",
    "libraries",
    "health",
    "digital",
    "consultation",
    "climate",
    "parks",
];

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// One multi-row INSERT (`head` names the table and columns).
pub(crate) async fn exec_batch(
    db: &impl ConnectionTrait,
    head: &str,
    cols: usize,
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let one = format!("({})", vec!["?"; cols].join(","));
    let sql = format!("{head} VALUES {}", vec![one.as_str(); rows.len()].join(","));
    let values: Vec<Value> = rows.iter().flatten().cloned().collect();
    db.execute_raw(statement(db.get_database_backend(), &sql, values)).await?;
    Ok(())
}

/// The machine and its load, for the top of every report.
pub(crate) fn machine_line() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_default();
    format!(
        "machine: {cpus} CPUs ({model}); load average {} at {}",
        load::load_average(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
    )
}
