//! Bad input on every endpoint family: each answer is a clear 4xx with `{"error": "…"}`, never a
//! 5xx (the client rig fails any 5xx), and a refused write changes nothing a member could see.
mod common;

use common::{Member, TestNode, png};
use reqwest::Method;
use serde_json::{Value, json};

/// A node with small body and image limits, Alice and Bob (who follows her), and a few posts.
struct World {
    node: TestNode,
    alice: Member,
    bob: Member,
    /// Alice's public post.
    public: String,
    /// Alice's direct post to nobody: only she can see it.
    hidden: String,
    /// Alice's picture, not attached yet.
    media: String,
}

const BODY_LIMIT: usize = 1024 * 1024;
const IMAGE_LIMIT: usize = 200 * 1024;

async fn world() -> World {
    let node = TestNode::start_with(|s| {
        s.limits.max_body_bytes = BODY_LIMIT;
        s.limits.max_image_bytes = IMAGE_LIMIT;
    })
    .await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    bob.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.ok();
    let public = alice.post_status(json!({ "status": "Alice's public post #budget" })).await;
    let hidden = alice.post_status(json!({ "status": "A note to self", "visibility": "direct" })).await;
    bob.post_status(json!({ "status": "Bob's post" })).await;
    let media = alice.upload("a.png", "image/png", png(8, 8), "a dot").await.ok().clone();
    World { public: id(&public), hidden: id(&hidden), media: id(&media), node, alice, bob }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

impl World {
    /// Everything a member could see change after a write.
    async fn snapshot(&self) -> Value {
        let (a, b) = (&self.alice, &self.bob);
        json!({
            "alice": a.me().await,
            "bob": b.me().await,
            "alice_profile": a.get("/api/khub/v1/profile").await.ok(),
            "alice_statuses": a.get(&format!("/api/v1/accounts/{}/statuses?limit=40", a.id)).await.ok(),
            "bob_statuses": b.get(&format!("/api/v1/accounts/{}/statuses?limit=40", b.id)).await.ok(),
            "alice_home": a.get("/api/v1/timelines/home?limit=40").await.ok(),
            "public": self.node.anon().get("/api/v1/timelines/public?limit=40").await.ok(),
            "alice_notes": a.get("/api/v1/notifications").await.ok(),
            "bob_notes": b.get("/api/v1/notifications").await.ok(),
            "bob_marks": b.get("/api/v1/bookmarks").await.ok(),
            "bob_favs": b.get("/api/v1/favourites").await.ok(),
            "relationship": b.get(&format!("/api/v1/accounts/relationships?id[]={}", a.id)).await.ok(),
            "alice_media": a.get(&format!("/api/v1/media/{}", self.media)).await.ok(),
            "media_files": self.media_files(),
            "instance": self.node.anon().get("/api/v1/instance").await.ok()["stats"],
        })
    }

    /// The uploaded files on disk.
    fn media_files(&self) -> Vec<String> {
        let dir = self.node.data_dir.path().join("media");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    #[track_caller]
    fn assert_unchanged(&self, before: &Value, after: &Value, what: &str) {
        if before != after {
            let (b, a) = (before.as_object().expect("object"), after.as_object().expect("object"));
            let changed: Vec<&String> = b.keys().filter(|k| b[*k] != a[*k]).collect();
            panic!("{what} changed {changed:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_without_a_valid_token_are_refused() {
    let w = world().await;
    let before = w.snapshot().await;
    let (p, a) = (&w.public, &w.alice.id);
    let writes: Vec<(Method, String, Value)> = vec![
        (Method::POST, "/api/v1/statuses".into(), json!({ "status": "sneaky" })),
        (Method::PUT, format!("/api/v1/statuses/{p}"), json!({ "status": "sneaky" })),
        (Method::DELETE, format!("/api/v1/statuses/{p}"), json!({})),
        (Method::POST, format!("/api/v1/statuses/{p}/favourite"), json!({})),
        (Method::POST, format!("/api/v1/statuses/{p}/reblog"), json!({})),
        (Method::POST, format!("/api/v1/statuses/{p}/bookmark"), json!({})),
        (Method::POST, format!("/api/v1/statuses/{p}/pin"), json!({})),
        (Method::POST, format!("/api/v1/accounts/{a}/follow"), json!({})),
        (Method::POST, format!("/api/v1/accounts/{a}/block"), json!({})),
        (Method::POST, format!("/api/v1/accounts/{a}/mute"), json!({})),
        (Method::PATCH, "/api/v1/accounts/update_credentials".into(), json!({ "display_name": "sneaky" })),
        (Method::PATCH, "/api/khub/v1/profile".into(), json!({ "job_title": "sneaky" })),
        (Method::PUT, format!("/api/v1/media/{}", w.media), json!({ "description": "sneaky" })),
        (Method::POST, "/api/v1/notifications/clear".into(), json!({})),
        (Method::POST, format!("/api/v1/follow_requests/{a}/authorize"), json!({})),
    ];
    let reads = [
        "/api/v1/accounts/verify_credentials",
        "/api/v1/timelines/home",
        "/api/v1/notifications",
        "/api/v1/bookmarks",
        "/api/v1/favourites",
        "/api/v1/follow_requests",
        "/api/khub/v1/profile",
    ];
    let long_token = "x".repeat(5000);
    let clients = [
        ("no token", w.node.anon()),
        ("a made-up token", w.node.with_token("not-a-real-token")),
        ("an over-long token", w.node.with_token(&long_token)),
        ("a token with a space", w.node.with_token("a b")),
    ];
    for (label, client) in &clients {
        for (method, path, body) in &writes {
            let body = body.clone();
            let r = client.send(method.clone(), path, |r| r.json(&body)).await;
            assert_eq!(r.status.as_u16(), 401, "{method} {path} with {label}: {}", r.text);
            r.expect(401);
        }
        let r = client.upload("a.png", "image/png", png(4, 4), "").await;
        assert_eq!(r.status.as_u16(), 401, "upload with {label}: {}", r.text);
        for path in reads {
            let r = client.get(path).await;
            assert_eq!(r.status.as_u16(), 401, "GET {path} with {label}: {}", r.text);
            r.expect(401);
        }
    }
    // A bad token is refused even where no token is needed: the client should know.
    w.node.with_token("not-a-real-token").get(&format!("/api/v1/statuses/{p}")).await.expect(401);
    // Another scheme is no token at all.
    let basic = w
        .node
        .anon()
        .send(Method::POST, "/api/v1/statuses", |r| {
            r.header("Authorization", "Basic YWxpY2U6cGFzc3dvcmQ=").json(&json!({ "status": "sneaky" }))
        })
        .await;
    basic.expect(401);
    w.assert_unchanged(&before, &w.snapshot().await, "refused unauthenticated writes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_statuses_are_refused_and_change_nothing() {
    let w = world().await;
    let alice = &w.alice;
    let before = w.snapshot().await;
    let too_long = "a".repeat(5001);
    let json_cases: Vec<(Value, u16, &str)> = vec![
        (json!({ "status": 5 }), 422, "a number as text"),
        (json!({ "status": ["a"] }), 422, "a list as text"),
        (json!({ "status": "x", "sensitive": "maybe" }), 422, "a non-boolean sensitive"),
        (json!({ "status": "x", "sensitive": [] }), 422, "a list as sensitive"),
        (json!({ "status": "x", "media_ids": ["abc"] }), 422, "a non-numeric media id"),
        (json!({ "status": "x", "media_ids": [-1] }), 422, "a negative media id"),
        (json!({ "status": "x", "media_ids": ["99999999"] }), 422, "an unknown media id"),
        (json!({ "status": "x", "media_ids": [w.media, w.media, w.media, w.media, w.media] }), 422, "five attachments"),
        (json!({ "status": "x", "media_ids": vec!["1"; 101] }), 422, "101 media ids"),
        (json!({ "status": "x", "media_ids": { "a": 1 } }), 422, "an object as media ids"),
        (json!({ "status": too_long }), 422, "text over max_status_chars"),
        (json!({ "status": "" }), 422, "empty text"),
        (json!({ "status": " \n\t " }), 422, "blank text"),
        (json!({}), 422, "no text at all"),
        (json!({ "status": null }), 422, "null text"),
        (json!({ "status": "x", "visibility": "secret" }), 422, "an unknown visibility"),
        (json!({ "status": "x", "visibility": 3 }), 422, "a number as visibility"),
        (json!({ "status": "x", "spoiler_text": "w".repeat(501) }), 422, "an over-long content warning"),
        (json!({ "status": "x", "language": "en; DROP TABLE statuses" }), 422, "a bad language"),
        (json!({ "status": "x", "in_reply_to_id": "abc" }), 422, "a non-numeric reply id"),
        (json!({ "status": "x", "in_reply_to_id": "99999999" }), 404, "a reply to nothing"),
        (json!({ "status": "x", "poll": { "options": ["a", "b"], "expires_in": 60 } }), 422, "a poll under 5 minutes"),
        (json!({ "status": "x", "poll": { "options": ["a"], "expires_in": 600 } }), 422, "a poll of one option"),
        (json!({ "status": "x", "scheduled_at": "2000-01-01T00:00:00Z" }), 422, "a post scheduled in the past"),
        (json!({ "status": "x", "scheduled_at": "soon" }), 422, "a scheduled time that is no date"),
    ];
    for (body, want, what) in &json_cases {
        let r = alice.post("/api/v1/statuses", body.clone()).await;
        assert_eq!(r.status.as_u16(), *want, "{what}: {}", r.text);
        r.expect(*want);
    }
    // Bob may not reply to, or attach, what is not his to see or use.
    let r = w.bob.post("/api/v1/statuses", json!({ "status": "x", "in_reply_to_id": w.hidden })).await;
    r.expect(404);
    let r = w.bob.post("/api/v1/statuses", json!({ "status": "x", "media_ids": [w.media] })).await;
    assert_eq!(r.status.as_u16(), 422, "someone else's media: {}", r.text);
    r.expect(422);

    let raw_cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("application/json", b"{\"status\": ".to_vec(), 400, "truncated JSON"),
        ("application/json", b"{status: 'x'}".to_vec(), 400, "not JSON"),
        ("application/json", b"[\"status\"]".to_vec(), 400, "a JSON list"),
        ("application/json", b"\"status\"".to_vec(), 400, "a JSON string"),
        ("application/json", b"{\"status\": \"\xff\xfe\"}".to_vec(), 400, "invalid UTF-8"),
        (
            "application/json",
            format!("{{\"status\": \"x\", \"poll\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            400,
            "JSON nested 10000 deep",
        ),
        ("application/x-www-form-urlencoded", b"status=x&sensitive=maybe".to_vec(), 422, "a form with a bad boolean"),
        ("application/x-www-form-urlencoded", b"status=x&media_ids[]=abc".to_vec(), 422, "a form with a bad media id"),
        ("application/x-www-form-urlencoded", b"status=&visibility=public".to_vec(), 422, "a form with empty text"),
        ("text/plain", b"status=x".to_vec(), 422, "an unsupported content type"),
        ("application/xml", b"<status>x</status>".to_vec(), 422, "XML"),
    ];
    for (ct, body, want, what) in raw_cases {
        let r = alice.raw(Method::POST, "/api/v1/statuses", ct, body).await;
        assert_eq!(r.status.as_u16(), want, "{what}: {}", r.text);
        r.expect(want);
    }
    w.assert_unchanged(&before, &w.snapshot().await, "refused new posts");

    // Edits get the same checks.
    let p = format!("/api/v1/statuses/{}", w.public);
    for (body, want, what) in [
        (json!({ "status": 5 }), 422, "a number as text"),
        (json!({ "status": "" }), 422, "empty text"),
        (json!({ "status": "a".repeat(5001) }), 422, "over-long text"),
        (json!({ "status": "x", "media_ids": ["abc"] }), 422, "a bad media id"),
        (json!({ "status": "x", "sensitive": "maybe" }), 422, "a bad boolean"),
    ] {
        let r = alice.put(&p, body).await;
        assert_eq!(r.status.as_u16(), want, "edit with {what}: {}", r.text);
        r.expect(want);
    }
    alice.raw(Method::PUT, &p, "application/json", b"{\"status\"".to_vec()).await.expect(400);
    w.assert_unchanged(&before, &w.snapshot().await, "refused edits");

    // The guard notices a real change: a post of exactly the maximum length is fine.
    alice.post_status(json!({ "status": "a".repeat(5000) })).await;
    assert_ne!(before, w.snapshot().await, "the snapshot must see a successful write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_ids_are_not_found() {
    let w = world().await;
    let (alice, bob) = (&w.alice, &w.bob);
    let before = w.snapshot().await;
    let huge = "99999999999999999999999999";
    for bad in ["99999999", "abc", "-1", "1.5", huge, "%20", "0x10", "1e3"] {
        let gets = [
            format!("/api/v1/statuses/{bad}"),
            format!("/api/v1/statuses/{bad}/context"),
            format!("/api/v1/statuses/{bad}/history"),
            format!("/api/v1/statuses/{bad}/source"),
            format!("/api/v1/accounts/{bad}"),
            format!("/api/v1/accounts/{bad}/statuses"),
            format!("/api/v1/accounts/{bad}/followers"),
            format!("/api/v1/accounts/{bad}/following"),
            format!("/api/v1/notifications/{bad}"),
            format!("/api/v1/media/{bad}"),
        ];
        for path in &gets {
            let r = alice.get(path).await;
            assert_eq!(r.status.as_u16(), 404, "GET {path}: {}", r.text);
            r.expect(404);
        }
        let posts = [
            format!("/api/v1/statuses/{bad}/favourite"),
            format!("/api/v1/statuses/{bad}/unfavourite"),
            format!("/api/v1/statuses/{bad}/reblog"),
            format!("/api/v1/statuses/{bad}/unreblog"),
            format!("/api/v1/statuses/{bad}/bookmark"),
            format!("/api/v1/statuses/{bad}/pin"),
            format!("/api/v1/accounts/{bad}/follow"),
            format!("/api/v1/accounts/{bad}/unfollow"),
            format!("/api/v1/accounts/{bad}/block"),
            format!("/api/v1/accounts/{bad}/mute"),
            format!("/api/v1/follow_requests/{bad}/authorize"),
            format!("/api/v1/follow_requests/{bad}/reject"),
            format!("/api/v1/notifications/{bad}/dismiss"),
        ];
        for path in &posts {
            let r = bob.post_empty(path).await;
            assert_eq!(r.status.as_u16(), 404, "POST {path}: {}", r.text);
            r.expect(404);
        }
        let r = alice.put(&format!("/api/v1/statuses/{bad}"), json!({ "status": "x" })).await;
        assert_eq!(r.status.as_u16(), 404, "PUT status {bad}: {}", r.text);
        let r = alice.delete(&format!("/api/v1/statuses/{bad}")).await;
        assert_eq!(r.status.as_u16(), 404, "DELETE status {bad}: {}", r.text);
        let r = alice.put(&format!("/api/v1/media/{bad}"), json!({ "description": "x" })).await;
        assert_eq!(r.status.as_u16(), 404, "PUT media {bad}: {}", r.text);
    }
    for path in ["/api/v1/nothing", "/api/v2/statuses", "/api/khub/v1/nothing", "/api/khub/v1/profiles/nobody"] {
        alice.get(path).await.expect(404);
    }
    alice.get("/api/v1/accounts/lookup?acct=nobody").await.expect(404);
    alice.get("/api/v1/accounts/lookup?acct=alice@elsewhere.example").await.expect(404);
    alice.get(&format!("/api/v1/timelines/tag/{}", "t".repeat(101))).await.expect(404);
    w.assert_unchanged(&before, &w.snapshot().await, "requests for unknown ids");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_members_posts_and_media_are_out_of_reach() {
    let w = world().await;
    let (alice, bob) = (&w.alice, &w.bob);
    let before = w.snapshot().await;
    let (public, hidden) = (&w.public, &w.hidden);

    // Bob can see Alice's public post, so he is told he may not change it.
    bob.put(&format!("/api/v1/statuses/{public}"), json!({ "status": "mine now" })).await.expect(403);
    bob.delete(&format!("/api/v1/statuses/{public}")).await.expect(403);
    bob.post_empty(&format!("/api/v1/statuses/{public}/pin")).await.expect(403);
    bob.get(&format!("/api/v1/statuses/{public}/source")).await.expect(403);
    // He cannot see the hidden one, so for him it does not exist.
    bob.put(&format!("/api/v1/statuses/{hidden}"), json!({ "status": "mine now" })).await.expect(404);
    bob.delete(&format!("/api/v1/statuses/{hidden}")).await.expect(404);
    bob.get(&format!("/api/v1/statuses/{hidden}/source")).await.expect(404);
    // Alice's media are hers alone.
    bob.get(&format!("/api/v1/media/{}", w.media)).await.expect(404);
    bob.put(&format!("/api/v1/media/{}", w.media), json!({ "description": "mine" })).await.expect(404);
    // Nobody acts on themselves or answers requests that were never made.
    alice.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.expect(403);
    alice.post_empty(&format!("/api/v1/accounts/{}/block", alice.id)).await.expect(403);
    alice.post_empty(&format!("/api/v1/follow_requests/{}/authorize", bob.id)).await.expect(404);
    alice.post_empty(&format!("/api/v1/follow_requests/{}/reject", bob.id)).await.expect(404);
    // A direct message cannot be pinned.
    alice.post_empty(&format!("/api/v1/statuses/{hidden}/pin")).await.expect(422);
    w.assert_unchanged(&before, &w.snapshot().await, "refused actions on others' things");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_updates_are_validated() {
    let w = world().await;
    let alice = &w.alice;
    let before = w.snapshot().await;
    let nine_links: Vec<Value> = (0..9).map(|n| json!({ "name": format!("L{n}"), "value": "x" })).collect();
    let many_tags: Vec<String> = (0..21).map(|n| format!("tag {n}")).collect();
    let credentials: Vec<(Value, &str)> = vec![
        (json!({ "display_name": "d".repeat(101) }), "an over-long display name"),
        (json!({ "display_name": 5 }), "a number as display name"),
        (json!({ "display_name": "bell\u{7}" }), "a control character"),
        (json!({ "note": "n".repeat(2001) }), "an over-long bio"),
        (json!({ "locked": "perhaps" }), "a non-boolean locked"),
        (json!({ "fields_attributes": nine_links }), "nine profile links"),
        (json!({ "fields_attributes": "abc" }), "links as a string"),
        (json!({ "fields_attributes": [{ "name": "no value" }] }), "a link without a value"),
        (json!({ "fields_attributes": [{ "name": "x", "value": "v".repeat(2049) }] }), "an over-long link"),
        (json!({ "job_title": "j".repeat(101) }), "an over-long job title"),
        (json!({ "expertise": many_tags }), "21 expertise tags"),
        (json!({ "expertise": ["e".repeat(51)] }), "an over-long expertise tag"),
        (json!({ "expertise": 7 }), "a number as expertise"),
        (json!({ "display_name": "ok", "note": "n".repeat(2001) }), "one bad key among good ones"),
    ];
    for (body, what) in &credentials {
        let r = alice.patch("/api/v1/accounts/update_credentials", body.clone()).await;
        assert_eq!(r.status.as_u16(), 422, "update_credentials with {what}: {}", r.text);
        r.expect(422);
    }
    alice
        .raw(Method::PATCH, "/api/v1/accounts/update_credentials", "application/json", b"{\"note\": }".to_vec())
        .await
        .expect(400);
    // An avatar that is not a picture.
    let part = reqwest::multipart::Part::bytes(b"MZ\x90\x00 not a picture".to_vec()).file_name("me.png");
    let form = reqwest::multipart::Form::new().part("avatar", part);
    let r = alice.send(Method::PATCH, "/api/v1/accounts/update_credentials", |r| r.multipart(form)).await;
    assert_eq!(r.status.as_u16(), 422, "a bad avatar: {}", r.text);

    let profile: Vec<(Value, &str)> = vec![
        (json!({ "job_title": "j".repeat(101) }), "an over-long job title"),
        (json!({ "organisation": ["a"] }), "a list as organisation"),
        (json!({ "expertise": 5 }), "a number as expertise"),
        (json!({ "expertise": [1, 2] }), "numbers as expertise"),
        (json!({ "links": "x" }), "links as a string"),
        (json!({ "links": [{ "name": "a" }] }), "a link without a value"),
        (json!({ "favourite_colour": "blue" }), "an unknown key"),
        (json!({ "location": "l".repeat(101) }), "an over-long location"),
    ];
    for (body, what) in &profile {
        let r = alice.patch("/api/khub/v1/profile", body.clone()).await;
        assert_eq!(r.status.as_u16(), 422, "khub profile with {what}: {}", r.text);
        r.expect(422);
    }
    alice.raw(Method::PATCH, "/api/khub/v1/profile", "application/json", b"not json".to_vec()).await.expect(400);
    w.assert_unchanged(&before, &w.snapshot().await, "refused profile updates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_must_be_pictures_or_documents_within_limits() {
    let w = world().await;
    let alice = &w.alice;
    let before = w.snapshot().await;
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("notes.txt", "text/plain", b"just some text".to_vec(), 422, "a text file"),
        ("tool.exe", "application/octet-stream", b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), 422, "a program"),
        ("page.html", "text/html", b"<html><script>alert(1)</script></html>".to_vec(), 422, "a web page"),
        ("fake.png", "image/png", b"\x89PNG\r\n\x1a\nbroken".to_vec(), 422, "a broken PNG"),
        ("fake.pdf", "application/pdf", b"MZ pretending".to_vec(), 422, "a program named .pdf"),
        ("empty.png", "image/png", Vec::new(), 422, "an empty file"),
        ("data.csv", "text/csv", b"a,b\n\x00\x01".to_vec(), 422, "a binary .csv"),
        ("big.png", "image/png", noisy_png(400), 413, "a picture over the image limit"),
    ];
    for (name, mime, bytes, want, what) in cases {
        if want == 413 {
            assert!(bytes.len() > IMAGE_LIMIT && bytes.len() < BODY_LIMIT, "test picture size {}", bytes.len());
        }
        let r = alice.upload(name, mime, bytes, "alt").await;
        assert_eq!(r.status.as_u16(), want, "{what}: {}", r.text);
        r.expect(want);
    }
    let r = alice.upload("a.png", "image/png", png(4, 4), &"d".repeat(1501)).await;
    assert_eq!(r.status.as_u16(), 422, "an over-long description: {}", r.text);

    // Wrong shapes of request.
    let no_file = reqwest::multipart::Form::new().text("description", "nothing attached");
    alice.send(Method::POST, "/api/v2/media", |r| r.multipart(no_file)).await.expect(422);
    let wrong_field =
        reqwest::multipart::Form::new().part("picture", reqwest::multipart::Part::bytes(png(4, 4)).file_name("a.png"));
    alice.send(Method::POST, "/api/v2/media", |r| r.multipart(wrong_field)).await.expect(422);
    let two_files = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(png(4, 4)).file_name("a.png"))
        .part("file", reqwest::multipart::Part::bytes(png(4, 4)).file_name("b.png"));
    alice.send(Method::POST, "/api/v2/media", |r| r.multipart(two_files)).await.expect(422);
    alice.post("/api/v2/media", json!({ "file": "iVBORw0KGgo=" })).await.expect(422);
    alice
        .raw(Method::POST, "/api/v2/media", "multipart/form-data; boundary=zzz", b"--zzz\r\nnonsense".to_vec())
        .await
        .expect(400);
    let r = alice.put(&format!("/api/v1/media/{}", w.media), json!({ "description": "d".repeat(1501) })).await;
    r.expect(422);
    w.assert_unchanged(&before, &w.snapshot().await, "refused uploads");
}

/// A PNG of random pixels (which do not compress) about `side`² × 3 bytes large.
fn noisy_png(side: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let b = state.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode");
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_bodies_are_refused() {
    let w = world().await;
    let alice = &w.alice;
    let before = w.snapshot().await;
    let big_text = "a".repeat(BODY_LIMIT + 1024);

    let r = alice.post("/api/v1/statuses", json!({ "status": big_text })).await;
    assert_eq!(r.status.as_u16(), 413, "an over-size JSON body: {}", r.text);
    r.expect(413);
    let r = alice.form(Method::POST, "/api/v1/statuses", &[("status", big_text.as_str())]).await;
    assert_eq!(r.status.as_u16(), 413, "an over-size form body: {}", r.text);
    r.expect(413);
    let r = alice.patch("/api/khub/v1/profile", json!({ "bio": big_text })).await;
    assert_eq!(r.status.as_u16(), 413, "an over-size profile body: {}", r.text);
    let r = alice.upload("big.csv", "text/csv", big_text.clone().into_bytes(), "").await;
    assert_eq!(r.status.as_u16(), 413, "an over-size upload: {}", r.text);
    r.expect(413);
    let r = alice.upload("big.png", "image/png", noisy_png(700), "").await;
    assert_eq!(r.status.as_u16(), 413, "an over-size picture: {}", r.text);
    w.assert_unchanged(&before, &w.snapshot().await, "refused over-size bodies");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_parameters_are_refused() {
    let w = world().await;
    let (alice, anon) = (&w.alice, w.node.anon());
    let before = w.snapshot().await;
    for path in [
        "/api/v1/timelines/home?limit=abc",
        "/api/v1/timelines/home?limit=-5",
        "/api/v1/timelines/home?max_id=abc",
        "/api/v1/timelines/home?since_id=1.5",
        "/api/v1/timelines/home?min_id=-1",
        "/api/v1/timelines/public?local=maybe",
        "/api/v1/timelines/public?max_id=x",
        "/api/v1/timelines/tag/budget?limit=many",
        "/api/v1/notifications?limit=abc",
        "/api/v1/bookmarks?max_id=abc",
        "/api/v1/favourites?min_id=abc",
        "/api/v1/follow_requests?limit=x",
        "/api/v1/accounts/lookup",
    ] {
        let r = alice.get(path).await;
        assert_eq!(r.status.as_u16(), 400, "GET {path}: {}", r.text);
        r.expect(400);
    }
    let r = anon.get(&format!("/api/v1/accounts/{}/statuses?exclude_replies=perhaps", alice.id)).await;
    r.expect(400);
    anon.get(&format!("/api/v1/accounts/{}/followers?limit=abc", alice.id)).await.expect(400);
    alice.get("/api/v1/notifications?types[]=bogus").await.expect(422);
    alice.get("/api/v1/notifications?exclude_types[]=bogus").await.expect(422);
    let many: String = (0..101).map(|n| format!("id[]={n}&")).collect();
    alice.get(&format!("/api/v1/accounts/relationships?{many}")).await.expect(422);
    // Large limits are clamped, not refused.
    assert!(alice.get("/api/v1/timelines/home?limit=100000").await.ok().is_array());
    w.assert_unchanged(&before, &w.snapshot().await, "bad queries");
}
