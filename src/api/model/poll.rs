//! Mastodon `Poll` and `ScheduledStatus`.
use serde::Serialize;
use serde_json::{Value, json};

use super::Ctx;
use super::iso;
use super::media::{MediaAttachment, media};
use crate::db::entities::{media_attachments, scheduled_statuses};
use crate::service::polls::{self, PollView};
use crate::service::scheduled::params_of;

#[derive(Debug, Serialize)]
pub struct PollOption {
    pub title: String,
    /// Null while the totals are hidden (`hide_totals` until the poll ends).
    pub votes_count: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Poll {
    pub id: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub multiple: bool,
    pub votes_count: i64,
    /// Null unless the poll allows several choices (as documented).
    pub voters_count: Option<i64>,
    pub options: Vec<PollOption>,
    pub emojis: Vec<Value>,
    /// Only with a user token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_votes: Option<Vec<i32>>,
}

pub fn poll(v: &PollView) -> Poll {
    let p = &v.poll;
    let expired = polls::expired(p);
    let show_totals = expired || !p.hide_totals;
    Poll {
        id: p.id.to_string(),
        expires_at: p.expires_at.map(iso),
        expired,
        multiple: p.multiple,
        votes_count: v.votes_count,
        voters_count: p.multiple.then_some(v.voters_count),
        options: v
            .titles
            .iter()
            .zip(&v.counts)
            .map(|(t, n)| PollOption { title: t.clone(), votes_count: show_totals.then_some(*n) })
            .collect(),
        emojis: vec![],
        voted: v.own_votes.as_ref().map(|o| v.own_poll || !o.is_empty()),
        own_votes: v.own_votes.clone(),
    }
}

#[derive(Debug, Serialize)]
pub struct ScheduledStatus {
    pub id: String,
    pub scheduled_at: String,
    pub params: Value,
    pub media_attachments: Vec<MediaAttachment>,
}

/// A scheduled post; `media` holds (at least) its uploads.
pub fn scheduled_status(
    ctx: &Ctx<'_>,
    row: &scheduled_statuses::Model,
    media_rows: &[media_attachments::Model],
) -> ScheduledStatus {
    let p = params_of(row);
    let null_if_empty = |s: &str| if s.is_empty() { Value::Null } else { Value::String(s.to_owned()) };
    ScheduledStatus {
        id: row.id.to_string(),
        scheduled_at: iso(row.scheduled_at),
        params: json!({
            "text": p.text,
            "media_ids": if p.media_ids.is_empty() {
                Value::Null
            } else {
                json!(p.media_ids.iter().map(ToString::to_string).collect::<Vec<_>>())
            },
            "sensitive": p.sensitive,
            "spoiler_text": null_if_empty(&p.spoiler_text),
            "visibility": p.visibility.clone().filter(|v| !v.is_empty()).unwrap_or_else(|| "public".to_owned()),
            "language": p.language,
            "scheduled_at": Value::Null,
            "poll": p.poll.as_ref().map(|poll| json!({
                "options": poll.options,
                "expires_in": poll.expires_in,
                "multiple": poll.multiple,
                "hide_totals": poll.hide_totals,
            })),
            "idempotency": p.idempotency,
            "with_rate_limit": false,
            "in_reply_to_id": p.in_reply_to_id.map(|i| i.to_string()),
            "application_id": Value::Null,
        }),
        media_attachments: p
            .media_ids
            .iter()
            .filter_map(|id| media_rows.iter().find(|m| m.id == *id))
            .map(|m| media(ctx, m))
            .collect(),
    }
}
