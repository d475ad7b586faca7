//! Mastodon `Tag` (with its history and whether the viewer follows it) and `FeaturedTag`.
use serde::Serialize;

use super::Ctx;
use crate::service::tags::{FeaturedTagView, TagView};

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
    /// Present only for a signed-in viewer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
}

pub fn tag(ctx: &Ctx<'_>, v: &TagView) -> Tag {
    Tag {
        url: format!("{}/tags/{}", ctx.base_url, v.name),
        name: v.name.clone(),
        history: v
            .history
            .iter()
            .map(|d| TagHistory { day: d.day.to_string(), uses: d.uses.to_string(), accounts: d.accounts.to_string() })
            .collect(),
        following: v.following,
    }
}

#[derive(Debug, Serialize)]
pub struct FeaturedTag {
    pub id: String,
    pub name: String,
    pub url: String,
    /// A string (`"70"`), as Mastodon writes it.
    pub statuses_count: String,
    /// A date (`2022-08-29`), as Mastodon writes it.
    pub last_status_at: Option<String>,
}

pub fn featured_tag(ctx: &Ctx<'_>, v: &FeaturedTagView) -> FeaturedTag {
    FeaturedTag {
        id: v.featured.id.to_string(),
        url: format!("{}/@{}/tagged/{}", ctx.base_url, v.username, v.featured.tag),
        name: v.featured.tag.clone(),
        statuses_count: v.statuses_count.to_string(),
        last_status_at: v.last_status_at.map(|t| t.date_naive().to_string()),
    }
}
