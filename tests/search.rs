//! Search: bounded input, and nothing found that the searcher may not read.
mod common;

use common::TestNode;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_refuses_bad_input_and_finds_only_what_the_reader_may_see() {
    let node = TestNode::start().await;
    let nia = node.create_member("nia").await;
    let omar = node.create_member("omar").await;
    let long = "q".repeat(501);
    assert_eq!(nia.get(&format!("/api/v2/search?q={long}")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(nia.get("/api/v2/search?q=nia&type=people").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(nia.get("/api/v2/search?q=nia&resolve=maybe").await.status, StatusCode::BAD_REQUEST);
    // Local people by name prefix, for anyone.
    let found = node.anon().get("/api/v2/search?q=om").await;
    assert!(found.ok()["accounts"].as_array().is_some_and(|l| l.iter().any(|a| a["username"] == "omar")));
    // A followers-only post's URL finds nothing for someone outside its audience.
    let private = omar.post_status(json!({"status": "HIDDEN", "visibility": "private"})).await;
    let url = private["uri"].as_str().expect("uri");
    let own = omar.get(&format!("/api/v2/search?q={url}&resolve=true")).await;
    assert_eq!(own.ok()["statuses"].as_array().map(Vec::len), Some(1), "the author finds it: {}", own.text);
    for reader in [&nia.api, &node.anon()] {
        let r = reader.get(&format!("/api/v2/search?q={url}&resolve=true")).await;
        assert!(r.ok()["statuses"].as_array().is_some_and(|l| l.is_empty()), "{}", r.text);
    }
    // The web search page answers too, and never errs on odd input.
    for q in ["", "%40", "%40nobody%40", "https%3A%2F%2F"] {
        assert_eq!(node.anon().get(&format!("/search?q={q}")).await.status, StatusCode::OK, "q={q}");
    }
}
