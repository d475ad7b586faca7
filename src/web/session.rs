//! Browser sessions (an HttpOnly cookie naming a row in `sessions`) and CSRF protection
//! (the session's token, or for signed-out forms a double-submit cookie).
use axum::extract::{FromRequestParts, Request};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::db::entities::{accounts, sessions, users};
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "khub_session";
pub const CSRF_COOKIE: &str = "khub_csrf";
pub const FLASH_COOKIE: &str = "khub_flash";

/// A signed-in member in the browser.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub session: sessions::Model,
    pub user: users::Model,
    pub account: accounts::Model,
}

impl WebUser {
    pub fn is_admin(&self) -> bool {
        self.user.role == "admin"
    }
}

/// The anonymous CSRF token of this request (set by `csrf_cookie`).
#[derive(Debug, Clone)]
pub struct AnonCsrf(pub String);

pub fn cookie(parts: &axum::http::HeaderMap, name: &str) -> Option<String> {
    for h in parts.get_all(COOKIE) {
        let Ok(s) = h.to_str() else { continue };
        for pair in s.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=')
                && k == name
            {
                return Some(v.to_owned());
            }
        }
    }
    None
}

/// `Set-Cookie` for a cookie with the node's policy.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.settings.secure_cookies && !state.settings.allow_http { "; Secure" } else { "" };
    let age = match max_age {
        Some(a) => format!("; Max-Age={a}"),
        None => String::new(),
    };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("khub_invalid=1"))
}

/// Gives every browser a CSRF cookie for the forms it sees before signing in.
pub async fn csrf_cookie(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE).filter(|v| v.len() >= 32 && v.len() <= 64);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (crate::service::new_secret(), true),
    };
    req.extensions_mut().insert(AnonCsrf(token.clone()));
    let mut resp = next.run(req).await;
    if fresh {
        resp.headers_mut().append(SET_COOKIE, set_cookie(&state, CSRF_COOKIE, &token, None));
    }
    resp
}

/// The signed-in member, if any.
pub struct MaybeWebUser(pub Option<WebUser>);

impl FromRequestParts<AppState> for MaybeWebUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else { return Ok(Self(None)) };
        if token.len() > 100 {
            return Ok(Self(None));
        }
        Ok(Self(crate::service::accounts::session_user(state, &token).await?.map(|(session, user, account)| WebUser {
            session,
            user,
            account,
        })))
    }
}

/// Pages that need a signed-in member send others to the sign-in page.
pub struct SignInRequired;

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match MaybeWebUser::from_request_parts(parts, state).await {
            Ok(MaybeWebUser(Some(u))) => Ok(u),
            Ok(MaybeWebUser(None)) => {
                // Keep where they were going, so sign-in can return there.
                let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let to = format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
                );
                Err(Redirect::to(&to).into_response())
            }
            Err(e) => Err(super::error_page(state, e)),
        }
    }
}

/// The CSRF token a page puts in its forms.
pub fn csrf_token(user: Option<&WebUser>, parts_anon: &AnonCsrf) -> String {
    match user {
        Some(u) => u.session.csrf_token.clone(),
        None => parts_anon.0.clone(),
    }
}

impl FromRequestParts<AppState> for AnonCsrf {
    type Rejection = StatusCode;
    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, StatusCode> {
        Ok(parts.extensions.get::<AnonCsrf>().cloned().unwrap_or_else(|| AnonCsrf(String::new())))
    }
}

/// Checks the `_csrf` field of a submitted form.
pub fn check_csrf(user: Option<&WebUser>, anon: &AnonCsrf, submitted: Option<&str>) -> Result<(), AppError> {
    let expected = csrf_token(user, anon);
    match submitted {
        Some(s) if !expected.is_empty() && constant_time_eq(s.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(AppError::forbidden(
            "This form has expired or was not sent from this site. Go back, reload the page and try again.",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A one-time message for the next page, carried in a short-lived cookie.
pub fn flash(state: &AppState, message: &str) -> HeaderValue {
    let encoded: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    set_cookie(state, FLASH_COOKIE, &encoded, Some(60))
}

pub fn take_flash(headers: &axum::http::HeaderMap) -> Option<String> {
    let raw = cookie(headers, FLASH_COOKIE)?;
    let decoded: String = url::form_urlencoded::parse(format!("m={raw}").as_bytes())
        .find(|(k, _)| k == "m")
        .map(|(_, v)| v.into_owned())?;
    Some(decoded.chars().take(300).collect()).filter(|s: &String| !s.is_empty())
}
