//! OAuth 2 as Mastodon apps expect it: app registration, the authorization-code grant (with
//! PKCE S256), client credentials, rotating refresh tokens, revocation, and the list of apps a
//! member has authorised. Client secrets, codes and tokens are stored only as SHA-256 hashes.
pub mod scopes;

use base64::Engine;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{char_len, hash_secret, new_secret};
use crate::app::AppState;
use crate::db::entities::{access_tokens, accounts, oauth_apps, oauth_codes, users};
use crate::db::queries::{accounts as aq, oauth as q};
use crate::error::AppError;
use crate::error::AppResult;

/// The redirect URI that asks for the code to be shown to the member instead.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
/// How long an authorization code can be exchanged.
pub const CODE_MINUTES: i64 = 10;
/// Mastodon's limits on what an app registers.
const MAX_NAME_CHARS: usize = 60;
const MAX_URI_LEN: usize = 2000;
const MAX_REDIRECT_URIS: usize = 20;
/// Longest `state` carried through the consent page.
pub const MAX_STATE_LEN: usize = 1000;
/// Longest secret (client secret, code, token, verifier) worth hashing; ours are 43 characters.
const MAX_SECRET_LEN: usize = 200;

/// What `POST /api/v1/apps` asked for.
#[derive(Debug, Clone, Default)]
pub struct NewApp {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Option<String>,
    pub website: Option<String>,
}

/// The registered redirect URIs of an app.
pub fn redirect_uris(app: &oauth_apps::Model) -> Vec<&str> {
    app.redirect_uris.lines().filter(|l| !l.is_empty()).collect()
}

/// Checks one redirect URI as Mastodon does: absolute, no fragment, and not a scheme that
/// runs code in the browser.
fn check_redirect_uri(uri: &str) -> Result<(), String> {
    if uri == OOB {
        return Ok(());
    }
    if uri.len() > MAX_URI_LEN {
        return Err(format!("Redirect URI is too long (maximum is {MAX_URI_LEN} characters)"));
    }
    let parsed = url::Url::parse(uri).map_err(|_| "Redirect URI must be an absolute URI.".to_owned())?;
    if parsed.fragment().is_some() {
        return Err("Redirect URI cannot contain a fragment.".into());
    }
    let scheme = parsed.scheme();
    if matches!(scheme, "javascript" | "data" | "vbscript" | "file" | "about" | "blob") {
        return Err("Redirect URI uses a scheme that is not allowed.".into());
    }
    if matches!(scheme, "http" | "https") && parsed.host_str().is_none_or(str::is_empty) {
        return Err("Redirect URI must be an absolute URI.".into());
    }
    Ok(())
}

/// Registers an app; returns it with its client secret (shown once, stored hashed).
pub async fn register_app(state: &AppState, new: NewApp) -> AppResult<(oauth_apps::Model, String)> {
    let invalid = |m: &str| AppError::unprocessable(format!("Validation failed: {m}"));
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(invalid("Application name can't be blank"));
    }
    if char_len(&name) > MAX_NAME_CHARS {
        return Err(invalid(&format!("Application name is too long (maximum is {MAX_NAME_CHARS} characters)")));
    }
    let uris: Vec<String> = new
        .redirect_uris
        .iter()
        .flat_map(|u| u.split(['\n', '\r']))
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    if uris.is_empty() {
        return Err(invalid("Redirect URI can't be blank"));
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(invalid(&format!("Register at most {MAX_REDIRECT_URIS} redirect URIs")));
    }
    for u in &uris {
        check_redirect_uri(u).map_err(|m| invalid(&m))?;
    }
    let scope_list = match new.scopes.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => vec![scopes::DEFAULT.to_owned()],
        Some(s) => scopes::parse(s).map_err(|bad| invalid(&format!("Scopes contain an unknown scope “{bad}”")))?,
    };
    let website = match new.website.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(w) => {
            let ok = w.len() <= MAX_URI_LEN
                && url::Url::parse(w).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(invalid("Website must be an http or https address"));
            }
            Some(w.to_owned())
        }
    };
    let secret = new_secret();
    let app = oauth_apps::Model {
        id: crate::ids::next_id(),
        client_id: new_secret(),
        client_secret_hash: hash_secret(&secret),
        name,
        website,
        redirect_uris: uris.join("\n"),
        scopes: scope_list.join(" "),
        created_at: Utc::now(),
    };
    let _w = state.db.write_lock().await;
    q::insert_app(&state.db.conn, app.clone()).await?;
    Ok((app, secret))
}

/// An app by its public client id.
pub async fn app_by_client_id(state: &AppState, client_id: &str) -> AppResult<Option<oauth_apps::Model>> {
    if client_id.is_empty() || client_id.len() > MAX_SECRET_LEN {
        return Ok(None);
    }
    Ok(q::app_by_client_id(&state.db.conn, client_id).await?)
}

/// An app by id.
pub async fn app_by_id(state: &AppState, id: i64) -> AppResult<Option<oauth_apps::Model>> {
    Ok(q::app_by_id(&state.db.conn, id).await?)
}

/// What `GET /oauth/authorize` (and the consent form) carries.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    pub response_type: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
}

/// A checked authorization request: the redirect URI is one the app registered.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub app: oauth_apps::Model,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
}

impl AuthorizeRequest {
    pub fn is_oob(&self) -> bool {
        self.redirect_uri == OOB
    }
}

/// Checks an authorization request. Every failure is a 400 for the member to read: the
/// redirect URI is not trusted until it is known to be registered, so nothing redirects.
pub async fn check_authorize(state: &AppState, p: &AuthorizeParams) -> AppResult<AuthorizeRequest> {
    let bad = |m: String| AppError::bad_request(m);
    let app = app_by_client_id(state, p.client_id.trim()).await?.ok_or_else(|| {
        bad("This sign-in request comes from an app that is not registered on this site. \
             Go back to the app and try again, or tell its developer."
            .into())
    })?;
    let registered = redirect_uris(&app);
    let redirect_uri = if p.redirect_uri.is_empty() && registered.len() == 1 {
        registered[0].to_owned()
    } else if registered.contains(&p.redirect_uri.as_str()) {
        p.redirect_uri.clone()
    } else {
        return Err(bad(format!(
            "{} asked to send you to an address it did not register, so the sign-in request has been stopped. \
             Tell the app's developer.",
            app.name
        )));
    };
    if p.response_type != "code" {
        return Err(bad(format!(
            "{} sent a sign-in request of a kind this site does not support (response_type must be “code”).",
            app.name
        )));
    }
    let wanted = scopes::parse(p.scope.trim())
        .map_err(|s| bad(format!("{} asked for a permission that does not exist: “{s}”.", app.name)))?;
    let wanted = if wanted.is_empty() { vec![scopes::DEFAULT.to_owned()] } else { wanted };
    if !scopes::all_covered(&app.scopes, &wanted) {
        return Err(bad(format!(
            "{} asked for more permissions than it registered for, so the sign-in request has been stopped.",
            app.name
        )));
    }
    let code_challenge = match (p.code_challenge.as_str(), p.code_challenge_method.as_str()) {
        ("", "") => None,
        (c, "S256") if valid_challenge(c) => Some(c.to_owned()),
        (_, "S256") => return Err(bad("The app sent a code challenge that is not valid (PKCE S256).".into())),
        ("", _) => return Err(bad("The app sent a code challenge method without a code challenge.".into())),
        _ => return Err(bad("The app asked for a code challenge method this site does not support: use S256.".into())),
    };
    if p.state.len() > MAX_STATE_LEN {
        return Err(bad(format!("The app's state parameter is too long (maximum is {MAX_STATE_LEN} characters).")));
    }
    Ok(AuthorizeRequest {
        app,
        redirect_uri,
        scopes: wanted,
        state: Some(p.state.clone()).filter(|s| !s.is_empty()),
        code_challenge,
    })
}

/// An S256 challenge is the unpadded base64url of a SHA-256 digest: 43 characters.
fn valid_challenge(c: &str) -> bool {
    c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7636: a verifier is 43 to 128 unreserved characters.
fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The member said yes: a single-use code for the app, valid for [`CODE_MINUTES`].
pub async fn grant_code(state: &AppState, req: &AuthorizeRequest, user_id: i64) -> AppResult<String> {
    let code = new_secret();
    let now = Utc::now();
    let tx = state.db.begin_write().await?;
    q::delete_stale_codes(&*tx, now).await?;
    q::insert_code(
        &*tx,
        oauth_codes::Model {
            code_hash: hash_secret(&code),
            app_id: req.app.id,
            user_id,
            redirect_uri: req.redirect_uri.clone(),
            scopes: req.scopes.join(" "),
            code_challenge: req.code_challenge.clone(),
            created_at: now,
            expires_at: now + chrono::Duration::minutes(CODE_MINUTES),
            used_at: None,
            token_hash: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// Why a token request failed, in OAuth's terms (RFC 6749 section 5.2, RFC 7009).
#[derive(Debug)]
pub enum OAuthFailure {
    InvalidRequest(String),
    InvalidClient,
    InvalidGrant(&'static str),
    InvalidScope,
    UnsupportedGrantType,
    UnauthorizedClient,
    Internal(AppError),
}

impl From<AppError> for OAuthFailure {
    fn from(e: AppError) -> Self {
        Self::Internal(e)
    }
}

impl From<sea_orm::DbErr> for OAuthFailure {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(e.into())
    }
}

/// Checks an app's credentials: the secret is compared by its hash.
pub async fn authenticate_client(
    state: &AppState,
    client_id: &str,
    client_secret: &str,
) -> Result<oauth_apps::Model, OAuthFailure> {
    if client_secret.is_empty() || client_secret.len() > MAX_SECRET_LEN {
        return Err(OAuthFailure::InvalidClient);
    }
    let app = app_by_client_id(state, client_id).await?.ok_or(OAuthFailure::InvalidClient)?;
    if constant_time_eq(hash_secret(client_secret).as_bytes(), app.client_secret_hash.as_bytes()) {
        Ok(app)
    } else {
        Err(OAuthFailure::InvalidClient)
    }
}

/// A token as the token endpoint answers it.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: String,
    pub created_at: DateTime<Utc>,
}

/// A new token row and the secrets it was made from.
fn new_token(app: &oauth_apps::Model, user_id: Option<i64>, scopes: String) -> (access_tokens::Model, IssuedToken) {
    let access = new_secret();
    let refresh = user_id.map(|_| new_secret());
    let now = Utc::now();
    let row = access_tokens::Model {
        token_hash: hash_secret(&access),
        user_id,
        scopes: scopes.clone(),
        name: app.name.clone(),
        created_at: now,
        revoked_at: None,
        app_id: Some(app.id),
        refresh_token_hash: refresh.as_deref().map(hash_secret),
    };
    (row, IssuedToken { access_token: access, refresh_token: refresh, scopes, created_at: now })
}

const GRANT_INVALID: &str = "The provided authorization grant is invalid, expired, revoked, does not match the \
                             redirection URI used in the authorization request, or was issued to another client.";

/// `grant_type=authorization_code`: one code, one token. A replayed code also revokes the token
/// it was first exchanged for (RFC 6749 section 4.1.2): someone else has the code.
pub async fn exchange_code(
    state: &AppState,
    app: &oauth_apps::Model,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<IssuedToken, OAuthFailure> {
    if code.is_empty() {
        return Err(OAuthFailure::InvalidRequest("Missing required parameter: code.".into()));
    }
    if code.len() > MAX_SECRET_LEN || verifier.len() > MAX_SECRET_LEN {
        return Err(OAuthFailure::InvalidGrant(GRANT_INVALID));
    }
    let code_hash = hash_secret(code);
    let now = Utc::now();
    let tx = state.db.begin_write().await?;
    let c = q::code_by_hash(&*tx, &code_hash)
        .await?
        .filter(|c| c.app_id == app.id)
        .ok_or(OAuthFailure::InvalidGrant(GRANT_INVALID))?;
    if c.used_at.is_some() {
        if let Some(t) = &c.token_hash {
            q::revoke_token(&*tx, t, now).await?;
            tx.commit().await?;
        }
        return Err(OAuthFailure::InvalidGrant(GRANT_INVALID));
    }
    if c.expires_at < now {
        return Err(OAuthFailure::InvalidGrant(GRANT_INVALID));
    }
    // Without a redirect_uri the app must have only the one it used.
    let uri_ok = if redirect_uri.is_empty() {
        redirect_uris(app) == [c.redirect_uri.as_str()]
    } else {
        redirect_uri == c.redirect_uri
    };
    if !uri_ok {
        return Err(OAuthFailure::InvalidGrant(GRANT_INVALID));
    }
    match (&c.code_challenge, verifier) {
        (None, "") => {}
        (Some(challenge), v) if valid_verifier(v) && constant_time_eq(s256(v).as_bytes(), challenge.as_bytes()) => {}
        // A verifier without a challenge, or a wrong one: the code stays usable by its owner.
        _ => return Err(OAuthFailure::InvalidGrant(GRANT_INVALID)),
    }
    let (row, issued) = new_token(app, Some(c.user_id), c.scopes.clone());
    if !q::claim_code(&*tx, &code_hash, &row.token_hash, now).await? {
        return Err(OAuthFailure::InvalidGrant(GRANT_INVALID));
    }
    aq::insert_access_token(&*tx, row).await?;
    tx.commit().await?;
    Ok(issued)
}

/// `grant_type=client_credentials`: a token for the app itself, acting for no member.
pub async fn client_credentials(
    state: &AppState,
    app: &oauth_apps::Model,
    scope: &str,
) -> Result<IssuedToken, OAuthFailure> {
    let wanted = scopes::parse(scope.trim()).map_err(|_| OAuthFailure::InvalidScope)?;
    let wanted = if !wanted.is_empty() {
        wanted
    } else if scopes::covers(&app.scopes, scopes::DEFAULT) {
        vec![scopes::DEFAULT.to_owned()]
    } else {
        app.scopes.split_whitespace().map(str::to_owned).collect()
    };
    if !scopes::all_covered(&app.scopes, &wanted) {
        return Err(OAuthFailure::InvalidScope);
    }
    let (row, issued) = new_token(app, None, wanted.join(" "));
    let _w = state.db.write_lock().await;
    aq::insert_access_token(&state.db.conn, row).await?;
    Ok(issued)
}

/// `grant_type=refresh_token`: the old token and refresh token stop working, a new pair is
/// issued with the same scopes (or fewer, when the app asks for fewer).
pub async fn refresh(
    state: &AppState,
    app: &oauth_apps::Model,
    refresh_token: &str,
    scope: &str,
) -> Result<IssuedToken, OAuthFailure> {
    if refresh_token.is_empty() {
        return Err(OAuthFailure::InvalidRequest("Missing required parameter: refresh_token.".into()));
    }
    if refresh_token.len() > MAX_SECRET_LEN {
        return Err(OAuthFailure::InvalidGrant(GRANT_INVALID));
    }
    let now = Utc::now();
    let tx = state.db.begin_write().await?;
    let old = q::token_by_refresh_hash(&*tx, &hash_secret(refresh_token))
        .await?
        .filter(|t| t.app_id == Some(app.id) && t.revoked_at.is_none())
        .ok_or(OAuthFailure::InvalidGrant(GRANT_INVALID))?;
    let Some(user_id) = old.user_id else { return Err(OAuthFailure::InvalidGrant(GRANT_INVALID)) };
    let wanted = scopes::parse(scope.trim()).map_err(|_| OAuthFailure::InvalidScope)?;
    let scopes = if wanted.is_empty() {
        old.scopes.clone()
    } else if scopes::all_covered(&old.scopes, &wanted) {
        wanted.join(" ")
    } else {
        return Err(OAuthFailure::InvalidScope);
    };
    if !q::revoke_token(&*tx, &old.token_hash, now).await? {
        return Err(OAuthFailure::InvalidGrant(GRANT_INVALID));
    }
    let (row, issued) = new_token(app, Some(user_id), scopes);
    aq::insert_access_token(&*tx, row).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Revokes an access or refresh token the app owns. Unknown tokens succeed (RFC 7009).
pub async fn revoke(state: &AppState, app: &oauth_apps::Model, token: &str) -> Result<(), OAuthFailure> {
    if token.is_empty() {
        return Err(OAuthFailure::InvalidRequest("Missing required parameter: token.".into()));
    }
    if token.len() > MAX_SECRET_LEN {
        return Ok(());
    }
    let hash = hash_secret(token);
    let tx = state.db.begin_write().await?;
    let row = match q::token_by_hash_any(&*tx, &hash).await? {
        Some(t) => Some(t),
        None => q::token_by_refresh_hash(&*tx, &hash).await?,
    };
    let Some(row) = row else { return Ok(()) };
    if row.app_id != Some(app.id) {
        return Err(OAuthFailure::UnauthorizedClient);
    }
    q::revoke_token(&*tx, &row.token_hash, Utc::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// A live bearer token: the member it acts for (none for an app's own token) and its app.
#[derive(Debug, Clone)]
pub struct ResolvedToken {
    pub token: access_tokens::Model,
    pub user: Option<(users::Model, accounts::Model)>,
}

/// Looks up a bearer token. `None` when it is unknown, revoked, or its member may no longer
/// sign in: all of them are "the access token is invalid".
pub async fn resolve_token(state: &AppState, token: &str) -> AppResult<Option<ResolvedToken>> {
    if token.is_empty() || token.len() > MAX_SECRET_LEN {
        return Ok(None);
    }
    let Some((t, member)) = aq::access_token_with_member(&state.db.conn, &hash_secret(token)).await? else {
        return Ok(None);
    };
    if t.user_id.is_none() {
        return Ok(Some(ResolvedToken { token: t, user: None }));
    }
    // A member's token whose user or account is gone, or who may not sign in, is no token.
    let Some((user, account)) = member else { return Ok(None) };
    if super::accounts::check_can_sign_in(&user).is_err() {
        return Ok(None);
    }
    Ok(Some(ResolvedToken { token: t, user: Some((user, account)) }))
}

/// An app a member has let into their account.
#[derive(Debug, Clone)]
pub struct AuthorisedApp {
    pub app: oauth_apps::Model,
    /// Every scope its live tokens carry, in Mastodon's order.
    pub scopes: Vec<String>,
    /// When the member first authorised it (of the tokens still live).
    pub authorised_at: DateTime<Utc>,
}

/// The apps that hold live tokens for a member, by name.
pub async fn authorised_apps(state: &AppState, user_id: i64) -> AppResult<Vec<AuthorisedApp>> {
    let db = &state.db.conn;
    let tokens = q::live_app_tokens_of(db, user_id).await?;
    let mut ids: Vec<i64> = tokens.iter().filter_map(|t| t.app_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out: Vec<AuthorisedApp> = q::apps_by_ids(db, &ids)
        .await?
        .into_iter()
        .filter_map(|app| {
            let mine: Vec<&access_tokens::Model> = tokens.iter().filter(|t| t.app_id == Some(app.id)).collect();
            let authorised_at = mine.iter().map(|t| t.created_at).min()?;
            let scopes = scopes::SUPPORTED
                .iter()
                .filter(|s| mine.iter().any(|t| t.scopes.split_whitespace().any(|g| g == **s)))
                .map(|s| (*s).to_owned())
                .collect();
            Some(AuthorisedApp { app, scopes, authorised_at })
        })
        .collect();
    out.sort_by(|a, b| a.app.name.to_lowercase().cmp(&b.app.name.to_lowercase()).then(a.app.id.cmp(&b.app.id)));
    Ok(out)
}

/// A member takes back an app's access: its tokens and unused codes stop working at once.
/// Returns how many tokens were live.
pub async fn revoke_app(state: &AppState, user_id: i64, app_id: i64) -> AppResult<u64> {
    let now = Utc::now();
    let tx = state.db.begin_write().await?;
    let n = q::revoke_tokens_of(&*tx, user_id, app_id, now).await?;
    q::expire_codes_of(&*tx, user_id, app_id, now).await?;
    tx.commit().await?;
    Ok(n)
}
