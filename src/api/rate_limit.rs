//! Rate limits of the client API, after Mastodon's: requests under `/api/` are counted per access
//! token, or per client address when no valid token is given, in fixed windows; uploads and new
//! posts have stricter limits of their own. Every answer carries `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` (ISO 8601) for the tightest limit that applied;
//! past it the answer is `429 {"error":"Too many requests"}` and nothing is done.
//!
//! Counters live in this process's memory (Mastodon keeps them in Redis), so N processes behind
//! one proxy allow up to N times the limit. Memory stays bounded: at most `max_tracked` counters,
//! and counters of ended windows are evicted first when that is reached.
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::app::AppState;
use crate::config::RateLimitSettings;
use crate::error::{AppError, ErrorKind};

/// Which limit a counter belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Every API request made with a token.
    Token,
    /// Every API request made without a (valid) token, per client address.
    Address,
    /// Uploads (`POST /api/v1/media`, `/api/v2/media`), per token.
    Media,
    /// New posts (`POST /api/v1/statuses`), per token.
    Statuses,
}

impl Rule {
    /// (requests, window seconds)
    fn limits(self, s: &RateLimitSettings) -> (u32, i64) {
        match self {
            Self::Token => (s.per_token, s.period_seconds),
            Self::Address => (s.per_address, s.period_seconds),
            Self::Media => (s.media_per_token, s.media_period_seconds),
            Self::Statuses => (s.statuses_per_token, s.statuses_period_seconds),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    count: u32,
}

/// What a request was told about its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    pub reset: DateTime<Utc>,
}

/// The counters of this process.
pub struct RateLimiter {
    settings: RateLimitSettings,
    hasher: RandomState,
    counters: Mutex<HashMap<(Rule, u64), Window>>,
}

impl RateLimiter {
    pub fn new(settings: RateLimitSettings) -> Self {
        Self { settings, hasher: RandomState::new(), counters: Mutex::new(HashMap::new()) }
    }

    /// A key for a token or an address; only a keyed hash is kept, never the token.
    pub fn key(&self, who: &str) -> u64 {
        self.hasher.hash_one(who)
    }

    /// Counts one request against each `(rule, key)`; it is allowed only if every limit allows
    /// it, and a refused request counts against none.
    pub fn check(&self, rules: &[(Rule, u64)], now: DateTime<Utc>) -> Verdict {
        let t = now.timestamp();
        let mut counters = match self.counters.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if counters.len() + rules.len() > self.settings.max_tracked {
            evict(&mut counters, &self.settings, t);
        }
        let mut tightest: Option<Verdict> = None;
        let mut allowed = true;
        for (rule, key) in rules {
            let (limit, period) = rule.limits(&self.settings);
            let start = t - t.rem_euclid(period.max(1));
            let used = counters.get(&(*rule, *key)).filter(|w| w.start == start).map_or(0, |w| w.count);
            let ok = used < limit;
            allowed &= ok;
            let reset = DateTime::from_timestamp(start + period, 0).unwrap_or(now);
            let v = Verdict { allowed: ok, limit, remaining: limit.saturating_sub(used + u32::from(ok)), reset };
            let tighter = match tightest {
                None => true,
                Some(cur) => (!v.allowed && cur.allowed) || (v.allowed == cur.allowed && v.remaining < cur.remaining),
            };
            if tighter {
                tightest = Some(v);
            }
        }
        if allowed {
            for (rule, key) in rules {
                let (_, period) = rule.limits(&self.settings);
                let start = t - t.rem_euclid(period.max(1));
                let w = counters.entry((*rule, *key)).or_insert(Window { start, count: 0 });
                if w.start != start {
                    *w = Window { start, count: 0 };
                }
                w.count = w.count.saturating_add(1);
            }
        }
        let v = tightest.unwrap_or(Verdict { allowed: true, limit: 0, remaining: 0, reset: now });
        Verdict { allowed, ..v }
    }

    /// Counters kept right now (for tests).
    pub fn tracked(&self) -> usize {
        self.counters.lock().map(|c| c.len()).unwrap_or(0)
    }
}

/// Makes room: counters of ended windows go first; then one-off counters; then all (a flood of
/// new keys must not grow memory without bound; it only resets counting).
fn evict(counters: &mut HashMap<(Rule, u64), Window>, s: &RateLimitSettings, now: i64) {
    counters.retain(|(rule, _), w| w.start + rule.limits(s).1 > now);
    if counters.len() >= s.max_tracked {
        counters.retain(|_, w| w.count > 1);
    }
    if counters.len() >= s.max_tracked {
        counters.clear();
    }
}

/// The middleware's state: the node and its counters.
#[derive(Clone)]
pub struct Limits {
    pub app: AppState,
    pub limiter: Arc<RateLimiter>,
}

impl Limits {
    pub fn new(app: AppState) -> Self {
        let limiter = Arc::new(RateLimiter::new(app.settings.rate_limit.clone()));
        Self { app, limiter }
    }
}

/// Counts the request and refuses it past the limit; adds the headers to every API answer.
pub async fn enforce(State(limits): State<Limits>, req: Request, next: Next) -> Response {
    let settings = &limits.app.settings.rate_limit;
    if !settings.enabled || !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let asked = Asked {
        token: crate::api::auth::bearer_token(req.headers()).map(str::to_owned).or_else(|| query_token(&req)),
        post: req.method() == Method::POST,
        path: req.uri().path().trim_end_matches('/').to_owned(),
        address: client_address(&limits, &req),
    };
    let rules = rules_for(&limits, asked).await;
    let verdict = limits.limiter.check(&rules, Utc::now());
    let mut res = if verdict.allowed {
        next.run(req).await
    } else {
        AppError::new(ErrorKind::TooManyRequests, "Too many requests").into_response()
    };
    set_headers(res.headers_mut(), &verdict);
    res
}

/// What the limits look at in a request.
struct Asked {
    token: Option<String>,
    post: bool,
    path: String,
    address: IpAddr,
}

async fn rules_for(limits: &Limits, asked: Asked) -> Vec<(Rule, u64)> {
    let limiter = &limits.limiter;
    // One primary-key read: a token that exists and is not revoked has a budget of its own (the
    // handler still checks the rest); any other request counts against its address.
    let stored = match asked.token.as_deref().filter(|t| !t.is_empty() && t.len() <= 200) {
        Some(t) => {
            let hash = crate::service::hash_secret(t);
            let found = crate::db::queries::accounts::access_token_by_hash(&limits.app.db.conn, &hash).await;
            matches!(found, Ok(Some(_))).then_some(hash)
        }
        None => None,
    };
    match stored {
        Some(hash) => {
            let key = limiter.key(&hash);
            let mut rules = vec![(Rule::Token, key)];
            if asked.post && (asked.path == "/api/v1/media" || asked.path == "/api/v2/media") {
                rules.push((Rule::Media, key));
            }
            if asked.post && asked.path == "/api/v1/statuses" {
                rules.push((Rule::Statuses, key));
            }
            rules
        }
        None => vec![(Rule::Address, limiter.key(&asked.address.to_string()))],
    }
}

/// The streaming API also takes the token as `access_token`.
fn query_token(req: &Request) -> Option<String> {
    url::form_urlencoded::parse(req.uri().query()?.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
}

/// The client's address: the connection's, or behind a trusted proxy the last address of
/// `X-Forwarded-For` (the one the proxy itself added).
fn client_address(limits: &Limits, req: &Request) -> IpAddr {
    let peer =
        req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if !limits.app.settings.rate_limit.trust_forwarded_for {
        return peer;
    }
    req.headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .next_back()
        .unwrap_or(peer)
}

fn set_headers(headers: &mut HeaderMap, v: &Verdict) {
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("x-ratelimit-limit", v.limit.to_string());
    set("x-ratelimit-remaining", v.remaining.to_string());
    set("x-ratelimit-reset", crate::api::model::iso(v.reset));
    if !v.allowed {
        set("retry-after", (v.reset - Utc::now()).num_seconds().max(1).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(per_token: u32, max_tracked: usize) -> RateLimitSettings {
        RateLimitSettings {
            enabled: true,
            period_seconds: 300,
            per_token,
            per_address: 5,
            media_period_seconds: 1800,
            media_per_token: 2,
            statuses_period_seconds: 10800,
            statuses_per_token: 3,
            trust_forwarded_for: false,
            max_tracked,
        }
    }

    #[test]
    fn counts_in_fixed_windows_and_refuses_past_the_limit() {
        let limiter = RateLimiter::new(settings(3, 1000));
        let key = limiter.key("token");
        let t0 = DateTime::from_timestamp(1_000_250, 0).expect("time");
        let rules = [(Rule::Token, key)];
        let seen: Vec<(bool, u32)> =
            (0..4).map(|_| limiter.check(&rules, t0)).map(|v| (v.allowed, v.remaining)).collect();
        assert_eq!(seen, [(true, 2), (true, 1), (true, 0), (false, 0)]);
        let v = limiter.check(&rules, t0);
        assert_eq!(v.reset.timestamp(), 1_000_500, "the window of 300 s that holds the time ends then");
        // The next window starts afresh.
        assert!(limiter.check(&rules, v.reset).allowed);
    }

    #[test]
    fn the_tightest_limit_decides_and_a_refused_request_counts_nowhere() {
        let limiter = RateLimiter::new(settings(100, 1000));
        let key = limiter.key("token");
        let now = Utc::now();
        let rules = [(Rule::Token, key), (Rule::Media, key)];
        assert_eq!(limiter.check(&rules, now).remaining, 1);
        assert_eq!(limiter.check(&rules, now).remaining, 0);
        let refused = limiter.check(&rules, now);
        assert!(!refused.allowed);
        assert_eq!(refused.limit, 2);
        // Plain requests still go, and the refused upload was not counted against them.
        assert_eq!(limiter.check(&[(Rule::Token, key)], now).remaining, 97);
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = RateLimiter::new(settings(100, 50));
        let now = Utc::now();
        for i in 0..1000 {
            limiter.check(&[(Rule::Address, limiter.key(&format!("10.0.{}.{}", i / 256, i % 256)))], now);
            assert!(limiter.tracked() <= 50);
        }
    }
}
