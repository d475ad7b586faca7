//! OAuth 2 as a Mastodon app meets it, over real HTTP: register an app, send the member to the
//! consent page (signing in first), take the code to the token endpoint, use the token. And the
//! ways it must fail: wrong or replayed codes, wrong redirect URIs or verifiers, unknown apps,
//! scopes beyond what was registered, forged consent forms, revoked tokens and apps.
mod common;

use base64::Engine;
use common::web::{Browser, Page};
use common::{Api, Member, Resp, TestNode};
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "correct horse battery staple";
const CALLBACK: &str = "http://app.example/callback";
const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// A registered app, as the app keeps it.
struct App {
    client_id: String,
    client_secret: String,
}

async fn register_app(node: &TestNode, name: &str, redirect_uris: Value, scopes: &str) -> App {
    let r = node
        .anon()
        .post("/api/v1/apps", json!({"client_name": name, "redirect_uris": redirect_uris, "scopes": scopes}))
        .await;
    let app = r.ok();
    App {
        client_id: app["client_id"].as_str().expect("client_id").to_owned(),
        client_secret: app["client_secret"].as_str().expect("client_secret").to_owned(),
    }
}

/// A PKCE pair: a verifier and its S256 challenge.
fn pkce(seed: &str) -> (String, String) {
    let verifier = format!("{seed}-verifier-{}", "x".repeat(50));
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_path(pairs: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    format!("/oauth/authorize?{query}")
}

/// Character references back to text, as a browser reads attribute values.
fn unescape(s: &str) -> String {
    let re = regex::Regex::new(r"&(#\d+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);").expect("regex");
    re.replace_all(s, |c: &regex::Captures| {
        let name = &c[1];
        let code = match name {
            "amp" => 38,
            "lt" => 60,
            "gt" => 62,
            "quot" => 34,
            "apos" => 39,
            n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16).expect("hex"),
            n => n[1..].parse().expect("decimal"),
        };
        char::from_u32(code).expect("a character").to_string()
    })
    .into_owned()
}

/// The fields of the form posting to `action`, as a browser would send them.
fn form_fields(page: &Page, action: &str) -> Vec<(String, String)> {
    let marker = format!("action=\"{action}\"");
    let start = page.html.find(&marker).unwrap_or_else(|| panic!("no form for {action}:\n{}", page.html));
    let end = page.html[start..].find("</form>").expect("end of form") + start;
    let re = regex::Regex::new(r#"<input type="hidden" name="([^"]+)" value="([^"]*)">"#).expect("regex");
    re.captures_iter(&page.html[start..end]).map(|c| (c[1].to_owned(), unescape(&c[2]))).collect()
}

async fn submit_form(browser: &Browser, page: &Page, action: &str) -> Page {
    let fields = form_fields(page, action);
    let csrf = fields.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.clone()).expect("a CSRF field");
    let rest: Vec<(&str, &str)> =
        fields.iter().filter(|(k, _)| k != "_csrf").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.submit(action, &csrf, &rest).await
}

/// Signs in on the login page a redirect led to, and follows the way back.
async fn sign_in_from(browser: &Browser, login_redirect: &Page, name: &str) -> Page {
    let location = login_redirect.location.clone().expect("a redirect");
    assert!(location.starts_with("/login?next="), "expected the sign-in page, got {location}");
    let login = browser.get(&location).await;
    let next = form_fields(&login, "/login").into_iter().find(|(k, _)| k == "next").expect("next").1;
    let done =
        browser.submit("/login", &login.csrf(), &[("login", name), ("password", PASSWORD), ("next", &next)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert!(done.location.as_deref().is_some_and(|l| l.starts_with("/oauth/authorize?")), "{:?}", done.location);
    browser.follow(&done).await
}

/// The query parameters of a redirect to the app.
fn callback_params(location: &str) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location).unwrap_or_else(|e| panic!("{location}: {e}"));
    url.query_pairs().into_owned().collect()
}

async fn exchange(node: &TestNode, app: &App, code: &str, redirect_uri: &str, verifier: Option<&str>) -> Resp {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(v) = verifier {
        pairs.push(("code_verifier", v));
    }
    node.anon().form(Method::POST, "/oauth/token", &pairs).await
}

/// A member signed in to the web UI.
async fn signed_in(node: &TestNode, member: &Member) -> Browser {
    let browser = Browser::new(&node.base_url);
    browser.sign_in(&member.name, PASSWORD).await;
    browser
}

/// The whole flow for a signed-in member: consent, approve, exchange. Returns the token JSON.
async fn authorise(node: &TestNode, browser: &Browser, app: &App, scope: &str) -> Value {
    let consent = browser
        .get(&authorize_path(&[
            ("response_type", "code"),
            ("client_id", &app.client_id),
            ("redirect_uri", CALLBACK),
            ("scope", scope),
        ]))
        .await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.html);
    let done = submit_form(browser, &consent, "/oauth/authorize").await;
    let code = callback_params(done.location.as_deref().expect("redirect to the app"))["code"].clone();
    exchange(node, app, &code, CALLBACK, None).await.ok().clone()
}

fn bearer(node: &TestNode, token: &Value) -> Api {
    node.with_token(token["access_token"].as_str().expect("access_token"))
}

async fn code_count(node: &TestNode) -> u64 {
    khub::db::entities::oauth_codes::Entity::find().count(&node.state.db.conn).await.expect("count codes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_gets_a_token_through_sign_in_and_consent_with_pkce_and_state() {
    let node = TestNode::start().await;
    let hana = node.create_member("hana").await;
    let app = register_app(&node, "Tusky Test", json!([CALLBACK]), "read write follow").await;
    let (verifier, challenge) = pkce("hana");
    let state = "a b&c=d/é?";
    let path = authorize_path(&[
        ("response_type", "code"),
        ("client_id", &app.client_id),
        ("redirect_uri", CALLBACK),
        ("scope", "read write"),
        ("state", state),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);

    // Signed out: to the sign-in page first, then back to the question.
    let browser = Browser::new(&node.base_url);
    let first = browser.get(&path).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let consent = sign_in_from(&browser, &first, "hana").await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.html);
    assert!(consent.has("<h1>Authorise Tusky Test to use your account?</h1>"), "{}", consent.html);
    assert_eq!(consent.html.matches("<h1").count(), 1, "one heading");
    assert!(consent.has("<main id=\"main-content\""));
    assert!(consent.has("@hana"));
    assert!(consent.has("Publish, edit, delete and boost posts") || consent.has("publish, edit and delete posts"));
    assert!(consent.has("(read)") && consent.has("(write)") && !consent.has("(follow)"), "the asked scopes only");
    assert!(consent.has(">Authorise</button>") && consent.has(">Deny</button>"));

    let done = submit_form(&browser, &consent, "/oauth/authorize").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let location = done.location.clone().expect("redirect");
    assert!(location.starts_with(CALLBACK), "{location}");
    let params = callback_params(&location);
    assert_eq!(params["state"], state, "the state comes back unchanged");
    let code = &params["code"];

    // The wrong verifier gets nothing, and does not use up the code.
    let (wrong, _) = pkce("mallory");
    let r = exchange(&node, &app, code, CALLBACK, Some(&wrong)).await;
    r.expect(400);
    assert_eq!(r.json["error"], "invalid_grant");
    assert!(r.json["error_description"].as_str().is_some_and(|d| !d.is_empty()));
    exchange(&node, &app, code, CALLBACK, None).await.expect(400);

    let r = exchange(&node, &app, code, CALLBACK, Some(&verifier)).await;
    let token = r.ok().clone();
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["scope"], "read write");
    assert!(token["created_at"].as_i64().is_some_and(|t| t > 1_600_000_000));
    assert!(token["refresh_token"].as_str().is_some_and(|t| t.len() >= 40));

    let client = bearer(&node, &token);
    assert_eq!(client.me().await["username"], "hana");
    assert_eq!(client.me().await["id"], hana.id.as_str());
    let me_app = client.get("/api/v1/apps/verify_credentials").await;
    assert_eq!(me_app.ok()["name"], "Tusky Test");
    client.post_status(json!({"status": "Posted from an app"})).await;

    // A replayed code is refused, and takes the token it was first exchanged for with it.
    let r = exchange(&node, &app, code, CALLBACK, Some(&verifier)).await;
    assert_eq!(r.json["error"], "invalid_grant", "{}", r.text);
    client.get("/api/v1/accounts/verify_credentials").await.expect(401);

    // Secrets are stored hashed: nothing in the database equals what the app holds.
    let db = &node.state.db.conn;
    let apps = khub::db::entities::oauth_apps::Entity::find().all(db).await.expect("apps");
    assert!(apps.iter().all(|a| a.client_secret_hash != app.client_secret && a.client_secret_hash.len() == 64));
    let tokens = khub::db::entities::access_tokens::Entity::find().all(db).await.expect("tokens");
    let access = token["access_token"].as_str().expect("token");
    let refresh = token["refresh_token"].as_str().expect("refresh");
    assert!(tokens.iter().all(|t| t.token_hash != access && t.refresh_token_hash.as_deref() != Some(refresh)));
    let codes = khub::db::entities::oauth_codes::Entity::find().all(db).await.expect("codes");
    assert!(codes.iter().all(|c| &c.code_hash != code));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_band_shows_the_code_and_deny_answers_access_denied() {
    let node = TestNode::start().await;
    let ivy = node.create_member("ivy").await;
    let app = register_app(&node, "Script", json!(format!("{CALLBACK}\n{OOB}")), "read").await;
    let browser = signed_in(&node, &ivy).await;

    let oob = |state: &'static str| {
        authorize_path(&[
            ("response_type", "code"),
            ("client_id", &app.client_id),
            ("redirect_uri", OOB),
            ("state", state),
        ])
    };
    let consent = browser.get(&oob("s1")).await;
    assert!(consent.has("you will get a code to copy"), "{}", consent.html);
    let shown = submit_form(&browser, &consent, "/oauth/authorize").await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.html);
    assert!(shown.location.is_none());
    assert!(shown.has("<label class=\"label\" for=\"code\">"));
    let re = regex::Regex::new(r#"id="code" name="code" type="text" value="([^"]+)""#).expect("regex");
    let code = re.captures(&shown.html).expect("the code on the page")[1].to_owned();
    let token = exchange(&node, &app, &code, OOB, None).await.ok().clone();
    assert_eq!(token["scope"], "read", "the default scope");
    assert_eq!(bearer(&node, &token).me().await["username"], "ivy");

    // Deny, out of band: a page, no code.
    let before = code_count(&node).await;
    let consent = browser.get(&oob("s2")).await;
    let denied = submit_form(&browser, &consent, "/oauth/authorize/deny").await;
    assert_eq!(denied.status, StatusCode::OK);
    assert!(denied.has("Access denied"));
    // Deny, with a redirect: back to the app with error=access_denied and the state.
    let consent = browser
        .get(&authorize_path(&[
            ("response_type", "code"),
            ("client_id", &app.client_id),
            ("redirect_uri", CALLBACK),
            ("state", "s3"),
        ]))
        .await;
    let denied = submit_form(&browser, &consent, "/oauth/authorize/deny").await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER);
    let params = callback_params(denied.location.as_deref().expect("redirect"));
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "s3");
    assert!(!params.contains_key("code"));
    assert_eq!(code_count(&node).await, before, "denying issues no code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_authorization_requests_get_a_clear_400_page_and_never_a_redirect() {
    let node = TestNode::start().await;
    let jay = node.create_member("jay").await;
    let app = register_app(&node, "Reader", json!(CALLBACK), "read").await;
    let signed_in_browser = signed_in(&node, &jay).await;
    let anonymous = Browser::new(&node.base_url);
    let (_, challenge) = pkce("jay");
    // (what, the request, what the page says)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "unknown app",
            vec![("response_type", "code"), ("client_id", "nope"), ("redirect_uri", CALLBACK)],
            "not registered",
        ),
        (
            "unregistered redirect",
            vec![
                ("response_type", "code"),
                ("client_id", &app.client_id),
                ("redirect_uri", "http://evil.example/steal"),
            ],
            "did not register",
        ),
        (
            "scope escalation",
            vec![
                ("response_type", "code"),
                ("client_id", &app.client_id),
                ("redirect_uri", CALLBACK),
                ("scope", "read write"),
            ],
            "more permissions than it registered",
        ),
        (
            "unknown scope",
            vec![
                ("response_type", "code"),
                ("client_id", &app.client_id),
                ("redirect_uri", CALLBACK),
                ("scope", "admin"),
            ],
            "does not exist",
        ),
        (
            "implicit grant",
            vec![("response_type", "token"), ("client_id", &app.client_id), ("redirect_uri", CALLBACK)],
            "response_type",
        ),
        (
            "plain PKCE",
            vec![
                ("response_type", "code"),
                ("client_id", &app.client_id),
                ("redirect_uri", CALLBACK),
                ("code_challenge", &challenge),
                ("code_challenge_method", "plain"),
            ],
            "S256",
        ),
    ];
    for (what, pairs, says) in &cases {
        for browser in [&signed_in_browser, &anonymous] {
            let page = browser.get(&authorize_path(pairs)).await;
            assert_eq!(page.status, StatusCode::BAD_REQUEST, "{what}: {}", page.html);
            assert!(page.location.is_none(), "{what}: no redirect");
            assert!(page.has("There is a problem"), "{what}");
            assert!(page.has(says), "{what}: expected “{says}” in {}", page.html);
        }
    }
    // The consent form cannot be bent to an unregistered address either.
    let consent = signed_in_browser
        .get(&authorize_path(&[("response_type", "code"), ("client_id", &app.client_id), ("redirect_uri", CALLBACK)]))
        .await;
    let csrf = consent.csrf();
    let forged = signed_in_browser
        .submit(
            "/oauth/authorize",
            &csrf,
            &[("response_type", "code"), ("client_id", &app.client_id), ("redirect_uri", "http://evil.example/steal")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(forged.location.is_none());
    assert_eq!(code_count(&node).await, 0, "no code was issued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consent_form_needs_its_csrf_token_and_a_signed_in_member() {
    let node = TestNode::start().await;
    let kai = node.create_member("kai").await;
    let app = register_app(&node, "Forged", json!(CALLBACK), "read").await;
    let browser = signed_in(&node, &kai).await;
    let fields = [("response_type", "code"), ("client_id", app.client_id.as_str()), ("redirect_uri", CALLBACK)];
    let body = serde_urlencoded::to_string(fields).expect("form");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // Another site's form, posted with the member's cookies but without the token.
    for forged_csrf in ["", "not-the-token"] {
        let r = browser.submit("/oauth/authorize", forged_csrf, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.html);
        assert!(r.location.is_none());
        assert!(r.has("This form has expired or was not sent from this site"));
    }
    let r = http
        .post(node.url("/oauth/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .expect("POST");
    assert!(r.status().is_redirection(), "signed out: to the sign-in page");
    assert!(r.headers()["location"].to_str().expect("location").starts_with("/login?next="));
    let denied = browser.submit("/oauth/authorize/deny", "", &fields).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(code_count(&node).await, 0, "no code was issued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_login_asks_to_sign_in_again_and_another_member_can() {
    let node = TestNode::start().await;
    let lea = node.create_member("lea").await;
    node.create_member("max").await;
    let app = register_app(&node, "Switcher", json!(CALLBACK), "read").await;
    let browser = signed_in(&node, &lea).await;
    let path = authorize_path(&[
        ("response_type", "code"),
        ("client_id", &app.client_id),
        ("redirect_uri", CALLBACK),
        ("force_login", "true"),
    ]);
    let first = browser.get(&path).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert!(!first.location.as_deref().unwrap_or("").contains("force_login"), "no loop after signing in");
    assert_eq!(browser.get("/settings/profile").await.status, StatusCode::SEE_OTHER, "lea was signed out");
    let consent = sign_in_from(&browser, &first, "max").await;
    assert!(consent.has("@max"), "{}", consent.html);
    let done = submit_form(&browser, &consent, "/oauth/authorize").await;
    let code = callback_params(done.location.as_deref().expect("redirect"))["code"].clone();
    let token = exchange(&node, &app, &code, CALLBACK, None).await.ok().clone();
    assert_eq!(bearer(&node, &token).me().await["username"], "max");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_refuses_wrong_clients_codes_and_redirects() {
    let node = TestNode::start().await;
    let nia = node.create_member("nia").await;
    let second = "http://app.example/other";
    let app = register_app(&node, "Strict", json!([CALLBACK, second]), "read").await;
    let other = register_app(&node, "Other", json!([CALLBACK]), "read").await;
    let browser = signed_in(&node, &nia).await;
    let consent = browser
        .get(&authorize_path(&[("response_type", "code"), ("client_id", &app.client_id), ("redirect_uri", CALLBACK)]))
        .await;
    let done = submit_form(&browser, &consent, "/oauth/authorize").await;
    let code = callback_params(done.location.as_deref().expect("redirect"))["code"].clone();
    let anon = node.anon();

    let wrong_secret = App { client_id: app.client_id.clone(), client_secret: "wrong".into() };
    let r = exchange(&node, &wrong_secret, &code, CALLBACK, None).await;
    r.expect(401);
    assert_eq!(r.json["error"], "invalid_client");
    let unknown = App { client_id: "nobody".into(), client_secret: app.client_secret.clone() };
    assert_eq!(exchange(&node, &unknown, &code, CALLBACK, None).await.json["error"], "invalid_client");
    assert_eq!(
        exchange(&node, &other, &code, CALLBACK, None).await.json["error"],
        "invalid_grant",
        "another app's code"
    );
    assert_eq!(exchange(&node, &app, &code, second, None).await.json["error"], "invalid_grant", "another redirect URI");
    assert_eq!(exchange(&node, &app, &code, "", None).await.json["error"], "invalid_grant", "two URIs registered");
    assert_eq!(exchange(&node, &app, "made-up", CALLBACK, None).await.json["error"], "invalid_grant");
    let r = anon.form(Method::POST, "/oauth/token", &[("grant_type", "password"), ("client_id", &app.client_id)]).await;
    r.expect(400);
    assert_eq!(r.json["error"], "unsupported_grant_type");
    let r = anon.post("/oauth/token", json!({"client_id": app.client_id})).await;
    assert_eq!(r.json["error"], "invalid_request");
    let r = anon.raw(Method::POST, "/oauth/token", "application/json", b"{not json".to_vec()).await;
    r.expect(400);
    assert_eq!(r.json["error"], "invalid_request");

    // None of that used the code up; client_secret_basic works too (JSON body).
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", app.client_id, app.client_secret));
    let r = anon
        .send(Method::POST, "/oauth/token", |r| {
            r.header("authorization", format!("Basic {basic}")).json(&json!({
                "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK
            }))
        })
        .await;
    let token = r.ok().clone();
    assert_eq!(bearer(&node, &token).me().await["username"], "nia");

    // An expired code is refused.
    let consent = browser
        .get(&authorize_path(&[("response_type", "code"), ("client_id", &app.client_id), ("redirect_uri", CALLBACK)]))
        .await;
    let done = submit_form(&browser, &consent, "/oauth/authorize").await;
    let code = callback_params(done.location.as_deref().expect("redirect"))["code"].clone();
    let db = &node.state.db.conn;
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    for c in khub::db::entities::oauth_codes::Entity::find().all(db).await.expect("codes") {
        let mut am = c.into_active_model();
        am.expires_at = Set(chrono::Utc::now() - chrono::Duration::minutes(1));
        am.update(db).await.expect("expire");
    }
    assert_eq!(exchange(&node, &app, &code, CALLBACK, None).await.json["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_give_an_app_token_that_never_acts_as_a_member() {
    let node = TestNode::start().await;
    let ola = node.create_member("ola").await;
    let post = ola.post_status(json!({"status": "Public news"})).await;
    let app = register_app(&node, "Bot", json!(OOB), "read write").await;
    let anon = node.anon();
    let creds = [("client_id", app.client_id.as_str()), ("client_secret", app.client_secret.as_str())];

    let mut pairs = vec![("grant_type", "client_credentials"), ("scope", "push")];
    pairs.extend(creds);
    let r = anon.form(Method::POST, "/oauth/token", &pairs).await;
    assert_eq!(r.json["error"], "invalid_scope", "push was not registered");

    let mut pairs = vec![("grant_type", "client_credentials"), ("scope", "read write")];
    pairs.extend(creds);
    let token = anon.form(Method::POST, "/oauth/token", &pairs).await.ok().clone();
    assert_eq!(token["scope"], "read write");
    assert!(token.get("refresh_token").is_none(), "no refresh token without a member");
    let bot = bearer(&node, &token);

    let me = bot.get("/api/v1/apps/verify_credentials").await;
    let me = me.ok();
    assert_eq!(me["name"], "Bot");
    assert_eq!(me["scopes"], json!(["read", "write"]));
    assert_eq!(me["redirect_uris"], json!([OOB]));
    assert_eq!(me["redirect_uri"], OOB);
    assert!(me["vapid_key"].is_string());
    assert!(me.get("client_secret").is_none());

    let r = bot.get("/api/v1/accounts/verify_credentials").await;
    r.expect(403);
    assert_eq!(r.error(), "This method requires an authenticated user");
    bot.post("/api/v1/statuses", json!({"status": "as nobody"})).await.expect(403);
    bot.post_empty(&format!("/api/v1/statuses/{}/favourite", post["id"].as_str().expect("id"))).await.expect(403);
    bot.get("/api/v1/timelines/home").await.expect(403);
    // What anyone may read, the app may read.
    let public = bot.get("/api/v1/timelines/public").await;
    assert_eq!(public.ids(), vec![post["id"].as_str().expect("id").to_owned()]);
    assert_eq!(
        ola.get(&format!("/api/v1/statuses/{}", post["id"].as_str().expect("id"))).await.ok()["favourites_count"],
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_rotate_and_the_old_pair_stops_working() {
    let node = TestNode::start().await;
    let pia = node.create_member("pia").await;
    let app = register_app(&node, "Rotator", json!(CALLBACK), "read write").await;
    let other = register_app(&node, "Other", json!(CALLBACK), "read write").await;
    let browser = signed_in(&node, &pia).await;
    let first = authorise(&node, &browser, &app, "read write").await;
    let refresh = |app: &App, token: &str, scope: &str| {
        let pairs: Vec<(String, String)> = vec![
            ("grant_type".into(), "refresh_token".into()),
            ("client_id".into(), app.client_id.clone()),
            ("client_secret".into(), app.client_secret.clone()),
            ("refresh_token".into(), token.to_owned()),
            ("scope".into(), scope.to_owned()),
        ];
        let anon = node.anon();
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            anon.form(Method::POST, "/oauth/token", &pairs).await
        }
    };
    let r1 = first["refresh_token"].as_str().expect("refresh token").to_owned();
    assert_eq!(refresh(&other, &r1, "").await.json["error"], "invalid_grant", "another app's refresh token");
    assert_eq!(refresh(&app, &r1, "read write push").await.json["error"], "invalid_scope");
    bearer(&node, &first).me().await;

    let second = refresh(&app, &r1, "").await.ok().clone();
    assert_eq!(second["scope"], "read write");
    let r2 = second["refresh_token"].as_str().expect("rotated").to_owned();
    assert_ne!(r1, r2);
    assert_ne!(first["access_token"], second["access_token"]);
    bearer(&node, &first).get("/api/v1/accounts/verify_credentials").await.expect(401);
    assert_eq!(bearer(&node, &second).me().await["username"], "pia");

    assert_eq!(refresh(&app, &r1, "").await.json["error"], "invalid_grant", "a used refresh token is spent");
    assert_eq!(bearer(&node, &second).me().await["username"], "pia", "and refusing it changed nothing");

    let third = refresh(&app, &r2, "read").await.ok().clone();
    assert_eq!(third["scope"], "read", "an app may ask for less");
    bearer(&node, &third).post("/api/v1/statuses", json!({"status": "no"})).await.expect(403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_ends_it_at_once() {
    let node = TestNode::start().await;
    let quinn = node.create_member("quinn").await;
    let app = register_app(&node, "Revoker", json!(CALLBACK), "read").await;
    let other = register_app(&node, "Other", json!(CALLBACK), "read").await;
    let browser = signed_in(&node, &quinn).await;
    let token = authorise(&node, &browser, &app, "read").await;
    let access = token["access_token"].as_str().expect("token");
    let anon = node.anon();
    let revoke = |app: &App, secret: &str| {
        let pairs: Vec<(String, String)> = vec![
            ("client_id".into(), app.client_id.clone()),
            ("client_secret".into(), secret.to_owned()),
            ("token".into(), access.to_owned()),
        ];
        let anon = anon.clone();
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            anon.form(Method::POST, "/oauth/revoke", &pairs).await
        }
    };
    let r = revoke(&app, "wrong").await;
    r.expect(401);
    assert_eq!(r.json["error"], "invalid_client");
    let r = revoke(&other, &other.client_secret).await;
    r.expect(403);
    assert_eq!(r.json["error"], "unauthorized_client");
    bearer(&node, &token).me().await;

    let r = revoke(&app, &app.client_secret).await;
    assert_eq!(r.ok(), &json!({}));
    let r = bearer(&node, &token).get("/api/v1/accounts/verify_credentials").await;
    r.expect(401);
    assert_eq!(r.error(), "The access token is invalid");
    assert_eq!(revoke(&app, &app.client_secret).await.ok(), &json!({}), "idempotent");
    // Its refresh token went with it.
    let pairs = [
        ("grant_type", "refresh_token"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
        ("refresh_token", token["refresh_token"].as_str().expect("refresh")),
    ];
    assert_eq!(anon.form(Method::POST, "/oauth/token", &pairs).await.json["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_are_enforced_per_endpoint() {
    let node = TestNode::start().await;
    let rui = node.create_member("rui").await;
    let app = register_app(&node, "Granular", json!(CALLBACK), "read write profile").await;
    let browser = signed_in(&node, &rui).await;

    let reader = bearer(&node, &authorise(&node, &browser, &app, "read").await);
    let r = reader.post("/api/v1/statuses", json!({"status": "should not appear"})).await;
    r.expect(403);
    assert_eq!(r.error(), "This action is outside the authorized scopes");
    assert!(rui.get(&format!("/api/v1/accounts/{}/statuses", rui.id)).await.list().is_empty(), "nothing was posted");
    reader.get("/api/v1/timelines/home").await.ok();
    reader.upload("a.png", "image/png", common::png(4, 4), "alt").await.expect(403);

    let poster = bearer(&node, &authorise(&node, &browser, &app, "read:statuses write:statuses").await);
    poster.post_status(json!({"status": "granular"})).await;
    poster.get("/api/v1/timelines/home").await.ok();
    poster.get("/api/v1/accounts/verify_credentials").await.expect(403);
    poster.get("/api/v1/notifications").await.expect(403);

    let profile = bearer(&node, &authorise(&node, &browser, &app, "profile").await);
    assert_eq!(profile.me().await["username"], "rui");
    profile.get("/api/v1/timelines/home").await.expect(403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_see_and_revoke_authorised_apps_in_settings() {
    let node = TestNode::start().await;
    let sam = node.create_member("sam").await;
    let tia = node.create_member("tia").await;
    let app = register_app(&node, "Elk Test", json!(CALLBACK), "read write").await;
    let browser = signed_in(&node, &sam).await;
    let token = authorise(&node, &browser, &app, "read write").await;
    let tia_browser = signed_in(&node, &tia).await;
    let tia_token = authorise(&node, &tia_browser, &app, "read").await;

    let settings = browser.get("/settings/profile").await;
    assert!(settings.has("href=\"/settings/apps\""), "linked from the settings page");
    let page = browser.get("/settings/apps").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("<h1>Authorised apps</h1>"));
    assert!(page.has("Elk Test"));
    assert!(page.has("(read)") && page.has("(write)"));
    let today = chrono::Utc::now().format("%-d %B %Y").to_string();
    assert!(page.has(&today), "the date it was authorised");

    // A pending code dies with the app's access too.
    let consent = browser
        .get(&authorize_path(&[("response_type", "code"), ("client_id", &app.client_id), ("redirect_uri", CALLBACK)]))
        .await;
    let done = submit_form(&browser, &consent, "/oauth/authorize").await;
    let pending = callback_params(done.location.as_deref().expect("redirect"))["code"].clone();

    let re = regex::Regex::new(r#"action="(/settings/apps/\d+/revoke)""#).expect("regex");
    let revoke_path = re.captures(&page.html).expect("a revoke form")[1].to_owned();
    let forged = browser.submit(&revoke_path, "", &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    bearer(&node, &token).me().await;

    let done = browser.submit(&revoke_path, &page.csrf(), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let after = browser.follow(&done).await;
    assert!(after.has("Elk Test can no longer use your account"), "{}", after.html);
    assert!(after.has("You have not authorised any apps"));
    bearer(&node, &token).get("/api/v1/accounts/verify_credentials").await.expect(401);
    assert_eq!(exchange(&node, &app, &pending, CALLBACK, None).await.json["error"], "invalid_grant");
    assert_eq!(bearer(&node, &tia_token).me().await["username"], "tia", "only sam's access ended");
    assert!(tia_browser.get("/settings/apps").await.has("Elk Test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_register_with_mastodon_shapes_and_bad_registrations_are_refused() {
    let node = TestNode::start().await;
    let anon = node.anon();
    let r = anon
        .post(
            "/api/v1/apps",
            json!({
                "client_name": "Test Application",
                "redirect_uris": ["https://app.example/callback", "https://app.example/register"],
                "scopes": "read write push",
                "website": "https://app.example"
            }),
        )
        .await;
    let app = r.ok();
    assert!(app["id"].is_string());
    assert_eq!(app["name"], "Test Application");
    assert_eq!(app["website"], "https://app.example");
    assert_eq!(app["scopes"], json!(["read", "write", "push"]));
    assert_eq!(app["redirect_uri"], "https://app.example/callback\nhttps://app.example/register");
    assert_eq!(app["redirect_uris"], json!(["https://app.example/callback", "https://app.example/register"]));
    assert!(app["client_id"].as_str().is_some_and(|s| s.len() >= 32));
    assert!(app["client_secret"].as_str().is_some_and(|s| s.len() >= 32));
    assert_eq!(app["client_secret_expires_at"], 0);
    assert!(app["vapid_key"].is_string());

    // Form-encoded, newline-separated URIs, default scope, no website.
    let r = anon
        .form(
            Method::POST,
            "/api/v1/apps",
            &[("client_name", "Form App"), ("redirect_uris", "myapp://callback\nurn:ietf:wg:oauth:2.0:oob")],
        )
        .await;
    let app = r.ok();
    assert_eq!(app["scopes"], json!(["read"]));
    assert_eq!(app["redirect_uris"], json!(["myapp://callback", OOB]));
    assert_eq!(app["website"], Value::Null);

    let bad: Vec<(&str, Value)> = vec![
        ("no name", json!({"redirect_uris": CALLBACK})),
        ("no redirect", json!({"client_name": "x"})),
        ("not a URI", json!({"client_name": "x", "redirect_uris": "not a uri"})),
        ("javascript", json!({"client_name": "x", "redirect_uris": "javascript:alert(1)"})),
        ("fragment", json!({"client_name": "x", "redirect_uris": "https://app.example/cb#frag"})),
        ("unknown scope", json!({"client_name": "x", "redirect_uris": CALLBACK, "scopes": "read everything"})),
        ("long name", json!({"client_name": "x".repeat(61), "redirect_uris": CALLBACK})),
        ("bad website", json!({"client_name": "x", "redirect_uris": CALLBACK, "website": "ftp://x"})),
        ("bad type", json!({"client_name": "x", "redirect_uris": {"a": 1}})),
    ];
    for (what, body) in bad {
        let r = anon.post("/api/v1/apps", body).await;
        r.expect(422);
        assert!(r.error().starts_with("Validation failed"), "{what}: {}", r.text);
    }
    let count = khub::db::entities::oauth_apps::Entity::find().count(&node.state.db.conn).await.expect("count");
    assert_eq!(count, 2, "refused registrations store nothing");

    anon.get("/api/v1/apps/verify_credentials").await.expect(401);
    node.with_token("garbage").get("/api/v1/apps/verify_credentials").await.expect(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_metadata_describes_the_endpoints() {
    let node = TestNode::start().await;
    let r = node.anon().get("/.well-known/oauth-authorization-server").await;
    let m = r.ok();
    assert_eq!(m["issuer"], format!("{}/", node.base_url));
    assert_eq!(m["authorization_endpoint"], node.url("/oauth/authorize"));
    assert_eq!(m["token_endpoint"], node.url("/oauth/token"));
    assert_eq!(m["revocation_endpoint"], node.url("/oauth/revoke"));
    assert_eq!(m["app_registration_endpoint"], node.url("/api/v1/apps"));
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(m["response_types_supported"], json!(["code"]));
    let grants = m["grant_types_supported"].as_array().expect("grants");
    for g in ["authorization_code", "client_credentials", "refresh_token"] {
        assert!(grants.contains(&json!(g)), "{g}");
    }
    let scopes = m["scopes_supported"].as_array().expect("scopes");
    for s in ["read", "write", "follow", "push", "profile", "read:statuses", "write:media"] {
        assert!(scopes.contains(&json!(s)), "{s}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_keeps_existing_tokens_and_can_be_undone() {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    let dir = tempfile::tempdir().expect("temp dir");
    let scratch = common::ScratchDatabase::create().await;
    let url = match &scratch {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display()),
    };
    let db = khub::db::Db::connect(&url).await.expect("connect");
    let before = Migrator::migrations().iter().position(|m| m.name() == "m20261122_000010_oauth").expect("listed");
    Migrator::up(&db.conn, Some(before as u32)).await.expect("migrations before oauth");
    db.execute_unprepared(
        "INSERT INTO access_tokens (token_hash, user_id, scopes, name, created_at) \
         VALUES ('h1', 42, 'read write follow push', 'khub admin token', CURRENT_TIMESTAMP)",
    )
    .await
    .expect("an old token");
    Migrator::up(&db.conn, None).await.expect("oauth migration");
    let t = khub::db::queries::accounts::access_token_by_hash(&db.conn, "h1").await.expect("read").expect("kept");
    assert_eq!((t.user_id, t.app_id, t.scopes.as_str()), (Some(42), None, "read write follow push"));

    Migrator::down(&db.conn, Some(1)).await.expect("down");
    Migrator::up(&db.conn, None).await.expect("up again");
    assert!(khub::db::queries::accounts::access_token_by_hash(&db.conn, "h1").await.expect("read").is_some());
    db.conn.close().await.expect("close");
}
