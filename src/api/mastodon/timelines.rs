//! Timelines, bookmarks and favourites.
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::api::auth::{AuthUser, MaybeAuth};
use crate::api::body::{from_fields, lenient, query_map, query_pairs};
use crate::api::model::status::{Status, status};
use crate::api::pagination::{PageParams, link_header};
use crate::app::AppState;
use crate::db::queries::statuses as sq;
use crate::error::{AppError, AppResult};
use crate::service::filters::{self, FilterContext};
use crate::service::timelines;
use crate::service::views::StatusView;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/timelines/home", get(home))
        .route("/api/v1/timelines/public", get(public))
        .route("/api/v1/timelines/tag/{tag}", get(tag))
        .route("/api/v1/bookmarks", get(bookmarks))
        .route("/api/v1/favourites", get(favourites))
}

fn params<T: serde::de::DeserializeOwned>(q: &Option<String>) -> AppResult<T> {
    from_fields(query_map(q.as_deref())).map_err(|e| AppError::bad_request(e.message))
}

/// The page as JSON with its `Link` header. Paging follows what was read; the viewer's filters
/// for `context` then leave out or mark statuses.
async fn answer(
    state: &AppState,
    path: &str,
    q: &Option<String>,
    viewer: Option<i64>,
    context: FilterContext,
    list: Vec<StatusView>,
) -> AppResult<(HeaderMap, Json<Vec<Status>>)> {
    let ctx = state.ctx();
    let headers = link_header(
        &state.base_url,
        path,
        &query_pairs(q.as_deref()),
        list.first().map(|s| s.status.id),
        list.last().map(|s| s.status.id),
    );
    let shown = filters::apply(state, viewer, context, list).await?;
    Ok((headers, Json(shown.iter().map(|s| status(&ctx, s, false)).collect())))
}

async fn home(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Status>>)> {
    me.require("read:statuses")?;
    let p: PageParams = params(&q)?;
    let list = timelines::home(&state, me.id(), p.page(20, 40)?).await?;
    answer(&state, "/api/v1/timelines/home", &q, Some(me.id()), FilterContext::Home, list).await
}

#[derive(Debug, Deserialize)]
struct PublicParams {
    #[serde(default, deserialize_with = "lenient::bool")]
    local: bool,
    #[serde(default, deserialize_with = "lenient::bool")]
    remote: bool,
    #[serde(default, deserialize_with = "lenient::bool")]
    only_media: bool,
    #[serde(flatten)]
    page: PageParams,
}

async fn public(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Status>>)> {
    let p: PublicParams = params(&q)?;
    let scope = match (p.local, p.remote) {
        (true, _) => timelines::Scope::Local,
        (false, true) => timelines::Scope::Remote,
        (false, false) => timelines::Scope::All,
    };
    let viewer = viewer.map(|v| v.id());
    let list = timelines::public(&state, viewer, scope, p.only_media, p.page.page(20, 40)?).await?;
    answer(&state, "/api/v1/timelines/public", &q, viewer, FilterContext::Public, list).await
}

async fn tag(
    State(state): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Path(tag): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Status>>)> {
    if tag.chars().count() > 100 {
        return Err(AppError::not_found());
    }
    let p: PageParams = params(&q)?;
    let viewer = viewer.map(|v| v.id());
    let list = timelines::tag(&state, viewer, &tag, p.page(20, 40)?).await?;
    answer(&state, &format!("/api/v1/timelines/tag/{tag}"), &q, viewer, FilterContext::Public, list).await
}

async fn bookmarks(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Status>>)> {
    me.require("read:bookmarks")?;
    let p: PageParams = params(&q)?;
    let (list, first, last) = timelines::bookmarks(&state, me.id(), p.page(20, 40)?).await?;
    let ctx = state.ctx();
    let headers = link_header(&state.base_url, "/api/v1/bookmarks", &query_pairs(q.as_deref()), first, last);
    Ok((headers, Json(list.iter().map(|s| status(&ctx, s, false)).collect())))
}

async fn favourites(
    State(state): State<AppState>,
    me: AuthUser,
    RawQuery(q): RawQuery,
) -> AppResult<(HeaderMap, Json<Vec<Status>>)> {
    me.require("read:favourites")?;
    let p: PageParams = params(&q)?;
    let favs = sq::favourites_of(&state.db.conn, me.id(), p.page(20, 40)?).await?;
    let ids: Vec<i64> = favs.iter().map(|f| f.status_id).collect();
    let list = timelines::by_ids_readable(&state, me.id(), &ids).await?;
    let ctx = state.ctx();
    let headers = link_header(
        &state.base_url,
        "/api/v1/favourites",
        &query_pairs(q.as_deref()),
        favs.first().map(|f| f.id),
        favs.last().map(|f| f.id),
    );
    Ok((headers, Json(list.iter().map(|s| status(&ctx, s, false)).collect())))
}
