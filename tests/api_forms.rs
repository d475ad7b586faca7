//! Apps send form-encoded bodies with bracketed keys; blocking someone hides what they caused.
mod common;

use common::TestNode;
use reqwest::{Method, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_credentials_accepts_the_form_apps_send() {
    let node = TestNode::start().await;
    let hana = node.create_member("hana").await;
    let r = hana
        .form(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            &[
                ("display_name", "Hana Ito"),
                ("source[privacy]", "public"),
                ("source[sensitive]", "false"),
                ("fields_attributes[0][name]", "Team"),
                ("fields_attributes[0][value]", "https://example.org/team"),
            ],
        )
        .await;
    let me = r.ok();
    assert_eq!(me["display_name"], "Hana Ito");
    assert!(me["fields"].as_array().expect("fields").iter().any(|f| f["name"] == "Team"));

    // Bounded: a body with thousands of fields is refused before anything is read into the account.
    let many: Vec<(String, String)> = (0..2000).map(|i| (format!("f{i}"), "x".to_owned())).collect();
    let pairs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = hana.form(Method::PATCH, "/api/v1/accounts/update_credentials", &pairs).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error().contains("Too many fields"));
    assert_eq!(hana.me().await["display_name"], "Hana Ito");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_hides_earlier_notifications_from_that_account() {
    let node = TestNode::start().await;
    let ivy = node.create_member("ivy").await;
    let jay = node.create_member("jay").await;
    jay.post_empty(&format!("/api/v1/accounts/{}/follow", ivy.id)).await.ok();
    jay.post_status(serde_json::json!({"status": "hello @ivy"})).await;
    let before = ivy.get("/api/v1/notifications").await;
    assert_eq!(before.list().len(), 2, "a follow and a mention");
    ivy.post_empty(&format!("/api/v1/accounts/{}/block", jay.id)).await.ok();
    assert!(ivy.get("/api/v1/notifications").await.list().is_empty());
    ivy.post_empty(&format!("/api/v1/accounts/{}/unblock", jay.id)).await.ok();
    assert_eq!(
        ivy.get("/api/v1/notifications").await.list().len(),
        2,
        "hidden, not deleted: they show again after unblocking"
    );
}
