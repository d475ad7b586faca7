//! Contract tests: every Mastodon entity khub serves, checked field by field against Mastodon's
//! documentation (docs.joinmastodon.org/entities), over real HTTP; and the `Link` header of every
//! paginated endpoint, checked against the documented paging rules.
//!
//! The entity tables (tests/contract/schema.rs) follow the documentation at the API level khub announces
//! (Mastodon 4.3, `api_versions.mastodon = 2`): every attribute documented up to 4.3 and not
//! marked optional must be present with its documented JSON type (string ids, RFC 3339
//! datetimes, `null` only where documented nullable, arrays never missing, integers for counts).
//! Optional attributes, and attributes added after 4.3 (`Newer`), are type-checked when present.
//! Nested entities are checked recursively, and the test fails if an entity of the table was
//! never seen, so the table and the story stay in step.
mod common;

#[path = "contract/schema.rs"]
mod schema;

use common::{Member, TestNode, png};
use reqwest::Method;
use schema::{Contract, K};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------------------
// A node with something of everything
// ---------------------------------------------------------------------------------------------

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}")).to_owned()
}

async fn post(m: &Member, body: Value) -> String {
    s(&m.post_status(body).await["id"])
}

const TAG: &str = "contractcheck";

/// Alice and her colleagues, with posts, lists, filters, conversations, blocks, mutes and
/// everything else a Mastodon app can list, at least three of each so that paging has pages.
struct World {
    node: TestNode,
    alice: Member,
    bob: Member,
    carol: Member,
    dave: Member,
    lou: Member,
    /// Alice's first post: edited, pinned, favourited, boosted and replied to.
    a1: String,
    /// Bob's posts, favourited and bookmarked by Alice.
    bob_posts: Vec<String>,
    list: String,
    remote_account: i64,
    remote_status: i64,
}

async fn world() -> World {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    let dave = node.create_member("dave").await;
    let lou = node.create_member("lou").await;
    let blocked =
        [node.create_member("xena").await, node.create_member("xavi").await, node.create_member("xeno").await];
    let muted = [node.create_member("yuri").await, node.create_member("yves").await, node.create_member("yoko").await];
    let colleagues = [&bob, &carol, &dave];

    // Follows both ways between Alice and her colleagues; three requests to locked Lou.
    alice.patch("/api/v1/accounts/update_credentials", json!({ "note": "Housing officer.\n\nBristol" })).await.ok();
    lou.patch("/api/v1/accounts/update_credentials", json!({ "locked": true })).await.ok();
    for c in colleagues {
        alice.post_empty(&format!("/api/v1/accounts/{}/follow", c.id)).await.ok();
        c.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.ok();
        c.post_empty(&format!("/api/v1/accounts/{}/follow", lou.id)).await.ok();
    }
    for b in &blocked {
        alice.post_empty(&format!("/api/v1/accounts/{}/block", b.id)).await.ok();
    }
    for m in &muted {
        alice.post(&format!("/api/v1/accounts/{}/mute", m.id), json!({ "duration": 3600 })).await.ok();
    }
    for d in ["a.example", "b.example", "c.example"] {
        alice.post("/api/v1/domain_blocks", json!({ "domain": d })).await.ok();
    }
    for t in ["housing", "schools", "libraries"] {
        alice.post_empty(&format!("/api/v1/tags/{t}/follow")).await.ok();
    }

    // Posts: Alice's with the tag (one with an image, one with a document, one with a warning).
    let image = s(&alice.upload("plan.png", "image/png", png(8, 6), "A floor plan").await.ok()["id"]);
    let a1 = post(&alice, json!({ "status": format!("Draft housing plan #{TAG}"), "language": "en" })).await;
    post(&alice, json!({ "status": format!("The plan, drawn #{TAG}"), "media_ids": [image] })).await;
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let doc = s(&alice.upload("minutes.pdf", "application/pdf", pdf, "Minutes").await.ok()["id"]);
    post(&alice, json!({ "status": format!("Minutes #{TAG}"), "media_ids": [doc] })).await;
    post(&alice, json!({ "status": format!("Spoilers #{TAG}"), "spoiler_text": "Budget", "sensitive": true })).await;
    let mut bob_posts = Vec::new();
    for i in 0..3 {
        bob_posts.push(post(&bob, json!({ "status": format!("Bob's update {i} about the spoon budget") })).await);
    }
    post(&carol, json!({ "status": "Carol's news" })).await;
    post(&dave, json!({ "status": "Dave's news" })).await;

    // Interactions with Alice's first post; a reply that mentions her; an edit; a pin.
    for c in colleagues {
        c.post_empty(&format!("/api/v1/statuses/{a1}/favourite")).await.ok();
        c.post_empty(&format!("/api/v1/statuses/{a1}/reblog")).await.ok();
    }
    post(&bob, json!({ "status": "@alice looks good", "in_reply_to_id": a1 })).await;
    alice.put(&format!("/api/v1/statuses/{a1}"), json!({ "status": format!("Housing plan, v2 #{TAG}") })).await.ok();
    alice.post_empty(&format!("/api/v1/statuses/{a1}/pin")).await.ok();
    for b in &bob_posts {
        alice.post_empty(&format!("/api/v1/statuses/{b}/favourite")).await.ok();
        alice.post_empty(&format!("/api/v1/statuses/{b}/bookmark")).await.ok();
    }
    // Three direct conversations.
    for c in colleagues {
        let text = format!("@{} a private word", c.name);
        post(&alice, json!({ "status": text, "visibility": "direct" })).await;
    }
    // A list of the three colleagues.
    let list = s(&alice.post("/api/v1/lists", json!({ "title": "Colleagues" })).await.ok()["id"]);
    let ids: Vec<&str> = colleagues.iter().map(|c| c.id.as_str()).collect();
    alice.post(&format!("/api/v1/lists/{list}/accounts"), json!({ "account_ids": ids })).await.ok();
    // A filter that warns about spoons at home.
    alice
        .post(
            "/api/v2/filters",
            json!({ "title": "Cutlery", "context": ["home", "public"], "filter_action": "warn",
                    "keywords_attributes": [{ "keyword": "spoon", "whole_word": true }] }),
        )
        .await
        .ok();

    let (remote_account, remote_status) = remote_author(&node).await;
    World { node, alice, bob, carol, dave, lou, a1, bob_posts, list, remote_account, remote_status }
}

/// A remote account and its public post, stored the way federation stores them (from their
/// ActivityStreams JSON), without any network.
async fn remote_author(node: &TestNode) -> (i64, i64) {
    use activitypub_federation::traits::Object;
    let data = node.state.federation_data().expect("federation data");
    let person: khub::federation::protocol::Person = serde_json::from_value(json!({
        "type": "Person",
        "id": "https://remote.example/users/rita",
        "preferredUsername": "rita",
        "name": "Rita Remote",
        "summary": "<p>Planner at a remote council</p>",
        "inbox": "https://remote.example/users/rita/inbox",
        "outbox": "https://remote.example/users/rita/outbox",
        "followers": "https://remote.example/users/rita/followers",
        "url": "https://remote.example/@rita",
        "publicKey": {
            "id": "https://remote.example/users/rita#main-key",
            "owner": "https://remote.example/users/rita",
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAK\n-----END PUBLIC KEY-----\n"
        },
        "attachment": [{ "type": "PropertyValue", "name": "Website", "value": "https://remote.example" }]
    }))
    .expect("person JSON");
    let rita = khub::federation::objects::ApubPerson::from_json(person, &data).await.expect("store the remote person");
    let note: khub::federation::protocol::Note = serde_json::from_value(json!({
        "type": "Note",
        "id": "https://remote.example/users/rita/statuses/1",
        "attributedTo": "https://remote.example/users/rita",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://remote.example/users/rita/followers"],
        "content": "<p>Hello from afar <a href=\"https://remote.example/tags/contractcheck\">#contractcheck</a></p>",
        "published": "2024-05-01T10:00:00Z",
        "url": "https://remote.example/@rita/1",
        "tag": [{ "type": "Hashtag", "name": "#contractcheck", "href": "https://remote.example/tags/contractcheck" }]
    }))
    .expect("note JSON");
    let status = khub::federation::objects::ApubNote::from_json(note, &data).await.expect("store the remote note");
    (rita.account.id, status.status.id)
}

// ---------------------------------------------------------------------------------------------
// 1. Every entity, field by field
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entity_khub_serves_matches_mastodons_documentation() {
    let w = world().await;
    let (alice, bob, node) = (&w.alice, &w.bob, &w.node);
    let mut c = Contract::default();

    // Accounts: own (with source), others, remote, lists of accounts, muted accounts.
    c.resp("CredentialAccount", &alice.get("/api/v1/accounts/verify_credentials").await, "verify_credentials");
    let updated = alice.patch("/api/v1/accounts/update_credentials", json!({ "display_name": "Alice A." })).await;
    c.resp("CredentialAccount", &updated, "update_credentials");
    c.resp("Account", &alice.get(&format!("/api/v1/accounts/{}", bob.id)).await, "GET account");
    c.resp("Account", &node.anon().get("/api/v1/accounts/lookup?acct=alice").await, "lookup");
    let remote = node.anon().get(&format!("/api/v1/accounts/{}", w.remote_account)).await;
    c.resp("Account", &remote, "GET remote account");
    assert_eq!(remote.json["acct"], "rita@remote.example");
    assert_eq!(remote.json["url"], "https://remote.example/@rita");
    c.resp_list("Account", &alice.get(&format!("/api/v1/accounts/{}/followers", alice.id)).await, "followers");
    c.resp_list("Account", &alice.get(&format!("/api/v1/accounts/{}/following", alice.id)).await, "following");
    c.resp_list("Account", &w.lou.get("/api/v1/follow_requests").await, "follow_requests");
    c.resp_list("Account", &alice.get("/api/v1/blocks").await, "blocks");
    c.resp_list("MutedAccount", &alice.get("/api/v1/mutes").await, "mutes");
    c.resp_list("Account", &alice.get("/api/v1/accounts/search?q=bo").await, "accounts/search");
    c.resp_list("Account", &alice.get(&format!("/api/v1/lists/{}/accounts", w.list)).await, "list accounts");
    c.resp_list("Account", &alice.get(&format!("/api/v1/statuses/{}/favourited_by", w.a1)).await, "favourited_by");
    c.resp_list("Account", &alice.get(&format!("/api/v1/statuses/{}/reblogged_by", w.a1)).await, "reblogged_by");
    let endorsements = alice.get("/api/v1/endorsements").await;
    c.kind(&K::Arr(&K::E("Account")), endorsements.ok(), "endorsements");
    c.kind(&K::Arr(&K::E("CustomEmoji")), node.anon().get("/api/v1/custom_emojis").await.ok(), "custom_emojis");
    c.kind(&K::Arr(&K::Str), alice.get("/api/v1/domain_blocks").await.ok(), "domain_blocks");

    // Relationships.
    let rel = alice.get(&format!("/api/v1/accounts/relationships?id[]={}&id[]={}", bob.id, w.lou.id)).await;
    c.resp_list("Relationship", &rel, "relationships");
    c.resp("Relationship", &w.carol.post_empty(&format!("/api/v1/accounts/{}/follow", bob.id)).await, "follow");
    c.resp("Relationship", &alice.post(&format!("/api/v1/accounts/{}/mute", w.dave.id), json!({})).await, "mute");
    c.resp("Relationship", &alice.post_empty(&format!("/api/v1/accounts/{}/unmute", w.dave.id)).await, "unmute");

    // Statuses: plain, with media, with a warning, a boost, a reply, a remote one, a deleted one.
    let created = alice.post("/api/v1/statuses", json!({ "status": "A fresh post #schools" })).await;
    c.resp("Status", &created, "POST status");
    let fresh = s(&created.json["id"]);
    c.resp("Status", &alice.get(&format!("/api/v1/statuses/{}", w.a1)).await, "GET edited status");
    c.resp("Status", &node.anon().get(&format!("/api/v1/statuses/{}", w.remote_status)).await, "GET remote status");
    let boost = w.carol.post_empty(&format!("/api/v1/statuses/{}/reblog", w.bob_posts[0])).await;
    c.resp("Status", &boost, "reblog");
    assert!(boost.json["reblog"].is_object(), "a boost carries the boosted status");
    c.resp("Status", &alice.post_empty(&format!("/api/v1/statuses/{fresh}/favourite")).await, "favourite");
    c.resp("Status", &alice.post_empty(&format!("/api/v1/statuses/{fresh}/bookmark")).await, "bookmark");
    let home = alice.get("/api/v1/timelines/home?limit=40").await;
    c.resp_list("Status", &home, "home timeline");
    let statuses = home.list();
    assert!(statuses.iter().any(|s| s["media_attachments"][0]["type"] == "image"), "an image in the timeline");
    assert!(statuses.iter().any(|s| s["media_attachments"][0]["type"] == "unknown"), "a document in the timeline");
    assert!(statuses.iter().any(|s| s["filtered"][0]["filter"]["title"] == "Cutlery"), "a filtered status");
    assert!(statuses.iter().any(|s| s["in_reply_to_id"].is_string()), "a reply");
    c.resp_list("Status", &node.anon().get("/api/v1/timelines/public").await, "public timeline");
    c.resp_list("Status", &node.anon().get(&format!("/api/v1/timelines/tag/{TAG}")).await, "tag timeline");
    c.resp_list("Status", &alice.get(&format!("/api/v1/timelines/list/{}", w.list)).await, "list timeline");
    c.resp_list("Status", &alice.get(&format!("/api/v1/accounts/{}/statuses", alice.id)).await, "account statuses");
    let pinned = alice.get(&format!("/api/v1/accounts/{}/statuses?pinned=true", alice.id)).await;
    c.resp_list("Status", &pinned, "pinned");
    c.resp_list("Status", &alice.get("/api/v1/favourites").await, "favourites");
    c.resp_list("Status", &alice.get("/api/v1/bookmarks").await, "bookmarks");
    c.resp("Context", &alice.get(&format!("/api/v1/statuses/{}/context", w.a1)).await, "context");
    c.resp_list("StatusEdit", &alice.get(&format!("/api/v1/statuses/{}/history", w.a1)).await, "history");
    c.resp("StatusSource", &alice.get(&format!("/api/v1/statuses/{}/source", w.a1)).await, "source");
    let deleted = alice.delete(&format!("/api/v1/statuses/{fresh}")).await;
    c.resp("Status", &deleted, "DELETE status");
    assert!(deleted.json["text"].is_string(), "a deleted status gives its source back");
    c.kind(&K::Arr(&K::E("Status")), node.anon().get("/api/v1/trends/statuses").await.ok(), "trends/statuses");
    c.kind(&K::Arr(&K::E("PreviewCard")), node.anon().get("/api/v1/trends/links").await.ok(), "trends/links");

    // Media.
    let media = alice.upload("square.png", "image/png", png(4, 4), "A square").await;
    c.resp("MediaAttachment", &media, "POST /api/v2/media");
    let media_id = s(&media.json["id"]);
    c.resp("MediaAttachment", &alice.get(&format!("/api/v1/media/{media_id}")).await, "GET media");
    let described = alice.put(&format!("/api/v1/media/{media_id}"), json!({ "description": "" })).await;
    c.resp("MediaAttachment", &described, "PUT media");

    // Notifications.
    let notes = alice.get("/api/v1/notifications").await;
    c.resp_list("Notification", &notes, "notifications");
    for n in notes.list() {
        let needs_status = ["mention", "status", "reblog", "favourite", "poll", "update"];
        if needs_status.contains(&n["type"].as_str().unwrap_or_default()) && !n["status"].is_object() {
            c.errors.push(format!("notifications: a {} notification without its status", n["type"]));
        }
    }
    let first = s(&notes.list()[0]["id"]);
    c.resp("Notification", &alice.get(&format!("/api/v1/notifications/{first}")).await, "GET notification");
    c.resp("UnreadCount", &alice.get("/api/v1/notifications/unread_count").await, "unread_count");

    // Instance, apps and tokens.
    c.resp("Instance", &node.anon().get("/api/v2/instance").await, "v2 instance");
    c.resp("V1::Instance", &node.anon().get("/api/v1/instance").await, "v1 instance");
    let app = node
        .anon()
        .post(
            "/api/v1/apps",
            json!({ "client_name": "Contract", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write",
                    "website": "https://contract.example" }),
        )
        .await;
    c.resp("CredentialApplication", &app, "POST apps");
    let pairs = [
        ("grant_type", "client_credentials"),
        ("client_id", app.json["client_id"].as_str().unwrap_or_default()),
        ("client_secret", app.json["client_secret"].as_str().unwrap_or_default()),
        ("scope", "read"),
    ];
    let token = node.anon().form(Method::POST, "/oauth/token", &pairs).await;
    c.resp("Token", &token, "POST oauth/token");
    let app_client = node.with_token(token.json["access_token"].as_str().unwrap_or_default());
    c.resp("Application", &app_client.get("/api/v1/apps/verify_credentials").await, "apps/verify_credentials");

    // Hashtags.
    c.resp("Tag", &alice.get("/api/v1/tags/housing").await, "GET tag");
    c.resp("Tag", &alice.post_empty("/api/v1/tags/budgets/follow").await, "follow tag");
    c.resp_list("Tag", &alice.get("/api/v1/followed_tags").await, "followed_tags");
    c.kind(&K::Arr(&K::E("Tag")), node.anon().get("/api/v1/trends/tags").await.ok(), "trends/tags");
    c.resp_list("Tag", &alice.get("/api/v1/featured_tags/suggestions").await, "featured_tags/suggestions");
    c.resp("FeaturedTag", &alice.post("/api/v1/featured_tags", json!({ "name": TAG })).await, "POST featured_tags");
    c.resp_list("FeaturedTag", &alice.get("/api/v1/featured_tags").await, "featured_tags");
    let theirs = node.anon().get(&format!("/api/v1/accounts/{}/featured_tags", alice.id)).await;
    c.resp_list("FeaturedTag", &theirs, "account featured_tags");

    // Lists and markers, preferences.
    c.resp_list("List", &alice.get("/api/v1/lists").await, "lists");
    c.resp("List", &alice.get(&format!("/api/v1/lists/{}", w.list)).await, "GET list");
    c.resp_list("List", &alice.get(&format!("/api/v1/accounts/{}/lists", bob.id)).await, "account lists");
    let markers = alice
        .post(
            "/api/v1/markers",
            json!({ "home": { "last_read_id": w.a1 }, "notifications": { "last_read_id": first } }),
        )
        .await;
    c.kind(&K::Map(&K::E("Marker")), markers.ok(), "POST markers");
    let markers = alice.get("/api/v1/markers?timeline[]=home&timeline[]=notifications").await;
    c.kind(&K::Map(&K::E("Marker")), markers.ok(), "GET markers");
    assert_eq!(markers.json.as_object().map(Map::len), Some(2), "both markers");
    c.resp("Preferences", &alice.get("/api/v1/preferences").await, "preferences");

    // Filters, v2 and v1.
    let filters = alice.get("/api/v2/filters").await;
    c.resp_list("Filter", &filters, "v2 filters");
    let filter = s(&filters.list()[0]["id"]);
    c.resp("Filter", &alice.get(&format!("/api/v2/filters/{filter}")).await, "GET v2 filter");
    let kw = alice.post(&format!("/api/v2/filters/{filter}/keywords"), json!({ "keyword": "fork" })).await;
    c.resp("FilterKeyword", &kw, "POST filter keyword");
    c.resp_list("FilterKeyword", &alice.get(&format!("/api/v2/filters/{filter}/keywords")).await, "filter keywords");
    let fs = alice.post(&format!("/api/v2/filters/{filter}/statuses"), json!({ "status_id": w.bob_posts[1] })).await;
    c.resp("FilterStatus", &fs, "POST filter status");
    c.resp_list("FilterStatus", &alice.get(&format!("/api/v2/filters/{filter}/statuses")).await, "filter statuses");
    c.resp_list("V1::Filter", &alice.get("/api/v1/filters").await, "v1 filters");

    // Conversations.
    c.resp_list("Conversation", &alice.get("/api/v1/conversations").await, "conversations");
    let theirs = bob.get("/api/v1/conversations").await;
    c.resp_list("Conversation", &theirs, "conversations (recipient)");

    // Announcements (with a reaction), reports, suggestions, familiar followers, search.
    let admin =
        khub::service::accounts::admin_create_user(&node.state, "root", "root@example.org", "pw-pw-pw-pw-pw", true)
            .await
            .expect("admin");
    let news = khub::service::announcements::NewAnnouncement {
        text: "Maintenance on **Saturday**".into(),
        starts_at: None,
        ends_at: None,
        all_day: false,
    };
    let ann = khub::service::announcements::create(&node.state, &admin, news).await.expect("announcement");
    let root_token = khub::service::accounts::create_access_token(&node.state, admin.id, "read", "contract")
        .await
        .expect("admin token");
    let root = node.with_token(&root_token).get("/api/v1/accounts/verify_credentials").await;
    c.resp("CredentialAccount", &root, "verify_credentials (admin)");
    assert_eq!((&root.json["role"]["name"], &alice.me().await["role"]["name"]), (&json!("Admin"), &json!("")));
    alice.put(&format!("/api/v1/announcements/{}/reactions/👍", ann.id), json!({})).await.ok();
    c.resp_list("Announcement", &alice.get("/api/v1/announcements").await, "announcements");
    let report = alice
        .post(
            "/api/v1/reports",
            json!({ "account_id": w.dave.id, "status_ids": [], "comment": "test", "category": "other" }),
        )
        .await;
    c.resp("Report", &report, "POST reports");
    c.resp_list("Suggestion", &w.lou.get("/api/v2/suggestions").await, "v2 suggestions");
    c.kind(&K::Arr(&K::E("Account")), w.lou.get("/api/v1/suggestions").await.ok(), "v1 suggestions");
    let fam = w.carol.get(&format!("/api/v1/accounts/familiar_followers?id[]={}", bob.id)).await;
    c.resp_list("FamiliarFollowers", &fam, "familiar_followers");
    let found = alice.get("/api/v2/search?q=alice").await;
    c.resp("Search", &found, "search accounts");
    let found = alice.get(&format!("/api/v2/search?q=%23{TAG}")).await;
    c.resp("Search", &found, "search hashtags");
    assert!(!found.json["hashtags"].as_array().is_none_or(Vec::is_empty), "a hashtag is found: {}", found.text);

    // Errors.
    c.entity("Error", alice.get("/api/v1/statuses/1").await.expect(404), "404");
    c.entity("Error", node.anon().get("/api/v1/accounts/verify_credentials").await.expect(401), "401");
    c.entity("Error", alice.post("/api/v1/lists", json!({ "title": " " })).await.expect(422), "422");

    c.finish();
}

// ---------------------------------------------------------------------------------------------
// 2. Link headers on every paginated endpoint
// ---------------------------------------------------------------------------------------------

/// What the `max_id`/`min_id` of a page's links are made of.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cursor {
    /// The ids of the first and last items (statuses, notifications).
    ItemId,
    /// The id of each conversation's last status.
    LastStatusId,
    /// An internal record id (the follow, the block, the favourite…), as Mastodon documents for
    /// "entities that reference other entities".
    Record,
}

/// The key that tells items apart: the `id`, a tag's `name`, or a domain string.
fn key(v: &Value) -> String {
    v.get("id")
        .or_else(|| v.get("name"))
        .and_then(Value::as_str)
        .or_else(|| v.as_str())
        .unwrap_or_else(|| panic!("an item without an id: {v}"))
        .to_owned()
}

fn cursor_of(c: Cursor, v: &Value) -> Option<String> {
    match c {
        Cursor::ItemId => v["id"].as_str().map(str::to_owned),
        Cursor::LastStatusId => v["last_status"]["id"].as_str().map(str::to_owned),
        Cursor::Record => None,
    }
}

fn with_limit(path: &str, limit: u32) -> String {
    format!("{path}{}limit={limit}", if path.contains('?') { '&' } else { '?' })
}

/// Checks one link: same node and path, the original query kept, `key` set (and, for item-id
/// cursors, equal to `expected`), no other paging key.
fn check_link(errors: &mut Vec<String>, base: &str, path: &str, link: &str, key: &str, expected: Option<String>) {
    let Ok(url) = url::Url::parse(link) else {
        errors.push(format!("{path}: rel link {link} is not an absolute URL"));
        return;
    };
    let want_path = path.split('?').next().unwrap_or(path);
    if !link.starts_with(&format!("{base}{want_path}?")) {
        errors.push(format!("{path}: link {link} is not {base}{want_path}?…"));
    }
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let value = pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    match (&value, &expected) {
        (None, _) => errors.push(format!("{path}: link {link} has no {key}")),
        (Some(v), Some(e)) if v != e => errors.push(format!("{path}: {key}={v} in {link}, expected {e}")),
        _ => {}
    }
    for other in ["max_id", "min_id", "since_id"].iter().filter(|k| **k != key) {
        if pairs.iter().any(|(k, _)| k == other) {
            errors.push(format!("{path}: link {link} also has {other}"));
        }
    }
    let original = url::Url::parse(&format!("{base}{}", with_limit(path, 1))).expect("url");
    for (k, v) in original.query_pairs() {
        if !pairs.iter().any(|(pk, pv)| *pk == k && *pv == v) {
            errors.push(format!("{path}: link {link} lost the query parameter {k}={v}"));
        }
    }
}

/// Walks an endpoint one item a page, by its `next` links, and checks every page's links.
async fn check_paging(api: &common::Api, base: &str, path: &str, cursor: Cursor) -> Vec<String> {
    let mut errors = Vec::new();
    let everything: Vec<String> = api.get(&with_limit(path, 40)).await.list().iter().map(key).collect();
    if everything.len() < 3 {
        return vec![format!("{path}: expected at least 3 items to page through, got {}", everything.len())];
    }
    let mut page = api.get(&with_limit(path, 1)).await;
    let mut walked: Vec<String> = Vec::new();
    let mut pages: Vec<String> = Vec::new();
    while walked.len() <= everything.len() {
        let items = page.list().clone();
        let Some(item) = items.first() else {
            if page.headers.get(reqwest::header::LINK).is_some() {
                errors.push(format!("{path}: an empty page has a Link header"));
            }
            break;
        };
        if items.len() != 1 {
            errors.push(format!("{path}: limit=1 gave {} items", items.len()));
        }
        let (Some(next), Some(prev)) = (page.link("next"), page.link("prev")) else {
            errors.push(format!("{path}: a page with items lacks rel=\"next\" or rel=\"prev\": {:?}", page.headers));
            break;
        };
        check_link(&mut errors, base, path, &next, "max_id", cursor_of(cursor, item));
        check_link(&mut errors, base, path, &prev, "min_id", cursor_of(cursor, item));
        walked.push(key(item));
        pages.push(prev);
        page = api.get(&next).await;
    }
    if walked != everything {
        errors.push(format!("{path}: following rel=\"next\" gave {walked:?}, the whole list is {everything:?}"));
    }
    // rel="prev" leads to the items immediately before (min_id pages forward from the cursor,
    // it does not jump to the newest).
    for (n, prev) in pages.iter().enumerate().skip(1).take(2) {
        let back: Vec<String> = api.get(prev).await.list().iter().map(key).collect();
        if back != everything[n - 1..n] {
            errors.push(format!(
                "{path}: rel=\"prev\" of page {} gave {back:?}, expected {:?}",
                n + 1,
                &everything[n - 1..n]
            ));
        }
    }
    errors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_paginated_endpoint_links_next_and_prev_as_mastodon_documents() {
    let w = world().await;
    let (alice, anon) = (&w.alice.api, &w.node.anon());
    let (me, a1, list) = (&w.alice.id, &w.a1, &w.list);
    use Cursor::*;
    let cases: Vec<(&common::Api, String, Cursor)> = vec![
        (alice, "/api/v1/timelines/home".into(), ItemId),
        (anon, "/api/v1/timelines/public?local=true".into(), ItemId),
        (anon, format!("/api/v1/timelines/tag/{TAG}"), ItemId),
        (alice, format!("/api/v1/timelines/list/{list}"), ItemId),
        (anon, format!("/api/v1/accounts/{me}/statuses"), ItemId),
        (anon, format!("/api/v1/accounts/{me}/statuses?exclude_replies=true"), ItemId),
        (alice, "/api/v1/notifications".into(), ItemId),
        (alice, "/api/v1/notifications?types[]=favourite&types[]=reblog".into(), ItemId),
        (alice, "/api/v1/conversations".into(), LastStatusId),
        (anon, format!("/api/v1/accounts/{me}/followers"), Record),
        (anon, format!("/api/v1/accounts/{me}/following"), Record),
        (&w.lou.api, "/api/v1/follow_requests".into(), Record),
        (alice, "/api/v1/blocks".into(), Record),
        (alice, "/api/v1/mutes".into(), Record),
        (alice, "/api/v1/domain_blocks".into(), Record),
        (alice, "/api/v1/followed_tags".into(), Record),
        (alice, "/api/v1/favourites".into(), Record),
        (alice, "/api/v1/bookmarks".into(), Record),
        (alice, format!("/api/v1/lists/{list}/accounts"), Record),
        (anon, format!("/api/v1/statuses/{a1}/favourited_by"), Record),
        (anon, format!("/api/v1/statuses/{a1}/reblogged_by"), Record),
    ];
    let mut errors = Vec::new();
    for (api, path, cursor) in &cases {
        errors.extend(check_paging(api, &w.node.base_url, path, *cursor).await);
    }
    assert!(errors.is_empty(), "{} paging problems:\n{}", errors.len(), errors.join("\n"));
}
