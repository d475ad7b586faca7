//! Federation endpoints: WebFinger, host-meta, NodeInfo, actors, objects, collections, inboxes.
//! Actor and object URLs negotiate: ActivityStreams JSON for servers, the HTML page otherwise.
use activitypub_federation::axum::inbox::{ActivityData, receive_activity};
use activitypub_federation::axum::json::FederationJson;
use activitypub_federation::config::Data;
use activitypub_federation::protocol::context::WithContext;
use activitypub_federation::traits::Object;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::app::AppState;
use crate::db::queries::{accounts as aq, graph, statuses as sq};
use crate::error::AppError;
use crate::federation::activities::InboxActivity;
use crate::federation::error::{FedError, FedResult};
use crate::federation::objects::{ApubNote, ApubPerson};
use crate::federation::protocol::{CountedCollection, context};
use crate::federation::{instance_actor, signed_fetch};
use crate::service::visibility::Visibility;

/// Largest activity an inbox reads (the library reads at most 1 MiB too).
const INBOX_BODY_LIMIT: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.0", get(|s| nodeinfo(s, "2.0")))
        .route("/nodeinfo/2.1", get(|s| nodeinfo(s, "2.1")))
        .route("/actor", get(instance_actor))
        .route("/actor/outbox", get(instance_outbox))
        .route("/actor/inbox", post(inbox).layer(DefaultBodyLimit::max(INBOX_BODY_LIMIT)))
        .route("/users/{name}", get(actor))
        .route("/users/{name}/followers", get(|s, d, r, p| collection(s, d, r, p, "followers")))
        .route("/users/{name}/following", get(|s, d, r, p| collection(s, d, r, p, "following")))
        .route("/users/{name}/outbox", get(|s, d, r, p| collection(s, d, r, p, "outbox")))
        .route("/users/{name}/collections/featured", get(featured))
        .route("/users/{name}/inbox", post(inbox).layer(DefaultBodyLimit::max(INBOX_BODY_LIMIT)))
        .route("/inbox", post(inbox).layer(DefaultBodyLimit::max(INBOX_BODY_LIMIT)))
        .route("/objects/{id}", get(object))
}

/// Whether the client asked for ActivityStreams JSON.
fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/activity+json") || a.contains("application/ld+json"))
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

async fn webfinger(State(state): State<AppState>, Query(q): Query<WebfingerQuery>) -> Response {
    let Some(resource) = q.resource.filter(|r| r.len() <= 300) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "resource is required"}))).into_response();
    };
    let acct = resource.strip_prefix("acct:").unwrap_or(&resource).trim_start_matches('@');
    // Also `https://host/users/name` and `https://host/@name` resources.
    let base = state.base_url.to_string();
    if is_instance_actor_resource(&state, acct) {
        let id = instance_actor::actor_id(&base);
        let body = json!({
            "subject": format!("acct:{}@{}", instance_actor::USERNAME, state.settings.domain),
            "aliases": [id],
            "links": [{"rel": "self", "type": "application/activity+json", "href": id}],
        });
        return ([(CONTENT_TYPE, "application/jrd+json")], Json(body)).into_response();
    }
    let name = if let Some(path) = acct.strip_prefix(&base) {
        path.trim_start_matches("/users/").trim_start_matches("/@").to_owned()
    } else {
        match acct.split_once('@') {
            Some((user, host)) if host.eq_ignore_ascii_case(&state.settings.domain) => user.to_owned(),
            _ => return (StatusCode::NOT_FOUND, Json(json!({"error": "Not found"}))).into_response(),
        }
    };
    match aq::local_account_by_username(&state.db.conn, &name).await {
        Ok(Some(a)) if !a.suspended => {
            let id = crate::federation::local_actor_id(&base, &a.username);
            let body = json!({
                "subject": format!("acct:{}@{}", a.username, state.settings.domain),
                "aliases": [id, format!("{base}/@{}", a.username)],
                "links": [
                    {"rel": "self", "type": "application/activity+json", "href": id},
                    {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": format!("{base}/@{}", a.username)},
                ]
            });
            ([(CONTENT_TYPE, "application/jrd+json")], Json(body)).into_response()
        }
        Ok(_) => (StatusCode::NOT_FOUND, Json(json!({"error": "Not found"}))).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// `instance.actor@domain`, `domain@domain` (Mastodon's spelling) or the actor's URL.
fn is_instance_actor_resource(state: &AppState, acct: &str) -> bool {
    let domain = state.settings.domain.as_str();
    acct == instance_actor::actor_id(&state.base_url)
        || acct.split_once('@').is_some_and(|(user, host)| {
            host.eq_ignore_ascii_case(domain)
                && (user.eq_ignore_ascii_case(instance_actor::USERNAME) || user.eq_ignore_ascii_case(domain))
        })
}

async fn host_meta(State(state): State<AppState>) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n",
        state.base_url
    );
    ([(CONTENT_TYPE, "application/xrd+xml; charset=utf-8")], xml).into_response()
}

async fn nodeinfo_links(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{}/nodeinfo/2.0", state.base_url)},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{}/nodeinfo/2.1", state.base_url)},
        ]
    }))
}

async fn nodeinfo(State(state): State<AppState>, version: &'static str) -> Result<Response, AppError> {
    let users = aq::count_local_users(&state.db.conn).await?;
    let posts = sq::count_all_local_statuses(&state.db.conn).await?;
    let mode = crate::service::accounts::registration_mode(&state).await?;
    let mut software = json!({"name": "khub", "version": env!("CARGO_PKG_VERSION")});
    if version == "2.1" {
        software["repository"] = json!("https://example.invalid/khub");
    }
    let body = json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": matches!(mode, crate::config::RegistrationMode::Open | crate::config::RegistrationMode::Approval),
        "usage": {"users": {"total": users}, "localPosts": posts},
        "metadata": {"nodeName": state.settings.site_name},
    });
    let profile = format!("application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\"");
    Ok(([(CONTENT_TYPE, profile)], Json(body)).into_response())
}

async fn local_person(state: &AppState, name: &str) -> FedResult<ApubPerson> {
    let a = aq::local_account_by_username(&state.db.conn, name)
        .await?
        .filter(|a| !a.suspended)
        .ok_or_else(|| FedError(AppError::not_found()))?;
    ApubPerson::load(state, a).await
}

/// Who signed a GET, when anyone did; under authorized fetch an unsigned GET is refused.
async fn reader(data: &Data<AppState>, req: &RequestHead) -> FedResult<Option<ApubPerson>> {
    let signer = signed_fetch::signer(data, &req.method, &req.uri, &req.headers).await?;
    if signer.is_none() && data.app_data().settings.federation.authorized_fetch {
        return Err(FedError::new(crate::error::ErrorKind::Unauthorized, "This server requires signed requests"));
    }
    Ok(signer)
}

/// The parts of a request a signature covers.
struct RequestHead {
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestHead {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self { method: parts.method.clone(), uri: parts.uri.clone(), headers: parts.headers.clone() })
    }
}

async fn instance_actor(State(state): State<AppState>) -> FedResult<Response> {
    let keys = instance_actor::ensure_keys(&state.db).await?;
    let s = &state.settings;
    let doc = instance_actor::document(&state.base_url, &s.domain, &s.site_name, &keys.public_key_pem)?;
    Ok(FederationJson(WithContext::new(doc, context())).into_response())
}

async fn instance_outbox(State(state): State<AppState>) -> FedResult<Response> {
    let body = CountedCollection {
        kind: "OrderedCollection",
        id: Url::parse(&format!("{}/outbox", instance_actor::actor_id(&state.base_url)))?,
        total_items: 0,
    };
    Ok(FederationJson(WithContext::new(body, context())).into_response())
}

async fn actor(
    State(state): State<AppState>,
    data: Data<AppState>,
    head: RequestHead,
    Path(name): Path<String>,
) -> FedResult<Response> {
    if !wants_activity_json(&head.headers) {
        return Ok(Redirect::to(&format!("/@{name}")).into_response());
    }
    let person = local_person(&state, &name).await?;
    // Under authorized fetch an unsigned request still gets the key, so that servers can check
    // this member's signatures, but nothing else about them.
    let minimal = state.settings.federation.authorized_fetch
        && signed_fetch::signer(&data, &head.method, &head.uri, &head.headers).await?.is_none();
    let mut json = person.into_json(&data).await?;
    if minimal {
        json.name = None;
        json.summary = None;
        json.icon = None;
        json.image = None;
        json.attachment.clear();
        json.published = None;
        json.discoverable = None;
        json.featured = None;
    }
    Ok(FederationJson(WithContext::new(json, context())).into_response())
}

async fn collection(
    State(state): State<AppState>,
    data: Data<AppState>,
    head: RequestHead,
    Path(name): Path<String>,
    which: &'static str,
) -> FedResult<Response> {
    reader(&data, &head).await?;
    let person = local_person(&state, &name).await?;
    let id = person.account.id;
    let total = match which {
        "followers" => graph::followers_count(&state.db.conn, id).await?,
        "following" => graph::following_count(&state.db.conn, id).await?,
        _ => sq::count_statuses(&state.db.conn, id).await?,
    };
    let body = CountedCollection {
        kind: "OrderedCollection",
        id: Url::parse(&format!("{}/{which}", person.ap_id))?,
        total_items: total,
    };
    Ok(FederationJson(WithContext::new(body, context())).into_response())
}

/// Pinned posts, as Mastodon serves them: the notes themselves, only those the reader may see.
async fn featured(
    State(state): State<AppState>,
    data: Data<AppState>,
    head: RequestHead,
    Path(name): Path<String>,
) -> FedResult<Response> {
    let signer = reader(&data, &head).await?;
    let person = local_person(&state, &name).await?;
    let viewer = signer.as_ref().filter(|p| !p.is_local()).map(|p| p.account.id);
    let pinned = crate::service::timelines::pinned(&state, viewer, person.account.id).await?;
    let mut items = Vec::new();
    for v in pinned {
        items.push(ApubNote::new(&state, v.status)?.into_json(&data).await?);
    }
    let body = FeaturedCollection {
        kind: "OrderedCollection",
        id: Url::parse(&format!("{}/collections/featured", person.ap_id))?,
        total_items: items.len() as u64,
        ordered_items: items,
    };
    Ok(FederationJson(WithContext::new(body, context())).into_response())
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FeaturedCollection {
    #[serde(rename = "type")]
    kind: &'static str,
    id: Url,
    total_items: u64,
    ordered_items: Vec<crate::federation::protocol::Note>,
}

async fn object(
    State(state): State<AppState>,
    data: Data<AppState>,
    head: RequestHead,
    Path(id): Path<String>,
) -> FedResult<Response> {
    let id = crate::ids::parse_id(&id).ok_or_else(|| FedError(AppError::not_found()))?;
    let s = sq::status_by_id(&state.db.conn, id)
        .await?
        .filter(|s| s.uri.is_none() && s.reblog_of_id.is_none())
        .ok_or_else(|| FedError(AppError::not_found()))?;
    if !wants_activity_json(&head.headers) {
        // The HTML page decides for itself who may see the post.
        let author =
            aq::account_by_id(&state.db.conn, s.account_id).await?.ok_or_else(|| FedError(AppError::not_found()))?;
        return Ok(Redirect::to(&format!("/@{}/{}", author.username, s.id)).into_response());
    }
    // Unsigned fetches see only what anyone may see. A followers-only or direct post is served
    // only to a signed request from an actor in its audience (fetching a missing reply parent,
    // say), never to a server's instance actor or anyone else.
    let signer = reader(&data, &head).await?;
    let viewer = signer.as_ref().filter(|p| !p.is_local()).map(|p| p.account.id);
    let public = matches!(Visibility::of(&s), Visibility::Public | Visibility::Unlisted);
    let allowed = match viewer {
        Some(v) => crate::service::visibility::can_read(&state.db.conn, Some(v), &s).await?,
        None => public,
    };
    if !allowed {
        return Err(FedError(AppError::not_found()));
    }
    let note = ApubNote::new(&state, s)?.into_json(&data).await?;
    Ok(FederationJson(WithContext::new(note, context())).into_response())
}

/// Both the shared inbox and personal inboxes: size and nesting bounded, signature and digest
/// checked by the library, then the activity is dispatched.
async fn inbox(data: Data<AppState>, req: axum::extract::Request) -> FedResult<StatusCode> {
    let (parts, body) = req.into_parts();
    // Refuse unsigned requests before anything is parsed or fetched on their behalf.
    if !parts.headers.contains_key("signature") {
        return Err(FedError::new(crate::error::ErrorKind::Unauthorized, "Requests to an inbox must be signed"));
    }
    // Read the body here, bounded, so an oversized one is a 413 rather than the library's 500.
    let bytes = axum::body::to_bytes(body, INBOX_BODY_LIMIT)
        .await
        .map_err(|_| FedError::new(crate::error::ErrorKind::PayloadTooLarge, "The activity is too large"))?;
    if !nesting_within(&bytes, MAX_JSON_DEPTH) {
        return Err(FedError::bad("The activity is nested too deeply"));
    }
    let actor_host = serde_json::from_slice::<ActorOnly>(&bytes)
        .ok()
        .and_then(|a| Url::parse(&a.actor).ok())
        .and_then(|u| crate::federation::authority(&u));
    let (method, uri, headers) = (parts.method.clone(), parts.uri.clone(), parts.headers.clone());
    match receive(&data, axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes.clone()))).await {
        Err(e) if e.0.kind == crate::error::ErrorKind::Unauthorized && refetch_stale_signer(&data, &headers).await => {
            // The sender may have rotated its key since we cached it: one more try with the new one.
            let mut req = axum::extract::Request::new(axum::body::Body::from(bytes));
            *req.method_mut() = method;
            *req.uri_mut() = uri;
            *req.headers_mut() = headers;
            receive(&data, req).await?
        }
        other => other?,
    }
    // A host that was failing is back: its waiting deliveries go now.
    if let Some(host) = actor_host {
        let state = data.app_data();
        let _w = state.db.write_lock().await;
        if crate::db::queries::instances::record_success(&state.db.conn, &host).await? {
            let n = crate::db::queries::jobs::release_host(&state.db.conn, &host).await?;
            tracing::info!(host, deliveries = n, "host is back; its deliveries are released");
            drop(_w);
            state.wake_jobs();
        }
    }
    Ok(StatusCode::ACCEPTED)
}

async fn receive(data: &Data<AppState>, req: axum::extract::Request) -> FedResult<()> {
    use axum::extract::FromRequest;
    let activity =
        ActivityData::from_request(req, &()).await.map_err(|_| FedError::bad("The request could not be read"))?;
    receive_activity::<WithContext<InboxActivity>, ApubPerson, AppState>(activity, data).await?;
    Ok(())
}

/// After a signature fails, fetches the signer again (it may have rotated its key) and says
/// whether its key changed. At most once per actor every ten seconds, so forged signatures
/// cannot make us fetch without bound.
async fn refetch_stale_signer(data: &Data<AppState>, headers: &HeaderMap) -> bool {
    use activitypub_federation::fetch::object_id::ObjectId;
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    use std::time::{Duration, Instant};
    static RECENT: LazyLock<Mutex<HashMap<String, Instant>>> = LazyLock::new(|| Mutex::new(HashMap::new()));
    const EVERY: Duration = Duration::from_secs(10);

    let Some(mut url) = signed_fetch::key_id(headers) else { return false };
    url.set_fragment(None);
    let state = data.app_data();
    let Ok(Some(known)) = aq::account_by_uri(&state.db.conn, url.as_str()).await else { return false };
    {
        let mut recent = RECENT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if recent.get(url.as_str()).is_some_and(|t| now.duration_since(*t) < EVERY) {
            return false;
        }
        if recent.len() >= 10_000 {
            recent.retain(|_, t| now.duration_since(*t) < EVERY);
        }
        recent.insert(url.to_string(), now);
    }
    match ObjectId::<ApubPerson>::from(url).dereference_forced(data).await {
        Ok(fresh) => fresh.account.public_key_pem != known.public_key_pem,
        Err(_) => false,
    }
}

/// Deepest nesting of objects and arrays an inbox accepts (real activities use under ten).
const MAX_JSON_DEPTH: usize = 32;

/// Whether the JSON text nests no deeper than `max`, counted without parsing it.
fn nesting_within(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// Just the sender of an activity (to notice a host coming back).
#[derive(Deserialize)]
struct ActorOnly {
    actor: String,
}

#[cfg(test)]
mod tests {
    use super::nesting_within;

    #[test]
    fn nesting_is_counted_outside_strings_only() {
        assert!(nesting_within(br#"{"a":[{"b":1}]}"#, 3));
        assert!(!nesting_within(br#"{"a":[{"b":1}]}"#, 2));
        assert!(nesting_within(br#"{"a":"[[[[[[{{{{\"]]"}"#, 1));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(!nesting_within(deep.as_bytes(), 32));
    }
}
