//! Outgoing federation, as two job kinds. `federate` turns a service's `Outgoing` event into
//! an activity and one `deliver` job per distinct inbox (shared inboxes first); `deliver`
//! signs and POSTs it. Both live in the jobs table, so nothing is lost to a crash or restart.
use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::config::Data;
use activitypub_federation::traits::{Activity, Object};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::app::AppState;
use crate::db::queries::{accounts as aq, graph, instances, jobs, polls as pq, statuses as sq};
use crate::federation::error::{FedError, FedResult};
use crate::federation::objects::{ApubNote, ApubPerson};
use crate::federation::protocol::ActivityContext;
use crate::service::outgoing::{Outgoing, activity_id};
use crate::service::visibility::Visibility;

pub const DELIVER: &str = "deliver";

/// One signed POST to one inbox.
#[derive(Debug, Serialize, Deserialize)]
struct Delivery {
    inbox: String,
    /// The local account that signs.
    actor: i64,
    activity: Value,
}

const CONTEXT: ActivityContext = ActivityContext;

/// The `actor` of a delivery signed by the instance actor rather than a member.
const INSTANCE_ACTOR: i64 = 0;

async fn person(state: &AppState, id: i64) -> FedResult<ApubPerson> {
    let a = aq::account_by_id(&state.db.conn, id).await?.ok_or_else(|| FedError::bad("account gone"))?;
    ApubPerson::load(state, a).await
}

fn inbox_of(p: &ApubPerson) -> String {
    p.account.shared_inbox_url.clone().or_else(|| p.account.inbox_url.clone()).unwrap_or_default()
}

/// Queues one delivery per distinct inbox.
async fn fan_out(state: &AppState, actor: i64, activity: Value, inboxes: Vec<String>) -> FedResult<usize> {
    let mut unique: Vec<String> = inboxes.into_iter().filter(|i| !i.is_empty()).collect();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(0);
    }
    let tx = state.db.begin_write().await?;
    for inbox in &unique {
        let host = Url::parse(inbox).ok().and_then(|u| crate::federation::authority(&u));
        let d = Delivery { inbox: inbox.clone(), actor, activity: activity.clone() };
        jobs::enqueue_for_host(&*tx, DELIVER, &serde_json::to_value(&d)?, host.as_deref()).await?;
    }
    tx.commit().await?;
    state.wake_jobs();
    Ok(unique.len())
}

/// Remote inboxes of a post's audience: the author's followers (when `followers`) and the
/// mentioned accounts (personal inboxes for direct messages).
async fn audience(
    state: &AppState,
    author: i64,
    followers: bool,
    mentioned: &[i64],
    vis: Visibility,
) -> FedResult<Vec<String>> {
    let mut inboxes = Vec::new();
    if followers {
        inboxes.extend(graph::remote_follower_inboxes(&state.db.conn, author).await?);
    }
    for a in aq::accounts_by_ids(&state.db.conn, mentioned).await?.into_iter().filter(|a| a.domain.is_some()) {
        let p = ApubPerson::load(state, a).await?;
        inboxes.push(if vis == Visibility::Direct {
            p.account.inbox_url.clone().unwrap_or_default()
        } else {
            inbox_of(&p)
        });
    }
    Ok(inboxes)
}

/// A boost goes to the booster's followers and to the boosted post's author.
async fn boost_audience(
    state: &AppState,
    booster: i64,
    original: &crate::db::entities::statuses::Model,
) -> FedResult<Vec<String>> {
    let mut inboxes = graph::remote_follower_inboxes(&state.db.conn, booster).await?;
    if original.uri.is_some() {
        let author = person(state, original.account_id).await?;
        inboxes.push(inbox_of(&author));
    }
    Ok(inboxes)
}

async fn announce(
    state: &AppState,
    account: i64,
    boost: i64,
    original: &crate::db::entities::statuses::Model,
    published: chrono::DateTime<chrono::Utc>,
) -> FedResult<Value> {
    let who = person(state, account).await?;
    let author = person(state, original.account_id).await?;
    let public = Visibility::of(original) == Visibility::Public;
    let followers = format!("{}/followers", who.ap_id);
    let (to, cc) = if public {
        (json!([crate::federation::protocol::PUBLIC]), json!([followers, author.ap_id]))
    } else {
        (json!([followers]), json!([crate::federation::protocol::PUBLIC, author.ap_id]))
    };
    Ok(json!({
        "@context": CONTEXT,
        "id": activity_id(&state.base_url, "announce", boost),
        "type": "Announce",
        "actor": who.ap_id,
        "published": published,
        "to": to,
        "cc": cc,
        "object": crate::federation::objects::note::status_ap_id(state, original),
    }))
}

/// Runs a `federate` job.
pub async fn run_federate(state: &AppState, payload: &str) -> FedResult<()> {
    let data = state.federation_data().ok_or_else(|| FedError::bad("federation is not configured"))?;
    let event: Outgoing = serde_json::from_str(payload)?;
    let base = &state.base_url;
    match event {
        Outgoing::Post { status } | Outgoing::Update { status } => {
            let update = matches!(event, Outgoing::Update { .. });
            // Deleted before it could be sent: nothing to do.
            let Some(s) = sq::status_by_id(&state.db.conn, status).await? else { return Ok(()) };
            let author = person(state, s.account_id).await?;
            let vis = Visibility::of(&s);
            let note = ApubNote::new(state, s.clone())?.into_json(&data).await?;
            let activity = json!({
                "@context": CONTEXT,
                "id": if update { activity_id(base, "update", crate::ids::next_id()) } else { activity_id(base, "create", s.id) },
                "type": if update { "Update" } else { "Create" },
                "actor": author.ap_id,
                "published": s.created_at,
                "to": note.to,
                "cc": note.cc,
                "object": note,
            });
            let mentioned: Vec<i64> =
                sq::mentions_for(&state.db.conn, &[s.id]).await?.into_iter().map(|m| m.account_id).collect();
            let inboxes = audience(state, author.account.id, vis != Visibility::Direct, &mentioned, vis).await?;
            fan_out(state, author.account.id, activity, inboxes).await?;
        }
        Outgoing::Delete { account, status, followers, mentioned } => {
            let author = person(state, account).await?;
            let object = crate::federation::local_object_id(base, status);
            let activity = json!({
                "@context": CONTEXT,
                "id": activity_id(base, "delete", status),
                "type": "Delete",
                "actor": author.ap_id,
                "to": [crate::federation::protocol::PUBLIC],
                "object": { "id": object, "type": "Tombstone" },
            });
            let inboxes = audience(state, account, followers, &mentioned, Visibility::Public).await?;
            fan_out(state, account, activity, inboxes).await?;
        }
        Outgoing::Like { account, status, like } | Outgoing::Unlike { account, status, like } => {
            let undo = matches!(event, Outgoing::Unlike { .. });
            let Some(s) = sq::status_by_id(&state.db.conn, status).await? else { return Ok(()) };
            let who = person(state, account).await?;
            let author = person(state, s.account_id).await?;
            let like_activity = json!({
                "id": activity_id(base, "like", like),
                "type": "Like",
                "actor": who.ap_id,
                "object": crate::federation::objects::note::status_ap_id(state, &s),
            });
            let activity = if undo {
                json!({
                    "@context": CONTEXT,
                    "id": activity_id(base, "undo", crate::ids::next_id()),
                    "type": "Undo",
                    "actor": who.ap_id,
                    "object": like_activity,
                })
            } else {
                let mut a = like_activity;
                a["@context"] = json!(CONTEXT);
                a
            };
            fan_out(state, account, activity, vec![author.account.inbox_url.clone().unwrap_or_default()]).await?;
        }
        Outgoing::Block { account, target, block } | Outgoing::Unblock { account, target, block } => {
            let undo = matches!(event, Outgoing::Unblock { .. });
            let (me, them) = (person(state, account).await?, person(state, target).await?);
            // The block row's id names the activity, so that its Undo can name it too.
            let block = json!({
                "id": activity_id(base, "block", block),
                "type": "Block",
                "actor": me.ap_id,
                "object": them.ap_id,
            });
            let activity = if undo {
                json!({
                    "@context": CONTEXT,
                    "id": activity_id(base, "undo", crate::ids::next_id()),
                    "type": "Undo",
                    "actor": me.ap_id,
                    "object": block,
                })
            } else {
                let mut b = block;
                b["@context"] = json!(CONTEXT);
                b
            };
            fan_out(state, account, activity, vec![them.account.inbox_url.clone().unwrap_or_default()]).await?;
        }
        Outgoing::Announce { account, boost } => {
            let Some(b) = sq::status_by_id(&state.db.conn, boost).await? else { return Ok(()) };
            let Some(original) = b.reblog_of_id else { return Ok(()) };
            let Some(o) = sq::status_by_id(&state.db.conn, original).await? else { return Ok(()) };
            let activity = announce(state, account, boost, &o, b.created_at).await?;
            let inboxes = boost_audience(state, account, &o).await?;
            fan_out(state, account, activity, inboxes).await?;
        }
        Outgoing::Unannounce { account, boost, original } => {
            let Some(o) = sq::status_by_id(&state.db.conn, original).await? else { return Ok(()) };
            let mut inner = announce(state, account, boost, &o, chrono::Utc::now()).await?;
            if let Some(m) = inner.as_object_mut() {
                m.remove("@context");
            }
            let who = person(state, account).await?;
            let activity = json!({
                "@context": CONTEXT,
                "id": activity_id(base, "undo", crate::ids::next_id()),
                "type": "Undo",
                "actor": who.ap_id,
                "object": inner,
            });
            let inboxes = boost_audience(state, account, &o).await?;
            fan_out(state, account, activity, inboxes).await?;
        }
        Outgoing::Follow { follower, target, follow_id } => {
            let (f, t) = (person(state, follower).await?, person(state, target).await?);
            let activity = json!({
                "@context": CONTEXT, "id": follow_id, "type": "Follow", "actor": f.ap_id, "object": t.ap_id,
            });
            fan_out(state, follower, activity, vec![t.account.inbox_url.clone().unwrap_or_default()]).await?;
        }
        Outgoing::Unfollow { follower, target, follow_id } => {
            let (f, t) = (person(state, follower).await?, person(state, target).await?);
            let activity = json!({
                "@context": CONTEXT,
                "id": activity_id(base, "undo", crate::ids::next_id()),
                "type": "Undo",
                "actor": f.ap_id,
                "object": { "id": follow_id, "type": "Follow", "actor": f.ap_id, "object": t.ap_id },
            });
            fan_out(state, follower, activity, vec![t.account.inbox_url.clone().unwrap_or_default()]).await?;
        }
        Outgoing::AcceptFollow { follower, target, follow_id } => {
            let (f, t) = (person(state, follower).await?, person(state, target).await?);
            let activity = json!({
                "@context": CONTEXT,
                "id": activity_id(base, "accept", crate::ids::next_id()),
                "type": "Accept",
                "actor": t.ap_id,
                "object": { "id": follow_id, "type": "Follow", "actor": f.ap_id, "object": t.ap_id },
            });
            fan_out(state, target, activity, vec![f.account.inbox_url.clone().unwrap_or_default()]).await?;
        }
        Outgoing::Vote { account, poll, votes } => send_votes(state, account, poll, &votes).await?,
        Outgoing::PollUpdate { status } => send_poll_update(state, &data, status).await?,
        Outgoing::Report { report } => {
            // Sent by the instance actor, as Mastodon does, so the reporter stays anonymous.
            let Some(r) = crate::db::queries::moderation::report_by_id(&state.db.conn, report).await? else {
                return Ok(());
            };
            let target = person(state, r.target_account_id).await?;
            if target.is_local() {
                return Ok(());
            }
            let mut object = vec![target.ap_id.to_string()];
            for id in crate::service::reports::status_ids(&r) {
                if let Some(s) = sq::status_by_id(&state.db.conn, id).await?
                    && s.account_id == r.target_account_id
                {
                    object.push(crate::federation::objects::note::status_ap_id(state, &s));
                }
            }
            let activity = json!({
                "@context": CONTEXT,
                "id": activity_id(base, "flag", r.id),
                "type": "Flag",
                "actor": crate::federation::instance_actor::actor_id(base),
                "content": r.comment,
                "object": object,
            });
            fan_out(state, INSTANCE_ACTOR, activity, vec![inbox_of(&target)]).await?;
        }
        Outgoing::Move { account, target } => {
            let (me, new) = (person(state, account).await?, person(state, target).await?);
            let activity = json!({
                "@context": CONTEXT,
                "id": activity_id(base, "move", crate::ids::next_id()),
                "type": "Move",
                "actor": me.ap_id,
                "object": me.ap_id,
                "target": new.ap_id,
                "to": [format!("{}/followers", me.ap_id)],
            });
            let inboxes = graph::remote_follower_inboxes(&state.db.conn, account).await?;
            fan_out(state, account, activity, inboxes).await?;
        }
    }
    Ok(())
}

/// A local member's vote on a remote poll: one `Create` of a `Note` per chosen option, whose
/// `name` is the option's title, in reply to the Question, addressed to its author alone.
async fn send_votes(state: &AppState, account: i64, poll: i64, votes: &[i64]) -> FedResult<()> {
    let Some(poll) = pq::by_id(&state.db.conn, poll).await? else { return Ok(()) };
    let Some(s) = sq::status_by_id(&state.db.conn, poll.status_id).await? else { return Ok(()) };
    let Some(question) = s.uri.clone() else { return Ok(()) };
    let voter = person(state, account).await?;
    let author = person(state, s.account_id).await?;
    let titles = crate::service::polls::titles(&poll);
    for v in pq::votes_of(&state.db.conn, poll.id, account).await?.into_iter().filter(|v| votes.contains(&v.id)) {
        let Some(title) = usize::try_from(v.choice).ok().and_then(|c| titles.get(c)) else { continue };
        let note_id = format!("{}#votes/{}", voter.ap_id, v.id);
        let activity = json!({
            "@context": CONTEXT,
            "id": format!("{note_id}/activity"),
            "type": "Create",
            "actor": voter.ap_id,
            "to": [author.ap_id],
            "object": {
                "id": note_id,
                "type": "Note",
                "name": title,
                "attributedTo": voter.ap_id,
                "to": [author.ap_id],
                "inReplyTo": question,
            },
        });
        fan_out(state, account, activity, vec![author.account.inbox_url.clone().unwrap_or_default()]).await?;
    }
    Ok(())
}

/// An `Update` of a local Question with its current counts, to the post's remote audience and
/// to the remote voters (who may not follow the author).
async fn send_poll_update(state: &AppState, data: &Data<AppState>, status: i64) -> FedResult<()> {
    let Some(s) = sq::status_by_id(&state.db.conn, status).await? else { return Ok(()) };
    if s.uri.is_some() {
        return Ok(());
    }
    let Some(poll) = pq::by_status(&state.db.conn, s.id).await? else { return Ok(()) };
    let author = person(state, s.account_id).await?;
    let vis = Visibility::of(&s);
    let note = ApubNote::new(state, s.clone())?.into_json(data).await?;
    let activity = json!({
        "@context": CONTEXT,
        "id": activity_id(&state.base_url, "update", crate::ids::next_id()),
        "type": "Update",
        "actor": author.ap_id,
        "to": note.to,
        "cc": note.cc,
        "object": note,
    });
    let mentioned: Vec<i64> =
        sq::mentions_for(&state.db.conn, &[s.id]).await?.into_iter().map(|m| m.account_id).collect();
    let mut inboxes = audience(state, author.account.id, vis != Visibility::Direct, &mentioned, vis).await?;
    let voters = aq::accounts_by_ids(&state.db.conn, &pq::voters(&state.db.conn, poll.id).await?).await?;
    for a in voters.into_iter().filter(|a| a.domain.is_some()) {
        inboxes.push(inbox_of(&ApubPerson::load(state, a).await?));
    }
    fan_out(state, author.account.id, activity, inboxes).await?;
    Ok(())
}

/// A stored activity, re-sent as it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RawActivity {
    #[serde(skip)]
    id: Option<Url>,
    #[serde(skip)]
    actor: Option<Url>,
    #[serde(flatten)]
    body: serde_json::Map<String, Value>,
}

#[async_trait::async_trait]
impl Activity for RawActivity {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        self.id.as_ref().unwrap_or_else(|| unreachable_url())
    }

    fn actor(&self) -> &Url {
        self.actor.as_ref().unwrap_or_else(|| unreachable_url())
    }

    async fn verify(&self, _data: &Data<AppState>) -> FedResult<()> {
        Err(FedError::bad("outgoing only"))
    }

    async fn receive(self, _data: &Data<AppState>) -> FedResult<()> {
        Err(FedError::bad("outgoing only"))
    }
}

fn unreachable_url() -> &'static Url {
    static URL: std::sync::OnceLock<Url> = std::sync::OnceLock::new();
    URL.get_or_init(|| Url::parse("https://invalid.invalid/").unwrap_or_else(|_| unreachable!()))
}

/// What became of a delivery.
pub enum Delivered {
    Sent,
    /// The host is unavailable: try again at this time (or when it talks to us).
    Postponed(chrono::DateTime<chrono::Utc>),
}

/// Runs a `deliver` job: signs with the actor's key at send time and POSTs. Deliveries to an
/// unavailable host are put aside without being tried; failures are counted per host.
pub async fn run_deliver(state: &AppState, payload: &str) -> FedResult<Delivered> {
    let d: Delivery = serde_json::from_str(payload)?;
    let inbox = Url::parse(&d.inbox)?;
    let host = crate::federation::authority(&inbox).unwrap_or_default();
    if instances::is_unavailable(&state.db.conn, &host).await? {
        let jobs = &state.settings.jobs;
        return Ok(Delivered::Postponed(
            chrono::Utc::now() + chrono::Duration::seconds(jobs.unavailable_recheck_seconds),
        ));
    }
    match send(state, &d, inbox).await {
        Ok(()) => {
            let _w = state.db.write_lock().await;
            instances::record_success(&state.db.conn, &host).await?;
            Ok(Delivered::Sent)
        }
        Err(e) => {
            let _w = state.db.write_lock().await;
            let threshold = state.settings.jobs.unavailable_after_failures;
            if instances::record_failure(&state.db.conn, &host, threshold).await? {
                tracing::warn!(host, "host marked unavailable after repeated delivery failures");
            }
            Err(e)
        }
    }
}

async fn send(state: &AppState, d: &Delivery, inbox: Url) -> FedResult<()> {
    let data = state.federation_data().ok_or_else(|| FedError::bad("federation is not configured"))?;
    let d = Delivery { inbox: d.inbox.clone(), actor: d.actor, activity: d.activity.clone() };
    let signer = if d.actor == INSTANCE_ACTOR {
        let keys = crate::federation::instance_actor::ensure_keys(&state.db).await?;
        crate::federation::instance_actor::signer(&state.base_url, &keys)?
    } else {
        person(state, d.actor).await?
    };
    let body = match d.activity {
        Value::Object(m) => m,
        _ => return Err(FedError::bad("stored activity is not an object")),
    };
    let id = body.get("id").and_then(Value::as_str).and_then(|s| Url::parse(s).ok());
    let raw = RawActivity { id, actor: Some(signer.ap_id.clone()), body };
    if raw.id.is_none() {
        return Err(FedError::bad("stored activity has no id"));
    }
    let tasks = SendActivityTask::prepare(&raw, &signer, vec![inbox], &data).await?;
    for task in tasks {
        task.sign_and_send(&data).await?;
    }
    Ok(())
}
