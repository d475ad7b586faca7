//! Sign-in, sign-out, registration, e-mail confirmation and password reset.
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::{SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::{FormField, OrPage, PageResult, csrf, layout, redirect_with, safe_next};
use crate::api::body::ApiForm;
use crate::app::AppState;
use crate::config::RegistrationMode;
use crate::service::accounts::{self, NewRegistration};
use crate::web::session::{AnonCsrf, MaybeWebUser, SESSION_COOKIE, set_cookie};
use crate::web::{Layout, MessagePage, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/register", get(register_form).post(register))
        .route("/confirm/{token}", get(confirm))
        .route("/password/reset", get(reset_request_form).post(reset_request))
        .route("/password/reset/{token}", get(reset_form).post(reset))
}

#[derive(Template, WebTemplate)]
#[template(path = "form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub heading: String,
    pub intro: String,
    pub errors: Vec<(&'static str, String)>,
    pub action: String,
    pub hidden: Vec<(String, String)>,
    pub fields: Vec<FormField>,
    pub submit: String,
    pub links: Vec<(String, String)>,
}

fn message(layout: Layout, heading: &str, body: &str, link: Option<(&str, &str)>) -> MessagePage {
    MessagePage {
        layout,
        heading: heading.into(),
        body: body.into(),
        link: link.map(|(a, b)| (a.to_owned(), b.to_owned())),
    }
}

async fn login_page(
    state: &AppState,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    login: &str,
    next: &str,
    errors: Vec<(&'static str, String)>,
) -> FormPage {
    FormPage {
        layout: layout(state, None, anon, headers, "Sign in", "login").await,
        heading: "Sign in".into(),
        intro: String::new(),
        fields: vec![
            FormField::new("login", "Username or email address", "text")
                .value(login)
                .autocomplete("username")
                .errors_from(&errors),
            FormField::new("password", "Password", "password").autocomplete("current-password").errors_from(&errors),
        ],
        errors,
        action: "/login".into(),
        hidden: vec![("next".into(), next.to_owned())],
        submit: "Sign in".into(),
        links: vec![
            ("/password/reset".into(), "Forgotten your password?".into()),
            ("/register".into(), "Create an account".into()),
        ],
    }
}

async fn login_form(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if user.is_some() {
        return Redirect::to("/").into_response();
    }
    let next = safe_next(q.get("next").map(String::as_str).unwrap_or("/"));
    let page = login_page(&state, &anon, &headers, "", &next, vec![]).await;
    let flash = page.layout.flash.is_some();
    render(StatusCode::OK, &page, flash)
}

async fn login(State(state): State<AppState>, anon: AnonCsrf, headers: HeaderMap, form: ApiForm) -> PageResult {
    csrf(&state, None, &anon, &form)?;
    let login = form.text("login");
    let next = safe_next(&form.text("next"));
    let mut errors = Vec::new();
    if login.trim().is_empty() {
        errors.push(("login", "Enter your username or email address".to_owned()));
    }
    if form.text("password").is_empty() {
        errors.push(("password", "Enter your password".to_owned()));
    }
    if errors.is_empty() {
        match accounts::authenticate(&state, &login, &form.text("password")).await {
            Ok(user) => {
                let ua = headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
                let token = accounts::create_session(&state, user.id, ua).await.or_page(&state)?;
                let mut resp = Redirect::to(&next).into_response();
                resp.headers_mut().append(
                    SET_COOKIE,
                    set_cookie(&state, SESSION_COOKIE, &token, Some(accounts::SESSION_DAYS * 86_400)),
                );
                return Ok(resp);
            }
            Err(e) => errors.push(("login", e.message)),
        }
    }
    let page = login_page(&state, &anon, &headers, &login, &next, errors).await;
    Ok(render(StatusCode::UNAUTHORIZED, &page, false))
}

async fn logout(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    csrf(&state, user.as_ref(), &anon, &form)?;
    if let Some(token) = crate::web::session::cookie(&headers, SESSION_COOKIE) {
        accounts::end_session(&state, &token).await.or_page(&state)?;
    }
    let mut resp = redirect_with(&state, "/login", "You have signed out");
    resp.headers_mut().append(SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", Some(0)));
    Ok(resp)
}

async fn register_page(
    state: &AppState,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    values: (&str, &str, &str),
    invite: &str,
    errors: Vec<(&'static str, String)>,
) -> Result<FormPage, Response> {
    let mode = accounts::registration_mode(state).await.or_page(state)?;
    let intro = match mode {
        RegistrationMode::Open => "Join your colleagues across the public sector.",
        RegistrationMode::Approval => "An administrator will review your request before you can sign in.",
        RegistrationMode::Invite if invite.is_empty() => "This node is invite-only: ask a member to invite you.",
        RegistrationMode::Invite => "You have been invited to join.",
        RegistrationMode::Closed => "Registration is closed on this node.",
    };
    let mut fields = vec![
        FormField::new("username", "Username", "text")
            .hint("Letters, numbers and underscores. Colleagues find you as @username.")
            .value(values.0)
            .autocomplete("username")
            .errors_from(&errors),
        FormField::new("email", "Email address", "email").value(values.1).autocomplete("email").errors_from(&errors),
        FormField::new("password", "Password", "password")
            .hint("At least 8 characters.")
            .autocomplete("new-password")
            .errors_from(&errors),
    ];
    if mode == RegistrationMode::Approval {
        fields.push(
            FormField::new("reason", "Why do you want to join?", "textarea")
                .hint("For example your role and organisation. Administrators read this.")
                .value(values.2)
                .errors_from(&errors),
        );
    }
    let mut errors = errors;
    if let Some((_, m)) = errors.iter().find(|(f, _)| *f == "invite" || *f == "form") {
        let m = m.clone();
        errors.retain(|(f, _)| *f != "invite" && *f != "form");
        errors.insert(0, ("username", m));
    }
    Ok(FormPage {
        layout: layout(state, None, anon, headers, "Create an account", "register").await,
        heading: "Create an account".into(),
        intro: intro.into(),
        errors,
        action: "/register".into(),
        hidden: if invite.is_empty() { vec![] } else { vec![("invite".into(), invite.to_owned())] },
        fields,
        submit: "Create account".into(),
        links: vec![("/login".into(), "Already have an account? Sign in".into())],
    })
}

async fn register_form(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    if user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let invite: String = q.get("invite").map(|s| s.chars().take(100).collect()).unwrap_or_default();
    let page = register_page(&state, &anon, &headers, ("", "", ""), &invite, vec![]).await?;
    Ok(render(StatusCode::OK, &page, false))
}

async fn register(State(state): State<AppState>, anon: AnonCsrf, headers: HeaderMap, form: ApiForm) -> PageResult {
    csrf(&state, None, &anon, &form)?;
    let reg = NewRegistration {
        username: form.text("username"),
        email: form.text("email"),
        password: form.text("password"),
        invite: Some(form.text("invite")).filter(|s| !s.is_empty()),
        reason: form.text("reason"),
    };
    match accounts::register(&state, reg.clone()).await {
        Ok(_) => {
            state.wake_jobs();
            let l = layout(&state, None, &anon, &headers, "Check your email", "register").await;
            let page = message(
                l,
                "Check your email",
                &format!(
                    "We have sent a link to {} to confirm your email address. Follow it to finish creating your account.",
                    reg.email.trim()
                ),
                None,
            );
            Ok(render(StatusCode::OK, &page, false))
        }
        Err(errors) => {
            let page = register_page(
                &state,
                &anon,
                &headers,
                (&reg.username, &reg.email, &reg.reason),
                reg.invite.as_deref().unwrap_or(""),
                errors.0,
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false))
        }
    }
}

async fn confirm(
    State(state): State<AppState>,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> PageResult {
    let user = accounts::confirm_email(&state, &token).await.or_page(&state)?;
    let l = layout(&state, None, &anon, &headers, "Email address confirmed", "").await;
    let body = if user.approved {
        "Your email address is confirmed. You can now sign in."
    } else {
        "Your email address is confirmed. An administrator will review your account; we will email you when you can sign in."
    };
    let page = message(l, "Email address confirmed", body, user.approved.then_some(("/login", "Sign in")));
    Ok(render(StatusCode::OK, &page, false))
}

async fn reset_request_page(
    state: &AppState,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    email: &str,
    errors: Vec<(&'static str, String)>,
) -> FormPage {
    FormPage {
        layout: layout(state, None, anon, headers, "Reset your password", "login").await,
        heading: "Reset your password".into(),
        intro: "Enter the email address of your account and we will send you a link to choose a new password.".into(),
        fields: vec![
            FormField::new("email", "Email address", "email").value(email).autocomplete("email").errors_from(&errors),
        ],
        errors,
        action: "/password/reset".into(),
        hidden: vec![],
        submit: "Send reset link".into(),
        links: vec![("/login".into(), "Back to sign in".into())],
    }
}

async fn reset_request_form(State(state): State<AppState>, anon: AnonCsrf, headers: HeaderMap) -> Response {
    let page = reset_request_page(&state, &anon, &headers, "", vec![]).await;
    render(StatusCode::OK, &page, false)
}

async fn reset_request(State(state): State<AppState>, anon: AnonCsrf, headers: HeaderMap, form: ApiForm) -> PageResult {
    csrf(&state, None, &anon, &form)?;
    let email = form.text("email");
    if let Err(e) = accounts::valid_email(&email) {
        let page = reset_request_page(&state, &anon, &headers, &email, vec![("email", e)]).await;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false));
    }
    accounts::request_password_reset(&state, &email).await.or_page(&state)?;
    state.wake_jobs();
    let l = layout(&state, None, &anon, &headers, "Check your email", "login").await;
    let page = message(
        l,
        "Check your email",
        "If an account uses that address, we have sent it a link to reset the password. The link works for 2 hours.",
        Some(("/login", "Back to sign in")),
    );
    Ok(render(StatusCode::OK, &page, false))
}

async fn reset_page(
    state: &AppState,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    token: &str,
    errors: Vec<(&'static str, String)>,
) -> FormPage {
    FormPage {
        layout: layout(state, None, anon, headers, "Choose a new password", "login").await,
        heading: "Choose a new password".into(),
        intro: String::new(),
        fields: vec![
            FormField::new("password", "New password", "password")
                .hint("At least 8 characters.")
                .autocomplete("new-password")
                .errors_from(&errors),
        ],
        errors,
        action: format!("/password/reset/{token}"),
        hidden: vec![],
        submit: "Save password".into(),
        links: vec![],
    }
}

async fn reset_form(
    State(state): State<AppState>,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> PageResult {
    if !accounts::reset_token_valid(&state, &token).await.or_page(&state)? {
        return Err(crate::web::error_page(
            &state,
            crate::error::AppError::not_found_msg("This reset link is not valid or has expired"),
        ));
    }
    let page = reset_page(&state, &anon, &headers, &token, vec![]).await;
    Ok(render(StatusCode::OK, &page, false))
}

async fn reset(
    State(state): State<AppState>,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(token): Path<String>,
    form: ApiForm,
) -> PageResult {
    csrf(&state, None, &anon, &form)?;
    let password = form.text("password");
    if let Err(e) = accounts::valid_password(&password) {
        let page = reset_page(&state, &anon, &headers, &token, vec![("password", e)]).await;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page, false));
    }
    accounts::reset_password(&state, &token, &password).await.or_page(&state)?;
    Ok(redirect_with(&state, "/login", "Your password has been changed. Sign in with your new password."))
}
