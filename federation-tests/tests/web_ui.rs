//! In the web UI, a member finds someone on another node, follows them, reads their posts and
//! answers them.
use std::time::Duration;

use federation_tests::{Browser, Node, eventually, json};
use reqwest::StatusCode;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_follow_read_and_answer_someone_on_another_node_in_the_web_ui() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let _alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    let browser = Browser::new(&alpha);
    browser.sign_in("alice").await;

    // Find: the search box resolves @bob@beta.
    let q: String = url::form_urlencoded::byte_serialize(format!("@{}", bob.handle).as_bytes()).collect();
    let results = browser.get(&format!("/search?q={q}")).await;
    assert_eq!(results.status, StatusCode::OK);
    let profile_path = format!("/@{}", bob.handle);
    assert!(results.html.contains(&format!("href=\"{profile_path}\"")), "no link to bob:\n{}", results.html);

    // Follow from the profile page.
    let profile = browser.get(&profile_path).await;
    assert_eq!(profile.status, StatusCode::OK);
    let followed = browser.submit(&format!("{profile_path}/follow"), &profile.csrf(), &[]).await;
    assert_eq!(followed.status, StatusCode::SEE_OTHER);
    eventually("the follow to be accepted", WAIT, || async {
        browser.get(&profile_path).await.html.contains("Unfollow").then_some(())
    })
    .await;

    // Read: bob's new post reaches alice's home page.
    let post = bob.post_status(json!({"status": "BETA-NEWS: our winter plan is out"})).await;
    let home = eventually("bob's post on alice's home page", WAIT, || async {
        let page = browser.get("/").await;
        page.html.contains("BETA-NEWS").then_some(page)
    })
    .await;
    // Answer: open the thread and reply with the form.
    let marker = format!("href=\"/@{}/", bob.handle);
    let start = home.html.find(&marker).expect("a link to the thread") + marker.len() - 1;
    let thread_path: String = format!("/@{}{}", bob.handle, &home.html[start..].split('"').next().unwrap_or_default());
    let thread = browser.get(&thread_path).await;
    assert_eq!(thread.status, StatusCode::OK, "{thread_path}");
    let reply_to = thread
        .html
        .split("name=\"in_reply_to_id\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("reply form");
    let sent = browser
        .submit(
            "/statuses",
            &thread.csrf(),
            &[
                ("status", &format!("@{} ALPHA-ANSWER thanks, sharing it", bob.handle)),
                ("visibility", "public"),
                ("in_reply_to_id", reply_to),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let post_id = post["id"].as_str().expect("id");
    eventually("the answer in bob's thread on beta", WAIT, || async {
        let r = bob.get(&format!("/api/v1/statuses/{post_id}/context")).await;
        r.1.to_string().contains("ALPHA-ANSWER").then_some(())
    })
    .await;
}
