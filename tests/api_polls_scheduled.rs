//! Polls, scheduled posts and `Idempotency-Key`, told as stories on a real node over real HTTP:
//! what a Mastodon app sends (JSON, form and multipart bodies), what it gets back, what is
//! refused (422, and nothing changes), and who may see a poll.
mod common;

use std::time::Duration;

use common::{Member, TestNode, eventually};
use reqwest::Method;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}"))
}

async fn follow(who: &Member, whom: &Member) {
    who.post_empty(&format!("/api/v1/accounts/{}/follow", whom.id)).await.ok();
}

/// How many posts `m` has (as their profile lists them).
async fn post_count(m: &Member) -> usize {
    m.get(&format!("/api/v1/accounts/{}/statuses?limit=40", m.id)).await.list().len()
}

fn poll_body(text: &str, options: &[&str], expires_in: i64, multiple: bool) -> Value {
    json!({ "status": text, "poll": { "options": options, "expires_in": expires_in, "multiple": multiple } })
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

fn iso_in(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_are_posted_as_json_form_and_multipart_within_the_limits_the_instance_shows() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;

    // The limits apps read are the ones enforced.
    let conf = node.anon().get("/api/v2/instance").await.ok()["configuration"]["polls"].clone();
    assert_eq!(
        conf,
        json!({"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300, "max_expiration": 2629746})
    );
    let v1 = node.anon().get("/api/v1/instance").await.ok()["configuration"]["polls"].clone();
    assert_eq!(v1, conf);

    // JSON: the Poll entity exactly as documented.
    let st =
        alice.post_status(poll_body("Which day for the housing forum?", &["Tuesday", "Thursday"], 3600, false)).await;
    let poll = &st["poll"];
    assert_eq!(
        keys(poll),
        [
            "emojis",
            "expired",
            "expires_at",
            "id",
            "multiple",
            "options",
            "own_votes",
            "voted",
            "voters_count",
            "votes_count"
        ]
    );
    assert!(poll["id"].is_string());
    assert_eq!(poll["expired"], false);
    assert_eq!(poll["multiple"], false);
    assert_eq!(poll["votes_count"], 0);
    assert_eq!(poll["voters_count"], Value::Null, "null for a single-choice poll, as documented");
    assert_eq!(
        poll["options"],
        json!([{"title": "Tuesday", "votes_count": 0}, {"title": "Thursday", "votes_count": 0}])
    );
    assert_eq!(poll["emojis"], json!([]));
    assert_eq!(poll["voted"], true, "Mastodon counts the author as having voted");
    assert_eq!(poll["own_votes"], json!([]));
    let expires = chrono::DateTime::parse_from_rfc3339(s(&poll["expires_at"])).expect("ISO date");
    let ahead = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(ahead > chrono::Duration::seconds(3500) && ahead <= chrono::Duration::seconds(3600), "{ahead}");
    // The same poll through GET /api/v1/polls/:id and on the status.
    let id = s(&poll["id"]).to_owned();
    assert_eq!(alice.get(&format!("/api/v1/polls/{id}")).await.ok()["options"], poll["options"]);
    let shown = alice.get(&format!("/api/v1/statuses/{}", s(&st["id"]))).await.ok()["poll"].clone();
    assert_eq!(shown["id"], poll["id"]);
    // Without a token there is no `voted` nor `own_votes`.
    let anon = node.anon().get(&format!("/api/v1/polls/{id}")).await.ok().clone();
    assert!(anon.get("voted").is_none() && anon.get("own_votes").is_none(), "{anon}");

    // Form-encoded, as many apps send it.
    let form = alice
        .form(
            Method::POST,
            "/api/v1/statuses",
            &[
                ("status", "Which topics?"),
                ("poll[options][]", "Damp"),
                ("poll[options][]", "Mould"),
                ("poll[options][]", "Rent"),
                ("poll[expires_in]", "600"),
                ("poll[multiple]", "true"),
                ("poll[hide_totals]", "false"),
            ],
        )
        .await
        .ok()
        .clone();
    assert_eq!(form["poll"]["multiple"], true);
    assert_eq!(form["poll"]["voters_count"], 0);
    assert_eq!(form["poll"]["options"].as_array().map(Vec::len), Some(3));

    // Multipart.
    let mp = reqwest::multipart::Form::new()
        .text("status", "Multipart poll")
        .text("poll[options][]", "Yes")
        .text("poll[options][]", "No")
        .text("poll[expires_in]", "300");
    let r = alice.send(Method::POST, "/api/v1/statuses", |b| b.multipart(mp)).await;
    assert_eq!(r.ok()["poll"]["options"][1]["title"], "No");

    // Bad polls answer 422 and post nothing.
    let before = post_count(&alice).await;
    let image = alice.upload("chart.png", "image/png", common::png(8, 8), "a chart").await.ok().clone();
    for bad in [
        poll_body("one option", &["Only"], 3600, false),
        poll_body("five options", &["a", "b", "c", "d", "e"], 3600, false),
        poll_body("too long", &["a", &"x".repeat(51)], 3600, false),
        poll_body("too short", &["a", "b"], 299, false),
        poll_body("too long a time", &["a", "b"], 2629747, false),
        poll_body("same twice", &["a", "a"], 3600, false),
        poll_body("blank option", &["a", " "], 3600, false),
        json!({ "status": "no duration", "poll": { "options": ["a", "b"] } }),
        json!({ "status": "duration is words", "poll": { "options": ["a", "b"], "expires_in": "soon" } }),
        json!({ "status": "poll is a string", "poll": "yes" }),
        json!({ "status": "with media", "media_ids": [image["id"]], "poll": { "options": ["a", "b"], "expires_in": 3600 } }),
        json!({ "status": "", "poll": { "options": ["a", "b"], "expires_in": 3600 } }),
    ] {
        let r = alice.post("/api/v1/statuses", bad.clone()).await;
        r.expect(422);
        assert!(r.error().starts_with("Validation failed"), "{bad}: {}", r.error());
    }
    assert_eq!(post_count(&alice).await, before, "nothing was posted");
    // The image refused with the poll is still free for a post.
    alice.post_status(json!({ "status": "the chart", "media_ids": [image["id"]] })).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_vote_once_and_what_mastodon_refuses_is_refused() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;

    let single = alice.post_status(poll_body("Forum day?", &["Tuesday", "Thursday"], 3600, false)).await;
    let pid = s(&single["poll"]["id"]).to_owned();
    let votes = format!("/api/v1/polls/{pid}/votes");

    let after = bob.post(&votes, json!({ "choices": [1] })).await.ok().clone();
    assert_eq!(after["votes_count"], 1);
    assert_eq!(after["options"][1]["votes_count"], 1);
    assert_eq!(after["voted"], true);
    assert_eq!(after["own_votes"], json!([1]));

    // Refused: a second vote, one's own poll, two choices on a single-choice poll, options that
    // do not exist, no choice at all; and unknown polls are 404.
    let r = bob.post(&votes, json!({ "choices": [0] })).await;
    r.expect(422);
    assert!(r.error().contains("already voted"), "{}", r.error());
    alice.post(&votes, json!({ "choices": [0] })).await.expect(422);
    carol.post(&votes, json!({ "choices": [0, 1] })).await.expect(422);
    carol.post(&votes, json!({ "choices": [2] })).await.expect(422);
    carol.post(&votes, json!({ "choices": [-1] })).await.expect(422);
    carol.post(&votes, json!({ "choices": [] })).await.expect(422);
    carol.post(&votes, json!({})).await.expect(422);
    carol.post(&votes, json!({ "choices": ["first"] })).await.expect(422);
    carol.post("/api/v1/polls/123456/votes", json!({ "choices": [0] })).await.expect(404);
    carol.get("/api/v1/polls/123456").await.expect(404);
    let now = carol.get(&format!("/api/v1/polls/{pid}")).await.ok().clone();
    assert_eq!(now["votes_count"], 1, "nothing changed: {now}");
    assert_eq!(now["voted"], false);
    assert_eq!(now["own_votes"], json!([]));

    // A form vote (`choices[]`) on a multiple-choice poll counts each option once.
    let multi = alice.post_status(poll_body("Topics?", &["Damp", "Mould", "Rent"], 3600, true)).await;
    let mid = s(&multi["poll"]["id"]).to_owned();
    let p = carol
        .form(
            Method::POST,
            &format!("/api/v1/polls/{mid}/votes"),
            &[("choices[]", "0"), ("choices[]", "2"), ("choices[]", "2")],
        )
        .await
        .ok()
        .clone();
    assert_eq!(p["votes_count"], 2);
    assert_eq!(p["voters_count"], 1);
    assert_eq!(p["own_votes"], json!([0, 2]));
    bob.post(&format!("/api/v1/polls/{mid}/votes"), json!({ "choices": [1] })).await.ok();
    let p = alice.get(&format!("/api/v1/polls/{mid}")).await.ok().clone();
    assert_eq!(
        p["options"],
        json!([{"title": "Damp", "votes_count": 1}, {"title": "Mould", "votes_count": 1}, {"title": "Rent", "votes_count": 1}])
    );
    assert_eq!(p["voters_count"], 2);

    // Hidden totals stay hidden (null) until the poll ends.
    let hidden = alice
        .post_status(json!({ "status": "Secret ballot", "poll": { "options": ["a", "b"], "expires_in": 3600, "hide_totals": true } }))
        .await;
    let hid = s(&hidden["poll"]["id"]).to_owned();
    let p = bob.post(&format!("/api/v1/polls/{hid}/votes"), json!({ "choices": ["0"] })).await.ok().clone();
    assert_eq!(p["options"][0]["votes_count"], Value::Null);
    assert_eq!(p["votes_count"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followers_only_poll_is_seen_and_voted_on_only_by_those_who_may_read_the_post() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let fiona = node.create_member("fiona").await;
    let stranger = node.create_member("stranger").await;
    follow(&fiona, &alice).await;

    let mut body = poll_body("Followers: which venue?", &["Town hall", "Library"], 3600, false);
    body["visibility"] = json!("private");
    let st = alice.post_status(body).await;
    let pid = s(&st["poll"]["id"]).to_owned();

    for api in [node.anon(), stranger.api.clone()] {
        api.get(&format!("/api/v1/polls/{pid}")).await.expect(404);
    }
    stranger.post(&format!("/api/v1/polls/{pid}/votes"), json!({ "choices": [0] })).await.expect(404);
    assert_eq!(
        alice.get(&format!("/api/v1/polls/{pid}")).await.ok()["votes_count"],
        0,
        "the stranger's vote did not count"
    );

    let p = fiona.post(&format!("/api/v1/polls/{pid}/votes"), json!({ "choices": [0] })).await.ok().clone();
    assert_eq!(p["votes_count"], 1);
    // A block ends access too.
    alice.post_empty(&format!("/api/v1/accounts/{}/block", fiona.id)).await.ok();
    fiona.get(&format!("/api/v1/polls/{pid}")).await.expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_a_poll_ends_its_voters_and_author_are_told_and_voting_stops() {
    let node = TestNode::start_with(|s| s.posting.poll_min_expiration = 1).await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;

    let st = alice.post_status(poll_body("Quick one", &["Yes", "No"], 3, false)).await;
    let pid = s(&st["poll"]["id"]).to_owned();
    bob.post(&format!("/api/v1/polls/{pid}/votes"), json!({ "choices": [0] })).await.ok();

    for m in [&alice, &bob] {
        let n = eventually(&format!("{} told the poll ended", m.name), WAIT, || async {
            let l = m.get("/api/v1/notifications?types[]=poll").await.list().clone();
            l.into_iter().next()
        })
        .await;
        assert_eq!(n["type"], "poll");
        assert_eq!(n["status"]["id"], st["id"]);
        assert_eq!(n["status"]["poll"]["expired"], true);
        assert_eq!(n["account"]["id"], json!(alice.id));
    }
    assert!(carol.get("/api/v1/notifications?types[]=poll").await.list().is_empty(), "carol did not vote");
    let r = carol.post(&format!("/api/v1/polls/{pid}/votes"), json!({ "choices": [1] })).await;
    r.expect(422);
    assert!(r.error().contains("ended"), "{}", r.error());
    let p = alice.get(&format!("/api/v1/polls/{pid}")).await.ok().clone();
    assert_eq!((p["expired"].clone(), p["votes_count"].clone()), (json!(true), json!(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_post_waits_keeps_its_media_and_is_published_on_time() {
    let node = TestNode::start_with(|s| {
        s.posting.scheduled_min_lead_seconds = 0;
        s.posting.poll_min_expiration = 60;
    })
    .await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let image = alice.upload("plan.png", "image/png", common::png(8, 8), "the floor plan").await.ok().clone();
    let before = post_count(&alice).await;

    // Bad times are refused and nothing is scheduled.
    for at in ["2001-01-01T00:00:00Z", "next tuesday", &iso_in(-5)] {
        let r = alice.post("/api/v1/statuses", json!({ "status": "late", "scheduled_at": at })).await;
        r.expect(422);
    }
    // A post that would be refused now is refused when scheduled.
    alice.post("/api/v1/statuses", json!({ "status": "", "scheduled_at": iso_in(3600) })).await.expect(422);
    assert!(alice.get("/api/v1/scheduled_statuses").await.list().is_empty());

    // Scheduled with an image: a ScheduledStatus comes back.
    let sched = alice
        .post("/api/v1/statuses", json!({ "status": "Floor plan for Tuesday", "media_ids": [image["id"]], "scheduled_at": iso_in(3), "visibility": "unlisted" }))
        .await
        .ok()
        .clone();
    assert_eq!(keys(&sched), ["id", "media_attachments", "params", "scheduled_at"]);
    assert_eq!(sched["params"]["text"], "Floor plan for Tuesday");
    assert_eq!(sched["params"]["visibility"], "unlisted");
    assert_eq!(sched["params"]["media_ids"], json!([image["id"]]));
    assert_eq!(sched["params"]["poll"], Value::Null);
    assert_eq!(sched["media_attachments"][0]["id"], image["id"]);
    let sid = s(&sched["id"]).to_owned();
    // The image is held for it.
    alice.post("/api/v1/statuses", json!({ "status": "steal", "media_ids": [image["id"]] })).await.expect(422);
    // Only Alice sees it.
    bob.get(&format!("/api/v1/scheduled_statuses/{sid}")).await.expect(404);
    bob.delete(&format!("/api/v1/scheduled_statuses/{sid}")).await.expect(404);
    assert!(bob.get("/api/v1/scheduled_statuses").await.list().is_empty());
    assert_eq!(alice.get(&format!("/api/v1/scheduled_statuses/{sid}")).await.ok()["id"], sched["id"]);

    // At its time it is published, with its image, and leaves the list.
    let published = eventually("the scheduled post published", WAIT, || async {
        let l = alice.get(&format!("/api/v1/accounts/{}/statuses", alice.id)).await.list().clone();
        l.into_iter().find(|st| st["content"].as_str().is_some_and(|c| c.contains("Floor plan")))
    })
    .await;
    assert_eq!(published["visibility"], "unlisted");
    assert_eq!(published["media_attachments"][0]["id"], image["id"]);
    assert_eq!(post_count(&alice).await, before + 1);
    alice.get(&format!("/api/v1/scheduled_statuses/{sid}")).await.expect(404);

    // Moved earlier with PUT, it is published at the new time; a poll goes with it.
    let later = alice
        .post("/api/v1/statuses", json!({ "status": "Vote later", "poll": { "options": ["a", "b"], "expires_in": 600 }, "scheduled_at": iso_in(3600) }))
        .await
        .ok()
        .clone();
    assert_eq!(later["params"]["poll"]["options"], json!(["a", "b"]));
    let lid = s(&later["id"]).to_owned();
    alice.put(&format!("/api/v1/scheduled_statuses/{lid}"), json!({ "scheduled_at": "yesterday" })).await.expect(422);
    alice.put(&format!("/api/v1/scheduled_statuses/{lid}"), json!({ "scheduled_at": iso_in(-60) })).await.expect(422);
    let moved = alice
        .put(&format!("/api/v1/scheduled_statuses/{lid}"), json!({ "scheduled_at": iso_in(2) }))
        .await
        .ok()
        .clone();
    assert_ne!(moved["scheduled_at"], later["scheduled_at"]);
    let with_poll = eventually("the moved post published", WAIT, || async {
        let l = alice.get(&format!("/api/v1/accounts/{}/statuses", alice.id)).await.list().clone();
        l.into_iter().find(|st| st["content"].as_str().is_some_and(|c| c.contains("Vote later")))
    })
    .await;
    assert_eq!(with_poll["poll"]["options"][1]["title"], "b");

    // Cancelled, it never appears and its image is free again.
    let image2 = alice.upload("b.png", "image/png", common::png(8, 8), "second").await.ok().clone();
    let gone = alice
        .post(
            "/api/v1/statuses",
            json!({ "status": "Never mind", "media_ids": [image2["id"]], "scheduled_at": iso_in(3600) }),
        )
        .await
        .ok()
        .clone();
    let gid = s(&gone["id"]).to_owned();
    assert_eq!(alice.delete(&format!("/api/v1/scheduled_statuses/{gid}")).await.ok(), &json!({}));
    alice.get(&format!("/api/v1/scheduled_statuses/{gid}")).await.expect(404);
    alice.delete(&format!("/api/v1/scheduled_statuses/{gid}")).await.expect(404);
    alice.post_status(json!({ "status": "image reused", "media_ids": [image2["id"]] })).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_posts_must_be_five_minutes_ahead_and_are_listed_in_pages() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;

    let r = alice.post("/api/v1/statuses", json!({ "status": "too soon", "scheduled_at": iso_in(60) })).await;
    r.expect(422);
    assert!(r.error().contains("Scheduled at"), "{}", r.error());
    assert!(alice.get("/api/v1/scheduled_statuses").await.list().is_empty());

    // Form-encoded too; three of them, read two at a time.
    let mut ids = Vec::new();
    for n in 0..3 {
        let at = iso_in(600 + n * 60);
        let r = alice
            .form(Method::POST, "/api/v1/statuses", &[("status", &format!("later {n}")), ("scheduled_at", &at)])
            .await
            .ok()
            .clone();
        ids.push(s(&r["id"]).to_owned());
    }
    let first = alice.get("/api/v1/scheduled_statuses?limit=2").await;
    let page: Vec<String> = first.ids();
    assert_eq!(page, vec![ids[2].clone(), ids[1].clone()], "newest first");
    let next = first.link("next").expect("a next link");
    let second = alice.get(&next).await;
    assert_eq!(second.ids(), vec![ids[0].clone()]);
    let prev = first.link("prev").expect("a prev link");
    assert!(alice.get(&prev).await.list().is_empty());

    // PUT keeps the same rule.
    let put = alice.put(&format!("/api/v1/scheduled_statuses/{}", ids[0]), json!({ "scheduled_at": iso_in(30) })).await;
    put.expect(422);
    let still = alice.get(&format!("/api/v1/scheduled_statuses/{}", ids[0])).await.ok().clone();
    assert_eq!(still["params"]["text"], "later 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_makes_one_post_even_when_requests_race() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let with_key = |m: &Member, key: &str, text: &str| {
        let (api, key, body) = (m.api.clone(), key.to_owned(), json!({ "status": text }));
        async move {
            api.send(Method::POST, "/api/v1/statuses", move |r| r.header("Idempotency-Key", key).json(&body)).await
        }
    };

    // Sequential: the same key returns the first post.
    let first = with_key(&alice, "k-1", "Minutes of the forum").await.ok().clone();
    let again = with_key(&alice, "k-1", "Minutes of the forum").await.ok().clone();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(post_count(&alice).await, 1);
    // Another key, or another member with the same key, makes a new post.
    let other = with_key(&alice, "k-2", "Minutes of the forum").await.ok().clone();
    assert_ne!(other["id"], first["id"]);
    let bobs = with_key(&bob, "k-1", "Bob's minutes").await.ok().clone();
    assert_ne!(bobs["id"], first["id"]);
    assert_eq!(post_count(&alice).await, 2);

    // Concurrent: eight requests with one key make one post, and all get it.
    let racers: Vec<_> = (0..8).map(|_| tokio::spawn(with_key(&alice, "k-race", "Agenda"))).collect();
    let mut seen = Vec::new();
    for r in racers {
        let resp = r.await.expect("request task");
        seen.push(s(&resp.ok()["id"]).to_owned());
    }
    seen.dedup();
    assert_eq!(seen.len(), 1, "every racer got the same post: {seen:?}");
    assert_eq!(post_count(&alice).await, 3);

    // An hour later the key is free again: the same key makes a new post.
    {
        use khub::db::entities::idempotency_keys as keys_table;
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let two_hours_ago = chrono::Utc::now() - chrono::Duration::hours(2);
        keys_table::Entity::update_many()
            .col_expr(keys_table::Column::CreatedAt, Expr::value(two_hours_ago))
            .filter(keys_table::Column::Key.eq("k-1"))
            .exec(&node.state.db.conn)
            .await
            .expect("age the key");
    }
    let fresh = with_key(&alice, "k-1", "Minutes of the forum").await.ok().clone();
    assert_ne!(fresh["id"], first["id"]);
    assert_eq!(post_count(&alice).await, 4);

    // A refused post keeps the key free: a corrected retry with it succeeds.
    with_key(&alice, "k-bad", "").await.expect(422);
    let fixed = with_key(&alice, "k-bad", "Now with text").await.ok().clone();
    assert!(s(&fixed["content"]).contains("Now with text"));
    // A scheduled post with a key is returned again as the same ScheduledStatus.
    let body = json!({ "status": "Later", "scheduled_at": iso_in(3600) });
    let send = |body: Value| {
        let api = alice.api.clone();
        async move {
            api.send(Method::POST, "/api/v1/statuses", move |r| r.header("Idempotency-Key", "k-s").json(&body)).await
        }
    };
    let a = send(body.clone()).await.ok().clone();
    let b = send(body).await.ok().clone();
    assert_eq!(a["id"], b["id"]);
    assert_eq!(b["params"]["idempotency"], "k-s");
    assert_eq!(alice.get("/api/v1/scheduled_statuses").await.list().len(), 1);
}
