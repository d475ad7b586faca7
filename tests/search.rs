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

/// Hashtags are found without the `#`, by prefix among public posts' hashtags (most used
/// first), never from followers-only posts; `following` keeps the accounts one follows;
/// `offset` pages; a bad `offset` is a 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_hashtags_by_prefix_and_pages_with_offset_and_following() {
    let node = TestNode::start().await;
    let nia = node.create_member("nia").await;
    let parkrun = node.create_member("parkrunner").await;
    let parker = node.create_member("parker").await;
    for text in ["#parking fees", "#parking zones", "#parks open", "#parking again"] {
        parkrun.post_status(json!({ "status": text })).await;
    }
    parkrun.post_status(json!({ "status": "#parksecret plans", "visibility": "private" })).await;
    let names = |r: &common::Resp, kind: &str, key: &str| -> Vec<String> {
        r.ok()[kind].as_array().expect("list").iter().map(|t| t[key].as_str().expect("name").to_owned()).collect()
    };

    let r = nia.get("/api/v2/search?q=park&type=hashtags").await;
    assert_eq!(names(&r, "hashtags", "name"), ["park", "parking", "parks"], "{}", r.text);
    assert!(r.ok()["hashtags"][1]["history"].as_array().is_some_and(|h| h.len() == 7), "{}", r.text);
    let r = nia.get("/api/v2/search?q=%23parks").await;
    assert_eq!(names(&r, "hashtags", "name"), ["parks"], "{}", r.text);
    let r = node.anon().get("/api/v2/search?q=parksec&type=hashtags").await;
    assert_eq!(names(&r, "hashtags", "name"), ["parksec"], "a followers-only hashtag is not revealed: {}", r.text);
    let r = nia.get("/api/v2/search?q=park&type=hashtags&limit=2&offset=1").await;
    assert_eq!(names(&r, "hashtags", "name"), ["parking", "parks"], "{}", r.text);

    let all = nia.get("/api/v2/search?q=park&type=accounts").await;
    assert_eq!(names(&all, "accounts", "username").len(), 2, "{}", all.text);
    let second = nia.get("/api/v2/search?q=park&type=accounts&offset=1").await;
    assert_eq!(names(&second, "accounts", "username"), names(&all, "accounts", "username")[1..]);
    nia.post(&format!("/api/v1/accounts/{}/follow", parker.id), json!({})).await.ok();
    let followed = nia.get("/api/v2/search?q=park&type=accounts&following=true").await;
    assert_eq!(names(&followed, "accounts", "username"), ["parker"], "{}", followed.text);

    for bad in ["-1", "many", "10001"] {
        let r = nia.get(&format!("/api/v2/search?q=park&offset={bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "offset={bad}: {}", r.text);
    }
}
