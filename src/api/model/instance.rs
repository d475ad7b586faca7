//! Mastodon `Instance` (v1 and v2).
use serde_json::{Value, json};

use crate::config::Settings;

/// What apps read to decide which features to use: a Mastodon version they understand.
pub const COMPATIBLE_VERSION: &str = concat!("4.3.0 (compatible; khub ", env!("CARGO_PKG_VERSION"), ")");

pub struct InstanceFacts {
    pub title: String,
    pub description: String,
    pub registrations: bool,
    pub approval_required: bool,
    pub invites_enabled: bool,
    pub user_count: u64,
    pub status_count: u64,
    pub contact_account: Option<Value>,
}

fn configuration(s: &Settings) -> Value {
    json!({
        "urls": { "streaming": s.streaming_url() },
        "accounts": { "max_featured_tags": 10, "max_pinned_statuses": 5 },
        "statuses": {
            "max_characters": s.limits.max_status_chars,
            "max_media_attachments": s.limits.max_media_attachments,
            "characters_reserved_per_url": 23
        },
        "media_attachments": {
            "supported_mime_types": [
                "image/jpeg", "image/png", "image/gif", "image/webp",
                "application/pdf", "text/csv",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.oasis.opendocument.text"
            ],
            "image_size_limit": s.limits.max_image_bytes,
            "image_matrix_limit": 2560 * 2560,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
            "description_limit": 1500
        },
        "polls": {
            "max_options": s.posting.poll_max_options,
            "max_characters_per_option": s.posting.poll_max_characters_per_option,
            "min_expiration": s.posting.poll_min_expiration,
            "max_expiration": s.posting.poll_max_expiration
        },
        "translation": { "enabled": false }
    })
}

pub fn v1(s: &Settings, f: &InstanceFacts) -> Value {
    json!({
        "uri": s.domain,
        "title": f.title,
        "short_description": f.description,
        "description": f.description,
        "email": s.contact_email,
        "version": COMPATIBLE_VERSION,
        "urls": { "streaming_api": s.streaming_url() },
        "stats": { "user_count": f.user_count, "status_count": f.status_count, "domain_count": 0 },
        "thumbnail": Value::Null,
        "languages": ["en"],
        "registrations": f.registrations,
        "approval_required": f.approval_required,
        "invites_enabled": f.invites_enabled,
        "configuration": configuration(s),
        "contact_account": f.contact_account,
        "rules": []
    })
}

pub fn v2(s: &Settings, f: &InstanceFacts) -> Value {
    let mut conf = configuration(s);
    conf["urls"] = json!({ "streaming": s.streaming_url(), "status": Value::Null });
    conf["vapid"] = json!({ "public_key": "" });
    json!({
        "domain": s.domain,
        "title": f.title,
        "version": COMPATIBLE_VERSION,
        "source_url": "https://example.invalid/khub",
        "description": f.description,
        "usage": { "users": { "active_month": f.user_count } },
        "thumbnail": { "url": format!("{}/static/header.png", s.base_url()) },
        "icon": [],
        "languages": ["en"],
        "configuration": conf,
        "registrations": {
            "enabled": f.registrations,
            "approval_required": f.approval_required,
            "message": Value::Null,
            "url": Value::Null
        },
        "api_versions": { "mastodon": 2 },
        "contact": { "email": s.contact_email, "account": f.contact_account },
        "rules": []
    })
}
