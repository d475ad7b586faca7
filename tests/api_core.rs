//! The Mastodon client API, told as stories on a real node over real HTTP: the instance, a
//! member's profile, posting with mentions, tags and pictures, editing and threads, favourites,
//! boosts and bookmarks, following (also a locked account), blocking, paging and deleting.
mod common;

use common::{TestNode, contains_id, ids_of, png};
use reqwest::Method;
use serde_json::{Value, json};

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_instance_presents_itself_as_a_mastodon_4_server() {
    let node = TestNode::start().await;
    let _alice = node.create_member("alice").await;
    let anon = node.anon();

    let v1 = anon.get("/api/v1/instance").await.ok().clone();
    assert_eq!(v1["uri"], node.domain.as_str());
    assert_mastodon_4(s(&v1["version"]));
    assert_eq!(v1["stats"]["user_count"], 1);
    assert_eq!(v1["registrations"], true);
    assert_eq!(v1["configuration"]["statuses"]["max_characters"], 5000);
    assert!(v1["configuration"]["media_attachments"]["supported_mime_types"].as_array().is_some());

    let v2 = anon.get("/api/v2/instance").await.ok().clone();
    assert_eq!(v2["domain"], node.domain.as_str());
    assert_mastodon_4(s(&v2["version"]));
    assert_eq!(v2["registrations"]["enabled"], true);
    assert_eq!(v2["configuration"]["statuses"]["max_characters"], 5000);
    assert!(s(&v2["configuration"]["urls"]["streaming"]).starts_with("ws://"));
    assert!(v2["title"].is_string() && v2["description"].is_string());
}

/// Client libraries read the leading `MAJOR.MINOR.PATCH` of `version` as Mastodon's.
fn assert_mastodon_4(version: &str) {
    let semver = version.split_whitespace().next().unwrap_or_default();
    let parts: Vec<u32> = semver.split('.').map(|p| p.parse().expect("numeric version part")).collect();
    assert_eq!(parts.len(), 3, "version {version:?} is not MAJOR.MINOR.PATCH first");
    assert_eq!(parts[0], 4, "version {version:?} is not Mastodon 4.x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_keeps_a_professional_profile_that_mastodon_apps_can_show() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;

    let me = alice.me().await;
    assert_eq!(me["id"], alice.id.as_str());
    assert_eq!(me["username"], "alice");
    assert_eq!(me["acct"], "alice");
    assert_eq!(me["url"], node.url("/@alice").as_str());
    assert!(me["source"].is_object(), "verify_credentials carries the source: {me}");

    // Mastodon's update_credentials, with khub's professional keys alongside.
    let updated = alice
        .patch(
            "/api/v1/accounts/update_credentials",
            json!({
                "display_name": "Alice Archer",
                "note": "Housing policy & data.\n\nAsk me about damp.",
                "fields_attributes": [{ "name": "Website", "value": "https://alice.example.org" }],
                "job_title": "Policy lead",
                "organisation": "Leeds City Council",
                "location": "Leeds",
                "expertise": ["Housing", "#Damp and mould", "housing"],
            }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(updated["display_name"], "Alice Archer");
    assert_eq!(updated["note"], "<p>Housing policy &amp; data.</p><p>Ask me about damp.</p>");
    assert_eq!(
        field_pairs(&updated),
        vec![
            ("Job title".into(), "Policy lead".into()),
            ("Organisation".into(), "Leeds City Council".into()),
            ("Location".into(), "Leeds".into()),
            ("Expertise".into(), "housing, damp and mould".into()),
            ("Website".into(), "<a href=\"https://alice.example.org\" rel=\"nofollow noopener noreferrer me\" target=\"_blank\">alice.example.org</a>".into()),
        ]
    );
    assert_eq!(updated["source"]["note"], "Housing policy & data.\n\nAsk me about damp.");
    assert_eq!(updated["source"]["fields"][0]["value"], "https://alice.example.org");

    // Everyone else sees the same profile.
    let public = node.anon().get(&format!("/api/v1/accounts/{}", alice.id)).await.ok().clone();
    assert_eq!(public["display_name"], "Alice Archer");
    assert_eq!(field_pairs(&public), field_pairs(&updated));
    assert!(public.get("source").is_none(), "the source is for the owner only");

    // Form-encoded, as many apps send it: links replace the old ones.
    let form = alice
        .form(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            &[
                ("fields_attributes[0][name]", "Blog"),
                ("fields_attributes[0][value]", "plain words"),
                ("locked", "false"),
            ],
        )
        .await;
    assert_eq!(form.ok()["fields"].as_array().map(Vec::len), Some(5));
    assert_eq!(form.ok()["fields"][4]["name"], "Blog");
    assert_eq!(form.ok()["fields"][4]["value"], "plain words");

    // khub's own profile API edits the same profile.
    let profile = alice
        .patch(
            "/api/khub/v1/profile",
            json!({
                "job_title": "Head of housing data",
                "organisation": "West Yorkshire Combined Authority",
                "location": "Wakefield",
                "expertise": ["Housing", "Open data", "Retrofit"],
            }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(profile["job_title"], "Head of housing data");
    let read = alice.get("/api/khub/v1/profile").await.ok().clone();
    assert_eq!(read["id"], alice.id.as_str());
    assert_eq!(read["username"], "alice");
    assert_eq!(read["job_title"], "Head of housing data");
    assert_eq!(read["organisation"], "West Yorkshire Combined Authority");
    assert_eq!(read["location"], "Wakefield");
    assert_eq!(read["expertise"], json!(["housing", "open data", "retrofit"]));
    assert_eq!(read["display_name"], "Alice Archer", "untouched keys stay");
    assert_eq!(read["links"], json!([{ "name": "Blog", "value": "plain words" }]));

    let by_name = node.anon().get("/api/khub/v1/profiles/alice").await.ok().clone();
    assert_eq!(by_name["job_title"], "Head of housing data");

    let account = node.anon().get(&format!("/api/v1/accounts/{}", alice.id)).await.ok().clone();
    let fields = field_pairs(&account);
    assert_eq!(fields[0], ("Job title".into(), "Head of housing data".into()));
    assert_eq!(fields[1], ("Organisation".into(), "West Yorkshire Combined Authority".into()));
    assert_eq!(fields[2], ("Location".into(), "Wakefield".into()));
    assert_eq!(fields[3], ("Expertise".into(), "housing, open data, retrofit".into()));
    assert_eq!(account["khub"]["expertise"], json!(["housing", "open data", "retrofit"]));
}

fn field_pairs(account: &Value) -> Vec<(String, String)> {
    account["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| (s(&f["name"]).to_owned(), s(&f["value"]).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_with_markdown_a_mention_a_tag_and_a_picture() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;

    let post = alice
        .post_status(json!({
            "status": "Hello @bob, the **damp survey** is out. #Housing <b onclick=\"x()\">hi</b>",
        }))
        .await;
    let content = s(&post["content"]);
    assert!(content.contains("<strong>damp survey</strong>"), "{content}");
    assert!(content.contains(&format!("href=\"{}\"", node.url("/@bob"))), "mention links to the profile: {content}");
    assert!(content.contains(&format!("href=\"{}\"", node.url("/tags/housing"))), "tag links to the tag: {content}");
    assert!(
        !content.contains("<b") && content.contains("&lt;b onclick"),
        "raw HTML is shown, never interpreted: {content}"
    );
    assert_eq!(post["visibility"], "public");
    assert_eq!(post["account"]["id"], alice.id.as_str());
    assert_eq!(post["mentions"].as_array().map(Vec::len), Some(1));
    assert_eq!(post["mentions"][0]["id"], bob.id.as_str());
    assert_eq!(post["mentions"][0]["acct"], "bob");
    assert_eq!(post["tags"], json!([{ "name": "housing", "url": node.url("/tags/housing") }]));

    // Bob hears about it.
    let notes = bob.get("/api/v1/notifications").await;
    let notes = notes.list();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["type"], "mention");
    assert_eq!(notes[0]["account"]["id"], alice.id.as_str());
    assert_eq!(notes[0]["status"]["id"], post["id"]);

    // A picture with alt text.
    let media = alice.upload("chart.png", "image/png", png(64, 48), "Bar chart of damp reports by ward").await;
    let media = media.ok().clone();
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "Bar chart of damp reports by ward");
    assert_eq!(media["meta"]["original"]["width"], 64);
    assert_eq!(media["meta"]["original"]["height"], 48);
    let media_id = s(&media["id"]).to_owned();
    assert_eq!(alice.get(&format!("/api/v1/media/{media_id}")).await.ok()["id"], media_id.as_str());

    let with_picture = alice.post_status(json!({ "status": "Reports by ward", "media_ids": [media_id.clone()] })).await;
    let attachments = with_picture["media_attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["id"], media_id.as_str());
    assert_eq!(attachments[0]["description"], "Bar chart of damp reports by ward");
    let read_back = bob.get(&format!("/api/v1/statuses/{}", s(&with_picture["id"]))).await;
    assert_eq!(read_back.ok()["media_attachments"][0]["description"], "Bar chart of damp reports by ward");

    // A picture attached once cannot be attached again.
    let again = alice.post("/api/v1/statuses", json!({ "status": "again", "media_ids": [media_id] })).await;
    again.expect(422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_keeps_history_and_replies_form_a_thread() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;

    let post = alice.post_status(json!({ "status": "Survey closes on Friday" })).await;
    let id = s(&post["id"]).to_owned();
    assert!(post["edited_at"].is_null());

    let edited = alice.put(&format!("/api/v1/statuses/{id}"), json!({ "status": "Survey closes on *Monday*" })).await;
    let edited = edited.ok().clone();
    assert_eq!(edited["id"], id.as_str());
    assert!(s(&edited["content"]).contains("<em>Monday</em>"));
    assert!(edited["edited_at"].is_string());

    let history = bob.get(&format!("/api/v1/statuses/{id}/history")).await;
    let history = history.list();
    assert_eq!(history.len(), 2, "the original and the edit: {history:?}");
    assert!(s(&history[0]["content"]).contains("Friday"));
    assert!(s(&history[1]["content"]).contains("<em>Monday</em>"));
    assert_eq!(history[1]["account"]["id"], alice.id.as_str());

    let source = alice.get(&format!("/api/v1/statuses/{id}/source")).await;
    assert_eq!(source.ok()["text"], "Survey closes on *Monday*");

    // Bob replies; Alice replies to Bob.
    let reply = bob.post_status(json!({ "status": "Thanks!", "in_reply_to_id": id })).await;
    assert_eq!(reply["in_reply_to_id"], id.as_str());
    assert_eq!(reply["in_reply_to_account_id"], alice.id.as_str());
    let answer = alice.post_status(json!({ "status": "You're welcome", "in_reply_to_id": reply["id"] })).await;

    let ctx = bob.get(&format!("/api/v1/statuses/{id}/context")).await.ok().clone();
    assert_eq!(ctx["ancestors"], json!([]));
    assert_eq!(
        ids_of(ctx["descendants"].as_array().expect("descendants")),
        vec![s(&reply["id"]).to_owned(), s(&answer["id"]).to_owned()]
    );
    let ctx = node.anon().get(&format!("/api/v1/statuses/{}/context", s(&answer["id"]))).await.ok().clone();
    assert_eq!(ids_of(ctx["ancestors"].as_array().expect("ancestors")), vec![id.clone(), s(&reply["id"]).to_owned()]);
    assert_eq!(ctx["descendants"], json!([]));

    let original = node.anon().get(&format!("/api/v1/statuses/{id}")).await.ok().clone();
    assert_eq!(original["replies_count"], 1);

    // Alice was told about the reply.
    let notes = alice.get("/api/v1/notifications?types[]=mention").await;
    assert_eq!(notes.list().len(), 1);
    assert_eq!(notes.list()[0]["status"]["id"], reply["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favourites_boosts_and_bookmarks_and_their_undoing() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let post = alice.post_status(json!({ "status": "New guidance on retrofit grants" })).await;
    let id = s(&post["id"]).to_owned();
    let path = |action: &str| format!("/api/v1/statuses/{id}/{action}");

    // Favourite.
    let fav = bob.post_empty(&path("favourite")).await.ok().clone();
    assert_eq!((fav["favourited"].clone(), fav["favourites_count"].clone()), (json!(true), json!(1)));
    assert_eq!(bob.post_empty(&path("favourite")).await.ok()["favourites_count"], 1, "favouriting twice counts once");
    assert_eq!(ids_of(bob.get("/api/v1/favourites").await.list()), vec![id.clone()]);
    let notes = alice.get("/api/v1/notifications").await;
    assert_eq!(kinds(notes.list()), vec!["favourite"]);
    assert_eq!(notes.list()[0]["account"]["id"], bob.id.as_str());
    assert_eq!(notes.list()[0]["status"]["id"], id.as_str());

    let unfav = bob.post_empty(&path("unfavourite")).await.ok().clone();
    assert_eq!((unfav["favourited"].clone(), unfav["favourites_count"].clone()), (json!(false), json!(0)));
    assert!(bob.get("/api/v1/favourites").await.list().is_empty());
    assert!(alice.get("/api/v1/notifications").await.list().is_empty(), "an undone favourite is not news");

    // Boost.
    let boost = bob.post_empty(&path("reblog")).await.ok().clone();
    assert_eq!(boost["reblog"]["id"], id.as_str());
    assert_eq!(boost["account"]["id"], bob.id.as_str());
    assert_eq!(boost["reblog"]["reblogged"], true);
    assert_eq!(boost["reblog"]["reblogs_count"], 1);
    let seen = alice.get(&format!("/api/v1/statuses/{id}")).await.ok().clone();
    assert_eq!((seen["reblogs_count"].clone(), seen["reblogged"].clone()), (json!(1), json!(false)));
    let bobs = node.anon().get(&format!("/api/v1/accounts/{}/statuses", bob.id)).await;
    assert_eq!(bobs.list().len(), 1);
    assert_eq!(bobs.list()[0]["reblog"]["id"], id.as_str());
    assert_eq!(kinds(alice.get("/api/v1/notifications").await.list()), vec!["reblog"]);

    let unboost = bob.post_empty(&path("unreblog")).await.ok().clone();
    assert_eq!(unboost["id"], id.as_str());
    assert_eq!((unboost["reblogged"].clone(), unboost["reblogs_count"].clone()), (json!(false), json!(0)));
    assert!(node.anon().get(&format!("/api/v1/accounts/{}/statuses", bob.id)).await.list().is_empty());
    assert!(alice.get("/api/v1/notifications").await.list().is_empty());

    // Bookmark: private to Bob, no notification.
    let marked = bob.post_empty(&path("bookmark")).await.ok().clone();
    assert_eq!(marked["bookmarked"], true);
    assert_eq!(ids_of(bob.get("/api/v1/bookmarks").await.list()), vec![id.clone()]);
    assert_eq!(alice.get(&format!("/api/v1/statuses/{id}")).await.ok()["bookmarked"], false);
    assert!(alice.get("/api/v1/notifications").await.list().is_empty());
    let unmarked = bob.post_empty(&path("unbookmark")).await.ok().clone();
    assert_eq!(unmarked["bookmarked"], false);
    assert!(bob.get("/api/v1/bookmarks").await.list().is_empty());
}

fn kinds(notes: &[Value]) -> Vec<&str> {
    notes.iter().map(|n| s(&n["type"])).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_fills_the_home_timeline_and_locked_accounts_approve_followers() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    let hello = alice.post_status(json!({ "status": "Hello from Leeds" })).await;
    let hello = s(&hello["id"]).to_owned();

    assert!(!contains_id(bob.get("/api/v1/timelines/home").await.list(), &hello));
    let rel = bob.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.ok().clone();
    assert_eq!(rel["id"], alice.id.as_str());
    assert_eq!(rel["following"], true);
    assert_eq!(kinds(alice.get("/api/v1/notifications").await.list()), vec!["follow"]);
    assert!(contains_id(bob.get("/api/v1/timelines/home").await.list(), &hello));
    let later = alice.post_status(json!({ "status": "And again" })).await;
    assert_eq!(ids_of(bob.get("/api/v1/timelines/home").await.list()), vec![s(&later["id"]).to_owned(), hello.clone()]);
    let counts = node.anon().get(&format!("/api/v1/accounts/{}", alice.id)).await.ok().clone();
    assert_eq!((counts["followers_count"].clone(), counts["statuses_count"].clone()), (json!(1), json!(2)));
    let followers = node.anon().get(&format!("/api/v1/accounts/{}/followers", alice.id)).await;
    assert_eq!(ids_of(followers.list()), vec![bob.id.clone()]);

    let rel = bob.post_empty(&format!("/api/v1/accounts/{}/unfollow", alice.id)).await.ok().clone();
    assert_eq!(rel["following"], false);
    assert!(bob.get("/api/v1/timelines/home").await.list().is_empty());

    // Carol locks her account: following her takes her approval.
    let locked = carol.patch("/api/v1/accounts/update_credentials", json!({ "locked": true })).await;
    assert_eq!(locked.ok()["locked"], true);
    let secret = carol.post_status(json!({ "status": "Followers only", "visibility": "private" })).await;
    let secret = s(&secret["id"]).to_owned();

    let rel = bob.post_empty(&format!("/api/v1/accounts/{}/follow", carol.id)).await.ok().clone();
    assert_eq!((rel["following"].clone(), rel["requested"].clone()), (json!(false), json!(true)));
    assert_eq!(ids_of(carol.get("/api/v1/follow_requests").await.list()), vec![bob.id.clone()]);
    assert_eq!(carol.me().await["source"]["follow_requests_count"], 1);
    assert_eq!(kinds(carol.get("/api/v1/notifications").await.list()), vec!["follow_request"]);
    bob.get(&format!("/api/v1/statuses/{secret}")).await.expect(404);

    let rel = carol.post_empty(&format!("/api/v1/follow_requests/{}/authorize", bob.id)).await.ok().clone();
    assert_eq!(rel["id"], bob.id.as_str());
    assert_eq!(rel["followed_by"], true);
    let rels = bob.get(&format!("/api/v1/accounts/relationships?id[]={}", carol.id)).await;
    assert_eq!(rels.list()[0]["following"], true);
    assert_eq!(rels.list()[0]["requested"], false);
    assert!(carol.get("/api/v1/follow_requests").await.list().is_empty());
    assert_eq!(kinds(carol.get("/api/v1/notifications").await.list()), vec!["follow"]);
    assert!(contains_id(bob.get("/api/v1/timelines/home").await.list(), &secret));
    bob.get(&format!("/api/v1/statuses/{secret}")).await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_hides_posts_both_ways() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    bob.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.ok();
    alice.post_empty(&format!("/api/v1/accounts/{}/follow", bob.id)).await.ok();
    let hers = alice.post_status(json!({ "status": "Alice's post #roads" })).await;
    let his = bob.post_status(json!({ "status": "Bob's post #roads" })).await;
    let (hers, his) = (s(&hers["id"]).to_owned(), s(&his["id"]).to_owned());
    assert_eq!(bob.get("/api/v1/timelines/home").await.list().len(), 2);

    let rel = alice.post_empty(&format!("/api/v1/accounts/{}/block", bob.id)).await.ok().clone();
    assert_eq!(rel["blocking"], true);
    assert_eq!((rel["following"].clone(), rel["followed_by"].clone()), (json!(false), json!(false)));
    let theirs = bob.get(&format!("/api/v1/accounts/relationships?id={}", alice.id)).await;
    assert_eq!(theirs.list()[0]["blocked_by"], true);

    // Bob no longer sees Alice…
    bob.get(&format!("/api/v1/statuses/{hers}")).await.expect(404);
    bob.get(&format!("/api/v1/statuses/{hers}/context")).await.expect(404);
    assert!(bob.get(&format!("/api/v1/accounts/{}/statuses", alice.id)).await.list().is_empty());
    assert_eq!(ids_of(bob.get("/api/v1/timelines/home").await.list()), vec![his.clone()]);
    assert_eq!(ids_of(bob.get("/api/v1/timelines/public").await.list()), vec![his.clone()]);
    assert_eq!(ids_of(bob.get("/api/v1/timelines/tag/roads").await.list()), vec![his.clone()]);
    bob.post_empty(&format!("/api/v1/statuses/{hers}/favourite")).await.expect(404);
    bob.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.expect(403);
    bob.post("/api/v1/statuses", json!({ "status": "hi", "in_reply_to_id": hers })).await.expect(404);
    // …and Alice no longer sees Bob.
    alice.get(&format!("/api/v1/statuses/{his}")).await.expect(404);
    assert!(alice.get(&format!("/api/v1/accounts/{}/statuses", bob.id)).await.list().is_empty());
    assert_eq!(ids_of(alice.get("/api/v1/timelines/home").await.list()), vec![hers.clone()]);
    assert_eq!(ids_of(alice.get("/api/v1/timelines/public").await.list()), vec![hers.clone()]);
    // A mention from Bob does not reach Alice.
    bob.post_status(json!({ "status": "@alice are you there?" })).await;
    assert!(kinds(alice.get("/api/v1/notifications").await.list()).iter().all(|k| *k == "follow"));

    // Strangers still see both.
    assert_eq!(node.anon().get("/api/v1/timelines/public").await.list().len(), 3);

    let rel = alice.post_empty(&format!("/api/v1/accounts/{}/unblock", bob.id)).await.ok().clone();
    assert_eq!(rel["blocking"], false);
    bob.get(&format!("/api/v1/statuses/{hers}")).await.ok();
    alice.get(&format!("/api/v1/statuses/{his}")).await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_through_the_home_timeline_with_link_headers() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let mut posted = Vec::new();
    for n in 1..=5 {
        let p = alice.post_status(json!({ "status": format!("Post number {n}") })).await;
        posted.push(s(&p["id"]).to_owned());
    }
    let newest_first: Vec<String> = posted.iter().rev().cloned().collect();

    // Follow rel="next" until a page comes back empty.
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/timelines/home?limit=2".to_owned());
    let mut pages = 0;
    while let Some(url) = next.take() {
        let page = alice.get(&url).await;
        let items = page.list().clone();
        if items.is_empty() {
            break;
        }
        assert!(items.len() <= 2, "limit=2 was not respected: {}", items.len());
        seen.extend(ids_of(&items));
        next = page.link("next");
        assert!(next.as_deref().is_some_and(|u| u.contains("limit=2")), "the next link keeps the limit: {next:?}");
        assert!(page.link("prev").is_some());
        pages += 1;
        assert!(pages <= 5, "paging does not end");
    }
    assert_eq!(seen, newest_first, "all five, newest first, each exactly once");
    assert_eq!(pages, 3);

    // since_id: the newest after an id; min_id: the ones right after it.
    let since = alice.get(&format!("/api/v1/timelines/home?limit=2&since_id={}", posted[0])).await;
    assert_eq!(ids_of(since.list()), vec![posted[4].clone(), posted[3].clone()]);
    let min = alice.get(&format!("/api/v1/timelines/home?limit=2&min_id={}", posted[0])).await;
    assert_eq!(ids_of(min.list()), vec![posted[2].clone(), posted[1].clone()]);
    // Reading upwards from min_id with rel="prev" ends at the newest.
    let prev = min.link("prev").expect("prev link");
    let up = alice.get(&prev).await;
    assert_eq!(ids_of(up.list()), vec![posted[4].clone(), posted[3].clone()]);
    let max = alice.get(&format!("/api/v1/timelines/home?max_id={}", posted[2])).await;
    assert_eq!(ids_of(max.list()), vec![posted[1].clone(), posted[0].clone()]);
    let none = alice.get(&format!("/api/v1/timelines/home?since_id={}", posted[4])).await;
    assert!(none.list().is_empty());
    assert!(none.link("next").is_none());

    // The same paging on a profile.
    let first = node.anon().get(&format!("/api/v1/accounts/{}/statuses?limit=3", alice.id)).await;
    assert_eq!(ids_of(first.list()), newest_first[..3].to_vec());
    let second = node.anon().get(&first.link("next").expect("next")).await;
    assert_eq!(ids_of(second.list()), newest_first[3..].to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_post_is_gone_everywhere() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    bob.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.ok();
    let media = alice.upload("map.png", "image/png", png(20, 20), "Map of the ward").await.ok().clone();
    let keep = alice.post_status(json!({ "status": "This one stays #parks" })).await;
    let post = alice.post_status(json!({ "status": "Mistake, @bob #parks", "media_ids": [media["id"]] })).await;
    let id = s(&post["id"]).to_owned();
    bob.post_empty(&format!("/api/v1/statuses/{id}/favourite")).await.ok();
    bob.post_empty(&format!("/api/v1/statuses/{id}/bookmark")).await.ok();
    bob.post_empty(&format!("/api/v1/statuses/{id}/reblog")).await.ok();
    assert_eq!(alice.me().await["statuses_count"], 2);

    // Bob cannot delete it; Alice can, and gets the source back to redraft.
    bob.delete(&format!("/api/v1/statuses/{id}")).await.expect(403);
    let deleted = alice.delete(&format!("/api/v1/statuses/{id}")).await.ok().clone();
    assert_eq!(deleted["id"], id.as_str());
    assert_eq!(deleted["text"], "Mistake, @bob #parks");

    for reader in [&alice.api, &bob.api, &node.anon()] {
        reader.get(&format!("/api/v1/statuses/{id}")).await.expect(404);
        reader.get(&format!("/api/v1/statuses/{id}/context")).await.expect(404);
        let keep_id = s(&keep["id"]);
        assert_eq!(ids_of(reader.get("/api/v1/timelines/public").await.list()), vec![keep_id.to_owned()]);
        assert_eq!(ids_of(reader.get("/api/v1/timelines/tag/parks").await.list()), vec![keep_id.to_owned()]);
        let profile = reader.get(&format!("/api/v1/accounts/{}/statuses", alice.id)).await;
        assert_eq!(ids_of(profile.list()), vec![keep_id.to_owned()]);
    }
    assert_eq!(ids_of(bob.get("/api/v1/timelines/home").await.list()), vec![s(&keep["id"]).to_owned()]);
    assert!(bob.get("/api/v1/bookmarks").await.list().is_empty());
    assert!(bob.get("/api/v1/favourites").await.list().is_empty());
    assert!(
        node.anon().get(&format!("/api/v1/accounts/{}/statuses", bob.id)).await.list().is_empty(),
        "the boost went too"
    );
    assert!(kinds(bob.get("/api/v1/notifications").await.list()).is_empty(), "the mention went too");
    assert!(kinds(alice.get("/api/v1/notifications").await.list()).iter().all(|k| *k == "follow"));
    assert_eq!(alice.me().await["statuses_count"], 1);
    alice.get(&format!("/api/v1/media/{}", s(&media["id"]))).await.expect(404);
    alice.delete(&format!("/api/v1/statuses/{id}")).await.expect(404);
}

/// Every paged list pages the same way: `rel="next"` walks down to the oldest, and each page's
/// `rel="prev"` gives back the page before it (`min_id`: the items right after, not the newest).
async fn assert_pages_both_ways(api: &common::Api, first: &str, newest_first: &[String]) {
    let mut pages: Vec<(Vec<String>, Option<String>)> = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(url) = next.take() {
        let page = api.get(&url).await;
        let ids = ids_of(page.list());
        if ids.is_empty() {
            break;
        }
        next = page.link("next");
        pages.push((ids, page.link("prev")));
        assert!(pages.len() <= newest_first.len(), "{first}: paging does not end");
    }
    let all: Vec<String> = pages.iter().flat_map(|(ids, _)| ids.clone()).collect();
    assert_eq!(all, newest_first, "{first}: next links give everything once, newest first");
    for n in 1..pages.len() {
        let prev = pages[n].1.clone().unwrap_or_else(|| panic!("{first}: page {n} has no prev link"));
        let back = ids_of(api.get(&prev).await.list());
        assert_eq!(back, pages[n - 1].0, "{first}: prev of page {n} ({prev})");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_pages_with_link_headers_both_ways() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let lena = node.create_member("lena").await;
    lena.patch("/api/v1/accounts/update_credentials", json!({ "locked": true })).await.ok();
    let mut others = Vec::new();
    for name in ["m1", "m2", "m3", "m4", "m5"] {
        others.push(node.create_member(name).await);
    }
    let mut posts = Vec::new();
    for n in 1..=5 {
        posts.push(s(&alice.post_status(json!({ "status": format!("#paging post {n}") })).await["id"]).to_owned());
    }
    for (m, p) in others.iter().zip(&posts) {
        m.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.ok();
        alice.post_empty(&format!("/api/v1/accounts/{}/follow", m.id)).await.ok();
        m.post_empty(&format!("/api/v1/accounts/{}/follow", lena.id)).await.ok();
        alice.post_empty(&format!("/api/v1/statuses/{p}/favourite")).await.ok();
        alice.post_empty(&format!("/api/v1/statuses/{p}/bookmark")).await.ok();
    }
    let newest = |v: &[String]| -> Vec<String> { v.iter().rev().cloned().collect() };
    let members: Vec<String> = others.iter().map(|m| m.id.clone()).collect();
    let a = &alice.id;

    assert_pages_both_ways(&alice, "/api/v1/timelines/home?limit=2", &newest(&posts)).await;
    assert_pages_both_ways(&alice, "/api/v1/timelines/public?limit=2", &newest(&posts)).await;
    assert_pages_both_ways(&alice, "/api/v1/timelines/tag/paging?limit=2", &newest(&posts)).await;
    assert_pages_both_ways(&alice, &format!("/api/v1/accounts/{a}/statuses?limit=2"), &newest(&posts)).await;
    assert_pages_both_ways(&alice, "/api/v1/bookmarks?limit=2", &newest(&posts)).await;
    assert_pages_both_ways(&alice, "/api/v1/favourites?limit=2", &newest(&posts)).await;
    assert_pages_both_ways(&alice, &format!("/api/v1/accounts/{a}/followers?limit=2"), &newest(&members)).await;
    assert_pages_both_ways(&alice, &format!("/api/v1/accounts/{a}/following?limit=2"), &newest(&members)).await;
    assert_pages_both_ways(&lena, "/api/v1/follow_requests?limit=2", &newest(&members)).await;
    let notes = alice.get("/api/v1/notifications?limit=40").await;
    assert_eq!(notes.list().len(), 5, "five follows");
    let note_ids = ids_of(notes.list());
    assert_pages_both_ways(&alice, "/api/v1/notifications?limit=2", &note_ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muted_account_stays_out_of_home_even_when_boosted() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    alice.post_empty(&format!("/api/v1/accounts/{}/follow", bob.id)).await.ok();
    alice.post_empty(&format!("/api/v1/accounts/{}/follow", carol.id)).await.ok();
    let noisy = carol.post_status(json!({ "status": "So much noise" })).await;
    let boost = bob.post_empty(&format!("/api/v1/statuses/{}/reblog", s(&noisy["id"]))).await.ok().clone();
    let quiet = bob.post_status(json!({ "status": "Quiet and useful" })).await;
    assert_eq!(alice.get("/api/v1/timelines/home").await.list().len(), 3);

    let rel = alice.post_empty(&format!("/api/v1/accounts/{}/mute", carol.id)).await.ok().clone();
    assert_eq!(rel["muting"], true);
    let home = ids_of(alice.get("/api/v1/timelines/home").await.list());
    assert_eq!(
        home,
        vec![s(&quiet["id"]).to_owned()],
        "neither Carol's post nor Bob's boost of it (boost {})",
        boost["id"]
    );
    // Muting is not blocking: her post can still be opened.
    alice.get(&format!("/api/v1/statuses/{}", s(&noisy["id"]))).await.ok();
}
