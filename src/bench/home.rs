//! `khub bench home`: seeds a database with members, follows and posts, then measures the home
//! timeline (as the web UI and the client API read it) and how fast posts are created through
//! the real service path. Results go to `docs/benchmarks.md` by hand, with the machine.
use std::time::Instant;

use sea_orm::ConnectionTrait;

use super::{HomeArgs as BenchArgs, Rng, WORDS, exec_batch, percentile};
use crate::app::AppState;
use crate::config::Settings;
use crate::db::queries::Page;

pub async fn seed(state: &AppState, args: &BenchArgs) -> anyhow::Result<Vec<i64>> {
    let db = &state.db;
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let started = Instant::now();
    let now = chrono::Utc::now();
    // Members: accounts + users (the password hash is shared; nobody signs in during the bench).
    let hash = crate::service::accounts::hash_password("bench-password").await?;
    let mut ids = Vec::with_capacity(args.members);
    for chunk_start in (0..args.members).step_by(500) {
        let tx = db.begin_write().await?;
        let mut acc_rows = Vec::new();
        let mut user_rows = Vec::new();
        for i in chunk_start..(chunk_start + 500).min(args.members) {
            let id = crate::ids::next_id();
            ids.push(id);
            let name = format!("member{i}");
            acc_rows.push(vec![
                id.into(),
                name.clone().into(),
                name.clone().into(),
                format!("Member {i}").into(),
                "".into(),
                "Policy officer".into(),
                format!("Council {}", i % 300).into(),
                "".into(),
                "[\"housing\"]".into(),
                "[]".into(),
                false.into(),
                false.into(),
                true.into(),
                false.into(),
                now.into(),
                now.into(),
            ]);
            user_rows.push(vec![
                id.into(),
                format!("{name}@bench.invalid").into(),
                hash.clone().into(),
                "user".into(),
                Some(now).into(),
                true.into(),
                false.into(),
                "".into(),
                now.into(),
            ]);
        }
        exec_batch(&*tx, "INSERT INTO accounts (id, username, username_lower, display_name, bio, job_title, organisation, location, expertise, fields, locked, bot, discoverable, suspended, created_at, updated_at)", 16, &acc_rows).await?;
        exec_batch(
            &*tx,
            "INSERT INTO users (id, email, password_hash, role, confirmed_at, approved, disabled, reason, created_at)",
            9,
            &user_rows,
        )
        .await?;
        tx.commit().await?;
    }
    eprintln!("seeded {} members in {:.1?}", ids.len(), started.elapsed());
    // Follows: each member follows `follows` distinct others.
    let t = Instant::now();
    let mut follow_rows = Vec::new();
    let per = args.follows.min(ids.len().saturating_sub(1));
    for (i, &me) in ids.iter().enumerate() {
        let mut chosen = std::collections::HashSet::new();
        while chosen.len() < per {
            let j = rng.below(ids.len());
            if j != i {
                chosen.insert(j);
            }
        }
        for j in chosen {
            follow_rows.push(vec![crate::ids::next_id().into(), me.into(), ids[j].into(), true.into(), now.into()]);
        }
        if follow_rows.len() >= 5_000 {
            let tx = db.begin_write().await?;
            for batch in follow_rows.chunks(100) {
                exec_batch(
                    &*tx,
                    "INSERT INTO follows (id, account_id, target_account_id, show_reblogs, created_at)",
                    5,
                    batch,
                )
                .await?;
            }
            tx.commit().await?;
            follow_rows.clear();
        }
    }
    let tx = db.begin_write().await?;
    for batch in follow_rows.chunks(100) {
        exec_batch(&*tx, "INSERT INTO follows (id, account_id, target_account_id, show_reblogs, created_at)", 5, batch)
            .await?;
    }
    tx.commit().await?;
    eprintln!("seeded {} follows in {:.1?}", ids.len() * per, t.elapsed());
    // Posts: bulk, in id (time) order, mostly public, some followers-only and direct.
    let t = Instant::now();
    let base_ms = (now - chrono::Duration::days(365)).timestamp_millis();
    let span_ms = 365 * 86_400_000i64;
    let mut rows = Vec::with_capacity(10_000);
    let mut mention_rows = Vec::new();
    for n in 0..args.posts {
        let ms = base_ms + (span_ms as i128 * n as i128 / args.posts.max(1) as i128) as i64;
        let id = (ms << 16) | (n as i64 & 0xffff);
        let author = ids[rng.below(ids.len())];
        let vis = match rng.below(20) {
            0..=15 => "public",
            16 => "unlisted",
            17 | 18 => "private",
            _ => "direct",
        };
        if vis == "direct" {
            mention_rows.push(vec![crate::ids::next_id().into(), id.into(), ids[rng.below(ids.len())].into()]);
        }
        let text = format!(
            "{} {} {} update number {n}",
            WORDS[rng.below(WORDS.len())],
            WORDS[rng.below(WORDS.len())],
            WORDS[rng.below(WORDS.len())]
        );
        let created = chrono::DateTime::from_timestamp_millis(ms).unwrap_or(now);
        rows.push(vec![
            id.into(),
            author.into(),
            id.into(),
            text.clone().into(),
            format!("<p>{text}</p>").into(),
            "".into(),
            false.into(),
            vis.into(),
            created.into(),
        ]);
        if rows.len() >= 10_000 || n + 1 == args.posts {
            let tx = db.begin_write().await?;
            for batch in rows.chunks(100) {
                exec_batch(&*tx, "INSERT INTO statuses (id, account_id, thread_id, source, content, spoiler_text, sensitive, visibility, created_at)", 9, batch).await?;
            }
            for batch in mention_rows.chunks(300) {
                exec_batch(&*tx, "INSERT INTO mentions (id, status_id, account_id)", 3, batch).await?;
            }
            tx.commit().await?;
            rows.clear();
            mention_rows.clear();
        }
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!("seeded {} posts in {secs:.1}s ({:.0}/s bulk)", args.posts, args.posts as f64 / secs);
    db.execute_unprepared("ANALYZE").await?;
    Ok(ids)
}

/// Runs the benchmark and prints a Markdown summary.
pub async fn run(mut settings: Settings, args: BenchArgs) -> anyhow::Result<()> {
    settings.jobs.workers = 1;
    let state = AppState::open(settings).await?;
    let ids: Vec<i64> = if args.reuse {
        crate::db::queries::accounts::local_accounts(&state.db.conn, 1_000_000)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect()
    } else {
        seed(&state, &args).await?
    };
    if ids.is_empty() {
        anyhow::bail!("no members: run without --reuse first");
    }
    let mut rng = Rng(42);
    // Warm-up, then timed home timeline reads for random members.
    for _ in 0..50 {
        crate::service::timelines::home(&state, ids[rng.below(ids.len())], Page::default())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let mut times = Vec::with_capacity(args.reads);
    let mut items = 0usize;
    for _ in 0..args.reads {
        let who = ids[rng.below(ids.len())];
        let t = Instant::now();
        let page =
            crate::service::timelines::home(&state, who, Page::default()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(t.elapsed());
        items += page.len();
    }
    times.sort();
    // Posts created through the real service path (validation, rendering, transaction).
    let authors: Vec<_> =
        crate::db::queries::accounts::accounts_by_ids(&state.db.conn, &ids[..ids.len().min(100)]).await?;
    let t = Instant::now();
    for n in 0..args.timed_posts {
        let author = &authors[n % authors.len()];
        let c = crate::service::statuses::Compose {
            text: format!(
                "Benchmark post {n} about #{} and **{}**",
                WORDS[n % WORDS.len()],
                WORDS[(n * 7) % WORDS.len()]
            ),
            ..Default::default()
        };
        crate::service::statuses::create(&state, author, c).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let post_rate = args.timed_posts as f64 / t.elapsed().as_secs_f64();
    println!(
        "| members | posts | follows each | home reads | p50 | p99 | max | avg items | posts created/s (service path) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} | {:.0} |",
        ids.len(),
        if args.reuse { "reused".to_owned() } else { args.posts.to_string() },
        args.follows,
        args.reads,
        percentile(&times, 0.50).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        items as f64 / args.reads.max(1) as f64,
        post_rate
    );
    Ok(())
}
