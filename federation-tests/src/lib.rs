//! The federation harness: starts real `khub serve` processes on loopback ports, each with its
//! own data directory (and, when `KHUB_TEST_DATABASE_URL` names a PostgreSQL server, its own
//! database), and drives them only through their public HTTP surfaces.
//!
//! The `khub` binary must be built first (`cargo build --bin khub`; `scripts/test` does it). Its
//! path is `KHUB_BIN`, or `target/debug/khub` in the workspace.
pub mod fedify_peer;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

pub use serde_json::json;

/// The `khub` binary under test.
pub fn khub_bin() -> PathBuf {
    if let Ok(p) = std::env::var("KHUB_BIN") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
    let bin = target.join("debug").join("khub");
    assert!(bin.exists(), "{} is missing: run `cargo build --bin khub` first (scripts/test does)", bin.display());
    bin
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("address").port()
}

/// A database of its own for a node, on the PostgreSQL server named by `KHUB_TEST_DATABASE_URL`.
async fn scratch_database() -> Option<String> {
    let url = std::env::var("KHUB_TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))?;
    use sea_orm::ConnectionTrait;
    let name = format!("khub_fed_{}", hex::encode(rand::random::<[u8; 6]>()));
    let admin = sea_orm::Database::connect(&url).await.expect("connect to the test PostgreSQL");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
    let base = url.rsplit_once('/').map(|(b, _)| b.to_owned()).expect("database url with a path");
    Some(format!("{base}/{name}"))
}

/// One running node, named after its role in a story (alpha, beta, gamma).
pub struct Node {
    pub name: String,
    pub port: u16,
    pub domain: String,
    pub base_url: String,
    data_dir: tempfile::TempDir,
    database_url: Option<String>,
    child: Option<Child>,
    extra_env: Vec<(String, String)>,
}

impl Node {
    /// Starts a node and waits until it serves.
    pub async fn start(name: &str) -> Node {
        Self::start_with(name, &[]).await
    }

    /// Starts a node with extra `KHUB_*` settings.
    pub async fn start_with(name: &str, env: &[(&str, &str)]) -> Node {
        let port = free_port();
        let domain = format!("localhost:{port}");
        let mut node = Node {
            name: name.to_owned(),
            port,
            base_url: format!("http://{domain}"),
            domain,
            data_dir: tempfile::tempdir().expect("temp dir"),
            database_url: scratch_database().await,
            child: None,
            extra_env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        };
        node.launch().await;
        node
    }

    /// A second `khub serve` process of this node, as behind a load balancer: the same domain and
    /// PostgreSQL database, its own port. `None` on SQLite, where one process owns the file.
    pub async fn replica(&self, name: &str) -> Option<Node> {
        let database_url = self.database_url.clone()?;
        let mut node = Node {
            name: name.to_owned(),
            port: free_port(),
            base_url: self.base_url.clone(),
            domain: self.domain.clone(),
            data_dir: tempfile::tempdir().expect("temp dir"),
            database_url: Some(database_url),
            child: None,
            extra_env: self.extra_env.clone(),
        };
        node.launch().await;
        Some(node)
    }

    /// Gives a local member a new key pair (as an administrator rotating keys would), written
    /// straight into the node's database; restart the node so no cached key is used.
    pub async fn set_keys_of(&self, username: &str, private_pem: &str, public_pem: &str) {
        use sea_orm::{ConnectionTrait, Statement};
        let db = sea_orm::Database::connect(&self.database_url_or_file(false)).await.expect("open the node's database");
        let backend = db.get_database_backend();
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => {
                "UPDATE accounts SET private_key_pem = $1, public_key_pem = $2 WHERE username = $3 AND domain IS NULL"
            }
            _ => "UPDATE accounts SET private_key_pem = ?, public_key_pem = ? WHERE username = ? AND domain IS NULL",
        };
        let done = db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [private_pem.into(), public_pem.into(), username.into()],
            ))
            .await
            .expect("update keys");
        assert_eq!(done.rows_affected(), 1);
    }

    fn database_url_or_file(&self, read_only: bool) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            let mode = if read_only { "ro" } else { "rw" };
            format!("sqlite://{}?mode={mode}", self.data_dir.path().join("khub.db").display())
        })
    }

    /// A local member's private key, read from the node's database (to sign requests as them in
    /// tests of what a valid signature may and may not do).
    pub async fn private_key_of(&self, username: &str) -> String {
        use sea_orm::{ConnectionTrait, Statement};
        let db = sea_orm::Database::connect(&self.database_url_or_file(true)).await.expect("open the node's database");
        let backend = db.get_database_backend();
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => {
                "SELECT private_key_pem FROM accounts WHERE username = $1 AND domain IS NULL"
            }
            _ => "SELECT private_key_pem FROM accounts WHERE username = ? AND domain IS NULL",
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, [username.into()]))
            .await
            .expect("query")
            .expect("the member exists");
        row.try_get::<Option<String>>("", "private_key_pem").expect("column").expect("the member has keys")
    }

    /// This process's own address (a replica's differs from the node's public base URL).
    pub fn process_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(khub_bin());
        for (k, _) in std::env::vars() {
            if k.starts_with("KHUB_") && k != "KHUB_BIN" {
                cmd.env_remove(k);
            }
        }
        cmd.env("KHUB_DATA_DIR", self.data_dir.path())
            .env("KHUB_DOMAIN", &self.domain)
            .env("KHUB_BIND", format!("127.0.0.1:{}", self.port))
            .env("KHUB_ALLOW_HTTP", "true")
            .env("KHUB_JOBS__RETRY_BASE_SECONDS", "1")
            .env("KHUB_JOBS__LEASE_SECONDS", "5")
            // The scenarios poll the client API from one address; tests/rate_limits.rs tests limits.
            .env("KHUB_RATE_LIMIT__PER_TOKEN", "1000000")
            .env("KHUB_RATE_LIMIT__PER_ADDRESS", "1000000")
            .env("KHUB_RATE_LIMIT__STATUSES_PER_TOKEN", "1000000")
            .env("KHUB_LOG", std::env::var("KHUB_TEST_LOG").unwrap_or_else(|_| "warn,khub=info".to_owned()));
        if let Some(db) = &self.database_url {
            cmd.env("KHUB_DATABASE_URL", db);
        }
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// (Re)starts the `khub serve` process and waits for `/healthz`.
    pub async fn launch(&mut self) {
        let log = std::fs::File::create(self.data_dir.path().join("serve.log")).expect("log file");
        let child = self
            .command()
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start khub serve");
        self.child = Some(child);
        let url = format!("{}/healthz", self.process_url());
        let client = reqwest::Client::new();
        eventually(&format!("{} to serve", self.name), Duration::from_secs(60), || {
            let (client, url) = (client.clone(), url.clone());
            async move { client.get(&url).send().await.ok().filter(|r| r.status() == StatusCode::OK).map(|_| ()) }
        })
        .await;
    }

    /// Kills the process at once (SIGKILL): what it answered must survive.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The server log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("serve.log")).unwrap_or_default()
    }

    /// Creates a member with the admin command and a bearer token for them.
    pub fn create_member(&self, name: &str) -> Member {
        self.create(name, false)
    }

    /// Creates an administrator.
    pub fn create_admin(&self, name: &str) -> Member {
        self.create(name, true)
    }

    fn create(&self, name: &str, admin: bool) -> Member {
        let email = format!("{name}@{}.test", self.name);
        let mut args = vec!["admin", "create-user", name, "--email", &email, "--password", "a long enough password"];
        if admin {
            args.push("--admin");
        }
        let out = self.command().args(&args).output().expect("run khub admin create-user");
        assert!(out.status.success(), "create-user {name}: {}", String::from_utf8_lossy(&out.stderr));
        let out = self.command().args(["admin", "token", name]).output().expect("run khub admin token");
        assert!(out.status.success(), "token {name}: {}", String::from_utf8_lossy(&out.stderr));
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Member {
            name: name.to_owned(),
            handle: format!("{name}@{}", self.domain),
            api: Api::new(&self.base_url, Some(token)),
        }
    }

    pub fn anon(&self) -> Api {
        Api::new(&self.base_url, None)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
        // A node must never panic, whatever the story did to it.
        let log = self.log();
        if !std::thread::panicking() && log.contains("panicked") {
            panic!("{} ({}) panicked:\n{log}", self.name, self.domain);
        }
        // A failing story shows what each node logged.
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- last lines of {} ({}) ---", self.name, self.domain);
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// A member of a node, acting through the client API.
pub struct Member {
    pub name: String,
    /// `name@localhost:PORT`, how other nodes address them.
    pub handle: String,
    pub api: Api,
}

impl std::ops::Deref for Member {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Member {
    /// Finds an account on another node through this member's node (WebFinger); its local id.
    pub async fn resolve(&self, handle: &str) -> String {
        let r = self.get(&format!("/api/v2/search?q=@{handle}&resolve=true&type=accounts")).await;
        assert_eq!(r.0, StatusCode::OK, "search for {handle}: {}", r.1);
        r.1["accounts"][0]["id"].as_str().unwrap_or_else(|| panic!("{handle} not found: {}", r.1)).to_owned()
    }

    /// Follows `handle` (on another node) and waits until the follow is accepted.
    pub async fn follow_remote(&self, handle: &str) -> String {
        let id = self.resolve(handle).await;
        let r = self.post(&format!("/api/v1/accounts/{id}/follow"), json!({})).await;
        assert_eq!(r.0, StatusCode::OK, "follow {handle}: {}", r.1);
        eventually(&format!("{} following {handle}", self.name), Duration::from_secs(30), || async {
            let r = self.get(&format!("/api/v1/accounts/relationships?id[]={id}")).await;
            (r.1[0]["following"] == true).then_some(())
        })
        .await;
        id
    }

    /// Posts a status; returns its JSON.
    pub async fn post_status(&self, body: Value) -> Value {
        let r = self.post("/api/v1/statuses", body).await;
        assert_eq!(r.0, StatusCode::OK, "post: {}", r.1);
        r.1
    }

    /// The texts of the home timeline.
    pub async fn home_texts(&self) -> Vec<String> {
        let r = self.get("/api/v1/timelines/home?limit=40").await;
        r.1.as_array()
            .map(|l| l.iter().filter_map(|s| s["content"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}

/// A small client-API client.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Api {
    pub fn new(base: &str, token: Option<String>) -> Api {
        Api {
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client"),
            base: base.to_owned(),
            token,
        }
    }

    /// The bearer token this client sends.
    pub fn token(&self) -> &str {
        self.token.as_deref().unwrap_or_default()
    }

    /// The same client, talking to another address (a replica process of the same node).
    pub fn at(&self, base: &str) -> Api {
        Api { http: self.http.clone(), base: base.to_owned(), token: self.token.clone() }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(status.as_u16() < 500, "server error {status}: {text}");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body)).await
    }

    /// Uploads an image (`POST /api/v2/media`) with alt text; returns the attachment JSON.
    pub async fn upload_png(&self, description: &str) -> (StatusCode, Value) {
        let part =
            reqwest::multipart::Part::bytes(tiny_png()).file_name("chart.png").mime_str("image/png").expect("mime");
        let form = reqwest::multipart::Form::new().part("file", part).text("description", description.to_owned());
        self.send(self.http.post(format!("{}/api/v2/media", self.base)).multipart(form)).await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.put(format!("{}{path}", self.base)).json(&body)).await
    }

    pub async fn patch_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.patch(format!("{}{path}", self.base)).json(&body)).await
    }

    pub async fn delete_path(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.delete(format!("{}{path}", self.base))).await
    }

    /// A raw POST (for inbox tests), returning the status only.
    pub async fn post_raw(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> StatusCode {
        let mut req = self.http.post(format!("{}{path}", self.base)).body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        assert!(status.as_u16() < 500, "server error {status}: {}", res.text().await.unwrap_or_default());
        status
    }
}

/// Polls `check` until it returns `Some`, or panics with `what` after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    let mut wait = Duration::from_millis(20);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < deadline, "timed out after {deadline:?} waiting for {what}");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_millis(250));
    }
}

/// A browser-like client for the web UI: keeps cookies, does not follow redirects, and sends
/// forms with the page's CSRF token.
pub struct Browser {
    http: reqwest::Client,
    base: String,
}

/// A page as the browser received it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    /// The CSRF token the page's forms carry.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start =
            self.html.find(marker).unwrap_or_else(|| panic!("no form on the page:\n{}", self.html)) + marker.len();
        let end = self.html[start..].find('"').map(|e| e + start).unwrap_or(start);
        self.html[start..end].to_owned()
    }
}

impl Browser {
    pub fn new(node: &Node) -> Browser {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser { http, base: node.base_url.clone() }
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status();
        let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let html = res.text().await.unwrap_or_default();
        assert!(status.as_u16() < 500, "server error {status}: {html}");
        Page { status, location, html }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(self.http.get(format!("{}{path}", self.base)).send().await.expect("GET")).await
    }

    pub async fn submit(&self, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Page {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        body.append_pair("_csrf", csrf);
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.finish());
        Self::page(req.send().await.expect("POST")).await
    }

    /// Signs in with the password `Node::create_member` gives everyone.
    pub async fn sign_in(&self, name: &str) {
        let form = self.get("/login").await;
        let res = self.submit("/login", &form.csrf(), &[("login", name), ("password", "a long enough password")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "sign-in of {name} failed:\n{}", res.html);
    }
}

/// A valid 4×4 PNG.
pub fn tiny_png() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR42mOQLdgBRwzEcQAGwhRRqbZL+gAAAABJRU5ErkJggg==")
        .unwrap_or_default()
}
