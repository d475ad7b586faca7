//! Lists, markers, preferences, filters, followed and featured hashtags, and direct
//! conversations, told as stories on a real node over real HTTP. Each story also proves that
//! nobody reads or changes another member's things, and that bad input changes nothing.
mod common;

use common::{Member, TestNode, contains_id, ids_of};
use reqwest::Method;
use serde_json::{Value, json};

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}"))
}

async fn follow(who: &Member, whom: &Member) {
    who.post_empty(&format!("/api/v1/accounts/{}/follow", whom.id)).await.ok();
}

async fn home(m: &Member) -> Vec<Value> {
    m.get("/api/v1/timelines/home?limit=40").await.list().clone()
}

async fn list_timeline(m: &Member, list: &str) -> Vec<Value> {
    m.get(&format!("/api/v1/timelines/list/{list}?limit=40")).await.list().clone()
}

async fn post(m: &Member, text: &str, visibility: &str) -> String {
    s(&m.post_status(json!({ "status": text, "visibility": visibility })).await["id"]).to_owned()
}

/// A token of `m` with only the given scopes.
async fn scoped(node: &TestNode, m: &Member, scopes: &str) -> common::Api {
    let user: i64 = m.id.parse().expect("numeric id");
    let token =
        khub::service::accounts::create_access_token(&node.state, user, scopes, "scoped").await.expect("scoped token");
    node.with_token(&token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_keeps_lists_of_people_they_follow_and_nobody_else_sees_them() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;

    // Bad input answers 422 and creates nothing.
    alice.post("/api/v1/lists", json!({ "title": "  " })).await.expect(422);
    alice.post("/api/v1/lists", json!({ "title": "Housing", "replies_policy": "everyone" })).await.expect(422);
    alice.post("/api/v1/lists", json!({ "title": "x".repeat(300) })).await.expect(422);
    assert!(alice.get("/api/v1/lists").await.list().is_empty());

    // JSON and form bodies both work; the entity is Mastodon's.
    let list = alice.post("/api/v1/lists", json!({ "title": "Housing officers" })).await.ok().clone();
    assert_eq!(list["title"], "Housing officers");
    assert_eq!(list["replies_policy"], "list");
    assert_eq!(list["exclusive"], false);
    let id = s(&list["id"]).to_owned();
    let other = alice
        .form(Method::POST, "/api/v1/lists", &[("title", "Schools"), ("replies_policy", "none"), ("exclusive", "true")])
        .await
        .ok()
        .clone();
    assert_eq!(other["replies_policy"], "none");
    assert_eq!(other["exclusive"], true);
    assert_eq!(ids_of(alice.get("/api/v1/lists").await.list()), vec![id.clone(), s(&other["id"]).to_owned()]);

    let updated = alice
        .put(&format!("/api/v1/lists/{id}"), json!({ "title": "Housing", "replies_policy": "followed" }))
        .await
        .ok()
        .clone();
    assert_eq!(updated["title"], "Housing");
    assert_eq!(updated["replies_policy"], "followed");
    alice.put(&format!("/api/v1/lists/{id}"), json!({ "replies_policy": "all" })).await.expect(422);
    alice.put(&format!("/api/v1/lists/{id}"), json!({ "title": "" })).await.expect(422);
    let unchanged = alice.get(&format!("/api/v1/lists/{id}")).await.ok().clone();
    assert_eq!(unchanged["title"], "Housing");
    assert_eq!(unchanged["replies_policy"], "followed");

    // Only accounts alice follows can be added; a failed add adds nobody.
    follow(&alice, &bob).await;
    let members = format!("/api/v1/lists/{id}/accounts");
    alice.post(&members, json!({ "account_ids": [bob.id, carol.id] })).await.expect(422);
    assert!(alice.get(&members).await.list().is_empty());
    alice.post(&members, json!({ "account_ids": ["99999999"] })).await.expect(404);
    alice.post(&members, json!({ "account_ids": [] })).await.expect(422);
    assert_eq!(alice.post(&members, json!({ "account_ids": [bob.id] })).await.ok(), &json!({}));
    alice.post(&members, json!({ "account_ids": [bob.id] })).await.expect(422);
    assert_eq!(ids_of(alice.get(&members).await.list()), vec![bob.id.clone()]);
    let with_bob = alice.get(&format!("/api/v1/accounts/{}/lists", bob.id)).await.list().clone();
    assert_eq!(ids_of(&with_bob), vec![id.clone()]);

    // Bob sees none of it and can change none of it.
    assert!(bob.get("/api/v1/lists").await.list().is_empty());
    bob.get(&format!("/api/v1/lists/{id}")).await.expect(404);
    bob.put(&format!("/api/v1/lists/{id}"), json!({ "title": "Mine now" })).await.expect(404);
    bob.delete(&format!("/api/v1/lists/{id}")).await.expect(404);
    bob.get(&members).await.expect(404);
    bob.post(&members, json!({ "account_ids": [alice.id] })).await.expect(404);
    bob.send(Method::DELETE, &members, |r| r.json(&json!({ "account_ids": [bob.id] }))).await.expect(404);
    bob.get(&format!("/api/v1/timelines/list/{id}")).await.expect(404);
    assert!(bob.get(&format!("/api/v1/accounts/{}/lists", bob.id)).await.list().is_empty());
    assert_eq!(alice.get(&format!("/api/v1/lists/{id}")).await.ok()["title"], "Housing");
    assert_eq!(alice.get(&members).await.list().len(), 1);
    node.anon().get("/api/v1/lists").await.expect(401);

    // Scopes: read:lists to read, write:lists to change.
    let reader = scoped(&node, &alice, "read:lists").await;
    assert_eq!(reader.get("/api/v1/lists").await.list().len(), 2);
    reader.post("/api/v1/lists", json!({ "title": "No" })).await.expect(403);
    let statuses_only = scoped(&node, &alice, "read:statuses").await;
    statuses_only.get("/api/v1/lists").await.expect(403);

    // Removing (also as query parameters, as some apps send DELETE) and deleting.
    assert_eq!(
        alice.send(Method::DELETE, &format!("{members}?account_ids[]={}", bob.id), |r| r).await.ok(),
        &json!({})
    );
    assert!(alice.get(&members).await.list().is_empty());
    assert_eq!(alice.delete(&format!("/api/v1/lists/{id}")).await.ok(), &json!({}));
    alice.get(&format!("/api/v1/lists/{id}")).await.expect(404);
    assert_eq!(alice.get("/api/v1/lists").await.list().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_timeline_shows_what_its_members_post_within_what_the_owner_may_read() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    let dave = node.create_member("dave").await;
    follow(&alice, &bob).await;
    follow(&alice, &carol).await;
    let list = alice.post("/api/v1/lists", json!({ "title": "Bob", "replies_policy": "followed" })).await.ok().clone();
    let id = s(&list["id"]).to_owned();
    alice.post(&format!("/api/v1/lists/{id}/accounts"), json!({ "account_ids": [bob.id] })).await.ok();

    let bob_public = post(&bob, "Public from bob", "public").await;
    let bob_private = post(&bob, "Followers only from bob", "private").await;
    let carol_public = post(&carol, "Public from carol", "public").await;
    let dave_public = post(&dave, "Public from dave", "public").await;
    let to_carol =
        s(&bob.post_status(json!({ "status": "@carol agreed", "in_reply_to_id": carol_public })).await["id"])
            .to_owned();
    let to_dave =
        s(&bob.post_status(json!({ "status": "@dave why?", "in_reply_to_id": dave_public })).await["id"]).to_owned();
    let to_self =
        s(&bob.post_status(json!({ "status": "and more", "in_reply_to_id": bob_public })).await["id"]).to_owned();

    // replies_policy followed: replies to people alice follows (and to oneself), not to dave.
    let shown = ids_of(&list_timeline(&alice, &id).await);
    assert_eq!(shown, vec![to_self.clone(), to_carol.clone(), bob_private.clone(), bob_public.clone()]);
    assert!(!shown.contains(&carol_public) && !shown.contains(&to_dave));

    alice.put(&format!("/api/v1/lists/{id}"), json!({ "replies_policy": "none" })).await.ok();
    let shown = ids_of(&list_timeline(&alice, &id).await);
    assert!(shown.contains(&to_self) && !shown.contains(&to_carol) && !shown.contains(&to_dave));
    alice.put(&format!("/api/v1/lists/{id}"), json!({ "replies_policy": "list" })).await.ok();
    assert!(!contains_id(&list_timeline(&alice, &id).await, &to_carol));
    alice.post(&format!("/api/v1/lists/{id}/accounts"), json!({ "account_ids": [carol.id] })).await.ok();
    let shown = list_timeline(&alice, &id).await;
    assert!(contains_id(&shown, &to_carol) && contains_id(&shown, &carol_public) && !contains_id(&shown, &to_dave));

    // Paging with a Link header, like the home timeline.
    let first = alice.get(&format!("/api/v1/timelines/list/{id}?limit=2")).await;
    assert_eq!(first.list().len(), 2);
    let next = first.link("next").expect("a next link");
    assert!(next.contains(&format!("/api/v1/timelines/list/{id}")) && next.contains("max_id="));
    let second = alice.get(&next).await.list().clone();
    assert!(!second.is_empty());
    assert!(ids_of(&second).iter().all(|i| !ids_of(first.list()).contains(i)));

    // Muting a member hides their posts; blocking too.
    alice.post_empty(&format!("/api/v1/accounts/{}/mute", bob.id)).await.ok();
    assert!(!contains_id(&list_timeline(&alice, &id).await, &bob_public));
    alice.post_empty(&format!("/api/v1/accounts/{}/unmute", bob.id)).await.ok();
    assert!(contains_id(&list_timeline(&alice, &id).await, &bob_public));
    carol.post_empty(&format!("/api/v1/accounts/{}/block", alice.id)).await.ok();
    assert!(!contains_id(&list_timeline(&alice, &id).await, &carol_public));

    // Once alice no longer follows bob, none of his posts (followers-only above all) is shown.
    alice.post_empty(&format!("/api/v1/accounts/{}/unfollow", bob.id)).await.ok();
    let later_private = post(&bob, "Another followers-only post", "private").await;
    let shown = list_timeline(&alice, &id).await;
    assert!(!contains_id(&shown, &bob_private) && !contains_id(&shown, &later_private), "{shown:?}");
    assert!(!contains_id(&shown, &bob_public));
    assert!(!ids_of(alice.get(&format!("/api/v1/lists/{id}/accounts")).await.list()).contains(&bob.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_of_an_exclusive_list_are_read_in_the_list_not_at_home() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    follow(&alice, &bob).await;
    follow(&alice, &carol).await;
    let from_bob = post(&bob, "Bob's news", "public").await;
    let from_carol = post(&carol, "Carol's news", "public").await;
    let list = alice.post("/api/v1/lists", json!({ "title": "Bob only", "exclusive": true })).await.ok().clone();
    let id = s(&list["id"]).to_owned();
    alice.post(&format!("/api/v1/lists/{id}/accounts"), json!({ "account_ids": [bob.id] })).await.ok();

    let at_home = home(&alice).await;
    assert!(!contains_id(&at_home, &from_bob) && contains_id(&at_home, &from_carol));
    assert!(contains_id(&list_timeline(&alice, &id).await, &from_bob));

    alice.put(&format!("/api/v1/lists/{id}"), json!({ "exclusive": false })).await.ok();
    assert!(contains_id(&home(&alice).await, &from_bob));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markers_and_preferences_belong_to_their_member() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let path = "/api/v1/markers?timeline[]=home&timeline[]=notifications";
    assert_eq!(alice.get(path).await.ok(), &json!({}));

    let set = alice.form(Method::POST, "/api/v1/markers", &[("home[last_read_id]", "103194548672408537")]).await;
    let home_marker = set.ok()["home"].clone();
    assert_eq!(home_marker["last_read_id"], "103194548672408537");
    assert_eq!(home_marker["version"], 0);
    assert!(s(&home_marker["updated_at"]).ends_with('Z'));
    let again = alice
        .post(
            "/api/v1/markers",
            json!({ "home": { "last_read_id": "103194548672408538" }, "notifications": { "last_read_id": "7" } }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(again["home"]["version"], 1);
    assert_eq!(again["notifications"]["last_read_id"], "7");
    let read = alice.get(path).await.ok().clone();
    assert_eq!(read["home"]["last_read_id"], "103194548672408538");
    assert_eq!(read["notifications"]["version"], 0);
    let only_home = alice.get("/api/v1/markers?timeline[]=home").await.ok().clone();
    assert!(only_home.get("notifications").is_none() && only_home.get("home").is_some());

    // Bad input changes nothing.
    alice.post("/api/v1/markers", json!({ "home": { "last_read_id": "abc" } })).await.expect(422);
    alice.post("/api/v1/markers", json!({})).await.expect(422);
    assert_eq!(alice.get(path).await.ok()["home"]["version"], 1);

    // Bob has his own, and cannot see alice's.
    assert_eq!(bob.get(path).await.ok(), &json!({}));
    node.anon().get(path).await.expect(401);

    let prefs = alice.get("/api/v1/preferences").await.ok().clone();
    assert_eq!(prefs["posting:default:visibility"], "public");
    assert_eq!(prefs["posting:default:sensitive"], false);
    assert!(prefs["posting:default:language"].is_null());
    assert_eq!(prefs["reading:expand:media"], "default");
    assert_eq!(prefs["reading:expand:spoilers"], false);
    node.anon().get("/api/v1/preferences").await.expect(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_warn_or_hide_what_their_owner_would_rather_not_see() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    follow(&alice, &bob).await;

    // Bad input answers 422 and creates nothing.
    alice.post("/api/v2/filters", json!({ "title": "Cats" })).await.expect(422);
    alice.post("/api/v2/filters", json!({ "title": "Cats", "context": ["kitchen"] })).await.expect(422);
    alice.post("/api/v2/filters", json!({ "title": "", "context": ["home"] })).await.expect(422);
    alice
        .post("/api/v2/filters", json!({ "title": "Cats", "context": ["home"], "filter_action": "explode" }))
        .await
        .expect(422);
    alice.post("/api/v2/filters", json!({ "title": "Cats", "context": ["home"], "expires_in": -5 })).await.expect(422);
    alice
        .post(
            "/api/v2/filters",
            json!({ "title": "Cats", "context": ["home"], "keywords_attributes": [{ "keyword": " " }] }),
        )
        .await
        .expect(422);
    assert!(alice.get("/api/v2/filters").await.list().is_empty());

    let warn = alice
        .post(
            "/api/v2/filters",
            json!({
                "title": "Cats",
                "context": ["home", "thread"],
                "filter_action": "warn",
                "expires_in": 3600,
                "keywords_attributes": [{ "keyword": "cat", "whole_word": true }, { "keyword": "kitten", "whole_word": false }]
            }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(warn["title"], "Cats");
    assert_eq!(warn["context"], json!(["home", "thread"]));
    assert_eq!(warn["filter_action"], "warn");
    assert!(warn["expires_at"].is_string());
    assert_eq!(warn["keywords"].as_array().map(Vec::len), Some(2));
    assert_eq!(warn["statuses"], json!([]));
    let warn_id = s(&warn["id"]).to_owned();
    let hide = alice
        .form(
            Method::POST,
            "/api/v2/filters",
            &[
                ("title", "Spoilers"),
                ("context[]", "home"),
                ("filter_action", "hide"),
                ("keywords_attributes[0][keyword]", "finale"),
            ],
        )
        .await
        .ok()
        .clone();
    assert_eq!(hide["filter_action"], "hide");
    assert!(hide["expires_at"].is_null());
    assert_eq!(hide["keywords"][0]["keyword"], "finale");
    assert_eq!(hide["keywords"][0]["whole_word"], true);
    let hide_id = s(&hide["id"]).to_owned();

    let cat = post(&bob, "My <b>Cat</b> sleeps", "public").await;
    let concat = post(&bob, "We concatenate strings", "public").await;
    let kittens = post(&bob, "Kittens everywhere", "public").await;
    let warned = s(&bob.post_status(json!({ "status": "Nothing to see", "spoiler_text": "cat pictures" })).await["id"])
        .to_owned();
    let finale = post(&bob, "The finale was great", "public").await;
    let plain = post(&bob, "Budget meeting at ten", "public").await;

    let timeline = home(&alice).await;
    let by_id = |id: &str| timeline.iter().find(|v| v["id"] == id).cloned().unwrap_or(Value::Null);
    let matched = by_id(&cat)["filtered"].clone();
    assert_eq!(matched[0]["filter"]["id"], warn_id.as_str());
    assert_eq!(matched[0]["filter"]["title"], "Cats");
    assert!(matched[0]["filter"].get("keywords").is_none());
    assert_eq!(matched[0]["keyword_matches"], json!(["cat"]));
    assert!(matched[0]["status_matches"].is_null());
    assert_eq!(by_id(&concat)["filtered"], json!([]), "whole words only");
    assert_eq!(by_id(&kittens)["filtered"][0]["keyword_matches"], json!(["kitten"]));
    assert_eq!(by_id(&warned)["filtered"][0]["keyword_matches"], json!(["cat"]), "the content warning counts");
    assert!(!contains_id(&timeline, &finale), "a hide filter leaves the status out");
    assert_eq!(by_id(&plain)["filtered"], json!([]));

    // Contexts: the public timeline has no filter here; one status asked for by id is marked.
    let public = alice.get("/api/v1/timelines/public?limit=40").await.list().clone();
    assert!(contains_id(&public, &finale));
    assert!(public.iter().all(|v| v["filtered"] == json!([])));
    assert_eq!(
        alice.get(&format!("/api/v1/statuses/{cat}")).await.ok()["filtered"][0]["filter"]["id"],
        warn_id.as_str()
    );

    // Others' filters do nothing to bob, and bob can read or change none of them.
    let bobs_home = home(&bob).await;
    assert!(contains_id(&bobs_home, &finale));
    assert!(bobs_home.iter().all(|v| v["filtered"] == json!([])));
    assert!(bob.get("/api/v2/filters").await.list().is_empty());
    assert!(bob.get("/api/v1/filters").await.list().is_empty());
    bob.get(&format!("/api/v2/filters/{warn_id}")).await.expect(404);
    bob.put(&format!("/api/v2/filters/{warn_id}"), json!({ "title": "Mine" })).await.expect(404);
    bob.delete(&format!("/api/v2/filters/{warn_id}")).await.expect(404);
    bob.get(&format!("/api/v2/filters/{warn_id}/keywords")).await.expect(404);
    bob.post(&format!("/api/v2/filters/{warn_id}/keywords"), json!({ "keyword": "x" })).await.expect(404);
    let keyword_id = s(&warn["keywords"][0]["id"]).to_owned();
    bob.get(&format!("/api/v2/filter_keywords/{keyword_id}")).await.expect(404);
    bob.delete(&format!("/api/v2/filter_keywords/{keyword_id}")).await.expect(404);
    bob.post(&format!("/api/v2/filters/{warn_id}/statuses"), json!({ "status_id": plain })).await.expect(404);

    // Keywords one by one.
    let kw = format!("/api/v2/filters/{warn_id}/keywords");
    let added = alice.post(&kw, json!({ "keyword": "budget", "whole_word": false })).await.ok().clone();
    assert_eq!(added["whole_word"], false);
    let added_id = s(&added["id"]).to_owned();
    assert_eq!(alice.get(&kw).await.list().len(), 3);
    let changed =
        alice.put(&format!("/api/v2/filter_keywords/{added_id}"), json!({ "keyword": "meeting" })).await.ok().clone();
    assert_eq!(changed["keyword"], "meeting");
    alice.put(&format!("/api/v2/filter_keywords/{added_id}"), json!({ "keyword": "" })).await.expect(422);
    assert_eq!(alice.get(&format!("/api/v2/filter_keywords/{added_id}")).await.ok()["keyword"], "meeting");
    assert_eq!(by_id_in(&home(&alice).await, &plain)["filtered"][0]["keyword_matches"], json!(["meeting"]));
    assert_eq!(alice.delete(&format!("/api/v2/filter_keywords/{added_id}")).await.ok(), &json!({}));
    assert_eq!(alice.get(&kw).await.list().len(), 2);

    // Statuses: a filter can name a post.
    let st = format!("/api/v2/filters/{warn_id}/statuses");
    let fs = alice.post(&st, json!({ "status_id": plain })).await.ok().clone();
    assert_eq!(fs["status_id"], plain.as_str());
    alice.post(&st, json!({ "status_id": plain })).await.expect(422);
    alice.post(&st, json!({ "status_id": "123" })).await.expect(404);
    alice.post(&st, json!({})).await.expect(422);
    let fs_id = s(&fs["id"]).to_owned();
    assert_eq!(alice.get(&format!("/api/v2/filter_statuses/{fs_id}")).await.ok()["status_id"], plain.as_str());
    bob.get(&format!("/api/v2/filter_statuses/{fs_id}")).await.expect(404);
    let marked = by_id_in(&home(&alice).await, &plain)["filtered"].clone();
    assert_eq!(marked[0]["status_matches"], json!([plain]));
    assert!(marked[0]["keyword_matches"].is_null());
    assert_eq!(alice.get(&st).await.list().len(), 1);
    assert_eq!(alice.delete(&format!("/api/v2/filter_statuses/{fs_id}")).await.ok(), &json!({}));

    // Changing a filter: keywords added, changed and removed in one go; bad input changes nothing.
    let updated = alice
        .put(
            &format!("/api/v2/filters/{warn_id}"),
            json!({
                "title": "Pets",
                "keywords_attributes": [
                    { "id": keyword_id, "_destroy": true },
                    { "keyword": "dog" }
                ]
            }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(updated["title"], "Pets");
    let words: Vec<&str> = updated["keywords"].as_array().expect("keywords").iter().map(|k| s(&k["keyword"])).collect();
    assert_eq!(words, vec!["kitten", "dog"]);
    alice
        .put(&format!("/api/v2/filters/{warn_id}"), json!({ "title": "Nope", "context": ["nowhere"] }))
        .await
        .expect(422);
    alice
        .put(&format!("/api/v2/filters/{warn_id}"), json!({ "title": "Nope", "keywords_attributes": [{ "id": "1" }] }))
        .await
        .expect(404);
    assert_eq!(alice.get(&format!("/api/v2/filters/{warn_id}")).await.ok()["title"], "Pets");

    // The v1 view: one filter per keyword.
    let v1 = alice.get("/api/v1/filters").await.list().clone();
    let finale_v1 = v1.iter().find(|f| f["phrase"] == "finale").expect("v1 filter");
    assert_eq!(finale_v1["irreversible"], true);
    assert_eq!(finale_v1["context"], json!(["home"]));
    let one = alice.get(&format!("/api/v1/filters/{}", s(&finale_v1["id"]))).await.ok().clone();
    assert_eq!(one["phrase"], "finale");

    // Deleting the hide filter brings the status back.
    assert_eq!(alice.delete(&format!("/api/v2/filters/{hide_id}")).await.ok(), &json!({}));
    assert!(contains_id(&home(&alice).await, &finale));
    let filters_scope = scoped(&node, &alice, "read:statuses").await;
    filters_scope.get("/api/v2/filters").await.expect(403);
}

fn by_id_in(list: &[Value], id: &str) -> Value {
    list.iter().find(|v| v["id"] == id).cloned().unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followed_hashtags_bring_public_posts_home() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let dave = node.create_member("dave").await;

    let anon_tag = node.anon().get("/api/v1/tags/Housing").await.ok().clone();
    assert_eq!(anon_tag["name"], "housing");
    assert!(anon_tag.get("following").is_none());
    assert_eq!(anon_tag["history"].as_array().map(Vec::len), Some(7));
    node.anon().get("/api/v1/tags/not%20a%20tag").await.expect(404);
    node.anon().post_empty("/api/v1/tags/housing/follow").await.expect(401);
    alice.post_empty("/api/v1/tags/%23%23%23/follow").await.expect(404);

    let followed = alice.post_empty("/api/v1/tags/Housing/follow").await.ok().clone();
    assert_eq!(followed["following"], true);
    assert_eq!(followed["url"], node.url("/tags/housing").as_str());
    let listed = alice.get("/api/v1/followed_tags").await.list().clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "housing");
    alice.post_empty("/api/v1/tags/housing/follow").await.ok();
    assert_eq!(alice.get("/api/v1/followed_tags").await.list().len(), 1, "following twice is following once");

    alice.post_empty("/api/v1/tags/schools/follow").await.ok();
    let schools = post(&dave, "Term dates for #schools", "public").await;
    let public = post(&dave, "New #housing rules", "public").await;
    let unlisted = post(&dave, "Quiet #housing note", "unlisted").await;
    let private = post(&dave, "Followers-only #housing note", "private").await;
    let untagged = post(&dave, "Something else", "public").await;
    let at_home = home(&alice).await;
    assert!(contains_id(&at_home, &public) && contains_id(&at_home, &schools));
    // Paging walks through both hashtags in order.
    let first = alice.get("/api/v1/timelines/home?limit=1").await;
    assert_eq!(ids_of(first.list()), vec![public.clone()]);
    let next = alice.get(&first.link("next").expect("a next link")).await.list().clone();
    assert_eq!(ids_of(&next), vec![schools.clone()]);
    assert!(!contains_id(&at_home, &unlisted) && !contains_id(&at_home, &private) && !contains_id(&at_home, &untagged));

    let tag = alice.get("/api/v1/tags/housing").await.ok().clone();
    assert_eq!(tag["following"], true);
    assert_eq!(tag["history"][0]["uses"], "2", "public and unlisted posts today: {tag}");
    assert_eq!(tag["history"][0]["accounts"], "1");
    assert!(tag["history"][0]["day"].as_str().is_some_and(|d| d.parse::<i64>().is_ok()));

    // Muting the author keeps the post away, as everywhere.
    alice.post_empty(&format!("/api/v1/accounts/{}/mute", dave.id)).await.ok();
    assert!(!contains_id(&home(&alice).await, &public));
    alice.post_empty(&format!("/api/v1/accounts/{}/unmute", dave.id)).await.ok();

    let unfollowed = alice.post_empty("/api/v1/tags/housing/unfollow").await.ok().clone();
    assert_eq!(unfollowed["following"], false);
    assert_eq!(alice.get("/api/v1/followed_tags").await.list()[0]["name"], "schools");
    let at_home = home(&alice).await;
    assert!(!contains_id(&at_home, &public) && contains_id(&at_home, &schools));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn featured_hashtags_show_on_a_profile() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    post(&alice, "Notes on #housing", "public").await;
    post(&alice, "More on #Housing and #schools", "public").await;
    post(&alice, "A private #secretproject", "direct").await;

    let suggested = alice.get("/api/v1/featured_tags/suggestions").await.list().clone();
    assert_eq!(suggested[0]["name"], "housing");

    alice.post("/api/v1/featured_tags", json!({ "name": "" })).await.expect(422);
    alice.post("/api/v1/featured_tags", json!({ "name": "not a tag" })).await.expect(422);
    let featured = alice.post("/api/v1/featured_tags", json!({ "name": "#Housing" })).await.ok().clone();
    assert_eq!(featured["name"], "housing");
    assert_eq!(featured["statuses_count"], "2", "a string, as Mastodon writes it");
    assert_eq!(featured["url"], node.url("/@alice/tagged/housing").as_str());
    assert_eq!(s(&featured["last_status_at"]).len(), 10, "a date: {featured}");
    alice.post("/api/v1/featured_tags", json!({ "name": "housing" })).await.expect(422);
    let secret = alice.post("/api/v1/featured_tags", json!({ "name": "secretproject" })).await.ok().clone();
    assert_eq!(secret["statuses_count"], "0", "direct posts are not counted");
    assert!(secret["last_status_at"].is_null());

    let suggested = alice.get("/api/v1/featured_tags/suggestions").await.list().clone();
    assert!(suggested.iter().all(|t| t["name"] != "housing"));
    let public = node.anon().get(&format!("/api/v1/accounts/{}/featured_tags", alice.id)).await.list().clone();
    assert_eq!(public.len(), 2);
    assert_eq!(alice.get("/api/v1/featured_tags").await.list().len(), 2);
    assert!(bob.get("/api/v1/featured_tags").await.list().is_empty());

    let id = s(&featured["id"]).to_owned();
    bob.delete(&format!("/api/v1/featured_tags/{id}")).await.expect(404);
    assert_eq!(alice.get("/api/v1/featured_tags").await.list().len(), 2);
    assert_eq!(alice.delete(&format!("/api/v1/featured_tags/{id}")).await.ok(), &json!({}));
    assert_eq!(alice.get("/api/v1/featured_tags").await.list().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_conversations_are_seen_only_by_their_participants() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    follow(&carol, &alice).await;

    let first =
        s(&alice.post_status(json!({ "status": "@bob lunch?", "visibility": "direct" })).await["id"]).to_owned();
    post(&alice, "Followers only, not a conversation", "private").await;
    post(&alice, "Public, not a conversation", "public").await;

    let bobs = bob.get("/api/v1/conversations").await.list().clone();
    assert_eq!(bobs.len(), 1);
    let conv = &bobs[0];
    let conv_id = s(&conv["id"]).to_owned();
    assert_eq!(conv["unread"], true);
    assert_eq!(ids_of(conv["accounts"].as_array().expect("accounts")), vec![alice.id.clone()]);
    assert_eq!(conv["last_status"]["id"], first.as_str());
    let alices = alice.get("/api/v1/conversations").await.list().clone();
    assert_eq!(alices.len(), 1);
    assert_eq!(alices[0]["unread"], false, "one's own message is read");
    assert_eq!(ids_of(alices[0]["accounts"].as_array().expect("accounts")), vec![bob.id.clone()]);

    // Carol, who follows alice, sees nothing of it and can touch nothing.
    assert!(carol.get("/api/v1/conversations").await.list().is_empty());
    carol.post_empty(&format!("/api/v1/conversations/{conv_id}/read")).await.expect(404);
    carol.delete(&format!("/api/v1/conversations/{conv_id}")).await.expect(404);
    node.anon().get("/api/v1/conversations").await.expect(401);

    let read = bob.post_empty(&format!("/api/v1/conversations/{conv_id}/read")).await.ok().clone();
    assert_eq!(read["unread"], false);
    assert_eq!(bob.get("/api/v1/conversations").await.list()[0]["unread"], false);

    // A reply from bob: the same conversation, unread for alice now.
    let reply = s(&bob
        .post_status(json!({ "status": "@alice yes!", "visibility": "direct", "in_reply_to_id": first }))
        .await["id"])
    .to_owned();
    let alices = alice.get("/api/v1/conversations").await.list().clone();
    assert_eq!(alices.len(), 1);
    assert_eq!(alices[0]["id"], conv_id.as_str());
    assert_eq!(alices[0]["unread"], true);
    assert_eq!(alices[0]["last_status"]["id"], reply.as_str());

    // Other people make another conversation.
    alice.post_status(json!({ "status": "@bob @carol all three of us", "visibility": "direct" })).await;
    let carols = carol.get("/api/v1/conversations").await.list().clone();
    assert_eq!(carols.len(), 1);
    let mut people = ids_of(carols[0]["accounts"].as_array().expect("accounts"));
    people.sort();
    let mut expected = vec![alice.id.clone(), bob.id.clone()];
    expected.sort();
    assert_eq!(people, expected);
    let bobs = bob.get("/api/v1/conversations?limit=1").await;
    assert_eq!(bobs.list().len(), 1);
    let next = bobs.link("next").expect("a next link");
    let older = bob.get(&next).await.list().clone();
    assert_eq!(ids_of(&older), vec![conv_id.clone()]);

    // Hiding: gone until someone writes again.
    assert_eq!(bob.delete(&format!("/api/v1/conversations/{conv_id}")).await.ok(), &json!({}));
    assert!(!contains_id(bob.get("/api/v1/conversations").await.list(), &conv_id));
    assert!(contains_id(alice.get("/api/v1/conversations").await.list(), &conv_id), "alice keeps hers");
    alice.post_status(json!({ "status": "@bob and dessert?", "visibility": "direct", "in_reply_to_id": reply })).await;
    let back = bob.get("/api/v1/conversations").await.list().clone();
    let again = back.iter().find(|c| c["id"] == conv_id.as_str()).expect("the conversation is back");
    assert_eq!(again["unread"], true);
    bob.post_empty("/api/v1/conversations/abc/read").await.expect(404);
}
