//! A poll crosses the node boundary: Alice on alpha asks, Bob on beta (who follows her) sees
//! the Question and votes, Carol on alpha votes too; alpha counts both, and beta learns the new
//! counts from the Update alpha sends.
use std::time::Duration;

use federation_tests::{Node, eventually, json};
use reqwest::StatusCode;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_from_beta_counts_on_alpha_and_beta_sees_the_updated_count() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let carol = alpha.create_member("carol");
    let bob = beta.create_member("bob");
    bob.follow_remote(&alice.handle).await;

    let asked = alice
        .post_status(json!({
            "status": "Where should the next housing forum be?",
            "poll": { "options": ["Town hall", "Library"], "expires_in": 3600 }
        }))
        .await;
    let uri = asked["uri"].as_str().expect("uri").to_owned();
    let poll_id = asked["poll"]["id"].as_str().expect("poll id").to_owned();

    // Alpha serves it as a Question.
    let question: Value = reqwest::Client::new()
        .get(&uri)
        .header("accept", "application/activity+json")
        .send()
        .await
        .expect("fetch the Question")
        .json()
        .await
        .expect("json");
    assert_eq!(question["type"], "Question", "{question}");
    assert_eq!(question["oneOf"][0]["type"], "Note");
    assert_eq!(question["oneOf"][1]["name"], "Library");
    assert_eq!(question["oneOf"][1]["replies"], json!({"type": "Collection", "totalItems": 0}));
    assert!(question["endTime"].is_string(), "{question}");
    assert_eq!(question["votersCount"], 0);

    // Beta has the post with its poll.
    let on_beta = eventually("the poll on beta", WAIT, || async {
        let home = bob.get("/api/v1/timelines/home?limit=40").await.1;
        home.as_array()?.iter().find(|s| s["uri"] == uri.as_str()).cloned()
    })
    .await;
    assert_eq!(on_beta["poll"]["options"][0]["title"], "Town hall");
    assert_eq!(on_beta["poll"]["expires_at"], asked["poll"]["expires_at"]);
    let beta_poll = on_beta["poll"]["id"].as_str().expect("poll id on beta").to_owned();

    // Bob votes on beta; his vote counts at once there.
    let (status, voted) = bob.post(&format!("/api/v1/polls/{beta_poll}/votes"), json!({"choices": [1]})).await;
    assert_eq!(status, StatusCode::OK, "{voted}");
    assert_eq!((voted["votes_count"].clone(), voted["own_votes"].clone()), (json!(1), json!([1])));

    // Alpha counts it, as a vote and not as a reply.
    eventually("Bob's vote counted on alpha", WAIT, || async {
        let p = alice.get(&format!("/api/v1/polls/{poll_id}")).await.1;
        (p["options"][1]["votes_count"] == 1).then_some(())
    })
    .await;
    let on_alpha = alice.get(&format!("/api/v1/statuses/{}", asked["id"].as_str().expect("id"))).await.1;
    assert_eq!(on_alpha["replies_count"], 0, "a vote is not a reply");
    let ctx = alice.get(&format!("/api/v1/statuses/{}/context", asked["id"].as_str().expect("id"))).await.1;
    assert_eq!(ctx["descendants"], json!([]));

    // Carol votes on alpha: only an Update from alpha can tell beta.
    let (status, _) = carol.post(&format!("/api/v1/polls/{poll_id}/votes"), json!({"choices": [0]})).await;
    assert_eq!(status, StatusCode::OK);
    let seen = eventually("both votes seen on beta", WAIT, || async {
        let p = bob.get(&format!("/api/v1/polls/{beta_poll}")).await.1;
        (p["votes_count"] == 2).then_some(p)
    })
    .await;
    assert_eq!(
        seen["options"],
        json!([{"title": "Town hall", "votes_count": 1}, {"title": "Library", "votes_count": 1}])
    );
    assert_eq!(seen["own_votes"], json!([1]), "Bob's own vote is remembered");
    let p = alice.get(&format!("/api/v1/polls/{poll_id}")).await.1;
    assert_eq!(p["votes_count"], 2);

    // Bob cannot vote twice, on beta or by repeating himself to alpha.
    let (status, _) = bob.post(&format!("/api/v1/polls/{beta_poll}/votes"), json!({"choices": [0]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
