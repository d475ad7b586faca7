//! Members on two nodes follow each other and read each other's posts; the four audiences hold
//! across the boundary.
use std::time::Duration;

use federation_tests::{Node, eventually, json};
use reqwest::StatusCode;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_follower_receives_public_and_followers_only_posts_and_no_one_else_does() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    let carol = beta.create_member("carol");

    // Bob on beta finds Alice on alpha and follows her; alpha accepts.
    bob.follow_remote(&alice.handle).await;
    let followers = alice.get("/api/v1/accounts/verify_credentials").await.1["followers_count"].clone();
    assert_eq!(followers, 1, "alpha counts the remote follower");

    let public = alice.post_status(json!({"status": "PUBLIC-ALPHA hello beta #budget", "visibility": "public"})).await;
    let private = alice.post_status(json!({"status": "FOLLOWERS-ALPHA for followers", "visibility": "private"})).await;
    let home = eventually("both posts on bob's home", WAIT, || async {
        let texts = bob.home_texts().await;
        (texts.iter().any(|t| t.contains("PUBLIC-ALPHA")) && texts.iter().any(|t| t.contains("FOLLOWERS-ALPHA")))
            .then_some(texts)
    })
    .await;
    assert_eq!(home.len(), 2, "{home:?}");

    // Carol on the same node does not follow Alice: the followers-only post never reaches her.
    let beta_private_id = {
        let r = bob.get("/api/v1/timelines/home").await;
        r.1.as_array()
            .and_then(|l| l.iter().find(|s| s["content"].as_str().is_some_and(|c| c.contains("FOLLOWERS-ALPHA"))))
            .and_then(|s| s["id"].as_str())
            .expect("beta's copy")
            .to_owned()
    };
    assert_eq!(carol.get(&format!("/api/v1/statuses/{beta_private_id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(beta.anon().get(&format!("/api/v1/statuses/{beta_private_id}")).await.0, StatusCode::NOT_FOUND);
    let alice_on_beta = carol.resolve(&alice.handle).await;
    let seen = carol.get(&format!("/api/v1/accounts/{alice_on_beta}/statuses")).await.1;
    let texts: Vec<&str> =
        seen.as_array().map(|l| l.iter().filter_map(|s| s["content"].as_str()).collect()).unwrap_or_default();
    assert!(texts.iter().any(|t| t.contains("PUBLIC-ALPHA")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("FOLLOWERS-ALPHA")), "carol sees the followers-only post: {texts:?}");
    assert!(!carol.home_texts().await.iter().any(|t| t.contains("ALPHA")));
    // Fetching the post itself from alpha by its id: only the public one is served.
    let private_uri = private["uri"].as_str().expect("uri");
    let r = carol.get(&format!("/api/v2/search?q={private_uri}&resolve=true")).await;
    assert!(r.1["statuses"].as_array().is_some_and(|l| l.is_empty()), "followers-only post fetched by URL: {}", r.1);
    let public_uri = public["uri"].as_str().expect("uri");
    assert_eq!(beta.anon().get("/api/v1/timelines/public").await.0, StatusCode::OK);
    let r = carol.get(&format!("/api/v2/search?q={public_uri}&resolve=true")).await;
    assert_eq!(r.1["statuses"].as_array().map(Vec::len), Some(1), "the public post resolves: {}", r.1);

    // Unfollowing stops delivery.
    let alice_id = bob.resolve(&alice.handle).await;
    bob.post(&format!("/api/v1/accounts/{alice_id}/unfollow"), json!({})).await;
    eventually("alpha to drop the follower", WAIT, || async {
        (alice.get("/api/v1/accounts/verify_credentials").await.1["followers_count"] == 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_reaches_only_its_recipient() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    let carol = beta.create_member("carol");
    // Carol follows Alice, so a leak to followers would show up on her side.
    carol.follow_remote(&alice.handle).await;
    alice.resolve(&bob.handle).await;
    alice.post_status(json!({"status": format!("DIRECT-SECRET for @{}", bob.handle), "visibility": "direct"})).await;
    let note = eventually("bob's mention notification", WAIT, || async {
        let r = bob.get("/api/v1/notifications").await;
        r.1.as_array().and_then(|l| l.iter().find(|n| n["type"] == "mention").cloned())
    })
    .await;
    assert!(note["status"]["content"].as_str().is_some_and(|c| c.contains("DIRECT-SECRET")));
    assert_eq!(note["status"]["visibility"], "direct");
    let id = note["status"]["id"].as_str().expect("id");
    assert_eq!(carol.get(&format!("/api/v1/statuses/{id}")).await.0, StatusCode::NOT_FOUND);
    assert!(!carol.home_texts().await.iter().any(|t| t.contains("DIRECT-SECRET")));
    let carol_notes = carol.get("/api/v1/notifications").await.1;
    assert!(!carol_notes.to_string().contains("DIRECT-SECRET"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_was_down_receives_everything_once_back() {
    let alpha = Node::start("alpha").await;
    let mut beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    bob.follow_remote(&alice.handle).await;

    beta.kill();
    for n in 1..=3 {
        alice.post_status(json!({"status": format!("WHILE-DOWN {n}")})).await;
    }
    // Alpha itself dies with the deliveries queued, and comes back.
    let mut alpha = alpha;
    alpha.kill();
    alpha.launch().await;
    beta.launch().await;
    eventually("all three posts on bob's home", Duration::from_secs(60), || async {
        let texts = bob.home_texts().await;
        (texts.iter().filter(|t| t.contains("WHILE-DOWN")).count() == 3).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_host_gets_its_backlog_when_it_talks_to_us_again() {
    // Alpha gives up on a host after two failures in a row, and would wait hours to retry.
    let alpha = Node::start_with(
        "alpha",
        &[("KHUB_JOBS__UNAVAILABLE_AFTER_FAILURES", "2"), ("KHUB_JOBS__UNAVAILABLE_RECHECK_SECONDS", "36000")],
    )
    .await;
    let mut beta = Node::start("beta").await;
    let alice = alpha.create_admin("alice");
    let bob = beta.create_member("bob");
    bob.follow_remote(&alice.handle).await;
    alice.follow_remote(&bob.handle).await;

    beta.kill();
    for n in 1..=3 {
        alice.post_status(json!({"status": format!("BACKLOG {n}")})).await;
    }
    // Alpha's admin page shows beta as unavailable, with the deliveries waiting.
    let admin = federation_tests::Browser::new(&alpha);
    admin.sign_in("alice").await;
    eventually("beta marked unavailable", Duration::from_secs(60), || async {
        let page = admin.get("/admin").await;
        (page.html.contains(&beta.domain) && page.html.contains("Unavailable")).then_some(())
    })
    .await;
    // Beta comes back and says something to alpha: the backlog goes at once.
    beta.launch().await;
    bob.post_status(json!({"status": "I AM BACK"})).await;
    eventually("the backlog on bob's home", WAIT, || async {
        let texts = bob.home_texts().await;
        (texts.iter().filter(|t| t.contains("BACKLOG")).count() == 3).then_some(())
    })
    .await;
    eventually("beta no longer listed as failing", WAIT, || async {
        (!admin.get("/admin").await.html.contains("Unavailable")).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_of_remote_posts_are_copied_with_their_alt_text() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    bob.follow_remote(&alice.handle).await;
    let (s, media) = alice.upload_png("A chart of waiting times").await;
    assert_eq!(s, StatusCode::OK, "{media}");
    alice.post_status(json!({"status": "WITH-PICTURE", "media_ids": [media["id"]]})).await;
    let copy = eventually("the post with its picture on beta", WAIT, || async {
        let r = bob.get("/api/v1/timelines/home").await;
        r.1.as_array()
            .and_then(|l| l.iter().find(|s| s["content"].as_str().is_some_and(|c| c.contains("WITH-PICTURE"))).cloned())
            .filter(|s| s["media_attachments"].as_array().is_some_and(|m| !m.is_empty()))
    })
    .await;
    let attachment = &copy["media_attachments"][0];
    assert_eq!(attachment["description"], "A chart of waiting times");
    let url = attachment["url"].as_str().expect("url");
    assert!(url.starts_with(&beta.base_url), "served by beta, not hot-linked: {url}");
    let res = reqwest::get(url).await.expect("fetch the copy");
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_post_federates_as_an_article_with_a_title_and_its_whole_text() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    bob.follow_remote(&alice.handle).await;
    let body = "Adult social care winter plan\n\n".to_owned() + &"We will keep two beds free in each ward. ".repeat(20);
    let long = alice.post_status(json!({"status": body})).await;
    let short = alice.post_status(json!({"status": "A short NOTE-KIND post"})).await;

    let fetch = |url: String| async move {
        let res = reqwest::Client::new()
            .get(&url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .expect("request");
        res.json::<serde_json::Value>().await.expect("json")
    };
    let article = fetch(long["uri"].as_str().expect("uri").to_owned()).await;
    assert_eq!(article["type"], "Article", "{article}");
    assert_eq!(article["name"], "Adult social care winter plan");
    assert!(article["content"].as_str().is_some_and(|c| c.matches("two beds free").count() == 20));
    let note = fetch(short["uri"].as_str().expect("uri").to_owned()).await;
    assert_eq!(note["type"], "Note");
    assert!(note.get("name").is_none());

    // The follower on beta reads all of it.
    let content = eventually("the article on beta", WAIT, || async {
        let r = bob.get("/api/v1/timelines/home?limit=40").await.1;
        r.as_array()?
            .iter()
            .filter_map(|s| s["content"].as_str())
            .find(|c| c.contains("two beds free"))
            .map(str::to_owned)
    })
    .await;
    assert_eq!(content.matches("two beds free").count(), 20, "{content}");
    assert!(content.contains("Adult social care winter plan"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followers_only_picture_is_copied_for_followers_and_never_served_to_others() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    let carol = beta.create_member("carol");
    bob.follow_remote(&alice.handle).await;
    let (s, media) = alice.upload_png("Ward occupancy, private").await;
    assert_eq!(s, StatusCode::OK, "{media}");
    let post = alice
        .post_status(json!({"status": "PRIVATE-PICTURE", "visibility": "private", "media_ids": [media["id"]]}))
        .await;
    let original = post["media_attachments"][0]["url"].as_str().expect("url").to_owned();

    // Beta, where a follower is, fetched it with a signed request and serves it to him only.
    let copy = eventually("the private picture on beta", WAIT, || async {
        let r = bob.get("/api/v1/timelines/home").await;
        r.1.as_array()
            .and_then(|l| {
                l.iter().find(|s| s["content"].as_str().is_some_and(|c| c.contains("PRIVATE-PICTURE"))).cloned()
            })
            .filter(|s| s["media_attachments"].as_array().is_some_and(|m| !m.is_empty()))
    })
    .await;
    let url = copy["media_attachments"][0]["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with(&beta.base_url), "{url}");
    let with_token = reqwest::Client::new().get(&url).bearer_auth(bob.token()).send().await.expect("fetch");
    assert_eq!(with_token.status(), StatusCode::OK);
    assert_eq!(reqwest::get(&url).await.expect("fetch").status(), StatusCode::NOT_FOUND);
    let as_carol = reqwest::Client::new().get(&url).bearer_auth(carol.token()).send().await.expect("fetch");
    assert_eq!(as_carol.status(), StatusCode::NOT_FOUND);

    // The original is never served unsigned.
    assert_eq!(reqwest::get(&original).await.expect("fetch").status(), StatusCode::NOT_FOUND);
}
