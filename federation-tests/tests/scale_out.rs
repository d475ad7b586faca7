//! Scale-out: two `khub serve` processes of one node on one PostgreSQL database share the
//! delivery queue, and no delivery is sent twice. (On SQLite one process owns the database, so
//! there is nothing to share; the story says so and passes.)
use std::time::Duration;

use federation_tests::{Node, eventually, json};
use reqwest::StatusCode;

const WAIT: Duration = Duration::from_secs(60);
const POSTS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_never_deliver_the_same_activity_twice() {
    let alpha = Node::start("alpha").await;
    let Some(alpha2) = alpha.replica("alpha-2").await else {
        eprintln!("SQLite: a node is one process; the shared-queue story runs on PostgreSQL");
        return;
    };
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    let carol = beta.create_member("carol");
    bob.follow_remote(&alice.handle).await;
    carol.follow_remote(&alice.handle).await;

    // Both processes take posts; each post queues one delivery (one shared inbox on beta).
    let via_second = alice.api.at(&alpha2.process_url());
    for n in 0..POSTS {
        let api = if n % 2 == 0 { &alice.api } else { &via_second };
        let r = api.post("/api/v1/statuses", json!({"status": format!("SHARED-QUEUE {n:02}")})).await;
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    }
    eventually("every post on beta", WAIT, || async {
        let mut seen = Vec::new();
        let mut max_id = String::new();
        // Page through bob's home timeline.
        loop {
            let path = if max_id.is_empty() {
                "/api/v1/timelines/home?limit=40".to_owned()
            } else {
                format!("/api/v1/timelines/home?limit=40&max_id={max_id}")
            };
            let page = bob.get(&path).await.1;
            let Some(list) = page.as_array().filter(|l| !l.is_empty()) else { break };
            seen.extend(list.iter().filter_map(|s| s["content"].as_str().map(str::to_owned)));
            max_id = list.last().and_then(|s| s["id"].as_str()).unwrap_or_default().to_owned();
        }
        (seen.iter().filter(|t| t.contains("SHARED-QUEUE")).count() == POSTS).then_some(())
    })
    .await;
    // Every delivery arrived exactly once: beta never saw an activity a second time.
    let duplicates = beta.log().matches("activity already received").count();
    assert_eq!(duplicates, 0, "beta received {duplicates} duplicate deliveries:\n{}", beta.log());
    // And alice's posts are counted once each on her node, whichever process took them.
    let me = alice.get("/api/v1/accounts/verify_credentials").await.1;
    assert_eq!(me["statuses_count"], POSTS as u64);
    drop(alpha2);
}
