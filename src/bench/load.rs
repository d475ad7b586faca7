//! What the HTTP benchmarks share: a `khub serve` child process on a loopback port, an open-loop
//! load generator (requests leave on a fixed schedule whatever the answers do, and latency runs
//! from the scheduled send time, so a slow server cannot hide its queue — no coordinated
//! omission), a closed-loop one for "as fast as it goes", and latency summaries.
use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// One answered (or failed) request: latency and HTTP status (0 when no answer came).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub latency: Duration,
    pub status: u16,
}

/// A run's summary.
#[derive(Debug, Clone)]
pub struct Summary {
    pub sent: usize,
    /// Answers with a 2xx status.
    pub ok: usize,
    /// Other answers, by status (0: connection error or timeout).
    pub failed: BTreeMap<u16, usize>,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// From the first scheduled send to the last answer.
    pub elapsed: Duration,
}

impl Summary {
    pub fn from_samples(mut samples: Vec<Sample>, elapsed: Duration) -> Self {
        let sent = samples.len();
        let mut failed = BTreeMap::new();
        for s in samples.iter().filter(|s| !(200..300).contains(&s.status)) {
            *failed.entry(s.status).or_insert(0) += 1;
        }
        samples.sort_by_key(|s| s.latency);
        let lat: Vec<Duration> = samples.iter().map(|s| s.latency).collect();
        Self {
            sent,
            ok: sent - failed.values().sum::<usize>(),
            failed,
            p50: super::percentile(&lat, 0.50),
            p90: super::percentile(&lat, 0.90),
            p99: super::percentile(&lat, 0.99),
            max: lat.last().copied().unwrap_or_default(),
            elapsed,
        }
    }

    /// Successful answers per second over the run.
    pub fn ok_per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn failures(&self) -> String {
        if self.failed.is_empty() {
            return "none".into();
        }
        self.failed
            .iter()
            .map(|(s, n)| if *s == 0 { format!("{n} no answer") } else { format!("{n}× {s}") })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Sends `count` requests at `rate` per second on a fixed schedule. `request(i)` makes the i-th
/// request and returns its status. Each request runs in its own task, so a slow answer never
/// delays the next send; latency is measured from when the request *should* have left.
/// Tokio's timer has millisecond resolution, so sends within one millisecond leave together.
///
/// At most `max_in_flight` requests are outstanding (as a load generator with that many
/// connections): when all are busy, the next request waits for one, and its wait counts in its
/// latency, since the clock starts at the scheduled time.
pub async fn open_loop<F, Fut>(rate: f64, count: usize, max_in_flight: usize, request: F) -> Summary
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = u16> + Send + 'static,
{
    let samples = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let slots = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        let Ok(slot) = slots.clone().acquire_owned().await else { break };
        let fut = request(i);
        let samples = samples.clone();
        tasks.push(tokio::spawn(async move {
            let status = fut.await;
            let latency = scheduled.elapsed();
            drop(slot);
            samples.lock().await.push(Sample { latency, status });
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed();
    let samples = std::mem::take(&mut *samples.lock().await);
    Summary::from_samples(samples, elapsed)
}

/// Keeps `concurrency` requests in flight until `count` have been sent: the highest rate the
/// server sustains. Latency here is per request (closed loop), so it is not comparable with
/// open-loop latency.
pub async fn closed_loop<F, Fut>(concurrency: usize, count: usize, request: F) -> Summary
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = u16> + Send + 'static,
{
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let request = Arc::new(request);
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (next, request) = (next.clone(), request.clone());
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let t = Instant::now();
                let status = request(i).await;
                mine.push(Sample { latency: t.elapsed(), status });
            }
            mine
        }));
    }
    let mut samples = Vec::with_capacity(count);
    for w in workers {
        if let Ok(mine) = w.await {
            samples.extend(mine);
        }
    }
    Summary::from_samples(samples, start.elapsed())
}

/// An HTTP client for loopback load: no proxy, keep-alive, a large idle pool.
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().no_proxy().pool_max_idle_per_host(1024).timeout(Duration::from_secs(30)).build()?)
}

/// A free loopback port (bound, then released for the child to take).
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// CPU seconds (user + system) a process has used, from `/proc` (Linux, 100 ticks a second).
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line; 12 and 13 after the name and state.
    (tick(11) + tick(12)) / 100.0
}

/// The 1-, 5- and 15-minute load averages, as `uptime` shows them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// A `khub serve` child process (this same binary) on a loopback port, with the caller's
/// environment (so `KHUB_DATA_DIR` / `KHUB_DATABASE_URL` name the benchmark's database), plain
/// HTTP federation to loopback, and the client API rate limit off (a load generator would hit it).
pub struct ServerProcess {
    child: tokio::process::Child,
    pub pid: u32,
    pub port: u16,
    /// `http://localhost:PORT`
    pub base: String,
}

impl ServerProcess {
    pub async fn start(env: &[(&str, String)], log: &Path) -> anyhow::Result<Self> {
        let port = free_port()?;
        let exe = std::env::current_exe()?;
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        let mut cmd = tokio::process::Command::new(exe);
        cmd.arg("serve")
            .env("KHUB_BIND", format!("127.0.0.1:{port}"))
            .env("KHUB_DOMAIN", format!("localhost:{port}"))
            .env("KHUB_ALLOW_HTTP", "true")
            .env("KHUB_RATE_LIMIT__ENABLED", "false")
            .env("KHUB_LOG", std::env::var("KHUB_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(std::process::Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn()?;
        let pid = child.id().unwrap_or_default();
        let server = Self { child, pid, port, base: format!("http://localhost:{port}") };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = client()?;
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{}/api/v1/instance", self.base);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("khub serve (pid {}) did not answer within 120 s", self.pid)
    }

    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.pid)
    }

    /// Resident memory in MB, from `/proc`.
    pub fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    }

    /// Stops the server with SIGTERM (graceful), or SIGKILL after 10 s.
    pub async fn stop(mut self) {
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}
