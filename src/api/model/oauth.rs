//! OAuth entities: Application, CredentialApplication, Token, and the server metadata.
use serde::Serialize;
use serde_json::{Value, json};

use crate::db::entities::oauth_apps;
use crate::service::oauth::{IssuedToken, redirect_uris, scopes};

/// Mastodon's Application entity (`GET /api/v1/apps/verify_credentials`).
#[derive(Debug, Serialize)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub scopes: Vec<String>,
    /// Deprecated by Mastodon 4.3 but still read by apps: the URIs joined by newlines.
    pub redirect_uri: String,
    pub redirect_uris: Vec<String>,
    /// khub sends no Web Push yet; the key is empty, as in `/api/v2/instance`.
    pub vapid_key: String,
}

/// The Application with its credentials, answered once by `POST /api/v1/apps`.
#[derive(Debug, Serialize)]
pub struct CredentialApplication {
    #[serde(flatten)]
    pub app: Application,
    pub client_id: String,
    pub client_secret: String,
    pub client_secret_expires_at: i64,
}

pub fn application(app: &oauth_apps::Model) -> Application {
    let uris: Vec<String> = redirect_uris(app).into_iter().map(str::to_owned).collect();
    Application {
        id: app.id.to_string(),
        name: app.name.clone(),
        website: app.website.clone(),
        scopes: app.scopes.split_whitespace().map(str::to_owned).collect(),
        redirect_uri: uris.join("\n"),
        redirect_uris: uris,
        vapid_key: String::new(),
    }
}

pub fn credential_application(app: &oauth_apps::Model, client_secret: &str) -> CredentialApplication {
    CredentialApplication {
        app: application(app),
        client_id: app.client_id.clone(),
        client_secret: client_secret.to_owned(),
        client_secret_expires_at: 0,
    }
}

/// Mastodon's Token entity, plus the refresh token khub issues with user tokens.
#[derive(Debug, Serialize)]
pub struct Token {
    pub access_token: String,
    pub token_type: &'static str,
    pub scope: String,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

pub fn token(t: IssuedToken) -> Token {
    Token {
        access_token: t.access_token,
        token_type: "Bearer",
        scope: t.scopes,
        created_at: t.created_at.timestamp(),
        refresh_token: t.refresh_token,
    }
}

/// RFC 8414 authorization server metadata, as Mastodon 4.3 publishes it.
pub fn server_metadata(base_url: &str) -> Value {
    json!({
        "issuer": format!("{base_url}/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base_url}/oauth/authorize"),
        "token_endpoint": format!("{base_url}/oauth/token"),
        "app_registration_endpoint": format!("{base_url}/api/v1/apps"),
        "revocation_endpoint": format!("{base_url}/oauth/revoke"),
        "scopes_supported": scopes::SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    })
}
