//! Reading pages: home, local, hashtags, profiles and threads.
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::{OrPage, PageResult, layout, older_link, page_from};
use crate::app::AppState;
use crate::db::queries::{accounts as aq, graph};
use crate::error::AppError;
use crate::service::profile::{expertise_of, fields_of};
use crate::service::{timelines, views};
use crate::web::cards::{avatar_url, display_name};
use crate::web::session::{AnonCsrf, MaybeWebUser, WebUser};
use crate::web::{Card, Layout, cards, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/local", get(local))
        .route("/tags/{tag}", get(tag))
        .route("/search", get(search))
        .route("/{handle}", get(profile))
        .route("/{handle}/{id}", get(thread))
}

const PAGE: u64 = 20;

/// The compose form's state.
pub struct ComposeForm {
    pub label: String,
    pub in_reply_to: Option<String>,
    pub max_chars: usize,
    pub error: Option<String>,
    pub text: String,
    pub visibility: String,
    pub spoiler: String,
}

impl ComposeForm {
    pub fn new(state: &AppState) -> Self {
        Self {
            label: "What would you like to share?".into(),
            in_reply_to: None,
            max_chars: state.settings.limits.max_status_chars,
            error: None,
            text: String::new(),
            visibility: "public".into(),
            spoiler: String::new(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub compose: ComposeForm,
    pub cards: Vec<Card>,
    pub older: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "timeline.html")]
struct TimelinePage {
    layout: Layout,
    heading: String,
    intro: String,
    cards: Vec<Card>,
    older: Option<String>,
}

/// The home page, also shown again (422) with a compose error.
pub async fn home_page(
    state: &AppState,
    user: &WebUser,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    compose: ComposeForm,
) -> Result<HomePage, Response> {
    let list = timelines::home(state, user.account.id, page_from(q, PAGE)).await.or_page(state)?;
    Ok(HomePage {
        layout: layout(state, Some(user), anon, headers, "Home", "home").await,
        compose,
        older: older_link("/", list.last().map(|s| s.status.id), !list.is_empty()),
        cards: cards(&list, Some(user.account.id)),
    })
}

async fn home(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let Some(user) = user else { return local(State(state), MaybeWebUser(None), anon, headers, Query(q)).await };
    let page = home_page(&state, &user, &anon, &headers, &q, ComposeForm::new(&state)).await?;
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

async fn local(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let viewer = user.as_ref().map(|u| u.account.id);
    let list = timelines::local(&state, viewer, false, page_from(&q, PAGE)).await.or_page(&state)?;
    let page = TimelinePage {
        layout: layout(&state, user.as_ref(), &anon, &headers, "Local timeline", "local").await,
        heading: "Local timeline".into(),
        intro: "Public posts from members of this node.".into(),
        older: older_link("/local", list.last().map(|s| s.status.id), !list.is_empty()),
        cards: cards(&list, viewer),
    };
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

async fn tag(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(tag): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    if tag.chars().count() > 100 || tag.is_empty() {
        return Err(crate::web::error_page(&state, AppError::not_found()));
    }
    let viewer = user.as_ref().map(|u| u.account.id);
    let list = timelines::tag(&state, viewer, &tag, page_from(&q, PAGE)).await.or_page(&state)?;
    let tag = tag.to_lowercase();
    let page = TimelinePage {
        layout: layout(&state, user.as_ref(), &anon, &headers, &format!("#{tag}"), "").await,
        heading: format!("#{tag}"),
        intro: "Public posts with this hashtag.".into(),
        older: older_link(&format!("/tags/{tag}"), list.last().map(|s| s.status.id), !list.is_empty()),
        cards: cards(&list, viewer),
    };
    Ok(render(StatusCode::OK, &page, false))
}

#[derive(Template, WebTemplate)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    header_url: Option<String>,
    avatar_url: String,
    display_name: String,
    handle: String,
    username: String,
    locked: bool,
    job_title: String,
    organisation: String,
    location: String,
    links: Vec<(String, String, bool)>,
    bio_html: String,
    expertise: Vec<String>,
    statuses_count: i64,
    following_count: i64,
    followers_count: i64,
    is_self: bool,
    follow_action: &'static str,
    follow_label: String,
    blocking: bool,
    muting: bool,
    followed_by: bool,
    has_requests: bool,
    pinned: Vec<Card>,
    cards: Vec<Card>,
    older: Option<String>,
}

/// `/@name` → the local account; anything else is not a profile.
pub async fn account_by_handle(
    state: &AppState,
    handle: &str,
) -> Result<crate::db::entities::accounts::Model, Response> {
    let name = handle.strip_prefix('@').ok_or_else(|| crate::web::error_page(state, AppError::not_found()))?;
    let found = match name.split_once('@') {
        Some((user, host)) if !host.eq_ignore_ascii_case(&state.settings.domain) => {
            aq::remote_account(&state.db.conn, user, host).await
        }
        Some((user, _)) => aq::local_account_by_username(&state.db.conn, user).await,
        None => aq::local_account_by_username(&state.db.conn, name).await,
    };
    found.or_page(state)?.filter(|a| !a.suspended).ok_or_else(|| crate::web::error_page(state, AppError::not_found()))
}

async fn profile(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path(handle): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let account = account_by_handle(&state, &handle).await?;
    let v = views::account(&state.db.conn, account.id)
        .await
        .or_page(&state)?
        .ok_or_else(|| crate::web::error_page(&state, AppError::not_found()))?;
    let viewer = user.as_ref().map(|u| u.account.id);
    let list = timelines::account(&state, viewer, account.id, timelines::AccountFilter::default(), page_from(&q, PAGE))
        .await
        .or_page(&state)?;
    let pinned = if q.contains_key("max_id") {
        vec![]
    } else {
        timelines::pinned(&state, viewer, account.id).await.or_page(&state)?
    };
    let rel = match viewer {
        Some(me) if me != account.id => {
            Some(graph::relationship(&state.db.conn, me, account.id).await.or_page(&state)?)
        }
        _ => None,
    };
    let is_self = viewer == Some(account.id);
    let has_requests = is_self
        && !graph::follow_requests_to(
            &state.db.conn,
            account.id,
            crate::db::queries::Page { limit: 1, ..Default::default() },
        )
        .await
        .or_page(&state)?
        .is_empty();
    let (follow_action, follow_label) = match &rel {
        Some(r) if r.following => ("unfollow", format!("Unfollow {}", display_name(&v))),
        Some(r) if r.requested => ("unfollow", "Withdraw follow request".to_owned()),
        _ if account.locked => ("follow", format!("Ask to follow {}", display_name(&v))),
        _ => ("follow", format!("Follow {}", display_name(&v))),
    };
    let page = ProfilePage {
        layout: layout(&state, user.as_ref(), &anon, &headers, &display_name(&v), if is_self { "profile" } else { "" })
            .await,
        header_url: v.header.as_ref().map(|m| format!("/media/{}", m.file_name)),
        avatar_url: avatar_url(&v),
        display_name: display_name(&v),
        handle: match &account.domain {
            Some(d) => format!("@{}@{d}", account.username),
            None => format!("@{}@{}", account.username, state.settings.domain),
        },
        username: crate::api::model::status::handle_of(&account),
        locked: account.locked,
        job_title: account.job_title.clone(),
        organisation: account.organisation.clone(),
        location: account.location.clone(),
        links: fields_of(&account)
            .into_iter()
            .map(|f| {
                let is_link = (f.value.starts_with("https://") || f.value.starts_with("http://"))
                    && !f.value.contains(char::is_whitespace);
                (f.name, f.value, is_link)
            })
            .collect(),
        bio_html: crate::api::model::account::note_html(&account.bio),
        expertise: expertise_of(&account),
        statuses_count: v.statuses_count,
        following_count: v.following_count,
        followers_count: v.followers_count,
        is_self,
        follow_action,
        follow_label,
        blocking: rel.as_ref().is_some_and(|r| r.blocking),
        muting: rel.as_ref().is_some_and(|r| r.muting),
        followed_by: rel.as_ref().is_some_and(|r| r.followed_by),
        has_requests,
        pinned: cards(&pinned, viewer),
        older: older_link(
            &format!("/@{}", crate::api::model::status::handle_of(&account)),
            list.last().map(|s| s.status.id),
            !list.is_empty(),
        ),
        cards: cards(&list, viewer),
    };
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

#[derive(Template, WebTemplate)]
#[template(path = "thread.html")]
pub struct ThreadPage {
    pub layout: Layout,
    pub focus_author: String,
    pub ancestors: Vec<Card>,
    pub focus: Vec<Card>,
    pub descendants: Vec<Card>,
    pub compose: ComposeForm,
}

/// The thread page, also shown again (422) with a reply error.
pub async fn thread_page(
    state: &AppState,
    user: Option<&WebUser>,
    anon: &AnonCsrf,
    headers: &HeaderMap,
    id: i64,
    compose: Option<ComposeForm>,
) -> Result<ThreadPage, Response> {
    let viewer = user.map(|u| u.account.id);
    let ctx = timelines::context(state, viewer, id).await.or_page(state)?;
    let focus = crate::web::card(&ctx.status, viewer);
    let mut compose = compose.unwrap_or_else(|| ComposeForm::new(state));
    compose.label = format!("Reply to {}", focus.author_name);
    compose.in_reply_to = Some(focus.id.clone());
    if compose.text.is_empty() && compose.error.is_none() {
        // Mention the author (unless it is me), as apps do.
        if viewer != Some(ctx.status.account.account.id) {
            compose.text = format!("@{} ", crate::api::model::status::handle_of(&ctx.status.account.account));
        }
        compose.visibility = match ctx.status.status.visibility.as_str() {
            "public" => "public".into(),
            v => v.to_owned(),
        };
    }
    let title = format!("Post by {}", focus.author_name);
    Ok(ThreadPage {
        layout: layout(state, user, anon, headers, &title, "").await,
        focus_author: focus.author_name.clone(),
        ancestors: cards(&ctx.ancestors, viewer),
        focus: vec![focus],
        descendants: cards(&ctx.descendants, viewer),
        compose,
    })
}

async fn thread(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Path((handle, id)): Path<(String, String)>,
) -> PageResult {
    let account = account_by_handle(&state, &handle).await?;
    let id = super::id_of(&state, &id)?;
    let s =
        crate::service::statuses::readable(&state, user.as_ref().map(|u| u.account.id), id).await.or_page(&state)?;
    if s.account_id != account.id {
        return Err(crate::web::error_page(&state, AppError::not_found()));
    }
    let page = thread_page(&state, user.as_ref(), &anon, &headers, id, None).await?;
    let flash = page.layout.flash.is_some();
    Ok(render(StatusCode::OK, &page, flash))
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    searched: bool,
    people: Vec<(String, String, String, String)>,
    cards: Vec<Card>,
}

/// Finds people and posts here and, for signed-in members, on other servers.
async fn search(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    anon: AnonCsrf,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let query: String = q.get("q").map(|s| s.trim().chars().take(500).collect()).unwrap_or_default();
    let viewer = user.as_ref().map(|u| u.account.id);
    let (people, cards) = if query.is_empty() {
        (vec![], vec![])
    } else {
        let found = crate::federation::search::search(&state, &query, user.is_some()).await;
        let accounts = views::accounts(&state.db.conn, &found.accounts).await.or_page(&state)?;
        let people = accounts
            .iter()
            .map(|a| {
                let handle = crate::api::model::status::handle_of(&a.account);
                (format!("/@{handle}"), display_name(a), format!("@{handle}"), crate::web::cards::role_line(a))
            })
            .collect();
        let rows =
            crate::db::queries::statuses::statuses_by_ids(&state.db.conn, &found.statuses).await.or_page(&state)?;
        let rows = crate::service::visibility::retain_readable(&state.db.conn, viewer, rows).await.or_page(&state)?;
        let list = views::statuses(&state.db.conn, viewer, rows).await.or_page(&state)?;
        (people, cards(&list, viewer))
    };
    let page = SearchPage {
        layout: layout(&state, user.as_ref(), &anon, &headers, "Search", "search").await,
        searched: !query.is_empty(),
        q: query,
        people,
        cards,
    };
    Ok(render(StatusCode::OK, &page, false))
}
