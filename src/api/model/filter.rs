//! Mastodon `Filter` (v2), `FilterKeyword`, `FilterStatus`, `FilterResult`, and the v1 filter.
use serde::Serialize;

use super::iso;
use crate::db::entities::{filter_keywords, filter_statuses, filters};
use crate::service::filters::{FilterMatch, FilterView, context_of};

#[derive(Debug, Serialize)]
pub struct Filter {
    pub id: String,
    pub title: String,
    pub context: Vec<String>,
    pub expires_at: Option<String>,
    pub filter_action: String,
    /// Left out where a filter is shown inside a `FilterResult`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<FilterKeyword>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<FilterStatus>>,
}

#[derive(Debug, Serialize)]
pub struct FilterKeyword {
    pub id: String,
    pub keyword: String,
    pub whole_word: bool,
}

#[derive(Debug, Serialize)]
pub struct FilterStatus {
    pub id: String,
    pub status_id: String,
}

#[derive(Debug, Serialize)]
pub struct FilterResult {
    pub filter: Filter,
    pub keyword_matches: Option<Vec<String>>,
    pub status_matches: Option<Vec<String>>,
}

/// Mastodon's v1 filter: one per keyword.
#[derive(Debug, Serialize)]
pub struct V1Filter {
    pub id: String,
    pub phrase: String,
    pub context: Vec<String>,
    pub whole_word: bool,
    pub expires_at: Option<String>,
    pub irreversible: bool,
}

fn bare(f: &filters::Model) -> Filter {
    Filter {
        id: f.id.to_string(),
        title: f.title.clone(),
        context: context_of(f),
        expires_at: f.expires_at.map(iso),
        filter_action: f.filter_action.clone(),
        keywords: None,
        statuses: None,
    }
}

pub fn keyword(k: &filter_keywords::Model) -> FilterKeyword {
    FilterKeyword { id: k.id.to_string(), keyword: k.keyword.clone(), whole_word: k.whole_word }
}

pub fn filter_status(s: &filter_statuses::Model) -> FilterStatus {
    FilterStatus { id: s.id.to_string(), status_id: s.status_id.to_string() }
}

pub fn filter(v: &FilterView) -> Filter {
    let mut f = bare(&v.filter);
    f.keywords = Some(v.keywords.iter().map(keyword).collect());
    f.statuses = Some(v.statuses.iter().map(filter_status).collect());
    f
}

pub fn result(m: &FilterMatch) -> FilterResult {
    FilterResult {
        filter: bare(&m.filter),
        keyword_matches: (!m.keyword_matches.is_empty()).then(|| m.keyword_matches.clone()),
        status_matches: (!m.status_matches.is_empty()).then(|| m.status_matches.clone()),
    }
}

/// The v1 view of v2 filters: each keyword becomes a v1 filter (as Mastodon shows them).
pub fn v1_filters(list: &[FilterView]) -> Vec<V1Filter> {
    list.iter()
        .flat_map(|v| {
            v.keywords.iter().map(move |k| V1Filter {
                id: k.id.to_string(),
                phrase: k.keyword.clone(),
                context: v.context(),
                whole_word: k.whole_word,
                expires_at: v.filter.expires_at.map(iso),
                irreversible: v.filter.filter_action == "hide",
            })
        })
        .collect()
}
