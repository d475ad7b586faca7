//! OAuth endpoints of the JSON API: app registration, the token and revocation endpoints, and
//! the server metadata. The consent page (`/oauth/authorize`) is a web page: `web/pages/oauth.rs`.
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Map, Value, json};

use crate::api::auth::AuthToken;
use crate::api::body::ApiForm;
use crate::api::model::oauth::{Application, CredentialApplication, application, credential_application, token};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::oauth::{self, NewApp, OAuthFailure};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/apps", post(create_app))
        .route("/api/v1/apps/verify_credentials", get(verify_app))
        .route("/oauth/token", post(issue_token))
        .route("/oauth/revoke", post(revoke_token))
        .route("/.well-known/oauth-authorization-server", get(metadata))
}

/// A text field; numbers and booleans are read as text, anything else as missing.
fn text(fields: &Map<String, Value>, key: &str) -> String {
    match fields.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A field that may be one string or a list of strings (`redirect_uris`, `scopes`).
fn strings(fields: &Map<String, Value>, key: &str) -> AppResult<Vec<String>> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) if items.len() <= 100 => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(AppError::unprocessable(format!("Validation failed: {key} must be strings"))),
            })
            .collect(),
        Some(_) => Err(AppError::unprocessable(format!("Validation failed: {key} must be a string or a list"))),
    }
}

async fn create_app(State(state): State<AppState>, form: ApiForm) -> AppResult<Json<CredentialApplication>> {
    let f = &form.fields;
    let mut redirect_uris = strings(f, "redirect_uris")?;
    if redirect_uris.is_empty() {
        // Apps written for old servers send the singular.
        redirect_uris = strings(f, "redirect_uri")?;
    }
    let scopes = strings(f, "scopes")?;
    let new = NewApp {
        name: text(f, "client_name"),
        redirect_uris,
        scopes: (!scopes.is_empty()).then(|| scopes.join(" ")),
        website: Some(text(f, "website")).filter(|w| !w.is_empty()),
    };
    let (app, secret) = oauth::register_app(&state, new).await?;
    Ok(Json(credential_application(&app, &secret)))
}

async fn verify_app(State(state): State<AppState>, AuthToken(t): AuthToken) -> AppResult<Json<Application>> {
    let app_id = t.token.app_id.ok_or_else(|| AppError::not_found_msg("This token was not issued to an app"))?;
    let app = oauth::app_by_id(&state, app_id).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(application(&app)))
}

async fn metadata(State(state): State<AppState>) -> Json<Value> {
    Json(crate::api::model::oauth::server_metadata(&state.base_url))
}

/// An OAuth error response (RFC 6749 section 5.2): `{"error": code, "error_description": …}`.
struct OAuthError {
    failure: OAuthFailure,
    /// The client authenticated with HTTP Basic, so a 401 names the scheme.
    basic: bool,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, code, description) = match self.failure {
            OAuthFailure::Internal(e) => return e.into_response(),
            OAuthFailure::InvalidRequest(m) => (StatusCode::BAD_REQUEST, "invalid_request", m),
            OAuthFailure::InvalidClient => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed due to unknown client, no client authentication included, or \
                 unsupported authentication method."
                    .to_owned(),
            ),
            OAuthFailure::InvalidGrant(m) => (StatusCode::BAD_REQUEST, "invalid_grant", m.to_owned()),
            OAuthFailure::InvalidScope => (
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The requested scope is invalid, unknown, or malformed.".to_owned(),
            ),
            OAuthFailure::UnsupportedGrantType => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.".to_owned(),
            ),
            OAuthFailure::UnauthorizedClient => {
                (StatusCode::FORBIDDEN, "unauthorized_client", "You are not authorized to revoke this token".to_owned())
            }
        };
        let mut resp = (status, Json(json!({ "error": code, "error_description": description }))).into_response();
        no_store(resp.headers_mut());
        if status == StatusCode::UNAUTHORIZED && self.basic {
            resp.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"khub\""));
        }
        resp
    }
}

/// Token answers must not be cached (RFC 6749 section 5.1).
fn no_store(h: &mut HeaderMap) {
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The client's credentials: HTTP Basic (form-encoded id and secret, RFC 6749 section 2.3.1)
/// or `client_id` and `client_secret` in the body.
fn client_credentials(headers: &HeaderMap, fields: &Map<String, Value>) -> (String, String, bool) {
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode =
                |s: &str| url::form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
            Some((decode(id)?, decode(secret)?))
        });
    match basic {
        Some((id, secret)) => (id, secret, true),
        None => (text(fields, "client_id"), text(fields, "client_secret"), false),
    }
}

fn unreadable(e: AppError) -> OAuthError {
    let failure = match e.kind {
        crate::error::ErrorKind::Internal | crate::error::ErrorKind::PayloadTooLarge => OAuthFailure::Internal(e),
        _ => OAuthFailure::InvalidRequest(e.message),
    };
    OAuthError { failure, basic: false }
}

async fn issue_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<ApiForm, AppError>,
) -> Result<Response, OAuthError> {
    let form = form.map_err(unreadable)?;
    let f = &form.fields;
    let (client_id, client_secret, basic) = client_credentials(&headers, f);
    let fail = |failure| OAuthError { failure, basic };
    let grant_type = text(f, "grant_type");
    if grant_type.is_empty() {
        return Err(fail(OAuthFailure::InvalidRequest("Missing required parameter: grant_type.".into())));
    }
    if !matches!(grant_type.as_str(), "authorization_code" | "client_credentials" | "refresh_token") {
        return Err(fail(OAuthFailure::UnsupportedGrantType));
    }
    let app = oauth::authenticate_client(&state, &client_id, &client_secret).await.map_err(fail)?;
    let issued = match grant_type.as_str() {
        "authorization_code" => {
            oauth::exchange_code(&state, &app, &text(f, "code"), &text(f, "redirect_uri"), &text(f, "code_verifier"))
                .await
        }
        "client_credentials" => oauth::client_credentials(&state, &app, &text(f, "scope")).await,
        _ => oauth::refresh(&state, &app, &text(f, "refresh_token"), &text(f, "scope")).await,
    }
    .map_err(fail)?;
    let mut resp = Json(token(issued)).into_response();
    no_store(resp.headers_mut());
    Ok(resp)
}

async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<ApiForm, AppError>,
) -> Result<Json<Value>, OAuthError> {
    let form = form.map_err(unreadable)?;
    let (client_id, client_secret, basic) = client_credentials(&headers, &form.fields);
    let fail = |failure| OAuthError { failure, basic };
    let app = oauth::authenticate_client(&state, &client_id, &client_secret).await.map_err(fail)?;
    oauth::revoke(&state, &app, &text(&form.fields, "token")).await.map_err(fail)?;
    Ok(Json(json!({})))
}
