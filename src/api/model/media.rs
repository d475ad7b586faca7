//! Mastodon `MediaAttachment`.
use serde::Serialize;
use serde_json::json;

use super::Ctx;
use super::account::media_url;
use crate::db::entities::media_attachments;

#[derive(Debug, Serialize)]
pub struct MediaAttachment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
    pub preview_url: Option<String>,
    pub remote_url: Option<String>,
    pub meta: serde_json::Value,
    pub description: Option<String>,
    pub blurhash: Option<String>,
}

pub fn media(ctx: &Ctx<'_>, m: &media_attachments::Model) -> MediaAttachment {
    let url = media_url(ctx, &m.file_name);
    let is_image = m.content_type.starts_with("image/");
    let meta = if is_image && m.width > 0 && m.height > 0 {
        let size = json!({
            "width": m.width,
            "height": m.height,
            "size": format!("{}x{}", m.width, m.height),
            "aspect": f64::from(m.width) / f64::from(m.height),
        });
        json!({ "original": size, "small": size })
    } else {
        json!({})
    };
    MediaAttachment {
        id: m.id.to_string(),
        // Documents are "unknown" to Mastodon apps, which then show a link to the file.
        kind: if is_image { "image" } else { "unknown" },
        preview_url: if is_image { Some(url.clone()) } else { None },
        url,
        remote_url: None,
        meta,
        description: if m.description.is_empty() { None } else { Some(m.description.clone()) },
        blurhash: None,
    }
}
