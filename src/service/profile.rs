//! The professional profile: name, job, organisation, location, bio, expertise, links, images.
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde::{Deserialize, Serialize};

use super::char_len;
use super::media::{self, Purpose, Upload};
use crate::app::AppState;
use crate::db::entities::accounts;
use crate::error::{AppError, AppResult};

/// A profile link ("showcase" field): a label and a value, usually a URL.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// Changes to a profile; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub organisation: Option<String>,
    pub location: Option<String>,
    pub bio: Option<String>,
    pub expertise: Option<Vec<String>>,
    pub fields: Option<Vec<Field>>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
    pub avatar: Option<Upload>,
    pub header: Option<Upload>,
}

pub fn expertise_of(a: &accounts::Model) -> Vec<String> {
    serde_json::from_str(&a.expertise).unwrap_or_default()
}

pub fn fields_of(a: &accounts::Model) -> Vec<Field> {
    serde_json::from_str(&a.fields).unwrap_or_default()
}

/// Normalises expertise tags: trimmed, lower-case, no '#', unique, at most 20 of 50 characters.
pub fn normalise_expertise(tags: &[String]) -> AppResult<Vec<String>> {
    if tags.len() > 100 {
        return Err(AppError::unprocessable("Validation failed: at most 20 expertise tags"));
    }
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let tag = t.trim().trim_start_matches('#').split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if tag.is_empty() {
            continue;
        }
        if char_len(&tag) > 50 {
            return Err(AppError::unprocessable(
                "Validation failed: each expertise tag must be 50 characters or fewer",
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
        if out.len() > 20 {
            return Err(AppError::unprocessable("Validation failed: at most 20 expertise tags"));
        }
    }
    if out.len() > 20 {
        return Err(AppError::unprocessable("Validation failed: at most 20 expertise tags"));
    }
    Ok(out)
}

fn check_len(name: &str, value: &Option<String>, max: usize) -> AppResult<()> {
    if let Some(v) = value {
        if char_len(v) > max {
            return Err(AppError::unprocessable(format!(
                "Validation failed: {name} must be {max} characters or fewer"
            )));
        }
        if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            return Err(AppError::unprocessable(format!("Validation failed: {name} contains control characters")));
        }
    }
    Ok(())
}

/// Applies a profile update; everything is checked before anything is stored.
pub async fn update(state: &AppState, account: &accounts::Model, u: ProfileUpdate) -> AppResult<accounts::Model> {
    check_len("display_name", &u.display_name, 100)?;
    check_len("job_title", &u.job_title, 100)?;
    check_len("organisation", &u.organisation, 100)?;
    check_len("location", &u.location, 100)?;
    check_len("bio", &u.bio, 2000)?;
    let expertise = match &u.expertise {
        Some(tags) => Some(normalise_expertise(tags)?),
        None => None,
    };
    if let Some(fields) = &u.fields {
        if fields.len() > 8 {
            return Err(AppError::unprocessable("Validation failed: at most 8 profile links"));
        }
        for f in fields {
            if char_len(&f.name) > 255 || char_len(&f.value) > 2048 {
                return Err(AppError::unprocessable("Validation failed: a profile link is too long"));
            }
        }
    }
    let avatar = match u.avatar {
        Some(up) => Some(media::store_upload(state, account.id, up, "", Purpose::Avatar).await?),
        None => None,
    };
    let header = match u.header {
        Some(up) => match media::store_upload(state, account.id, up, "", Purpose::Header).await {
            Ok(h) => Some(h),
            Err(e) => {
                // All or nothing: the avatar stored a moment ago goes too.
                if let Some(a) = &avatar {
                    media::discard(state, &[a.id]).await;
                }
                return Err(e);
            }
        },
        None => None,
    };
    let mut am = account.clone().into_active_model();
    if let Some(v) = u.display_name {
        am.display_name = Set(v.trim().to_owned());
    }
    if let Some(v) = u.job_title {
        am.job_title = Set(v.trim().to_owned());
    }
    if let Some(v) = u.organisation {
        am.organisation = Set(v.trim().to_owned());
    }
    if let Some(v) = u.location {
        am.location = Set(v.trim().to_owned());
    }
    if let Some(v) = u.bio {
        am.bio = Set(v.trim().replace("\r\n", "\n"));
    }
    if let Some(v) = expertise {
        am.expertise = Set(serde_json::to_string(&v).map_err(AppError::internal)?);
    }
    if let Some(fields) = u.fields {
        let kept: Vec<Field> = fields
            .into_iter()
            .map(|f| Field { name: f.name.trim().to_owned(), value: f.value.trim().to_owned() })
            .filter(|f| !f.name.is_empty() || !f.value.is_empty())
            .collect();
        am.fields = Set(serde_json::to_string(&kept).map_err(AppError::internal)?);
    }
    if let Some(v) = u.locked {
        am.locked = Set(v);
    }
    if let Some(v) = u.bot {
        am.bot = Set(v);
    }
    if let Some(v) = u.discoverable {
        am.discoverable = Set(v);
    }
    if let Some(a) = &avatar {
        am.avatar_media_id = Set(Some(a.id));
    }
    if let Some(h) = &header {
        am.header_media_id = Set(Some(h.id));
    }
    am.updated_at = Set(chrono::Utc::now());
    let tx = state.db.begin_write().await?;
    let updated = am.update(&*tx).await?;
    tx.commit().await?;
    // Replaced pictures are removed, so their old addresses stop working.
    for (new, old) in [(&avatar, account.avatar_media_id), (&header, account.header_media_id)] {
        if let (Some(_), Some(old)) = (new, old) {
            media::remove_image(state, old).await;
        }
    }
    Ok(updated)
}
