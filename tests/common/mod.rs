//! The test rig: a real khub node on a loopback port over a fresh database, and a small HTTP
//! client that speaks to it the way a Mastodon app would.
//!
//! Each `TestNode` has its own temporary data directory. The database is SQLite in that
//! directory, or — when `KHUB_TEST_DATABASE_URL` names a PostgreSQL server — a fresh database
//! created for this node alone, so tests stay isolated and can run in parallel.
#![allow(dead_code)] // each test file uses a different part of the rig

use std::future::Future;
use std::time::{Duration, Instant};

use khub::app::AppState;
use khub::config::{RegistrationMode, Settings};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, LINK};
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::Value;

pub mod web;

/// The environment variable naming a PostgreSQL server to test against.
pub const PG_ENV: &str = "KHUB_TEST_DATABASE_URL";

/// A running node.
pub struct TestNode {
    /// `localhost:PORT`: the node's domain, part of every URL it makes.
    pub domain: String,
    /// `http://localhost:PORT`.
    pub base_url: String,
    pub state: AppState,
    /// Keeps the data directory alive as long as the node.
    pub data_dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
    /// Last, so that it is dropped after the node's connection pool.
    _database: Option<ScratchDatabase>,
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A member of a node, with a bearer token; derefs to an [`Api`] client acting as them.
pub struct Member {
    pub id: String,
    pub name: String,
    pub token: String,
    pub api: Api,
}

impl std::ops::Deref for Member {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl TestNode {
    /// A node with the test defaults.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A node whose settings `adjust` may change (limits, for example) before it opens.
    pub async fn start_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        // Bind first: the port is part of the domain, which is part of every id.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        let domain = format!("localhost:{port}");
        let mut settings = Settings::from_defaults().expect("default settings");
        settings.data_dir = data_dir.path().to_path_buf();
        let database = ScratchDatabase::create().await;
        settings.database_url = database.as_ref().map(|d| d.url.clone()).unwrap_or_default();
        settings.domain = domain.clone();
        settings.bind = format!("127.0.0.1:{port}");
        settings.allow_http = true;
        settings.registration = RegistrationMode::Open;
        settings.jobs.retry_base_seconds = 1;
        // Tests make many requests quickly from one address; tests/rate_limits.rs sets low ones.
        let r = &mut settings.rate_limit;
        (r.per_token, r.per_address, r.media_per_token, r.statuses_per_token) =
            (1_000_000, 1_000_000, 100_000, 100_000);
        adjust(&mut settings);
        let state = AppState::open(settings).await.expect("open the node");
        let serve_state = state.clone();
        let server = tokio::spawn(async move {
            if let Err(e) = khub::app::serve(serve_state, listener).await {
                eprintln!("test node stopped: {e:#}");
            }
        });
        Self { base_url: format!("http://{domain}"), domain, state, data_dir, server, _database: database }
    }

    /// The absolute URL of a path on this node.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A client without a token.
    pub fn anon(&self) -> Api {
        Api::new(&self.base_url, None)
    }

    /// A client with any token (for bad-token tests).
    pub fn with_token(&self, token: &str) -> Api {
        Api::new(&self.base_url, Some(token.to_owned()))
    }

    /// Creates a confirmed member through the admin path and gives them a token with every scope.
    pub async fn create_member(&self, name: &str) -> Member {
        let user = khub::service::accounts::admin_create_user(
            &self.state,
            name,
            &format!("{name}@example.org"),
            "correct horse battery staple",
            false,
        )
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e}"));
        let token = khub::service::accounts::create_access_token(
            &self.state,
            user.id,
            khub::service::accounts::ALL_SCOPES,
            "tests",
        )
        .await
        .unwrap_or_else(|e| panic!("token for {name}: {e}"));
        Member {
            id: user.id.to_string(),
            name: name.to_owned(),
            api: Api::new(&self.base_url, Some(token.clone())),
            token,
        }
    }
}

/// A PostgreSQL database made for one node, dropped with it (kept when the test failed, so
/// that it can be inspected).
pub struct ScratchDatabase {
    pub url: String,
    name: String,
    admin_url: String,
}

impl ScratchDatabase {
    /// With `KHUB_TEST_DATABASE_URL` set: creates a fresh, empty database on that server.
    /// Without it: `None` (the node uses SQLite in its data directory).
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var(PG_ENV).ok().filter(|u| !u.is_empty())?;
        let name = format!("khub_t_{}", hex::encode(rand::random::<[u8; 8]>()));
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV}: cannot connect to {admin_url}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("create database {name}: {e}"));
        let _ = admin.close().await;
        let mut url = url::Url::parse(&admin_url).unwrap_or_else(|e| panic!("{PG_ENV} is not a URL: {e}"));
        url.set_path(&format!("/{name}"));
        Some(Self { url: url.to_string(), name, admin_url })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("keeping database {} of the failed test", self.name);
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime; a thread with its own runtime may block.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let admin = sea_orm::Database::connect(admin_url.as_str()).await.ok()?;
                // FORCE ends the node's own connections, which may still be open.
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = admin.execute_unprepared(&sql).await;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// Whether this run is against PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var(PG_ENV).is_ok_and(|u| !u.is_empty())
}

/// An answer: status, headers, and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Resp {
    /// Asserts a 2xx answer and returns the JSON.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!(self.status.is_success(), "expected success, got {} {}", self.status, self.text);
        &self.json
    }

    /// Asserts the status, and for errors the Mastodon error shape `{"error": "…"}`.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected answer: {}", self.text);
        if status >= 400 {
            let msg = self.json.get("error").and_then(Value::as_str);
            assert!(msg.is_some_and(|m| !m.is_empty()), "error without a message: {}", self.text);
        }
        &self.json
    }

    /// The error message of a failed request.
    pub fn error(&self) -> &str {
        self.json.get("error").and_then(Value::as_str).unwrap_or("")
    }

    /// A JSON list's items.
    #[track_caller]
    pub fn list(&self) -> &Vec<Value> {
        self.ok().as_array().unwrap_or_else(|| panic!("expected a JSON list, got {}", self.text))
    }

    /// The `id`s of a JSON list.
    #[track_caller]
    pub fn ids(&self) -> Vec<String> {
        self.list().iter().map(|v| v["id"].as_str().expect("id").to_owned()).collect()
    }

    /// The URL of the `Link` header with the given `rel`.
    pub fn link(&self, rel: &str) -> Option<String> {
        let header = self.headers.get(LINK)?.to_str().ok()?;
        header.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            let wanted = format!("rel=\"{rel}\"");
            params
                .split(';')
                .any(|p| p.trim() == wanted)
                .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
        })
    }
}

/// A client of one node, optionally with a bearer token.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Api {
    pub fn new(base: &str, token: Option<String>) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client");
        Self { http, base: base.to_owned(), token }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let mut req = self.http.request(method, url);
        if let Some(t) = &self.token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        req
    }

    /// Sends a request built by `build` on top of method, URL and token.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Resp {
        let res =
            build(self.request(method.clone(), path)).send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status.as_u16() < 500, "{method} {path} answered {status}: {text}");
        Resp { status, headers, json, text }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, |r| r).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, |r| r.json(&body)).await
    }

    /// A POST without a body (favourite, follow, …).
    pub async fn post_empty(&self, path: &str) -> Resp {
        self.send(Method::POST, path, |r| r).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, |r| r.json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, |r| r.json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, |r| r).await
    }

    /// A request with a raw body and content type.
    pub async fn raw(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let ct = content_type.to_owned();
        self.send(method, path, move |r| r.header(CONTENT_TYPE, ct).body(body)).await
    }

    /// A form-encoded request, as many Mastodon apps send them.
    pub async fn form(&self, method: Method, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        self.raw(method, path, "application/x-www-form-urlencoded", body.into_bytes()).await
    }

    /// Uploads a file to `POST /api/v2/media` with alt text.
    pub async fn upload(&self, file_name: &str, mime: &str, bytes: Vec<u8>, description: &str) -> Resp {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()).mime_str(mime).expect("mime");
        let form = reqwest::multipart::Form::new().part("file", part).text("description", description.to_owned());
        self.send(Method::POST, "/api/v2/media", |r| r.multipart(form)).await
    }

    /// Posts a status and returns its JSON (panics unless it succeeded).
    pub async fn post_status(&self, body: Value) -> Value {
        let r = self.post("/api/v1/statuses", body).await;
        r.ok().clone()
    }

    /// The signed-in account (`verify_credentials`).
    pub async fn me(&self) -> Value {
        self.get("/api/v1/accounts/verify_credentials").await.ok().clone()
    }
}

/// A small PNG made in memory.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 7) as u8, (y * 13) as u8, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode png");
    out.into_inner()
}

/// Polls `check` until it returns `Some`, or panics with `what` after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    let mut wait = Duration::from_millis(10);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < deadline, "timed out after {deadline:?} waiting for {what}");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_millis(200));
    }
}

/// The ids of a list of statuses (or anything with an `id`).
pub fn ids_of(list: &[Value]) -> Vec<String> {
    list.iter().map(|v| v["id"].as_str().expect("id").to_owned()).collect()
}

/// Whether a JSON list of statuses contains the status with `id`.
pub fn contains_id(list: &[Value], id: &str) -> bool {
    list.iter().any(|v| v["id"].as_str() == Some(id))
}
