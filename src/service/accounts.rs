//! Accounts: registration in every mode, e-mail confirmation, sign-in, sessions, access tokens,
//! password reset, invites and the admin's approvals.
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set};

use super::{char_len, hash_secret, new_secret};
use crate::app::AppState;
use crate::config::RegistrationMode;
use crate::db::entities::{access_tokens, accounts, email_tokens, invites, sessions, users};
use crate::db::queries::{accounts as q, jobs};
use crate::error::{AppError, AppResult};

/// Scopes of tokens made by `khub admin token`.
pub const ALL_SCOPES: &str = "read write follow push";

/// Names people may not take: they would shadow pages or confuse readers.
const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "api",
    "about",
    "settings",
    "login",
    "logout",
    "register",
    "root",
    "support",
    "help",
    "khub",
    "instance",
    "inbox",
    "users",
    "groups",
    "static",
    "media",
    "tags",
    "notifications",
    "bookmarks",
    "collections",
    "invite",
    "confirm",
    "password",
    "postmaster",
    "webmaster",
    "abuse",
    "security",
    "null",
    "undefined",
];

/// What a registration form submitted.
#[derive(Debug, Clone, Default)]
pub struct NewRegistration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub invite: Option<String>,
    pub reason: String,
}

/// Field errors, keyed by field name, for forms and 422 answers.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
    pub fn into_error(self) -> AppError {
        let text = self.0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; ");
        AppError::unprocessable(format!("Validation failed: {text}"))
    }
}

pub fn valid_username(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Enter a username".into());
    }
    if name.len() > 30 {
        return Err("Username must be 30 characters or fewer".into());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("Username can only contain letters, numbers and underscores".into());
    }
    if RESERVED.contains(&name.to_lowercase().as_str()) {
        return Err("That username is reserved".into());
    }
    Ok(())
}

pub fn valid_email(email: &str) -> Result<(), String> {
    let email = email.trim();
    if email.is_empty() {
        return Err("Enter an email address".into());
    }
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !domain.starts_with('.')
        });
    if ok && email.parse::<lettre::Address>().is_ok() {
        Ok(())
    } else {
        Err("Enter an email address in the correct format, like name@example.org".into())
    }
}

pub fn valid_password(password: &str) -> Result<(), String> {
    let n = char_len(password);
    if n < 8 {
        Err("Password must be at least 8 characters".into())
    } else if n > 128 {
        Err("Password must be 128 characters or fewer".into())
    } else {
        Ok(())
    }
}

fn hash_password_now(password: &str) -> AppResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
}

/// Argon2 takes ~19 MiB and tens of milliseconds: it runs off the async workers, two at a time,
/// so a flood of sign-ins queues up instead of stalling every other request.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

pub async fn hash_password(password: &str) -> AppResult<String> {
    let _permit = HASHING.acquire().await.map_err(AppError::internal)?;
    let pw = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password_now(&pw)).await.map_err(AppError::internal)?
}

pub async fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(_permit) = HASHING.acquire().await else { return false };
    let (pw, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(pw.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// The registration mode in force: the admin's site setting, else the configuration.
pub async fn registration_mode(state: &AppState) -> AppResult<RegistrationMode> {
    Ok(match q::setting(&state.db.conn, "registration").await?.as_deref() {
        Some("open") => RegistrationMode::Open,
        Some("approval") => RegistrationMode::Approval,
        Some("invite") => RegistrationMode::Invite,
        Some("closed") => RegistrationMode::Closed,
        _ => state.settings.registration,
    })
}

fn new_account(id: i64, username: &str) -> accounts::Model {
    let now = chrono::Utc::now();
    accounts::Model {
        id,
        username: username.to_owned(),
        username_lower: username.to_lowercase(),
        domain: None,
        display_name: String::new(),
        bio: String::new(),
        job_title: String::new(),
        organisation: String::new(),
        location: String::new(),
        expertise: "[]".into(),
        fields: "[]".into(),
        avatar_media_id: None,
        header_media_id: None,
        locked: false,
        bot: false,
        discoverable: true,
        suspended: false,
        created_at: now,
        updated_at: now,
        uri: None,
        url: None,
        inbox_url: None,
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: None,
        public_key_pem: None,
        private_key_pem: None,
        avatar_remote_url: None,
        header_remote_url: None,
        fetched_at: None,
        moved_to_account_id: None,
        also_known_as: "[]".to_owned(),
    }
}

/// Registers a member. Depending on the mode they still have to confirm their address and be
/// approved. Returns the new user; the confirmation mail is queued in the same transaction.
pub async fn register(state: &AppState, reg: NewRegistration) -> Result<users::Model, FieldErrors> {
    let mut errors = FieldErrors::default();
    let username = reg.username.trim().to_owned();
    let email = reg.email.trim().to_lowercase();
    if let Err(e) = valid_username(&username) {
        errors.add("username", e);
    }
    if let Err(e) = valid_email(&email) {
        errors.add("email", e);
    }
    if let Err(e) = valid_password(&reg.password) {
        errors.add("password", e);
    }
    if char_len(&reg.reason) > 1000 {
        errors.add("reason", "Reason must be 1000 characters or fewer");
    }
    let mode = registration_mode(state).await.map_err(|_| internal_field_error())?;
    let db = &state.db;
    let mut invite: Option<invites::Model> = None;
    match mode {
        RegistrationMode::Closed => errors.add("username", "Registration is closed on this node"),
        RegistrationMode::Invite => match reg.invite.as_deref().filter(|s| !s.is_empty()) {
            None => errors.add("invite", "You need an invitation from a member to join this node"),
            Some(code) => match q::invite_by_hash(&db.conn, &hash_secret(code)).await {
                Ok(Some(i)) if i.used_at.is_none() && i.expires_at > chrono::Utc::now() => invite = Some(i),
                Ok(_) => errors.add("invite", "This invitation is not valid or has been used"),
                Err(_) => return Err(internal_field_error()),
            },
        },
        _ => {
            // An invite link still works in other modes (it skips approval).
            if let Some(code) = reg.invite.as_deref().filter(|s| !s.is_empty())
                && let Ok(Some(i)) = q::invite_by_hash(&db.conn, &hash_secret(code)).await
                && i.used_at.is_none()
                && i.expires_at > chrono::Utc::now()
            {
                invite = Some(i);
            }
        }
    }
    if errors.get("username").is_none() {
        match q::local_account_by_username(&db.conn, &username).await {
            Ok(Some(_)) => errors.add("username", "That username is taken"),
            Ok(None) => {}
            Err(_) => return Err(internal_field_error()),
        }
    }
    if errors.get("email").is_none() {
        match q::user_by_email(&db.conn, &email).await {
            Ok(Some(_)) => errors.add("email", "An account with this email address already exists"),
            Ok(None) => {}
            Err(_) => return Err(internal_field_error()),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let password_hash = hash_password(&reg.password).await.map_err(|_| internal_field_error())?;
    let approved = mode != RegistrationMode::Approval || invite.is_some();
    let result: AppResult<users::Model> = async {
        let tx = db.begin_write().await?;
        // Check again under the writer lock: two sign-ups can race for one name.
        if q::local_account_by_username(&*tx, &username).await?.is_some() {
            return Err(AppError::conflict("username taken"));
        }
        let id = crate::ids::next_id();
        accounts::ActiveModel::from(new_account(id, &username)).insert(&*tx).await?;
        let user = users::Model {
            id,
            email: email.clone(),
            password_hash,
            role: "user".into(),
            confirmed_at: None,
            approved,
            disabled: false,
            reason: reg.reason.trim().to_owned(),
            invited_by: invite.as_ref().map(|i| i.inviter_id),
            created_at: chrono::Utc::now(),
        };
        users::ActiveModel::from(user.clone()).insert(&*tx).await?;
        if let Some(i) = invite {
            // Only the first of two racing sign-ups may use the invitation.
            if !q::use_invite(&*tx, i.id, id).await? {
                return Err(AppError::conflict("invite used"));
            }
        }
        queue_confirmation(state, &*tx, &user, &username).await?;
        tx.commit().await?;
        Ok(user)
    }
    .await;
    result.map_err(|e| {
        if e.kind == crate::error::ErrorKind::Conflict {
            let mut f = FieldErrors::default();
            if e.message == "invite used" {
                f.add("invite", "This invitation is not valid or has been used");
            } else {
                f.add("username", "That username is taken");
            }
            f
        } else {
            e.log();
            internal_field_error()
        }
    })
}

fn internal_field_error() -> FieldErrors {
    let mut f = FieldErrors::default();
    f.add("form", "Something went wrong on our side. Please try again.");
    f
}

async fn queue_confirmation(
    state: &AppState,
    db: &impl ConnectionTrait,
    user: &users::Model,
    username: &str,
) -> AppResult<()> {
    let token = new_secret();
    q::insert_email_token(
        db,
        email_tokens::Model {
            token_hash: hash_secret(&token),
            user_id: user.id,
            kind: "confirm".into(),
            expires_at: chrono::Utc::now() + chrono::Duration::days(7),
            used_at: None,
        },
    )
    .await?;
    let link = format!("{}/confirm/{token}", state.settings.base_url());
    let body = format!(
        "Hello {username},\n\nConfirm your email address to finish joining {site}:\n\n{link}\n\n\
         The link works for 7 days. If you did not sign up, ignore this message.\n",
        site = state.settings.site_name
    );
    queue_mail(db, &user.email, &format!("Confirm your email address for {}", state.settings.site_name), &body).await
}

/// Queues a mail as a job (sent by the mail worker after commit).
pub async fn queue_mail(db: &impl ConnectionTrait, to: &str, subject: &str, body: &str) -> AppResult<()> {
    jobs::enqueue(db, "mail", &serde_json::json!({ "to": to, "subject": subject, "body": body })).await?;
    Ok(())
}

/// Confirms an e-mail address with the token from the mail.
pub async fn confirm_email(state: &AppState, token: &str) -> AppResult<users::Model> {
    let hash = hash_secret(token);
    let tx = state.db.begin_write().await?;
    let t = q::email_token_by_hash(&*tx, &hash)
        .await?
        .filter(|t| t.kind == "confirm" && t.used_at.is_none() && t.expires_at > chrono::Utc::now())
        .ok_or_else(|| AppError::not_found_msg("This confirmation link is not valid or has expired"))?;
    let user = q::user_by_id(&*tx, t.user_id).await?.ok_or_else(AppError::not_found)?;
    let mut am = user.clone().into_active_model();
    am.confirmed_at = Set(Some(chrono::Utc::now()));
    let user = am.update(&*tx).await?;
    q::mark_email_token_used(&*tx, &hash).await?;
    tx.commit().await?;
    Ok(user)
}

/// Checks a sign-in; the message never tells which part was wrong.
pub async fn authenticate(state: &AppState, login: &str, password: &str) -> AppResult<users::Model> {
    let login = login.trim();
    let wrong = || AppError::unauthorized("Enter a correct username or email address and password");
    if login.is_empty() || password.is_empty() || login.len() > 254 || password.len() > 512 {
        return Err(wrong());
    }
    let user = if login.contains('@') {
        q::user_by_email(&state.db.conn, login).await?
    } else {
        match q::local_account_by_username(&state.db.conn, login).await? {
            Some(a) => q::user_by_id(&state.db.conn, a.id).await?,
            None => None,
        }
    };
    let Some(user) = user else {
        // Spend the same time as a real check, so timing does not reveal who has an account.
        let _ = verify_password(password, DUMMY_HASH).await;
        return Err(wrong());
    };
    let hash = user.password_hash.clone();
    let pw = password.to_owned();
    let ok = verify_password(&pw, &hash).await;
    if !ok {
        return Err(wrong());
    }
    check_can_sign_in(&user)?;
    Ok(user)
}

const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0pQ8m9m4YFnjmWDT3ZCOCw9c0f9s2bW8WqC6y0Ihl3A";

/// Whether a user may use the node now.
pub fn check_can_sign_in(user: &users::Model) -> AppResult<()> {
    if user.disabled {
        return Err(AppError::forbidden("This account has been disabled"));
    }
    if user.confirmed_at.is_none() {
        return Err(AppError::forbidden("Confirm your email address first: we sent you a link"));
    }
    if !user.approved {
        return Err(AppError::forbidden("Your account is waiting for approval by an administrator"));
    }
    Ok(())
}

/// Starts a browser session; returns the cookie secret.
pub async fn create_session(state: &AppState, user_id: i64, user_agent: &str) -> AppResult<String> {
    let token = new_secret();
    let now = chrono::Utc::now();
    let _w = state.db.write_lock().await;
    q::insert_session(
        &state.db.conn,
        sessions::Model {
            token_hash: hash_secret(&token),
            user_id,
            csrf_token: new_secret(),
            user_agent: user_agent.chars().take(300).collect(),
            created_at: now,
            last_seen_at: now,
        },
    )
    .await?;
    Ok(token)
}

pub async fn end_session(state: &AppState, token: &str) -> AppResult<()> {
    let _w = state.db.write_lock().await;
    q::delete_session(&state.db.conn, &hash_secret(token)).await?;
    Ok(())
}

/// Sessions last 30 days from sign-in.
pub const SESSION_DAYS: i64 = 30;

/// The user and account of a session cookie, if it is valid.
pub async fn session_user(
    state: &AppState,
    token: &str,
) -> AppResult<Option<(sessions::Model, users::Model, accounts::Model)>> {
    let Some(s) = q::session_by_hash(&state.db.conn, &hash_secret(token)).await? else { return Ok(None) };
    if s.created_at + chrono::Duration::days(SESSION_DAYS) < chrono::Utc::now() {
        return Ok(None);
    }
    signed_in(state, s.user_id).await.map(|o| o.map(|(u, a)| (s, u, a)))
}

async fn signed_in(state: &AppState, user_id: i64) -> AppResult<Option<(users::Model, accounts::Model)>> {
    let Some(user) = q::user_by_id(&state.db.conn, user_id).await? else { return Ok(None) };
    if check_can_sign_in(&user).is_err() {
        return Ok(None);
    }
    let Some(account) = q::account_by_id(&state.db.conn, user_id).await? else { return Ok(None) };
    Ok(Some((user, account)))
}

/// Issues a bearer token for the client API.
pub async fn create_access_token(state: &AppState, user_id: i64, scopes: &str, name: &str) -> AppResult<String> {
    let token = new_secret();
    let _w = state.db.write_lock().await;
    q::insert_access_token(
        &state.db.conn,
        access_tokens::Model {
            token_hash: hash_secret(&token),
            user_id: Some(user_id),
            scopes: scopes.to_owned(),
            name: name.to_owned(),
            created_at: chrono::Utc::now(),
            revoked_at: None,
            app_id: None,
            refresh_token_hash: None,
        },
    )
    .await?;
    Ok(token)
}

/// The user, account and scopes of a bearer token.
pub async fn token_user(state: &AppState, token: &str) -> AppResult<Option<(users::Model, accounts::Model, String)>> {
    if token.len() > 200 {
        return Ok(None);
    }
    let Some(t) = q::access_token_by_hash(&state.db.conn, &hash_secret(token)).await? else { return Ok(None) };
    let Some(user_id) = t.user_id else { return Ok(None) };
    Ok(signed_in(state, user_id).await?.map(|(u, a)| (u, a, t.scopes)))
}

/// Sends a reset link if the address belongs to someone; says nothing either way.
pub async fn request_password_reset(state: &AppState, email: &str) -> AppResult<()> {
    let email = email.trim().to_lowercase();
    if valid_email(&email).is_err() {
        return Ok(());
    }
    let Some(user) = q::user_by_email(&state.db.conn, &email).await? else { return Ok(()) };
    let token = new_secret();
    let tx = state.db.begin_write().await?;
    q::insert_email_token(
        &*tx,
        email_tokens::Model {
            token_hash: hash_secret(&token),
            user_id: user.id,
            kind: "reset".into(),
            expires_at: chrono::Utc::now() + chrono::Duration::hours(2),
            used_at: None,
        },
    )
    .await?;
    let link = format!("{}/password/reset/{token}", state.settings.base_url());
    let body = format!(
        "Someone asked to reset the password of your {site} account.\n\nChoose a new password here:\n\n{link}\n\n\
         The link works for 2 hours. If it was not you, ignore this message: your password stays as it is.\n",
        site = state.settings.site_name
    );
    queue_mail(&*tx, &user.email, &format!("Reset your {} password", state.settings.site_name), &body).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a reset token is still usable (for showing the form).
pub async fn reset_token_valid(state: &AppState, token: &str) -> AppResult<bool> {
    Ok(q::email_token_by_hash(&state.db.conn, &hash_secret(token))
        .await?
        .is_some_and(|t| t.kind == "reset" && t.used_at.is_none() && t.expires_at > chrono::Utc::now()))
}

/// Sets a new password with a reset token and signs the user out everywhere.
pub async fn reset_password(state: &AppState, token: &str, password: &str) -> AppResult<()> {
    valid_password(password).map_err(AppError::unprocessable)?;
    let hash = hash_secret(token);
    let new_hash = hash_password(password).await?;
    let tx = state.db.begin_write().await?;
    let t = q::email_token_by_hash(&*tx, &hash)
        .await?
        .filter(|t| t.kind == "reset" && t.used_at.is_none() && t.expires_at > chrono::Utc::now())
        .ok_or_else(|| AppError::not_found_msg("This reset link is not valid or has expired"))?;
    let user = q::user_by_id(&*tx, t.user_id).await?.ok_or_else(AppError::not_found)?;
    let mut am = user.into_active_model();
    am.password_hash = Set(new_hash);
    // Following the link proves the address, so a reset also confirms it.
    if am.confirmed_at.as_ref().is_none() {
        am.confirmed_at = Set(Some(chrono::Utc::now()));
    }
    am.update(&*tx).await?;
    q::mark_email_token_used(&*tx, &hash).await?;
    q::delete_sessions_of(&*tx, t.user_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Invites colleagues by e-mail: one single-use link each, valid for 14 days.
pub async fn invite(state: &AppState, inviter: &accounts::Model, emails: &str) -> Result<Vec<String>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let list: Vec<String> =
        emails.split([',', '\n', ';', ' ']).map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect();
    if list.is_empty() {
        errors.add("emails", "Enter at least one email address");
    }
    if list.len() > 20 {
        errors.add("emails", "Invite at most 20 people at a time");
    }
    // A daily allowance keeps the node's mail from being used for spam.
    let recent = q::invites_since(&state.db.conn, inviter.id, chrono::Utc::now() - chrono::Duration::days(1))
        .await
        .map_err(|_| internal_field_error())?;
    if recent + list.len() as u64 > 50 {
        errors.add("emails", "You can send at most 50 invitations a day");
    }
    for e in &list {
        if valid_email(e).is_err() {
            errors.add("emails", format!("“{}” is not an email address", e.chars().take(80).collect::<String>()));
            break;
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let result: AppResult<()> = async {
        let tx = state.db.begin_write().await?;
        for email in &list {
            let token = new_secret();
            let now = chrono::Utc::now();
            q::insert_invite(
                &*tx,
                invites::Model {
                    id: crate::ids::next_id(),
                    token_hash: hash_secret(&token),
                    inviter_id: inviter.id,
                    email: email.clone(),
                    created_at: now,
                    expires_at: now + chrono::Duration::days(14),
                    used_at: None,
                    used_by: None,
                },
            )
            .await?;
            let who = if inviter.display_name.is_empty() { &inviter.username } else { &inviter.display_name };
            let link = format!("{}/register?invite={token}", state.settings.base_url());
            let body = format!(
                "{who} invites you to join {site}, an expert network for people who work in the public sector.\n\n\
                 Create your account here:\n\n{link}\n\nThe invitation works once, for 14 days.\n",
                site = state.settings.site_name
            );
            queue_mail(&*tx, email, &format!("{who} invites you to {}", state.settings.site_name), &body).await?;
        }
        tx.commit().await?;
        Ok(())
    }
    .await;
    result.map_err(|e| {
        e.log();
        internal_field_error()
    })?;
    Ok(list)
}

/// Creates a confirmed, approved member from the command line.
pub async fn admin_create_user(
    state: &AppState,
    username: &str,
    email: &str,
    password: &str,
    admin: bool,
) -> AppResult<users::Model> {
    // Reserved names are kept from self-registration only: the operator may take "admin".
    if let Err(e) = valid_username(username)
        && !RESERVED.contains(&username.to_lowercase().as_str())
    {
        return Err(AppError::unprocessable(format!("username: {e}")));
    }
    let email = email.trim().to_lowercase();
    valid_email(&email).map_err(|e| AppError::unprocessable(format!("email: {e}")))?;
    valid_password(password).map_err(|e| AppError::unprocessable(format!("password: {e}")))?;
    let password_hash = hash_password(password).await?;
    let tx = state.db.begin_write().await?;
    if q::local_account_by_username(&*tx, username).await?.is_some() {
        return Err(AppError::conflict(format!("username: {username} is taken")));
    }
    if q::user_by_email(&*tx, &email).await?.is_some() {
        return Err(AppError::conflict(format!("email: {email} is already registered")));
    }
    let id = crate::ids::next_id();
    accounts::ActiveModel::from(new_account(id, username)).insert(&*tx).await?;
    let user = users::Model {
        id,
        email,
        password_hash,
        role: if admin { "admin" } else { "user" }.into(),
        confirmed_at: Some(chrono::Utc::now()),
        approved: true,
        disabled: false,
        reason: String::new(),
        invited_by: None,
        created_at: chrono::Utc::now(),
    };
    users::ActiveModel::from(user.clone()).insert(&*tx).await?;
    tx.commit().await?;
    Ok(user)
}

/// An admin approves or rejects a pending sign-up; rejection removes it.
pub async fn decide_approval(state: &AppState, admin: &users::Model, user_id: i64, approve: bool) -> AppResult<()> {
    if admin.role != "admin" {
        return Err(AppError::forbidden("Only administrators can do this"));
    }
    let tx = state.db.begin_write().await?;
    let user = q::user_by_id(&*tx, user_id).await?.ok_or_else(AppError::not_found)?;
    if user.approved {
        return Err(AppError::unprocessable("This account is already approved"));
    }
    if approve {
        let email = user.email.clone();
        let mut am = user.into_active_model();
        am.approved = Set(true);
        am.update(&*tx).await?;
        let body = format!(
            "Your account on {site} has been approved. Sign in at {base}/login\n",
            site = state.settings.site_name,
            base = state.settings.base_url()
        );
        queue_mail(&*tx, &email, &format!("Welcome to {}", state.settings.site_name), &body).await?;
    } else {
        <users::Entity as sea_orm::EntityTrait>::delete_by_id(user_id).exec(&*tx).await?;
        <accounts::Entity as sea_orm::EntityTrait>::delete_by_id(user_id).exec(&*tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An admin disables or re-enables an account (it can no longer sign in or use tokens).
pub async fn set_disabled(state: &AppState, admin: &users::Model, user_id: i64, disabled: bool) -> AppResult<()> {
    if admin.role != "admin" {
        return Err(AppError::forbidden("Only administrators can do this"));
    }
    if admin.id == user_id {
        return Err(AppError::unprocessable("You cannot disable your own account"));
    }
    let tx = state.db.begin_write().await?;
    let user = q::user_by_id(&*tx, user_id).await?.ok_or_else(AppError::not_found)?;
    let mut am = user.into_active_model();
    am.disabled = Set(disabled);
    am.update(&*tx).await?;
    if disabled {
        q::delete_sessions_of(&*tx, user_id).await?;
    }
    tx.commit().await?;
    Ok(())
}
