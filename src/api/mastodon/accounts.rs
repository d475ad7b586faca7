//! Accounts: credentials, profiles, their posts, the social graph, follow requests.
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use crate::api::auth::{AuthUser, MaybeAuth};
use crate::api::body::{ApiForm, from_fields, lenient, query_map, query_pairs};
use crate::api::model::account::{Account, account, credential_account};
use crate::api::model::relationship::{Relationship, relationship};
use crate::api::model::status::{Status, status};
use crate::api::pagination::{PageParams, link_header};
use crate::api::path_id;
use crate::app::AppState;
use crate::db::queries::{accounts as aq, graph};
use crate::error::{AppError, AppResult};
use crate::service::profile::{Field, ProfileUpdate};
use crate::service::{follows, profile, timelines, views};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts/verify_credentials", get(verify_credentials))
        .route("/api/v1/accounts/update_credentials", patch(update_credentials))
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/relationships", get(relationships))
        .route("/api/v1/accounts/{id}", get(show))
        .route("/api/v1/accounts/{id}/statuses", get(statuses))
        .route("/api/v1/accounts/{id}/followers", get(followers))
        .route("/api/v1/accounts/{id}/following", get(following))
        .route("/api/v1/accounts/{id}/follow", post(follow))
        .route("/api/v1/accounts/{id}/unfollow", post(unfollow))
        .route("/api/v1/accounts/{id}/block", post(block))
        .route("/api/v1/accounts/{id}/unblock", post(unblock))
        .route("/api/v1/accounts/{id}/mute", post(mute))
        .route("/api/v1/accounts/{id}/unmute", post(unmute))
        .route("/api/v1/follow_requests", get(follow_requests))
        .route("/api/v1/follow_requests/{id}/authorize", post(authorize))
        .route("/api/v1/follow_requests/{id}/reject", post(reject))
}

async fn me_json(state: &AppState, me: &AuthUser) -> AppResult<Account> {
    let v = views::account(&state.db.conn, me.id()).await?.ok_or_else(AppError::not_found)?;
    let requests = graph::follow_requests_to(
        &state.db.conn,
        me.id(),
        crate::db::queries::Page { limit: 1000, ..Default::default() },
    )
    .await?
    .len() as u64;
    Ok(credential_account(&state.ctx(), &v, requests, &me.user.role))
}

async fn verify_credentials(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<Account>> {
    me.require_any(&["profile", "read:accounts"])?;
    Ok(Json(me_json(&state, &me).await?))
}

/// The JSON/form fields of `update_credentials` (khub's profile keys included).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialFields {
    display_name: Option<String>,
    note: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    bot: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    discoverable: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    indexable: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    hide_collections: Option<bool>,
    fields_attributes: Option<Value>,
    job_title: Option<String>,
    organisation: Option<String>,
    location: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    expertise: Option<Vec<String>>,
    source: Option<Value>,
}

/// `fields_attributes` comes as a list or as `{"0": {...}, "1": {...}}`.
fn parse_fields(v: Value) -> AppResult<Vec<Field>> {
    let items: Vec<Value> = match v {
        Value::Array(a) => a,
        Value::Object(o) => {
            let mut pairs: Vec<(usize, Value)> =
                o.into_iter().map(|(k, v)| (k.parse::<usize>().unwrap_or(usize::MAX), v)).collect();
            pairs.sort_by_key(|(k, _)| *k);
            pairs.into_iter().map(|(_, v)| v).collect()
        }
        _ => return Err(AppError::unprocessable("Validation failed: fields_attributes must be a list")),
    };
    items
        .into_iter()
        .map(|item| {
            serde_json::from_value::<Field>(item)
                .map_err(|_| AppError::unprocessable("Validation failed: each field needs a name and a value"))
        })
        .collect()
}

async fn update_credentials(State(state): State<AppState>, me: AuthUser, form: ApiForm) -> AppResult<Json<Account>> {
    me.require("write:accounts")?;
    let f: CredentialFields = from_fields(form.fields)?;
    let mut update = ProfileUpdate {
        display_name: f.display_name,
        bio: f.note,
        locked: f.locked,
        bot: f.bot,
        discoverable: f.discoverable.or(f.indexable),
        job_title: f.job_title,
        organisation: f.organisation,
        location: f.location,
        expertise: f.expertise,
        fields: match f.fields_attributes {
            Some(v) => Some(parse_fields(v)?),
            None => None,
        },
        ..Default::default()
    };
    let _ = (f.hide_collections, f.source);
    for (name, upload) in form.files {
        match name.as_str() {
            "avatar" => update.avatar = Some(upload),
            "header" => update.header = Some(upload),
            other => return Err(AppError::unprocessable(format!("Validation failed: unexpected file field {other}"))),
        }
    }
    profile::update(&state, &me.account, update).await?;
    Ok(Json(me_json(&state, &me).await?))
}

async fn account_json(state: &AppState, id: i64) -> AppResult<Account> {
    let v =
        views::account(&state.db.conn, id).await?.filter(|v| !v.account.suspended).ok_or_else(AppError::not_found)?;
    Ok(account(&state.ctx(), &v))
}

async fn show(State(state): State<AppState>, _viewer: MaybeAuth, Path(id): Path<String>) -> AppResult<Json<Account>> {
    Ok(Json(account_json(&state, path_id(&id)?).await?))
}

async fn lookup(State(state): State<AppState>, _viewer: MaybeAuth, RawQuery(q): RawQuery) -> AppResult<Json<Account>> {
    let m = query_map(q.as_deref());
    let acct = m.get("acct").and_then(Value::as_str).ok_or_else(|| AppError::bad_request("acct is required"))?;
    let acct = acct.trim_start_matches('@');
    let (user, domain) = acct.split_once('@').map(|(u, d)| (u, Some(d))).unwrap_or((acct, None));
    if domain.is_some_and(|d| !d.eq_ignore_ascii_case(&state.settings.domain)) {
        return Err(AppError::not_found());
    }
    let a = aq::local_account_by_username(&state.db.conn, user).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(account_json(&state, a.id).await?))
}

async fn relationships(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<Relationship>>> {
    me.require("read:follows")?;
    let m = query_map(q.as_deref());
    let ids: Vec<String> = match m.get("id") {
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    };
    if ids.len() > 100 {
        return Err(AppError::unprocessable("Ask for at most 100 relationships at a time"));
    }
    let mut out = Vec::new();
    for raw in ids {
        let Some(id) = crate::ids::parse_id(&raw) else { continue };
        if aq::account_by_id(&state.db.conn, id).await?.is_some() {
            out.push(relationship(id, &graph::relationship(&state.db.conn, me.id(), id).await?));
        }
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
struct StatusFilter {
    #[serde(default, deserialize_with = "lenient::bool")]
    pinned: bool,
    #[serde(default, deserialize_with = "lenient::bool")]
    exclude_replies: bool,
    #[serde(default, deserialize_with = "lenient::bool")]
    exclude_reblogs: bool,
    #[serde(default, deserialize_with = "lenient::bool")]
    only_media: bool,
    tagged: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

async fn statuses(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Status>>)> {
    let id = path_id(&id)?;
    account_json(&state, id).await?;
    let f: StatusFilter = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let viewer_id = viewer.as_ref().map(AuthUser::id);
    let page = f.page.page(20, 40)?;
    let list = if f.pinned {
        if page.max_id.is_some() || page.min_id.is_some() {
            vec![]
        } else {
            timelines::pinned(&state, viewer_id, id).await?
        }
    } else {
        let filter = timelines::AccountFilter {
            exclude_replies: f.exclude_replies,
            exclude_reblogs: f.exclude_reblogs,
            only_media: f.only_media,
            tagged: f.tagged.map(|t| t.trim_start_matches('#').to_lowercase()).filter(|t| !t.is_empty()),
        };
        timelines::account(&state, viewer_id, id, filter, page).await?
    };
    let ctx = state.ctx();
    let headers = link_header(
        &state.base_url,
        &format!("/api/v1/accounts/{id}/statuses"),
        &query_pairs(q.as_deref()),
        list.first().map(|s| s.status.id),
        list.last().map(|s| s.status.id),
    );
    let list = crate::service::filters::apply(&state, viewer_id, crate::service::filters::FilterContext::Account, list)
        .await?;
    Ok((headers, Json(list.iter().map(|s| status(&ctx, s, false)).collect())))
}

async fn graph_list(
    state: &AppState,
    id: &str,
    q: Option<String>,
    followers: bool,
) -> AppResult<(HeaderMap, Json<Vec<Account>>)> {
    let id = path_id(id)?;
    account_json(state, id).await?;
    let params: PageParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let page = params.page(40, 80)?;
    let rows = if followers {
        graph::followers(&state.db.conn, id, page).await?
    } else {
        graph::following(&state.db.conn, id, page).await?
    };
    let ids: Vec<i64> = rows.iter().map(|r| if followers { r.account_id } else { r.target_account_id }).collect();
    let list = views::accounts(&state.db.conn, &ids).await?;
    let path = format!("/api/v1/accounts/{id}/{}", if followers { "followers" } else { "following" });
    let headers = link_header(
        &state.base_url,
        &path,
        &query_pairs(q.as_deref()),
        rows.first().map(|r| r.id),
        rows.last().map(|r| r.id),
    );
    let ctx = state.ctx();
    Ok((headers, Json(list.iter().map(|a| account(&ctx, a)).collect())))
}

async fn followers(
    State(state): State<AppState>,
    _v: MaybeAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Account>>)> {
    graph_list(&state, &id, q, true).await
}

async fn following(
    State(state): State<AppState>,
    _v: MaybeAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Account>>)> {
    graph_list(&state, &id, q, false).await
}

#[derive(Debug, Default, Deserialize)]
struct MuteParams {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    notifications: Option<bool>,
    #[serde(default)]
    duration: Option<Value>,
}

async fn follow(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Relationship>> {
    me.require("write:follows")?;
    let id = path_id(&id)?;
    Ok(Json(relationship(id, &follows::follow(&state, &me.account, id).await?)))
}

async fn unfollow(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    me.require("write:follows")?;
    let id = path_id(&id)?;
    Ok(Json(relationship(id, &follows::unfollow(&state, &me.account, id).await?)))
}

async fn block(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Relationship>> {
    me.require("write:blocks")?;
    let id = path_id(&id)?;
    Ok(Json(relationship(id, &follows::block(&state, &me.account, id).await?)))
}

async fn unblock(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Relationship>> {
    me.require("write:blocks")?;
    let id = path_id(&id)?;
    Ok(Json(relationship(id, &follows::unblock(&state, &me.account, id).await?)))
}

async fn mute(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    form: ApiForm,
) -> AppResult<Json<Relationship>> {
    me.require("write:mutes")?;
    let id = path_id(&id)?;
    let p: MuteParams = from_fields(form.fields)?;
    let duration = match p.duration {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_i64().ok_or_else(bad_duration)?),
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().parse::<i64>().map_err(|_| bad_duration())?),
        Some(_) => return Err(bad_duration()),
    };
    let notifications = p.notifications.unwrap_or(true);
    Ok(Json(relationship(id, &follows::mute(&state, &me.account, id, notifications, duration).await?)))
}

fn bad_duration() -> AppError {
    AppError::unprocessable("Validation failed: duration must be a number of seconds")
}

async fn unmute(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Relationship>> {
    me.require("write:mutes")?;
    let id = path_id(&id)?;
    Ok(Json(relationship(id, &follows::unmute(&state, &me.account, id).await?)))
}

async fn follow_requests(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Account>>)> {
    me.require("read:follows")?;
    let params: PageParams = from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))?;
    let rows = graph::follow_requests_to(&state.db.conn, me.id(), params.page(40, 80)?).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    let list = views::accounts(&state.db.conn, &ids).await?;
    let headers = link_header(
        &state.base_url,
        "/api/v1/follow_requests",
        &query_pairs(q.as_deref()),
        rows.first().map(|r| r.id),
        rows.last().map(|r| r.id),
    );
    let ctx = state.ctx();
    Ok((headers, Json(list.iter().map(|a| account(&ctx, a)).collect())))
}

async fn authorize(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    me.require("write:follows")?;
    let id = path_id(&id)?;
    Ok(Json(relationship(id, &follows::answer_request(&state, &me.account, id, true).await?)))
}

async fn reject(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Relationship>> {
    me.require("write:follows")?;
    let id = path_id(&id)?;
    Ok(Json(relationship(id, &follows::answer_request(&state, &me.account, id, false).await?)))
}
