//! Bearer-token authentication for the JSON API, with Mastodon's scopes.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::app::AppState;
use crate::db::entities::{accounts, users};
use crate::error::{AppError, AppResult};

/// A signed-in member (by bearer token) and the token's scopes.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: users::Model,
    pub account: accounts::Model,
    pub scopes: String,
}

/// A member if a token was given; anonymous otherwise. A bad token is still a 401.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<AuthUser>);

impl AuthUser {
    /// Checks a scope such as `write:statuses`: the token needs it or its parent (`write`).
    pub fn require(&self, scope: &str) -> AppResult<()> {
        let parent = scope.split(':').next().unwrap_or(scope);
        let ok = self.scopes.split_whitespace().any(|s| s == scope || s == parent);
        if ok { Ok(()) } else { Err(AppError::forbidden("This action is outside the authorized scopes")) }
    }
    pub fn id(&self) -> i64 {
        self.account.id
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let h = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn resolve(parts: &Parts, state: &AppState) -> AppResult<Option<AuthUser>> {
    let Some(token) = bearer(parts) else { return Ok(None) };
    match crate::service::accounts::token_user(state, token).await? {
        Some((user, account, scopes)) => Ok(Some(AuthUser { user, account, scopes })),
        None => Err(AppError::unauthorized("The access token is invalid")),
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        resolve(parts, state).await?.ok_or_else(|| AppError::unauthorized("The access token is invalid"))
    }
}

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        Ok(MaybeAuth(resolve(parts, state).await?))
    }
}
