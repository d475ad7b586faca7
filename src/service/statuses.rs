//! Posts: create, edit (keeping history), delete; favourites, boosts, bookmarks and pins.
use std::collections::HashMap;

use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set};

use super::text::{self, LinkTargets};
use super::visibility::{self, Visibility};
use crate::app::AppState;
use crate::db::entities::{accounts, status_edits, statuses};
use crate::db::queries::{accounts as aq, graph, notifications as nq, statuses as sq};
use crate::error::{AppError, AppResult};
use crate::service::outgoing::{self, Outgoing};

/// A post as a member composes it.
#[derive(Debug, Clone, Default)]
pub struct Compose {
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Option<String>,
    pub in_reply_to_id: Option<i64>,
    pub media_ids: Vec<i64>,
    pub language: Option<String>,
    /// A poll (only on new posts: an edit keeps the poll as it is).
    pub poll: Option<super::polls::NewPoll>,
}

/// Checked content ready to store.
struct Prepared {
    source: String,
    html: String,
    spoiler_text: String,
    sensitive: bool,
    mention_ids: Vec<i64>,
    /// Mentioned accounts on other servers (also in `mention_ids`).
    remote_mentions: Vec<i64>,
    tags: Vec<String>,
    media_ids: Vec<i64>,
}

/// Local accounts mentioned in `source`, with their profile URLs for rendering.
async fn resolve_mentions(
    state: &AppState,
    db: &impl ConnectionTrait,
    source: &str,
) -> AppResult<(Vec<accounts::Model>, HashMap<String, String>)> {
    let mut found = Vec::new();
    let mut links = HashMap::new();
    for m in text::find_mentions(source).into_iter().take(50) {
        let local = m.domain.as_deref().is_none_or(|d| d.eq_ignore_ascii_case(&state.settings.domain));
        // Remote people are mentioned once they are known here (looked up or followed).
        let found_account = match (&m.domain, local) {
            (_, true) => aq::local_account_by_username(db, &m.username).await?,
            (Some(d), false) => aq::remote_account(db, &m.username, d).await?,
            (None, false) => None,
        };
        if let Some(acc) = found_account {
            let key = match &m.domain {
                Some(d) => format!("{}@{}", m.username.to_lowercase(), d),
                None => m.username.to_lowercase(),
            };
            let href = match &acc.domain {
                None => format!("{}/@{}", state.base_url, acc.username),
                Some(_) => acc.url.clone().or_else(|| acc.uri.clone()).unwrap_or_default(),
            };
            links.insert(key, href);
            if !found.iter().any(|a: &accounts::Model| a.id == acc.id) {
                found.push(acc);
            }
        }
    }
    Ok((found, links))
}

async fn prepare(
    state: &AppState,
    db: &impl ConnectionTrait,
    author: &accounts::Model,
    c: &Compose,
    existing_media: &[i64],
) -> AppResult<Prepared> {
    let limits = &state.settings.limits;
    let source = c.text.replace("\r\n", "\n").trim().to_owned();
    if source.is_empty() && c.media_ids.is_empty() {
        return Err(AppError::unprocessable("Validation failed: Text can't be blank"));
    }
    if super::char_len(&source) > limits.max_status_chars {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Text is too long (maximum is {} characters)",
            limits.max_status_chars
        )));
    }
    if super::char_len(&c.spoiler_text) > 500 {
        return Err(AppError::unprocessable(
            "Validation failed: Content warning is too long (maximum is 500 characters)",
        ));
    }
    if c.media_ids.len() > limits.max_media_attachments {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Too many attachments (maximum is {})",
            limits.max_media_attachments
        )));
    }
    let mut unique = c.media_ids.clone();
    unique.dedup();
    let media = sq::media_by_ids(db, &unique).await?;
    // Uploads held by a scheduled post stay its own until it is published or cancelled.
    let reserved = if unique.is_empty() { Vec::new() } else { super::scheduled::reserved_media(db, author.id).await? };
    for id in &unique {
        let ok = media.iter().any(|m| {
            m.id == *id
                && m.account_id == author.id
                && (m.kind == "image" || m.kind == "document")
                && ((m.status_id.is_none() && !reserved.contains(id)) || existing_media.contains(id))
        });
        if !ok {
            return Err(AppError::unprocessable(format!(
                "Validation failed: media {id} is not yours or is already used"
            )));
        }
    }
    let (mentioned, links) = resolve_mentions(state, db, &source).await?;
    let base = state.settings.base_url();
    let html = text::render(&source, &LinkTargets { base_url: &base, mentions: &links });
    let spoiler_text = c.spoiler_text.trim().to_owned();
    Ok(Prepared {
        html,
        tags: text::find_hashtags(&source).into_iter().take(30).collect(),
        mention_ids: mentioned.iter().map(|a| a.id).filter(|id| *id != author.id).collect(),
        remote_mentions: mentioned.iter().filter(|a| a.domain.is_some()).map(|a| a.id).collect(),
        sensitive: c.sensitive || !spoiler_text.is_empty(),
        spoiler_text,
        source,
        media_ids: unique,
    })
}

/// Creates a post. The row, its mentions, tags, media, poll and notifications commit together.
pub async fn create(state: &AppState, author: &accounts::Model, c: Compose) -> AppResult<statuses::Model> {
    let tx = state.db.begin_write().await?;
    let status = insert_new(state, &*tx, author, &c, crate::ids::next_id(), &[]).await?;
    tx.commit().await?;
    state.wake_jobs();
    Ok(status)
}

/// What can be checked of a composed post without the database: visibility, language, poll.
fn check_basics(state: &AppState, c: &Compose) -> AppResult<(Visibility, Option<Vec<String>>)> {
    let vis = match c.visibility.as_deref() {
        None | Some("") => Visibility::Public,
        Some(v) => Visibility::parse(v).ok_or_else(|| {
            AppError::unprocessable("Validation failed: visibility must be public, unlisted, private or direct")
        })?,
    };
    if let Some(lang) = &c.language
        && (lang.len() > 8 || !lang.chars().all(|ch| ch.is_ascii_alphabetic() || ch == '-'))
    {
        return Err(AppError::unprocessable("Validation failed: language must be an ISO 639 code"));
    }
    let options = match &c.poll {
        None => None,
        Some(_) if !c.media_ids.is_empty() => {
            return Err(AppError::unprocessable("Validation failed: A post with a poll cannot have media"));
        }
        Some(p) => Some(super::polls::check(&state.settings.posting, p)?),
    };
    Ok((vis, options))
}

/// The post replied to, if the author may read it.
async fn parent_of(
    db: &impl ConnectionTrait,
    author: &accounts::Model,
    c: &Compose,
) -> AppResult<Option<statuses::Model>> {
    let Some(pid) = c.in_reply_to_id else { return Ok(None) };
    match sq::status_by_id(db, pid).await?.filter(|p| p.reblog_of_id.is_none()) {
        Some(p) if visibility::can_read(db, Some(author.id), &p).await? => Ok(Some(p)),
        _ => Err(AppError::not_found_msg("The post you are replying to does not exist")),
    }
}

/// Checks a post as `insert_new` would, without storing anything (for scheduling).
pub async fn validate(
    state: &AppState,
    db: &impl ConnectionTrait,
    author: &accounts::Model,
    c: &Compose,
) -> AppResult<()> {
    check_basics(state, c)?;
    parent_of(db, author, c).await?;
    prepare(state, db, author, c, &[]).await?;
    Ok(())
}

/// Stores a new post with id `id` in the caller's transaction: the row, its mentions, tags,
/// media (`own_media` may be uploads a scheduled post held), poll, notifications and delivery.
pub async fn insert_new(
    state: &AppState,
    db: &impl ConnectionTrait,
    author: &accounts::Model,
    c: &Compose,
    id: i64,
    own_media: &[i64],
) -> AppResult<statuses::Model> {
    let (vis, poll_options) = check_basics(state, c)?;
    let parent = parent_of(db, author, c).await?;
    let p = prepare(state, db, author, c, own_media).await?;
    let now = chrono::Utc::now();
    let status = statuses::Model {
        id,
        account_id: author.id,
        uri: None,
        in_reply_to_id: parent.as_ref().map(|p| p.id),
        in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
        reblog_of_id: None,
        thread_id: parent.as_ref().map(|p| p.thread_id).unwrap_or(id),
        source: p.source,
        content: p.html,
        spoiler_text: p.spoiler_text,
        sensitive: p.sensitive,
        visibility: vis.as_str().to_owned(),
        language: c.language.clone().filter(|l| !l.is_empty()),
        created_at: now,
        edited_at: None,
    };
    sq::insert_status(db, status.clone()).await?;
    sq::set_mentions_and_tags(db, id, &p.mention_ids, &p.tags).await?;
    sq::attach_media(db, id, &p.media_ids).await?;
    if let (Some(options), Some(poll)) = (poll_options, &c.poll) {
        super::polls::attach(db, &status, options, poll).await?;
    }
    let mentioned_remote = p.remote_mentions.clone();
    // Notify: the parent's author of a reply, and everyone mentioned (once each).
    let mut notified = Vec::new();
    for target in &p.mention_ids {
        if !p.remote_mentions.contains(target) && notify_allowed(db, *target, author.id).await? {
            nq::insert(db, *target, author.id, "mention", Some(id)).await?;
        }
        notified.push(*target);
    }
    if let Some(parent) = &parent
        && parent.account_id != author.id
        && !notified.contains(&parent.account_id)
        && vis != Visibility::Direct
        && notify_allowed(db, parent.account_id, author.id).await?
        && visibility::can_read(db, Some(parent.account_id), &status).await?
    {
        nq::insert(db, parent.account_id, author.id, "mention", Some(id)).await?;
    }
    // Deliver to other servers when someone there is in the audience.
    let remote_mention = !mentioned_remote.is_empty();
    if remote_mention || (vis != Visibility::Direct && graph::has_remote_followers(db, author.id).await?) {
        outgoing::emit(db, &Outgoing::Post { status: id }).await?;
    }
    Ok(status)
}

/// Someone who blocks, hides the domain of, or mutes (with notifications) the actor hears
/// nothing from them.
async fn notify_allowed(db: &impl ConnectionTrait, recipient: i64, actor: i64) -> AppResult<bool> {
    let Some(actor_account) = aq::account_by_id(db, actor).await? else { return Ok(false) };
    if visibility::hides_account(db, recipient, &actor_account).await? {
        return Ok(false);
    }
    Ok(!graph::is_muting(db, recipient, actor).await?.is_some_and(|m| m.notifications))
}

/// A status the viewer may read, or 404 (also for statuses that exist but are hidden).
pub async fn readable(state: &AppState, viewer: Option<i64>, id: i64) -> AppResult<statuses::Model> {
    let s = sq::status_by_id(&state.db.conn, id).await?.ok_or_else(AppError::not_found)?;
    if !visibility::can_read(&state.db.conn, viewer, &s).await? {
        return Err(AppError::not_found());
    }
    if let Some(orig) = s.reblog_of_id {
        let o = sq::status_by_id(&state.db.conn, orig).await?.ok_or_else(AppError::not_found)?;
        if !visibility::can_read(&state.db.conn, viewer, &o).await? {
            return Err(AppError::not_found());
        }
    }
    Ok(s)
}

/// One's own status, or 404 / 403.
async fn own(db: &impl ConnectionTrait, author: i64, id: i64) -> AppResult<statuses::Model> {
    let s = sq::status_by_id(db, id).await?.ok_or_else(AppError::not_found)?;
    if s.account_id != author {
        // Don't reveal that a hidden post exists.
        if !visibility::can_read(db, Some(author), &s).await? {
            return Err(AppError::not_found());
        }
        return Err(AppError::forbidden("This action is not allowed"));
    }
    Ok(s)
}

/// Edits text, content warning, sensitivity and media; the previous version goes to history.
pub async fn edit(state: &AppState, author: &accounts::Model, id: i64, c: Compose) -> AppResult<statuses::Model> {
    let tx = state.db.begin_write().await?;
    let s = own(&*tx, author.id, id).await?;
    if s.reblog_of_id.is_some() {
        return Err(AppError::unprocessable("A boost cannot be edited"));
    }
    let old_media: Vec<i64> = sq::media_for_statuses(&*tx, &[id]).await?.into_iter().map(|m| m.id).collect();
    let p = prepare(state, &*tx, author, &c, &old_media).await?;
    // The first edit also records the original, so history shows every version.
    if s.edited_at.is_none() {
        record_edit(&*tx, &s, &old_media, s.created_at).await?;
    }
    let now = chrono::Utc::now();
    let mut am = s.clone().into_active_model();
    am.source = Set(p.source);
    am.content = Set(p.html);
    am.spoiler_text = Set(p.spoiler_text);
    am.sensitive = Set(p.sensitive);
    am.edited_at = Set(Some(now));
    let updated = am.update(&*tx).await?;
    sq::record_edited(&*tx, id).await?;
    // Direct posts keep their audience: editing can add people, never remove them silently.
    let mut mention_ids = p.mention_ids;
    if Visibility::of(&s) == Visibility::Direct {
        for m in sq::mentions_for(&*tx, &[id]).await? {
            if !mention_ids.contains(&m.account_id) {
                mention_ids.push(m.account_id);
            }
        }
    }
    sq::set_mentions_and_tags(&*tx, id, &mention_ids, &p.tags).await?;
    let removed_files = sq::remove_media_except(&*tx, id, &p.media_ids).await?;
    sq::attach_media(&*tx, id, &p.media_ids).await?;
    record_edit(&*tx, &updated, &p.media_ids, now).await?;
    if !p.remote_mentions.is_empty()
        || (Visibility::of(&s) != Visibility::Direct && graph::has_remote_followers(&*tx, author.id).await?)
    {
        outgoing::emit(&*tx, &Outgoing::Update { status: id }).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    for f in removed_files {
        state.media.remove(&f).await;
    }
    Ok(updated)
}

async fn record_edit(
    db: &impl ConnectionTrait,
    s: &statuses::Model,
    media: &[i64],
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    sq::insert_edit(
        db,
        status_edits::Model {
            id: crate::ids::next_id(),
            status_id: s.id,
            source: s.source.clone(),
            content: s.content.clone(),
            spoiler_text: s.spoiler_text.clone(),
            sensitive: s.sensitive,
            media_ids: serde_json::to_string(media).unwrap_or_else(|_| "[]".into()),
            created_at: at,
        },
    )
    .await?;
    Ok(())
}

/// Deletes one's own status with its boosts, and removes its files after commit.
pub async fn delete(state: &AppState, author: &accounts::Model, id: i64) -> AppResult<statuses::Model> {
    let tx = state.db.begin_write().await?;
    let s = own(&*tx, author.id, id).await?;
    // Who must hear of the deletion is decided now, while the mentions still exist.
    let mentioned: Vec<i64> = sq::mentions_for(&*tx, &[id]).await?.into_iter().map(|m| m.account_id).collect();
    let remote_mentioned: Vec<i64> =
        aq::accounts_by_ids(&*tx, &mentioned).await?.into_iter().filter(|a| a.domain.is_some()).map(|a| a.id).collect();
    let vis = Visibility::of(&s);
    let tell_followers = vis != Visibility::Direct && graph::has_remote_followers(&*tx, author.id).await?;
    for boost in sq::reblogs_of(&*tx, id).await? {
        sq::delete_status_rows(&*tx, boost.id).await?;
    }
    let files = sq::delete_media_of(&*tx, id).await?;
    sq::delete_status_rows(&*tx, id).await?;
    if s.reblog_of_id.is_none() && (tell_followers || !remote_mentioned.is_empty()) {
        outgoing::emit(
            &*tx,
            &Outgoing::Delete {
                account: author.id,
                status: id,
                followers: tell_followers,
                mentioned: remote_mentioned,
            },
        )
        .await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    for f in files {
        state.media.remove(&f).await;
    }
    Ok(s)
}

/// Favourites a readable status (idempotent); notifies its author.
pub async fn favourite(state: &AppState, who: &accounts::Model, id: i64) -> AppResult<()> {
    let s = readable(state, Some(who.id), id).await?;
    let target = s.reblog_of_id.unwrap_or(s.id);
    let target_status = sq::status_by_id(&state.db.conn, target).await?.ok_or_else(AppError::not_found)?;
    let tx = state.db.begin_write().await?;
    let new_id = sq::favourite(&*tx, who.id, target).await?;
    if new_id.is_some()
        && target_status.account_id != who.id
        && notify_allowed(&*tx, target_status.account_id, who.id).await?
    {
        nq::insert(&*tx, target_status.account_id, who.id, "favourite", Some(target)).await?;
    }
    // A like of a post from another server is sent to its author.
    if let (Some(like), Some(_)) = (new_id, &target_status.uri) {
        outgoing::emit(&*tx, &Outgoing::Like { account: who.id, status: target, like }).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(())
}

pub async fn unfavourite(state: &AppState, who: &accounts::Model, id: i64) -> AppResult<()> {
    let s = readable(state, Some(who.id), id).await?;
    let target = s.reblog_of_id.unwrap_or(s.id);
    let tx = state.db.begin_write().await?;
    let like = sq::favourite_id(&*tx, who.id, target).await?;
    sq::unfavourite(&*tx, who.id, target).await?;
    if let Some(t) = sq::status_by_id(&*tx, target).await? {
        nq::delete_matching(&*tx, t.account_id, who.id, "favourite", Some(target)).await?;
        if let (Some(like), Some(_)) = (like, &t.uri) {
            outgoing::emit(&*tx, &Outgoing::Unlike { account: who.id, status: target, like }).await?;
        }
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(())
}

/// Boosts a public or unlisted status; returns the boost (existing or new).
pub async fn reblog(state: &AppState, who: &accounts::Model, id: i64) -> AppResult<statuses::Model> {
    let s = readable(state, Some(who.id), id).await?;
    let original = match s.reblog_of_id {
        Some(o) => sq::status_by_id(&state.db.conn, o).await?.ok_or_else(AppError::not_found)?,
        None => s,
    };
    let vis = Visibility::of(&original);
    if !matches!(vis, Visibility::Public | Visibility::Unlisted) {
        return Err(AppError::unprocessable("Only public and unlisted posts can be boosted"));
    }
    let tx = state.db.begin_write().await?;
    if let Some(existing) = sq::reblog_by(&*tx, who.id, original.id).await? {
        return Ok(existing);
    }
    let id = crate::ids::next_id();
    let boost = statuses::Model {
        id,
        account_id: who.id,
        uri: None,
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: Some(original.id),
        thread_id: id,
        source: String::new(),
        content: String::new(),
        spoiler_text: String::new(),
        sensitive: false,
        visibility: vis.as_str().to_owned(),
        language: None,
        created_at: chrono::Utc::now(),
        edited_at: None,
    };
    sq::insert_status(&*tx, boost.clone()).await?;
    if original.account_id != who.id && notify_allowed(&*tx, original.account_id, who.id).await? {
        nq::insert(&*tx, original.account_id, who.id, "reblog", Some(original.id)).await?;
    }
    if original.uri.is_some() || graph::has_remote_followers(&*tx, who.id).await? {
        outgoing::emit(&*tx, &Outgoing::Announce { account: who.id, boost: id }).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(boost)
}

/// Undoes a boost; returns the original status.
pub async fn unreblog(state: &AppState, who: &accounts::Model, id: i64) -> AppResult<statuses::Model> {
    let s = readable(state, Some(who.id), id).await?;
    let original_id = s.reblog_of_id.unwrap_or(s.id);
    let tx = state.db.begin_write().await?;
    let original = sq::status_by_id(&*tx, original_id).await?.ok_or_else(AppError::not_found)?;
    if let Some(boost) = sq::reblog_by(&*tx, who.id, original_id).await? {
        sq::delete_status_rows(&*tx, boost.id).await?;
        if original.uri.is_some() || graph::has_remote_followers(&*tx, who.id).await? {
            outgoing::emit(&*tx, &Outgoing::Unannounce { account: who.id, boost: boost.id, original: original_id })
                .await?;
        }
    }
    nq::delete_matching(&*tx, original.account_id, who.id, "reblog", Some(original_id)).await?;
    tx.commit().await?;
    state.wake_jobs();
    Ok(original)
}

pub async fn bookmark(state: &AppState, who: &accounts::Model, id: i64, on: bool) -> AppResult<()> {
    let s = readable(state, Some(who.id), id).await?;
    let target = s.reblog_of_id.unwrap_or(s.id);
    let tx = state.db.begin_write().await?;
    if on {
        sq::bookmark(&*tx, who.id, target).await?;
    } else {
        sq::unbookmark(&*tx, who.id, target).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Pins one's own post to the profile ("showcase"); as on Mastodon, not a direct message or a
/// boost. Readers see only the pinned posts they may read anyway.
pub async fn pin(state: &AppState, who: &accounts::Model, id: i64, on: bool) -> AppResult<()> {
    let tx = state.db.begin_write().await?;
    let s = own(&*tx, who.id, id).await?;
    if on {
        if s.reblog_of_id.is_some() || Visibility::of(&s) == Visibility::Direct {
            return Err(AppError::unprocessable("Direct messages and boosts cannot be pinned"));
        }
        if sq::pins_of(&*tx, who.id).await?.len() >= 5 {
            return Err(AppError::unprocessable("You can pin at most 5 posts"));
        }
        sq::pin(&*tx, who.id, id).await?;
    } else {
        sq::unpin(&*tx, who.id, id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The versions of a status, oldest first (the first is the original).
pub async fn history(
    state: &AppState,
    viewer: Option<i64>,
    id: i64,
) -> AppResult<(statuses::Model, Vec<status_edits::Model>)> {
    let s = readable(state, viewer, id).await?;
    let edits = sq::edits_of(&state.db.conn, id).await?;
    Ok((s, edits))
}
