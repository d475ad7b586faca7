//! The OAuth consent page: `GET /oauth/authorize` asks the member (signed in first) whether an
//! app may use their account; Authorise and Deny answer the app at its registered redirect URI,
//! or show the code for `urn:ietf:wg:oauth:2.0:oob`.
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{OrPage, PageResult, csrf, layout};
use crate::api::body::ApiForm;
use crate::app::AppState;
use crate::error::AppError;
use crate::service::accounts;
use crate::service::oauth::{self, AuthorizeParams, AuthorizeRequest, scopes};
use crate::web::session::{AnonCsrf, MaybeWebUser, SESSION_COOKIE, WebUser, cookie, set_cookie};
use crate::web::{Layout, MessagePage, render};

pub fn routes() -> Router<AppState> {
    Router::new().route("/oauth/authorize", get(consent).post(approve)).route("/oauth/authorize/deny", post(deny))
}

/// The request parameters the consent forms carry back, in this order.
const CARRIED: [&str; 7] =
    ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"];

fn params_from(get: impl Fn(&str) -> String) -> AuthorizeParams {
    AuthorizeParams {
        response_type: get("response_type"),
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        scope: get("scope"),
        state: get("state"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
    }
}

fn carried(p: &AuthorizeParams) -> Vec<(&'static str, String)> {
    let values = [
        &p.response_type,
        &p.client_id,
        &p.redirect_uri,
        &p.scope,
        &p.state,
        &p.code_challenge,
        &p.code_challenge_method,
    ];
    CARRIED.iter().zip(values).filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.clone())).collect()
}

/// `/oauth/authorize?…` for the same request (without `force_login`): where sign-in returns.
fn authorize_path(p: &AuthorizeParams) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(carried(p)).finish();
    // `safe_next` follows only plainly encoded paths; form encoding leaves `*` as it is.
    format!("/oauth/authorize?{}", query.replace('*', "%2A"))
}

fn login_redirect(p: &AuthorizeParams) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(authorize_path(p).as_bytes()).collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

fn truthy(v: Option<&String>) -> bool {
    v.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on"))
}

/// The page's security policy, letting its forms end at the app's redirect URI: browsers apply
/// `form-action` to the redirect that follows a form.
fn csp_allowing(redirect_uri: &str) -> HeaderValue {
    let target = match url::Url::parse(redirect_uri) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && !matches!(u.host(), Some(url::Host::Ipv6(_))) => {
            format!(" {}", u.origin().ascii_serialization())
        }
        Ok(u) if redirect_uri != oauth::OOB => format!(" {}:", u.scheme()),
        _ => String::new(),
    };
    let policy = format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'; \
         form-action 'self'{target}"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; form-action 'self'"))
}

#[derive(Template, WebTemplate)]
#[template(path = "oauth_authorize.html")]
struct ConsentPage {
    layout: Layout,
    app_name: String,
    website: Option<String>,
    username: String,
    scopes: Vec<(String, &'static str)>,
    hidden: Vec<(&'static str, String)>,
    oob: bool,
    destination: String,
    switch_account: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "oauth_code.html")]
struct CodePage {
    layout: Layout,
    app_name: String,
    code: String,
    minutes: i64,
}

/// Where the app will take the member back to, for the consent page's last line.
fn destination(req: &AuthorizeRequest) -> String {
    url::Url::parse(&req.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned).or_else(|| Some(u.scheme().to_owned())))
        .unwrap_or_default()
}

async fn consent(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let query: HashMap<String, String> =
        raw.as_deref().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let params = params_from(|k| query.get(k).cloned().unwrap_or_default());
    // Check the request before anything else: a bad one never reaches the sign-in page.
    let req = oauth::check_authorize(&state, &params).await.or_page(&state)?;
    let user = match user {
        Some(u) if !truthy(query.get("force_login")) => u,
        Some(_) => {
            // force_login: sign out here, so that any account can sign in and come back.
            if let Some(token) = cookie(&headers, SESSION_COOKIE) {
                accounts::end_session(&state, &token).await.or_page(&state)?;
            }
            let mut resp = login_redirect(&params);
            resp.headers_mut().append(SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", Some(0)));
            return Ok(resp);
        }
        None => return Ok(login_redirect(&params)),
    };
    let page = ConsentPage {
        layout: layout(&state, Some(&user), &anon, &headers, &format!("Authorise {}", req.app.name), "").await,
        app_name: req.app.name.clone(),
        website: req.app.website.clone(),
        username: user.account.username.clone(),
        scopes: req.scopes.iter().map(|s| (s.clone(), scopes::describe(s))).collect(),
        hidden: carried(&params),
        oob: req.is_oob(),
        destination: destination(&req),
        switch_account: format!("{}&force_login=true", authorize_path(&params)),
    };
    let mut resp = render(StatusCode::OK, &page, page.layout.flash.is_some());
    resp.headers_mut().insert(CONTENT_SECURITY_POLICY, csp_allowing(&req.redirect_uri));
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The member's answer, checked: signed in, the form's CSRF token, the request still valid.
async fn answer(
    state: &AppState,
    user: Option<WebUser>,
    anon: &AnonCsrf,
    form: &ApiForm,
) -> Result<(WebUser, AuthorizeRequest), Response> {
    let params = params_from(|k| form.text(k));
    let Some(user) = user else {
        // The session ended while the page was open: sign in again and see the question again.
        return Err(login_redirect(&params));
    };
    csrf(state, Some(&user), anon, form)?;
    let req = oauth::check_authorize(state, &params).await.or_page(state)?;
    Ok((user, req))
}

/// The redirect URI with OAuth's answer added to its query.
fn answer_url(req: &AuthorizeRequest, pairs: &[(&str, &str)]) -> Result<String, AppError> {
    let mut url = url::Url::parse(&req.redirect_uri)
        .map_err(|_| AppError::bad_request("The app's redirect address is not a valid address."))?;
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        if let Some(s) = &req.state {
            q.append_pair("state", s);
        }
    }
    Ok(url.to_string())
}

async fn approve(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    let (user, req) = answer(&state, user, &anon, &form).await?;
    let code = oauth::grant_code(&state, &req, user.user.id).await.or_page(&state)?;
    if req.is_oob() {
        let page = CodePage {
            layout: layout(&state, Some(&user), &anon, &headers, "Copy your authorisation code", "").await,
            app_name: req.app.name.clone(),
            code,
            minutes: oauth::CODE_MINUTES,
        };
        let mut resp = render(StatusCode::OK, &page, false);
        resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(resp);
    }
    let to = answer_url(&req, &[("code", &code)]).or_page(&state)?;
    Ok(Redirect::to(&to).into_response())
}

async fn deny(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    form: ApiForm,
) -> PageResult {
    let (user, req) = answer(&state, user, &anon, &form).await?;
    if req.is_oob() {
        let page = MessagePage {
            layout: layout(&state, Some(&user), &anon, &headers, "Access denied", "").await,
            heading: "Access denied".into(),
            body: format!("{} cannot use your account. You can close this page.", req.app.name),
            link: Some(("/".into(), "Go to your home page".into())),
        };
        return Ok(render(StatusCode::OK, &page, false));
    }
    let to = answer_url(
        &req,
        &[
            ("error", "access_denied"),
            ("error_description", "The resource owner or authorization server denied the request."),
        ],
    )
    .or_page(&state)?;
    Ok(Redirect::to(&to).into_response())
}

#[cfg(test)]
mod tests {
    use super::csp_allowing;

    #[test]
    fn the_consent_page_lets_its_forms_end_only_at_the_apps_origin() {
        let csp = |u: &str| csp_allowing(u).to_str().map(str::to_owned).unwrap_or_default();
        assert!(csp("https://app.example/cb?x=1").ends_with("form-action 'self' https://app.example"));
        assert!(csp("http://127.0.0.1:8080/cb").ends_with("form-action 'self' http://127.0.0.1:8080"));
        assert!(csp("com.example.app:/oauth").ends_with("form-action 'self' com.example.app:"));
        assert!(csp("urn:ietf:wg:oauth:2.0:oob").ends_with("form-action 'self'"));
        assert!(csp("https://app.example/").contains("frame-ancestors 'none'"));
    }
}
