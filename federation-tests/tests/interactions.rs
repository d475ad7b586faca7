//! Replies, likes, boosts, edits and deletes cross the node boundary.
use std::time::Duration;

use federation_tests::{Member, Node, eventually, json};
use reqwest::StatusCode;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

/// The local copy of a remote post on `reader`'s node, found by its original URI.
async fn copy_of(reader: &Member, uri: &str) -> Value {
    eventually(&format!("{} to have {uri}", reader.name), WAIT, || async {
        let r = reader.get(&format!("/api/v2/search?q={uri}&resolve=true&type=statuses")).await;
        r.1["statuses"].as_array().and_then(|l| l.first().cloned())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_thread_across_three_nodes_and_likes_and_boosts_count_on_the_origin() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let gamma = Node::start("gamma").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    let gita = gamma.create_member("gita");
    bob.follow_remote(&alice.handle).await;
    gita.follow_remote(&alice.handle).await;
    alice.follow_remote(&bob.handle).await;
    alice.follow_remote(&gita.handle).await;
    gita.follow_remote(&bob.handle).await;

    let root = alice.post_status(json!({"status": "ROOT: who has a good damp-and-mould checklist?"})).await;
    let root_uri = root["uri"].as_str().expect("uri").to_owned();
    let on_beta = copy_of(&bob, &root_uri).await;
    let reply = bob
        .post_status(json!({"status": format!("@{} REPLY-BETA ours is on the intranet", alice.handle), "in_reply_to_id": on_beta["id"]}))
        .await;
    let reply_uri = reply["uri"].as_str().expect("uri").to_owned();
    let reply_on_gamma = copy_of(&gita, &reply_uri).await;
    gita.post_status(json!({"status": format!("@{} REPLY-GAMMA can you share it?", bob.handle), "in_reply_to_id": reply_on_gamma["id"]}))
        .await;

    // On alpha the thread holds both replies, in order, under the root.
    let root_id = root["id"].as_str().expect("id");
    let thread = eventually("the thread on alpha", WAIT, || async {
        let r = alice.get(&format!("/api/v1/statuses/{root_id}/context")).await;
        let d = r.1["descendants"].as_array().cloned().unwrap_or_default();
        (d.len() == 2).then_some(d)
    })
    .await;
    assert!(thread[0]["content"].as_str().is_some_and(|c| c.contains("REPLY-BETA")));
    assert!(thread[1]["content"].as_str().is_some_and(|c| c.contains("REPLY-GAMMA")));
    assert_eq!(thread[1]["in_reply_to_id"], thread[0]["id"]);

    // Likes and boosts from two other nodes count on the origin.
    bob.post(&format!("/api/v1/statuses/{}/favourite", on_beta["id"].as_str().expect("id")), json!({})).await;
    let on_gamma = copy_of(&gita, &root_uri).await;
    let gid = on_gamma["id"].as_str().expect("id");
    gita.post(&format!("/api/v1/statuses/{gid}/favourite"), json!({})).await;
    gita.post(&format!("/api/v1/statuses/{gid}/reblog"), json!({})).await;
    eventually("two likes and a boost on alpha", WAIT, || async {
        let s = alice.get(&format!("/api/v1/statuses/{root_id}")).await.1;
        (s["favourites_count"] == 2 && s["reblogs_count"] == 1).then_some(())
    })
    .await;
    let kinds: Vec<String> = alice
        .get("/api/v1/notifications")
        .await
        .1
        .as_array()
        .map(|l| l.iter().filter_map(|n| n["type"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert!(kinds.contains(&"favourite".to_owned()) && kinds.contains(&"reblog".to_owned()), "{kinds:?}");
    // Bob follows Gita, so her boost shows on his home.
    // (He follows Alice too; what matters is that the boost arrived as a boost.)
    gita.post(&format!("/api/v1/statuses/{gid}/unfavourite"), json!({})).await;
    gita.post(&format!("/api/v1/statuses/{gid}/unreblog"), json!({})).await;
    eventually("the like and the boost undone on alpha", WAIT, || async {
        let s = alice.get(&format!("/api/v1/statuses/{root_id}")).await.1;
        (s["favourites_count"] == 1 && s["reblogs_count"] == 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_deletes_propagate() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    bob.follow_remote(&alice.handle).await;
    let post = alice.post_status(json!({"status": "FIRST-VERSION of the policy"})).await;
    let id = post["id"].as_str().expect("id");
    let uri = post["uri"].as_str().expect("uri").to_owned();
    let copy = copy_of(&bob, &uri).await;
    let copy_id = copy["id"].as_str().expect("id").to_owned();
    let r = alice.put_json(&format!("/api/v1/statuses/{id}"), json!({"status": "SECOND-VERSION of the policy"})).await;
    assert_eq!(r.0, StatusCode::OK);
    eventually("the edit on beta", WAIT, || async {
        let s = bob.get(&format!("/api/v1/statuses/{copy_id}")).await.1;
        s["content"].as_str().is_some_and(|c| c.contains("SECOND-VERSION")).then_some(())
    })
    .await;
    alice.delete_path(&format!("/api/v1/statuses/{id}")).await;
    eventually("the delete on beta", WAIT, || async {
        (bob.get(&format!("/api/v1/statuses/{copy_id}")).await.0 == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
    assert!(!bob.home_texts().await.iter().any(|t| t.contains("VERSION")));
}
