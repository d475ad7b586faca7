//! Announcements: administrators write them; members read them (each member's own `read`
//! mark), dismiss them and react with unicode emoji. An announcement shows from publication
//! until its `ends_at`, if it has one.
use std::collections::HashMap;

use crate::app::AppState;
use crate::db::entities::{announcements, users};
use crate::db::queries::announcements as q;
use crate::error::{AppError, AppResult};
use crate::service::text::{self, LinkTargets};

const MAX_TEXT: usize = 2000;
/// Different reactions one announcement may carry (Mastodon's limit).
const MAX_REACTIONS: usize = 8;

/// An announcement as a member sees it.
#[derive(Debug, Clone)]
pub struct AnnouncementView {
    pub announcement: announcements::Model,
    pub read: bool,
    /// (emoji, count, whether I reacted so), in order of first use.
    pub reactions: Vec<(String, i64, bool)>,
}

/// What an administrator writes.
#[derive(Debug, Default)]
pub struct NewAnnouncement {
    pub text: String,
    pub starts_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
    pub all_day: bool,
}

fn require_admin(admin: &users::Model) -> AppResult<()> {
    if admin.role == "admin" { Ok(()) } else { Err(AppError::forbidden("Only administrators can do this")) }
}

/// Publishes an announcement now.
pub async fn create(state: &AppState, admin: &users::Model, n: NewAnnouncement) -> AppResult<announcements::Model> {
    require_admin(admin)?;
    let source = n.text.replace("\r\n", "\n").trim().to_owned();
    if source.is_empty() {
        return Err(AppError::unprocessable("Enter the text of the announcement"));
    }
    if crate::service::char_len(&source) > MAX_TEXT {
        return Err(AppError::unprocessable("The announcement must be 2000 characters or fewer"));
    }
    if let (Some(s), Some(e)) = (n.starts_at, n.ends_at)
        && e <= s
    {
        return Err(AppError::unprocessable("The end must come after the start"));
    }
    let now = chrono::Utc::now();
    let base = state.settings.base_url();
    let content = text::render(&source, &LinkTargets { base_url: &base, mentions: &HashMap::new() });
    let a = announcements::Model {
        id: crate::ids::next_id(),
        text: source,
        content,
        starts_at: n.starts_at,
        ends_at: n.ends_at,
        all_day: n.all_day,
        published_at: now,
        updated_at: now,
    };
    let tx = state.db.begin_write().await?;
    q::insert(&*tx, a.clone()).await?;
    tx.commit().await?;
    Ok(a)
}

pub async fn delete(state: &AppState, admin: &users::Model, id: i64) -> AppResult<()> {
    require_admin(admin)?;
    let tx = state.db.begin_write().await?;
    if !q::delete(&*tx, id).await? {
        return Err(AppError::not_found());
    }
    tx.commit().await?;
    Ok(())
}

/// Every announcement (for the admin page).
pub async fn all(state: &AppState) -> AppResult<Vec<announcements::Model>> {
    Ok(q::all(&state.db.conn).await?)
}

/// The announcements in force, as `me` sees them; dismissed ones only when asked for.
pub async fn current(state: &AppState, me: i64, with_dismissed: bool) -> AppResult<Vec<AnnouncementView>> {
    let db = &state.db.conn;
    let list = q::current(db, chrono::Utc::now()).await?;
    let dismissed = q::dismissed_by(db, me).await?;
    let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
    let reactions = q::reactions_for(db, &ids).await?;
    Ok(list
        .into_iter()
        .filter(|a| with_dismissed || !dismissed.contains(&a.id))
        .map(|a| {
            let mut tally: Vec<(String, i64, bool)> = Vec::new();
            for r in reactions.iter().filter(|r| r.announcement_id == a.id) {
                match tally.iter_mut().find(|(n, _, _)| *n == r.name) {
                    Some(t) => {
                        t.1 += 1;
                        t.2 |= r.account_id == me;
                    }
                    None => tally.push((r.name.clone(), 1, r.account_id == me)),
                }
            }
            AnnouncementView { read: dismissed.contains(&a.id), reactions: tally, announcement: a }
        })
        .collect())
}

/// An announcement in force, or 404.
async fn in_force(state: &AppState, id: i64) -> AppResult<announcements::Model> {
    q::current(&state.db.conn, chrono::Utc::now())
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(AppError::not_found)
}

/// Marks an announcement read.
pub async fn dismiss(state: &AppState, me: i64, id: i64) -> AppResult<()> {
    in_force(state, id).await?;
    let tx = state.db.begin_write().await?;
    q::dismiss(&*tx, id, me).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds (or removes) my reaction. Only unicode emoji: khub has no custom emoji.
pub async fn react(state: &AppState, me: i64, id: i64, name: &str, add: bool) -> AppResult<()> {
    in_force(state, id).await?;
    if !is_unicode_emoji(name) {
        return Err(AppError::unprocessable("Validation failed: name must be a unicode emoji"));
    }
    let tx = state.db.begin_write().await?;
    if add {
        let names = q::distinct_reaction_names(&*tx, id).await?;
        if !names.iter().any(|n| n == name) && names.len() >= MAX_REACTIONS {
            return Err(AppError::unprocessable("Validation failed: this announcement has the most reactions it may"));
        }
        if !q::has_reaction(&*tx, id, me, name).await? {
            q::add_reaction(&*tx, id, me, name).await?;
        }
    } else {
        q::remove_reaction(&*tx, id, me, name).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether `s` is one emoji (a sequence with joiners, selectors, skin tones, flags or keycaps
/// counts as one). A close approximation of Unicode's emoji list, without shipping the list.
pub fn is_unicode_emoji(s: &str) -> bool {
    if s.is_empty() || s.len() > 64 || s.chars().count() > 16 {
        return false;
    }
    let keycap = s.contains('\u{20E3}');
    let mut base = 0;
    for c in s.chars() {
        let cp = c as u32;
        let pictograph = matches!(cp,
            0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF | 0x2190..=0x21FF
            | 0x25A0..=0x25FF | 0x2900..=0x297F | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0xA9 | 0xAE
            | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x24C2);
        let modifier = matches!(cp, 0x200D | 0xFE0E | 0xFE0F | 0x20E3 | 0xE0020..=0xE007F);
        let keycap_base = keycap && (c.is_ascii_digit() || c == '#' || c == '*');
        if pictograph || keycap_base {
            base += 1;
        } else if !modifier {
            return false;
        }
    }
    base > 0
}

#[cfg(test)]
mod tests {
    use super::is_unicode_emoji;

    #[test]
    fn emoji_are_told_from_words() {
        for ok in ["👍", "❤️", "🎉", "👩‍💻", "👍🏽", "🇬🇧", "1️⃣", "☕"] {
            assert!(is_unicode_emoji(ok), "{ok} is an emoji");
        }
        for bad in ["", "a", ":blobcat:", "👍 ", "<b>", "1", "👍x"] {
            assert!(!is_unicode_emoji(bad), "{bad:?} is not an emoji");
        }
    }
}
