//! Rate limits of the client API: per token, per address without a token, stricter for new posts
//! and uploads; Mastodon's headers on every API answer and 429 past the limit, with nothing done.
mod common;

use common::{TestNode, png};
use serde_json::json;

fn header<'a>(r: &'a common::Resp, name: &str) -> &'a str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header: {:?}", r.headers))
}

async fn low_limits(per_token: u32, per_address: u32) -> TestNode {
    TestNode::start_with(move |s| {
        s.rate_limit.per_token = per_token;
        s.rate_limit.per_address = per_address;
        s.rate_limit.statuses_per_token = 2;
        s.rate_limit.media_per_token = 1;
    })
    .await
}

#[tokio::test]
async fn each_token_has_its_own_budget_and_past_it_gets_429() {
    let node = low_limits(4, 100).await;
    let (ana, bob) = (node.create_member("ana").await, node.create_member("bob").await);
    let mut remaining = Vec::new();
    for _ in 0..4 {
        let r = ana.get("/api/v1/accounts/verify_credentials").await;
        r.ok();
        assert_eq!(header(&r, "x-ratelimit-limit"), "4");
        remaining.push(header(&r, "x-ratelimit-remaining").to_owned());
        let reset = chrono::DateTime::parse_from_rfc3339(header(&r, "x-ratelimit-reset")).expect("ISO 8601 reset");
        assert!(reset > chrono::Utc::now(), "the window ends in the future");
    }
    assert_eq!(remaining, ["3", "2", "1", "0"]);
    let refused = ana.get("/api/v1/accounts/verify_credentials").await;
    refused.expect(429);
    assert_eq!(refused.json, json!({ "error": "Too many requests" }));
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
    assert!(header(&refused, "retry-after").parse::<u64>().is_ok_and(|s| s >= 1));
    // Errors count too, and the 404 fallback answers with the headers.
    ana.get("/api/v1/nothing-here").await.expect(429);

    // Another member, and anonymous requests, are counted apart.
    let r = bob.get("/api/v1/accounts/verify_credentials").await;
    r.ok();
    assert_eq!(header(&r, "x-ratelimit-remaining"), "3");
    let r = node.anon().get("/api/v1/instance").await;
    r.ok();
    assert_eq!(header(&r, "x-ratelimit-limit"), "100");

    // Pages and the health check are not the client API: no limits, no headers.
    let page = reqwest::get(node.url("/healthz")).await.expect("healthz");
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("x-ratelimit-limit").is_none());
}

#[tokio::test]
async fn requests_without_a_valid_token_are_counted_per_address() {
    let node = low_limits(100, 3).await;
    let anon = node.anon();
    anon.get("/api/v1/instance").await.ok();
    anon.get("/api/v1/timelines/public").await.ok();
    // A made-up token does not open a fresh budget: it counts against the address.
    node.with_token("made-up").get("/api/v1/accounts/verify_credentials").await.expect(401);
    let r = anon.get("/api/v1/instance").await;
    r.expect(429);
    assert_eq!(header(&r, "x-ratelimit-limit"), "3");
    // A member's token still works from the same address.
    let ana = node.create_member("ana").await;
    ana.get("/api/v1/accounts/verify_credentials").await.ok();
}

#[tokio::test]
async fn new_posts_and_uploads_have_stricter_limits_and_a_refused_one_does_nothing() {
    let node = low_limits(100, 100).await;
    let ana = node.create_member("ana").await;
    let first = ana.post("/api/v1/statuses", json!({ "status": "one" })).await;
    first.ok();
    assert_eq!(header(&first, "x-ratelimit-limit"), "2", "the tightest limit is reported");
    assert_eq!(header(&first, "x-ratelimit-remaining"), "1");
    ana.post("/api/v1/statuses", json!({ "status": "two" })).await.ok();
    ana.post("/api/v1/statuses", json!({ "status": "three" })).await.expect(429);
    let mine = ana.get(&format!("/api/v1/accounts/{}/statuses", ana.id)).await;
    let texts: Vec<&str> = mine.list().iter().filter_map(|s| s["content"].as_str()).collect();
    assert_eq!(texts.len(), 2, "the refused post was not made: {texts:?}");
    // Reading goes on, under the general limit.
    let r = ana.get("/api/v1/timelines/home").await;
    r.ok();
    assert_eq!(header(&r, "x-ratelimit-limit"), "100");

    ana.upload("a.png", "image/png", png(4, 4), "a square").await.ok();
    ana.upload("b.png", "image/png", png(4, 4), "another").await.expect(429);
}

#[test]
fn limits_come_from_the_configuration_and_the_environment() {
    let defaults = khub::config::Settings::from_defaults().expect("defaults");
    let r = &defaults.rate_limit;
    assert!(r.enabled);
    assert_eq!((r.per_token, r.per_address, r.period_seconds), (300, 1500, 300));
    assert_eq!((r.media_per_token, r.media_period_seconds), (30, 1800));
    assert_eq!((r.statuses_per_token, r.statuses_period_seconds), (300, 10800));
    // SAFETY: the other tests of this binary read the environment only through std, which
    // serialises access to it, and never this variable.
    unsafe { std::env::set_var("KHUB_RATE_LIMIT__PER_TOKEN", "7") };
    let loaded = khub::config::Settings::load().expect("settings");
    unsafe { std::env::remove_var("KHUB_RATE_LIMIT__PER_TOKEN") };
    assert_eq!(loaded.rate_limit.per_token, 7);
}
