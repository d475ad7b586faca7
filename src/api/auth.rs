//! Bearer-token authentication for the JSON API, with Mastodon's scopes.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::app::AppState;
use crate::db::entities::{accounts, users};
use crate::error::{AppError, AppResult};
use crate::service::oauth::{ResolvedToken, resolve_token, scopes};

/// A signed-in member (by bearer token) and the token's scopes.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: users::Model,
    pub account: accounts::Model,
    pub scopes: String,
    /// The OAuth app the token was issued to, if any.
    pub app_id: Option<i64>,
}

/// A member if a token was given; anonymous otherwise (also for an app's own token, which
/// reads what anyone may read). A bad token is still a 401.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<AuthUser>);

/// Any valid token, an app's own included: for endpoints about the app itself.
#[derive(Debug, Clone)]
pub struct AuthToken(pub ResolvedToken);

const OUTSIDE_SCOPES: &str = "This action is outside the authorized scopes";

impl AuthUser {
    /// Checks a scope such as `write:statuses`: the token needs it, its parent (`write`), or
    /// for relationships the old `follow` scope.
    pub fn require(&self, scope: &str) -> AppResult<()> {
        if scopes::covers(&self.scopes, scope) { Ok(()) } else { Err(AppError::forbidden(OUTSIDE_SCOPES)) }
    }
    /// Checks that the token has one of several scopes (`profile` or `read:accounts`, say).
    pub fn require_any(&self, wanted: &[&str]) -> AppResult<()> {
        if wanted.iter().any(|s| scopes::covers(&self.scopes, s)) {
            Ok(())
        } else {
            Err(AppError::forbidden(OUTSIDE_SCOPES))
        }
    }
    pub fn id(&self) -> i64 {
        self.account.id
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    bearer_token(&parts.headers)
}

/// The bearer token of the `Authorization` header, if any.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let h = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn invalid_token() -> AppError {
    AppError::unauthorized("The access token is invalid")
}

async fn resolve(parts: &Parts, state: &AppState) -> AppResult<Option<ResolvedToken>> {
    let Some(token) = bearer(parts) else { return Ok(None) };
    match resolve_token(state, token).await? {
        Some(t) => Ok(Some(t)),
        None => Err(invalid_token()),
    }
}

fn member(t: ResolvedToken) -> Option<AuthUser> {
    let (user, account) = t.user?;
    Some(AuthUser { user, account, scopes: t.token.scopes, app_id: t.token.app_id })
}

/// A member from a token given some other way than the `Authorization` header (the streaming
/// API also takes `access_token` and `Sec-WebSocket-Protocol`). The same rules as `AuthUser`.
pub async fn member_by_token(state: &AppState, token: &str) -> AppResult<AuthUser> {
    let t = resolve_token(state, token).await?.ok_or_else(invalid_token)?;
    member(t).ok_or_else(|| AppError::forbidden("This method requires an authenticated user"))
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let t = resolve(parts, state).await?.ok_or_else(invalid_token)?;
        // An app's own token (client credentials) never acts as a member.
        member(t).ok_or_else(|| AppError::forbidden("This method requires an authenticated user"))
    }
}

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        Ok(MaybeAuth(resolve(parts, state).await?.and_then(member)))
    }
}

impl FromRequestParts<AppState> for AuthToken {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        resolve(parts, state).await?.map(AuthToken).ok_or_else(invalid_token)
    }
}
