//! Mastodon's paging: `max_id`, `since_id`, `min_id`, `limit` in; a `Link` header out.
use axum::http::{HeaderMap, HeaderValue};
use serde::Deserialize;

use crate::db::queries::Page;
use crate::error::{AppError, AppResult};

#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    pub max_id: Option<String>,
    pub since_id: Option<String>,
    pub min_id: Option<String>,
    pub limit: Option<String>,
}

fn id(name: &str, v: &Option<String>) -> AppResult<Option<i64>> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => {
            crate::ids::parse_id(s).map(Some).ok_or_else(|| AppError::bad_request(format!("{name} must be an id")))
        }
    }
}

impl PageParams {
    /// The page, with `limit` clamped to `1..=max` (default `default`).
    pub fn page(&self, default: u64, max: u64) -> AppResult<Page> {
        let limit = match self.limit.as_deref() {
            None | Some("") => default,
            Some(s) => s.parse::<u64>().map_err(|_| AppError::bad_request("limit must be a number"))?.clamp(1, max),
        };
        Ok(Page {
            max_id: id("max_id", &self.max_id)?,
            since_id: id("since_id", &self.since_id)?,
            min_id: id("min_id", &self.min_id)?,
            limit,
        })
    }
}

/// Builds `Link: <…?max_id=LAST>; rel="next", <…?min_id=FIRST>; rel="prev"` for a page whose
/// items have the paging ids `first` (newest) and `last` (oldest). Other query keys are kept.
pub fn link_header(
    base_url: &str,
    path: &str,
    query: &[(String, String)],
    first: Option<i64>,
    last: Option<i64>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let (Some(first), Some(last)) = (first, last) else { return headers };
    let keep: Vec<(String, String)> =
        query.iter().filter(|(k, _)| !matches!(k.as_str(), "max_id" | "since_id" | "min_id")).cloned().collect();
    let url = |key: &str, v: i64| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, val) in &keep {
            q.append_pair(k, val);
        }
        q.append_pair(key, &v.to_string());
        format!("{base_url}{path}?{}", q.finish())
    };
    let value = format!("<{}>; rel=\"next\", <{}>; rel=\"prev\"", url("max_id", last), url("min_id", first));
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(axum::http::header::LINK, v);
    }
    headers
}
