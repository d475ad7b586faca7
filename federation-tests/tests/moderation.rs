//! An administrator blocks another server: what it sent goes, and nothing more comes in.
use std::time::Duration;

use federation_tests::{Browser, Node, eventually, json};
use reqwest::StatusCode;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_domain_s_activities_are_dropped_and_its_content_removed() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_admin("alice");
    let bob = beta.create_member("bob");
    beta.create_admin("root");
    alice.follow_remote(&bob.handle).await;
    bob.follow_remote(&alice.handle).await;
    bob.post_status(json!({"status": "BEFORE-BLOCK from beta"})).await;
    eventually("bob's post on alpha", WAIT, || async {
        alice.home_texts().await.iter().any(|t| t.contains("BEFORE-BLOCK")).then_some(())
    })
    .await;

    // The admin blocks beta in the admin page.
    let admin = Browser::new(&alpha);
    admin.sign_in("alice").await;
    let page = admin.get("/admin").await;
    let bad =
        admin.submit("/admin/domain_blocks", &page.csrf(), &[("domain", "not a domain!"), ("severity", "block")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done =
        admin.submit("/admin/domain_blocks", &page.csrf(), &[("domain", &beta.domain), ("severity", "block")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert!(admin.get("/admin").await.html.contains(&beta.domain));

    // What beta sent is gone, and the follows both ways.
    assert!(!alice.home_texts().await.iter().any(|t| t.contains("BEFORE-BLOCK")));
    let me = alice.get("/api/v1/accounts/verify_credentials").await.1;
    assert_eq!(me["followers_count"], 0);
    assert_eq!(me["following_count"], 0);

    // New activities from beta are refused; nothing is stored.
    bob.post_status(json!({"status": "AFTER-BLOCK from beta"})).await;
    let alice_id = bob.resolve(&alice.handle).await;
    bob.post(&format!("/api/v1/accounts/{alice_id}/unfollow"), json!({})).await;
    bob.post(&format!("/api/v1/accounts/{alice_id}/follow"), json!({})).await;
    // Wait until beta's queue is empty: its deliveries to alpha have been tried (and refused).
    let beta_admin = Browser::new(&beta);
    beta_admin.sign_in("root").await;
    eventually("beta's deliveries to be tried", WAIT, || async {
        beta_admin.get("/admin").await.html.contains(" 0 background jobs queued").then_some(())
    })
    .await;
    assert_eq!(alice.get("/api/v1/accounts/verify_credentials").await.1["followers_count"], 0);
    assert!(!alice.home_texts().await.iter().any(|t| t.contains("AFTER-BLOCK")));
    let r = alice.get(&format!("/api/v2/search?q=@{}&resolve=true", bob.handle)).await;
    assert!(
        r.1["accounts"].as_array().is_some_and(|l| l.iter().all(|a| a["acct"] != bob.handle.as_str()))
            || r.1["accounts"].as_array().is_some_and(|l| l.len() <= 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_across_nodes_ends_the_follows_both_ways_until_undone() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    let bob_on_alpha = alice.follow_remote(&bob.handle).await;
    bob.follow_remote(&alice.handle).await;
    let alice_on_beta = bob.resolve(&alice.handle).await;
    let r = bob.post(&format!("/api/v1/accounts/{alice_on_beta}/block"), json!({})).await;
    assert_eq!(r.1["blocking"], true);
    eventually("alpha to end both follows", WAIT, || async {
        let me = alice.get("/api/v1/accounts/verify_credentials").await.1;
        (me["followers_count"] == 0 && me["following_count"] == 0).then_some(())
    })
    .await;
    // While blocked, alice cannot follow bob again (nor find him by searching, as on Mastodon).
    let r = alice.post(&format!("/api/v1/accounts/{bob_on_alpha}/follow"), json!({})).await;
    assert_eq!(r.0, StatusCode::FORBIDDEN);
    bob.post(&format!("/api/v1/accounts/{alice_on_beta}/unblock"), json!({})).await;
    eventually("alice able to follow bob again", WAIT, || async {
        let r = alice.post(&format!("/api/v1/accounts/{bob_on_alpha}/follow"), json!({})).await;
        (r.0 == StatusCode::OK).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_server_reaches_only_the_people_who_follow_its_accounts() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_admin("alice");
    let carol = alpha.create_member("carol");
    let bob = beta.create_member("bob");
    alice.follow_remote(&bob.handle).await;

    let admin = Browser::new(&alpha);
    admin.sign_in("alice").await;
    let page = admin.get("/admin").await;
    let none = admin.submit("/admin/domain_blocks", &page.csrf(), &[("domain", &beta.domain)]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY, "the action must be chosen");
    let done =
        admin.submit("/admin/domain_blocks", &page.csrf(), &[("domain", &beta.domain), ("severity", "limit")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert!(admin.get("/admin").await.html.contains("Limited"));

    bob.post_status(json!({"status": "LIMITED-PUBLIC from beta"})).await;
    let mention = bob.post_status(json!({"status": format!("@{} LIMITED-MENTION of carol", carol.handle)})).await;
    bob.post_status(json!({"status": format!("@{} LIMITED-MENTION of alice", alice.handle)})).await;
    // Alice follows bob: his posts and mentions reach her as before.
    eventually("bob's posts in alice's home", WAIT, || async {
        alice.home_texts().await.iter().any(|t| t.contains("LIMITED-PUBLIC")).then_some(())
    })
    .await;
    let public = |api: federation_tests::Api| async move {
        let r = api.get("/api/v1/timelines/public?remote=true").await.1;
        r.as_array().map(|l| l.iter().filter_map(|s| s["content"].as_str().map(str::to_owned)).collect::<Vec<_>>())
    };
    let for_alice = public(alice.api.clone()).await.unwrap_or_default();
    assert!(for_alice.iter().any(|t| t.contains("LIMITED-PUBLIC")), "{for_alice:?}");
    eventually("alice's mention notification", WAIT, || async {
        let n = alice.get("/api/v1/notifications").await.1;
        n.as_array()?.iter().any(|n| n["type"] == "mention").then_some(())
    })
    .await;
    // Carol does not follow bob: nothing of his in her public timeline, nor anonymously, and
    // his mention of her (which arrived: alpha stored it) is no notification.
    let for_carol = public(carol.api.clone()).await.unwrap_or_default();
    assert!(!for_carol.iter().any(|t| t.contains("LIMITED")), "{for_carol:?}");
    let anonymous = public(alpha.anon()).await.unwrap_or_default();
    assert!(!anonymous.iter().any(|t| t.contains("LIMITED")), "{anonymous:?}");
    let uri = mention["uri"].as_str().expect("uri");
    let stored = carol.get(&format!("/api/v2/search?q={uri}&resolve=true&type=statuses")).await.1;
    assert_eq!(stored["statuses"].as_array().map(Vec::len), Some(1), "{stored}");
    let n = carol.get("/api/v1/notifications").await.1;
    assert_eq!(n.as_array().map(Vec::len), Some(0), "{n}");
    assert_eq!(carol.get("/api/v1/notifications/unread_count").await.1["count"], 0);

    // Lifting the limit makes bob's posts public again here.
    let page = admin.get("/admin").await;
    let lifted = admin.submit(&format!("/admin/domain_blocks/{}/unblock", beta.domain), &page.csrf(), &[]).await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER);
    let for_carol = public(carol.api.clone()).await.unwrap_or_default();
    assert!(for_carol.iter().any(|t| t.contains("LIMITED-PUBLIC")), "{for_carol:?}");
}
