//! Mastodon `Tag` (with `history`), `Suggestion`, `FamiliarFollowers`, `Announcement` and its
//! `Reaction`.
use serde::Serialize;

use super::account::{Account, account};
use super::{Ctx, iso};
use crate::service::announcements::AnnouncementView;
use crate::service::discovery::{Suggestion as SuggestionView, TagTrend};
use crate::service::views::AccountView;

#[derive(Debug, Serialize)]
pub struct TagHistory {
    pub day: String,
    pub uses: String,
    pub accounts: String,
}

#[derive(Debug, Serialize)]
pub struct Tag {
    pub name: String,
    pub url: String,
    pub history: Vec<TagHistory>,
}

pub fn trending_tag(ctx: &Ctx<'_>, t: &TagTrend) -> Tag {
    Tag {
        url: format!("{}/tags/{}", ctx.base_url, t.name),
        name: t.name.clone(),
        history: t
            .history
            .iter()
            .map(|d| TagHistory { day: d.day.to_string(), uses: d.uses.to_string(), accounts: d.accounts.to_string() })
            .collect(),
    }
}

#[derive(Debug, Serialize)]
pub struct Suggestion {
    /// The reason in Mastodon's older terms (`staff`, `past_interactions`, `global`).
    pub source: &'static str,
    pub sources: Vec<&'static str>,
    pub account: Account,
}

pub fn suggestion(ctx: &Ctx<'_>, s: &SuggestionView) -> Suggestion {
    let source = if s.sources.contains(&"friends_of_friends") { "past_interactions" } else { "global" };
    Suggestion { source, sources: s.sources.clone(), account: account(ctx, &s.account) }
}

#[derive(Debug, Serialize)]
pub struct FamiliarFollowers {
    pub id: String,
    pub accounts: Vec<Account>,
}

pub fn familiar_followers(ctx: &Ctx<'_>, id: i64, list: &[AccountView]) -> FamiliarFollowers {
    FamiliarFollowers { id: id.to_string(), accounts: list.iter().map(|a| account(ctx, a)).collect() }
}

#[derive(Debug, Serialize)]
pub struct Reaction {
    pub name: String,
    pub count: i64,
    pub me: bool,
}

#[derive(Debug, Serialize)]
pub struct Announcement {
    pub id: String,
    pub content: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub published: bool,
    pub all_day: bool,
    pub published_at: String,
    pub updated_at: String,
    pub read: bool,
    pub mentions: Vec<serde_json::Value>,
    pub statuses: Vec<serde_json::Value>,
    pub tags: Vec<serde_json::Value>,
    pub emojis: Vec<serde_json::Value>,
    pub reactions: Vec<Reaction>,
}

pub fn announcement(v: &AnnouncementView) -> Announcement {
    let a = &v.announcement;
    Announcement {
        id: a.id.to_string(),
        content: a.content.clone(),
        starts_at: a.starts_at.map(iso),
        ends_at: a.ends_at.map(iso),
        published: true,
        all_day: a.all_day,
        published_at: iso(a.published_at),
        updated_at: iso(a.updated_at),
        read: v.read,
        mentions: vec![],
        statuses: vec![],
        tags: vec![],
        emojis: vec![],
        reactions: v
            .reactions
            .iter()
            .map(|(name, count, me)| Reaction { name: name.clone(), count: *count, me: *me })
            .collect(),
    }
}
