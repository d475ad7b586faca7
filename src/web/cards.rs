//! Display forms of statuses for templates: every string the page needs, computed once.
use crate::service::views::{AccountView, StatusView};
use crate::service::visibility::Visibility;

pub struct MediaCard {
    pub url: String,
    pub alt: String,
    pub is_image: bool,
    pub name: String,
    pub type_label: String,
    pub size_label: String,
    pub width: i32,
    pub height: i32,
}

/// One option of a poll, with its share of the votes.
pub struct PollOptionCard {
    pub index: usize,
    pub title: String,
    pub votes: i64,
    pub percent: i64,
    /// The reader chose it.
    pub chosen: bool,
}

/// A poll: a form while the reader may still vote, its results otherwise.
pub struct PollCard {
    pub multiple: bool,
    pub can_vote: bool,
    pub options: Vec<PollOptionCard>,
    /// "3 people voted".
    pub voters_label: String,
    /// "Closes …" or "Closed …"; empty for a poll without an end.
    pub ends_label: String,
}

/// The poll of a status as the reader sees it.
pub fn poll_card(p: &crate::service::polls::PollView, viewer: Option<i64>) -> PollCard {
    let open = !crate::service::polls::expired(&p.poll);
    let own = p.own_votes.clone().unwrap_or_default();
    // A multiple-choice poll's shares are of the people who voted, as on Mastodon.
    let whole = if p.poll.multiple { p.voters_count } else { p.votes_count };
    let options = p
        .titles
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let votes = p.counts.get(i).copied().unwrap_or(0);
            PollOptionCard {
                index: i,
                title: title.clone(),
                votes,
                percent: if whole > 0 { (votes * 100 + whole / 2) / whole } else { 0 },
                chosen: i32::try_from(i).is_ok_and(|i| own.contains(&i)),
            }
        })
        .collect();
    let voters_label = match p.voters_count {
        0 => "No votes yet".to_owned(),
        1 => "1 person voted".to_owned(),
        n => format!("{n} people voted"),
    };
    let ends_label = match p.poll.expires_at {
        Some(t) if open => format!("Closes {}", date_label(t)),
        Some(t) => format!("Closed {}", date_label(t)),
        None => String::new(),
    };
    PollCard {
        multiple: p.poll.multiple,
        can_vote: viewer.is_some() && open && !p.own_poll && own.is_empty(),
        options,
        voters_label,
        ends_label,
    }
}

pub struct Card {
    pub id: String,
    pub url: String,
    pub author_name: String,
    pub author_handle: String,
    pub author_url: String,
    pub author_avatar: String,
    pub author_role: String,
    pub created_iso: String,
    pub created_label: String,
    pub edited: bool,
    pub visibility: String,
    pub visibility_label: String,
    pub spoiler: String,
    pub content: String,
    pub media: Vec<MediaCard>,
    pub poll: Option<PollCard>,
    pub replies: i64,
    pub boosts: i64,
    pub favourites: i64,
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub own: bool,
    pub can_boost: bool,
    pub boosted_by: Option<(String, String)>,
    pub in_reply_to: Option<String>,
}

pub fn avatar_url(a: &AccountView) -> String {
    a.avatar.as_ref().map(|m| format!("/media/{}", m.file_name)).unwrap_or_else(|| "/static/avatar.png".into())
}

pub fn display_name(a: &AccountView) -> String {
    if a.account.display_name.is_empty() { a.account.username.clone() } else { a.account.display_name.clone() }
}

pub fn role_line(a: &AccountView) -> String {
    let acc = &a.account;
    match (acc.job_title.is_empty(), acc.organisation.is_empty()) {
        (false, false) => format!("{}, {}", acc.job_title, acc.organisation),
        (false, true) => acc.job_title.clone(),
        (true, false) => acc.organisation.clone(),
        (true, true) => String::new(),
    }
}

fn size_label(bytes: i64) -> String {
    if bytes >= 1_048_576 {
        format!("{:.1} MB", bytes as f64 / 1_048_576.0)
    } else {
        format!("{} KB", (bytes / 1024).max(1))
    }
}

fn type_label(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "text/csv" => "CSV",
        t if t.contains("wordprocessingml") => "Word document",
        t if t.contains("spreadsheetml") => "Excel spreadsheet",
        t if t.contains("opendocument.text") => "OpenDocument text",
        t if t.starts_with("image/") => "Image",
        _ => "File",
    }
}

/// "21 November 2026 at 14:05", the GOV.UK way of writing dates.
pub fn date_label(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %B %Y at %H:%M").to_string()
}

/// The card for a status; a boost shows the boosted post with a "boosted by" line.
pub fn card(v: &StatusView, viewer: Option<i64>) -> Card {
    let (shown, boosted_by) = match &v.reblog {
        Some(inner) => (
            inner.as_ref(),
            Some((display_name(&v.account), format!("/@{}", crate::api::model::status::handle_of(&v.account.account)))),
        ),
        None => (v, None),
    };
    let s = &shown.status;
    let a = &shown.account;
    let vis = Visibility::of(s);
    let handle = crate::api::model::status::handle_of(&a.account);
    Card {
        id: s.id.to_string(),
        url: format!("/@{handle}/{}", s.id),
        author_name: display_name(a),
        author_handle: format!("@{handle}"),
        author_url: format!("/@{handle}"),
        author_avatar: avatar_url(a),
        author_role: role_line(a),
        created_iso: s.created_at.to_rfc3339(),
        created_label: date_label(s.created_at),
        edited: s.edited_at.is_some(),
        visibility: vis.as_str().to_owned(),
        visibility_label: vis.label().to_owned(),
        spoiler: s.spoiler_text.clone(),
        content: s.content.clone(),
        media: shown
            .media
            .iter()
            .map(|m| MediaCard {
                url: format!("/media/{}", m.file_name),
                alt: m.description.clone(),
                is_image: m.content_type.starts_with("image/"),
                name: if m.original_name.is_empty() { m.file_name.clone() } else { m.original_name.clone() },
                type_label: type_label(&m.content_type).to_owned(),
                size_label: size_label(m.file_size),
                width: m.width,
                height: m.height,
            })
            .collect(),
        poll: shown.poll.as_ref().map(|p| poll_card(p, viewer)),
        replies: shown.replies_count,
        boosts: shown.reblogs_count,
        favourites: shown.favourites_count,
        favourited: shown.favourited,
        reblogged: shown.reblogged,
        bookmarked: shown.bookmarked,
        pinned: shown.pinned,
        own: viewer == Some(a.account.id),
        can_boost: matches!(vis, Visibility::Public | Visibility::Unlisted),
        boosted_by,
        in_reply_to: s.in_reply_to_id.map(|_| format!("/statuses/{}/parent", s.id)),
    }
}

pub fn cards(list: &[StatusView], viewer: Option<i64>) -> Vec<Card> {
    list.iter().map(|v| card(v, viewer)).collect()
}
