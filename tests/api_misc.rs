//! Blocks, mutes and hidden domains; who favourited and boosted a post; muted conversations;
//! account search, familiar followers, suggestions; trends; announcements; reports. Each story
//! runs over real HTTP against a fresh node, and the privacy rules are checked from the side of
//! the person who must not see: an outsider asking who liked a followers-only post, trends that
//! must never show a private post or a hashtag used only in private, suggestions that must not
//! reveal a follow that is only requested.
mod common;

use common::web::Browser;
use common::{Member, TestNode, contains_id, eventually, ids_of};
use khub::db::entities::{accounts, jobs, statuses};
use sea_orm::{ActiveModelTrait, EntityTrait};
use serde_json::{Value, json};
use std::time::Duration;

/// A remote account, as federation would have stored it.
async fn remote_account(node: &TestNode, name: &str, domain: &str) -> i64 {
    let id = khub::ids::next_id();
    let now = chrono::Utc::now();
    accounts::ActiveModel::from(accounts::Model {
        id,
        username: name.to_owned(),
        username_lower: name.to_lowercase(),
        domain: Some(domain.to_owned()),
        display_name: name.to_owned(),
        bio: String::new(),
        job_title: String::new(),
        organisation: String::new(),
        location: String::new(),
        expertise: "[]".to_owned(),
        fields: "[]".to_owned(),
        avatar_media_id: None,
        header_media_id: None,
        locked: false,
        bot: false,
        discoverable: true,
        suspended: false,
        created_at: now,
        updated_at: now,
        uri: Some(format!("https://{domain}/users/{name}")),
        url: Some(format!("https://{domain}/@{name}")),
        inbox_url: Some(format!("https://{domain}/users/{name}/inbox")),
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: None,
        public_key_pem: None,
        private_key_pem: None,
        avatar_remote_url: None,
        header_remote_url: None,
        fetched_at: Some(now),
        moved_to_account_id: None,
        also_known_as: "[]".to_owned(),
    })
    .insert(&node.state.db.conn)
    .await
    .expect("insert remote account");
    id
}

/// A public post by a remote account, as federation would have stored it.
async fn remote_post(node: &TestNode, account: i64, domain: &str, text: &str) -> String {
    let id = khub::ids::next_id();
    statuses::ActiveModel::from(statuses::Model {
        id,
        account_id: account,
        uri: Some(format!("https://{domain}/objects/{id}")),
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: None,
        thread_id: id,
        source: text.to_owned(),
        content: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        visibility: "public".to_owned(),
        language: None,
        created_at: chrono::Utc::now(),
        edited_at: None,
    })
    .insert(&node.state.db.conn)
    .await
    .expect("insert remote post");
    id.to_string()
}

fn id_of(m: &Member) -> i64 {
    m.id.parse().expect("member id")
}

async fn post(m: &Member, text: &str, visibility: &str) -> String {
    m.post_status(json!({ "status": text, "visibility": visibility })).await["id"].as_str().expect("id").to_owned()
}

async fn relationship(m: &Member, other: &str) -> Value {
    m.get(&format!("/api/v1/accounts/relationships?id[]={other}")).await.list()[0].clone()
}

#[tokio::test]
async fn blocks_and_mutes_are_listed_newest_first_and_paged_by_the_record() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let mut others = Vec::new();
    for name in ["bob", "carol", "dave"] {
        others.push(node.create_member(name).await);
    }
    for o in &others {
        alice.post_empty(&format!("/api/v1/accounts/{}/block", o.id)).await.ok();
    }
    // Blocked in the order bob, carol, dave: the newest block comes first.
    let first = alice.get("/api/v1/blocks?limit=2").await;
    assert_eq!(ids_of(first.list()), vec![others[2].id.clone(), others[1].id.clone()]);
    let next = first.link("next").expect("a next link");
    let second = alice.get(&next).await;
    assert_eq!(ids_of(second.list()), vec![others[0].id.clone()]);
    let prev = second.link("prev").expect("a prev link");
    assert_eq!(ids_of(alice.get(&prev).await.list()), vec![others[2].id.clone(), others[1].id.clone()]);
    // Unblocking takes the account off the list.
    alice.post_empty(&format!("/api/v1/accounts/{}/unblock", others[1].id)).await.ok();
    assert_eq!(ids_of(alice.get("/api/v1/blocks").await.list()), vec![others[2].id.clone(), others[0].id.clone()]);

    // Mutes: one for an hour without muting notifications, one for good.
    let r = alice
        .post(&format!("/api/v1/accounts/{}/mute", others[0].id), json!({"duration": 3600, "notifications": false}))
        .await;
    assert_eq!(r.ok()["muting"], true);
    assert_eq!(r.ok()["muting_notifications"], false);
    alice.form(reqwest::Method::POST, &format!("/api/v1/accounts/{}/mute", others[1].id), &[]).await.ok();
    let mutes = alice.get("/api/v1/mutes").await;
    assert_eq!(ids_of(mutes.list()), vec![others[1].id.clone(), others[0].id.clone()]);
    assert!(mutes.list()[0]["mute_expires_at"].is_null(), "a mute for good has no end");
    let ends = mutes.list()[1]["mute_expires_at"].as_str().expect("an end for the hour's mute");
    let ends = chrono::DateTime::parse_from_rfc3339(ends).expect("an ISO date");
    let left = ends.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&left), "the mute ends in an hour, not {left}s");
    assert_eq!(mutes.list()[1]["username"], "bob", "the entry is an Account");
    let one = alice.get("/api/v1/mutes?limit=1").await;
    assert_eq!(ids_of(alice.get(&one.link("next").expect("next")).await.list()), vec![others[0].id.clone()]);

    // A bad duration is refused and changes nothing.
    let dave = &others[2].id;
    alice.post_empty(&format!("/api/v1/accounts/{dave}/unblock")).await.ok();
    for bad in [json!({"duration": "soon"}), json!({"duration": -5}), json!({"duration": [1]})] {
        alice.post(&format!("/api/v1/accounts/{dave}/mute"), bad).await.expect(422);
    }
    assert_eq!(relationship(&alice, dave).await["muting"], false);

    // A short mute ends by itself: the relationship and the list forget it.
    alice.post(&format!("/api/v1/accounts/{dave}/mute"), json!({"duration": "1"})).await.ok();
    assert_eq!(relationship(&alice, dave).await["muting"], true);
    eventually("the one-second mute to end", Duration::from_secs(10), || async {
        (relationship(&alice, dave).await["muting"] == false).then_some(())
    })
    .await;
    assert!(!contains_id(alice.get("/api/v1/mutes").await.list(), dave));

    // Each list needs its scope, and a token.
    node.anon().get("/api/v1/blocks").await.expect(401);
    node.anon().get("/api/v1/mutes").await.expect(401);
    alice.get("/api/v1/blocks?max_id=nope").await.expect(400);
}

#[tokio::test]
async fn a_hidden_domain_leaves_timelines_notifications_search_and_follows() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let domain = "remote.example";
    let carol = remote_account(&node, "carol", domain).await;
    let carol_s = carol.to_string();
    let db = &node.state.db.conn;
    // Alice follows Carol and Carol follows Alice, as after an accepted Follow both ways.
    khub::db::queries::graph::insert_follow(db, khub::ids::next_id(), id_of(&alice), carol, Some("https://x/f/1"))
        .await
        .expect("follow");
    khub::db::queries::graph::insert_follow(
        db,
        khub::ids::next_id(),
        carol,
        id_of(&alice),
        Some("https://remote.example/f/2"),
    )
    .await
    .expect("followed");
    let carols = remote_post(&node, carol, domain, "hello from afar").await;
    khub::db::queries::notifications::insert(db, id_of(&alice), carol, "mention", Some(carols.parse().expect("id")))
        .await
        .expect("notification");
    // Bob boosts Carol's post; Alice follows Bob.
    alice.post_empty(&format!("/api/v1/accounts/{}/follow", bob.id)).await.ok();
    let boost =
        bob.post_empty(&format!("/api/v1/statuses/{carols}/reblog")).await.ok()["id"].as_str().expect("id").to_owned();
    let home = alice.get("/api/v1/timelines/home").await;
    assert!(contains_id(home.list(), &carols) && contains_id(home.list(), &boost));
    assert_eq!(alice.get("/api/v1/notifications").await.list().len(), 1);
    assert_eq!(
        alice.get(&format!("/api/v2/search?q=@carol@{domain}")).await.ok()["accounts"].as_array().map(Vec::len),
        Some(1)
    );

    // Bad domains are refused, and so is this node's own.
    for bad in ["", "not a domain!", &node.domain] {
        alice.post("/api/v1/domain_blocks", json!({ "domain": bad })).await.expect(422);
    }
    assert!(alice.get("/api/v1/domain_blocks").await.list().is_empty());

    alice.form(reqwest::Method::POST, "/api/v1/domain_blocks", &[("domain", "Remote.Example")]).await.ok();
    assert_eq!(alice.get("/api/v1/domain_blocks").await.ok(), &json!([domain]));
    let home = alice.get("/api/v1/timelines/home").await;
    assert!(!contains_id(home.list(), &carols), "Carol's post left the home timeline");
    assert!(!contains_id(home.list(), &boost), "so did Bob's boost of it");
    assert!(alice.get("/api/v1/notifications").await.list().is_empty(), "Carol's mention is hidden");
    let found = alice.get(&format!("/api/v2/search?q=@carol@{domain}")).await;
    assert_eq!(found.ok()["accounts"], json!([]));
    let found = alice.get(&format!("/api/v1/accounts/search?q=@carol@{domain}")).await;
    assert!(found.list().is_empty());
    let rel = relationship(&alice, &carol_s).await;
    assert_eq!(
        (rel["following"].clone(), rel["followed_by"].clone()),
        (json!(false), json!(false)),
        "follows ended both ways"
    );
    assert_eq!(rel["domain_blocking"], true);
    // Bob, who does not hide the domain, still sees it all.
    assert!(contains_id(bob.get("/api/v1/timelines/home").await.list(), &boost));

    // Paged like Mastodon's list, and undone by DELETE.
    alice.post("/api/v1/domain_blocks", json!({"domain": "other.example"})).await.ok();
    let page = alice.get("/api/v1/domain_blocks?limit=1").await;
    assert_eq!(page.ok(), &json!(["other.example"]));
    assert_eq!(alice.get(&page.link("next").expect("next")).await.ok(), &json!([domain]));
    alice.send(reqwest::Method::DELETE, &format!("/api/v1/domain_blocks?domain={domain}"), |r| r).await.ok();
    assert_eq!(alice.get("/api/v1/domain_blocks").await.ok(), &json!(["other.example"]));
    assert_eq!(alice.get("/api/v1/notifications").await.list().len(), 1, "the mention shows again");
    assert_eq!(relationship(&alice, &carol_s).await["domain_blocking"], false);
}

#[tokio::test]
async fn who_favourited_and_boosted_is_shown_only_to_those_who_may_read_the_post() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    let dave = node.create_member("dave").await;
    let public = post(&alice, "hello world", "public").await;
    bob.post_empty(&format!("/api/v1/statuses/{public}/favourite")).await.ok();
    carol.post_empty(&format!("/api/v1/statuses/{public}/favourite")).await.ok();
    bob.post_empty(&format!("/api/v1/statuses/{public}/reblog")).await.ok();

    let favs = node.anon().get(&format!("/api/v1/statuses/{public}/favourited_by")).await;
    assert_eq!(ids_of(favs.list()), vec![carol.id.clone(), bob.id.clone()], "newest favourite first");
    let one = node.anon().get(&format!("/api/v1/statuses/{public}/favourited_by?limit=1")).await;
    assert_eq!(ids_of(one.list()), vec![carol.id.clone()]);
    let rest = node.anon().get(&one.link("next").expect("next")).await;
    assert_eq!(ids_of(rest.list()), vec![bob.id.clone()]);
    let boosts = node.anon().get(&format!("/api/v1/statuses/{public}/reblogged_by")).await;
    assert_eq!(ids_of(boosts.list()), vec![bob.id.clone()]);
    assert!(boosts.link("next").is_some());

    // A followers-only post: Bob follows Alice; Dave does not; nor does anyone anonymous.
    bob.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.ok();
    let private = post(&alice, "for my followers", "private").await;
    bob.post_empty(&format!("/api/v1/statuses/{private}/favourite")).await.ok();
    assert_eq!(
        ids_of(bob.get(&format!("/api/v1/statuses/{private}/favourited_by")).await.list()),
        vec![bob.id.clone()]
    );
    assert_eq!(
        ids_of(alice.get(&format!("/api/v1/statuses/{private}/favourited_by")).await.list()),
        vec![bob.id.clone()]
    );
    for path in ["favourited_by", "reblogged_by"] {
        dave.get(&format!("/api/v1/statuses/{private}/{path}")).await.expect(404);
        node.anon().get(&format!("/api/v1/statuses/{private}/{path}")).await.expect(404);
    }
    let direct = alice.post_status(json!({"status": "@carol just you", "visibility": "direct"})).await;
    let direct = direct["id"].as_str().expect("id");
    carol.get(&format!("/api/v1/statuses/{direct}/favourited_by")).await.ok();
    bob.get(&format!("/api/v1/statuses/{direct}/favourited_by")).await.expect(404);
    // Not a status at all.
    node.anon().get("/api/v1/statuses/12345/favourited_by").await.expect(404);
    node.anon().get("/api/v1/statuses/abc/reblogged_by").await.expect(404);
}

#[tokio::test]
async fn a_muted_conversation_sends_no_more_notifications() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    let root = post(&alice, "what do you think?", "public").await;
    bob.post_status(json!({"status": "@alice I think so", "in_reply_to_id": root})).await;
    assert_eq!(alice.get("/api/v1/notifications").await.list().len(), 1);
    assert_eq!(alice.get(&format!("/api/v1/statuses/{root}")).await.ok()["muted"], false);

    // Carol took no part: she may not mute it, and nothing changes.
    carol.post_empty(&format!("/api/v1/statuses/{root}/mute")).await.expect(422);

    let muted = alice.post_empty(&format!("/api/v1/statuses/{root}/mute")).await;
    assert_eq!(muted.ok()["muted"], true);
    assert_eq!(alice.get(&format!("/api/v1/statuses/{root}")).await.ok()["muted"], true);
    assert_eq!(bob.get(&format!("/api/v1/statuses/{root}")).await.ok()["muted"], false, "the mark is Alice's own");
    bob.post_status(json!({"status": "@alice and another thing", "in_reply_to_id": root})).await;
    bob.post_empty(&format!("/api/v1/statuses/{root}/favourite")).await.ok();
    assert!(alice.get("/api/v1/notifications").await.list().is_empty(), "nothing from the muted thread");
    // Elsewhere, Bob still reaches her.
    bob.post_status(json!({"status": "@alice new topic"})).await;
    assert_eq!(alice.get("/api/v1/notifications").await.list().len(), 1);

    let unmuted = alice.post_empty(&format!("/api/v1/statuses/{root}/unmute")).await;
    assert_eq!(unmuted.ok()["muted"], false);
    assert!(alice.get("/api/v1/notifications").await.list().len() > 1);
    node.anon().post_empty(&format!("/api/v1/statuses/{root}/mute")).await.expect(401);
}

#[tokio::test]
async fn account_search_familiar_followers_endorsements_and_emoji() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let mut sams = Vec::new();
    for name in ["sam_one", "sam_two", "sam_three"] {
        sams.push(node.create_member(name).await);
    }
    let all = alice.get("/api/v1/accounts/search?q=sam").await;
    assert_eq!(all.list().len(), 3);
    let two = alice.get("/api/v1/accounts/search?q=sam&limit=2").await;
    let rest = alice.get("/api/v1/accounts/search?q=sam&limit=2&offset=2").await;
    assert_eq!(two.list().len(), 2);
    assert_eq!(rest.list().len(), 1);
    assert!(!ids_of(two.list()).contains(&ids_of(rest.list())[0]), "offset moves on");
    alice.post_empty(&format!("/api/v1/accounts/{}/follow", sams[1].id)).await.ok();
    assert_eq!(
        ids_of(alice.get("/api/v1/accounts/search?q=sam&following=true").await.list()),
        vec![sams[1].id.clone()]
    );
    assert!(alice.get("/api/v1/accounts/search?q=").await.list().is_empty());
    assert_eq!(alice.get("/api/v1/accounts/search?q=@alice").await.list()[0]["username"], "alice");
    // A blocked account is not found by the one who blocked it.
    alice.post_empty(&format!("/api/v1/accounts/{}/block", sams[2].id)).await.ok();
    assert!(!contains_id(alice.get("/api/v1/accounts/search?q=sam").await.list(), &sams[2].id));
    node.anon().get("/api/v1/accounts/search?q=sam&following=true").await.expect(401);
    alice.get("/api/v1/accounts/search?q=sam&limit=lots").await.expect(400);

    // Familiar followers: Sam two (whom Alice follows) follows Sam one.
    sams[1].post_empty(&format!("/api/v1/accounts/{}/follow", sams[0].id)).await.ok();
    let fam = alice.get(&format!("/api/v1/accounts/familiar_followers?id[]={}&id[]={}", sams[0].id, alice.id)).await;
    let fam = fam.list();
    assert_eq!(fam[0]["id"], sams[0].id.as_str());
    assert_eq!(ids_of(fam[0]["accounts"].as_array().expect("list")), vec![sams[1].id.clone()]);
    assert_eq!(fam[1]["accounts"], json!([]));

    assert_eq!(alice.get("/api/v1/endorsements").await.ok(), &json!([]));
    assert_eq!(node.anon().get("/api/v1/custom_emojis").await.ok(), &json!([]));
}

#[tokio::test]
async fn trends_count_public_posts_only() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    let dave = node.create_member("dave").await;
    let a = post(&alice, "Learning #Rust today", "public").await;
    post(&bob, "More #rust please", "public").await;
    post(&bob, "And more #rust", "public").await;
    post(&carol, "#rust and #cooking", "public").await;
    // Hashtags used only for smaller audiences must never trend.
    carol.post_empty(&format!("/api/v1/accounts/{}/follow", dave.id)).await.ok();
    let private = post(&dave, "secret plans #payrise #rust", "private").await;
    post(&dave, "quietly #unlistedtag", "unlisted").await;
    dave.post_status(json!({"status": "@alice psst #directtag", "visibility": "direct"})).await;

    let tags = node.anon().get("/api/v1/trends/tags").await;
    let names: Vec<&str> = tags.list().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, vec!["rust", "cooking"], "by distinct accounts, public posts only");
    let rust = &tags.list()[0];
    assert_eq!(rust["url"], node.url("/tags/rust"));
    let history = rust["history"].as_array().expect("history");
    assert_eq!(history.len(), 7);
    let today = chrono::Utc::now().date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp();
    assert_eq!(history[0], json!({"day": today.to_string(), "uses": "4", "accounts": "3"}), "private uses not counted");
    assert_eq!(history[1]["uses"], "0");
    let paged = node.anon().get("/api/v1/trends/tags?limit=1").await;
    assert_eq!(paged.list().len(), 1);
    assert_eq!(node.anon().get(&paged.link("next").expect("next")).await.list()[0]["name"], "cooking");
    assert_eq!(node.anon().get("/api/v1/trends").await.list().len(), 2, "the old path answers too");

    // Statuses: favourites and boosts of public posts; never the private one however liked.
    carol.post_empty(&format!("/api/v1/statuses/{private}/favourite")).await.ok();
    let b = post(&bob, "popular", "public").await;
    for m in [&alice, &carol, &dave] {
        m.post_empty(&format!("/api/v1/statuses/{b}/favourite")).await.ok();
    }
    carol.post_empty(&format!("/api/v1/statuses/{a}/reblog")).await.ok();
    let trending = carol.get("/api/v1/trends/statuses").await;
    assert_eq!(ids_of(trending.list()), vec![b.clone(), a.clone()]);
    assert!(!contains_id(node.anon().get("/api/v1/trends/statuses").await.list(), &private));
    assert!(!contains_id(dave.get("/api/v1/trends/statuses").await.list(), &private), "not even for its author");
    // The viewer's own blocks apply.
    alice.post_empty(&format!("/api/v1/accounts/{}/block", bob.id)).await.ok();
    assert_eq!(ids_of(alice.get("/api/v1/trends/statuses").await.list()), vec![a.clone()]);
    assert_eq!(ids_of(node.anon().get("/api/v1/trends/statuses?limit=1&offset=1").await.list()), vec![a]);

    // khub makes no link previews, so no links trend.
    assert_eq!(node.anon().get("/api/v1/trends/links").await.ok(), &json!([]));
    node.anon().get("/api/v1/trends/tags?limit=many").await.expect(400);
}

#[tokio::test]
async fn suggestions_come_from_public_follows_and_leave_out_who_i_know_or_avoid() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    let erin = node.create_member("erin").await;
    let mallory = node.create_member("mallory").await;
    let oscar = node.create_member("oscar").await;
    erin.patch("/api/v1/accounts/update_credentials", json!({"locked": true})).await.ok();
    alice.post_empty(&format!("/api/v1/accounts/{}/follow", bob.id)).await.ok();
    bob.post_empty(&format!("/api/v1/accounts/{}/follow", carol.id)).await.ok();
    // Bob only asked to follow Erin: that must not show through Alice's suggestions.
    bob.post_empty(&format!("/api/v1/accounts/{}/follow", erin.id)).await.ok();
    alice.post_empty(&format!("/api/v1/accounts/{}/block", mallory.id)).await.ok();
    alice.post_empty(&format!("/api/v1/accounts/{}/mute", oscar.id)).await.ok();

    let list = alice.get("/api/v2/suggestions").await;
    let by_id = |id: &str| list.list().iter().find(|s| s["account"]["id"] == id).cloned();
    let c = by_id(&carol.id).expect("Carol is suggested");
    assert_eq!(c["sources"], json!(["friends_of_friends", "most_followed"]));
    assert_eq!(c["source"], "past_interactions");
    assert_eq!(list.list()[0]["account"]["id"], carol.id.as_str(), "a friend of a friend comes first");
    let e = by_id(&erin.id).expect("Erin is one of this node's members");
    assert_eq!(e["sources"], json!(["most_followed"]), "a pending request is not a follow");
    assert_eq!(e["source"], "global");
    for (who, why) in [(&alice, "herself"), (&bob, "followed"), (&mallory, "blocked"), (&oscar, "muted")] {
        assert!(by_id(&who.id).is_none(), "{} is suggested though {why}", who.name);
    }
    // Mallory, blocked by Alice, is not offered Alice either.
    assert!(!contains_id(&mallory.get("/api/v1/suggestions").await.list().clone(), &alice.id));

    // v1 gives accounts; a dismissed account is not suggested again.
    let v1 = alice.get("/api/v1/suggestions?limit=1").await;
    assert_eq!(ids_of(v1.list()), vec![carol.id.clone()]);
    alice.delete(&format!("/api/v1/suggestions/{}", carol.id)).await.ok();
    assert!(!contains_id(alice.get("/api/v1/suggestions").await.list(), &carol.id));
    alice.delete("/api/v1/suggestions/424242").await.expect(404);
    node.anon().get("/api/v2/suggestions").await.expect(401);
}

async fn admin_browser(node: &TestNode) -> Browser {
    khub::service::accounts::admin_create_user(
        &node.state,
        "root",
        "root@example.org",
        "correct horse battery staple",
        true,
    )
    .await
    .expect("admin");
    let b = Browser::new(&node.base_url);
    b.sign_in("root", "correct horse battery staple").await;
    b
}

#[tokio::test]
async fn announcements_are_written_by_admins_and_read_dismissed_and_reacted_to_by_members() {
    let node = TestNode::start().await;
    let admin = admin_browser(&node).await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    assert_eq!(alice.get("/api/v1/announcements").await.ok(), &json!([]));

    let page = admin.get("/admin").await;
    let csrf = page.csrf();
    // Bad input comes back with the message, and publishes nothing.
    let bad = admin.submit("/admin/announcements", &csrf, &[("text", "  ")]).await;
    assert_eq!(bad.status.as_u16(), 422);
    let bad = admin
        .submit(
            "/admin/announcements",
            &csrf,
            &[("text", "Picnic"), ("starts_at", "2030-01-02T10:00"), ("ends_at", "2030-01-01T10:00")],
        )
        .await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(bad.has("The end must come after the start") && bad.has("Picnic"));
    let bad = admin.submit("/admin/announcements", &csrf, &[("text", "Picnic"), ("starts_at", "tomorrow")]).await;
    assert_eq!(bad.status.as_u16(), 422);
    assert_eq!(admin.submit("/admin/announcements", "wrong", &[("text", "Sneaky")]).await.status.as_u16(), 403);
    assert_eq!(alice.get("/api/v1/announcements").await.ok(), &json!([]));

    let done = admin
        .submit(
            "/admin/announcements",
            &csrf,
            &[
                ("text", "Maintenance on **Saturday**"),
                ("starts_at", "2030-06-01"),
                ("ends_at", "2030-06-02"),
                ("all_day", "true"),
            ],
        )
        .await;
    assert_eq!(done.status.as_u16(), 303, "{}", done.html);
    // An announcement whose time is over is not shown.
    let admin_user = khub::db::queries::accounts::user_by_email(&node.state.db.conn, "root@example.org")
        .await
        .expect("db")
        .expect("admin");
    khub::service::announcements::create(
        &node.state,
        &admin_user,
        khub::service::announcements::NewAnnouncement {
            text: "Old news".into(),
            starts_at: Some(chrono::Utc::now() - chrono::Duration::days(3)),
            ends_at: Some(chrono::Utc::now() - chrono::Duration::days(1)),
            all_day: false,
        },
    )
    .await
    .expect("old announcement");
    assert!(admin.get("/admin").await.has("Maintenance on **Saturday**"));

    let list = alice.get("/api/v1/announcements").await;
    assert_eq!(list.list().len(), 1);
    let a = &list.list()[0];
    let id = a["id"].as_str().expect("id").to_owned();
    assert!(a["content"].as_str().expect("content").contains("<strong>Saturday</strong>"));
    assert_eq!(a["starts_at"], "2030-06-01T00:00:00.000Z");
    assert_eq!(a["ends_at"], "2030-06-02T00:00:00.000Z");
    assert_eq!(
        (a["all_day"].clone(), a["published"].clone(), a["read"].clone()),
        (json!(true), json!(true), json!(false))
    );
    for key in ["mentions", "statuses", "tags", "emojis", "reactions"] {
        assert_eq!(a[key], json!([]), "{key}");
    }
    assert!(a["published_at"].is_string() && a["updated_at"].is_string());

    // Reactions: unicode emoji only, counted, with my own marked.
    let thumbs = "%F0%9F%91%8D";
    alice.put(&format!("/api/v1/announcements/{id}/reactions/{thumbs}"), json!({})).await.ok();
    alice.put(&format!("/api/v1/announcements/{id}/reactions/{thumbs}"), json!({})).await.ok();
    bob.put(&format!("/api/v1/announcements/{id}/reactions/{thumbs}"), json!({})).await.ok();
    for bad in [":blobcat:", "hello", "%F0%9F%91%8Dx"] {
        alice.put(&format!("/api/v1/announcements/{id}/reactions/{bad}"), json!({})).await.expect(422);
    }
    alice.put(&format!("/api/v1/announcements/99/reactions/{thumbs}"), json!({})).await.expect(404);
    let r = alice.get("/api/v1/announcements").await.list()[0]["reactions"].clone();
    assert_eq!(r, json!([{"name": "👍", "count": 2, "me": true}]));
    alice.delete(&format!("/api/v1/announcements/{id}/reactions/{thumbs}")).await.ok();
    let r = alice.get("/api/v1/announcements").await.list()[0]["reactions"].clone();
    assert_eq!(r, json!([{"name": "👍", "count": 1, "me": false}]));

    // Dismissed: read, and gone unless asked for.
    alice.post_empty(&format!("/api/v1/announcements/{id}/dismiss")).await.ok();
    assert!(alice.get("/api/v1/announcements").await.list().is_empty());
    let again = alice.get("/api/v1/announcements?with_dismissed=true").await;
    assert_eq!(again.list()[0]["read"], true);
    assert_eq!(bob.get("/api/v1/announcements").await.list()[0]["read"], false, "read is per member");
    alice.post_empty("/api/v1/announcements/12345/dismiss").await.expect(404);
    node.anon().get("/api/v1/announcements").await.expect(401);

    // Deleted from the admin page: gone for everyone.
    let page = admin.get("/admin").await;
    let gone = admin.submit(&format!("/admin/announcements/{id}/delete"), &page.csrf(), &[]).await;
    assert_eq!(gone.status.as_u16(), 303);
    assert!(bob.get("/api/v1/announcements").await.list().is_empty());
    // Members cannot use the admin page.
    let member = Browser::new(&node.base_url);
    khub::service::accounts::admin_create_user(
        &node.state,
        "mo",
        "mo@example.org",
        "correct horse battery staple",
        false,
    )
    .await
    .expect("member");
    member.sign_in("mo", "correct horse battery staple").await;
    assert_eq!(member.get("/admin").await.status.as_u16(), 403);
}

#[tokio::test]
async fn reports_reach_the_admin_page_and_only_readable_posts_can_be_attached() {
    // No job workers: the forwarded report's outgoing event stays in the queue to be seen.
    let node = TestNode::start_with(|s| s.jobs.workers = 0).await;
    let admin = admin_browser(&node).await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    let dave = node.create_member("dave").await;
    let public = post(&carol, "buy my stuff", "public").await;
    let private = post(&carol, "followers only", "private").await;
    let daves = post(&dave, "unrelated", "public").await;

    let count =
        || async { khub::db::entities::reports::Entity::find().all(&node.state.db.conn).await.expect("db").len() };
    for (body, why) in [
        (json!({"account_id": carol.id, "status_ids": [private]}), "a post Bob cannot read"),
        (json!({"account_id": carol.id, "status_ids": [daves]}), "someone else's post"),
        (json!({"account_id": carol.id, "status_ids": ["999"]}), "no such post"),
        (json!({"account_id": carol.id, "comment": "x".repeat(1001)}), "a long comment"),
        (json!({"account_id": carol.id, "category": "rude"}), "an unknown category"),
        (json!({"account_id": carol.id, "category": "violation"}), "no rules to violate"),
        (json!({"account_id": carol.id, "rule_ids": ["1"]}), "no such rule"),
        (json!({"account_id": bob.id}), "oneself"),
        (json!({}), "nobody"),
    ] {
        let r = bob.post("/api/v1/reports", body).await;
        assert_eq!(r.status.as_u16(), 422, "{why}: {}", r.text);
    }
    bob.post("/api/v1/reports", json!({"account_id": "424242"})).await.expect(404);
    assert_eq!(count().await, 0, "refused reports leave nothing behind");

    let r = bob
        .form(
            reqwest::Method::POST,
            "/api/v1/reports",
            &[
                ("account_id", &carol.id),
                ("status_ids[]", &public),
                ("comment", "Spam in my replies"),
                ("category", "spam"),
                ("forward", "true"),
            ],
        )
        .await;
    let report = r.ok();
    assert!(report["id"].is_string());
    assert_eq!(report["action_taken"], false);
    assert!(report["action_taken_at"].is_null());
    assert_eq!(report["category"], "spam");
    assert_eq!(report["comment"], "Spam in my replies");
    assert_eq!(report["forwarded"], false, "Carol is local: there is no server to forward to");
    assert_eq!(report["status_ids"], json!([public]));
    assert!(report["rule_ids"].is_null());
    assert_eq!(report["target_account"]["id"], carol.id.as_str());
    assert!(report["created_at"].is_string());

    // A remote account, forwarded: a Flag is queued in the same transaction.
    let remote = remote_account(&node, "spammer", "spam.example").await;
    let r = bob.post("/api/v1/reports", json!({"account_id": remote.to_string(), "forward": true})).await;
    assert_eq!(r.ok()["forwarded"], true);
    assert_eq!(r.ok()["category"], "other");
    let queued = jobs::Entity::find().all(&node.state.db.conn).await.expect("jobs");
    assert!(queued.iter().any(|j| j.payload.contains("\"event\":\"report\"")), "a federate job for the report");

    // The administrators see both and resolve one.
    let page = admin.get("/admin").await;
    assert!(
        page.has("Spam in my replies") && page.has("spammer@spam.example") && page.has("Forwarded to their server")
    );
    let id = report["id"].as_str().expect("id");
    let done = admin.submit(&format!("/admin/reports/{id}/resolve"), &page.csrf(), &[]).await;
    assert_eq!(done.status.as_u16(), 303);
    assert!(admin.get("/admin").await.has("Resolved "));
    let again = admin.submit(&format!("/admin/reports/{id}/resolve"), &page.csrf(), &[]).await;
    assert_eq!(again.status.as_u16(), 404, "already resolved");
    node.anon().post("/api/v1/reports", json!({"account_id": carol.id})).await.expect(401);
}

/// Another server may copy a post's files (the signed media path asks
/// `server_may_read_media`) only when someone there is in the post's audience: a follower for a
/// followers-only post, a mentioned account for a direct one. A server with nobody in the
/// audience gets nothing, nor does any server get a file not attached to a post.
#[tokio::test]
async fn only_servers_with_someone_in_the_audience_may_copy_a_posts_files() {
    use khub::db::queries::{graph, statuses as sq};
    use khub::service::visibility::server_may_read_media;
    let node = TestNode::start().await;
    let db = &node.state.db.conn;
    let ann = node.create_member("ann").await;
    let ann_id: i64 = ann.id.parse().expect("id");
    let fan = remote_account(&node, "fan", "far.example").await;
    let pen = remote_account(&node, "pen", "near.example").await;
    graph::insert_follow(db, khub::ids::next_id(), fan, ann_id, None).await.expect("follow");

    let mut files = Vec::new();
    for (n, visibility) in ["public", "private", "direct"].iter().enumerate() {
        let media = ann.upload("chart.png", "image/png", common::png(8, 8), "A chart").await.ok().clone();
        let post = ann
            .post_status(
                json!({ "status": format!("chart {n}"), "visibility": visibility, "media_ids": [media["id"]] }),
            )
            .await;
        if *visibility == "direct" {
            let status: i64 = post["id"].as_str().expect("id").parse().expect("id");
            sq::set_mentions_and_tags(db, status, &[pen], &[]).await.expect("mention pen");
        }
        files.push(media["id"].as_str().expect("media id").parse::<i64>().expect("id"));
    }
    let loose = ann.upload("draft.png", "image/png", common::png(8, 8), "Not posted").await.ok().clone();
    files.push(loose["id"].as_str().expect("media id").parse().expect("id"));
    let media = sq::media_by_ids(db, &files).await.expect("media");
    let may = |domain: &'static str, file: i64| {
        let m = media.iter().find(|m| m.id == file).expect("media row").clone();
        async move { server_may_read_media(db, domain, &m).await.expect("decision") }
    };
    let (public, private, direct, unattached) = (files[0], files[1], files[2], files[3]);
    // (server, file, may copy): far.example has a follower; near.example a mentioned account;
    // elsewhere.example nobody.
    let expected = [
        ("far.example", public, true),
        ("near.example", public, true),
        ("elsewhere.example", public, true),
        ("far.example", private, true),
        ("near.example", private, false),
        ("elsewhere.example", private, false),
        ("far.example", direct, false),
        ("near.example", direct, true),
        ("elsewhere.example", direct, false),
        ("far.example", unattached, false),
        ("near.example", unattached, false),
    ];
    for (domain, file, want) in expected {
        assert_eq!(may(domain, file).await, want, "{domain} copying file {file}");
    }
}
