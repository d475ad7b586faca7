//! Authorized fetch ("secure mode") and the instance actor: two nodes that require signed GETs
//! still follow, deliver and look each other up, because every fetch is signed by the fetching
//! node's instance actor; an unsigned reader gets nothing but the keys.
use std::time::Duration;

use federation_tests::{Node, eventually, json};
use reqwest::StatusCode;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);
const AS: &str = "application/activity+json";

async fn unsigned_get(url: &str, accept: &str) -> (StatusCode, Value) {
    let res = reqwest::Client::new().get(url).header("accept", accept).send().await.expect("request");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    assert!(status.as_u16() < 500, "{url}: {status} {text}");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_requiring_signed_fetches_still_federate_and_unsigned_readers_get_only_keys() {
    let secure = [("KHUB_FEDERATION__AUTHORIZED_FETCH", "true")];
    let alpha = Node::start_with("alpha", &secure).await;
    let beta = Node::start_with("beta", &secure).await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    let r = alice.patch_json("/api/v1/accounts/update_credentials", json!({"display_name": "Alice Analyst"})).await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);

    // Following works both ways: each side's fetches of the other are signed.
    bob.follow_remote(&alice.handle).await;
    alice.follow_remote(&bob.handle).await;
    let public = alice.post_status(json!({"status": "SECURE-PUBLIC from alpha"})).await;
    alice.post_status(json!({"status": "SECURE-FOLLOWERS from alpha", "visibility": "private"})).await;
    bob.post_status(json!({"status": "SECURE-REPLY from beta"})).await;
    eventually("alpha's posts on beta", WAIT, || async {
        let texts = bob.home_texts().await;
        (texts.iter().any(|t| t.contains("SECURE-PUBLIC")) && texts.iter().any(|t| t.contains("SECURE-FOLLOWERS")))
            .then_some(())
    })
    .await;
    eventually("beta's post on alpha", WAIT, || async {
        alice.home_texts().await.iter().any(|t| t.contains("SECURE-REPLY")).then_some(())
    })
    .await;
    // Beta fetched alice's full profile (signed), not the key-only document.
    let id = bob.resolve(&alice.handle).await;
    assert_eq!(bob.get(&format!("/api/v1/accounts/{id}")).await.1["display_name"], "Alice Analyst");

    // Looking a post up by its URL is a signed fetch too.
    let url = public["uri"].as_str().expect("uri").to_owned();
    let found = bob.get(&format!("/api/v2/search?q={}&resolve=true&type=statuses", urlencode(&url))).await;
    assert_eq!(found.1["statuses"][0]["uri"], url.as_str(), "{}", found.1);

    // Unsigned readers: refused, except for the keys.
    assert_eq!(unsigned_get(&url, AS).await.0, StatusCode::UNAUTHORIZED);
    let followers = format!("{}/users/alice/followers", alpha.base_url);
    assert_eq!(unsigned_get(&followers, AS).await.0, StatusCode::UNAUTHORIZED);
    let featured = format!("{}/users/alice/collections/featured", alpha.base_url);
    assert_eq!(unsigned_get(&featured, AS).await.0, StatusCode::UNAUTHORIZED);
    let (status, person) = unsigned_get(&format!("{}/users/alice", alpha.base_url), AS).await;
    assert_eq!(status, StatusCode::OK);
    assert!(person["publicKey"]["publicKeyPem"].as_str().is_some_and(|k| k.contains("PUBLIC KEY")));
    assert!(person.get("name").is_none() && person.get("summary").is_none(), "{person}");
    // A forged signature is no better than none.
    let forged = reqwest::Client::new()
        .get(&url)
        .header("accept", AS)
        .header("date", httpdate::fmt_http_date(std::time::SystemTime::now()))
        .header(
            "signature",
            format!(
                "keyId=\"{}/actor#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"AAAA\"",
                beta.base_url
            ),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // The instance actor is always readable, and found by WebFinger under a plain name.
    let (status, actor) = unsigned_get(&format!("{}/actor", alpha.base_url), AS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(actor["type"], "Application");
    assert_eq!(actor["preferredUsername"], "instance.actor");
    assert_eq!(actor["id"], format!("{}/actor", alpha.base_url));
    assert!(actor["publicKey"]["publicKeyPem"].as_str().is_some_and(|k| k.contains("PUBLIC KEY")));
    let wf = format!("{}/.well-known/webfinger?resource=acct:instance.actor@{}", alpha.base_url, alpha.domain);
    let (status, jrd) = unsigned_get(&wf, "application/jrd+json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jrd["links"][0]["href"], format!("{}/actor", alpha.base_url));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_featured_collection_holds_pinned_posts_anyone_may_read() {
    let alpha = Node::start("alpha").await;
    let alice = alpha.create_member("alice");
    let public = alice.post_status(json!({"status": "PINNED-PUBLIC"})).await;
    let private = alice.post_status(json!({"status": "PINNED-PRIVATE", "visibility": "private"})).await;
    for s in [&public, &private] {
        let r = alice.post(&format!("/api/v1/statuses/{}/pin", s["id"].as_str().expect("id")), json!({})).await;
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    }
    let (_, person) = unsigned_get(&format!("{}/users/alice", alpha.base_url), AS).await;
    let featured = person["featured"].as_str().expect("featured").to_owned();
    let (status, coll) = unsigned_get(&featured, AS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(coll["type"], "OrderedCollection");
    let items = coll["orderedItems"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{coll}");
    assert_eq!(items[0]["type"], "Note");
    assert!(items[0]["content"].as_str().is_some_and(|c| c.contains("PINNED-PUBLIC")));
    assert!(!coll.to_string().contains("PINNED-PRIVATE"));
    // Without authorized fetch, a followers-only post is still never served unsigned.
    assert_eq!(unsigned_get(private["uri"].as_str().expect("uri"), AS).await.0, StatusCode::NOT_FOUND);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
