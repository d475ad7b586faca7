//! The streaming API as apps use it: server-sent events and a multiplexed WebSocket, and what
//! each member may (and may never) receive on them.
//!
//! Negative checks never wait a fixed time: after the post that must not arrive, a later post
//! that must arrive is made, and the stream is read up to it (events go out in commit order).
mod common;

use std::time::{Duration, Instant};

use common::{Member, TestNode};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const DEADLINE: Duration = Duration::from_secs(20);

/// A server-sent-events stream being read.
struct SseStream {
    res: reqwest::Response,
    buf: String,
}

/// One event of a stream: its name and payload (a JSON document, or an id for `delete`).
#[derive(Debug, Clone)]
struct StreamEvent {
    stream: Vec<String>,
    event: String,
    payload: String,
}

impl StreamEvent {
    fn json(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or_else(|e| panic!("payload is not JSON ({e}): {}", self.payload))
    }
    /// The status id an `update`/`status.update` carries, or the id of a `delete`.
    fn status_id(&self) -> String {
        match self.event.as_str() {
            "delete" => self.payload.clone(),
            "notification" => self.json()["status"]["id"].as_str().unwrap_or("").to_owned(),
            "conversation" => self.json()["last_status"]["id"].as_str().unwrap_or("").to_owned(),
            _ => self.json()["id"].as_str().unwrap_or("").to_owned(),
        }
    }
}

impl SseStream {
    /// Opens `path` with the token in the `Authorization` header and waits for the comment that
    /// says the stream is subscribed.
    async fn open(node: &TestNode, path: &str, token: &str) -> Self {
        let res = reqwest::Client::new()
            .get(node.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(res.status(), 200, "GET {path}");
        let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(ct.starts_with("text/event-stream"), "content type {ct}");
        let mut s = Self { res, buf: String::new() };
        let start = Instant::now();
        // A comment (`: )`) opens the stream once the server has subscribed it.
        while !(s.buf.starts_with(':') && s.buf.contains("\n\n")) {
            s.read_more(start).await;
        }
        s
    }

    async fn read_more(&mut self, start: Instant) {
        let left = DEADLINE
            .checked_sub(start.elapsed())
            .unwrap_or_else(|| panic!("timed out reading the event stream; unread: {:?}", self.buf));
        let chunk = tokio::time::timeout(left, self.res.chunk())
            .await
            .unwrap_or_else(|_| panic!("timed out reading the event stream; unread: {:?}", self.buf))
            .expect("read the event stream")
            .expect("the event stream ended");
        self.buf.push_str(&String::from_utf8_lossy(&chunk));
    }

    /// The next event (heartbeat comments skipped).
    async fn next(&mut self) -> StreamEvent {
        let start = Instant::now();
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut event, mut data) = (None, Vec::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
                    }
                }
                if let Some(event) = event {
                    return StreamEvent { stream: vec![], event, payload: data.join("\n") };
                }
            }
            self.read_more(start).await;
        }
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket connection to `/api/v1/streaming`.
struct WsStream {
    ws: Socket,
}

impl WsStream {
    fn url(node: &TestNode, query: &str) -> String {
        format!("ws://{}/api/v1/streaming{query}", node.domain)
    }

    /// Connects with the token in the `Authorization` header.
    async fn connect(node: &TestNode, token: &str, query: &str) -> Self {
        let mut req = Self::url(node, query).into_client_request().expect("request");
        req.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
        let (ws, res) = tokio_tungstenite::connect_async(req).await.expect("WebSocket handshake");
        assert_eq!(res.status(), 101);
        Self { ws }
    }

    async fn send(&mut self, v: Value) {
        self.ws.send(Message::Text(v.to_string().into())).await.expect("send");
    }

    /// Sends a message and waits until the server has read it: a ping sent after it is answered
    /// only once the server has handled what came before.
    async fn send_and_sync(&mut self, v: Value) {
        self.send(v).await;
        self.sync().await;
    }

    async fn sync(&mut self) {
        self.ws.send(Message::Ping(b"sync".to_vec().into())).await.expect("ping");
        let start = Instant::now();
        loop {
            match self.read(start).await {
                Message::Pong(p) if p.as_ref() == b"sync" => return,
                Message::Text(t) => panic!("unexpected message before the pong: {t}"),
                _ => {}
            }
        }
    }

    async fn read(&mut self, start: Instant) -> Message {
        let left = DEADLINE.checked_sub(start.elapsed()).expect("timed out reading the WebSocket");
        tokio::time::timeout(left, self.ws.next())
            .await
            .expect("timed out reading the WebSocket")
            .expect("the WebSocket closed")
            .expect("read the WebSocket")
    }

    /// The next text message, parsed.
    async fn next_json(&mut self) -> Value {
        let start = Instant::now();
        loop {
            if let Message::Text(t) = self.read(start).await {
                return serde_json::from_str(t.as_str()).expect("a JSON message");
            }
        }
    }

    async fn next(&mut self) -> StreamEvent {
        let m = self.next_json().await;
        assert!(m.get("error").is_none(), "an error message: {m}");
        StreamEvent {
            stream: m["stream"]
                .as_array()
                .expect("stream")
                .iter()
                .map(|s| s.as_str().unwrap_or("").to_owned())
                .collect(),
            event: m["event"].as_str().expect("event").to_owned(),
            payload: m["payload"].as_str().expect("payload").to_owned(),
        }
    }
}

/// Reads events until one is about `marker` (a status id); returns those before it.
async fn read_until_sse(s: &mut SseStream, marker: &str) -> Vec<StreamEvent> {
    let mut before = Vec::new();
    loop {
        let e = s.next().await;
        if e.status_id() == marker {
            return before;
        }
        before.push(e);
    }
}

async fn read_until_ws(s: &mut WsStream, marker: &str) -> Vec<StreamEvent> {
    let mut before = Vec::new();
    loop {
        let e = s.next().await;
        if e.status_id() == marker {
            return before;
        }
        before.push(e);
    }
}

async fn post(m: &Member, text: &str, visibility: &str) -> String {
    m.post_status(json!({ "status": text, "visibility": visibility })).await["id"].as_str().expect("id").to_owned()
}

async fn follow(a: &Member, b: &Member) {
    a.post_empty(&format!("/api/v1/accounts/{}/follow", b.id)).await.ok();
}

fn ids(events: &[StreamEvent]) -> Vec<String> {
    events.iter().map(StreamEvent::status_id).collect()
}

#[tokio::test]
async fn the_user_stream_carries_the_home_timeline_and_notifications() {
    let node = TestNode::start().await;
    let (ana, bob, cat) =
        (node.create_member("ana").await, node.create_member("bob").await, node.create_member("cat").await);
    follow(&ana, &bob).await;
    let mut sse = SseStream::open(&node, "/api/v1/streaming/user", &ana.token).await;

    let unfollowed = post(&cat, "cat is not followed by ana", "public").await;
    let news = post(&bob, "news from bob", "public").await;
    let e = sse.next().await;
    assert_eq!(e.event, "update");
    let status = e.json();
    assert_eq!(status["id"], news.as_str(), "a followed account's post, not {unfollowed}");
    assert_eq!(status["account"]["username"], "bob");
    assert_eq!(status["visibility"], "public");
    assert!(status["favourited"].is_boolean() && status["emojis"].is_array(), "a full Status: {status}");

    // A mention by someone ana does not follow: a notification, not a home timeline post.
    let mention = post(&cat, "@ana have a look", "public").await;
    let e = sse.next().await;
    assert_eq!(e.event, "notification");
    let n = e.json();
    assert_eq!(n["type"], "mention");
    assert_eq!(n["account"]["username"], "cat");
    assert_eq!(n["status"]["id"], mention.as_str());

    // Her own posts are in her home timeline too.
    let own = post(&ana, "ana's own", "private").await;
    let e = sse.next().await;
    assert_eq!((e.event.as_str(), e.status_id()), ("update", own.clone()));

    // user:notification carries notifications only.
    let mut only = SseStream::open(&node, "/api/v1/streaming/user/notification", &ana.token).await;
    let news2 = post(&bob, "more from bob", "public").await;
    let liked = post(&ana, "ana's public post", "public").await;
    bob.post_empty(&format!("/api/v1/statuses/{liked}/favourite")).await.ok();
    let e = only.next().await;
    assert_eq!(e.event, "notification", "bob's post {news2} is not a notification");
    assert_eq!(e.json()["type"], "favourite");
    assert_eq!(e.status_id(), liked);
}

#[tokio::test]
async fn a_websocket_multiplexes_streams_with_subscribe_and_unsubscribe() {
    let node = TestNode::start().await;
    let (ana, bob) = (node.create_member("ana").await, node.create_member("bob").await);
    let mut ws = WsStream::connect(&node, &ana.token, "").await;
    ws.send_and_sync(json!({ "type": "subscribe", "stream": "user" })).await;
    ws.send_and_sync(json!({ "type": "subscribe", "stream": "hashtag", "tag": "Planning" })).await;

    let tagged = post(&bob, "new guidance #planning", "public").await;
    let e = ws.next().await;
    assert_eq!(e.stream, ["hashtag", "planning"]);
    assert_eq!((e.event.as_str(), e.status_id()), ("update", tagged.clone()));
    assert_eq!(e.json()["tags"][0]["name"], "planning");

    let own = post(&ana, "ana's note", "public").await;
    let e = ws.next().await;
    assert_eq!(e.stream, ["user"]);
    assert_eq!(e.status_id(), own);

    // A post in two subscribed streams comes once per stream.
    let both = post(&ana, "ana on #planning", "public").await;
    let (first, second) = (ws.next().await, ws.next().await);
    let mut streams = vec![first.stream.join(":"), second.stream.join(":")];
    streams.sort();
    assert_eq!(streams, ["hashtag:planning", "user"]);
    assert_eq!((first.status_id(), second.status_id()), (both.clone(), both));

    ws.send_and_sync(json!({ "type": "unsubscribe", "stream": "hashtag", "tag": "planning" })).await;
    let unheard = post(&bob, "later #planning", "public").await;
    let marker = post(&ana, "marker", "public").await;
    let before = read_until_ws(&mut ws, &marker).await;
    assert!(before.is_empty(), "after unsubscribing, {unheard} must not arrive: {:?}", ids(&before));

    // Mastodon's error shape for a bad subscription; the connection stays usable.
    ws.send(json!({ "type": "subscribe", "stream": "nonsense" })).await;
    let err = ws.next_json().await;
    assert_eq!(err, json!({ "error": "Unknown stream type", "status": 400 }));
    ws.send(json!({ "type": "subscribe", "stream": "hashtag" })).await;
    assert_eq!(ws.next_json().await["status"], 400);
}

#[tokio::test]
async fn a_websocket_takes_the_stream_and_token_from_the_query_or_the_protocol_header() {
    let node = TestNode::start().await;
    let (ana, bob) = (node.create_member("ana").await, node.create_member("bob").await);

    // Token as Sec-WebSocket-Protocol (masto.js does this), echoed back as browsers require.
    let mut req = WsStream::url(&node, "?stream=public:local").into_client_request().expect("request");
    req.headers_mut().insert("sec-websocket-protocol", ana.token.parse().expect("header"));
    let (ws, res) = tokio_tungstenite::connect_async(req).await.expect("handshake with the token as protocol");
    assert_eq!(res.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()), Some(ana.token.as_str()));
    let mut by_protocol = WsStream { ws };

    // Token as access_token (megalodon does this).
    let url = WsStream::url(&node, &format!("?stream=public&access_token={}", ana.token));
    let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("handshake with access_token");
    let mut by_query = WsStream { ws };

    let id = post(&bob, "hello everyone", "public").await;
    let e = by_protocol.next().await;
    assert_eq!(
        (e.stream.join(":"), e.event.clone(), e.status_id()),
        ("public:local".into(), "update".into(), id.clone())
    );
    let e = by_query.next().await;
    assert_eq!((e.stream.join(":"), e.status_id()), ("public".into(), id));
}

#[tokio::test]
async fn followers_only_posts_reach_only_followers_and_direct_messages_only_their_audience() {
    let node = TestNode::start().await;
    let (ana, bob, cat, dan) = (
        node.create_member("ana").await,
        node.create_member("bob").await,
        node.create_member("cat").await,
        node.create_member("dan").await,
    );
    follow(&ana, &bob).await;
    follow(&dan, &bob).await;
    let mut follower = SseStream::open(&node, "/api/v1/streaming/user", &ana.token).await;
    let mut outsider_home = SseStream::open(&node, "/api/v1/streaming/user", &cat.token).await;
    let mut outsider_public = WsStream::connect(&node, &cat.token, "?stream=public").await;
    let mut third_party = SseStream::open(&node, "/api/v1/streaming/user", &dan.token).await;
    let mut ana_direct = SseStream::open(&node, "/api/v1/streaming/direct", &ana.token).await;

    let private = post(&bob, "for my followers", "private").await;
    let dm = post(&bob, "@ana just between us", "direct").await;
    let e = follower.next().await;
    assert_eq!((e.event.as_str(), e.status_id()), ("update", private.clone()));
    assert_eq!(e.json()["visibility"], "private");

    // The direct stream carries the DM as a conversation (and not the followers-only post before).
    let e = ana_direct.next().await;
    assert_eq!(e.event, "conversation");
    let c = e.json();
    assert_eq!(c["last_status"]["id"], dm.as_str());
    assert_eq!(c["accounts"][0]["username"], "bob");
    assert!(c["id"].is_string() && c["unread"] == true, "{c}");

    // Markers every stream carries: cat's own post, bob's public post.
    let cat_marker = post(&cat, "cat marker", "public").await;
    let bob_marker = post(&bob, "bob marker", "public").await;
    let seen = read_until_sse(&mut outsider_home, &cat_marker).await;
    assert!(seen.is_empty(), "a non-follower's home stream got {:?}", ids(&seen));
    let seen = read_until_ws(&mut outsider_public, &cat_marker).await;
    assert!(!ids(&seen).contains(&private) && !ids(&seen).contains(&dm), "public stream got {:?}", ids(&seen));
    let seen = read_until_sse(&mut third_party, &bob_marker).await;
    assert_eq!(ids(&seen), [private.as_str()], "a follower not mentioned gets the followers-only post, never the DM");
    let seen = read_until_sse(&mut follower, &bob_marker).await;
    // ana is mentioned in the DM and follows bob: it is in her home timeline too.
    assert!(ids(&seen).contains(&dm), "{:?}", ids(&seen));
}

#[tokio::test]
async fn blocked_and_muted_authors_are_filtered_and_local_streams_exclude_remote_posts() {
    let node = TestNode::start().await;
    let (ana, bob, cat, dan) = (
        node.create_member("ana").await,
        node.create_member("bob").await,
        node.create_member("cat").await,
        node.create_member("dan").await,
    );
    follow(&ana, &dan).await;
    ana.post_empty(&format!("/api/v1/accounts/{}/block", bob.id)).await.ok();
    ana.post_empty(&format!("/api/v1/accounts/{}/mute", dan.id)).await.ok();
    let mut public = SseStream::open(&node, "/api/v1/streaming/public", &ana.token).await;
    let mut local = SseStream::open(&node, "/api/v1/streaming/public/local", &ana.token).await;
    let mut remote = SseStream::open(&node, "/api/v1/streaming/public/remote", &ana.token).await;
    let mut home = SseStream::open(&node, "/api/v1/streaming/user", &ana.token).await;

    let blocked = post(&bob, "from the blocked", "public").await;
    let muted = post(&dan, "from the muted", "public").await;
    let far = remote_post(&node, "from another server").await;
    let marker = post(&cat, "marker", "public").await;

    let seen = read_until_sse(&mut public, &far).await;
    assert!(seen.is_empty(), "blocked and muted filtered: {:?} ({blocked}, {muted})", ids(&seen));
    let seen = read_until_sse(&mut public, &marker).await;
    assert!(seen.is_empty());
    let seen = read_until_sse(&mut local, &marker).await;
    assert!(seen.is_empty(), "public:local has no remote post: {:?}", ids(&seen));
    let e = remote.next().await;
    assert_eq!(e.status_id(), far, "public:remote has the remote post");
    let own = post(&ana, "ana marker", "public").await;
    let seen = read_until_sse(&mut home, &own).await;
    assert!(seen.is_empty(), "a muted followed account's post is not in the home stream: {:?}", ids(&seen));
    let far2 = remote_post(&node, "more from another server").await;
    let seen = read_until_sse(&mut remote, &far2).await;
    assert!(seen.is_empty(), "public:remote has no local post: {:?}", ids(&seen));
}

/// Stores a public post by an account of another server, as the inbox would.
async fn remote_post(node: &TestNode, text: &str) -> String {
    use khub::db::entities::{accounts, statuses};
    use sea_orm::ActiveModelTrait;
    let now = chrono::Utc::now();
    let account_id = khub::ids::next_id();
    let username = format!("far{}", account_id % 100_000);
    let tx = node.state.db.begin_write().await.expect("tx");
    accounts::ActiveModel::from(accounts::Model {
        id: account_id,
        username: username.clone(),
        username_lower: username.clone(),
        domain: Some("remote.example".into()),
        display_name: String::new(),
        bio: String::new(),
        job_title: String::new(),
        organisation: String::new(),
        location: String::new(),
        expertise: "[]".into(),
        fields: "[]".into(),
        avatar_media_id: None,
        header_media_id: None,
        locked: false,
        bot: false,
        discoverable: true,
        suspended: false,
        created_at: now,
        updated_at: now,
        uri: Some(format!("https://remote.example/users/{username}")),
        url: None,
        inbox_url: None,
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: None,
        public_key_pem: None,
        private_key_pem: None,
        avatar_remote_url: None,
        header_remote_url: None,
        fetched_at: None,
        moved_to_account_id: None,
        also_known_as: "[]".to_owned(),
    })
    .insert(&*tx)
    .await
    .expect("remote account");
    let id = khub::ids::next_id();
    khub::db::queries::statuses::insert_status(
        &*tx,
        statuses::Model {
            id,
            account_id,
            uri: Some(format!("https://remote.example/objects/{id}")),
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            thread_id: id,
            source: String::new(),
            content: format!("<p>{text}</p>"),
            spoiler_text: String::new(),
            sensitive: false,
            visibility: "public".into(),
            language: None,
            created_at: now,
            edited_at: None,
        },
    )
    .await
    .expect("remote status");
    tx.commit().await.expect("commit");
    id.to_string()
}

#[tokio::test]
async fn edits_and_deletions_are_streamed() {
    let node = TestNode::start().await;
    let (ana, bob) = (node.create_member("ana").await, node.create_member("bob").await);
    follow(&ana, &bob).await;
    let mut home = WsStream::connect(&node, &ana.token, "?stream=user").await;
    let mut tag = SseStream::open(&node, "/api/v1/streaming/hashtag/local?tag=budget", &ana.token).await;

    let id = post(&bob, "draft #budget", "public").await;
    assert_eq!(home.next().await.status_id(), id);
    assert_eq!(tag.next().await.status_id(), id);

    bob.put(&format!("/api/v1/statuses/{id}"), json!({ "status": "final #budget" })).await.ok();
    let e = home.next().await;
    assert_eq!(e.event, "status.update");
    assert_eq!(e.json()["id"], id.as_str());
    assert!(e.json()["content"].as_str().unwrap_or("").contains("final"));
    assert!(e.json()["edited_at"].is_string());
    assert_eq!(tag.next().await.event, "status.update");

    bob.delete(&format!("/api/v1/statuses/{id}")).await.ok();
    let e = home.next().await;
    assert_eq!((e.event.as_str(), e.payload.as_str()), ("delete", id.as_str()));
    let e = tag.next().await;
    assert_eq!((e.event.as_str(), e.payload.as_str()), ("delete", id.as_str()));

    // A boost: its own update, and its deletion when undone.
    let cat = node.create_member("cat").await;
    let original = post(&cat, "worth sharing", "public").await;
    let boost = bob.post_empty(&format!("/api/v1/statuses/{original}/reblog")).await.ok().clone();
    let e = home.next().await;
    assert_eq!(e.event, "update");
    assert_eq!(e.json()["reblog"]["id"], original.as_str());
    bob.post_empty(&format!("/api/v1/statuses/{original}/unreblog")).await.ok();
    let e = home.next().await;
    assert_eq!((e.event.as_str(), e.payload.as_str()), ("delete", boost["id"].as_str().unwrap_or("")));
}

#[tokio::test]
async fn streams_need_a_user_token_with_the_right_scope() {
    let node = TestNode::start().await;
    let ana = node.create_member("ana").await;
    let anon = node.anon();
    assert_eq!(anon.get("/api/v1/streaming/health").await.text, "OK");
    anon.get("/api/v1/streaming/user").await.expect(401);
    anon.get("/api/v1/streaming/public").await.expect(401);
    node.with_token("not-a-token").get("/api/v1/streaming/user").await.expect(401);
    ana.get("/api/v1/streaming/nonsense").await.expect(400);
    ana.get("/api/v1/streaming/hashtag").await.expect(400);
    ana.get("/api/v1/streaming/list?list=123").await.expect(404);

    // A WebSocket without a token is refused before the upgrade.
    let err = tokio_tungstenite::connect_async(WsStream::url(&node, "?stream=user")).await.expect_err("refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(res) => assert_eq!(res.status(), 401),
        other => panic!("expected an HTTP 401, got {other:?}"),
    }

    // A token that may read notifications but not statuses gets notifications only.
    let user = khub::db::queries::accounts::local_account_by_username(&node.state.db.conn, "ana")
        .await
        .expect("query")
        .expect("ana");
    let narrow = khub::service::accounts::create_access_token(&node.state, user.id, "read:notifications", "narrow")
        .await
        .expect("token");
    node.with_token(&narrow).get("/api/v1/streaming/user").await.expect(401);
    let mut ws = WsStream::connect(&node, &narrow, "").await;
    ws.send(json!({ "type": "subscribe", "stream": "public" })).await;
    assert_eq!(ws.next_json().await["status"], 401);
    ws.send_and_sync(json!({ "type": "subscribe", "stream": "user:notification" })).await;
}

/// Two processes on one PostgreSQL database: a post made through node A reaches a subscriber of
/// node B, through LISTEN/NOTIFY. On SQLite (one process by design) the same story runs on one
/// node, through the in-process channel.
#[tokio::test]
async fn an_event_reaches_subscribers_of_every_process() {
    let alpha = TestNode::start().await;
    let beta = if common::on_postgres() {
        let url = alpha.state.settings.database_url();
        let domain = alpha.domain.clone();
        Some(
            TestNode::start_with(move |s| {
                s.database_url = url;
                s.domain = domain;
            })
            .await,
        )
    } else {
        None
    };
    let listener_node = beta.as_ref().unwrap_or(&alpha);
    let (ana, bob) = (alpha.create_member("ana").await, alpha.create_member("bob").await);
    follow(&ana, &bob).await;
    let mut on_beta = SseStream::open(listener_node, "/api/v1/streaming/user", &ana.token).await;
    let id = post(&bob, "posted through alpha", "public").await;
    let e = on_beta.next().await;
    assert_eq!((e.event.as_str(), e.status_id()), ("update", id));
}

#[tokio::test]
async fn a_list_stream_carries_its_members_posts_to_its_owner_only() {
    let node = TestNode::start().await;
    let (ana, bob, cat) =
        (node.create_member("ana").await, node.create_member("bob").await, node.create_member("cat").await);
    follow(&ana, &bob).await;
    follow(&ana, &cat).await;
    let created = ana.post("/api/v1/lists", json!({ "title": "Colleagues" })).await;
    let list_id = created.ok()["id"].as_str().expect("list id").to_owned();
    ana.post(&format!("/api/v1/lists/{list_id}/accounts"), json!({ "account_ids": [bob.id] })).await.ok();

    // Someone else's list is not there for them.
    let res = reqwest::Client::new()
        .get(node.url(&format!("/api/v1/streaming/list?list={list_id}")))
        .bearer_auth(&cat.token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 404);

    let mut sse = SseStream::open(&node, &format!("/api/v1/streaming/list?list={list_id}"), &ana.token).await;
    let outside = post(&cat, "cat is followed but not in the list", "public").await;
    let inside = post(&bob, "bob is in the list", "public").await;
    let before = read_until_sse(&mut sse, &inside).await;
    assert!(!ids(&before).contains(&outside), "{before:?}");
}

/// The `direct` stream names a conversation by the id `GET /api/v1/conversations` gives it, also
/// when the direct message replies to a public post (its thread is then the public post's).
#[tokio::test]
async fn the_direct_stream_uses_the_conversations_api_ids_and_read_state() {
    let node = TestNode::start().await;
    let ana = node.create_member("ana").await;
    let bob = node.create_member("bob").await;
    let root = post(&bob, "a public question", "public").await;
    let mut ana_direct = SseStream::open(&node, "/api/v1/streaming/direct", &ana.token).await;
    let mut bob_direct = SseStream::open(&node, "/api/v1/streaming/direct", &bob.token).await;
    let dm = bob
        .post_status(
            json!({ "status": "@ana answering you privately", "visibility": "direct", "in_reply_to_id": root }),
        )
        .await["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let e = ana_direct.next().await;
    assert_eq!(e.event, "conversation");
    let streamed = e.json();
    let listed = ana.get("/api/v1/conversations").await.list()[0].clone();
    assert_eq!(streamed["id"], listed["id"], "stream {streamed} / list {listed}");
    assert_ne!(streamed["id"], root.as_str(), "the conversation is not the public thread");
    assert_eq!(streamed["last_status"]["id"], dm.as_str());
    assert_eq!(streamed["unread"], true, "a message from someone else is unread");
    // The writer's own message does not make the conversation unread for them.
    let own = bob_direct.next().await.json();
    assert_eq!(own["last_status"]["id"], dm.as_str());
    assert_eq!(own["unread"], false, "{own}");
    assert_eq!(own["id"], bob.get("/api/v1/conversations").await.list()[0]["id"]);
}
