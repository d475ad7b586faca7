//! Settings from `config/default.toml`, the file in `KHUB_CONFIG`, and `KHUB_*` variables.
use std::path::PathBuf;

use serde::Deserialize;

/// The built-in defaults: the commented file shipped in `config/`.
const DEFAULTS: &str = include_str!("../config/default.toml");

/// Who may register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    Open,
    Approval,
    Invite,
    Closed,
}

impl RegistrationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Approval => "approval",
            Self::Invite => "invite",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Limits {
    pub max_status_chars: usize,
    pub max_media_attachments: usize,
    pub max_image_bytes: usize,
    pub max_document_bytes: usize,
    pub max_avatar_bytes: usize,
    pub max_body_bytes: usize,
}

/// What a post may carry: polls, and how far ahead a post may be scheduled.
#[derive(Debug, Clone, Deserialize)]
pub struct PostingSettings {
    pub poll_max_options: usize,
    pub poll_max_characters_per_option: usize,
    pub poll_min_expiration: i64,
    pub poll_max_expiration: i64,
    pub scheduled_min_lead_seconds: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_username: String,
    pub smtp_password: String,
    pub smtp_security: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JobSettings {
    pub workers: usize,
    pub per_host: usize,
    pub lease_seconds: i64,
    pub retry_base_seconds: i64,
    pub max_attempts: i32,
    pub unavailable_after_failures: i32,
    pub unavailable_recheck_seconds: i64,
}

/// Limits on client API requests (see `api::rate_limit`).
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub period_seconds: i64,
    pub per_token: u32,
    pub per_address: u32,
    pub media_period_seconds: i64,
    pub media_per_token: u32,
    pub statuses_period_seconds: i64,
    pub statuses_per_token: u32,
    pub trust_forwarded_for: bool,
    pub max_tracked: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub domain: String,
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub allow_http: bool,
    pub registration: RegistrationMode,
    pub site_name: String,
    pub site_description: String,
    pub contact_email: String,
    pub secure_cookies: bool,
    /// Where apps open the streaming API; empty: this node (`wss://domain`).
    pub streaming_url: String,
    pub limits: Limits,
    pub posting: PostingSettings,
    pub mail: MailSettings,
    pub jobs: JobSettings,
    pub federation: FederationSettings,
    pub rate_limit: RateLimitSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FederationSettings {
    pub authorized_fetch: bool,
}

/// A configuration problem, reported as one line naming the key.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Settings {
    /// Loads the layered configuration and checks it.
    pub fn load() -> Result<Self, ConfigError> {
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Ok(path) = std::env::var("KHUB_CONFIG") {
            if !std::path::Path::new(&path).is_file() {
                return Err(ConfigError(format!("KHUB_CONFIG: no such file: {path}")));
            }
            builder = builder.add_source(config::File::new(&path, config::FileFormat::Toml));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("KHUB").prefix_separator("_").separator("__").try_parsing(true),
        );
        let raw = builder.build().map_err(|e| ConfigError(describe(&e)))?;
        let settings: Settings = raw.try_deserialize().map_err(|e| ConfigError(describe(&e)))?;
        settings.check()?;
        Ok(settings)
    }

    /// The shipped defaults alone, ignoring `KHUB_CONFIG` and the environment (for tests and
    /// tools that set fields themselves).
    pub fn from_defaults() -> Result<Self, ConfigError> {
        let raw = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()
            .map_err(|e| ConfigError(describe(&e)))?;
        raw.try_deserialize().map_err(|e| ConfigError(describe(&e)))
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("{key}: {why}")));
        if self.domain.is_empty()
            || self.domain.contains('/')
            || self.domain.contains(' ')
            || url::Url::parse(&format!("https://{}/", self.domain)).is_err()
        {
            return bad("domain", "must be a host name with an optional port, e.g. khub.example.org");
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return bad("bind", "must be an address and port, e.g. 127.0.0.1:8080");
        }
        if !self.database_url.is_empty()
            && !self.database_url.starts_with("sqlite:")
            && !self.database_url.starts_with("postgres://")
            && !self.database_url.starts_with("postgresql://")
        {
            return bad("database_url", "must start with sqlite: or postgres://");
        }
        let u = &self.streaming_url;
        if !(u.is_empty() || u.starts_with("wss://") || u.starts_with("ws://")) {
            return bad("streaming_url", "must start with wss:// (or ws://), e.g. wss://khub.example.org");
        }
        if !["starttls", "tls", "none"].contains(&self.mail.smtp_security.as_str()) {
            return bad("mail.smtp_security", "must be starttls, tls or none");
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return bad("mail.from", "must be an address like \"khub <noreply@example.org>\"");
        }
        if self.jobs.workers == 0 || self.jobs.workers > 512 {
            return bad("jobs.workers", "must be between 1 and 512");
        }
        if self.jobs.per_host == 0 {
            return bad("jobs.per_host", "must be at least 1");
        }
        let r = &self.rate_limit;
        for (key, seconds) in [
            ("rate_limit.period_seconds", r.period_seconds),
            ("rate_limit.media_period_seconds", r.media_period_seconds),
            ("rate_limit.statuses_period_seconds", r.statuses_period_seconds),
        ] {
            if !(1..=31_536_000).contains(&seconds) {
                return bad(key, "must be between 1 and 31536000 seconds");
            }
        }
        if r.max_tracked < 100 {
            return bad("rate_limit.max_tracked", "must be at least 100");
        }
        if self.limits.max_status_chars == 0 || self.limits.max_status_chars > 100_000 {
            return bad("limits.max_status_chars", "must be between 1 and 100000");
        }
        let p = &self.posting;
        if p.poll_max_options < 2 || p.poll_max_options > 100 {
            return bad("posting.poll_max_options", "must be between 2 and 100");
        }
        if p.poll_max_characters_per_option == 0 || p.poll_max_characters_per_option > 1000 {
            return bad("posting.poll_max_characters_per_option", "must be between 1 and 1000");
        }
        if p.poll_min_expiration < 0 || p.poll_max_expiration < p.poll_min_expiration {
            return bad("posting.poll_max_expiration", "must be at least posting.poll_min_expiration (>= 0)");
        }
        if p.scheduled_min_lead_seconds < 0 {
            return bad("posting.scheduled_min_lead_seconds", "must not be negative");
        }
        Ok(())
    }

    /// The database URL, defaulting to the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}?mode=rwc", self.data_dir.join("khub.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The streaming API's base URL that apps are told (`urls.streaming_api`).
    pub fn streaming_url(&self) -> String {
        if self.streaming_url.is_empty() {
            self.base_url().replacen("http", "ws", 1)
        } else {
            self.streaming_url.trim_end_matches('/').to_owned()
        }
    }

    /// `https://domain` (or `http://` in loopback test mode).
    pub fn base_url(&self) -> String {
        let scheme = if self.allow_http { "http" } else { "https" };
        format!("{scheme}://{}", self.domain)
    }
}

/// The config crate's messages name the key in different places; make it one line.
fn describe(e: &config::ConfigError) -> String {
    let text = e.to_string().replace('\n', " ");
    match e {
        config::ConfigError::Type { key: Some(key), .. } => {
            format!("{key}: {}", text)
        }
        config::ConfigError::NotFound(key) => format!("{key}: missing"),
        _ => text,
    }
}
