//! Scheduled posts: checked as a post is when scheduled, kept with the uploads they hold, and
//! published by a job at their time through the same code as any new post.
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};

use super::polls::NewPoll;
use super::statuses::{self, Compose};
use crate::app::AppState;
use crate::db::entities::{accounts, scheduled_statuses};
use crate::db::queries::{Page, accounts as aq, jobs, scheduled as qs};
use crate::error::{AppError, AppResult, ErrorKind};

/// The job that publishes a scheduled post.
pub const PUBLISH_JOB: &str = "publish_scheduled";

/// Most posts one member may have scheduled at once (as on Mastodon).
pub const MAX_SCHEDULED: u64 = 300;

/// A post as scheduled: what `Compose` holds, stored as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Params {
    pub text: String,
    #[serde(default)]
    pub spoiler_text: String,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub in_reply_to_id: Option<i64>,
    #[serde(default)]
    pub media_ids: Vec<i64>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub poll: Option<NewPoll>,
    #[serde(default)]
    pub idempotency: Option<String>,
}

impl Params {
    fn of(c: &Compose, key: Option<&str>) -> Self {
        Self {
            text: c.text.clone(),
            spoiler_text: c.spoiler_text.clone(),
            sensitive: c.sensitive,
            visibility: c.visibility.clone(),
            in_reply_to_id: c.in_reply_to_id,
            media_ids: c.media_ids.clone(),
            language: c.language.clone(),
            poll: c.poll.clone(),
            idempotency: key.map(str::to_owned),
        }
    }

    pub fn compose(&self) -> Compose {
        Compose {
            text: self.text.clone(),
            spoiler_text: self.spoiler_text.clone(),
            sensitive: self.sensitive,
            visibility: self.visibility.clone(),
            in_reply_to_id: self.in_reply_to_id,
            media_ids: self.media_ids.clone(),
            language: self.language.clone(),
            poll: self.poll.clone(),
        }
    }
}

/// The params of a stored scheduled post.
pub fn params_of(row: &scheduled_statuses::Model) -> Params {
    serde_json::from_str(&row.params).unwrap_or_default()
}

/// Uploads held by `account`'s scheduled posts.
pub async fn reserved_media(db: &impl ConnectionTrait, account: i64) -> Result<Vec<i64>, DbErr> {
    Ok(qs::all_of(db, account).await?.iter().flat_map(|r| params_of(r).media_ids).collect())
}

/// A scheduled time must be at least `posting.scheduled_min_lead_seconds` ahead, and in the
/// future in any case.
pub fn check_time(state: &AppState, at: chrono::DateTime<chrono::Utc>) -> AppResult<()> {
    let lead = chrono::Duration::seconds(state.settings.posting.scheduled_min_lead_seconds);
    let now = chrono::Utc::now();
    if at <= now || at < now + lead {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Scheduled at The scheduled date must be at least {} minutes in the future",
            (lead.num_seconds() + 59) / 60
        )));
    }
    Ok(())
}

/// Stores a scheduled post (checked as a new post would be) with id `id` in the caller's
/// transaction, and queues the job that publishes it.
pub async fn insert_in(
    state: &AppState,
    db: &impl ConnectionTrait,
    author: &accounts::Model,
    c: &Compose,
    at: chrono::DateTime<chrono::Utc>,
    id: i64,
    key: Option<&str>,
) -> AppResult<scheduled_statuses::Model> {
    check_time(state, at)?;
    statuses::validate(state, db, author, c).await?;
    if qs::count_of(db, author.id).await? >= MAX_SCHEDULED {
        return Err(AppError::unprocessable(format!(
            "Validation failed: You cannot schedule more than {MAX_SCHEDULED} posts"
        )));
    }
    let params = serde_json::to_string(&Params::of(c, key)).map_err(AppError::internal)?;
    let row = qs::insert(
        db,
        scheduled_statuses::Model {
            id,
            account_id: author.id,
            scheduled_at: at,
            params,
            created_at: chrono::Utc::now(),
        },
    )
    .await?;
    queue_publish(db, &row).await?;
    Ok(row)
}

async fn queue_publish(db: &impl ConnectionTrait, row: &scheduled_statuses::Model) -> AppResult<()> {
    jobs::enqueue_at(db, PUBLISH_JOB, &serde_json::json!({ "scheduled_status": row.id }), row.scheduled_at).await?;
    Ok(())
}

/// A page of one's scheduled posts.
pub async fn list(state: &AppState, account: i64, page: Page) -> AppResult<Vec<scheduled_statuses::Model>> {
    Ok(qs::list(&state.db.conn, account, page).await?)
}

/// One's own scheduled post, or 404.
pub async fn get(state: &AppState, account: i64, id: i64) -> AppResult<scheduled_statuses::Model> {
    qs::of_account(&state.db.conn, account, id).await?.ok_or_else(AppError::not_found)
}

/// Moves a scheduled post to another time. The job queued for the old time finds nothing due
/// and leaves it to the new one.
pub async fn reschedule(
    state: &AppState,
    account: i64,
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<scheduled_statuses::Model> {
    let tx = state.db.begin_write().await?;
    let row = qs::of_account(&*tx, account, id).await?.ok_or_else(AppError::not_found)?;
    check_time(state, at)?;
    let row = qs::set_time(&*tx, row, at).await?;
    queue_publish(&*tx, &row).await?;
    tx.commit().await?;
    state.wake_jobs();
    Ok(row)
}

/// Cancels a scheduled post; its uploads are free again.
pub async fn cancel(state: &AppState, account: i64, id: i64) -> AppResult<()> {
    let tx = state.db.begin_write().await?;
    qs::of_account(&*tx, account, id).await?.ok_or_else(AppError::not_found)?;
    qs::delete(&*tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Runs a `publish_scheduled` job. The scheduled row goes and the post is created in one
/// transaction. A post that can no longer be made (the reply's parent is gone, the author
/// suspended) is dropped with a warning rather than retried for days.
pub async fn run_publish(state: &AppState, payload: &str) -> AppResult<()> {
    #[derive(Deserialize)]
    struct Payload {
        scheduled_status: i64,
    }
    let p: Payload = serde_json::from_str(payload).map_err(AppError::internal)?;
    let tx = state.db.begin_write().await?;
    let Some(row) = qs::by_id(&*tx, p.scheduled_status).await? else { return Ok(()) };
    if row.scheduled_at > chrono::Utc::now() {
        return Ok(());
    }
    qs::delete(&*tx, row.id).await?;
    let author = aq::account_by_id(&*tx, row.account_id).await?.filter(|a| a.domain.is_none());
    let Some(author) = author else {
        tx.commit().await?;
        return Ok(());
    };
    let id = crate::ids::next_id();
    match statuses::insert_new(state, &*tx, &author, &params_of(&row).compose(), id, &[]).await {
        Ok(_) => {
            qs::repoint_key(&*tx, row.id, id).await?;
            tx.commit().await?;
            state.wake_jobs();
            Ok(())
        }
        Err(e) if e.kind != ErrorKind::Internal => {
            drop(tx);
            tracing::warn!(scheduled = row.id, error = %e.message, "scheduled post can no longer be made; dropped");
            let tx = state.db.begin_write().await?;
            qs::delete(&*tx, row.id).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}
