//! Followers-only and direct posts never reach anyone outside their audience through the web
//! UI: profile pages, thread pages, home, local and hashtag timelines, notifications, saved
//! posts and the media files of the post.
mod common;

use common::web::Browser;
use common::{TestNode, png};
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_and_direct_posts_stay_within_their_audience_in_html() {
    let node = TestNode::start().await;
    let author = node.create_member("author").await;
    let follower = node.create_member("follower").await;
    let outsider = node.create_member("outsider").await;
    let _mentioned = node.create_member("mentioned").await;
    follower.post_empty(&format!("/api/v1/accounts/{}/follow", author.id)).await.ok();

    let media = author.upload("secret.png", "image/png", png(20, 20), "A secret chart").await;
    let media_id = media.ok()["id"].as_str().expect("media id").to_owned();
    let public = author.post_status(json!({"status": "PUBLIC-TEXT #budget", "visibility": "public"})).await;
    let private = author
        .post_status(json!({"status": "FOLLOWERS-TEXT #budget", "visibility": "private", "media_ids": [media_id]}))
        .await;
    let direct = author.post_status(json!({"status": "DIRECT-TEXT @mentioned #budget", "visibility": "direct"})).await;
    let (public_id, private_id, direct_id) =
        (public["id"].as_str().expect("id"), private["id"].as_str().expect("id"), direct["id"].as_str().expect("id"));
    let media_url = private["media_attachments"][0]["url"].as_str().expect("media url").to_owned();
    let media_path = &media_url[media_url.find("/media/").expect("media path")..];

    let anon = Browser::new(&node.base_url);
    let as_follower = Browser::new(&node.base_url);
    as_follower.sign_in("follower", PASSWORD).await;
    let as_outsider = Browser::new(&node.base_url);
    as_outsider.sign_in("outsider", PASSWORD).await;
    let as_mentioned = Browser::new(&node.base_url);
    as_mentioned.sign_in("mentioned", PASSWORD).await;
    let as_author = Browser::new(&node.base_url);
    as_author.sign_in("author", PASSWORD).await;

    // (reader, may read followers-only, may read direct)
    let readers = [
        ("anonymous", &anon, false, false),
        ("outsider", &as_outsider, false, false),
        ("follower", &as_follower, true, false),
        ("mentioned", &as_mentioned, false, true),
        ("author", &as_author, true, true),
    ];
    let mut wrong = Vec::new();
    for (who, browser, sees_private, sees_direct) in readers {
        for (path, lists_private, lists_direct) in [
            ("/@author".to_owned(), sees_private, sees_direct),
            ("/local".to_owned(), false, false),
            ("/tags/budget".to_owned(), false, false),
        ] {
            let page = browser.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{who} {path}");
            assert!(page.has("PUBLIC-TEXT"), "{who} should see the public post on {path}");
            if page.has("FOLLOWERS-TEXT") != lists_private {
                wrong.push(format!("{who} on {path}: followers-only shown = {}", page.has("FOLLOWERS-TEXT")));
            }
            if page.has("DIRECT-TEXT") != lists_direct {
                wrong.push(format!("{who} on {path}: direct shown = {}", page.has("DIRECT-TEXT")));
            }
            if page.has("A secret chart") != lists_private {
                wrong.push(format!("{who} on {path}: private image shown"));
            }
        }
        for (id, text, allowed) in
            [(private_id, "FOLLOWERS-TEXT", sees_private), (direct_id, "DIRECT-TEXT", sees_direct)]
        {
            for path in [format!("/@author/{id}"), format!("/statuses/{id}/history"), format!("/statuses/{id}/file")] {
                let page = browser.get(&path).await;
                let shown = page.has(text);
                if shown != allowed {
                    wrong.push(format!("{who} on {path}: shown = {shown}, status {}", page.status));
                }
                if !allowed && who != "anonymous" && page.status != StatusCode::NOT_FOUND {
                    wrong.push(format!("{who} on {path}: status {} instead of 404", page.status));
                }
            }
        }
        if who != "anonymous" {
            let home = browser.get("/").await;
            let home_private = who == "follower" || who == "author";
            if home.has("FOLLOWERS-TEXT") != home_private {
                wrong.push(format!("{who} home: followers-only shown = {}", home.has("FOLLOWERS-TEXT")));
            }
            let home_direct = who == "author";
            if home.has("DIRECT-TEXT") != home_direct {
                wrong.push(format!("{who} home: direct shown = {}", home.has("DIRECT-TEXT")));
            }
            // Acting on a post outside one's audience is refused as if it did not exist.
            if !sees_private {
                let csrf = home.csrf();
                for action in ["favourite", "bookmark", "reblog"] {
                    let res = browser.submit(&format!("/statuses/{private_id}/{action}"), &csrf, &[]).await;
                    if res.status != StatusCode::NOT_FOUND {
                        wrong.push(format!("{who} could {action} the followers-only post: {}", res.status));
                    }
                }
                let saved = browser.get("/bookmarks").await;
                if saved.has("FOLLOWERS-TEXT") {
                    wrong.push(format!("{who} saved the followers-only post"));
                }
            }
        }
    }
    // The mentioned member is notified; nobody else hears of the direct post.
    assert!(as_mentioned.get("/notifications").await.has("DIRECT-TEXT"));
    for (who, b) in [("follower", &as_follower), ("outsider", &as_outsider)] {
        let notes = b.get("/notifications").await;
        if notes.has("DIRECT-TEXT") || notes.has("FOLLOWERS-TEXT") {
            wrong.push(format!("{who} notified of a post outside their audience"));
        }
    }
    // A follower who saved the post loses it from view when they stop following.
    let csrf = as_follower.get("/").await.csrf();
    assert_eq!(
        as_follower.submit(&format!("/statuses/{private_id}/bookmark"), &csrf, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(as_follower.get("/bookmarks").await.has("FOLLOWERS-TEXT"));
    follower.post_empty(&format!("/api/v1/accounts/{}/unfollow", author.id)).await.ok();
    if as_follower.get("/bookmarks").await.has("FOLLOWERS-TEXT") {
        wrong.push("a former follower still sees the saved followers-only post".into());
    }
    if as_follower.get(&format!("/@author/{private_id}")).await.status != StatusCode::NOT_FOUND {
        wrong.push("a former follower can still open the followers-only post".into());
    }
    // The image file follows the post: its audience may fetch it, nobody else, even with the URL.
    for (who, b, allowed) in
        [("anonymous", &anon, false), ("outsider", &as_outsider, false), ("author", &as_author, true)]
    {
        let status = b.get(media_path).await.status;
        if (status == StatusCode::OK) != allowed {
            wrong.push(format!("{who} fetching the followers-only image: {status}"));
        }
    }
    let former = as_follower.get(media_path).await.status;
    if former != StatusCode::NOT_FOUND {
        wrong.push(format!("a former follower fetching the followers-only image: {former}"));
    }
    assert_eq!(anon.get("/media/1-000000000000000000000000.png").await.status, StatusCode::NOT_FOUND);
    let _ = (public_id, &outsider);
    assert!(wrong.is_empty(), "visibility leaks:\n{}", wrong.join("\n"));
}
