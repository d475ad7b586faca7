//! Polls as ActivityStreams `Question`s (as Mastodon sends them): the options in `oneOf`
//! (one choice) or `anyOf` (several), each a `Note` with a `name` and its votes in
//! `replies.totalItems`; `endTime`, `closed` and `votersCount`. A vote is a `Note` with the
//! option's title as `name`, in reply to the Question, addressed to its author.
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use super::person::ApubPerson;
use crate::app::AppState;
use crate::db::entities::{polls, statuses};
use crate::db::queries::{polls as pq, statuses as sq};
use crate::federation::authority;
use crate::federation::error::FedResult;
use crate::federation::protocol::{Note, OptionVotes, QuestionOption};
use crate::service::polls as svc;

/// Most options read from a remote Question, and the longest title kept.
const MAX_REMOTE_OPTIONS: usize = 50;
const MAX_TITLE_CHARS: usize = 500;

/// The Question-only fields of a post with a poll.
#[derive(Debug, Default)]
pub struct QuestionParts {
    pub one_of: Vec<QuestionOption>,
    pub any_of: Vec<QuestionOption>,
    pub end_time: Option<chrono::DateTime<chrono::Utc>>,
    pub closed: Option<Value>,
    pub voters_count: Option<i64>,
}

/// The Question fields of a status, if it has a poll.
pub async fn question_of(state: &AppState, s: &statuses::Model) -> FedResult<Option<QuestionParts>> {
    let mut views = svc::views(&state.db.conn, None, &[s.id]).await?;
    let Some(v) = views.remove(&s.id) else { return Ok(None) };
    let options: Vec<QuestionOption> = v
        .titles
        .iter()
        .zip(&v.counts)
        .map(|(title, n)| QuestionOption {
            kind: "Note".into(),
            name: title.clone(),
            replies: Some(OptionVotes { kind: "Collection".into(), total_items: *n }),
        })
        .collect();
    let (one_of, any_of) = if v.poll.multiple { (vec![], options) } else { (options, vec![]) };
    Ok(Some(QuestionParts {
        one_of,
        any_of,
        end_time: v.poll.expires_at,
        closed: if svc::expired(&v.poll) { v.poll.expires_at.map(|t| json!(t)) } else { None },
        voters_count: Some(v.voters_count),
    }))
}

/// A vote on one of our polls: counted (once), and the poll's status returned so that the
/// vote is not stored as a reply. `None` when `json` is not such a vote.
pub async fn receive_vote(state: &AppState, voter: &ApubPerson, json: &Note) -> FedResult<Option<statuses::Model>> {
    let Some(title) = json.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) else { return Ok(None) };
    if json.kind != "Note" || !crate::service::text::plain_text(&json.content, 1000).trim().is_empty() {
        return Ok(None);
    }
    let Some(target) = &json.in_reply_to else { return Ok(None) };
    if authority(target).as_deref() != Some(state.settings.domain.as_str()) {
        return Ok(None);
    }
    let Some(id) = target.path().strip_prefix("/objects/").and_then(crate::ids::parse_id) else { return Ok(None) };
    let Some(status) = sq::status_by_id(&state.db.conn, id).await?.filter(|s| s.uri.is_none()) else {
        return Ok(None);
    };
    if pq::by_status(&state.db.conn, status.id).await?.is_none() {
        return Ok(None);
    }
    svc::receive_vote(state, &voter.account, &status, title, json.id.as_str()).await?;
    Ok(Some(status))
}

/// When a Question's voting ended: `endTime`, or `closed` if that is earlier (a time, or
/// `true` for "now").
fn end_of(json: &Note) -> Option<chrono::DateTime<chrono::Utc>> {
    let closed = match &json.closed {
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&chrono::Utc)),
        Some(Value::Bool(true)) => Some(chrono::Utc::now()),
        _ => None,
    };
    match (json.end_time, closed) {
        (Some(e), Some(c)) => Some(e.min(c)),
        (e, c) => e.or(c),
    }
}

/// Stores (or refreshes) the poll of a remote Question with the counts its server sent.
pub async fn store_poll(db: &impl ConnectionTrait, status: &statuses::Model, json: &Note) -> FedResult<()> {
    if json.kind != "Question" {
        return Ok(());
    }
    let (options, multiple) = if !json.any_of.is_empty() { (&json.any_of, true) } else { (&json.one_of, false) };
    if options.len() < 2 {
        return Ok(());
    }
    let options = &options[..options.len().min(MAX_REMOTE_OPTIONS)];
    let titles: Vec<String> =
        options.iter().map(|o| crate::service::text::plain_text(&o.name, MAX_TITLE_CHARS)).collect();
    let counts: Vec<i64> = options.iter().map(|o| o.replies.as_ref().map_or(0, |r| r.total_items.max(0))).collect();
    let voters = json.voters_count.filter(|v| *v >= 0);
    let expires_at = end_of(json);
    match pq::by_status(db, status.id).await? {
        Some(existing) => {
            let moved = existing.expires_at != expires_at;
            let poll = pq::update_remote(db, existing, &titles, &counts, voters, expires_at).await?;
            if moved {
                svc::schedule_end(db, &poll).await?;
            }
        }
        None => {
            let now = chrono::Utc::now();
            let poll = pq::insert(
                db,
                polls::Model {
                    id: crate::ids::next_id(),
                    status_id: status.id,
                    account_id: status.account_id,
                    options: serde_json::to_string(&titles)?,
                    multiple,
                    hide_totals: false,
                    expires_at,
                    remote_counts: Some(serde_json::to_string(&counts)?),
                    remote_voters_count: voters,
                    counts_updated_at: Some(now),
                    created_at: now,
                },
            )
            .await?;
            if expires_at.is_some_and(|t| t > now) {
                svc::schedule_end(db, &poll).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mastodon_question_reads_with_its_options_counts_and_end() {
        let json = json!({
            "id": "https://mastodon.example/users/ana/statuses/1",
            "type": "Question",
            "attributedTo": "https://mastodon.example/users/ana",
            "content": "<p>Tea or coffee?</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "endTime": "2030-01-02T03:04:05Z",
            "closed": "2030-01-01T00:00:00Z",
            "votersCount": 7,
            "oneOf": [
                {"type": "Note", "name": "Tea", "replies": {"type": "Collection", "totalItems": 4}},
                {"type": "Note", "name": "Coffee", "replies": {"type": "Collection", "totalItems": 3}}
            ]
        });
        let note: Note = serde_json::from_value(json).expect("a Question parses");
        assert_eq!(note.one_of.len(), 2);
        assert!(note.any_of.is_empty());
        assert_eq!(note.one_of[1].name, "Coffee");
        assert_eq!(note.one_of[0].replies.as_ref().map(|r| r.total_items), Some(4));
        assert_eq!(note.voters_count, Some(7));
        // Closed before its planned end: the earlier time counts.
        assert_eq!(end_of(&note).map(|t| t.to_rfc3339()), Some("2030-01-01T00:00:00+00:00".to_owned()));
        // What khub sends reads back the same way.
        let back: Note = serde_json::from_value(serde_json::to_value(&note).expect("json")).expect("parses");
        assert_eq!(back.one_of.len(), 2);
        assert_eq!(serde_json::to_value(&note).expect("json")["oneOf"][0]["replies"]["totalItems"], 4);
    }
}
