//! A member moves to an account on another server (followers everywhere follow the new one),
//! and a report about a remote member reaches that member's administrators as a `Flag`.
use std::time::Duration;

use federation_tests::{Browser, Node, eventually, json};
use reqwest::StatusCode;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_on_every_node_follow_the_account_a_member_moved_to() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let gamma = Node::start("gamma").await;
    let alice = alpha.create_member("alice");
    let dave = alpha.create_member("dave");
    alpha.create_member("mallory");
    let alice2 = beta.create_member("alice2");
    let carol = gamma.create_member("carol");
    let old_on_gamma = carol.follow_remote(&alice.handle).await;
    let old_on_alpha = dave.resolve(&alice.handle).await;
    dave.post(&format!("/api/v1/accounts/{old_on_alpha}/follow"), json!({})).await;

    // Without the alias on the new account, a move is refused and nothing changes.
    let web_alice = Browser::new(&alpha);
    web_alice.sign_in("alice").await;
    let page = web_alice.get("/settings/moving").await;
    assert_eq!(page.status, StatusCode::OK);
    let refused = web_alice.submit("/settings/move", &page.csrf(), &[("target", &format!("@{}", alice2.handle))]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(refused.html.contains("alias"));

    // alice2 names the old account; then alice moves.
    let web_alice2 = Browser::new(&beta);
    web_alice2.sign_in("alice2").await;
    let p2 = web_alice2.get("/settings/moving").await;
    let added = web_alice2.submit("/settings/aliases", &p2.csrf(), &[("alias", &format!("@{}", alice.handle))]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    assert!(web_alice2.get("/settings/moving").await.html.contains(&format!("{}/users/alice", alpha.base_url)));
    let moved = web_alice.submit("/settings/move", &page.csrf(), &[("target", &format!("@{}", alice2.handle))]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    assert!(web_alice.get("/settings/moving").await.html.contains("This account has moved to"));

    // carol (gamma) and dave (alpha) now follow alice2, and no longer alice.
    let new_on_gamma = carol.resolve(&alice2.handle).await;
    eventually("carol following alice2", WAIT, || async {
        let r = carol.get(&format!("/api/v1/accounts/relationships?id[]={new_on_gamma}&id[]={old_on_gamma}")).await.1;
        (r[0]["following"] == true && r[1]["following"] == false).then_some(())
    })
    .await;
    let new_on_alpha = dave.resolve(&alice2.handle).await;
    eventually("dave following alice2", WAIT, || async {
        let r = dave.get(&format!("/api/v1/accounts/relationships?id[]={new_on_alpha}&id[]={old_on_alpha}")).await.1;
        (r[0]["following"] == true && r[1]["following"] == false).then_some(())
    })
    .await;
    // Both count on beta as alice2's followers.
    eventually("alice2's two new followers", WAIT, || async {
        (alice2.get("/api/v1/accounts/verify_credentials").await.1["followers_count"] == 2).then_some(())
    })
    .await;
    // The old actor says where it went.
    let actor: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/users/alice", alpha.base_url))
        .header("accept", "application/activity+json")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(actor["movedTo"].as_str().is_some_and(|u| u.ends_with("/users/alice2")), "{actor}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_report_reaches_the_remote_administrators_without_the_reporter() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    alpha.create_admin("root");
    let bob = beta.create_member("bob");
    bob.follow_remote(&alice.handle).await;
    let post = alice.post_status(json!({"status": "A post someone will report"})).await;
    let alice_on_beta = bob.resolve(&alice.handle).await;
    let post_on_beta = eventually("alice's post on beta", WAIT, || async {
        let r = bob.get(&format!("/api/v1/accounts/{alice_on_beta}/statuses")).await.1;
        r.as_array()?.first().and_then(|s| s["id"].as_str()).map(str::to_owned)
    })
    .await;
    let r = bob
        .post(
            "/api/v1/reports",
            json!({"account_id": alice_on_beta, "status_ids": [post_on_beta], "comment": "FLAG-COMMENT spam links", "forward": true}),
        )
        .await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);

    let admin = Browser::new(&alpha);
    admin.sign_in("root").await;
    let html = eventually("the report on alpha's admin page", WAIT, || async {
        let html = admin.get("/admin").await.html;
        html.contains("FLAG-COMMENT spam links").then_some(html)
    })
    .await;
    // It names alice, not bob: forwarded reports come from the other server itself.
    assert!(html.contains("alice"));
    assert!(!html.contains("bob@"), "the reporter must not be named");
    let _ = post;
}
