//! `khub bench http`: the client API's home timeline under open-loop load over real HTTP.
//!
//! Runs against a `khub serve` child process (this binary, release build) on the database seeded
//! by `khub bench home` (`KHUB_DATA_DIR` for SQLite, plus `KHUB_DATABASE_URL` for PostgreSQL).
//! Requests leave on a fixed schedule whatever the server does, each with the token of one of
//! many members, and latency runs from the scheduled send time (see `load::open_loop`). Then,
//! optionally, "cold" reads: the server is stopped, the OS page cache dropped (as root), the
//! server started again, and members no earlier run has read get their home timeline once each.
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;

use super::load::{self, ServerProcess, Summary, ms};
use crate::app::AppState;
use crate::config::Settings;

#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Request rates to offer, one run each, in this order (requests per second).
    #[arg(long, value_delimiter = ',', default_value = "500,1000")]
    pub rates: Vec<f64>,
    /// Seconds at each rate.
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    /// Stop the ladder of rates once a run's p99 is above this many milliseconds, then try
    /// rates half-way between the last good and the first bad one (`--refine` times).
    #[arg(long)]
    pub p99_limit_ms: Option<f64>,
    #[arg(long, default_value_t = 2)]
    pub refine: usize,
    /// Members whose tokens the load uses (each request picks one at random).
    #[arg(long, default_value_t = 2_000)]
    pub members: usize,
    /// The path to load.
    #[arg(long, default_value = "/api/v1/timelines/home?limit=40")]
    pub path: String,
    /// Warm-up before the runs (not counted): seconds, at `--warmup-rate` requests per second.
    #[arg(long, default_value_t = 10.0)]
    pub warmup_seconds: f64,
    #[arg(long, default_value_t = 100.0)]
    pub warmup_rate: f64,
    /// Most requests outstanding at once (the load generator's connections).
    #[arg(long, default_value_t = 512)]
    pub connections: usize,
    /// Cold reads to make after the runs (0: none).
    #[arg(long, default_value_t = 0)]
    pub cold: usize,
    /// A shell command run while the server is stopped before the cold reads (e.g. restarting
    /// PostgreSQL so that its own buffers are empty too).
    #[arg(long)]
    pub cold_restart_cmd: Option<String>,
}

/// Seeded members' ids, oldest first.
async fn member_ids(state: &AppState) -> anyhow::Result<Vec<i64>> {
    let db = &state.db.conn;
    let sql = "SELECT id FROM accounts WHERE domain IS NULL AND username LIKE 'member%' ORDER BY id";
    let stmt = crate::db::queries::statuses::statement(db.get_database_backend(), sql, vec![]);
    let mut ids = Vec::new();
    for row in db.query_all_raw(stmt).await? {
        ids.push(row.try_get_by_index::<i64>(0)?);
    }
    Ok(ids)
}

/// A token per member, kept in the data directory so that reruns do not make more.
async fn tokens_for(state: &AppState, file: &std::path::Path, members: &[i64]) -> anyhow::Result<Vec<String>> {
    let mut known: std::collections::HashMap<i64, String> = std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(' ').and_then(|(id, t)| Some((id.parse().ok()?, t.to_owned()))))
        .collect();
    // A file from another database: start again.
    if let Some(t) = known.values().next()
        && crate::service::accounts::token_user(state, t).await.map_err(|e| anyhow::anyhow!("{e}"))?.is_none()
    {
        known.clear();
    }
    let mut out = Vec::with_capacity(members.len());
    let mut made = 0;
    for &id in members {
        let token = match known.get(&id) {
            Some(t) => t.clone(),
            None => {
                made += 1;
                let t = crate::service::accounts::create_access_token(state, id, "read", "bench")
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                known.insert(id, t.clone());
                t
            }
        };
        out.push(token);
    }
    if made > 0 {
        let text: String = known.iter().map(|(id, t)| format!("{id} {t}\n")).collect();
        std::fs::write(file, text)?;
        eprintln!("made {made} tokens");
    }
    Ok(out)
}

fn row(label: &str, offered: f64, s: &Summary, cpu: f64) {
    println!(
        "| {label} | {offered:.0}/s | {} | {:.0}/s | {} | {} | {} | {} | {} | {:.0} % |",
        s.sent,
        s.ok_per_second(),
        ms(s.p50),
        ms(s.p90),
        ms(s.p99),
        ms(s.max),
        s.failures(),
        100.0 * cpu / s.elapsed.as_secs_f64().max(1e-9)
    );
}

/// Where the load goes and with what.
struct Target<'a> {
    server: &'a ServerProcess,
    client: &'a reqwest::Client,
    url: &'a str,
    tokens: &'a std::sync::Arc<Vec<String>>,
    connections: usize,
}

/// Runs the open-loop load at `rate` for `secs` and returns its summary and the server's CPU seconds.
async fn run_rate(t: &Target<'_>, rate: f64, secs: f64, seed: u64) -> (Summary, f64) {
    let n = (rate * secs).round() as usize;
    let mut rng = super::Rng(seed | 1);
    let order: std::sync::Arc<Vec<usize>> = std::sync::Arc::new((0..n).map(|_| rng.below(t.tokens.len())).collect());
    let cpu = t.server.cpu_seconds();
    let s = load::open_loop(rate, n, t.connections, |i| {
        let (client, url, token) = (t.client.clone(), t.url.to_owned(), t.tokens[order[i]].clone());
        async move { get(&client, &url, &token).await }
    })
    .await;
    (s, t.server.cpu_seconds() - cpu)
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> u16 {
    match client.get(url).bearer_auth(token).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            match r.bytes().await {
                Ok(_) => status,
                Err(_) => 0,
            }
        }
        Err(_) => 0,
    }
}

/// Runs the benchmark and prints Markdown.
pub async fn run(settings: Settings, args: HttpArgs) -> anyhow::Result<()> {
    let data_dir = settings.data_dir.clone();
    let backend = if settings.database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let state = AppState::open(settings).await?;
    let ids = member_ids(&state).await?;
    if ids.len() < args.members + args.cold {
        anyhow::bail!("{} seeded members, need {}: run `khub bench home` first", ids.len(), args.members + args.cold);
    }
    let statuses = {
        let db = &state.db.conn;
        let stmt =
            crate::db::queries::statuses::statement(db.get_database_backend(), "SELECT COUNT(*) FROM statuses", vec![]);
        db.query_one_raw(stmt).await?.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0)
    };
    // Warm runs use the oldest members; cold reads use the newest, which no run has read.
    let warm_ids = &ids[..args.members];
    let cold_ids = &ids[ids.len() - args.cold..];
    let all: Vec<i64> = warm_ids.iter().chain(cold_ids).copied().collect();
    let tokens = tokens_for(&state, &data_dir.join("bench-tokens.txt"), &all).await?;
    let (warm_tokens, cold_tokens) = tokens.split_at(args.members);
    let warm_tokens = std::sync::Arc::new(warm_tokens.to_vec());
    drop(state);
    let log = data_dir.join("bench-server.log");
    let mut server = ServerProcess::start(&[], &log).await?;
    let client = load::client()?;
    let url = format!("{}{}", server.base, args.path);
    println!("{}", super::machine_line());
    println!();
    println!(
        "{backend}: {} members, {statuses} statuses; GET {} with {} members' tokens; server pid {}",
        ids.len(),
        args.path,
        args.members,
        server.pid
    );
    println!();
    println!("| run | offered | sent | answered 2xx/s | p50 | p90 | p99 | max | failures | server CPU |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let target =
        Target { server: &server, client: &client, url: &url, tokens: &warm_tokens, connections: args.connections };
    let (s, cpu) = run_rate(&target, args.warmup_rate, args.warmup_seconds, 7).await;
    row("warm-up (not counted)", args.warmup_rate, &s, cpu);
    let limit = args.p99_limit_ms.map(|l| Duration::from_secs_f64(l / 1000.0));
    let (mut good, mut bad): (Option<f64>, Option<f64>) = (None, None);
    for (k, &rate) in args.rates.iter().enumerate() {
        let (s, cpu) = run_rate(&target, rate, args.seconds, 100 + k as u64).await;
        row("open loop", rate, &s, cpu);
        match limit {
            Some(l) if s.p99 > l || !s.failed.is_empty() => {
                bad = Some(rate);
                break;
            }
            Some(_) => good = Some(rate),
            None => {}
        }
    }
    if let (Some(l), Some(mut lo), Some(mut hi)) = (limit, good, bad) {
        for k in 0..args.refine {
            let rate = ((lo + hi) / 2.0).round();
            let (s, cpu) = run_rate(&target, rate, args.seconds, 200 + k as u64).await;
            row("refine", rate, &s, cpu);
            if s.p99 > l || !s.failed.is_empty() {
                hi = rate;
            } else {
                lo = rate;
            }
        }
        good = Some(lo);
    }
    if let (Some(l), Some(g)) = (limit, good) {
        println!();
        println!("highest rate tried with p99 under {}: {g:.0}/s", ms(l));
    }
    println!();
    println!("server RSS after the runs: {:.0} MB", server.rss_mb());
    if args.cold > 0 {
        server.stop().await;
        if let Some(cmd) = &args.cold_restart_cmd {
            let ok = std::process::Command::new("sh").arg("-c").arg(cmd).status().map(|s| s.success()).unwrap_or(false);
            println!("ran `{cmd}`: {}", if ok { "ok" } else { "FAILED" });
        }
        let dropped = drop_caches();
        server = ServerProcess::start(&[], &log).await?;
        println!(
            "cold reads: server restarted; OS page cache {}; {} members never read before, one at a time",
            if dropped { "dropped (sync; echo 3 > /proc/sys/vm/drop_caches)" } else { "NOT dropped (not permitted)" },
            args.cold
        );
        let url = format!("{}{}", server.base, args.path);
        let mut cold = Vec::new();
        let mut again = Vec::new();
        for t in cold_tokens {
            let start = Instant::now();
            let status = get(&client, &url, t).await;
            cold.push(load::Sample { latency: start.elapsed(), status });
            let start = Instant::now();
            let status = get(&client, &url, t).await;
            again.push(load::Sample { latency: start.elapsed(), status });
        }
        let first = cold.first().map(|s| s.latency).unwrap_or_default();
        let c = Summary::from_samples(cold, Duration::from_secs(1));
        let a = Summary::from_samples(again, Duration::from_secs(1));
        println!();
        println!("| reads | n | first | p50 | p90 | p99 | max | failures |");
        println!("|---|---|---|---|---|---|---|---|");
        println!(
            "| cold (first read of each member) | {} | {} | {} | {} | {} | {} | {} |",
            c.sent,
            ms(first),
            ms(c.p50),
            ms(c.p90),
            ms(c.p99),
            ms(c.max),
            c.failures()
        );
        println!(
            "| same member again right after | {} | | {} | {} | {} | {} | {} |",
            a.sent,
            ms(a.p50),
            ms(a.p90),
            ms(a.p99),
            ms(a.max),
            a.failures()
        );
    }
    server.stop().await;
    Ok(())
}

/// Empties the OS page cache (root only); says whether it could.
fn drop_caches() -> bool {
    let _ = std::process::Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3\n").is_ok()
}
