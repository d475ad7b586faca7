//! Mastodon `Status`, `Context`, `StatusEdit` and `StatusSource`.
use serde::Serialize;

use super::account::{Account, account};
use super::media::{MediaAttachment, media};
use super::{Ctx, iso};
use crate::db::entities::{media_attachments, status_edits};
use crate::service::views::StatusView;

#[derive(Debug, Serialize)]
pub struct Mention {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

#[derive(Debug, Serialize)]
pub struct Tag {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct Application {
    pub name: String,
    pub website: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub id: String,
    pub uri: String,
    pub url: Option<String>,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub account: Account,
    pub content: String,
    pub visibility: String,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub media_attachments: Vec<MediaAttachment>,
    /// Optional in Mastodon's docs: left out (never `null`) when khub does not know the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<Application>,
    pub mentions: Vec<Mention>,
    pub tags: Vec<Tag>,
    pub emojis: Vec<serde_json::Value>,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub replies_count: i64,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub reblog: Option<Box<Status>>,
    pub poll: Option<super::poll::Poll>,
    pub card: Option<serde_json::Value>,
    pub language: Option<String>,
    pub text: Option<String>,
    pub favourited: bool,
    pub reblogged: bool,
    pub muted: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub filtered: Vec<super::filter::FilterResult>,
}

/// `name` for local accounts, `name@host` for remote ones, as in page paths.
pub fn handle_of(a: &crate::db::entities::accounts::Model) -> String {
    match &a.domain {
        Some(d) => format!("{}@{d}", a.username),
        None => a.username.clone(),
    }
}

pub fn status(ctx: &Ctx<'_>, v: &StatusView, with_source: bool) -> Status {
    let s = &v.status;
    let author = &v.account.account;
    let uri = s.uri.clone().unwrap_or_else(|| format!("{}/objects/{}", ctx.base_url, s.id));
    let url =
        if s.reblog_of_id.is_some() { None } else { Some(format!("{}/@{}/{}", ctx.base_url, handle_of(author), s.id)) };
    Status {
        id: s.id.to_string(),
        uri,
        url,
        created_at: iso(s.created_at),
        edited_at: s.edited_at.map(iso),
        account: account(ctx, &v.account),
        content: s.content.clone(),
        visibility: s.visibility.clone(),
        sensitive: s.sensitive,
        spoiler_text: s.spoiler_text.clone(),
        media_attachments: v.media.iter().map(|m| media(ctx, m)).collect(),
        application: None,
        mentions: v
            .mentions
            .iter()
            .map(|a| Mention {
                id: a.id.to_string(),
                username: a.username.clone(),
                url: format!("{}/@{}", ctx.base_url, a.username),
                acct: match &a.domain {
                    Some(d) => format!("{}@{d}", a.username),
                    None => a.username.clone(),
                },
            })
            .collect(),
        tags: v.tags.iter().map(|t| Tag { name: t.clone(), url: format!("{}/tags/{t}", ctx.base_url) }).collect(),
        emojis: vec![],
        reblogs_count: v.reblogs_count,
        favourites_count: v.favourites_count,
        replies_count: v.replies_count,
        in_reply_to_id: s.in_reply_to_id.map(|i| i.to_string()),
        in_reply_to_account_id: s.in_reply_to_account_id.map(|i| i.to_string()),
        reblog: v.reblog.as_ref().map(|r| Box::new(status(ctx, r, false))),
        poll: v.poll.as_ref().map(super::poll::poll),
        card: None,
        language: s.language.clone(),
        text: if with_source { Some(s.source.clone()) } else { None },
        favourited: v.favourited,
        reblogged: v.reblogged,
        muted: v.muted,
        bookmarked: v.bookmarked,
        pinned: v.pinned,
        filtered: v.filtered.iter().map(super::filter::result).collect(),
    }
}

#[derive(Debug, Serialize)]
pub struct Context {
    pub ancestors: Vec<Status>,
    pub descendants: Vec<Status>,
}

#[derive(Debug, Serialize)]
pub struct StatusEdit {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: String,
    pub account: Account,
    /// Optional in Mastodon's docs: present only when the edit had a poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll: Option<serde_json::Value>,
    pub media_attachments: Vec<MediaAttachment>,
    pub emojis: Vec<serde_json::Value>,
}

pub fn edit(
    ctx: &Ctx<'_>,
    e: &status_edits::Model,
    author: &Account,
    media_rows: &[media_attachments::Model],
) -> StatusEdit {
    let ids: Vec<i64> = serde_json::from_str(&e.media_ids).unwrap_or_default();
    StatusEdit {
        content: e.content.clone(),
        spoiler_text: e.spoiler_text.clone(),
        sensitive: e.sensitive,
        created_at: iso(e.created_at),
        account: author.clone(),
        poll: None,
        media_attachments: ids
            .iter()
            .filter_map(|id| media_rows.iter().find(|m| m.id == *id))
            .map(|m| media(ctx, m))
            .collect(),
        emojis: vec![],
    }
}

#[derive(Debug, Serialize)]
pub struct StatusSource {
    pub id: String,
    pub text: String,
    pub spoiler_text: String,
}
