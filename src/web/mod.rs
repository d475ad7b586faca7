//! The web UI: server-rendered askama pages that work without JavaScript.
// Handlers answer `Result<_, Response>`, the axum idiom: the error is a ready page, and it
// travels only a frame or two.
#![allow(clippy::result_large_err)]
mod cards;
mod pages;
pub mod session;

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, middleware};

use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::error::{AppError, AppResult, ErrorKind};
pub use cards::{Card, card, cards};
use session::{FLASH_COOKIE, WebUser};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(pages::routes())
        .route("/static/khub.css", get(css))
        .route("/static/avatar.png", get(default_avatar))
        .route("/static/header.png", get(default_header))
        .route("/media/{file}", get(media_file))
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
}

/// What every page's layout shows.
pub struct Layout {
    pub title: String,
    pub site_name: String,
    pub user: Option<NavUser>,
    pub csrf: String,
    pub flash: Option<String>,
    pub current: &'static str,
}

pub struct NavUser {
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
}

impl Layout {
    pub async fn new(
        state: &AppState,
        user: Option<&WebUser>,
        csrf: String,
        headers: &HeaderMap,
        title: impl Into<String>,
        current: &'static str,
    ) -> Self {
        let site_name = crate::db::queries::accounts::setting(&state.db.conn, "site_name")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| state.settings.site_name.clone());
        Self {
            title: title.into(),
            site_name,
            user: user.map(|u| NavUser {
                username: u.account.username.clone(),
                display_name: if u.account.display_name.is_empty() {
                    u.account.username.clone()
                } else {
                    u.account.display_name.clone()
                },
                is_admin: u.is_admin(),
            }),
            csrf,
            flash: session::take_flash(headers),
            current,
        }
    }
}

/// Renders a page with a status code; clears a shown flash message.
pub fn render<T: Template>(status: StatusCode, page: &T, had_flash: bool) -> Response {
    match page.render() {
        Ok(html) => {
            let mut resp =
                (status, [(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], html).into_response();
            if had_flash && let Ok(v) = HeaderValue::from_str(&format!("{FLASH_COOKIE}=; Path=/; Max-Age=0")) {
                resp.headers_mut().append(SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub layout: Layout,
    pub heading: String,
    pub body: String,
    pub link: Option<(String, String)>,
}

/// An error as a page (for browsers): the safe message, the right status.
pub fn error_page(state: &AppState, e: AppError) -> Response {
    e.log();
    let heading = match e.kind {
        ErrorKind::NotFound => "Page not found",
        ErrorKind::Forbidden => "You cannot do that",
        ErrorKind::Unauthorized => "Sign in to continue",
        ErrorKind::Internal => "Sorry, there is a problem with the service",
        _ => "There is a problem",
    };
    let body = if e.kind == ErrorKind::NotFound && e.message == "Record not found" {
        "If you typed the web address, check it is correct. The post or page may have been deleted, or you may not be allowed to see it.".to_owned()
    } else {
        e.message.clone()
    };
    let page = MessagePage {
        layout: Layout {
            title: heading.to_owned(),
            site_name: state.settings.site_name.clone(),
            user: None,
            csrf: String::new(),
            flash: None,
            current: "",
        },
        heading: heading.to_owned(),
        body,
        link: Some(("/".into(), "Go to the home page".into())),
    };
    render(e.status(), &page, false)
}

async fn not_found(State(state): State<AppState>) -> Response {
    error_page(&state, AppError::not_found())
}

async fn security_headers(req: axum::extract::Request, next: middleware::Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if h.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html")) {
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        // A page may set its own policy (the OAuth consent page lets its forms end at the app).
        h.entry("content-security-policy").or_insert(
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'"),
        );
    }
    resp
}

async fn css() -> Response {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/khub.css"),
    )
        .into_response()
}

async fn default_avatar() -> Response {
    (
        [(CONTENT_TYPE, "image/png"), (CACHE_CONTROL, "public, max-age=86400")],
        include_bytes!("../../static/avatar.png").as_slice(),
    )
        .into_response()
}

async fn default_header() -> Response {
    (
        [(CONTENT_TYPE, "image/png"), (CACHE_CONTROL, "public, max-age=86400")],
        include_bytes!("../../static/header.png").as_slice(),
    )
        .into_response()
}

/// Serves an uploaded file. Names carry 96 random bits, so only readers of a post learn them;
/// documents are always downloaded, never shown inline.
async fn media_file(
    State(state): State<AppState>,
    session::MaybeWebUser(user): session::MaybeWebUser,
    crate::api::auth::MaybeAuth(token_user): crate::api::auth::MaybeAuth,
    Path(file): Path<String>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    if !crate::media::MediaStore::valid_name(&file) {
        return error_page(&state, AppError::not_found());
    }
    let viewer = user.map(|u| u.account.id).or(token_user.map(|t| t.account.id));
    let row: AppResult<_> =
        crate::db::queries::statuses::media_by_file_name(&state.db.conn, &file).await.map_err(Into::into);
    let m = match row {
        Ok(Some(m)) => m,
        Ok(None) => return error_page(&state, AppError::not_found()),
        Err(e) => return error_page(&state, e),
    };
    // Another server caching a restricted post's file for its members signs its request.
    if viewer.is_none() && headers.contains_key("signature") {
        return match signed_server_may_read(&state, &method, &uri, &headers, &m).await {
            Ok(true) => file_response(&state, &file, &m, false).await,
            Ok(false) => error_page(&state, AppError::not_found()),
            Err(e) => error_page(&state, e),
        };
    }
    // The same rule as the post it belongs to: followers-only and direct files never reach
    // anyone outside the audience, even with the URL.
    match crate::service::visibility::can_read_media(&state.db.conn, viewer, &m).await {
        Ok(true) => {}
        Ok(false) => return error_page(&state, AppError::not_found()),
        Err(e) => return error_page(&state, e.into()),
    }
    let public = m.kind == "avatar" || m.kind == "header" || viewer.is_none();
    file_response(&state, &file, &m, public).await
}

/// Whether the verified signer's server has someone in the audience of the file's post.
async fn signed_server_may_read(
    state: &AppState,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    m: &crate::db::entities::media_attachments::Model,
) -> AppResult<bool> {
    let Some(data) = state.federation_data() else { return Ok(false) };
    let signer = crate::federation::signed_fetch::signer(&data, method, uri, headers).await.map_err(|e| e.0)?;
    let Some(domain) = signer.and_then(|p| p.account.domain) else { return Ok(false) };
    Ok(crate::service::visibility::server_may_read_media(&state.db.conn, &domain, m).await?)
}

async fn file_response(
    state: &AppState,
    file: &str,
    m: &crate::db::entities::media_attachments::Model,
    public: bool,
) -> Response {
    let bytes = match state.media.read(file).await {
        Ok(b) => b,
        Err(_) => return error_page(state, AppError::not_found()),
    };
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&m.content_type) {
        h.insert(CONTENT_TYPE, v);
    }
    // Files of restricted posts are not kept by shared caches, and browsers check again soon.
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(if public { "public, max-age=86400" } else { "private, max-age=60" }),
    );
    if m.kind == "document" {
        let safe: String = m
            .original_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
            .collect();
        let name = if safe.is_empty() { file.to_owned() } else { safe };
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(CONTENT_DISPOSITION, v);
        }
    }
    h.insert("content-security-policy", HeaderValue::from_static("default-src 'none'; sandbox"));
    resp
}
