//! Uploaded files live exactly as long as what they belong to: a post, an avatar, a compose
//! that failed. Nothing lingers where its audience can no longer be checked.
mod common;

use common::web::Browser;
use common::{TestNode, png};
use reqwest::StatusCode;
use serde_json::json;

fn files_in(node: &TestNode) -> usize {
    std::fs::read_dir(node.data_dir.path().join("media")).map(|d| d.count()).unwrap_or(0)
}

fn path_of(url: &str) -> String {
    url[url.find("/media/").expect("a media url")..].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_out_replaced_and_rejected_files_are_gone() {
    let node = TestNode::start().await;
    let kim = node.create_member("kim").await;

    // A file edited out of a post stops being served and is deleted.
    let a = kim.upload("a.png", "image/png", png(8, 8), "first").await.ok().clone();
    let b = kim.upload("b.png", "image/png", png(9, 9), "second").await.ok().clone();
    let post = kim.post_status(json!({"status": "two pictures", "media_ids": [a["id"], b["id"]]})).await;
    let id = post["id"].as_str().expect("id");
    let a_path = path_of(a["url"].as_str().expect("url"));
    assert_eq!(kim.get(&a_path).await.status, StatusCode::OK);
    kim.put(&format!("/api/v1/statuses/{id}"), json!({"status": "one picture", "media_ids": [b["id"]]})).await.ok();
    assert_eq!(kim.get(&a_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(files_in(&node), 1);

    // Alt text of a published picture changes only by editing the post.
    let r =
        kim.put(&format!("/api/v1/media/{}", b["id"].as_str().expect("id")), json!({"description": "sneaky"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A replaced avatar's old address stops working.
    let first = kim
        .send(reqwest::Method::PATCH, "/api/v1/accounts/update_credentials", |r| {
            r.multipart(
                reqwest::multipart::Form::new()
                    .part("avatar", reqwest::multipart::Part::bytes(png(50, 50)).file_name("a.png")),
            )
        })
        .await
        .ok()
        .clone();
    let old_avatar = path_of(first["avatar"].as_str().expect("avatar"));
    assert_eq!(node.anon().get(&old_avatar).await.status, StatusCode::OK, "avatars are public");
    kim.send(reqwest::Method::PATCH, "/api/v1/accounts/update_credentials", |r| {
        r.multipart(
            reqwest::multipart::Form::new()
                .part("avatar", reqwest::multipart::Part::bytes(png(60, 60)).file_name("b.png")),
        )
    })
    .await
    .ok();
    assert_eq!(node.anon().get(&old_avatar).await.status, StatusCode::NOT_FOUND);
    assert_eq!(files_in(&node), 2, "the post's picture and the new avatar");

    // A compose that fails keeps none of its upload.
    let browser = Browser::new(&node.base_url);
    browser.sign_in("kim", "correct horse battery staple").await;
    let home = browser.get("/").await;
    let long = "x".repeat(5001);
    let failed = browser
        .submit_multipart(
            "/statuses",
            &home.csrf(),
            &[("status", &long), ("visibility", "public")],
            vec![("media", "c.png", png(10, 10))],
        )
        .await;
    assert_eq!(failed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(files_in(&node), 2);

    // Deleting the post deletes its picture.
    kim.delete(&format!("/api/v1/statuses/{id}")).await.ok();
    assert_eq!(files_in(&node), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_only_returns_to_this_site_and_expertise_is_bounded() {
    let node = TestNode::start().await;
    let lee = node.create_member("lee").await;
    let browser = Browser::new(&node.base_url);
    for next in ["/%09/evil.example", "//evil.example", "https://evil.example/", "/%0A"] {
        let form = browser.get(&format!("/login?next={next}")).await;
        assert!(form.has("name=\"next\" value=\"/\""), "next={next} was kept");
    }
    let many: Vec<String> = (0..5000).map(|i| format!("t{i}")).collect();
    let r = lee.patch("/api/khub/v1/profile", json!({"expertise": many})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = lee
        .patch("/api/khub/v1/profile", json!({"expertise": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(lee.get("/api/khub/v1/profile").await.ok()["expertise"].as_array().expect("list").is_empty());
}
