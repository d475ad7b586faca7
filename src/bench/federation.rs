//! Federation benchmarks over real HTTP on loopback, each against a `khub serve` child process
//! (this binary) on the database of `KHUB_DATA_DIR` / `KHUB_DATABASE_URL`:
//!
//! - `inbox`: signed 4 KB `Create(Note)` activities from many remote actors whose rows and keys
//!   are already stored (as after a first contact), POSTed to the shared inbox at fixed rates
//!   (open loop) and then as fast as the server takes them (closed loop). The requests are
//!   signed before the clock starts, so the sender's RSA work does not compete with the server.
//! - `fanout`: a member with remote followers spread over many loopback hosts posts through the
//!   client API; the hosts (listeners in this process) count the signed deliveries.
//! - `slow-remote`: one host answering each delivery after a delay; how many deliveries a
//!   second the per-host concurrency (`jobs.per_host`) gets through.
//! - `signing`: RSA-2048 PKCS#1 v1.5 SHA-256 signatures as khub's outbox makes them (the `rsa`
//!   crate, through `activitypub_federation`), against `openssl speed rsa2048`.
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sea_orm::{ConnectionTrait, EntityTrait};
use sha2::{Digest, Sha256};

use super::load::{self, ServerProcess, Summary, ms};
use super::receivers::Receivers;
use crate::app::AppState;
use crate::config::Settings;
use crate::db::entities::{accounts, follows};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Most inbox requests outstanding at once in the open-loop runs (the sender's connections).
const IN_FLIGHT: usize = 512;

#[derive(Debug, Clone, clap::Args)]
pub struct InboxArgs {
    /// Distinct remote actors (each with its own key pair).
    #[arg(long, default_value_t = 1_000)]
    pub actors: usize,
    /// Remote hosts the actors are spread over (`localhost:41000` …; nothing listens there).
    #[arg(long, default_value_t = 100)]
    pub hosts: usize,
    /// Fixed (open-loop) rates to offer, activities per second.
    #[arg(long, value_delimiter = ',', default_value = "250,500,1000")]
    pub rates: Vec<f64>,
    /// Seconds at each rate.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Activities in the as-fast-as-possible (closed-loop) run; 0 skips it.
    #[arg(long, default_value_t = 20_000)]
    pub max_count: usize,
    /// Requests in flight during the closed-loop run.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Size of each activity's JSON body, bytes.
    #[arg(long, default_value_t = 4_096)]
    pub body_bytes: usize,
}

#[derive(Debug, Clone, clap::Args)]
pub struct FanoutArgs {
    /// Remote followers of the posting member.
    #[arg(long, default_value_t = 10_000)]
    pub followers: usize,
    /// Hosts they are spread over: `localhost:FIRST_PORT` …, each with its own shared inbox.
    #[arg(long, default_value_t = 1_000)]
    pub hosts: usize,
    #[arg(long, default_value_t = 20_000)]
    pub first_port: u16,
    /// Posts to time (after one untimed post that makes the member's key pair).
    #[arg(long, default_value_t = 3)]
    pub posts: usize,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SlowArgs {
    /// Followers on the slow host, each with only a personal inbox (one delivery each).
    #[arg(long, default_value_t = 2_000)]
    pub followers: usize,
    #[arg(long, default_value_t = 29_999)]
    pub port: u16,
    /// How long the host takes to answer each delivery.
    #[arg(long, default_value_t = 300)]
    pub delay_ms: u64,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SigningArgs {
    /// Seconds for each measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

/// Opens the benchmark database (running migrations) in this process, for seeding.
async fn open(settings: Settings) -> anyhow::Result<AppState> {
    AppState::open(settings).await
}

/// A remote actor's row, as khub stores one after fetching it.
fn remote_account(username: &str, host: &str, public_key_pem: &str, shared_inbox: bool) -> accounts::Model {
    let now = chrono::Utc::now();
    let uri = format!("http://{host}/users/{username}");
    accounts::Model {
        id: crate::ids::next_id(),
        username: username.to_owned(),
        username_lower: username.to_lowercase(),
        domain: Some(host.to_owned()),
        display_name: username.to_owned(),
        bio: String::new(),
        job_title: String::new(),
        organisation: String::new(),
        location: String::new(),
        expertise: "[]".into(),
        fields: "[]".into(),
        avatar_media_id: None,
        header_media_id: None,
        locked: false,
        bot: false,
        discoverable: true,
        suspended: false,
        created_at: now,
        updated_at: now,
        url: Some(format!("http://{host}/@{username}")),
        inbox_url: Some(format!("{uri}/inbox")),
        shared_inbox_url: shared_inbox.then(|| format!("http://{host}/inbox")),
        outbox_url: Some(format!("{uri}/outbox")),
        followers_url: Some(format!("{uri}/followers")),
        public_key_pem: Some(public_key_pem.to_owned()),
        private_key_pem: None,
        avatar_remote_url: None,
        header_remote_url: None,
        fetched_at: Some(now),
        moved_to_account_id: None,
        also_known_as: "[]".to_owned(),
        uri: Some(uri),
    }
}

async fn insert_accounts(state: &AppState, rows: Vec<accounts::Model>) -> anyhow::Result<()> {
    for chunk in rows.chunks(200) {
        let tx = state.db.begin_write().await?;
        accounts::Entity::insert_many(chunk.iter().cloned().map(accounts::ActiveModel::from))
            .exec_without_returning(&*tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Makes `followers` follow `target` (accepted follows, as after an Accept).
async fn insert_follows(state: &AppState, followers: &[i64], target: i64) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    for chunk in followers.chunks(500) {
        let tx = state.db.begin_write().await?;
        let rows = chunk.iter().map(|&f| {
            follows::ActiveModel::from(follows::Model {
                id: crate::ids::next_id(),
                account_id: f,
                target_account_id: target,
                show_reblogs: true,
                created_at: now,
                uri: None,
            })
        });
        follows::Entity::insert_many(rows).exec_without_returning(&*tx).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn count(state: &AppState, sql: &str, values: Vec<sea_orm::Value>) -> anyhow::Result<i64> {
    let db = &state.db.conn;
    let stmt = crate::db::queries::statuses::statement(db.get_database_backend(), sql, values);
    let row = db.query_one_raw(stmt).await?.ok_or_else(|| anyhow::anyhow!("no count"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Key pairs for the inbox benchmark's remote actors, made once and kept beside the database.
async fn actor_keys(path: &Path, n: usize) -> anyhow::Result<Vec<RsaPrivateKey>> {
    let mut pems: Vec<String> = match std::fs::read_to_string(path) {
        Ok(s) => serde_json::from_str(&s)?,
        Err(_) => Vec::new(),
    };
    if pems.len() < n {
        let missing = n - pems.len();
        eprintln!("making {missing} RSA-2048 key pairs (once; kept in {})", path.display());
        let t = Instant::now();
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let mut tasks = Vec::new();
        for k in 0..threads {
            let share = missing / threads + usize::from(k < missing % threads);
            tasks.push(tokio::task::spawn_blocking(move || {
                (0..share)
                    .map(|_| activitypub_federation::http_signatures::generate_actor_keypair().map(|k| k.private_key))
                    .collect::<Result<Vec<_>, _>>()
            }));
        }
        for t in tasks {
            pems.extend(t.await??);
        }
        std::fs::write(path, serde_json::to_string(&pems)?)?;
        eprintln!("  made in {:.1?}", t.elapsed());
    }
    let mut keys = Vec::with_capacity(n);
    for pem in pems.iter().take(n) {
        keys.push(RsaPrivateKey::from_pkcs8_pem(pem)?);
    }
    Ok(keys)
}

/// One inbox delivery, signed in advance.
struct Signed {
    body: axum::body::Bytes,
    date: String,
    digest: String,
    signature: String,
}

/// A `Create(Note)` of about `size` bytes by `actor`, its id unique to this run.
fn create_note(actor: &str, run: &str, k: usize, size: usize) -> String {
    let note_id = format!("{actor}/statuses/{run}-{k}");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let build = |content: &str| {
        serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{note_id}/activity"),
            "type": "Create",
            "actor": actor,
            "published": now,
            "to": [PUBLIC],
            "cc": [format!("{actor}/followers")],
            "object": {
                "id": note_id,
                "type": "Note",
                "attributedTo": actor,
                "to": [PUBLIC],
                "cc": [format!("{actor}/followers")],
                "content": content,
                "published": now,
                "url": note_id,
                "sensitive": false,
                "tag": [],
                "attachment": [],
            }
        })
        .to_string()
    };
    let empty = build("").len();
    let mut text = String::from("<p>");
    let mut i = k;
    while empty + text.len() + 4 < size {
        text.push_str(super::WORDS[i % super::WORDS.len()]);
        text.push(' ');
        i = i.wrapping_mul(31).wrapping_add(7);
        if text.len() % 400 < 10 {
            text.push_str("</p><p>");
        }
    }
    text.truncate(size.saturating_sub(empty + 4).max(3));
    text.push_str("</p>");
    build(&text)
}

/// Signs a POST to `path` on `host` as Mastodon does (`(request-target) host date digest
/// content-type`), with the same normalisation crate and RSA code the library uses.
fn sign_post(host: &str, path: &str, body: String, key_id: &str, key: &RsaPrivateKey) -> anyhow::Result<Signed> {
    let digest = format!("SHA-256={}", BASE64.encode(Sha256::digest(body.as_bytes())));
    let date = httpdate_now();
    let headers = BTreeMap::from([
        ("host".to_owned(), host.to_owned()),
        ("date".to_owned(), date.clone()),
        ("digest".to_owned(), digest.clone()),
        ("content-type".to_owned(), "application/activity+json".to_owned()),
    ]);
    let config =
        http_signature_normalization::Config::new().mastodon_compat().set_expiration(Duration::from_secs(3600));
    let signed = config.begin_sign("POST", path, headers).map_err(|e| anyhow::anyhow!("{e}"))?.sign(
        key_id.to_owned(),
        |s| -> anyhow::Result<String> {
            Ok(BASE64.encode(key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(s.as_bytes()))?))
        },
    )?;
    Ok(Signed { body: body.into(), date, digest, signature: signed.signature_header() })
}

fn httpdate_now() -> String {
    chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `inbox`: see the module documentation.
pub async fn inbox(settings: Settings, args: InboxArgs) -> anyhow::Result<()> {
    let data_dir = settings.data_dir.clone();
    let state = open(settings).await?;
    let keys = actor_keys(&data_dir.join("bench-inbox-keys.json"), args.actors).await?;
    let hosts = args.hosts.max(1);
    let actor_of = |i: usize| (format!("ia{i}"), format!("localhost:{}", 41_000 + i % hosts));
    // The actors' rows, as if each had been fetched once: keys cached, so no fetch per delivery.
    let known = count(
        &state,
        "SELECT COUNT(*) FROM accounts WHERE username LIKE 'ia%' AND domain LIKE 'localhost:41%'",
        vec![],
    )
    .await?;
    if (known as usize) < args.actors {
        let mut rows = Vec::new();
        for (i, key) in keys.iter().enumerate().skip(known as usize) {
            let (name, host) = actor_of(i);
            let pem = RsaPublicKey::from(key).to_public_key_pem(rsa::pkcs8::LineEnding::LF)?;
            rows.push(remote_account(&name, &host, &pem, true));
        }
        insert_accounts(&state, rows).await?;
    }
    // Fresh, so that the library does not refetch them (it refreshes actors older than a day).
    {
        let _w = state.db.write_lock().await;
        let stmt = crate::db::queries::statuses::statement(
            state.db.backend(),
            "UPDATE accounts SET fetched_at = ? WHERE username LIKE 'ia%' AND domain LIKE 'localhost:41%'",
            vec![chrono::Utc::now().into()],
        );
        state.db.conn.execute_raw(stmt).await?;
    }
    // Sign every request before the clock starts.
    let per_rate: Vec<usize> = args.rates.iter().map(|r| (r * args.seconds).round() as usize).collect();
    let warmup = 1_000usize;
    let total = warmup + per_rate.iter().sum::<usize>() + args.max_count;
    let run = format!("r{}", crate::ids::next_id());
    let server = ServerProcess::start(&[], &data_dir.join("bench-server.log")).await?;
    let host = format!("localhost:{}", server.port);
    eprintln!("signing {total} activities ({} bytes each) from {} actors", args.body_bytes, args.actors);
    let t = Instant::now();
    let keys = Arc::new(keys);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let mut tasks = Vec::new();
    for th in 0..threads {
        let (keys, run, host) = (keys.clone(), run.clone(), host.clone());
        let (size, actors) = (args.body_bytes, args.actors);
        tasks.push(tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<(usize, Signed)>> {
            let mut out = Vec::new();
            for k in (th..total).step_by(threads) {
                let a = k % actors;
                let (name, ahost) = (format!("ia{a}"), format!("localhost:{}", 41_000 + a % hosts));
                let actor = format!("http://{ahost}/users/{name}");
                let body = create_note(&actor, &run, k, size);
                out.push((k, sign_post(&host, "/inbox", body, &format!("{actor}#main-key"), &keys[a])?));
            }
            Ok(out)
        }));
    }
    let mut signed: Vec<Option<Signed>> = (0..total).map(|_| None).collect();
    for t in tasks {
        for (k, s) in t.await?? {
            signed[k] = Some(s);
        }
    }
    let signed: Arc<Vec<Signed>> = Arc::new(signed.into_iter().flatten().collect());
    eprintln!("  signed in {:.1?}; server pid {} on {}", t.elapsed(), server.pid, server.base);
    let client = load::client()?;
    let url = format!("{}/inbox", server.base);
    let send = {
        let (client, url, signed) = (client.clone(), url.clone(), signed.clone());
        move |k: usize| {
            let (client, url, signed) = (client.clone(), url.clone(), signed.clone());
            async move {
                let s = &signed[k];
                let r = client
                    .post(&url)
                    .header("content-type", "application/activity+json")
                    .header("date", &s.date)
                    .header("digest", &s.digest)
                    .header("signature", &s.signature)
                    .body(s.body.clone())
                    .send()
                    .await;
                match r {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let _ = r.bytes().await;
                        status
                    }
                    Err(_) => 0,
                }
            }
        }
    };
    println!("{}", super::machine_line());
    println!();
    println!(
        "| run | offered | sent | accepted (202) | accepted/s | p50 | p90 | p99 | max | not accepted | server CPU per activity |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let base = 0usize;
    let warm = {
        let send = send.clone();
        load::open_loop(200.0, warmup, IN_FLIGHT, move |i| send(base + i)).await
    };
    print_row("warm-up (not counted)", "200/s", &warm, None);
    let mut offset = warmup;
    for (rate, n) in args.rates.iter().zip(&per_rate) {
        let cpu = server.cpu_seconds();
        let start = offset;
        let send = send.clone();
        let s = load::open_loop(*rate, *n, IN_FLIGHT, move |i| send(start + i)).await;
        print_row("open loop", &format!("{rate:.0}/s"), &s, Some(server.cpu_seconds() - cpu));
        offset += n;
    }
    if args.max_count > 0 {
        let cpu = server.cpu_seconds();
        let start = offset;
        let send = send.clone();
        let s = load::closed_loop(args.concurrency, args.max_count, move |i| send(start + i)).await;
        print_row(&format!("closed loop, {} in flight", args.concurrency), "max", &s, Some(server.cpu_seconds() - cpu));
    }
    let stored =
        count(&state, "SELECT COUNT(*) FROM statuses WHERE uri LIKE ?", vec![format!("%/statuses/{run}-%").into()])
            .await?;
    println!();
    println!("statuses stored from this run: {stored} (of {total} sent); server RSS {:.0} MB", server.rss_mb());
    println!("{}", verify_cost(&keys[0])?);
    server.stop().await;
    Ok(())
}

fn print_row(run: &str, offered: &str, s: &Summary, cpu: Option<f64>) {
    let cpu = cpu.map(|c| format!("{:.2} ms", c * 1000.0 / s.sent.max(1) as f64)).unwrap_or_default();
    println!(
        "| {run} | {offered} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {cpu} |",
        s.sent,
        s.ok,
        s.ok_per_second(),
        ms(s.p50),
        ms(s.p90),
        ms(s.p99),
        ms(s.max),
        s.failures()
    );
}

/// What checking one signature costs on this machine, as the library does it for each inbox
/// POST (parse the cached PEM key, then verify).
fn verify_cost(key: &RsaPrivateKey) -> anyhow::Result<String> {
    let public = RsaPublicKey::from(key);
    let pem = public.to_public_key_pem(rsa::pkcs8::LineEnding::LF)?;
    let msg = Sha256::digest(b"(request-target): post /inbox\nhost: localhost\ndate: now");
    let sig = key.sign(Pkcs1v15Sign::new::<Sha256>(), &msg)?;
    use rsa::pkcs8::DecodePublicKey;
    let n = 2_000u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(RsaPublicKey::from_public_key_pem(&pem)?);
    }
    let parse = t.elapsed() / n;
    let t = Instant::now();
    for _ in 0..n {
        public.verify(Pkcs1v15Sign::new::<Sha256>(), &msg, &sig)?;
    }
    let verify = t.elapsed() / n;
    Ok(format!(
        "signature check as the library does it, one core, in process: PEM parse {:.0} µs + RSA-2048 verify {:.0} µs = {:.0}/s",
        parse.as_secs_f64() * 1e6,
        verify.as_secs_f64() * 1e6,
        1.0 / (parse + verify).as_secs_f64()
    ))
}

/// A local member with a token, made once.
async fn member_with_token(state: &AppState, name: &str) -> anyhow::Result<(i64, String)> {
    let id = match crate::db::queries::accounts::local_account_by_username(&state.db.conn, name).await? {
        Some(a) => a.id,
        None => {
            crate::service::accounts::admin_create_user(
                state,
                name,
                &format!("{name}@bench.invalid"),
                "bench-password-1",
                false,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .id
        }
    };
    let token = crate::service::accounts::create_access_token(state, id, crate::service::accounts::ALL_SCOPES, "bench")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((id, token))
}

/// Remote followers of `member` named `{prefix}{i}` on `host_of(i)`, made once.
async fn ensure_followers(
    state: &AppState,
    member: i64,
    prefix: &str,
    n: usize,
    host_of: impl Fn(usize) -> String,
    shared_inbox: bool,
) -> anyhow::Result<()> {
    let have = count(
        state,
        "SELECT COUNT(*) FROM follows f JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND a.domain IS NOT NULL",
        vec![member.into()],
    )
    .await?;
    if have as usize >= n {
        return Ok(());
    }
    if have > 0 {
        anyhow::bail!("member {member} has {have} remote followers, not {n}: use a fresh KHUB_DATA_DIR");
    }
    // Followers never sign anything here; any well-formed key does.
    let pem = activitypub_federation::http_signatures::generate_actor_keypair()?.public_key;
    let rows: Vec<accounts::Model> =
        (0..n).map(|i| remote_account(&format!("{prefix}{i}"), &host_of(i), &pem, shared_inbox)).collect();
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    insert_accounts(state, rows).await?;
    insert_follows(state, &ids, member).await?;
    Ok(())
}

async fn post_status(client: &reqwest::Client, base: &str, token: &str, text: &str) -> anyhow::Result<()> {
    let r = client
        .post(format!("{base}/api/v1/statuses"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "status": text, "visibility": "public" }))
        .send()
        .await?;
    if !r.status().is_success() {
        anyhow::bail!("posting failed: {} {}", r.status(), r.text().await.unwrap_or_default());
    }
    Ok(())
}

/// `fanout`: see the module documentation.
pub async fn fanout(settings: Settings, args: FanoutArgs) -> anyhow::Result<()> {
    let data_dir = settings.data_dir.clone();
    let state = open(settings).await?;
    let hosts = args.hosts.max(1);
    let first = args.first_port;
    let (member, token) = member_with_token(&state, "fanout").await?;
    let t = Instant::now();
    ensure_followers(
        &state,
        member,
        "ff",
        args.followers,
        |i| format!("localhost:{}", first as usize + i % hosts),
        true,
    )
    .await?;
    eprintln!("followers ready in {:.1?}", t.elapsed());
    let receivers = Receivers::start((0..hosts).map(|h| first + h as u16), Duration::ZERO).await?;
    let server = ServerProcess::start(&[], &data_dir.join("bench-server.log")).await?;
    let client = load::client()?;
    let expected = hosts.min(args.followers);
    // The first post also makes the member's key pair: not timed.
    post_status(&client, &server.base, &token, "Fan-out warm-up").await?;
    let got = receivers.wait_for(expected, Duration::from_secs(300)).await;
    receivers.take().await;
    eprintln!("warm-up post delivered to {got} hosts");
    println!("{}", super::machine_line());
    println!();
    println!("followers: {} on {hosts} hosts (one shared inbox each); server pid {}", args.followers, server.pid);
    println!();
    println!(
        "| post | requests | distinct inboxes | signed by the member | body bytes (avg) | first delivery | last delivery | deliveries/s (first→last) | deliveries/s (post→last) | server CPU |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for p in 0..args.posts {
        let cpu = server.cpu_seconds();
        let t0 = Instant::now();
        post_status(&client, &server.base, &token, &format!("Fan-out post {p} about #budget")).await?;
        receivers.wait_for(expected, Duration::from_secs(600)).await;
        // Anything extra (duplicates) would come right after: give it a moment.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let cpu = server.cpu_seconds() - cpu;
        let arrivals = receivers.take().await;
        report_deliveries(p, t0, &arrivals, "/users/fanout#main-key", cpu);
    }
    server.stop().await;
    Ok(())
}

fn report_deliveries(post: usize, t0: Instant, arrivals: &[super::receivers::Arrival], key: &str, cpu: f64) {
    let distinct: HashSet<(u16, &str)> = arrivals.iter().map(|a| (a.port, a.path.as_str())).collect();
    let signed = arrivals.iter().filter(|a| a.key_id.as_deref().is_some_and(|k| k.ends_with(key))).count();
    let first = arrivals.iter().map(|a| a.at).min().unwrap_or(t0);
    let last = arrivals.iter().map(|a| a.at).max().unwrap_or(t0);
    let n = arrivals.len() as f64;
    let span = (last - first).as_secs_f64().max(1e-9);
    let avg_bytes = arrivals.iter().map(|a| a.bytes).sum::<usize>() / arrivals.len().max(1);
    println!(
        "| {post} | {} | {} | {signed} | {avg_bytes} | {} | {} | {:.0} | {:.0} | {:.2} s |",
        arrivals.len(),
        distinct.len(),
        ms(first - t0),
        ms(last - t0),
        (n - 1.0).max(0.0) / span,
        n / (last - t0).as_secs_f64().max(1e-9),
        cpu
    );
}

/// `slow-remote`: see the module documentation.
pub async fn slow_remote(settings: Settings, args: SlowArgs) -> anyhow::Result<()> {
    let data_dir = settings.data_dir.clone();
    let per_host = settings.jobs.per_host;
    let workers = settings.jobs.workers;
    let state = open(settings).await?;
    let (member, token) = member_with_token(&state, "slowpoke").await?;
    let port = args.port;
    ensure_followers(&state, member, "sf", args.followers, |_| format!("localhost:{port}"), false).await?;
    let receivers = Receivers::start([port], Duration::from_millis(args.delay_ms)).await?;
    let server = ServerProcess::start(&[], &data_dir.join("bench-server.log")).await?;
    let client = load::client()?;
    println!("{}", super::machine_line());
    println!();
    println!(
        "one host (localhost:{port}) answering after {} ms; {} followers with personal inboxes only; jobs.workers = {workers}, jobs.per_host = {per_host}; server pid {}",
        args.delay_ms, args.followers, server.pid
    );
    println!();
    let cpu = server.cpu_seconds();
    let t0 = Instant::now();
    post_status(&client, &server.base, &token, "A post for a slow server").await?;
    let got = receivers.wait_for(args.followers, Duration::from_secs(600)).await;
    let max_in_flight = receivers.max_in_flight.load(std::sync::atomic::Ordering::SeqCst);
    let arrivals = receivers.take().await;
    println!(
        "| post | requests | distinct inboxes | signed by the member | body bytes (avg) | first delivery | last delivery | deliveries/s (first→last) | deliveries/s (post→last) | server CPU |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    report_deliveries(0, t0, &arrivals, "/users/slowpoke#main-key", server.cpu_seconds() - cpu);
    println!();
    println!(
        "delivered {got} of {}; most deliveries in flight at the host at once: {max_in_flight}; ceiling per_host / delay = {:.0}/s",
        args.followers,
        per_host as f64 / (args.delay_ms as f64 / 1000.0)
    );
    server.stop().await;
    Ok(())
}

/// `signing`: see the module documentation.
pub async fn signing(args: SigningArgs) -> anyhow::Result<()> {
    println!("{}", super::machine_line());
    println!();
    let secs = args.seconds.max(1);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let openssl_one = openssl_sign_rate(secs, 1)?;
    let openssl_all = openssl_sign_rate(secs, threads)?;
    let key = Arc::new(activitypub_federation::http_signatures::generate_actor_keypair()?.private_key);
    let one = khub_sign_rate(key.clone(), secs, 1).await?;
    let all = khub_sign_rate(key, secs, threads).await?;
    println!("| signer | 1 core: sign/s | {threads} cores: sign/s |");
    println!("|---|---|---|");
    println!("| `openssl speed rsa2048` | {openssl_one:.0} | {openssl_all:.0} |");
    println!(
        "| khub outbox signing (`rsa` crate, RSA-2048 PKCS#1 v1.5 SHA-256 over a signing string) | {one:.0} ({:.0} %) | {all:.0} ({:.0} %) |",
        100.0 * one / openssl_one.max(1e-9),
        100.0 * all / openssl_all.max(1e-9)
    );
    Ok(())
}

/// Signs as `activitypub_federation::http_signatures::sign_request` does, on `threads` threads.
async fn khub_sign_rate(pem: Arc<String>, secs: u64, threads: usize) -> anyhow::Result<f64> {
    let key = Arc::new(RsaPrivateKey::from_pkcs8_pem(&pem)?);
    let mut tasks = Vec::new();
    let t = Instant::now();
    for _ in 0..threads {
        let key = key.clone();
        tasks.push(tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
            let end = Instant::now() + Duration::from_secs(secs);
            let mut n = 0u64;
            while Instant::now() < end {
                let s = format!("(request-target): post /inbox\nhost: example.org\ndate: {n}\ndigest: SHA-256=x");
                let sig = key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(s.as_bytes()))?;
                std::hint::black_box(BASE64.encode(sig));
                n += 1;
            }
            Ok(n)
        }));
    }
    let mut total = 0u64;
    for task in tasks {
        total += task.await??;
    }
    Ok(total as f64 / t.elapsed().as_secs_f64())
}

/// `openssl speed rsa2048` sign/s (the last "2048 bits" line: columns sign, verify, sign/s, verify/s).
fn openssl_sign_rate(secs: u64, multi: usize) -> anyhow::Result<f64> {
    let mut cmd = std::process::Command::new("openssl");
    cmd.arg("speed").arg("-seconds").arg(secs.to_string());
    if multi > 1 {
        cmd.arg("-multi").arg(multi.to_string());
    }
    let out = cmd.arg("rsa2048").output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains("2048 bits"))
        .ok_or_else(|| anyhow::anyhow!("openssl speed printed no rsa 2048 line: {text}"))?;
    let after = line.split("bits").nth(1).unwrap_or_default();
    let cols: Vec<&str> = after.split_whitespace().collect();
    cols.get(2).and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| anyhow::anyhow!("cannot read openssl's line: {line}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bench_note_has_the_asked_size_and_is_a_create_khub_accepts() {
        let json = create_note("http://localhost:41001/users/ia1", "r1", 7, 4096);
        assert!((4080..=4100).contains(&json.len()), "{}", json.len());
        let parsed: crate::federation::activities::create::Create = serde_json::from_str(&json).expect("a Create");
        assert_eq!(parsed.object.attributed_to.as_str(), "http://localhost:41001/users/ia1");
    }

    #[test]
    fn a_bench_signature_verifies_with_the_actors_public_key() {
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().expect("keys");
        let key = RsaPrivateKey::from_pkcs8_pem(&keys.private_key).expect("key");
        let signed = sign_post("localhost:8080", "/inbox", "{}".into(), "http://a.example/users/x#main-key", &key)
            .expect("signed");
        let headers = BTreeMap::from([
            ("host".to_owned(), "localhost:8080".to_owned()),
            ("date".to_owned(), signed.date.clone()),
            ("digest".to_owned(), signed.digest.clone()),
            ("content-type".to_owned(), "application/activity+json".to_owned()),
            ("signature".to_owned(), signed.signature.clone()),
        ]);
        let config = http_signature_normalization::Config::new().set_expiration(Duration::from_secs(3600));
        let public = RsaPublicKey::from(&key);
        let ok = config.begin_verify("POST", "/inbox", headers).expect("parsable").verify(|sig, text| {
            let sig = BASE64.decode(sig).expect("base64");
            public.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(text.as_bytes()), &sig).is_ok()
        });
        assert!(ok);
    }
}
