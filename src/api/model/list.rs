//! Mastodon `List` and `Marker`.
use std::collections::BTreeMap;

use serde::Serialize;

use super::iso;
use crate::db::entities::{lists, markers};

#[derive(Debug, Serialize)]
pub struct List {
    pub id: String,
    pub title: String,
    pub replies_policy: String,
    pub exclusive: bool,
}

pub fn list(l: &lists::Model) -> List {
    List {
        id: l.id.to_string(),
        title: l.title.clone(),
        replies_policy: l.replies_policy.clone(),
        exclusive: l.exclusive,
    }
}

#[derive(Debug, Serialize)]
pub struct Marker {
    pub last_read_id: String,
    pub version: i64,
    pub updated_at: String,
}

/// Markers keyed by timeline name, as Mastodon answers.
pub fn markers(list: &[markers::Model]) -> BTreeMap<String, Marker> {
    list.iter()
        .map(|m| {
            (
                m.timeline.clone(),
                Marker { last_read_id: m.last_read_id.to_string(), version: m.version, updated_at: iso(m.updated_at) },
            )
        })
        .collect()
}

/// Mastodon's `Preferences`.
#[derive(Debug, Serialize)]
pub struct Preferences {
    #[serde(rename = "posting:default:visibility")]
    pub visibility: &'static str,
    #[serde(rename = "posting:default:sensitive")]
    pub sensitive: bool,
    #[serde(rename = "posting:default:language")]
    pub language: Option<String>,
    #[serde(rename = "reading:expand:media")]
    pub expand_media: &'static str,
    #[serde(rename = "reading:expand:spoilers")]
    pub expand_spoilers: bool,
}
