//! One handler (and page struct) per page, grouped by area.
mod admin;
mod apps;
mod auth;
mod me;
mod moving;
mod oauth;
mod posts;
mod timelines;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::session::{self, AnonCsrf, WebUser};
use super::{Layout, error_page};
use crate::api::body::ApiForm;
use crate::app::AppState;
use crate::error::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(timelines::routes())
        .merge(posts::routes())
        .merge(me::routes())
        .merge(moving::routes())
        .merge(admin::routes())
        .merge(apps::routes())
        .merge(oauth::routes())
}

/// Handlers answer a page or an error page.
pub type PageResult = Result<Response, Response>;

pub trait OrPage<T> {
    fn or_page(self, state: &AppState) -> Result<T, Response>;
}

impl<T, E: Into<AppError>> OrPage<T> for Result<T, E> {
    fn or_page(self, state: &AppState) -> Result<T, Response> {
        self.map_err(|e| error_page(state, e.into()))
    }
}

/// An id from a page's path or form; anything else is a page that does not exist.
pub fn id_of(state: &AppState, raw: &str) -> Result<i64, Response> {
    crate::ids::parse_id(raw).ok_or_else(|| error_page(state, AppError::not_found()))
}

/// A field of a simple form.
pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: String,
    pub error: String,
    pub value: String,
    pub kind: &'static str,
    pub autocomplete: &'static str,
}

impl FormField {
    pub fn new(name: &'static str, label: &'static str, kind: &'static str) -> Self {
        Self { name, label, hint: String::new(), error: String::new(), value: String::new(), kind, autocomplete: "" }
    }
    pub fn hint(mut self, h: &str) -> Self {
        self.hint = h.to_owned();
        self
    }
    pub fn value(mut self, v: &str) -> Self {
        self.value = v.to_owned();
        self
    }
    pub fn autocomplete(mut self, a: &'static str) -> Self {
        self.autocomplete = a;
        self
    }
    /// Takes this field's message from a list of errors.
    pub fn errors_from(mut self, errors: &[(&'static str, String)]) -> Self {
        if let Some((_, m)) = errors.iter().find(|(f, _)| *f == self.name) {
            self.error = m.clone();
        }
        self
    }
}

impl ApiForm {
    /// A text field, trimmed of nothing; missing is empty.
    pub fn text(&self, key: &str) -> String {
        match self.fields.get(key) {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => String::new(),
        }
    }
    pub fn has(&self, key: &str) -> bool {
        self.fields.contains_key(key)
    }
}

/// The layout for a page, with the right CSRF token.
pub async fn layout(
    state: &AppState,
    user: Option<&WebUser>,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    title: &str,
    current: &'static str,
) -> Layout {
    Layout::new(state, user, session::csrf_token(user, anon), headers, title, current).await
}

/// Checks the form's CSRF token, answering an error page when it does not match.
pub fn csrf(state: &AppState, user: Option<&WebUser>, anon: &AnonCsrf, form: &ApiForm) -> Result<(), Response> {
    session::check_csrf(user, anon, form.fields.get("_csrf").and_then(|v| v.as_str())).or_page(state)
}

/// A redirect (303) carrying a one-time message.
pub fn redirect_with(state: &AppState, to: &str, message: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    resp.headers_mut().append(axum::http::header::SET_COOKIE, session::flash(state, message));
    resp
}

/// Only local paths are followed after sign-in, never another site.
pub fn safe_next(next: &str) -> String {
    let plain = next.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.~?=&%@+:".contains(c));
    if plain && next.starts_with('/') && !next.starts_with("//") && next.len() < 16_384 {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// The "Older" link of a list page (shown whenever the page had items: filters applied after
/// the query may shorten a page that is not the last).
pub fn older_link(path: &str, last: Option<i64>, full_page: bool) -> Option<String> {
    if !full_page {
        return None;
    }
    let sep = if path.contains('?') { '&' } else { '?' };
    last.map(|id| format!("{path}{sep}max_id={id}"))
}

/// Reads `?max_id=` for list pages; garbage is ignored.
pub fn page_from(q: &std::collections::HashMap<String, String>, limit: u64) -> crate::db::queries::Page {
    crate::db::queries::Page {
        max_id: q.get("max_id").and_then(|v| crate::ids::parse_id(v)),
        limit,
        ..Default::default()
    }
}
