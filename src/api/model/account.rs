//! Mastodon `Account` (with khub's professional profile as extra keys and in `fields`).
use serde::Serialize;

use super::{Ctx, iso};
use crate::service::profile::{expertise_of, fields_of};
use crate::service::views::AccountView;

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub verified_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub privacy: &'static str,
    pub sensitive: bool,
    pub language: String,
    pub note: String,
    pub fields: Vec<Field>,
    pub follow_requests_count: u64,
    pub hide_collections: Option<bool>,
    pub discoverable: Option<bool>,
    pub indexable: bool,
}

/// Mastodon's `Role` of the signed-in member (`CredentialAccount.role`).
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub color: String,
    /// No Mastodon permission bits: khub serves none of Mastodon's admin API, so apps must not
    /// offer their moderation screens (khub's administration is on the web).
    pub permissions: String,
    pub highlighted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfessionalProfile {
    pub job_title: String,
    pub organisation: String,
    pub location: String,
    pub expertise: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub group: bool,
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<String>,
    pub hide_collections: bool,
    pub noindex: bool,
    pub emojis: Vec<serde_json::Value>,
    pub roles: Vec<serde_json::Value>,
    pub fields: Vec<Field>,
    /// khub's professional profile (extra key; Mastodon apps ignore it).
    pub khub: ProfessionalProfile,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The bio as HTML paragraphs; links are made clickable.
pub fn note_html(bio: &str) -> String {
    if bio.trim().is_empty() {
        return String::new();
    }
    bio.split("\n\n").map(|p| format!("<p>{}</p>", escape(p.trim()).replace('\n', "<br>"))).collect::<String>()
}

/// A field value as HTML: URLs become links.
fn field_value_html(v: &str) -> String {
    if (v.starts_with("https://") || v.starts_with("http://")) && !v.contains(char::is_whitespace) {
        let shown = v.trim_start_matches("https://").trim_start_matches("http://");
        format!(
            "<a href=\"{}\" rel=\"nofollow noopener noreferrer me\" target=\"_blank\">{}</a>",
            escape(v),
            escape(shown)
        )
    } else {
        escape(v)
    }
}

/// The profile fields apps show: job, organisation, location, expertise, then the member's links.
pub fn fields(v: &AccountView) -> Vec<Field> {
    let a = &v.account;
    let mut out = Vec::new();
    let mut push = |name: &str, value: String| {
        if !value.is_empty() {
            out.push(Field { name: name.to_owned(), value, verified_at: None });
        }
    };
    push("Job title", escape(&a.job_title));
    push("Organisation", escape(&a.organisation));
    push("Location", escape(&a.location));
    push("Expertise", escape(&expertise_of(a).join(", ")));
    for f in fields_of(a) {
        push(&f.name, field_value_html(&f.value));
    }
    out
}

pub fn media_url(ctx: &Ctx<'_>, file: &str) -> String {
    format!("{}/media/{file}", ctx.base_url)
}

pub fn account(ctx: &Ctx<'_>, v: &AccountView) -> Account {
    let a = &v.account;
    let acct = match &a.domain {
        Some(d) => format!("{}@{d}", a.username),
        None => a.username.clone(),
    };
    let avatar = v
        .avatar
        .as_ref()
        .map(|m| media_url(ctx, &m.file_name))
        .unwrap_or_else(|| format!("{}/static/avatar.png", ctx.base_url));
    let header = v
        .header
        .as_ref()
        .map(|m| media_url(ctx, &m.file_name))
        .unwrap_or_else(|| format!("{}/static/header.png", ctx.base_url));
    Account {
        id: a.id.to_string(),
        username: a.username.clone(),
        acct,
        display_name: a.display_name.clone(),
        locked: a.locked,
        bot: a.bot,
        discoverable: a.discoverable,
        indexable: a.discoverable,
        group: false,
        created_at: iso(a.created_at.date_naive().and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(a.created_at)),
        note: note_html(&a.bio),
        url: match &a.domain {
            None => format!("{}/@{}", ctx.base_url, a.username),
            Some(_) => a.url.clone().or_else(|| a.uri.clone()).unwrap_or_default(),
        },
        uri: match &a.domain {
            None => format!("{}/users/{}", ctx.base_url, a.username),
            Some(_) => a.uri.clone().unwrap_or_default(),
        },
        avatar_static: avatar.clone(),
        avatar,
        header_static: header.clone(),
        header,
        followers_count: v.followers_count,
        following_count: v.following_count,
        statuses_count: v.statuses_count,
        last_status_at: v.last_status_at.map(|t| t.format("%Y-%m-%d").to_string()),
        hide_collections: false,
        noindex: !a.discoverable,
        emojis: vec![],
        roles: vec![],
        fields: fields(v),
        khub: ProfessionalProfile {
            job_title: a.job_title.clone(),
            organisation: a.organisation.clone(),
            location: a.location.clone(),
            expertise: expertise_of(a),
        },
        source: None,
        role: None,
    }
}

/// The signed-in member's own account, with `source` and `role` (CredentialAccount); `user_role`
/// is the member's role in khub (`admin` or `user`).
pub fn credential_account(ctx: &Ctx<'_>, v: &AccountView, follow_requests_count: u64, user_role: &str) -> Account {
    let mut acc = account(ctx, v);
    let admin = user_role == "admin";
    acc.role = Some(Role {
        // Mastodon's id for the role everyone has is -99.
        id: if admin { "1" } else { "-99" }.to_owned(),
        name: if admin { "Admin" } else { "" }.to_owned(),
        color: String::new(),
        permissions: "0".to_owned(),
        highlighted: admin,
    });
    acc.source = Some(Source {
        privacy: "public",
        sensitive: false,
        language: String::new(),
        note: v.account.bio.clone(),
        fields: fields_of(&v.account)
            .into_iter()
            .map(|f| Field { name: f.name, value: f.value, verified_at: None })
            .collect(),
        follow_requests_count,
        hide_collections: Some(acc.hide_collections),
        discoverable: Some(v.account.discoverable),
        indexable: acc.indexable,
    });
    acc
}
