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
        .route("/users/{name}", get(actor))
        .route("/users/{name}/followers", get(|s, p| collection(s, p, "followers")))
        .route("/users/{name}/following", get(|s, p| collection(s, p, "following")))
        .route("/users/{name}/outbox", get(|s, p| collection(s, p, "outbox")))
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

async fn actor(
    State(state): State<AppState>,
    data: Data<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> FedResult<Response> {
    if !wants_activity_json(&headers) {
        return Ok(Redirect::to(&format!("/@{name}")).into_response());
    }
    let person = local_person(&state, &name).await?;
    let json = person.into_json(&data).await?;
    Ok(FederationJson(WithContext::new(json, context())).into_response())
}

async fn collection(
    State(state): State<AppState>,
    Path(name): Path<String>,
    which: &'static str,
) -> FedResult<Response> {
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

async fn object(
    State(state): State<AppState>,
    data: Data<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> FedResult<Response> {
    let id = crate::ids::parse_id(&id).ok_or_else(|| FedError(AppError::not_found()))?;
    let s = sq::status_by_id(&state.db.conn, id)
        .await?
        .filter(|s| s.uri.is_none() && s.reblog_of_id.is_none())
        .ok_or_else(|| FedError(AppError::not_found()))?;
    // Unsigned fetches see only what anyone may see; followers-only and direct posts travel
    // only to their audience's inboxes.
    if !matches!(Visibility::of(&s), Visibility::Public | Visibility::Unlisted) {
        return Err(FedError(AppError::not_found()));
    }
    if !wants_activity_json(&headers) {
        let author =
            aq::account_by_id(&state.db.conn, s.account_id).await?.ok_or_else(|| FedError(AppError::not_found()))?;
        return Ok(Redirect::to(&format!("/@{}/{}", author.username, s.id)).into_response());
    }
    let note = ApubNote::new(&state, s)?.into_json(&data).await?;
    Ok(FederationJson(WithContext::new(note, context())).into_response())
}

/// Both the shared inbox and personal inboxes: signature and digest checked by the library,
/// then the activity is dispatched.
async fn inbox(data: Data<AppState>, req: axum::extract::Request) -> FedResult<StatusCode> {
    use axum::extract::FromRequest;
    let (parts, body) = req.into_parts();
    // Refuse unsigned requests before anything is parsed or fetched on their behalf.
    if !parts.headers.contains_key("signature") {
        return Err(FedError::new(crate::error::ErrorKind::Unauthorized, "Requests to an inbox must be signed"));
    }
    // Read the body here, bounded, so an oversized one is a 413 rather than the library's 500.
    let bytes = axum::body::to_bytes(body, INBOX_BODY_LIMIT)
        .await
        .map_err(|_| FedError::new(crate::error::ErrorKind::PayloadTooLarge, "The activity is too large"))?;
    let actor_host = serde_json::from_slice::<ActorOnly>(&bytes)
        .ok()
        .and_then(|a| Url::parse(&a.actor).ok())
        .and_then(|u| crate::federation::authority(&u));
    let req = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
    let activity =
        ActivityData::from_request(req, &()).await.map_err(|_| FedError::bad("The request could not be read"))?;
    receive_activity::<WithContext<InboxActivity>, ApubPerson, AppState>(activity, &data).await?;
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

/// Just the sender of an activity (to notice a host coming back).
#[derive(Deserialize)]
struct ActorOnly {
    actor: String,
}
