//! The streaming API: `GET /api/v1/streaming` (WebSocket, several streams on one connection)
//! and the server-sent-events endpoints `GET /api/v1/streaming/{user,public,hashtag,…}`.
//! A user token is required (as on Mastodon since 4.2): `Authorization: Bearer`, the
//! `access_token` query parameter, or (WebSocket) `Sec-WebSocket-Protocol`.
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::api::auth::{AuthUser, bearer_token, member_by_token};
use crate::api::body::query_pairs;
use crate::api::model::conversation::conversation;
use crate::api::model::notification::notification;
use crate::api::model::status::status;
use crate::api::model::streaming::{Message, SocketError};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::streaming::{self as svc, Timeline, Viewer};
use crate::streaming::LiveEvent;

/// Streams one WebSocket connection may hold at once.
const MAX_SUBSCRIPTIONS: usize = 50;
/// Largest message a client may send (subscribe and unsubscribe are tiny).
const MAX_CLIENT_MESSAGE: usize = 16 * 1024;
const HEARTBEAT: Duration = Duration::from_secs(15);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/streaming", get(websocket))
        .route("/api/v1/streaming/health", get(health))
        .route("/api/v1/streaming/{*channel}", get(server_sent_events))
}

async fn health() -> &'static str {
    "OK"
}

/// The query parameters every streaming endpoint understands.
#[derive(Debug, Default)]
struct StreamParams {
    access_token: Option<String>,
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
    only_media: bool,
}

impl StreamParams {
    fn parse(q: Option<&str>) -> Self {
        let mut p = Self::default();
        for (k, v) in query_pairs(q) {
            match k.as_str() {
                "access_token" => p.access_token = Some(v),
                "stream" => p.stream = Some(v),
                "tag" => p.tag = Some(v),
                "list" => p.list = Some(v),
                "only_media" => p.only_media = matches!(v.as_str(), "true" | "1" | "on"),
                _ => {}
            }
        }
        p
    }
}

/// The signed-in member, from whichever place the token was given.
async fn streaming_member(
    state: &AppState,
    headers: &HeaderMap,
    params: &StreamParams,
    protocol_token: Option<&str>,
) -> AppResult<AuthUser> {
    let token = bearer_token(headers).or(params.access_token.as_deref()).or(protocol_token);
    match token {
        Some(t) => member_by_token(state, t).await,
        None => Err(AppError::unauthorized("Missing access token")),
    }
}

fn viewer_of(me: &AuthUser) -> Viewer {
    Viewer { account: me.id(), notifications: me.require("read:notifications").is_ok() }
}

/// Checks the token's scope and the member's right to a stream.
async fn admit(state: &AppState, me: &AuthUser, timeline: &Timeline) -> AppResult<()> {
    me.require(timeline.scope())
        .map_err(|_| AppError::unauthorized("Access token does not have the required scopes"))?;
    svc::authorize(state, viewer_of(me), timeline).await
}

/// `GET /api/v1/streaming/user`, `/public/local`, `/hashtag?tag=…`: one stream as server-sent events.
async fn server_sent_events(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = StreamParams::parse(q.as_deref());
    let me = streaming_member(&state, &headers, &params, None).await?;
    let mut name = channel.trim_end_matches('/').replace('/', ":");
    if params.only_media && name.starts_with("public") {
        name.push_str(":media");
    }
    let known = ["user", "user:notification", "public", "public:local", "public:remote", "hashtag", "hashtag:local"];
    let known = known.iter().any(|k| name.trim_end_matches(":media") == *k) || name == "list" || name == "direct";
    if !known {
        return Err(AppError::bad_request("Unknown channel requested"));
    }
    let timeline = Timeline::parse(&name, params.tag.as_deref(), params.list.as_deref())?;
    admit(&state, &me, &timeline).await?;
    let rx = state.stream.subscribe();
    state.stream.wait_ready().await;
    let events = sse_events(state, viewer_of(&me), timeline, rx);
    // `:)` first, as Mastodon does: the stream is open and subscribed.
    let hello = futures::stream::once(async { Ok::<_, Infallible>(Event::default().comment(")")) });
    Ok(Sse::new(hello.chain(events)).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("thump")).into_response())
}

fn sse_events(
    state: AppState,
    viewer: Viewer,
    timeline: Timeline,
    rx: broadcast::Receiver<Arc<LiveEvent>>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold((state, rx), move |(state, mut rx)| {
        let timeline = timeline.clone();
        async move {
            loop {
                let event = match rx.recv().await {
                    Ok(e) => e,
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "streaming: a slow connection missed events");
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                };
                let mut cache = Rendered::default();
                match cache.render(&state, viewer, &timeline, &event).await {
                    Ok(Some((name, payload))) => {
                        return Some((Ok(Event::default().event(name).data(payload)), (state, rx)));
                    }
                    Ok(None) => {}
                    Err(e) => e.log(),
                }
            }
        }
    })
}

/// What one event looks like for one member, rendered at most once per connection: as a
/// conversation (direct stream) or as itself (every other stream).
#[derive(Default)]
struct Rendered {
    conversation: Option<Option<(&'static str, String)>>,
    plain: Option<Option<(&'static str, String)>>,
}

impl Rendered {
    /// The event name and payload for `timeline`, or `None` when it does not belong there.
    async fn render(
        &mut self,
        state: &AppState,
        viewer: Viewer,
        timeline: &Timeline,
        event: &LiveEvent,
    ) -> AppResult<Option<(&'static str, String)>> {
        if !svc::belongs(state, viewer, timeline, event).await? {
            return Ok(None);
        }
        let as_conversation = *timeline == Timeline::Direct && matches!(event, LiveEvent::Status { .. });
        let slot = if as_conversation { &mut self.conversation } else { &mut self.plain };
        if slot.is_none() {
            *slot = Some(payload(state, viewer, event, as_conversation).await?);
        }
        Ok(slot.clone().flatten())
    }
}

async fn payload(
    state: &AppState,
    viewer: Viewer,
    event: &LiveEvent,
    as_conversation: bool,
) -> AppResult<Option<(&'static str, String)>> {
    let ctx = state.ctx();
    Ok(match event {
        LiveEvent::Status { status: s, .. } if as_conversation => {
            svc::conversation_view(state, viewer, s).await?.map(|c| ("conversation", json(&conversation(&ctx, &c))))
        }
        LiveEvent::Status { status: s, edited, .. } => svc::status_view(state, viewer, s).await?.map(|v| {
            let name = if *edited { "status.update" } else { "update" };
            (name, json(&status(&ctx, &v, false)))
        }),
        LiveEvent::Deleted(d) => Some(("delete", d.id.to_string())),
        LiveEvent::Notification(n) => {
            svc::notification_view(state, viewer, n).await?.map(|v| ("notification", json(&notification(&ctx, &v))))
        }
    })
}

/// An entity as the JSON string a payload carries (entities always serialise).
fn json<T: serde::Serialize>(entity: &T) -> String {
    serde_json::to_string(entity).unwrap_or_default()
}

/// `GET /api/v1/streaming` with `Upgrade: websocket`.
async fn websocket(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    // A plain request: the streaming API is on this host (Mastodon answers 404 for that too).
    let Ok(upgrade) = upgrade else { return Err(AppError::not_found_msg("Not found")) };
    let params = StreamParams::parse(q.as_deref());
    let protocol_token = headers
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let me = streaming_member(&state, &headers, &params, protocol_token.as_deref()).await?;
    let mut streams = Vec::new();
    if let Some(name) = &params.stream {
        let timeline = Timeline::parse(name, params.tag.as_deref(), params.list.as_deref())?;
        admit(&state, &me, &timeline).await?;
        streams.push(timeline);
    }
    let rx = state.stream.subscribe();
    state.stream.wait_ready().await;
    let mut upgrade = upgrade.max_message_size(MAX_CLIENT_MESSAGE).max_frame_size(MAX_CLIENT_MESSAGE);
    if let Some(t) = protocol_token {
        // The client offered its token as the protocol; browsers require it echoed.
        upgrade = upgrade.protocols([t]);
    }
    Ok(upgrade.on_upgrade(move |socket| serve_socket(state, socket, me, streams, rx)))
}

async fn serve_socket(
    state: AppState,
    mut socket: WebSocket,
    me: AuthUser,
    mut streams: Vec<Timeline>,
    mut rx: broadcast::Receiver<Arc<LiveEvent>>,
) {
    let viewer = viewer_of(&me);
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    loop {
        let outgoing: Vec<String> = tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => client_message(&state, &me, &mut streams, text.as_str()).await,
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => Vec::new(),
            },
            event = rx.recv() => match event {
                Ok(e) => messages_for(&state, viewer, &streams, &e).await,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "streaming: a slow connection missed events");
                    Vec::new()
                }
                Err(RecvError::Closed) => break,
            },
            _ = heartbeat.tick() => {
                if socket.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
                Vec::new()
            }
        };
        for text in outgoing {
            if socket.send(WsMessage::Text(text.into())).await.is_err() {
                return;
            }
        }
    }
}

/// Handles `{"type":"subscribe","stream":"hashtag","tag":"foo"}` and `unsubscribe`; answers
/// errors in Mastodon's WebSocket shape.
async fn client_message(state: &AppState, me: &AuthUser, streams: &mut Vec<Timeline>, text: &str) -> Vec<String> {
    let error = |message: &str, status: u16| {
        vec![serde_json::to_string(&SocketError { error: message, status }).unwrap_or_default()]
    };
    let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(text) else {
        return error("Could not parse JSON", 400);
    };
    let field =
        |k: &str| m.get(k).and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_i64().map(|i| i.to_string())));
    let (kind, name) = (field("type").unwrap_or_default(), field("stream").unwrap_or_default());
    let timeline = match Timeline::parse(&name, field("tag").as_deref(), field("list").as_deref()) {
        Ok(t) => t,
        Err(e) => return error(&e.message, 400),
    };
    match kind.as_str() {
        "subscribe" => {
            if let Err(e) = admit(state, me, &timeline).await {
                return error(&e.message, e.status().as_u16());
            }
            if streams.len() >= MAX_SUBSCRIPTIONS {
                return error("Too many subscriptions on one connection", 400);
            }
            if !streams.contains(&timeline) {
                streams.push(timeline);
            }
            Vec::new()
        }
        "unsubscribe" => {
            streams.retain(|t| *t != timeline);
            Vec::new()
        }
        _ => error("Unknown message type", 400),
    }
}

/// The messages one event makes on a connection: one per subscribed stream it belongs in.
async fn messages_for(state: &AppState, viewer: Viewer, streams: &[Timeline], event: &LiveEvent) -> Vec<String> {
    let mut rendered = Rendered::default();
    let mut out = Vec::new();
    for timeline in streams {
        match rendered.render(state, viewer, timeline, event).await {
            Ok(Some((name, payload))) => {
                let names = timeline.names();
                let message = Message { stream: &names, event: name, payload: &payload };
                out.push(serde_json::to_string(&message).unwrap_or_default());
            }
            Ok(None) => {}
            Err(e) => e.log(),
        }
    }
    out
}
